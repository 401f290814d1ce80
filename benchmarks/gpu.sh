#!/usr/bin/env bash
# GPU benchmark: copy bandwidth, element-wise ratios at 2^28 and the LIF step,
# then the whole-sequence memory policies (benchmarks/sequence_memory.py).
#
# A few minutes on one GPU. Runs benchmarks/run.py with the python that has a
# CUDA jax (PYTHON=..., default: python3); no peers (they are CPU-only here).
# SEQUENCE=0 leaves the sequence benchmark out; SEQUENCE=smoke runs it tiny.
#
#   bash benchmarks/gpu.sh                 # 2^28, float32 + bfloat16, all shapes
#   SIZES=12 SHAPES=superspike,heaviside LIF=4,8,16,8 bash benchmarks/gpu.sh
#                                          # a tiny dry run (works on CPU too)
#   bash benchmarks/gpu.sh --repeats 1     # any further flags go to run.py
#
# Prints the markdown tables; writes benchmarks/results/gpu.{json,md} and
# sequence_gpu.{json,md} (OUT=... elsewhere).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
SIZES="${SIZES:-28}"
SHAPES="${SHAPES:-}"
SEQUENCE="${SEQUENCE:-1}"
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

if [ "$SEQUENCE" != 0 ]; then
  seq_args=(--json "$OUT/sequence_gpu.json" --markdown "$OUT/sequence_gpu.md")
  if [ "$SEQUENCE" = smoke ]; then
    seq_args+=(--smoke)
  fi
  "$PYTHON" "$here/sequence_memory.py" "${seq_args[@]}"
  cat "$OUT/sequence_gpu.md"
fi
