#!/usr/bin/env python3
"""Runs every tool on calibrated ImageJ and OME-TIFF inputs and reads the TIFF outputs with tifffile WITHOUT
imagecodecs, checking shapes, dtypes, pixel values, calibration and names. Run it through
scripts/check_readers.sh (pinned venv). Writes OUT/expected.tsv for scripts/check_imagej.sh.

Inputs: MicroscopyIO's tifffile-written fixtures calibrated_imagej_uint16.tif (2 C x 3 Z x 2 T, 0.325 x 0.4 um,
Z 1.5, 30 s) and calibrated_ome_uint16.ome.tif (3 C x 2 T, 0.619 um, Z 2, 2.5 min), and the real OME-TIFF
../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff (4 C x 10 T, 0.619 um).
"""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import tifffile

assert importlib.util.find_spec("imagecodecs") is None, "imagecodecs must not be installed for this check"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TOOLS = os.environ.get("SN_TOOLS_DIR", os.path.join(ROOT, ".build", "release"))
FIX = os.path.join(ROOT, "Packages", "MicroscopyIO", "Tests", "MicroscopyIOTests", "Fixtures")
REAL = os.path.join(ROOT, "..", "shared", "data", "real", "scratch_assay", "scratch-assay-labeled-10T-2Ch.tiff")
OUT = os.path.abspath(sys.argv[1])
os.makedirs(OUT, exist_ok=True)
INPUTS = {
    "calibrated_imagej_uint16": dict(path=os.path.join(FIX, "calibrated_imagej_uint16.tif"), px=(0.325, 0.4), z=1.5, fi=30.0),
    "calibrated_ome_uint16": dict(path=os.path.join(FIX, "calibrated_ome_uint16.ome.tif"), px=(0.619, 0.619), z=2.0, fi=2.5),
    "scratch-assay-labeled-10T-2Ch": dict(path=REAL, px=(0.619, 0.619), z=1.0, fi=None),
}
failures = []
limitations = []
rows = []
manifest = []


def run(tool, args, inputs):
    cmd = [os.path.join(TOOLS, tool)] + args + inputs
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"{tool} {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return [line for line in r.stdout.splitlines() if line]


def channel(path, c):
    """Planes of channel c of an input, in (T, Z) order, squeezed, as tifffile reads them."""
    with tifffile.TiffFile(path) as f:
        s = f.series[0]
        a, axes = s.asarray(), s.axes
    for ax in "TZC":
        if ax not in axes:
            a, axes = a[np.newaxis], ax + axes
    a = np.moveaxis(a, [axes.index(x) for x in "TZCYX"], range(5))
    return np.squeeze(a[:, :, c])


def check(path, stem, expect_shape, dtype, values=None, tolerance=0, scaled=1.0, note=""):
    """Reads `path` with tifffile and checks it; adds a table row."""
    problems = []
    with tifffile.TiffFile(path) as f:
        page = f.pages[0]
        try:
            a = np.squeeze(f.series[0].asarray())
        except ValueError as error:
            # tifffile >= 2023 has no LZW decoder of its own: LZW needs imagecodecs (a reader limitation).
            if "imagecodecs" in str(error) and int(page.compression) == 5:
                limitations.append(f"{os.path.relpath(path, OUT)}: {error}")
                rows.append(f"| {os.path.relpath(path, OUT)} | - | 5/{int(page.predictor)} | - | {note} | "
                            f"not decoded: tifffile without imagecodecs has no LZW |")
                inp = INPUTS[stem]
                h, w = expect_shape[-2], expect_shape[-1]
                manifest.append(f"{path}\t{w}\t{h}\t{int(np.prod(expect_shape[:-2]))}\t{inp['px'][0] / scaled}\t{inp['px'][1] / scaled}")
                return
            raise
        ij = f.imagej_metadata or {}
        if f.is_ome or path.endswith(".ome.tif"):
            problems.append("OME name or OME-XML")
        x, y = page.tags.get("XResolution"), page.tags.get("YResolution")
        pw = x.value[1] / x.value[0] if x else None
        ph = y.value[1] / y.value[0] if y else None
        compression, predictor = int(page.compression), int(page.predictor)
    if tuple(a.shape) != tuple(expect_shape):
        problems.append(f"shape {a.shape} != {expect_shape}")
    if a.dtype != np.dtype(dtype):
        problems.append(f"dtype {a.dtype} != {dtype}")
    if values is not None and tuple(a.shape) == tuple(values.shape):
        diff = np.max(np.abs(a.astype(np.float64) - values.astype(np.float64))) if a.size else 0
        if diff > tolerance:
            problems.append(f"values differ by {diff} > {tolerance}")
    inp = INPUTS[stem]
    want = (inp["px"][0] / scaled, inp["px"][1] / scaled)
    if pw is None or abs(pw - want[0]) > 1e-6 * want[0] or abs(ph - want[1]) > 1e-6 * want[1]:
        problems.append(f"pixel size {pw} x {ph} != {want}")
    if ij.get("unit") not in ("micron", "um", "\u00b5m", "\\u00B5m"):
        problems.append(f"unit {ij.get('unit')!r}")
    if ij.get("spacing") != inp["z"]:
        problems.append(f"spacing {ij.get('spacing')} != {inp['z']}")
    if inp["fi"] is not None and ij.get("finterval") != inp["fi"]:
        problems.append(f"finterval {ij.get('finterval')} != {inp['fi']}")
    status = "ok" if not problems else "FAIL: " + "; ".join(problems)
    if problems:
        failures.append(f"{path}: {status}")
    rel = os.path.relpath(path, OUT)
    rows.append(f"| {rel} | {a.shape} {a.dtype} | {compression}/{predictor} | {pw and round(pw, 7)} x {ph and round(ph, 7)} {ij.get('unit')} | {note} | {status} |")
    h, w = a.shape[-2], a.shape[-1]
    manifest.append(f"{path}\t{w}\t{h}\t{int(np.prod(a.shape[:-2]))}\t{want[0]}\t{want[1]}")


paths = [v["path"] for v in INPUTS.values()]
ref = {k: channel(v["path"], 0) for k, v in INPUTS.items()}
labels_ref = channel(REAL, 2)

# sn-convert: every type and compression, channel 0 of all three inputs.
for compression in ["none", "lzw", "deflate"]:
    for kind in ["uint16", "uint8", "float32"]:
        for p in run("sn-convert", ["--channel", "0", "--type", kind, "--compression", compression,
                                    "--out", f"{OUT}/convert-{compression}-{kind}"], paths):
            stem = os.path.splitext(os.path.basename(p))[0]
            r = ref[stem]
            if kind == "uint8":
                lo, hi = float(r.min()), float(r.max())
                values, tol = np.round((r - lo) * 255.0 / (hi - lo)), 1
            else:
                values, tol = r.astype(np.float64), 0
            check(p, stem, r.shape, kind, values, tol, note=f"sn-convert --type {kind} --compression {compression}")
# sn-convert --labels and --scale.
for p in run("sn-convert", ["--channel", "2", "--labels", "--out", f"{OUT}/convert-labels"], [REAL]):
    check(p, "scratch-assay-labeled-10T-2Ch", labels_ref.shape, "uint16", labels_ref, 0, note="sn-convert --labels")
for p in run("sn-convert", ["--channel", "0", "--scale", "0.5", "--out", f"{OUT}/convert-scale"], paths):
    stem = os.path.splitext(os.path.basename(p))[0]
    r = ref[stem]
    shape = r.shape[:-2] + tuple(max(1, int(np.floor(n * 0.5 + 0.5))) for n in r.shape[-2:])
    check(p, stem, shape, "uint16", scaled=0.5 * 1.0, note="sn-convert --scale 0.5")
# sn-enhance and sn-segment on the converted 16-bit planes (the pipeline).
converted = sorted(os.path.join(f"{OUT}/convert-deflate-uint16", n) for n in os.listdir(f"{OUT}/convert-deflate-uint16"))
for kind in ["uint16", "float32"]:
    for p in run("sn-enhance", ["--type", kind, "--out", f"{OUT}/enhance-{kind}"], converted):
        stem = os.path.splitext(os.path.basename(p))[0]
        check(p, stem, ref[stem].shape, kind, note=f"sn-enhance --type {kind}")
for p in run("sn-segment", ["--out", f"{OUT}/segment-otsu"], sorted(
        os.path.join(f"{OUT}/enhance-uint16", n) for n in os.listdir(f"{OUT}/enhance-uint16"))):
    stem = os.path.splitext(os.path.basename(p))[0]
    check(p, stem, ref[stem].shape, "uint16", note="sn-segment --method otsu")
for p in run("sn-convert", ["--channel", "0", "--t", "0", "--out", f"{OUT}/real-frame"], [REAL]):
    for q in run("sn-segment", ["--method", "star", "--out", f"{OUT}/segment-star"], [p]):
        check(q, "scratch-assay-labeled-10T-2Ch", ref["scratch-assay-labeled-10T-2Ch"][0].shape, "uint16",
              note="sn-segment --method star (one frame)")
# sn-synth: no physical calibration (synthetic); images and masks must read.
synth = run("sn-synth", ["--count", "2", "--size", "64", "--stack", "3", "--out", f"{OUT}/synth"], [])
for p in synth:
    for q in [p, p.replace("/images/", "/masks/")]:
        a = tifffile.imread(q)
        ok = a.shape == (3, 64, 64) and a.dtype == np.uint16
        rows.append(f"| {os.path.relpath(q, OUT)} | {a.shape} {a.dtype} | - | - | sn-synth | {'ok' if ok else 'FAIL'} |")
        if not ok:
            failures.append(f"{q}: {a.shape} {a.dtype}")

print(f"tifffile {tifffile.__version__}, numpy {np.__version__}, imagecodecs not installed")
print("| output | shape, dtype (tifffile) | compression/predictor | pixel size (1/XResolution) unit | made by | check |")
print("| --- | --- | --- | --- | --- | --- |")
print("\n".join(rows))
with open(os.path.join(OUT, "expected.tsv"), "w") as f:
    f.write("\n".join(manifest) + "\n")
if limitations:
    print(f"\n{len(limitations)} LZW outputs not decodable by tifffile without imagecodecs (the default, deflate, is)")
if failures:
    print("\n".join(["FAILURES:"] + failures))
    sys.exit(1)
print(f"all {len(rows)} outputs read and checked; outputs in {OUT}")
