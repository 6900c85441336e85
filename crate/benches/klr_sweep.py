#!/usr/bin/env python3
"""A straightforward NumPy (float64) implementation of the KLR Hopfield sweep protocol:
the reference the playground's native CLI and browser CPU path are timed against
(crate/benches/klr_sweep.sh). Same protocol as `hopfield run 'lab=klr&sweep=1'`:

- N = 100 neurons; loads P/N = linspace(0.1, 6, 30), P = max(1, round(load*N));
  gamma = logspace(-4, 1, 30); seed 42. Patterns: the first P rows of one draw of
  max(P) random +-1 patterns (so one Gram serves every cell of a column).
- Kernel K = exp(-gamma * ||xi_mu - xi_nu||^2) = exp(-gamma (2N - 2 G)).
- Kernel logistic regression by full-batch gradient descent from alpha = 0,
  eta = 0.1, lambda = 0.01, at most 300 epochs; loss
  L = sum softplus(-Xi*H) + lambda/2 sum alpha*H, H = K alpha, gradient K (R + lambda alpha),
  R = -Xi * sigmoid(-Xi*H). Stops when |L_t - L_{t-1}| <= 1e-6 |L_{t-1}|; a loss above
  its starting value P N ln 2 is divergence: the cell stops and reports no numbers
  (--diverge continue runs the budget out instead).
- Per cell: lambda_max(K) and the start curvature lambda_max(K)^2/4 + lambda lambda_max(K);
  the forces at every stored pattern (F_d = -H, F_i in closed form), Pinnacle Sharpness,
  rho, ||F_i||/||F_d|| at pattern 0 and their medians; singular values of alpha and its
  stable rank; lambda_max(alpha^T K alpha); synchronous recall of 10 probes (patterns 0..9,
  20% of bits flipped, at most 30 steps, success = a fixed point equal to the pattern).

Usage: python3 klr_sweep.py [--grid 30] [--diverge stop|continue] [--csv OUT]
       [--patterns FILE.json]  (the `patterns` of `hopfield run ... --part network` to
       reproduce the CLI's cells exactly; the probes still differ, so recall is not compared)
"""
import argparse
import json
import math
import sys
import time
import warnings

import numpy as np


def softplus(z):
    return np.logaddexp(0.0, z)


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def train_gd(K, X, lam, lr, epochs, tol, diverge):
    P, N = X.shape
    alpha = np.zeros((P, N))
    H = np.zeros((P, N))
    losses = []
    status, div_epoch = "budget", None
    prev = alpha
    for t in range(epochs + 1):
        if t > 0:
            H = K @ alpha
        Y = X * H
        L = softplus(-Y).sum() + 0.5 * lam * (alpha * H).sum()
        losses.append(L)
        if not np.isfinite(L) or not np.isfinite(H).all():
            alpha = prev
            return alpha, K @ alpha, losses, "diverged", div_epoch or t, False
        if t > 0:
            if L > losses[0] and div_epoch is None:
                div_epoch = t
                if diverge == "stop":
                    alpha = prev
                    return alpha, K @ alpha, losses, "diverged", t, False
            if tol > 0 and div_epoch is None and abs(losses[t - 1] - L) <= tol * abs(losses[t - 1]):
                status = "converged"
                break
        if t == epochs:
            break
        R = -X * sigmoid(-Y)
        prev = alpha
        alpha = alpha - lr * (K @ (R + lam * alpha))
    if div_epoch is not None:
        status = "diverged"
    return alpha, H, losses, status, div_epoch, True


def forces(X, alpha, H, K, gamma):
    Fd = -H
    W = K * (X @ alpha.T)
    np.fill_diagonal(W, 0.0)
    plus = (X > 0).astype(float)
    Ap = W @ plus
    Am = W @ (1.0 - plus)
    Fi = 4.0 * gamma * X * np.where(X > 0, Am, Ap)
    dd = (Fd * Fd).sum(1)
    ii = (Fi * Fi).sum(1)
    di = (Fd * Fi).sum(1)
    M = ((Fd + Fi) ** 2).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = di / (np.sqrt(dd) * np.sqrt(ii))
        ratio = np.sqrt(ii / dd)
    return M, dd, ii, rho, ratio


def recall(X, alpha, gamma, probes, max_steps):
    N = X.shape[1]
    S = probes.copy()
    B = S.shape[0]
    before = [None] * B
    steps = np.zeros(B, int)
    conv = np.zeros(B, bool)
    active = list(range(B))
    while active and max_steps > 0:
        A = S[active]
        Kb = np.exp(-gamma * (2 * N - 2 * (A @ X.T)))
        new = np.where(Kb @ alpha >= 0, 1.0, -1.0)
        still = []
        for r, i in enumerate(active):
            steps[i] += 1
            if np.array_equal(new[r], S[i]):
                conv[i] = True
                continue
            old = S[i].copy()
            S[i] = new[r]
            if before[i] is not None and np.array_equal(new[r], before[i]):
                continue
            before[i] = old
            if steps[i] < max_steps:
                still.append(i)
        active = still
    return S, steps, conv


def cell(Xall, G, n, P, gamma, a, probes_all):
    X = Xall[:P]
    K = np.exp(-gamma * (2 * n - 2 * G[:P, :P]))
    lam_k = np.linalg.eigvalsh(K)[-1]
    curv = lam_k * lam_k / 4 + a.lam * lam_k
    alpha, H, losses, status, div_epoch, numbers = train_gd(K, X, a.lam, a.lr, a.epochs, a.tol, a.diverge)
    out = dict(gamma=gamma, load=P / n, p=P, status=status, diverged_epoch=div_epoch,
               final_loss=losses[-1] if numbers else losses[-2] if len(losses) > 1 else losses[0],
               kernel_lambda_max=lam_k, curvature_start=curv, curvature_ok=bool(curv < 2 / a.lr))
    nan = float("nan")
    if not numbers:
        out.update(sharpness=nan, rho=nan, force_ratio=nan, force_direct_sq=nan, force_indirect_sq=nan,
                   sharpness_median=nan, rho_median=nan, stable_rank=nan, lambda_max=nan, recall_success=nan)
        return out
    M, dd, ii, rho, ratio = forces(X, alpha, H, K, gamma)
    sv = np.linalg.svd(alpha, compute_uv=False)
    lam_max = np.linalg.eigvalsh(alpha.T @ H)[-1]
    probes = probes_all[: min(a.tests, P)]
    S, steps, conv = recall(X, alpha, gamma, probes, a.steps)
    success = np.mean([conv[i] and np.array_equal(S[i], X[i]) for i in range(len(probes))])
    out.update(sharpness=M[0], rho=rho[0], force_ratio=ratio[0], force_direct_sq=dd[0], force_indirect_sq=ii[0],
               sharpness_median=float(np.median(M)), rho_median=float(np.nanmedian(rho)),
               stable_rank=float((sv ** 2).sum() / sv[0] ** 2), lambda_max=float(lam_max),
               recall_success=float(success))
    return out


def main():
    # ρ is undefined (NaN) where F_i underflows to exactly 0 (large γ); its median is NaN then.
    warnings.filterwarnings("ignore", message="All-NaN slice encountered")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--grid", type=int, default=30, help="cells per axis (the author: 30)")
    ap.add_argument("--gmin", type=float, default=1e-4)
    ap.add_argument("--gmax", type=float, default=10.0)
    ap.add_argument("--lmin", type=float, default=0.1)
    ap.add_argument("--lmax", type=float, default=6.0)
    ap.add_argument("--lam", type=float, default=0.01)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--diverge", choices=["stop", "continue"], default="stop")
    ap.add_argument("--flip", type=float, default=0.2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--tests", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--patterns", help="JSON file with a 'patterns' field (P rows of N +-1)")
    ap.add_argument("--csv", help="write one row per cell here")
    a = ap.parse_args()

    n = a.n
    gammas = np.logspace(math.log10(a.gmin), math.log10(a.gmax), a.grid)
    loads = np.linspace(a.lmin, a.lmax, a.grid)
    Ps = [max(1, int(round(l * n))) for l in loads]
    rng = np.random.default_rng(a.seed)
    if a.patterns:
        Xall = np.array(json.load(open(a.patterns))["patterns"], dtype=float)
        assert Xall.shape[0] >= max(Ps) and Xall.shape[1] == n, Xall.shape
    else:
        Xall = rng.choice([-1.0, 1.0], size=(max(Ps), n))
    probes = np.array(Xall[: a.tests])
    k = int(round(a.flip * n))
    for mu in range(len(probes)):
        idx = rng.choice(n, size=k, replace=False)
        probes[mu, idx] *= -1

    t0 = time.perf_counter()
    G = Xall @ Xall.T
    rows = []
    for gamma in gammas:
        for P in Ps:
            rows.append(cell(Xall, G, n, P, gamma, a, probes))
    elapsed = time.perf_counter() - t0
    div = sum(r["status"] == "diverged" for r in rows)
    print(json.dumps({"cells": len(rows), "diverged": div, "seconds": elapsed}))
    if a.csv:
        keys = list(rows[0].keys())
        with open(a.csv, "w") as f:
            f.write(",".join(keys) + "\n")
            for r in rows:
                f.write(",".join("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                                 for v in (r[k] for k in keys)) + "\n")


if __name__ == "__main__":
    sys.exit(main())
