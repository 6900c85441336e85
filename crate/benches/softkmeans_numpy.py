#!/usr/bin/env python3
"""NumPy reference for the soft-k-means benchmark (crate/benches/softkmeans.sh runs it in
the same run as `cargo bench --bench softkmeans`). One JSON line per measurement.

One update of Algorithm 1 (Jaffe 2024): D = ‖w_i − c_j‖ from ‖w‖² − 2wᵀc + ‖c‖²,
A = rowsoftmax(−D/τ), C⁺ = diag(Aᵀ1)⁻¹AᵀW, written with in-place operations (what a
careful NumPy user writes). float64 like the compute engine's CPU path, and float32."""
import json, sys, time
import numpy as np

quick = "quick" in sys.argv
m = 100_000 if quick else 1_000_000
k, tau = 16, 0.5


def update(W, C, tau, w2):
    D = W @ C.T                      # m×k
    D *= -2.0
    D += w2[:, None]
    D += (C * C).sum(1)[None, :]
    np.maximum(D, 0.0, out=D)
    np.sqrt(D, out=D)
    D *= -1.0 / tau
    D -= D.max(1, keepdims=True)
    np.exp(D, out=D)
    D /= D.sum(1, keepdims=True)     # A
    mass = D.sum(0)
    num = D.T @ W
    return num / mass[:, None]


def median(reps, fn):
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2]


rng = np.random.default_rng(7)
for d in (1, 3):
    means = 2.0 * rng.standard_normal((16, d))
    for dtype in (np.float64, np.float32):
        W = (means[np.arange(m) % 16] + 0.5 * rng.standard_normal((m, d))).astype(dtype)
        C = (W[:k] + 0.01).astype(dtype)
        w2 = (W * W).sum(1)
        update(W, C, tau, w2)
        secs = median(5, lambda: update(W, C, dtype(tau), w2))
        print(json.dumps({"bench": "iteration", "impl": f"numpy-{np.dtype(dtype).name}", "m": m, "k": k, "d": d,
                          "seconds": secs}), flush=True)
