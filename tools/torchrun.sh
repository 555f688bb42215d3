#!/usr/bin/env bash
# Shared launcher of dist_train.sh / dist_test.sh: bash tools/torchrun.sh SCRIPT NPROC_PER_NODE [args...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on every node. PYTHON picks the interpreter.
set -euo pipefail
SCRIPT=$1
NPROC=$2
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHONPATH="$DIR/..:${PYTHONPATH:-}" exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" --master_port="${PORT:-29500}" \
    "$SCRIPT" "${@:3}" --launcher pytorch
