#!/usr/bin/env python3
"""Golden values for MetricsTests (fixtures only; the product never runs Python).

Writes golden.json beside this script:
  matching     for fixed (truth, prediction) label images and IoU thresholds 0.1 ... 0.9, every field of
               stardist.matching.matching(truth, pred, thresh) (stardist 0.9.2; its matching module
               needs numba/scipy/scikit-image but not TensorFlow), plus the foreground IoU
               |S & G| / |S | G| computed with numpy
  snr          (max inside truth - mean background) / std background (numpy, ddof 0) of a fixed image
  assignment   random cost matrices and the optimal total cost of scipy.optimize.linear_sum_assignment

Run:  pip install stardist  (into any environment with numpy/scipy/scikit-image), then
      python3 Packages/Metrics/Tests/MetricsTests/Fixtures/make_fixtures.py
Versions used for the checked-in file are recorded in it.
"""
import json
import os

import numpy as np
import scipy
import skimage
import stardist
from scipy.optimize import linear_sum_assignment
from stardist.matching import matching

HERE = os.path.dirname(os.path.abspath(__file__))
H, W = 40, 48
THRESHOLDS = [0.1, 0.3, 0.5, 0.7, 0.9]


def ellipses(rng, n, label_step=1):
    yy, xx = np.mgrid[0:H, 0:W]
    out = np.zeros((H, W), np.uint32)
    for k in range(n):
        cy, cx = rng.uniform(3, H - 3), rng.uniform(3, W - 3)
        a, b = rng.uniform(2, 6), rng.uniform(2, 6)
        out[((yy - cy) / a) ** 2 + ((xx - cx) / b) ** 2 <= 1] = (k + 1) * label_step
    return out


def main():
    rng = np.random.default_rng(7)
    truth = ellipses(rng, 10, label_step=3)          # labels 3, 6, ... (not consecutive)
    shifted = np.roll(truth, (1, 2), axis=(0, 1))
    # Split: cut every object in two along a column; merge: join two objects; plus false positives.
    split = truth.copy()
    split[:, ::7][split[:, ::7] > 0] = 0
    from skimage.measure import label as sklabel
    split = sklabel(split > 0, connectivity=1).astype(np.uint32)
    merged = truth.copy()
    vals = [v for v in np.unique(truth) if v]
    merged[merged == vals[1]] = vals[0]
    merged[merged == vals[3]] = vals[2]
    merged[30:34, 2:6] = 1000                        # a false positive (may overlap)
    dilated = np.zeros_like(truth)
    for v in vals:                                   # a rough dilation by one pixel per object
        m = truth == v
        d = m | np.roll(m, 1, 0) | np.roll(m, -1, 0) | np.roll(m, 1, 1) | np.roll(m, -1, 1)
        dilated[d & (dilated == 0)] = v + 100000     # labels above 2^16
    empty = np.zeros_like(truth)
    # Crowded overlaps where the assignment matters at low thresholds: a 3x3 grid of squares vs the
    # grid shifted by half a square.
    grid_t = np.zeros((H, W), np.uint32)
    grid_p = np.zeros((H, W), np.uint32)
    for i in range(3):
        for j in range(3):
            grid_t[4 + 10 * i:12 + 10 * i, 4 + 10 * j:12 + 10 * j] = 1 + 3 * i + j
            grid_p[7 + 10 * i:15 + 10 * i, 6 + 10 * j:14 + 10 * j] = 1 + 3 * i + j
    pairs = {"identical": (truth, truth), "shifted": (truth, shifted), "split": (truth, split),
             "merged": (truth, merged), "dilated": (truth, dilated), "grid": (grid_t, grid_p),
             "empty_prediction": (truth, empty), "empty_truth": (empty, truth), "both_empty": (empty, empty)}
    fields = ["tp", "fp", "fn", "precision", "recall", "accuracy", "f1", "n_true", "n_pred",
              "mean_true_score", "mean_matched_score", "panoptic_quality"]
    cases = []
    for name, (t, p) in pairs.items():
        s, g = p > 0, t > 0
        union = int((s | g).sum())
        iou = 1.0 if union == 0 else float((s & g).sum()) / union
        results = []
        for thr in THRESHOLDS:
            m = matching(t, p, thresh=thr)._asdict()
            results.append({"threshold": thr, **{k: float(m[k]) for k in fields}})
        cases.append({"name": name, "truth": [int(v) for v in t.ravel()], "prediction": [int(v) for v in p.ravel()],
                      "foreground_iou": iou, "results": results})

    image = rng.normal(100, 10, (H, W)).astype(np.float32) + 50 * (truth > 0)
    bg = image[truth == 0].astype(np.float64)
    snr = (float(image[truth > 0].max()) - bg.mean()) / bg.std()

    assignments = []
    for (r, c) in [(1, 1), (3, 3), (5, 7), (7, 5), (8, 8), (12, 9), (6, 15)]:
        costs = np.round(rng.normal(0, 1, (r, c)), 3)
        costs[rng.uniform(size=(r, c)) < 0.3] = 0
        ri, ci = linear_sum_assignment(costs)
        assignments.append({"rows": r, "columns": c, "costs": [float(v) for v in costs.ravel()],
                            "optimum": float(costs[ri, ci].sum())})

    out = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "skimage": skimage.__version__,
                        "stardist": stardist.__version__},
           "width": W, "height": H, "matching": cases,
           "snr": {"image": [float(v) for v in image.ravel()], "truth": [int(v) for v in truth.ravel()], "snr": snr},
           "assignment": assignments}
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    for c in cases:
        r = c["results"][2]
        print(f"{c['name']:18s} iou {c['foreground_iou']:.3f}  @0.5 tp {r['tp']:.0f} fp {r['fp']:.0f} fn {r['fn']:.0f} f1 {r['f1']:.3f}")


if __name__ == "__main__":
    main()
