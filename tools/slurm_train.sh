#!/usr/bin/env bash
# Training on a Slurm cluster: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]
# e.g. GPUS=16 bash tools/slurm_train.sh gpu rec-m1 configs/method1.py work_dirs/method1 --resume
# WORK_DIR is optional (an argument starting with "-" is train.py's); GPUS, GPUS_PER_NODE, CPUS_PER_TASK,
# SRUN_ARGS, GRES, PYTHON as in tools/srun.sh.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py args...]" >&2; exit 2; }
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -ge 4 ] && [[ "$4" != -* ]]; then
    exec bash "$DIR/srun.sh" "$DIR/train.py" "$1" "$2" "$3" --work-dir "$4" "${@:5}"
fi
exec bash "$DIR/srun.sh" "$DIR/train.py" "$1" "$2" "$3" "${@:4}"
