#!/usr/bin/env python3
"""NumPy reference for the kernel benchmark (tests/bench/run.sh runs it twice: with
OPENBLAS_NUM_THREADS=1 and with all threads). Prints one JSON line per measurement,
in the same form as `cargo bench --bench kernels`. float32, like the GPU path."""
import json, os, sys, time
import numpy as np

label = sys.argv[1] if len(sys.argv) > 1 else "numpy"
quick = "quick" in sys.argv
sizes = [(100, 100), (1000, 784)] if quick else [(100, 100), (1000, 784), (2000, 2000), (4000, 4000)]


def timeit(fn, budget):
    fn()
    t0 = time.perf_counter(); fn(); first = time.perf_counter() - t0
    reps = int(min(50, max(3, budget / max(first, 1e-6))))
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2]


def emit(kernel, shape, secs, flops):
    print(json.dumps({"kernel": kernel, "impl": label, "shape": shape, "seconds": secs, "gflops": round(flops / secs / 1e9, 2)}), flush=True)


rng = np.random.default_rng(1)
for p, n in sizes:
    x = rng.standard_normal((p, n), dtype=np.float32)
    emit("gram", f"{p}x{n}", timeit(lambda: x @ x.T, 2.0 if p >= 4000 else 0.5), 2.0 * p * p * n)

for n in ([256] if quick else [256, 1024]):
    p = n // 10
    pats = np.where(rng.standard_normal((p, n)) >= 0, 1.0, -1.0).astype(np.float32)
    w = pats.T @ pats
    np.fill_diagonal(w, 0)
    s0 = np.where(rng.standard_normal((n, n)) >= 0, 1.0, -1.0).astype(np.float32)

    def recall():
        s = s0
        for _ in range(10):
            s = np.where(s @ w.T >= 0, 1.0, -1.0).astype(np.float32)
        return s

    emit("hopfield_sync", f"N={n},B={n}", timeit(recall, 0.5), 2.0 * n * n * n * 10)
