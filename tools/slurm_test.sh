#!/usr/bin/env bash
# Evaluation on a Slurm cluster: bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
# e.g. GPUS=8 bash tools/slurm_test.sh gpu rec-m2 configs/method2.py DETECTOR.pth --out preds.jsonl
# GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS, GRES, PYTHON as in tools/srun.sh.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]" >&2; exit 2; }
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$DIR/srun.sh" "$DIR/test.py" "$1" "$2" "$3" "$4" "${@:5}"
