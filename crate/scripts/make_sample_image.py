#!/usr/bin/env python3
"""Make the soft-k-means lab's sample image crate/assets/coffee96x64.png.

Source: skimage/data/coffee.png inside the scikit-image 0.26.0 wheel (600x400 RGB;
"No copyright restrictions. CC0 by the photographer (Rachel Michetti)", courtesy of
Pikolo Espresso Bar, per skimage.data.coffee's docstring).
Output: the photograph averaged over 6.25x6.25-pixel boxes (area-weighted) to 96x64,
rounded to 8-bit RGB, written as a plain PNG (8-bit RGB, filter 0, zlib level 9).
Needs only pip and the PyPI registry (the PNG is decoded here, no imaging library).
Run once: python3 crate/scripts/make_sample_image.py
"""
import glob, os, struct, subprocess, sys, tempfile, zipfile, zlib

VERSION = "0.26.0"
W, H = 96, 64
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "assets", "coffee96x64.png")


def decode_png(data):
    """8-bit RGB/RGBA non-interlaced PNG -> (width, height, rows of RGB bytes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[j] for j in range(stride) if j % bpp < 3))
        prev = line
    return w, h, rows


def encode_png(w, h, rgb):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def box_downscale(w, h, rows, W, H):
    """Area-weighted average of each output pixel's footprint in the source."""
    sx, sy = w / W, h / H
    out = bytearray()
    for Y in range(H):
        y0, y1 = Y * sy, (Y + 1) * sy
        for X in range(W):
            x0, x1 = X * sx, (X + 1) * sx
            acc, area = [0.0, 0.0, 0.0], 0.0
            for y in range(int(y0), min(h, int(-(-y1 // 1)))):
                wy = min(y + 1, y1) - max(y, y0)
                for x in range(int(x0), min(w, int(-(-x1 // 1)))):
                    wt = wy * (min(x + 1, x1) - max(x, x0))
                    p = rows[y][3 * x:3 * x + 3]
                    for c in range(3):
                        acc[c] += wt * p[c]
                    area += wt
            out.extend(int(round(a / area)) for a in acc)
    return bytes(out)


with tempfile.TemporaryDirectory() as tmp:
    subprocess.check_call([sys.executable, "-m", "pip", "download", f"scikit-image=={VERSION}",
                           "--no-deps", "--only-binary=:all:", "-q", "-d", tmp])
    wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
    png = wheel.read("skimage/data/coffee.png")
w, h, rows = decode_png(png)
assert (w, h) == (600, 400), (w, h)
small = box_downscale(w, h, rows, W, H)
with open(out, "wb") as f:
    f.write(encode_png(W, H, small))
print(f"wrote {out}: {W}x{H} RGB, {os.path.getsize(out)} bytes")
