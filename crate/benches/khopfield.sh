#!/usr/bin/env bash
# Benchmark of the khopfield lab's batched retrieval: 1,000 probes (every 10th MNIST digit,
# top half occluded) against all 10,000 stored MNIST digits, pixels in [0, 1], β = 3, k = 5,
# f32 similarities, for the dot and the −Manhattan similarity. Times, in one run: the native
# Rust code (`cargo bench --bench khopfield`: the compute layer's CPU path, and its GPU path
# when wgpu finds an adapter — lavapipe here) and the NumPy reference
# (crate/benches/khopfield_numpy.py) of the same computation, and the page's wasm core in headless
# Chromium (CPU, and WebGPU unless NOGPU; needs dist/ from `trunk build --release`); prints a table with the
# ratios ours ÷ NumPy (below 1.0× = faster) and checks that both retrieve the same memories.
# Not a test: nothing is asserted.
#
#   crate/benches/khopfield.sh            # one thread each (HOPFIELD_THREADS=1, OPENBLAS_NUM_THREADS=1)
#   THREADS=all crate/benches/khopfield.sh
#   QUICK=1 crate/benches/khopfield.sh    # 100 probes against 2,000 digits
#   NOGPU=1 crate/benches/khopfield.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python3 -c 'import numpy' 2>/dev/null || { echo "NumPy is missing: pip install numpy" >&2; exit 1; }
cores=$(nproc --all)
if [ "${THREADS:-1}" = "all" ]; then unset HOPFIELD_THREADS OPENBLAS_NUM_THREADS OMP_NUM_THREADS; threads="all ($cores)"
else export HOPFIELD_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1; threads=1; fi
args=()
[ -n "${QUICK:-}" ] && args+=(quick)
[ -n "${NOGPU:-}" ] && args+=(nogpu)
dump=$(mktemp -d)
export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
echo "khopfield retrieval benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')" >&2
echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg); threads: $threads" >&2
cargo bench --bench khopfield -q -- "${args[@]}" "dump=$dump" > "$dump/ours.jsonl"
python3 crate/benches/khopfield_numpy.py "${args[@]}" "dump=$dump" > "$dump/numpy.jsonl"
# The browser columns: the same workload in headless Chromium (tests/bench/workloads-browser.mjs).
if [ -f dist/index.html ] && [ -z "${NOBROWSER:-}" ]; then
  bargs=(khopfield); [ -n "${QUICK:-}" ] && bargs+=(quick); [ -z "${NOGPU:-}" ] && bargs+=(gpu)
  node tests/bench/workloads-browser.mjs "${bargs[@]}" > "$dump/browser.jsonl"
  cat "$dump/browser.jsonl" >> "$dump/ours.jsonl"
else
  echo "no dist/ (trunk build --release) or NOBROWSER set: no browser columns" >&2
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$dump" "$threads" <<'PY'
import json, sys
d, threads = sys.argv[1], sys.argv[2]
ours = [json.loads(l) for l in open(f"{d}/ours.jsonl")]
ref = {r["similarity"]: r for r in map(json.loads, open(f"{d}/numpy.jsonl"))}
import numpy
print(f"\n| similarity | implementation | similarities (s) | ksoftmax k=5 (s) | outputs (s) | total (s) | total ÷ NumPy |")
print("|---|---|---|---|---|---|---|")
for sim in ["dot", "neg_manhattan"]:
    r = ref[sim]
    best = "dense" if r["outputs_dense_s"] <= r["outputs_sparse_s"] else "sparse"
    print(f"| {sim} | NumPy {numpy.__version__} (outputs: {best} of dense {r['outputs_dense_s']:.2f} / sparse {r['outputs_sparse_s']:.2f}) | {r['sims_s']:.2f} | {r['ksoftmax_s']:.2f} | {min(r['outputs_dense_s'], r['outputs_sparse_s']):.2f} | {r['total_s']:.2f} | 1.00× |")
    for o in [o for o in ours if o["similarity"] == sim]:
        print(f"| {sim} | {o['impl']} | {o['sims_s']:.2f} | {o['ksoftmax_s']:.2f} | {o['outputs_s']:.2f} | {o['total_s']:.2f} | {o['total_s'] / r['total_s']:.2f}× |")
for sim in ["dot", "neg_manhattan"]:
    try:
        native = open(f"{d}/retrieved_native-cpu_{sim}.txt").read().split()
    except OSError:
        continue
    for o in ours:
        if o["similarity"] == sim and "retrieved" in o:
            same = sum(str(a) == b for a, b in zip(o["retrieved"], native)) / max(len(native), 1)
            print(f"{o['impl']} {sim}: retrieved memories equal to the native CPU's for {same * 100:.1f}% of probes")
print(f"\nthreads: {threads}. Retrieved indices, native CPU vs NumPy: " + ", ".join(
    f"{s} {ref[s].get('agreement_with_rust', float('nan')) * 100:.1f}% equal" for s in ["dot", "neg_manhattan"]))
print("Output sums (Rust / NumPy dense): " + ", ".join(
    f"{s} {[o['output_sum'] for o in ours if o['similarity'] == s and o['impl'] == 'native-cpu'][0]:.3f} / {ref[s]['output_sum']:.3f}" for s in ["dot", "neg_manhattan"]))
PY
rm -rf "$dump"
