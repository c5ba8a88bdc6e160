#!/usr/bin/env python3
"""Golden SSIM and Mean Gradient Error values for Packages/Losses/Tests/LossesTests -> losses_reference.json.

Fixtures only (the product never runs Python). Needs numpy, scipy and scikit-image (PyPI):
    pip install numpy scipy scikit-image
    python3 Packages/Losses/Tests/LossesTests/Fixtures/make_losses_reference.py
Written with numpy 2.4.6, scipy 1.17.1, scikit-image 0.26.0 (the versions are stored in the JSON).

Conventions (docs/losses.md), all in float64 on inputs that are exact in float32 (multiples of
2**-12 in [-1, 1], written exactly in decimal):

* SSIM: skimage.metrics.structural_similarity(x, y, data_range=2, gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False, full=True) per [H, W] plane. Its window radius is
  int(3.5*1.5 + 0.5) = 5 (11 x 11); it filters with scipy.ndimage (mode='reflect') and averages
  the map after cropping a border of 5.
    - "valid":     the cropped map S[5:-5, 5:-5] and its mean (= skimage's mssim; asserted);
    - "symmetric": the uncropped map S (filtering with mode='reflect' = half-sample symmetric
                   extension) and its mean.
  Cross-checked against an independent brute-force loop over the valid 11 x 11 windows.
* Sobel: Gv = scipy.ndimage.correlate(x, KV, mode=...), Gh likewise with KH, where
  KV = [[-1,-2,-1],[0,0,0],[1,2,1]] and KH = KV.T are applied as CORRELATION kernels
  (scipy.ndimage.convolve with the same kernels gives -Gv, -Gh: asserted).
  G = sqrt(Gv**2 + Gh**2 + EPS), EPS = 1e-6.
    - "symmetric": mode='reflect', maps [H, W];
    - "valid":     the symmetric maps cropped by 1 ([H-2, W-2]; interior pixels never read the border).
  MGE = mean over all map pixels (all planes) of (G(x) - G(y))**2.
* A case with several planes averages over all planes (equal sizes, so the mean of the plane means).
* saliency_model_m = 0.2*MSE + 0.2*MGE(symmetric) + 0.6*(1 - MSSIM(valid)).
"""
import json
import os

import numpy as np
import scipy
import skimage
from scipy import ndimage
from skimage.metrics import structural_similarity

SIGMA = 1.5
RADIUS = int(3.5 * SIGMA + 0.5)  # skimage: truncate = 3.5 -> 5
DATA_RANGE = 2.0
C1 = (0.01 * DATA_RANGE) ** 2
C2 = (0.03 * DATA_RANGE) ** 2
EPS = 1e-6
KV = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64)
KH = KV.T.copy()
QUANTUM = 2.0 ** -12


def quantize(a):
    """Round to multiples of 2**-12 in [-1, 1]: exact in float32 and in a short decimal."""
    return np.clip(np.round(np.asarray(a, dtype=np.float64) / QUANTUM) * QUANTUM, -1.0, 1.0)


def gaussian_taps():
    delta = np.zeros(2 * RADIUS + 1)
    delta[RADIUS] = 1.0
    return ndimage.gaussian_filter1d(delta, SIGMA, truncate=3.5, mode="constant")


def ssim_brute_force_valid(x, y):
    """Independent SSIM over valid windows: explicit weighted sums in each 11 x 11 window."""
    g = gaussian_taps()
    w = np.outer(g, g)
    k = 2 * RADIUS + 1
    h, wd = x.shape
    out = np.empty((h - k + 1, wd - k + 1))
    for i in range(h - k + 1):
        for j in range(wd - k + 1):
            px, py = x[i:i + k, j:j + k], y[i:i + k, j:j + k]
            mx, my = (w * px).sum(), (w * py).sum()
            vx = (w * (px - mx) ** 2).sum()
            vy = (w * (py - my) ** 2).sum()
            vxy = (w * (px - mx) * (py - my)).sum()
            out[i, j] = ((2 * mx * my + C1) * (2 * vxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))
    return out


def plane_reference(x, y):
    mssim, full = structural_similarity(
        x, y, data_range=DATA_RANGE, gaussian_weights=True, sigma=SIGMA,
        use_sample_covariance=False, full=True)
    valid = full[RADIUS:-RADIUS, RADIUS:-RADIUS]
    assert abs(valid.mean() - mssim) < 1e-14, (valid.mean(), mssim)
    brute = ssim_brute_force_valid(x, y)
    assert np.max(np.abs(brute - valid)) < 1e-12, np.max(np.abs(brute - valid))

    def sobel(a):
        gv = ndimage.correlate(a, KV, mode="reflect")
        gh = ndimage.correlate(a, KH, mode="reflect")
        assert np.allclose(ndimage.convolve(a, KV, mode="reflect"), -gv, rtol=0, atol=1e-12)
        assert np.allclose(ndimage.convolve(a, KH, mode="reflect"), -gh, rtol=0, atol=1e-12)
        return gv, gh, np.sqrt(gv * gv + gh * gh + EPS)

    gvx, ghx, mag_x = sobel(x)
    _, _, mag_y = sobel(y)
    return {
        "ssim_valid_map": valid, "ssim_symmetric_map": full,
        "sobel_vertical_x": gvx, "sobel_horizontal_x": ghx,
        "magnitude_x": mag_x, "magnitude_y": mag_y,
    }


def make_cases(rng):
    cases = []
    # 1. Random texture and a correlated, noisier partner (24 x 24).
    x = rng.uniform(-1, 1, (24, 24))
    y = 0.6 * x + 0.4 * rng.uniform(-1, 1, (24, 24))
    cases.append(("random", x[None, None], y[None, None]))

    # 2. Nuclei-like blobs on a dark background (20 x 28, not square) and an enhanced,
    #    slightly blurred and shifted version of it.
    yy, xx = np.mgrid[0:20, 0:28]
    x = np.full((20, 28), -0.8)
    for cy, cx, r, a in [(5, 6, 3.0, 1.2), (12, 17, 4.0, 0.9), (15, 5, 2.5, 0.7), (4, 22, 2.0, 1.0)]:
        x += a * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
    x += 0.05 * rng.standard_normal(x.shape)
    y = np.tanh(2.5 * (ndimage.gaussian_filter(np.roll(x, 1, axis=1), 0.8) + 0.3))
    cases.append(("blobs", x[None, None], y[None, None]))

    # 3. A batch of two images with two channels each (14 x 16): smooth random fields.
    x = np.empty((2, 2, 14, 16))
    y = np.empty_like(x)
    for n in range(2):
        for c in range(2):
            field = ndimage.gaussian_filter(rng.standard_normal((14, 16)), 2.0)
            field = field / np.abs(field).max()
            x[n, c] = 0.9 * field
            y[n, c] = 0.7 * field + 0.2 * rng.uniform(-1, 1, (14, 16)) - 0.1
    cases.append(("batch", x, y))

    # 4. A flat image (gradient magnitude sqrt(EPS) everywhere) against a ramp with noise (12 x 13).
    x = np.full((12, 13), 0.25)
    y = np.linspace(-0.5, 0.5, 13)[None, :] + 0.1 * rng.uniform(-1, 1, (12, 13))
    cases.append(("flat", x[None, None], y[None, None]))
    return [(name, quantize(x), quantize(y)) for name, x, y in cases]


def flat(a, exact=False):
    """Row-major values: 12 significant digits (far below the Swift tolerances), or exactly
    (shortest round-trip repr) for the inputs and the Sobel derivatives, which are multiples
    of 2**-12 below 8 in magnitude, hence exact in float32 and compared for equality."""
    values = np.asarray(a, dtype=np.float64).ravel()
    return [float(v) if exact else float(f"{v:.12g}") for v in values]


def main():
    rng = np.random.default_rng(20230221)
    out = {
        "generator": "make_losses_reference.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-image": skimage.__version__},
        "sigma": SIGMA, "radius": RADIUS, "data_range": DATA_RANGE, "epsilon": EPS,
        "gaussian_window": flat(gaussian_taps(), exact=True),
        "cases": [],
    }
    for name, x, y in make_cases(rng):
        n, c, h, w = x.shape
        planes = [plane_reference(x[i, j], y[i, j]) for i in range(n) for j in range(c)]

        def stack(key, crop=0):
            maps = [p[key] for p in planes]
            if crop:
                maps = [m[crop:-crop, crop:-crop] for m in maps]
            return np.stack(maps).reshape((n, c) + maps[0].shape)

        mag_x, mag_y = stack("magnitude_x"), stack("magnitude_y")
        mag_x_valid, mag_y_valid = stack("magnitude_x", 1), stack("magnitude_y", 1)
        ssim_valid = stack("ssim_valid_map")
        mse = float(np.mean((x - y) ** 2))
        mge = float(np.mean((mag_x - mag_y) ** 2))
        case = {
            "name": name, "shape": [n, c, h, w],
            "x": flat(x, exact=True), "y": flat(y, exact=True),
            "ssim_valid_map": flat(ssim_valid),
            "ssim_valid_mean": float(ssim_valid.mean()),
            "ssim_symmetric_map": flat(stack("ssim_symmetric_map")),
            "ssim_symmetric_mean": float(stack("ssim_symmetric_map").mean()),
            "sobel_vertical_x": flat(stack("sobel_vertical_x"), exact=True),
            "sobel_horizontal_x": flat(stack("sobel_horizontal_x"), exact=True),
            "magnitude_x": flat(mag_x), "magnitude_y": flat(mag_y),
            "mge_symmetric": mge,
            "mge_valid": float(np.mean((mag_x_valid - mag_y_valid) ** 2)),
            "mse": mse,
            "mae": float(np.mean(np.abs(x - y))),
            "saliency_model_m": 0.2 * mse + 0.2 * mge + 0.6 * (1 - float(ssim_valid.mean())),
        }
        out["cases"].append(case)
        print(f"{name}: shape {case['shape']}, MSSIM valid {case['ssim_valid_mean']:.6f}, "
              f"symmetric {case['ssim_symmetric_mean']:.6f}, MGE {mge:.6f}")
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "losses_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
