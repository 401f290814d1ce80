#!/usr/bin/env bash
# GPU benchmark: copy bandwidth, element-wise ratios at 2^28 and the LIF step.
#
# A few minutes on one GPU. Runs benchmarks/run.py with the python that has a
# CUDA jax (PYTHON=..., default: python3); no peers (they are CPU-only here).
#
#   bash benchmarks/gpu.sh                 # 2^28, float32 + bfloat16, all shapes
#   SIZES=12 SHAPES=superspike,heaviside LIF=4,8,16,8 bash benchmarks/gpu.sh
#                                          # a tiny dry run (works on CPU too)
#   bash benchmarks/gpu.sh --repeats 1     # any further flags go to run.py
#
# Prints the markdown table; writes benchmarks/results/gpu.{json,md}.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
SIZES="${SIZES:-28}"
SHAPES="${SHAPES:-}"
LIF="${LIF:-100,256,784,512}"
FOCUS="${FOCUS:-${SIZES##*,},float32,15}"   # the many-repeat target check
OUT="${OUT:-$here/results}"
mkdir -p "$OUT"

"$PYTHON" - <<'EOF'
import jax
print("jax", jax.__version__, "backend", jax.default_backend(), jax.devices())
EOF

args=(--gpu --sizes "$SIZES" --lif "$LIF" --focus "$FOCUS" --no-peers
      --json "$OUT/gpu.json" --markdown "$OUT/gpu.md")
if [ -n "$SHAPES" ]; then
  args+=(--shapes "$SHAPES")
fi
args+=("$@")

"$PYTHON" "$here/run.py" "${args[@]}"
cat "$OUT/gpu.md"
