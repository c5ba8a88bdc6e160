#!/usr/bin/env python3
"""Writes the MicroscopyIO test fixtures with independent writers (tifffile, imagecodecs, Pillow).

Run from anywhere:  python3 Packages/MicroscopyIO/Tests/MicroscopyIOTests/Fixtures/make_fixtures.py

Versions used to produce the checked-in files (others should give equivalent files; the Swift
tests only rely on expected.json and expected/*.raw, which this script writes alongside):
    Python 3.11.7, numpy 2.4.6, tifffile 2026.3.3, imagecodecs 2026.3.6, Pillow 13.0.0
    (pip install numpy tifffile imagecodecs pillow). The product itself never needs Python.

Outputs, all in this directory (a few tens of KB in total):
    *.tif / *.png      the fixtures
    expected/*.raw     the expected values of every fixture plane, little-endian, planes in
                       (t, z, c) loop order, i.e. plane index c + sizeC * (z + sizeZ * t), each
                       plane row-major (height rows x width columns); dtype given in expected.json
    expected.json      per fixture: geometry, metadata kind, sample type, expected file, dtype,
                       tolerance; the list of unsupported files; facts of the real OME-TIFF.

The facts of the real data set are computed from
    ../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff
relative to the repository root (the script fails if it is missing).
"""

import json
import os
import sys

import imagecodecs
import numpy as np
import PIL
import tifffile
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
REAL = os.path.join(REPO, "..", "shared", "data", "real", "scratch_assay",
                    "scratch-assay-labeled-10T-2Ch.tiff")
EXPECTED_DIR = os.path.join(HERE, "expected")

rng = np.random.default_rng(20240611)
fixtures = []
unsupported = []


def smooth(height, width, scale):
    """A smooth blob pattern plus noise, so that predictors and compression have work to do."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    base = np.sin(x / 5.0) * np.cos(y / 7.0) + 0.5 * np.sin((x + y) / 3.0)
    base = (base - base.min()) / (base.max() - base.min())
    return base * scale + rng.normal(0, scale * 0.02, size=(height, width))


def as_type(values, dtype):
    if np.dtype(dtype).kind == "f":
        return values.astype(dtype)
    info = np.iinfo(dtype)
    return np.clip(np.rint(values), info.min, info.max).astype(dtype)


def record(name, expected, *, reader="plane", sample_type, kind="plain", order="XYZCT",
           size_c=1, size_z=1, size_t=1, page_count=None, tolerance=0.0, raw_name=None):
    """expected: array (T, Z, C, Y, X) or (Y, X) of the values the Swift reader must return."""
    expected = np.asarray(expected)
    if expected.ndim == 2:
        expected = expected[np.newaxis, np.newaxis, np.newaxis]
    t, z, c, height, width = expected.shape
    assert (t, z, c) == (size_t, size_z, size_c), (name, expected.shape)
    dtype = {"u1": np.uint8, "u2": np.uint16, "u4": np.uint32, "f4": np.float32}[
        expected.dtype.str[1:] if expected.dtype.str[1:] in ("u1", "u2", "u4", "f4") else "f4"]
    raw = np.ascontiguousarray(expected.astype(dtype).astype(np.dtype(dtype).newbyteorder("<")))
    os.makedirs(EXPECTED_DIR, exist_ok=True)
    raw_name = raw_name or os.path.splitext(name)[0].replace(".ome", "") + ".raw"
    raw.tofile(os.path.join(EXPECTED_DIR, raw_name))
    fixtures.append({
        "file": name, "reader": reader, "width": int(width), "height": int(height),
        "sizeC": size_c, "sizeZ": size_z, "sizeT": size_t, "kind": kind, "order": order,
        "pageCount": page_count if page_count is not None else size_c * size_z * size_t,
        "sampleType": sample_type, "expected": "expected/" + raw_name,
        "dtype": np.dtype(dtype).str[1:], "tolerance": tolerance,
    })


def path(name):
    return os.path.join(HERE, name)


# --- Single-page TIFFs: LZW and deflate with predictor, 8/16-bit and float32, several strips. ---
H, W = 29, 37
for compression in ("lzw", "deflate"):
    for dtype, label, scale in ((np.uint8, "uint8", 250), (np.uint16, "uint16", 60000),
                                (np.float32, "float32", 3.5)):
        data = as_type(smooth(H, W, scale), dtype)
        if dtype == np.float32:
            data = (data - np.float32(1.25)).astype(np.float32)  # negative values too
        name = f"{compression}_{label}.tif"
        tifffile.imwrite(path(name), data, compression=compression,
                         predictor=True, rowsperstrip=8, metadata=None)
        page = tifffile.TiffFile(path(name)).pages[0]
        assert page.predictor in (2, 3) and len(page.dataoffsets) == 4, name
        record(name, data, sample_type=label)

# --- Tiled TIFFs (partial edge tiles), deflate. ---
data = as_type(smooth(35, 40, 50000), np.uint16)
tifffile.imwrite(path("tiled_uint16.tif"), data, tile=(16, 16), compression="deflate",
                 predictor=True, metadata=None)
record("tiled_uint16.tif", data, sample_type="uint16")
data = smooth(21, 18, 2.0).astype(np.float32)
tifffile.imwrite(path("tiled_float32.tif"), data, tile=(16, 16), metadata=None)
record("tiled_float32.tif", data, sample_type="float32")

# --- Byte orders and BigTIFF. ---
data = as_type(smooth(13, 11, 65000), np.uint16)
tifffile.imwrite(path("bigendian_uint16.tif"), data, byteorder=">", metadata=None)
record("bigendian_uint16.tif", data, sample_type="uint16")
data = smooth(12, 10, 1.0).astype(np.float32)
tifffile.imwrite(path("bigtiff_float32.tif"), data, bigtiff=True, compression="deflate",
                 predictor=True, metadata=None)
record("bigtiff_float32.tif", data, sample_type="float32")

# --- Min-is-white: the reader returns 255 - stored. ---
data = as_type(smooth(9, 14, 255), np.uint8)
tifffile.imwrite(path("miniswhite_uint8.tif"), data, photometric="miniswhite", metadata=None)
record("miniswhite_uint8.tif", (255 - data.astype(np.int32)).astype(np.uint8), sample_type="uint8")

# --- Plain multi-page stack without metadata: a Z stack. ---
stack = as_type(np.stack([smooth(10, 12, 4000) + 1000 * k for k in range(5)]), np.uint16)
tifffile.imwrite(path("plain_stack_uint16.tif"), stack, metadata=None, compression="lzw")
assert tifffile.TiffFile(path("plain_stack_uint16.tif")).pages[0].description == ""
record("plain_stack_uint16.tif", stack[np.newaxis, :, np.newaxis], sample_type="uint16",
       size_z=5)

# --- ImageJ hyperstack: T=2, Z=3, C=2 (pages: C fastest, then Z, then T). ---
C, Z, T = 2, 3, 2
hyper = np.empty((T, Z, C, 11, 13), np.uint16)
for t in range(T):
    for z in range(Z):
        for c in range(C):
            hyper[t, z, c] = as_type(smooth(11, 13, 3000) + 10000 * c + 1000 * z + 100 * t, np.uint16)
tifffile.imwrite(path("imagej_hyperstack_uint16.tif"), hyper, imagej=True,
                 metadata={"axes": "TZCYX"}, compression="deflate")
with tifffile.TiffFile(path("imagej_hyperstack_uint16.tif")) as f:
    assert f.is_imagej and f.imagej_metadata["channels"] == C and f.imagej_metadata["frames"] == T
record("imagej_hyperstack_uint16.tif", hyper, sample_type="uint16", kind="imageJ",
       order="XYCZT", size_c=C, size_z=Z, size_t=T)

# --- OME-TIFF with DimensionOrder XYZTC (axes CTZYX: Z fastest, then T, then C). ---
C, Z, T = 3, 2, 2
ome = np.empty((C, T, Z, 9, 15), np.float32)
for c in range(C):
    for t in range(T):
        for z in range(Z):
            ome[c, t, z] = smooth(9, 15, 1.0) + 10 * c + z + 0.5 * t
tifffile.imwrite(path("ome_xyztc_float32.ome.tif"), ome, ome=True,
                 metadata={"axes": "CTZYX"}, compression="lzw", predictor=True)
with tifffile.TiffFile(path("ome_xyztc_float32.ome.tif")) as f:
    assert 'DimensionOrder="XYZTC"' in f.pages[0].description
record("ome_xyztc_float32.ome.tif", np.transpose(ome, (1, 2, 0, 3, 4)), sample_type="float32",
       kind="ome", order="XYZTC", size_c=C, size_z=Z, size_t=T)

# --- Labels: uint16 and uint32 (with labels above 2^24, which Float cannot hold). ---
labels16 = np.zeros((17, 19), np.uint16)
labels16[2:6, 3:8] = 1
labels16[8:15, 1:5] = 65535
labels16[9:16, 10:18] = 300
tifffile.imwrite(path("labels_uint16.tif"), labels16, compression="deflate", metadata=None)
record("labels_uint16.tif", labels16, reader="labels", sample_type="uint16")
labels32 = np.zeros((16, 18), np.uint32)
labels32[1:5, 1:6] = 16777217            # 2^24 + 1
labels32[6:12, 2:9] = 4_000_000_001
labels32[3:14, 10:17] = 70000
labels32[15, :] = 4294967295
tifffile.imwrite(path("labels_uint32.tif"), labels32, compression="lzw", predictor=True,
                 metadata=None)
record("labels_uint32.tif", labels32, reader="labels", sample_type="uint32")

# --- PNGs: gray 8/16, RGB, RGBA, 16-bit RGB, palette, 1-bit gray. ---
def luma(rgb):
    rgb = rgb.astype(np.float64)
    return 0.2125 * rgb[..., 0] + 0.7154 * rgb[..., 1] + 0.0721 * rgb[..., 2]

gray8 = as_type(smooth(14, 17, 255), np.uint8)
with open(path("gray8.png"), "wb") as f:
    f.write(imagecodecs.png_encode(gray8))
record("gray8.png", gray8, sample_type="uint8")
gray16 = as_type(smooth(15, 16, 65535), np.uint16)
with open(path("gray16.png"), "wb") as f:
    f.write(imagecodecs.png_encode(gray16))
record("gray16.png", gray16, sample_type="uint16")
rgb8 = np.stack([as_type(smooth(13, 18, 255), np.uint8) for _ in range(3)], axis=-1)
with open(path("rgb8.png"), "wb") as f:
    f.write(imagecodecs.png_encode(rgb8))
record("rgb8.png", luma(rgb8).astype(np.float32), sample_type="uint8", tolerance=1e-4)
rgba8 = np.concatenate([rgb8, as_type(smooth(13, 18, 255), np.uint8)[..., np.newaxis]], axis=-1)
with open(path("rgba8.png"), "wb") as f:
    f.write(imagecodecs.png_encode(rgba8))
record("rgba8.png", luma(rgba8[..., :3]).astype(np.float32), sample_type="uint8", tolerance=1e-4)
rgb16 = np.stack([as_type(smooth(7, 9, 65535), np.uint16) for _ in range(3)], axis=-1)
with open(path("rgb16.png"), "wb") as f:
    f.write(imagecodecs.png_encode(rgb16))
record("rgb16.png", luma(rgb16).astype(np.float32), sample_type="uint16", tolerance=1e-4)
palette_rgb = rng.integers(0, 256, size=(16, 3), dtype=np.uint8)
indices = rng.integers(0, 16, size=(10, 12), dtype=np.uint8)
image = Image.fromarray(indices, mode="P")
image.putpalette(palette_rgb.flatten().tolist())
image.save(path("palette4.png"), bits=4)
with open(path("palette4.png"), "rb") as f:
    header = f.read(33)
assert header[24] == 4 and header[25] == 3, "expected a 4-bit palette PNG"
record("palette4.png", luma(palette_rgb[indices]).astype(np.float32), sample_type="uint8",
       tolerance=1e-4, raw_name="palette4_gray.raw")
# The same file read as labels gives the palette indices.
record("palette4.png", indices.astype(np.uint8), reader="labels", sample_type="uint8",
       raw_name="palette4_labels.raw")
bilevel = rng.integers(0, 2, size=(6, 11)).astype(bool)
Image.fromarray(bilevel).save(path("gray1bit.png"))
record("gray1bit.png", (bilevel * 255).astype(np.uint8), sample_type="uint8")
labels_png = np.zeros((8, 9), np.uint16)
labels_png[1:4, 1:4] = 7
labels_png[5:8, 2:9] = 40000
with open(path("labels16.png"), "wb") as f:
    f.write(imagecodecs.png_encode(labels_png))
record("labels16.png", labels_png, reader="labels", sample_type="uint16")

# --- Valid TIFFs in formats MicroscopyIO rejects (clear unsupportedFormat error expected). ---
def reject(name, data, reader="plane", **kwargs):
    tifffile.imwrite(path(name), data, metadata=None, **kwargs)
    unsupported.append({"file": name, "reader": reader})

reject("rgb_uint8.tif", np.stack([gray8] * 3, axis=-1), photometric="rgb")
reject("int8.tif", rng.integers(-100, 100, size=(5, 6)).astype(np.int8))
reject("int16.tif", rng.integers(-1000, 1000, size=(5, 6)).astype(np.int16))
reject("bilevel.tif", bilevel)
reject("float64.tif", rng.normal(size=(5, 6)))
reject("complex64.tif", (rng.normal(size=(4, 4)) + 1j).astype(np.complex64))
reject("uint12.tif", rng.integers(0, 4096, size=(5, 6)).astype(np.uint16), bitspersample=12)
assert tifffile.TiffFile(path("uint12.tif")).pages[0].bitspersample == 12
reject("float32_labels.tif", np.ones((4, 4), np.float32), reader="labels")
unsupported.append({"file": "rgb8.png", "reader": "labels"})

# --- Facts of the real OME-TIFF (read with tifffile, independent of the Swift reader). ---
if not os.path.exists(REAL):
    sys.exit(f"make_fixtures.py: the real OME-TIFF is missing: {REAL}")
with tifffile.TiffFile(REAL) as f:
    series = f.series[0]
    assert series.axes == "CTYX", series.axes
    real = series.asarray()
real_facts = {"relativePath": "../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff",
              "pageCount": 40, "width": int(real.shape[3]), "height": int(real.shape[2]),
              "sizeC": int(real.shape[0]), "sizeT": int(real.shape[1]), "order": "XYTCZ",
              "frames": []}
for t in range(real.shape[1]):
    hoechst = real[0, t]
    labels = real[2, t]
    real_facts["frames"].append({
        "t": t,
        "hoechstMin": int(hoechst.min()), "hoechstMax": int(hoechst.max()),
        "hoechstSum": int(hoechst.astype(np.int64).sum()),
        "labelCount": int(len(np.unique(labels[labels > 0]))),
        "labelMax": int(labels.max()),
    })

manifest = {
    "generator": {"python": sys.version.split()[0], "numpy": np.__version__,
                  "tifffile": tifffile.__version__, "imagecodecs": imagecodecs.__version__,
                  "pillow": PIL.__version__},
    "fixtures": fixtures,
    "unsupported": unsupported,
    "real": real_facts,
}
with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")

total = sum(os.path.getsize(os.path.join(root, name))
            for root, _, names in os.walk(HERE) for name in names)
print(f"wrote {len(fixtures)} fixtures, {len(unsupported)} unsupported files; "
      f"directory total {total} bytes")
