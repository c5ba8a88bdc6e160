#!/usr/bin/env python3
"""Golden values for SegmentationTests from scikit-image / scipy (fixtures only; the product never runs Python).

Writes golden.json beside this script: a few small fixed images (uint8, uint16, float32) and, per image,
  otsu            skimage.filters.threshold_otsu(image)            (Swift: Otsu.threshold, exact)
  labels8/labels4 skimage.measure.label(image > otsu, connectivity=2/1), flattened row-major
  count8/count4   number of components
  local           skimage.filters.threshold_local(image, 7, method="mean", offset=-3, mode="reflect")
  filled          scipy.ndimage.binary_fill_holes(image > otsu)     (cross structure: 4-connected holes)
  near_tie        a 16-bit image whose threshold_otsu is a near-tie (Float32 rounding decides it)
  small           skimage.morphology.remove_small_objects(labels8, max_size=MIN_AREA - 1) relabelled
                  sequentially (objects of fewer than MIN_AREA pixels removed)

Run:  python3 Packages/Segmentation/Tests/SegmentationTests/Fixtures/make_fixtures.py
Versions used for the checked-in file are recorded in it (numpy, scipy, scikit-image).
"""
import json
import os

import numpy as np
import scipy
import scipy.ndimage as ndi
import skimage
from skimage.filters import threshold_local, threshold_otsu
from skimage.measure import label
from skimage.morphology import remove_small_objects
from skimage.segmentation import relabel_sequential

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 40, 32
MIN_AREA = 6


def blobs(rng, background, bright, noise):
    """Ellipses (some touching diagonally, one ring with a hole) on a noisy background."""
    yy, xx = np.mgrid[0:H, 0:W]
    img = np.full((H, W), float(background))
    for _ in range(9):
        cy, cx = rng.uniform(0, H), rng.uniform(0, W)
        a, b = rng.uniform(1.2, 5), rng.uniform(1.2, 5)
        img[((yy - cy) / a) ** 2 + ((xx - cx) / b) ** 2 <= 1] = bright * rng.uniform(0.6, 1)
    ring = ((yy - 20) ** 2 + (xx - 30) ** 2 <= 25) & ((yy - 20) ** 2 + (xx - 30) ** 2 > 4)
    img[ring] = bright
    img[5, 5] = img[6, 6] = bright          # two pixels touching by a corner only
    return img + rng.normal(0, noise, img.shape)


def near_tie():
    """A 128 x 128 16-bit image (Poisson counts, gain 2, offset 100) whose Otsu threshold is a near-tie:
    scikit-image's partly-Float32 arithmetic picks a different level than plain Float64 would (found by
    scanning seeds; seed 99 is the first). Swift must reproduce scikit-image's choice."""
    yy, xx = np.mgrid[0:128, 0:128]
    rng = np.random.default_rng(99)
    lam = np.full((128, 128), 230.0)
    for _ in range(25):
        cy, cx, r = rng.uniform(0, 128), rng.uniform(0, 128), rng.uniform(3, 7)
        lam[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] += rng.uniform(150, 600)
    img = (2 * rng.poisson(lam) + np.round(rng.normal(100, 4, lam.shape))).astype(np.uint16)
    h = np.bincount(img.ravel()).astype(np.float64)
    lo, hi = np.nonzero(h)[0][[0, -1]]
    h, c = h[lo:hi + 1], np.arange(lo, hi + 1, dtype=np.float64)
    w1, w2 = np.cumsum(h), np.cumsum(h[::-1])[::-1]
    m1, m2 = np.cumsum(h * c) / w1, (np.cumsum((h * c)[::-1]) / w2[::-1])[::-1]
    float64_choice = c[np.argmax(w1[:-1] * w2[1:] * (m1[:-1] - m2[1:]) ** 2)]
    assert float64_choice != threshold_otsu(img), "not a near-tie any more"
    return img, float(float64_choice)


def main():
    rng = np.random.default_rng(20240611)
    images = {
        "uint16": np.clip(np.round(blobs(rng, 600, 3000, 60)), 0, 65535).astype(np.uint16),
        "uint8": np.clip(np.round(blobs(rng, 20, 200, 12)), 0, 255).astype(np.uint8),
        "float32": blobs(rng, -0.3, 1.7, 0.15).astype(np.float32),
        # A sparse histogram: few distinct, widely spaced values (ties inside empty bins).
        "uint16_sparse": (rng.choice([100, 101, 5000, 40000], size=(H, W), p=[0.5, 0.2, 0.2, 0.1])).astype(np.uint16),
    }
    out = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "skimage": skimage.__version__},
           "width": W, "height": H, "min_area": MIN_AREA, "block_size": 7, "offset": -3.0, "cases": []}
    for name, img in images.items():
        t = threshold_otsu(img)
        fg = img > t
        l8 = label(fg, connectivity=2)
        l4 = label(fg, connectivity=1)
        small = relabel_sequential(remove_small_objects(l8, max_size=MIN_AREA - 1))[0]
        local = threshold_local(img, 7, method="mean", offset=-3.0, mode="reflect")
        out["cases"].append({
            "name": name,
            "sample_type": "float32" if img.dtype == np.float32 else str(img.dtype),
            "pixels": [float(v) for v in img.ravel()],
            "otsu": float(t),
            "count8": int(l8.max()), "count4": int(l4.max()),
            "labels8": [int(v) for v in l8.ravel()], "labels4": [int(v) for v in l4.ravel()],
            "filled": [int(v) for v in ndi.binary_fill_holes(fg).ravel()],
            "small": [int(v) for v in small.ravel()],
            "local": [float(v) for v in local.ravel()],
        })
    # A constant image: threshold_otsu returns the value; no foreground.
    const = np.full((H, W), 777, np.uint16)
    out["constant"] = {"value": 777, "otsu": float(threshold_otsu(const)), "foreground": int((const > threshold_otsu(const)).sum())}
    tie, float64_choice = near_tie()
    out["near_tie"] = {"width": 128, "height": 128, "pixels": [int(v) for v in tie.ravel()],
                       "otsu": float(threshold_otsu(tie)), "float64_choice": float64_choice}
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    for c in out["cases"]:
        print(c["name"], "otsu", c["otsu"], "components 8/4:", c["count8"], c["count4"])


if __name__ == "__main__":
    main()
