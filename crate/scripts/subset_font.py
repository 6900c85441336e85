#!/usr/bin/env python3
"""Make the figure font crate/assets/fonts/figure-sans.ttf: DejaVu Sans 2.37, subset to the
characters figures use (Latin, Greek, punctuation, sub/superscripts, arrows, math operators,
a few shapes).

One font serves every face of a figure, so that a figure laid out in Rust looks the same
on the page's canvas, in the SVG and in the CLI's PNG: Rust measures text with its advance
widths (ttf-parser), the page loads it with @font-face, and the CLI's rasteriser (resvg)
is given it. Source: DejaVuSans.ttf inside the matplotlib wheel (DejaVu fonts licence,
a Bitstream Vera derivative: free to redistribute and modify; see LICENSE-DejaVu.txt).
Run once: python3 crate/scripts/subset_font.py  (needs pip, the PyPI registry and fonttools)
"""
import glob, os, subprocess, sys, tempfile, zipfile

from fontTools import subset

MATPLOTLIB = "3.10.7"
RANGES = [(0x20, 0x7E), (0xA0, 0x17F), (0x300, 0x36F), (0x370, 0x3FF), (0x2010, 0x2044),
          (0x2070, 0x209F), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2300, 0x23FF),
          (0x25A0, 0x25FF), (0x2713, 0x2717), (0x27E8, 0x27E9)]
here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "assets", "fonts")
with tempfile.TemporaryDirectory() as tmp:
    subprocess.check_call([sys.executable, "-m", "pip", "download", f"matplotlib=={MATPLOTLIB}", "--no-deps",
                           "--only-binary=:all:", "-q", "-d", tmp])
    wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
    src = os.path.join(tmp, "DejaVuSans.ttf")
    with open(src, "wb") as f:
        f.write(wheel.read("matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf"))
    lic = [n for n in wheel.namelist() if n.endswith("LICENSE_DEJAVU")]
    if lic:
        with open(os.path.join(out_dir, "LICENSE-DejaVu.txt"), "wb") as f:
            f.write(wheel.read(lic[0]))
    opts = subset.Options()
    opts.layout_features = []  # no kerning: the canvas, SVG and PNG all advance glyph by glyph
    opts.hinting = False
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    font = subset.load_font(src, opts)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[c for lo, hi in RANGES for c in range(lo, hi + 1)])
    sub.subset(font)
    out = os.path.join(out_dir, "figure-sans.ttf")
    subset.save_font(font, out, opts)
print(f"wrote {out}: {os.path.getsize(out)} bytes")
