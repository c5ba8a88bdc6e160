#!/usr/bin/env python3
"""Figure of the real-shapes-in-low-light sets (scripts/render_real_lowlight.sh, evaluate_real_lowlight.sh).

Documentation only (the product never runs Python). Needs numpy, tifffile and Pillow.

    python3 scripts/figure_real_lowlight.py out/real-lowlight docs/images/real-lowlight.png [FRAME] [SETS...]

One row per set (default p8-s1 p20-s1 p50-s1), for frame FRAME (default frame_0): the low-light image with the
reference outlines (green) | Gaussian sigma 2 + Otsu outlines (red) on the low-light image | the enhanced image
with SN + Otsu outlines (red). Each panel is shown with its own 1st-99.8th percentile stretch.
"""
import os
import sys

import numpy as np
import tifffile
from PIL import Image


def stretch(img):
    lo, hi = np.percentile(img, [1, 99.8])
    return np.clip((img.astype(np.float64) - lo) / max(hi - lo, 1e-12), 0, 1)


def edges(labels):
    """Inner boundaries: labelled pixels with a 4-neighbour of another label."""
    b = np.zeros(labels.shape, bool)
    for axis in (0, 1):
        for shift in (1, -1):
            n = np.roll(labels, shift, axis=axis)
            b |= (labels != n) & (labels > 0)
    return b


def panel(image, labels, color):
    gray = stretch(image)
    rgb = np.stack([gray] * 3, axis=-1)
    if labels is not None:
        rgb[edges(labels)] = color
    return rgb


def hjoin(panels, gap=4):
    h = panels[0].shape[0]
    parts = []
    for i, p in enumerate(panels):
        if i:
            parts.append(np.ones((h, gap, 3)))
        parts.append(p)
    return np.concatenate(parts, axis=1)


def main():
    root, out = sys.argv[1], sys.argv[2]
    frame = sys.argv[3] if len(sys.argv) > 3 else "frame_0"
    sets = sys.argv[4:] or ["p8-s1", "p20-s1", "p50-s1"]
    rows = []
    for s in sets:
        d = os.path.join(root, s)
        name = frame + ".tif"
        raw = tifffile.imread(os.path.join(d, "images", name))
        truth = tifffile.imread(os.path.join(d, "masks", name))
        gauss = tifffile.imread(os.path.join(d, "gauss2+otsu", name))
        enhanced = tifffile.imread(os.path.join(d, "enhanced", name))
        sn = tifffile.imread(os.path.join(d, "sn+otsu", name))
        rows.append(hjoin([panel(raw, truth, (0, 1, 0)), panel(raw, gauss, (1, 0, 0)), panel(enhanced, sn, (1, 0, 0))]))
    parts = []
    for i, r in enumerate(rows):
        if i:
            parts.append(np.ones((4, r.shape[1], 3)))
        parts.append(r)
    image = np.concatenate(parts, axis=0)
    Image.fromarray((image * 255).round().astype(np.uint8)).save(out)
    print(out)


if __name__ == "__main__":
    main()
