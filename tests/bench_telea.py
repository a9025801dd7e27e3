#!/usr/bin/python3
"""Times OpenCV's Telea inpainting of the part and hidden region that
bench_complete leaves (the baseline `make bench` prints beside complete)."""
import sys, time
import cv2, numpy as np

part = cv2.imread(sys.argv[1], cv2.IMREAD_UNCHANGED)
mask = cv2.imread(sys.argv[2], cv2.IMREAD_UNCHANGED)
hidden = ((mask[..., 3] if mask.ndim == 3 and mask.shape[2] == 4 else mask) > 127).astype(np.uint8)
t0 = time.time()
cv2.inpaint(part[..., :3], hidden, 3, cv2.INPAINT_TELEA)  # colour
cv2.inpaint(part[..., 3], hidden, 3, cv2.INPAINT_TELEA)    # and shape (alpha)
t = time.time() - t0
print(f"telea (OpenCV {cv2.__version__}) {part.shape[1]}x{part.shape[0]}, same region: {t:.2f} s")
