#!/usr/bin/env bash
# Benchmark of the hetero lab's eigenvalue step: the eigenvalues of its non-symmetric
# J = Y Xᵀ (Gaussian pairs, τ = 0.5, α = 1, seed 42) at N = 1000 and 2000, in one run:
# faer (the lab's solver) and nalgebra's Schur natively (single-threaded, release build),
# and NumPy's eigvals (LAPACK dgeev via OpenBLAS) on the very same matrices, with one
# OpenBLAS thread and with all threads; plus the CLI end to end (`--part spectrum`) and the
# same part in headless Chromium's wasm (tests/bench/hetero-browser.mjs; needs dist/).
# Prints a table with the ratio of every time to NumPy's. Not a test: nothing is asserted.
#
#   crate/benches/hetero.sh           # N = 1000 and 2000 (nalgebra at 2000 takes about a minute)
#   QUICK=1 crate/benches/hetero.sh   # N = 1000 only
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python3 -c 'import numpy' 2>/dev/null || { echo "NumPy is missing: pip install numpy" >&2; exit 1; }
export HETERO_BENCH_DIR="$(mktemp -d)"
trap 'rm -rf "$HETERO_BENCH_DIR"' EXIT
ARGS=(); SIZES="1000 2000"
if [ -n "${QUICK:-}" ]; then ARGS=(quick); SIZES="1000"; fi

echo "hetero eigenvalue benchmark, $(date -u +%Y-%m-%dT%H:%MZ)" >&2
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cargo build --release --locked -q
rust=$(cargo bench --locked -q --bench hetero -- "${ARGS[@]}")
echo "$rust" >&2

numpy_eig() {  # $1 = threads label; timings of np.linalg.eigvals on the saved matrices
  python3 - "$HETERO_BENCH_DIR" "$1" $SIZES <<'PY'
import json, sys, time
import numpy as np
d, label, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
for n in sizes:
    j = np.fromfile(f"{d}/j_{n}.f64", dtype="<f8").reshape(n, n)
    ts = []
    for _ in range(3):
        t = time.perf_counter(); ev = np.linalg.eigvals(j); ts.append(time.perf_counter() - t)
    ts.sort()
    print(json.dumps({"impl": label, "n": n, "seconds": round(ts[1], 4), "rightmost": round(float(ev.real.max()), 6)}))
PY
}
np1=$(OPENBLAS_NUM_THREADS=1 numpy_eig numpy_1thread)
npall=$(numpy_eig numpy_threads)
echo "$np1" >&2; echo "$npall" >&2

cli=""
for n in $SIZES; do
  t0=$(date +%s.%N)
  target/release/hopfield run "v=1&lab=hetero&n=$n&alpha=1&tau=0.5" --part spectrum > /dev/null
  cli+="{\"impl\":\"cli\",\"n\":$n,\"seconds\":$(python3 -c "print(round($(date +%s.%N) - $t0, 4))")}"$'\n'
done
echo -n "$cli" >&2

browser=""
if [ -f dist/index.html ] && [ -z "${NOBROWSER:-}" ]; then
  browser=$(node tests/bench/hetero-browser.mjs ${QUICK:+quick})
  echo "$browser" >&2
else
  echo "no dist/ (trunk build --release) or NOBROWSER set: no browser column" >&2
fi

printf '%s\n%s\n%s\n%s\n%s' "$rust" "$np1" "$npall" "$cli" "$browser" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
t = {(r["impl"], r["n"]): r["seconds"] for r in rows}
sizes = sorted({r["n"] for r in rows})
names = [("numpy_1thread", "NumPy eigvals, 1 OpenBLAS thread"), ("numpy_threads", "NumPy eigvals, all OpenBLAS threads"),
         ("faer", "faer eigenvalues (the lab), 1 thread"), ("nalgebra", "nalgebra Schur, 1 thread"),
         ("cli", "CLI --part spectrum (draw + J + eigenvalues + JSON)"),
         ("browser", "page, wasm CPU path, spectrum part (draw + J + eigenvalues + JSON)")]
print("\n| implementation | " + " | ".join(f"N = {n}: s | ÷ NumPy 1 thread" for n in sizes) + " |")
print("|---|" + "---|---|" * len(sizes))
for key, label in names:
    cells = []
    for n in sizes:
        s, ref = t.get((key, n)), t.get(("numpy_1thread", n))
        cells += [f"{s:.2f}" if s else "n/a", f"{s / ref:.2f}×" if s and ref else ""]
    print(f"| {label} | " + " | ".join(cells) + " |")
'
