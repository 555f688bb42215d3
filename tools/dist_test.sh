#!/usr/bin/env bash
# Distributed evaluation: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every node.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$DIR/torchrun.sh" "$DIR/test.py" "$3" "$1" "$2" "${@:4}"
