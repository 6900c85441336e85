#!/usr/bin/env bash
# The kernel benchmark (not a test): native CPU and GPU (cargo bench), NumPy/OpenBLAS
# with one thread and all threads, our wasm CPU and WebGPU paths and TensorFlow.js's wasm
# backend in headless Chromium — all in this one run — then one table per kernel.
#   tests/bench/run.sh [quick]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tests/setup.sh
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install --quiet numpy
out="$(mktemp /tmp/hopfield-bench.XXXXXX.jsonl)"
{
  echo "# $(date -u +%F) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
  cargo bench -q --bench kernels -- ${1:-}
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python3 crate/benches/numpy_kernels.py numpy-1t ${1:-}
  python3 crate/benches/numpy_kernels.py numpy-all ${1:-}
  trunk build --release >&2
  node tests/bench/browser.mjs ${1:-}
} | tee "$out"
node tests/bench/table.mjs "$out"
