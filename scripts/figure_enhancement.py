#!/usr/bin/env python3
"""Before/after figures of docs/enhancement.md from the output folder of scripts/evaluate_enhancement.sh.

Documentation only (the product never runs Python). Needs numpy, scikit-image, tifffile, matplotlib
(scripts/requirements-validate.txt).

    OUT=out/eval scripts/evaluate_enhancement.sh
    python3 scripts/figure_enhancement.py out/eval docs/images

Writes enhancement-real-hoechst.png (real frames 0 and 9: raw | enhanced, Otsu outlines in red) and
enhancement-synthetic-source.png (synthetic source_0000: truth outlines in green | Otsu on raw | Otsu on
enhanced, in red). Each panel is shown with its own 1st-99.8th percentile stretch.
"""
import os
import sys

import matplotlib.image
import numpy as np
import tifffile
from skimage.segmentation import find_boundaries


def stretch(img):
    lo, hi = np.percentile(img, [1, 99.8])
    return np.clip((img.astype(np.float64) - lo) / max(hi - lo, 1e-12), 0, 1)


def panel(image_path, labels_path, color):
    gray = stretch(tifffile.imread(image_path))
    rgb = np.stack([gray] * 3, axis=-1)
    edges = find_boundaries(tifffile.imread(labels_path), mode="inner")
    rgb[edges] = color
    return rgb


def grid(rows, gap=4):
    """Panels side by side in each row, rows stacked, white gaps."""
    def hjoin(panels):
        h = panels[0].shape[0]
        parts = []
        for i, p in enumerate(panels):
            if i:
                parts.append(np.ones((h, gap, 3)))
            parts.append(p)
        return np.concatenate(parts, axis=1)
    lines = [hjoin(r) for r in rows]
    out = []
    for i, line in enumerate(lines):
        if i:
            out.append(np.ones((gap, line.shape[1], 3)))
        out.append(line)
    return np.concatenate(out, axis=0)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: figure_enhancement.py EVAL_DIR OUT_DIR")
    ev, out = sys.argv[1], sys.argv[2]
    red, green = (1.0, 0.2, 0.2), (0.3, 1.0, 0.3)
    real = [[panel(f"{ev}/real/images/frame_{t}.tif", f"{ev}/real/raw-otsu/frame_{t}.tif", red),
             panel(f"{ev}/real/enhanced/frame_{t}.tif", f"{ev}/real/enhanced-otsu/frame_{t}.tif", red)] for t in (0, 9)]
    matplotlib.image.imsave(os.path.join(out, "enhancement-real-hoechst.png"), grid(real))
    name = "source_0000.tif"
    synthetic = [[panel(f"{ev}/source/images/{name}", f"{ev}/source/masks/{name}", green),
                  panel(f"{ev}/source/images/{name}", f"{ev}/source/raw-otsu/{name}", red),
                  panel(f"{ev}/source/enhanced/{name}", f"{ev}/source/enhanced-otsu/{name}", red)]]
    matplotlib.image.imsave(os.path.join(out, "enhancement-synthetic-source.png"), grid(synthetic))


if __name__ == "__main__":
    main()
