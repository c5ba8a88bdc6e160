#!/usr/bin/env python3
"""safetensors interop fixtures for Packages/NN/Tests/NNTests/SafeTensorsTests.swift.

Needs numpy and the PyPI `safetensors` package (pip install safetensors); fixtures only, the
product never runs Python.

1. Writes from_python.safetensors with the Python package; the Swift test loads it and checks
   every value and the metadata.
2. Verifies from_swift.safetensors (written by the Swift test `swiftFileIsReproducible`, which
   regenerates it deterministically and compares it byte for byte with the checked-in copy;
   set NN_REGENERATE_FIXTURES=1 to rewrite it) with the Python package: names, shapes, dtypes,
   values and metadata.

Both files use the same exactly representable values, element j of a tensor with seed k being
    ((j * 7 + k) % 17 - 8) / 4
so that no rounding can differ between languages.
"""
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))

SHAPES = {  # name: (shape, seed)
    "G.c1.weight": ([4, 1, 7, 7], 1),
    "G.c1.bias": ([4], 2),
    "G.res0.conv1.weight": ([4, 4, 3, 3], 3),
    "D.scalar": ([], 4),
    "D.empty": ([0, 3], 5),
}
METADATA = {
    "format_version": "1",
    "architecture": "interop-test",
    "hparams.ngf": "4",
    "normalization.low_percentile": "1.0",
    "training.lr": "0.0002",
    "training.note": "quote \" backslash \\ unicode µm",
}


def values(shape, seed):
    n = int(np.prod(shape)) if shape else 1
    j = np.arange(n, dtype=np.int64)
    return (((j * 7 + seed) % 17 - 8) / 4).astype(np.float32).reshape(shape)


def main():
    tensors = {name: values(shape, seed) for name, (shape, seed) in SHAPES.items()}
    save_file(tensors, os.path.join(HERE, "from_python.safetensors"), metadata=METADATA)
    print("wrote from_python.safetensors")

    path = os.path.join(HERE, "from_swift.safetensors")
    if not os.path.exists(path):
        print("from_swift.safetensors missing: run the Swift tests first", file=sys.stderr)
        sys.exit(1)
    with safe_open(path, framework="numpy") as f:
        assert f.metadata() == METADATA, f"metadata differs: {f.metadata()}"
        assert sorted(f.keys()) == sorted(SHAPES), f"names differ: {sorted(f.keys())}"
        for name, (shape, seed) in SHAPES.items():
            t = f.get_tensor(name)
            assert t.dtype == np.float32, f"{name}: dtype {t.dtype}"
            assert list(t.shape) == shape, f"{name}: shape {list(t.shape)} != {shape}"
            assert np.array_equal(t, values(shape, seed)), f"{name}: values differ"
    print("verified from_swift.safetensors")


if __name__ == "__main__":
    main()
