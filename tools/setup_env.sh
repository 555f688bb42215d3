#!/usr/bin/env bash
# One-command set-up of mmrec: creates .venv and installs torch, OpenMMLab (mmengine, mmcv with compiled ops,
# mmdet), transformers, the test tools and mmrec itself (editable).
#
# mmcv 2.1.0 has no PyPI wheel for torch 2.14, so it is built once from its sdist (with -std=c++20, which
# ATen needs) and the wheel is cached in $MMREC_CACHE (default ~/.cache/mmrec); later runs reuse it.
#
# Usage: bash tools/setup_env.sh [--mmcv-wheel PATH] [--venv DIR] [--python PYTHON]
# Environment: MMCV_WHEEL (prebuilt mmcv wheel), MMREC_CACHE, MMREC_VENV, PYTHON, FORCE_CUDA=1 (build the
# CUDA ops even when no GPU is visible, e.g. on a build node with nvcc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMREC_VENV:-$ROOT/.venv}"
CACHE="${MMREC_CACHE:-$HOME/.cache/mmrec}"
PYTHON="${PYTHON:-python3.11}"
MMCV_WHEEL="${MMCV_WHEEL:-}"

TORCH_PIN="torch==2.14.1"
TORCHVISION_PIN="torchvision==0.29.1"
SETUPTOOLS_PIN="setuptools>=77,<82"
MMCV_VERSION="2.1.0"

while [ $# -gt 0 ]; do
  case "$1" in
    --mmcv-wheel) MMCV_WHEEL="$2"; shift 2 ;;
    --venv) VENV="$2"; shift 2 ;;
    --python) PYTHON="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "setup_env.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

START=$SECONDS
CURRENT_STEP="start"
fail() { echo "" >&2; echo "setup_env.sh: FAILED at step '$CURRENT_STEP'${1:+: $1}" >&2; exit 1; }
trap 'fail "a command exited with status $? (see the output above)"' ERR
step() { CURRENT_STEP="$1"; echo "==> [$((SECONDS - START))s] $1"; }

step "check python"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
command -v "$PYTHON" >/dev/null 2>&1 || fail "no python3.11 / python3 on PATH (set PYTHON=/path/to/python3.11)"
"$PYTHON" -c 'import sys; assert sys.version_info[:2] >= (3, 10), sys.version' \
  || fail "$PYTHON is older than 3.10"

step "create virtual environment $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
export PIP_PROGRESS_BAR=off

step "install torch, torchvision and build tools"
"${PIP[@]}" install -q "$TORCH_PIN" "$TORCHVISION_PIN" "$SETUPTOOLS_PIN" wheel ninja

WITH_CUDA=$("$PY" - <<'PY'
import os, shutil, torch
has_nvcc = shutil.which("nvcc") is not None or bool(os.environ.get("CUDA_HOME"))
want = torch.cuda.is_available() or os.environ.get("FORCE_CUDA") == "1"
print("cuda" if (want and has_nvcc and torch.version.cuda) else "cpu")
PY
)
TORCH_TAG=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')

step "install mmcv $MMCV_VERSION (ops: $WITH_CUDA)"
if [ -z "$MMCV_WHEEL" ]; then
  WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_TAG-$WITH_CUDA"
  MMCV_WHEEL=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "$MMCV_WHEEL" ]; then
    echo "    no cached wheel in $WHEEL_DIR: building mmcv from its sdist (about 7 min on 2 cores)"
    BUILD_DIR="$(mktemp -d)"
    "${PIP[@]}" download -q --no-deps --no-build-isolation --no-binary :all: "mmcv==$MMCV_VERSION" -d "$BUILD_DIR"
    tar -xzf "$BUILD_DIR/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD_DIR"
    # ATen headers of torch 2.14 need C++20; mmcv 2.1.0 asks for c++14 / c++17.
    sed -i 's/c++14/c++20/g; s/c++17/c++20/g' "$BUILD_DIR/mmcv-$MMCV_VERSION/setup.py"
    mkdir -p "$WHEEL_DIR"
    if [ "$WITH_CUDA" = cuda ]; then export FORCE_CUDA=1; fi
    (cd "$BUILD_DIR/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "${PIP[@]}" wheel -q --no-build-isolation --no-deps . -w "$WHEEL_DIR") \
      || fail "building mmcv failed; pass a prebuilt wheel with --mmcv-wheel PATH"
    rm -rf "$BUILD_DIR"
    MMCV_WHEEL=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n 1)
  fi
fi
[ -f "$MMCV_WHEEL" ] || fail "mmcv wheel '$MMCV_WHEEL' does not exist"
echo "    using $MMCV_WHEEL"
"${PIP[@]}" install -q --no-deps "$MMCV_WHEEL"

step "install mmrec (editable) with its dependencies (pyproject.toml), the other encoders, the test tools and the web demo's Gradio"
# mmrec's dependencies (mmdet, mmengine, transformers, ...) need neither torch nor mmcv, so pip neither builds mmcv
# nor fetches another torch; open_clip_torch (the encoders extra) needs torch: the torch pins on the same command
# line keep the build installed above.
"${PIP[@]}" install -q --no-build-isolation -e "$ROOT[tests,encoders]" "$SETUPTOOLS_PIN" "$TORCH_PIN" "$TORCHVISION_PIN"

step "check the installation"
"$PY" - <<'PY' || fail "the installed stack does not import"
import mmcv, mmdet, mmengine, torch, transformers
from mmcv.ops import roi_align, nms  # the compiled ops
import mmrec  # registers mmrec's modules
print(f"    torch {torch.__version__} (cuda available: {torch.cuda.is_available()}), mmcv {mmcv.__version__}, "
      f"mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, transformers {transformers.__version__}")
PY
echo "==> [$((SECONDS - START))s] done: activate with 'source $VENV/bin/activate'"
