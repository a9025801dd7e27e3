#!/usr/bin/python3
"""sozai's PSD reading and writing checked by an independent reader, psd-tools.

Usage: psd_interop.py SOZAI TESTDATA
  read:  every fixture Debian's psd-tools opens (PSD-CHECK-psd-tools-*.tsv)
         is read by sozai, and sozai sees the same layer tree: names, kinds,
         bounds, visibility, opacity, blend modes, clipping.
  round trip: every 8- and 16-bit RGB fixture goes through
         `sozai in.psd -o out.psd`; psd-tools reads both and must find the
         same tree and the same pixels in every layer.
Prints Check-style summary lines.
"""
import json, logging, os, subprocess, sys, tempfile, warnings
import numpy as np
from psd_tools import PSDImage


def clean_name(name):
    # psd-tools leaves surrogate pairs unjoined and keeps a trailing NUL;
    # sozai joins the pairs and drops the NUL.
    name = name.encode("utf-16-be", "surrogatepass").decode("utf-16-be")
    return name[:-1] if name.endswith("\x00") else name


def blend_name(layer):
    # psd-tools answers None for a group whose 'lsct' block has no blend key
    # (the record's key applies then), and for keys it does not know (which
    # sozai reads as normal).
    mode = layer.blend_mode or layer._record.blend_mode
    return mode.name.lower().replace("_", "-") if mode else "normal"


def psdtools_tree(psd):
    """Bottom-first list of (kind, name, fields) over the whole tree."""
    out = []

    def walk(group):
        for layer in group:
            rec = layer._record
            entry = {
                "group": layer.is_group(),
                "name": clean_name(layer.name),
                "visible": bool(layer.visible),
                "opacity": int(layer.opacity),
                "blend": blend_name(layer),
                "clipping": bool(rec.clipping.value),
            }
            if not layer.is_group():
                w, h = rec.right - rec.left, rec.bottom - rec.top
                entry["bounds"] = (rec.left, rec.top, rec.right, rec.bottom) if w > 0 and h > 0 else None
            out.append(entry)
            if layer.is_group():
                walk(layer)
    walk(psd)
    return out


def sozai_tree(info):
    """The same list from `sozai info --json` (whose layers are top first)."""
    out = []

    def walk(layers):
        for l in reversed(layers):
            entry = {
                "group": l["kind"] == "group",
                "name": l["name"],
                "visible": l["visible"],
                "opacity": l["opacity"],
                "blend": l["blend"],
                "clipping": l["clipping"],
            }
            if l["kind"] != "group":
                w, h = l["width"], l["height"]
                entry["bounds"] = (l["x"], l["y"], l["x"] + w, l["y"] + h) if w and h else None
            out.append(entry)
            if l["kind"] == "group":
                walk(l["children"])
    walk(info["layers"])
    return out


def layer_pixels(psd):
    """Pixels of every non-group layer (channels as psd-tools decodes them)."""
    out = []
    for layer in psd.descendants():
        if layer.is_group():
            continue
        rec = layer._record
        if rec.right - rec.left <= 0 or rec.bottom - rec.top <= 0:
            out.append(None)
            continue
        out.append(layer.numpy())
    return out


def diff_trees(a, b):
    if len(a) != len(b):
        return f"{len(a)} layers vs {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        for k in x:
            if k == "bounds" and x.get(k) is None and y.get(k) is None:
                continue
            if x.get(k) != y.get(k):
                return f"layer {i} ({x['name']!r}): {k} {x.get(k)!r} vs {y.get(k)!r}"
    return None


def main():
    logging.disable(logging.CRITICAL)  # psd-tools reports every block it does not know
    warnings.simplefilter("ignore")
    sozai, data = sys.argv[1], sys.argv[2]
    tsv = [l.rstrip("\n").split("\t") for l in open(os.path.join(data, "PSD-CHECK-psd-tools-1.9.24.tsv"), encoding="utf-8")]
    fixtures = [(row[0], row) for row in tsv if row[1] == "OK" and row[0].startswith("psd/")]
    tmp = tempfile.mkdtemp()
    failures = []
    read_ok = rt_ok = rt_total = 0
    for rel, row in fixtures:
        path = os.path.join(data, rel)
        r = subprocess.run([sozai, path, "-q", "info", "--json"], capture_output=True, text=True)
        if r.returncode:
            failures.append(f"read {rel}: exit {r.returncode}: {r.stderr.strip()[:200]}")
            continue
        info = json.loads(r.stdout)
        psd = PSDImage.open(path)
        want = psdtools_tree(psd)
        flat = not want
        if flat:
            # A flat file: sozai makes its merged image the one layer.
            want = [{"group": False, "name": "Background", "visible": True, "opacity": 255,
                     "blend": "normal", "clipping": False, "bounds": (0, 0, psd.width, psd.height)}]
        d = diff_trees(want, sozai_tree(info))
        if d:
            failures.append(f"read {rel}: {d}")
            continue
        read_ok += 1
        depth, mode = row[4], row[5]
        if depth not in ("8bit", "16bit") or mode != "3":
            continue
        rt_total += 1
        out = os.path.join(tmp, "out.psb" if rel.endswith(".psb") else "out.psd")
        r = subprocess.run([sozai, path, "-q", "-o", out], capture_output=True, text=True)
        if r.returncode:
            failures.append(f"round trip {rel}: exit {r.returncode}: {r.stderr.strip()[:200]}")
            continue
        back = PSDImage.open(out)
        d = diff_trees(want, psdtools_tree(back))
        if not d and flat:
            # the merged image became a layer: compare it with psd-tools' composite
            scale = 65535 if psd.depth == 16 else 255
            p = np.rint(psd.numpy()[..., :3] * scale)
            q = np.rint(layer_pixels(back)[0][..., :3] * scale)
            if p.shape != q.shape or not np.array_equal(p, q):
                d = "the merged image differs from the written layer"
        elif not d:
            for i, (p, q) in enumerate(zip(layer_pixels(psd), layer_pixels(back))):
                if (p is None) != (q is None) or (p is not None and (p.shape != q.shape or not np.array_equal(p, q))):
                    d = f"pixels of layer {i} differ"
                    break
        if d:
            failures.append(f"round trip {rel}: {d}")
            continue
        rt_ok += 1
    # Colour modes psd-tools converts like sozai (gray, Lab; its CMYK is a
    # naive formula where sozai uses the embedded profile): same composite.
    # (The 16-bit fixtures hold a gradient fill layer only, which psd-tools
    # renders from its description and sozai keeps as a block.)
    modes = 0
    names = ("4x4_8bit_grayscale", "4x4_8bit_lab", "4x4_8bit_rgb")
    for name in names:
        path = os.path.join(data, "psd/psd-tools/colormodes", name + ".psd")
        out = os.path.join(tmp, "mode.pam")
        r = subprocess.run([sozai, path, "-q", "--depth", "8", "-o", out], capture_output=True)
        raw = open(out, "rb").read() if r.returncode == 0 else b""
        ours = np.frombuffer(raw[raw.index(b"ENDHDR\n") + 7:], np.uint8).reshape(4, 4, 4)[..., :3].astype(int) if raw else None
        ref = np.array(PSDImage.open(path).composite().convert("RGB")).astype(int)
        if ours is None or np.abs(ours - ref).max() > 2:
            failures.append(f"colour mode {name}: composite differs from psd-tools'")
        else:
            modes += 1
    print(f"colour modes converted like psd-tools (gray, Lab, RGB): {modes} of {len(names)}")
    # The merged image sozai writes is its composite over white (RLE 8-bit
    # and ZIP 16-bit).
    sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "character.psd")
    flat = os.path.join(tmp, "flat.pam")
    subprocess.run([sozai, sample, "-q", "-o", flat], check=True)
    raw = open(flat, "rb").read()
    c = np.frombuffer(raw[raw.index(b"ENDHDR\n") + 7:], np.uint8).reshape(600, 480, 4).astype(float)
    over_white = c[..., :3] * c[..., 3:] / 255 + 255 * (1 - c[..., 3:] / 255)
    merged_ok = 0
    for extra in ([], ["--compression", "zip", "--depth", "16"]):
        out = os.path.join(tmp, "merged.psd")
        subprocess.run([sozai, sample, "-q", "-o", out] + extra, check=True)
        m = np.array(PSDImage.open(out).topil().convert("RGB")).astype(float)
        if np.abs(m - over_white).max() > 1.5:
            failures.append(f"merged image {extra}: not the composite over white")
        else:
            merged_ok += 1
    print(f"merged images equal to the composite over white: {merged_ok} of 2")
    for f in failures:
        print("FAIL", f)
    print(f"psd-tools fixtures read with the same tree: {read_ok} of {len(fixtures)}")
    print(f"8/16-bit RGB round trips identical under psd-tools: {rt_ok} of {rt_total}")
    print(f"Checks: {len(fixtures) + rt_total + len(names) + 2}, Failures: {len(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
