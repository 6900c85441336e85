#!/usr/bin/env python3
"""Convert scikit-learn's 8x8 digits into the compact asset crate/assets/digits8x8.bin.

Source: sklearn/datasets/data/digits.csv.gz inside the scikit-learn wheel
(BSD-3; UCI optical recognition of handwritten digits, E. Alpaydin 1998).
Output: 1797 records of 65 bytes: the label (0..9) then 64 pixels (0..16), row-major.
Run once: python3 crate/scripts/fetch_digits.py  (needs pip and the PyPI registry)
"""
import glob, gzip, os, subprocess, sys, tempfile, zipfile

VERSION = "1.9.1"
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "assets", "digits8x8.bin")
with tempfile.TemporaryDirectory() as tmp:
    subprocess.check_call([sys.executable, "-m", "pip", "download", f"scikit-learn=={VERSION}",
                           "--no-deps", "--only-binary=:all:", "-q", "-d", tmp])
    wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
    text = gzip.decompress(wheel.read("sklearn/datasets/data/digits.csv.gz")).decode()
rows = [list(map(int, map(float, line.split(",")))) for line in text.strip().split("\n")]
assert len(rows) == 1797 and all(len(r) == 65 for r in rows)
blob = bytearray()
for r in rows:
    blob.append(r[64])
    blob.extend(r[:64])
with open(out, "wb") as f:
    f.write(blob)
print(f"wrote {out}: {len(rows)} digits")
