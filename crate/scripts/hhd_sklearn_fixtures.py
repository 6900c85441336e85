#!/usr/bin/env python3
"""Expected values for the hhd lab's tests, computed once with scikit-learn.

Writes crate/src/labs/hhd/fixtures/sklearn.json:
- "metrics": label pairs with scikit-learn's v_measure_score, adjusted_rand_score and
  adjusted_mutual_info_score (average_method="arithmetic", the default);
- "kmeans": small data sets with given initial centres and what
  KMeans(init=centres, n_init=1, algorithm="lloyd") returns (labels, centres, inertia).

Run from the repository root:  pip install scikit-learn && python3 crate/scripts/hhd_sklearn_fixtures.py
The RNG below only makes the inputs; the outputs are scikit-learn's.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, v_measure_score

rng = np.random.default_rng(20261130)
cases = []


def add(t, p):
    t, p = [int(x) for x in t], [int(x) for x in p]
    cases.append({
        "truth": t,
        "pred": p,
        "v_measure": float(v_measure_score(t, p)),
        "ari": float(adjusted_rand_score(t, p)),
        "ami": float(adjusted_mutual_info_score(t, p)),
    })


# Random labelings of Table 1's shape (150 samples, 10 classes) and others.
for n, kt, kp in [(150, 10, 10), (150, 10, 7), (150, 4, 12), (40, 3, 3), (12, 2, 5), (300, 10, 10)]:
    add(rng.integers(0, kt, n), rng.integers(0, kp, n))
# Correlated labelings (a noisy copy), as a good clustering gives.
for n, k, noise in [(150, 10, 0.3), (150, 10, 0.6), (200, 5, 0.1)]:
    t = rng.integers(0, k, n)
    p = np.where(rng.random(n) < noise, rng.integers(0, k, n), (t * 7 + 3) % 11)
    add(t, p)
# Edge cases: one cluster, all singletons, one class, identical up to renaming, merged classes.
add([0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 0, 0])
add([0, 0, 1, 1, 2, 2], [0, 1, 2, 3, 4, 5])
add([3, 3, 3, 3], [0, 1, 0, 1])
add([0, 1, 1, 2, 2, 2], [5, 4, 4, 9, 9, 9])
add([0, 0, 1, 1, 2, 2, 3, 3], [0, 0, 0, 0, 1, 1, 1, 1])

km = []


def kmeans_case(x, init):
    # Inputs rounded to 4 decimals so the JSON is short and exact.
    x, init = np.round(x, 4), np.round(init, 4)
    m = KMeans(n_clusters=init.shape[0], init=init, n_init=1, algorithm="lloyd", max_iter=300, tol=1e-4).fit(x)
    km.append({
        "x": x.tolist(),
        "init": init.tolist(),
        "labels": [int(v) for v in m.labels_],
        "centres": np.round(m.cluster_centers_, 12).tolist(),
        "inertia": float(m.inertia_),
        "n_iter": int(m.n_iter_),
    })


# Three blobs in 3-D, started from three points of one blob (several iterations).
blobs = np.concatenate([rng.normal(c, 0.7, size=(30, 3)) for c in ([0, 0, 0], [4, 0, 1], [0, 5, -2])])
kmeans_case(blobs, blobs[[0, 1, 2]].copy())
# Standardised Gaussian data like a Table 1 subset (150 × 20), k = 6 from the first rows.
g = rng.normal(size=(150, 20)) + np.repeat(rng.normal(scale=1.5, size=(6, 20)), 25, axis=0)
g = (g - g.mean(0)) / g.std(0)
kmeans_case(g, g[:6].copy())
# Unit-vector centres (as the PCA- and HHD-based initialisations give).
u = rng.normal(size=(6, 20))
u /= np.linalg.norm(u, axis=1, keepdims=True)
kmeans_case(g, u)

out = {"sklearn_version": sklearn.__version__, "metrics": cases, "kmeans": km}
path = os.path.join(os.path.dirname(__file__), "..", "src", "labs", "hhd", "fixtures", "sklearn.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {path}: {len(cases)} label pairs, {len(km)} k-means cases (scikit-learn {sklearn.__version__})")
