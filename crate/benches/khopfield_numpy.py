#!/usr/bin/env python3
"""NumPy reference for the khopfield benchmark (crate/benches/khopfield.sh runs it beside
`cargo bench --bench khopfield`): the same computation on the same data — 1,000 probes
(every 10th MNIST digit, top half occluded) against all 10,000 digits, pixels in [0, 1],
beta = 3, k = 5, float32 similarities:

  1. similarities: dot = Q @ M.T (BLAS); -Manhattan = -|Q - M|.sum(-1) by broadcasting in
     chunks of probes (NumPy has no L1 kernel);
  2. ksoftmax, k = 5, vectorised over the probes in float64: the same bracket and the same
     safeguarded Newton iteration to |sum - k| <= 1e-9 as the Rust solver, on full arrays;
  3. outputs Xi @ ksoftmax_i and argmax: "dense" = one BLAS product with all weights
     (the natural NumPy form), "sparse" = per probe and column only the weights above 1e-30
     (what the Rust code does).

Prints one JSON line per similarity. Arguments: quick (100 probes against 2,000 digits),
dump=DIR (compare the retrieved indices with the Rust run's files there), label=NAME.
"""
import json
import os
import sys
import time

import numpy as np

BETA, K, TOL = 3.0, 5, 1e-9
quick = "quick" in sys.argv
dump = next((a[5:] for a in sys.argv if a.startswith("dump=")), None)
label = next((a[6:] for a in sys.argv if a.startswith("label=")), "numpy")
P, B = (2000, 100) if quick else (10000, 1000)

here = os.path.dirname(os.path.abspath(__file__))
raw = np.fromfile(os.path.join(here, "..", "assets", "mnist10k.bin"), dtype=np.uint8).reshape(10000, 785)
M = raw[:P, 1:].astype(np.float32) / np.float32(255.0)
Q = M[:: P // B][:B].copy()
Q[:, : 784 // 2] = 0.0  # top 14 rows occluded


def similarities(kind):
    if kind == "dot":
        return Q @ M.T
    out = np.empty((B, P), np.float32)
    step = 2
    for s in range(0, B, step):
        out[s : s + step] = -np.abs(Q[s : s + step, None, :] - M[None, :, :]).sum(-1)
    return out


def sigmoid(u):
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def solve(X, k):
    """lambda' (in the frame shifted by the k-th largest entry) for every row of X."""
    n = X.shape[1]
    part = -np.partition(-X, [k - 1, k], axis=1)
    xk, xk1 = part[:, k - 1], part[:, k]
    d = xk - xk1
    Z = X - xk[:, None]
    lo = np.full(X.shape[0], -np.log(n - k))
    hi = np.minimum(d + np.log(k), 800.0)
    lam = np.clip(0.5 * d, lo, hi)
    dx_old = hi - lo
    dx = dx_old.copy()
    active = np.arange(X.shape[0])
    for _ in range(200):
        if active.size == 0:
            break
        s = sigmoid(Z[active] + lam[active, None])
        g = s.sum(1) - k
        dg = (s * (1.0 - s)).sum(1)
        done = np.abs(g) <= 0.5 * TOL
        neg = g < 0
        lo[active] = np.where(neg, lam[active], lo[active])
        hi[active] = np.where(neg, hi[active], lam[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = g / dg
        cand = lam[active] - step
        ok = (dg > 0) & (cand > lo[active]) & (cand < hi[active]) & (np.abs(2 * g) <= np.abs(dx_old[active] * dg))
        exhausted = hi[active] <= np.nextafter(lo[active], np.inf)
        dx_old[active] = dx[active]
        half = 0.5 * (hi[active] - lo[active])
        new = np.where(ok, cand, lo[active] + half)
        dx[active] = np.where(ok, step, half)
        keep = ~(done | exhausted)
        lam[active] = np.where(keep, new, lam[active])
        active = active[keep]
    return lam, xk


def ksoftmax(X):
    """Columns ksoftmax_1..K as a (B, K, P) float32 array."""
    out = np.empty((X.shape[0], K, X.shape[1]), np.float32)
    prev = np.zeros_like(X)
    for k in range(1, K + 1):
        lam, xk = solve(X, k)
        cur = sigmoid(X - xk[:, None] + lam[:, None])
        out[:, k - 1, :] = cur - prev
        prev = cur
    return out


def timed(f):
    t = time.perf_counter()
    r = f()
    return r, time.perf_counter() - t


for kind in ["dot", "neg_manhattan"]:
    S, t_sims = timed(lambda: similarities(kind))
    KS, t_ks = timed(lambda: ksoftmax(BETA * S.astype(np.float64)))

    def dense():
        out = KS.reshape(B * K, P) @ M
        return out, KS.argmax(axis=2).reshape(-1)

    def sparse():
        total = 0.0
        for b in range(B):
            for i in range(K):
                w = KS[b, i]
                nz = np.flatnonzero(w > 1e-30)
                total += float((w[nz] @ M[nz]).sum(dtype=np.float64))
        return total, KS.argmax(axis=2).reshape(-1)

    (out, retrieved), t_dense = timed(dense)
    (sparse_sum, _), t_sparse = timed(sparse)
    line = {
        "impl": label,
        "similarity": kind,
        "probes": B,
        "memories": P,
        "sims_s": round(t_sims, 4),
        "ksoftmax_s": round(t_ks, 4),
        "outputs_dense_s": round(t_dense, 4),
        "outputs_sparse_s": round(t_sparse, 4),
        "total_s": round(t_sims + t_ks + min(t_dense, t_sparse), 4),
        "output_sum": round(float(out.sum(dtype=np.float64)), 6),
        "output_sum_sparse": round(sparse_sum, 6),
    }
    if dump:
        path = os.path.join(dump, f"retrieved_native-cpu_{kind}.txt")
        if os.path.exists(path):
            ours = np.loadtxt(path, dtype=np.int64).reshape(-1)
            line["agreement_with_rust"] = round(float((ours == retrieved).mean()), 4)
    print(json.dumps(line), flush=True)
