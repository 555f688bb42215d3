#!/usr/bin/env bash
# Shared launcher of slurm_train.sh / slurm_test.sh: bash tools/srun.sh SCRIPT PARTITION JOB_NAME [args...]
# One srun task per process; the tool reads its rank from srun's SLURM_* variables (--launcher slurm).
#   GPUS           tasks in all (default 8)           GPUS_PER_NODE  tasks per node (default 8)
#   CPUS_PER_TASK  CPU cores per task (default 5)     SRUN_ARGS      more srun options, e.g. "--time=2:00:00"
#   GRES           the resource request (default gpu:GPUS_PER_NODE; GRES= runs on a CPU partition)
#   PYTHON         the interpreter (default python); MASTER_PORT picks the rendezvous port (default 29500)
set -euo pipefail
SCRIPT=$1
PARTITION=$2
JOB_NAME=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES-gpu:${GPUS_PER_NODE}}
SRUN_ARGS=${SRUN_ARGS:-}
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GRES_ARG=()
if [ -n "$GRES" ]; then
    GRES_ARG=("--gres=$GRES")
fi
set -x
# SRUN_ARGS is split into words on purpose: it holds several srun options.
# shellcheck disable=SC2086
PYTHONPATH="$DIR/..:${PYTHONPATH:-}" exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    "${GRES_ARG[@]}" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "${PYTHON:-python}" -u "$SCRIPT" "${@:4}" --launcher slurm
