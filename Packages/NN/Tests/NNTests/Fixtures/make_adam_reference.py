#!/usr/bin/env python3
"""Reference Adam trajectories for Packages/NN/Tests/NNTests/OptimizerTests.swift -> adam_reference.json.

Adam exactly as torch.optim.Adam (no weight decay, no AMSGrad), written out with numpy in float64:
    m <- b1*m + (1-b1)*g ;  v <- b2*v + (1-b2)*g*g
    p <- p - (lr / (1 - b1**t)) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)
The gradient at step t (1-based) for element i is a function of the current parameters, so the
whole trajectory is checked, not just one update:
    g_i = scale * (2*(p_i - c_i) + 0.1*sin(0.7*t + i))
Run: python3 make_adam_reference.py   (numpy only). The Swift test recomputes the same gradients
in Float32 and compares every step with a stated tolerance.
"""
import json
import math
import os

import numpy as np

CASES = [
    # name, lr, beta1, beta2, eps, scale (gradient scale), steps
    ("cyclegan", 2e-4, 0.5, 0.999, 1e-8, 1.0, 60),
    ("pytorch-default", 1e-3, 0.9, 0.999, 1e-8, 1.0, 60),
    ("large-lr", 5e-2, 0.9, 0.99, 1e-8, 1.0, 60),
    ("tiny-gradients", 1e-2, 0.9, 0.999, 1e-6, 1e-7, 40),  # eps dominates the denominator
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    initial = np.array([0.5, -1.25, 2.0, 0.0, -0.375, 1.5, -2.0], dtype=np.float64)
    center = np.array([1.0, 0.25, -0.5, 0.75, -1.0, 0.0, 2.5], dtype=np.float64)
    out = {"gradient": "g_i = scale*(2*(p_i - c_i) + 0.1*sin(0.7*t + i)), t = 1-based step", "cases": []}
    for name, lr, b1, b2, eps, scale, steps in CASES:
        p = initial.copy()
        m = np.zeros_like(p)
        v = np.zeros_like(p)
        trajectory = []
        for t in range(1, steps + 1):
            g = scale * (2 * (p - center) + 0.1 * np.sin(0.7 * t + np.arange(len(p))))
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            step_size = lr / (1 - b1 ** t)
            denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps
            p = p - step_size * m / denom
            trajectory.append([float(x) for x in p])
        out["cases"].append({
            "name": name, "lr": lr, "beta1": b1, "beta2": b2, "eps": eps, "scale": scale,
            "initial": [float(x) for x in initial], "center": [float(x) for x in center],
            "trajectory": trajectory,
        })
    with open(os.path.join(here, "adam_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
