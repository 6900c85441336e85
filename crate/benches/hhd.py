#!/usr/bin/env python3
"""Benchmark of the hhd lab: native CLI against the NumPy/scikit-learn reference
(crate/benches/hhd_numpy.py) in the same run, single-threaded on both sides.

  python3 crate/benches/hhd.py [--repeat R]     (from the repository root; needs numpy,
                                                 scikit-learn and a release build:
                                                 cargo build --release)

Cases: HHD (Algorithm 1) on 1,000 MNIST digits of all classes (C_min = 10, D_max = 50,
delta = 0.1, removal on) — the reference gets exactly the same digits (the CLI's
source_index); and the full Table 1 protocol (25 subsets of 150 digits, 4 restarts,
C_min = 1, D_max = 50, delta = 0.1) — same protocol, each side its own random draws.
Rust time = the whole CLI process (start, data, JSON output included); NumPy time = the
computation only. Wall and CPU (user + system) seconds are both shown: on a loaded shared
machine CPU time is the steadier measure. Ratio = ours / NumPy (below 1.0x: faster).
The best of R runs is kept. With dist/ (trunk build --release) the same two parts also run in
headless Chromium through the page's wasm core (tests/bench/workloads-browser.mjs hhd gpu: the
CPU path and the WebGPU path on SwiftShader; best of 2, no process start); NOBROWSER=1 leaves
them out.
"""
import datetime
import json
import os
import platform
import subprocess
import sys
import time

BIN = "target/release/hopfield"
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HOPFIELD_THREADS="1")
HHD_Q = "v=1&lab=hhd&seed=42&data=mnist&classes=&samples=1000&c_min=10&d_max=50&delta=0.1&removal=on&mode=sync&steps=100"
T1_Q = "v=1&lab=hhd&seed=42&data=mnist&classes=&t1_subsets=25&t1_size=150&t1_ninit=4&c_min=1&d_max=50&delta=0.1&removal=on"


def rust(query, part):
    """(wall s, CPU s, JSON) of one CLI run."""
    c0 = os.times()
    t0 = time.perf_counter()
    out = subprocess.run([BIN, "run", query, "--part", part], env=ENV, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    c1 = os.times()
    return wall, (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system), json.loads(out)


def numpy(*args):
    out = subprocess.run([sys.executable, "crate/benches/hhd_numpy.py", *args], env=ENV, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 2
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = []

    runs = [rust(HHD_Q, "hhd") for _ in range(repeat)]
    data = runs[0][2]
    idx = json.dumps(data["source_index"])
    refs = [numpy("hhd", idx, "10", "50", "0.1") for _ in range(repeat)]
    ref = min(refs, key=lambda x: x["seconds"])
    m = data["hhd_metrics"]
    rows.append(("HHD, 1,000 MNIST digits", min(r[0] for r in runs), ref["seconds"], min(r[1] for r in runs), min(x["cpu"] for x in refs),
                 f"ours {m['nodes']} nodes / {m['leaves']} leaves; NumPy {ref['nodes']} nodes / {ref['leaves']} leaves"))

    runs = [rust(T1_Q, "table1") for _ in range(repeat)]
    data = runs[0][2]
    refs = [numpy("table1", "25", "150", "4", "1", "50", "0.1") for _ in range(repeat)]
    ref = min(refs, key=lambda x: x["seconds"])
    ours_v = {r["init"]: r["v_measure_mean"] for r in data["table1"]}
    rows.append(("Table 1 protocol (25 × 150, 4 inits)", min(r[0] for r in runs), ref["seconds"], min(r[1] for r in runs), min(x["cpu"] for x in refs),
                 "V-measure ours " + ", ".join(f"{k} {v:.3f}" for k, v in ours_v.items())
                 + "; NumPy " + ", ".join(f"{k} {v:.3f}" for k, v in ref["v_measure"].items())))

    browser = {}
    if os.path.exists("dist/index.html") and not os.environ.get("NOBROWSER"):
        out = subprocess.run(["node", "tests/bench/workloads-browser.mjs", "hhd", "gpu"], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            r = json.loads(line)
            if "seconds" in r:
                browser[(r["impl"], r["part"])] = r["seconds"]
            else:
                print(f"browser {r['impl']} {r['part']}: {r.get('error')}", file=sys.stderr)
    else:
        print("no dist/ (trunk build --release) or NOBROWSER set: no browser columns", file=sys.stderr)

    print(f"hhd benchmark, {datetime.date.today()}, {cpu}, {os.cpu_count()} cores, load {load:.2f}, "
          f"{platform.python_implementation()} {platform.python_version()}, single-threaded, best of {repeat}")
    print()
    print("| case | native CLI wall (s) | NumPy wall (s) | ratio wall | native CPU (s) | NumPy CPU (s) | ratio CPU "
          "| browser CPU wall (s) | ratio | browser WebGPU wall (s) | ratio | notes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, r, n, rc, nc, note), part in zip(rows, ["hhd", "table1"]):
        cells = []
        for impl in ["browser-cpu", "browser-webgpu"]:
            b = browser.get((impl, part))
            cells += [f"{b:.2f}", f"{b / n:.2f}×"] if b else ["n/a", ""]
        print(f"| {name} | {r:.2f} | {n:.2f} | {r / n:.2f}× | {rc:.2f} | {nc:.2f} | {rc / nc:.2f}× | " + " | ".join(cells) + f" | {note} |")


if __name__ == "__main__":
    main()
