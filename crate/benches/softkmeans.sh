#!/usr/bin/env bash
# Soft-k-means benchmark: the Rust bench (native CPU, native GPU) and the NumPy reference
# in the same run, printed as the README's tables with ratios (ours ÷ NumPy f64; below
# 1.0× = faster). Usage: bash crate/benches/softkmeans.sh [quick]
# Needs python3 with numpy (pip install numpy). With dist/ (trunk build --release) it adds the
# page's wasm core in headless Chromium (CPU f64 one thread, and WebGPU f32 on SwiftShader at
# m = 10⁵): tests/bench/workloads-browser.mjs. NOBROWSER=1 leaves them out.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
# Interleave: NumPy, ours, NumPy again (the machine's load drifts; the tables use the medians).
OPENBLAS_NUM_THREADS=1 python3 crate/benches/softkmeans_numpy.py "$@" >"$out/numpy1.jsonl"
cargo bench -q --bench softkmeans -- "$@" >"$out/rust.jsonl"
OPENBLAS_NUM_THREADS=1 python3 crate/benches/softkmeans_numpy.py "$@" >"$out/numpy2.jsonl"
: >"$out/browser.jsonl"
if [ -f dist/index.html ] && [ -z "${NOBROWSER:-}" ]; then
  node tests/bench/workloads-browser.mjs softkmeans "$@" gpu >"$out/browser.jsonl"
else
  echo "no dist/ (trunk build --release) or NOBROWSER set: no browser rows" >&2
fi
python3 - "$out" <<'PY'
import json, os, platform, statistics, subprocess, sys, datetime
d = sys.argv[1]
rows = [json.loads(l) for f in ("numpy1", "rust", "numpy2", "browser") for l in open(os.path.join(d, f + ".jsonl")) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
load = os.getloadavg()[0]
print(f"date {datetime.date.today()}, {cpu}, {os.cpu_count()} cores, load average {load:.1f}")
it = [r for r in rows if r["bench"] == "iteration"]
for dim in (1, 3):
    sel = [r for r in it if r["d"] == dim]
    if not sel:
        continue
    m, k = sel[0]["m"], sel[0]["k"]
    by = {}
    for r in sel:
        name = r["impl"] if r["m"] == m else f'{r["impl"]} (m = {r["m"]:,})'
        by.setdefault(name, []).append(r["seconds"])
    ref = statistics.median(by.get("numpy-float64", [float("nan")]))
    print(f"\n| soft k-means, m = {m:,}, k = {k}, d = {dim} | ms per update | ÷ NumPy f64 |")
    print("|---|---|---|")
    for name, ts in by.items():
        s = statistics.median(ts)
        ratio = f"{s/ref:.2f}×" if "(m =" not in name else "(other m)"
        print(f"| {name} | {s*1e3:.1f} | {ratio} |")
gr = [r for r in rows if r["bench"] == "gradient"]
if gr:
    print("\n| m = 10⁴, k = 16 | d | T | DKM bytes | IDKM bytes | JFB bytes | DKM s | IDKM s | JFB s | IDKM's M iterations |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in gr:
        print(f"| | {r['d']} | {r['iterations']} | {r['bytes_unrolled']:,} | {r['bytes_implicit']:,} | {r['bytes_jfb']:,} | "
              f"{r['seconds_unrolled']:.3f} | {r['seconds_implicit']:.3f} | {r['seconds_jfb']:.3f} | {r['m_iterations']} |")
q = [r for r in rows if r["bench"] == "quantize"]
if q:
    print("\n| quantisation demo, k = 4, d = 1, 1 epoch | seconds | accuracy | peak bytes |")
    print("|---|---|---|---|")
    for r in q:
        print(f"| {r['method']} | {r['seconds']:.2f} | {r['accuracy']:.3f} | {r['peak_bytes']:,} |")
PY
