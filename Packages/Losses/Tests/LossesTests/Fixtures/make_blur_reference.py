#!/usr/bin/env python3
"""Golden Gaussian blurs for Packages/Losses/Tests/LossesTests (GaussianBlur) -> blur_reference.json.

Fixtures only (the product never runs Python). Needs numpy and scipy (PyPI):
    pip install numpy scipy
    python3 Packages/Losses/Tests/LossesTests/Fixtures/make_blur_reference.py
Written with numpy 2.4.6 and scipy 1.17.1 (the versions are stored in the JSON).

Each case blurs every [H, W] plane of an NCHW array with
    scipy.ndimage.gaussian_filter(plane, sigma, mode="reflect", truncate=4.0)
in float64. Inputs are multiples of 2**-12 in [-1, 1], exact in float32 and in a short decimal.
The case "tiny" is smaller than the window, so the symmetric border reflects more than once.
"""
import json
import os

import numpy as np
import scipy
from scipy import ndimage

QUANTUM = 2.0 ** -12
CASES = [("small", [1, 1, 9, 11], 1.0), ("planes", [2, 2, 12, 10], 1.5), ("tiny", [1, 1, 3, 5], 2.0)]


def main():
    rng = np.random.default_rng(20261130)
    cases = []
    for name, shape, sigma in CASES:
        x = np.clip(np.round(rng.uniform(-1, 1, size=shape) / QUANTUM) * QUANTUM, -1, 1)
        y = np.empty_like(x)
        for n in range(shape[0]):
            for c in range(shape[1]):
                y[n, c] = ndimage.gaussian_filter(x[n, c], sigma, mode="reflect", truncate=4.0)
        cases.append({"name": name, "shape": shape, "sigma": sigma,
                      "input": [float(v) for v in x.ravel()], "blurred": [float(v) for v in y.ravel()]})
    out = {"generator": os.path.basename(__file__), "numpy": np.__version__, "scipy": scipy.__version__, "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "blur_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
