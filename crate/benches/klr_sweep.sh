#!/usr/bin/env bash
# Benchmark of the KLR lab's full author-protocol sweep (30×30 grid, N = 100,
# P/N ∈ [0.1, 6], γ ∈ [1e-4, 10] log, 300 epochs, recall test), timed in one run for:
# the native CLI (CPU, all cores), a straightforward NumPy implementation of the same
# protocol (crate/benches/klr_sweep.py, float64), and the browser CPU path (the page's
# Web Workers with the wasm core, two shards, headless Chromium). Prints a table with
# the ratio of every time to NumPy's. Not a test: nothing is asserted.
#
#   crate/benches/klr_sweep.sh            # diverge=stop (the lab's default protocol)
#   MODE=continue crate/benches/klr_sweep.sh   # every cell runs all 300 epochs
#   SKIP_BROWSER=1 crate/benches/klr_sweep.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tests/setup.sh
MODE="${MODE:-stop}"
QUERY="v=1&lab=klr&sweep=1&diverge=${MODE}"

python3 -c 'import numpy' 2>/dev/null || { echo "NumPy is missing: pip install numpy" >&2; exit 1; }
cargo build --release --locked -q
[ -n "${SKIP_BROWSER:-}" ] || trunk build --release >/dev/null 2>&1

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
echo "KLR sweep benchmark: ${QUERY}" >&2
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

t0=$(now)
target/release/hopfield run "$QUERY" --part sweep --format csv > /tmp/klr_bench_cli.csv
cli=$(calc "$(now) - $t0")
echo "native CLI: ${cli}s ($(($(wc -l < /tmp/klr_bench_cli.csv) - 1)) cells)" >&2

t0=$(now)
numpy_json=$(python3 crate/benches/klr_sweep.py --diverge "$MODE")
numpy=$(calc "$(now) - $t0")
echo "NumPy: ${numpy}s (${numpy_json})" >&2

browser="n/a"
if [ -z "${SKIP_BROWSER:-}" ]; then
  browser_json=$(node crate/benches/klr_browser.mjs "$QUERY" 2)
  browser=$(echo "$browser_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  echo "browser CPU: ${browser}s (${browser_json})" >&2
fi

ratio() { if [ "$1" = "n/a" ]; then echo "n/a"; else printf '%.2f×' "$(calc "$1 / $numpy")"; fi; }
printf '\n| implementation | time (s) | time / NumPy |\n|---|---|---|\n'
printf '| NumPy %s (float64, OpenBLAS threads) | %.1f | 1.00× |\n' "$(python3 -c 'import numpy; print(numpy.__version__)')" "$numpy"
printf '| native CLI, CPU (%s threads) | %.1f | %s |\n' "$(nproc)" "$cli" "$(ratio "$cli")"
printf '| native GPU | n/a (no GPU here) | |\n'
if [ "$browser" = "n/a" ]; then printf '| headless Chromium, CPU (wasm, 2 workers) | n/a | |\n'
else printf '| headless Chromium, CPU (wasm, 2 workers) | %.1f | %s |\n' "$browser" "$(ratio "$browser")"; fi
printf '| headless Chromium, WebGPU | n/a (no GPU here) | |\n'
