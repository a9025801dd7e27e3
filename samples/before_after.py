#!/usr/bin/python3
"""Draws samples/before-after.png for the README: each part of the sample
as cut (top row) and with what `sozai complete` added (bottom row).

usage: before_after.py COMPLETED.psd OUT.png   (run by `make before-after`)
"""
import sys
from PIL import Image
from psd_tools import PSDImage

psd = PSDImage.open(sys.argv[1])
layers = {l.name: l for l in psd}


def part(names):
    im = Image.new("RGBA", (psd.width, psd.height), (236, 240, 250, 255))
    for l in psd:  # bottom first
        if l.name in names:
            im.alpha_composite(l.topil().convert("RGBA"), (l.left, l.top))
    return im


parts = [n for n in ("back hair", "face", "body") if n in layers]
out = Image.new("RGBA", (psd.width * len(parts), psd.height * 2), (255, 255, 255, 255))
for i, n in enumerate(parts):
    out.paste(part([n]), (i * psd.width, 0))
    out.paste(part([n + " (fill)", n]), (i * psd.width, psd.height))
out.resize((out.width // 2, out.height // 2), Image.LANCZOS).convert("RGB").save(sys.argv[2], optimize=True)
