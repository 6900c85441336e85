#!/usr/bin/env python3
"""NumPy / scikit-learn reference of the hhd lab's two heavy protocols, for crate/benches/hhd.sh.

  hhd    Algorithm 1 (Hierarchical Hopfield Decomposition) on given MNIST digits: the same steps
         as crate/src/labs/hhd/hhd.rs — standardise (drop constant pixels, centre, unit variance),
         per node the eigenvalues of Q = sqrt(N/M) AA^T/N on the smaller side (numpy.linalg.eigh),
         spike count above gamma+, entropy removal when the count did not drop, synchronous
         recall S <- sign(W S) with W = AA^T/N - I (2-cycles detected, step cap), grouping by
         final state, recursion on groups of at least C_min samples, a node limit.
  table1 Table 1's protocol: random subsets of MNIST, standardised, k-means (scikit-learn,
         lloyd) from k-means++ and random (n_init restarts) and from PCA components, and from
         the prototypes of the k largest HHD leaves; V-measure, ARI, AMI.

Prints one JSON line: {"seconds": ..., ...summary}. Timing covers the computation only (not
imports or reading the asset). Run with OPENBLAS_NUM_THREADS=1 to compare with the
single-threaded Rust CLI.
"""
import json
import sys
import time

import numpy as np

ASSET = "crate/assets/mnist10k.bin"


def load_mnist():
    raw = np.fromfile(ASSET, dtype=np.uint8).reshape(10000, 785)
    return raw[:, 1:].astype(np.float64), raw[:, 0].astype(np.int64)


def standardise(x):
    mean = x.mean(0)
    sd = x.std(0)
    scale = np.abs(x).max()
    keep = sd > 1e-12 * max(scale, 1e-300)
    return (x[:, keep] - mean[keep]) / sd[keep]


def spectrum(a, want):
    n, m = a.shape
    r = np.sqrt(m / n)
    hi = r + 1 / r + 2
    scale = np.sqrt(n / m) / n
    if n < m:
        g = (a @ a.T) * scale
    else:
        g = (a.T @ a) * scale
    vals, vecs = np.linalg.eigh(g)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    spikes = int((vals > hi).sum())
    k = min(want(spikes), g.shape[0])
    v = vecs[:, :k]
    if n < m:
        v = a.T @ v
        v /= np.linalg.norm(v, axis=0, keepdims=True)
    # Orient towards the samples (mean projection positive; else largest entry positive).
    proj = (a @ v).sum(0)
    tot = np.abs(a @ v).sum(0)
    big = v[np.abs(v).argmax(0), np.arange(k)]
    flip = np.where(np.abs(proj) > 1e-9 * np.maximum(tot, 1e-300), proj < 0, big < 0)
    v[:, flip] *= -1
    return vals, v.T, spikes


def settle(a, steps):
    n = a.shape[0]
    w = (a.T @ a / n - np.eye(a.shape[1])).astype(np.float32).astype(np.float64)
    s = np.where(a >= 0, 1.0, -1.0)
    prev = np.zeros_like(s)
    status = np.zeros(n, dtype=np.int8)  # 0 running, 1 fixed, 2 cycle
    for _ in range(steps):
        act = np.flatnonzero(status == 0)
        if act.size == 0:
            break
        new = np.where(s[act] @ w >= 0, 1.0, -1.0)  # W symmetric: rows of S W^T
        same = (new == s[act]).all(1)
        cyc = (new == prev[act]).all(1) & ~same
        status[act[same]] = 1
        ch = act[~same]
        prev[ch] = s[ch]
        s[ch] = new[~same]
        status[act[cyc]] = 2
    keys = []
    for r in range(n):
        st = s[r]
        if status[r] == 2:
            other = np.where(w @ st >= 0, 1.0, -1.0)
            st = min(tuple(st), tuple(other))
        keys.append((int(status[r] != 1), tuple(st)))
    groups = {}
    for r, k in enumerate(keys):
        groups.setdefault(k, []).append(r)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def entropies(a, v):
    z = a @ v.T
    z -= z.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1)


def hhd(a, c_min, d_max, delta, removal, steps=100, max_nodes=1500, max_rounds=200):
    nodes = []
    stack = [(list(range(a.shape[0])), 0, None, None)]
    while stack:
        members, depth, r_prev, parent = stack.pop()
        node = {"depth": depth, "leaf": True, "spikes": 0, "removed": 0, "proto": None}
        nid = len(nodes)
        nodes.append(node)
        rounds = 0
        split = None
        while True:
            n = len(members)
            if n == 0:
                break
            sub = a[members]
            may = removal and depth < d_max and n >= c_min
            want = lambda r: r if (may and r > 1 and r_prev is not None and r >= r_prev) else 1
            vals, vecs, r = spectrum(sub, want)
            node["spikes"] = r
            node["proto"] = vecs[0] if len(vecs) else None
            if r <= 1 or depth >= d_max or n < c_min:
                break
            if r_prev is not None and r >= r_prev:
                if not removal or rounds >= max_rounds:
                    break
                h = entropies(sub, vecs[:r])
                keep = h < h.max() - delta
                node["removed"] += int((~keep).sum())
                members = [m for m, k in zip(members, keep) if k]
                rounds += 1
                continue
            split = (sub, r)
            break
        node["size"] = len(members)
        if split is not None:
            sub, r = split
            groups = settle(sub, steps)
            kids = [[members[k] for k in g] for g in groups if len(g) >= c_min]
            if len(nodes) + len(stack) + len(kids) > max_nodes:
                continue
            node["leaf"] = False
            for g in reversed(kids):
                stack.append((g, depth + 1, r, nid))
    return nodes


def metrics(nodes):
    leaves = [n for n in nodes if n["leaf"] and n["size"] > 0]
    k = max(len(leaves), 1)
    return {
        "nodes": len(nodes),
        "leaves": len(leaves),
        "mean_depth": sum(n["depth"] for n in leaves) / k,
        "mean_spikes": sum(n["spikes"] for n in leaves) / k,
        "multi_spike_leaves": sum(n["spikes"] > 1 for n in leaves),
        "mean_leaf_size": sum(n["size"] for n in leaves) / k,
    }


def table1(x_all, y_all, subsets, size, ninit, c_min, d_max, delta, seed=0):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, v_measure_score

    rng = np.random.default_rng(seed)
    k = len(np.unique(y_all))
    scores = {name: [] for name in ["k-means++", "random", "PCA-based", "HHD-based"]}
    for t in range(subsets):
        idx = np.sort(rng.choice(len(y_all), size, replace=False))
        x, y = standardise(x_all[idx]), y_all[idx]
        fits = {
            "k-means++": KMeans(k, init="k-means++", n_init=ninit, random_state=t).fit(x),
            "random": KMeans(k, init="random", n_init=ninit, random_state=t).fit(x),
            "PCA-based": KMeans(k, init=PCA(n_components=k).fit(x).components_, n_init=1).fit(x),
        }
        nodes = hhd(x, c_min, d_max, delta, True)
        leaves = sorted([n for n in nodes if n["leaf"] and n["size"] > 0 and n["proto"] is not None], key=lambda n: -n["size"])
        protos = np.array([n["proto"] for n in leaves[:k]])
        if len(protos) < k:
            from sklearn.cluster import kmeans_plusplus
            extra, _ = kmeans_plusplus(x, k, random_state=t)
            protos = np.concatenate([protos.reshape(-1, x.shape[1]), extra[: k - len(protos)]])
        fits["HHD-based"] = KMeans(k, init=protos, n_init=1).fit(x)
        for name, f in fits.items():
            scores[name].append((v_measure_score(y, f.labels_), adjusted_rand_score(y, f.labels_), adjusted_mutual_info_score(y, f.labels_)))
    return {name: [float(v) for v in np.mean(s, 0)] for name, s in scores.items()}


def main():
    what = sys.argv[1]
    x_all, y_all = load_mnist()
    if what == "hhd":
        idx = np.array(json.loads(sys.argv[2]), dtype=np.int64)
        c_min, d_max, delta = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        t0, c0 = time.perf_counter(), time.process_time()
        a = standardise(x_all[idx])
        nodes = hhd(a, c_min, d_max, delta, True)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print(json.dumps({"seconds": dt, "cpu": dc, **metrics(nodes)}))
    elif what == "table1":
        subsets, size, ninit, c_min, d_max, delta = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
        t0, c0 = time.perf_counter(), time.process_time()
        res = table1(x_all, y_all, subsets, size, ninit, c_min, d_max, delta)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        print(json.dumps({"seconds": dt, "cpu": dc, "v_measure": {k: v[0] for k, v in res.items()}}))


if __name__ == "__main__":
    main()
