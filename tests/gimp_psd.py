#!/usr/bin/python3
"""GIMP 2.10 opens PSDs written by sozai with the layers sozai wrote.

Usage: gimp_psd.py SOZAI TESTDATA SAMPLE TMPDIR
Several documents (the sample, groups, nesting, a mask, 16 bits) go
through `sozai in -o out.psd`, and the sample through `complete`; one batch GIMP session loads every output
and lists its layer tree (names, groups, offsets, sizes), which must be the
tree `sozai out.psd info --json` describes.
"""
import json, os, subprocess, sys

SCHEME = r'''
(define (dump-items items prefix port)
  (for-each
    (lambda (l)
      (let* ((name (car (gimp-item-get-name l)))
             (off (gimp-drawable-offsets l))
             (group (= 1 (car (gimp-item-is-group l)))))
        (display (string-append prefix name "\t" (if group "group" "layer") "\t"
                                (number->string (car off)) "\t" (number->string (cadr off)) "\t"
                                (number->string (car (gimp-drawable-width l))) "\t"
                                (number->string (car (gimp-drawable-height l))) "\n") port)
        (if group (dump-items (vector->list (cadr (gimp-item-get-children l))) (string-append prefix name "/") port))))
    items))
(define (dump in out)
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE in in)))
         (port (open-output-file out)))
    (dump-items (vector->list (cadr (gimp-image-get-layers image))) "" port)
    (close-output-port port)
    (gimp-image-delete image)))
'''


def expected(info):
    rows = []

    def walk(layers, prefix):
        for l in layers:  # info lists top first, as GIMP does
            group = l["kind"] == "group"
            rows.append((prefix + l["name"], "group" if group else "layer",
                         None if group or not l["width"] else (l["x"], l["y"], l["width"], l["height"])))
            if group:
                walk(l["children"], prefix + l["name"] + "/")
    walk(info["layers"], "")
    return rows


def main():
    sozai, data, sample, tmp = sys.argv[1:5]
    # (each as read and written; the sample also as `complete` leaves it,
    # with the new strokes and the fills on layers of their own, and
    # layers with masks, whose fills take their masks)
    inputs = [(sample, []), (sample, ["complete", "--to-layer", "new"]),
              (os.path.join(data, "psd/ag-psd/read/groups/src.psd"), []),
              (os.path.join(data, "psd/ag-psd/read/nested/src.psd"), []),
              (os.path.join(data, "psd/ag-psd/read/layer-mask/src.psd"), []),
              (os.path.join(data, "psd/ag-psd/read/16bits/src.psd"), []),
              (os.path.join(data, "psd/psd-tools/layers/group.psd"), []),
              (os.path.join(data, "psd/psd-tools/layer_mask_data.psd"), ["complete"])]
    script = [SCHEME]
    jobs = []
    for i, (src, ops) in enumerate(inputs):
        out = os.path.join(tmp, f"g{i}.psd")
        subprocess.run([sozai, src, *ops, "-q", "-o", out], check=True)
        info = json.loads(subprocess.run([sozai, out, "info", "--json"], capture_output=True, text=True, check=True).stdout)
        listing = os.path.join(tmp, f"g{i}.txt")
        script.append(f'(dump "{out}" "{listing}")')
        jobs.append((src, expected(info), listing))
    script.append("(gimp-quit 0)")
    r = subprocess.run(["gimp-console-2.10", "-i", "-d", "-f", "-b", "-"], input="\n".join(script),
                       capture_output=True, text=True, timeout=600)
    failures = 0
    for src, want, listing in jobs:
        if not os.path.exists(listing):
            print(f"FAIL {src}: GIMP did not open it ({r.stderr[-300:]})")
            failures += 1
            continue
        got = []
        for line in open(listing, encoding="utf-8"):
            name, kind, x, y, w, h = line.rstrip("\n").split("\t")
            got.append((name, kind, (int(x), int(y), int(w), int(h))))
        ok = len(got) == len(want) and all(
            g[0] == w[0] and g[1] == w[1] and (w[2] is None or g[2] == w[2]) for g, w in zip(got, want))
        if not ok:
            print(f"FAIL {src}: GIMP saw {got}, sozai wrote {want}")
            failures += 1
        else:
            print(f"GIMP opened {os.path.basename(os.path.dirname(src))}/{os.path.basename(src)} as written: "
                  f"{len(got)} layers/groups, names and offsets equal")
    print(f"Checks: {len(jobs)}, Failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
