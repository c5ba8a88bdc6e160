#!/usr/bin/env python3
"""Writes the calibration fixtures of MicroscopyIO's metadata tests with tifffile (an independent writer).

Run:  scripts/check_readers.sh --make-fixtures   (creates the pinned venv of scripts/requirements-readers.txt)
or    python3 Packages/MicroscopyIO/Tests/MicroscopyIOTests/Fixtures/make_calibration_fixtures.py

Versions used for the checked-in files: Python 3.11.7, numpy 2.4.6, tifffile 2026.3.3 (no imagecodecs:
the files are uncompressed). The product never needs Python.

Outputs, in this directory:
    calibrated_imagej_uint16.tif    ImageJ hyperstack, 2 channels x 3 slices x 2 frames, 12 x 10 px, pixel
                                    0.325 x 0.4 micron, Z spacing 1.5, frame interval 30 s, display range 10..900
    calibrated_gray_uint8.tif       ImageJ 2-D image, 9 x 7 px, pixel 0.1 x 0.1 mm, display range 5..200
    calibrated_ome_uint16.ome.tif   OME-TIFF, 3 channels (names DAPI, GFP, "A&B <x>") x 2 frames, 16 x 8 px,
                                    PhysicalSizeX/Y 0.619 µm, PhysicalSizeZ 2 µm, TimeIncrement 2.5 min
    calibration.json                what tifffile itself reads back from each file (the expectations)
"""

import json
import os

import numpy as np
import tifffile

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(12)
facts = {"tifffile": tifffile.__version__, "numpy": np.__version__, "files": {}}


def path(name):
    return os.path.join(HERE, name)


# ImageJ hyperstack: tifffile's axes TZCYX.
hyper = rng.integers(0, 1000, size=(2, 3, 2, 10, 12), dtype=np.uint16)
tifffile.imwrite(path("calibrated_imagej_uint16.tif"), hyper, imagej=True,
                 resolution=(1 / 0.325, 1 / 0.4),
                 metadata={"axes": "TZCYX", "unit": "um", "spacing": 1.5, "finterval": 30.0,
                           "min": 10.0, "max": 900.0})
gray = rng.integers(0, 255, size=(7, 9), dtype=np.uint8)
tifffile.imwrite(path("calibrated_gray_uint8.tif"), gray, imagej=True, resolution=(10.0, 10.0),
                 metadata={"unit": "mm", "min": 5.0, "max": 200.0})
# OME-TIFF: axes TCYX (DimensionOrder XYCZT).
ome = rng.integers(0, 4000, size=(2, 3, 8, 16), dtype=np.uint16)
tifffile.imwrite(path("calibrated_ome_uint16.ome.tif"), ome, ome=True,
                 metadata={"axes": "TCYX", "PhysicalSizeX": 0.619, "PhysicalSizeY": 0.619,
                           "PhysicalSizeXUnit": "µm", "PhysicalSizeYUnit": "µm",
                           "PhysicalSizeZ": 2.0, "PhysicalSizeZUnit": "µm",
                           "TimeIncrement": 2.5, "TimeIncrementUnit": "min",
                           "Channel": {"Name": ["DAPI", "GFP", "A&B <x>"]}})

for name in ["calibrated_imagej_uint16.tif", "calibrated_gray_uint8.tif", "calibrated_ome_uint16.ome.tif"]:
    with tifffile.TiffFile(path(name)) as f:
        page = f.pages[0]
        x = page.tags["XResolution"].value
        y = page.tags["YResolution"].value
        entry = {"x_resolution": x[0] / x[1], "y_resolution": y[0] / y[1],
                 "resolution_unit": int(page.tags["ResolutionUnit"].value) if "ResolutionUnit" in page.tags else None,
                 "shape": list(f.series[0].shape)}
        if f.is_imagej:
            entry["imagej"] = {k: v for k, v in f.imagej_metadata.items() if isinstance(v, (int, float, str))}
        if f.is_ome:
            pixels = tifffile.xml2dict(f.ome_metadata)["OME"]["Image"]["Pixels"]
            entry["ome"] = {k: pixels[k] for k in ["PhysicalSizeX", "PhysicalSizeY", "PhysicalSizeZ",
                                                   "PhysicalSizeXUnit", "TimeIncrement", "TimeIncrementUnit"]}
            entry["ome"]["ChannelNames"] = [c["Name"] for c in pixels["Channel"]]
        facts["files"][name] = entry
with open(path("calibration.json"), "w") as out:
    json.dump(facts, out, indent=1, sort_keys=True)
print(json.dumps(facts, indent=1, sort_keys=True))
