#!/usr/bin/env python3
"""Side-by-side look at SaliencyNet models on one frame of several sets (outputs of scripts/evaluate_saliencynet.sh).

Documentation only (the product never runs Python). Needs numpy, tifffile and Pillow.

    python3 scripts/figure_models.py OUT.png FRAME SET[,SET...] LABEL=EVALDIR [LABEL=EVALDIR ...]

One row per set (e.g. real,lowlight-p20-s1). Columns: the input with the reference outlines (green) and the
classical baseline's outlines (Gaussian sigma 2 + Otsu, red); then, per model, its enhanced image with its
SN + Otsu outlines (red) and the reference outlines (green). EVALDIR is an OUT folder of
evaluate_saliencynet.sh (SET/images, SET/masks, SET/enhanced, SET/gauss2+otsu, SET/sn+otsu). Each panel has its
own 1st-99.8th percentile stretch; a crop of CROP px (default 256) is shown, from the top-left corner or from
ORIGIN=ROW,COLUMN, enlarged ZOOM times (default 1; nearest neighbour, so pixels stay visible).
"""
import os
import sys

import numpy as np
import tifffile
from PIL import Image, ImageDraw


def plane(path):
    a = tifffile.imread(path).astype(np.float64)
    return a.reshape(-1, *a.shape[-2:])[0]


def gray(a):
    lo, hi = np.percentile(a, [1, 99.8])
    g = np.clip((a - lo) / (hi - lo + 1e-12), 0, 1) * 255
    return np.stack([g, g, g], axis=-1).astype(np.uint8)


def edges(labels):
    """Labelled pixels with a 4-neighbour of another label (each object's inner outline)."""
    e = np.zeros(labels.shape, bool)
    d = labels[1:, :] != labels[:-1, :]
    e[1:, :] |= d
    e[:-1, :] |= d
    d = labels[:, 1:] != labels[:, :-1]
    e[:, 1:] |= d
    e[:, :-1] |= d
    return e & (labels > 0)


def panel(image, outlines):
    rgb = gray(image)
    for labels, colour in outlines:
        rgb[edges(labels)] = colour
    return rgb


def main():
    out, frame, sets = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    models = [arg.split("=", 1) for arg in sys.argv[4:]]
    crop = int(os.environ.get("CROP", "256"))
    y0, x0 = (int(v) for v in os.environ.get("ORIGIN", "0,0").split(","))
    zoom = max(1, int(os.environ.get("ZOOM", "1")))
    green, red = (60, 220, 60), (235, 50, 50)
    rows = []
    for s in sets:
        first = models[0][1]
        name = frame + ".tif"
        truth = plane(os.path.join(first, s, "masks", name))
        cells = [panel(plane(os.path.join(first, s, "images", name)),
                       [(plane(os.path.join(first, s, "gauss2+otsu", name)), red), (truth, green)])]
        for _, folder in models:
            cells.append(panel(plane(os.path.join(folder, s, "enhanced", name)),
                               [(plane(os.path.join(folder, s, "sn+otsu", name)), red), (truth, green)]))
        cells = [c[y0:y0 + crop, x0:x0 + crop].repeat(zoom, axis=0).repeat(zoom, axis=1) for c in cells]
        rows.append(np.concatenate([np.pad(c, ((0, 4), (0, 4), (0, 0)), constant_values=255) for c in cells], axis=1))
    grid = np.concatenate(rows, axis=0)
    header = 18
    canvas = Image.new("RGB", (grid.shape[1], grid.shape[0] + header), "white")
    canvas.paste(Image.fromarray(grid), (0, header))
    draw = ImageDraw.Draw(canvas)
    titles = ["input, baseline (red)"] + [f"{label}: enhanced, SN+Otsu (red)" for label, _ in models]
    for i, t in enumerate(titles):
        draw.text((i * (crop * zoom + 4) + 3, 3), t, fill=(0, 0, 0))
    canvas.save(out)


if __name__ == "__main__":
    main()
