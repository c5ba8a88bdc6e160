#!/usr/bin/env python3
"""Validate sn-synth's synthetic sets: Otsu foreground IoU and SNR per style, and the real reference.

For each image of a set written by sn-synth (DIR/manifest.tsv, DIR/images/NAME.tif, DIR/masks/NAME.tif):

  IoU = |S & G| / |S | G|, S = image > threshold_otsu(image) (global Otsu on the raw 16-bit counts,
        skimage), G = mask > 0 (the union of the instance labels); for a Z stack, over all slices.
  SNR = (max intensity in G - mean of the background) / std of the background (background = not G,
        population std), the paper's definition; compared with the value sn-synth wrote in its manifest.

It prints, per style, the geometric mean of the IoU over images (the paper's Table 2 statistic), the
IoU and SNR quantiles, and the largest |SNR - manifest SNR|. With --check it exits 1 unless the
source style's geometric-mean IoU is below 0.6 and the target style's above 0.85.

--real PATH measures the real Hoechst time-lapse (OME-TIFF C,T,Y,X; channel 0 Hoechst, channel 2
nucleus labels) the same way, plus nucleus sizes, density and brightness spread: the numbers
docs/synthetic-data.md quotes. --figure writes IoU/SNR box plots; --masks DIR writes colour previews
of the first --samples masks of each style (the intensity previews come from sn-convert).

Requirements: scripts/requirements-validate.txt (numpy, scikit-image, tifffile, matplotlib).

Example (as in docs/synthetic-data.md):
  sn-synth --style source --count 1000 --seed 1 --out /tmp/syn/source
  sn-synth --style target --count 1000 --seed 2 --out /tmp/syn/target
  python3 scripts/validate_synth.py --source /tmp/syn/source --target /tmp/syn/target \
      --real ../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff \
      --figure docs/images/synth-validation.png --masks docs/images --check
"""
import argparse
import csv
import math
import os
import sys

import numpy as np
import tifffile
from skimage.filters import threshold_otsu
from skimage.measure import regionprops

SOURCE_LIMIT = 0.6   # the source style's geometric-mean Otsu IoU must be below this
TARGET_LIMIT = 0.85  # the target style's must be above this


def read_manifest(folder):
    """Returns (settings dict, list of row dicts) of DIR/manifest.tsv."""
    settings, lines = {}, []
    with open(os.path.join(folder, "manifest.tsv")) as f:
        for line in f:
            if line.startswith("#"):
                parts = line[1:].strip().split("\t", 1)
                if len(parts) == 2:
                    settings[parts[0].strip()] = parts[1]
            elif line.strip():
                lines.append(line.rstrip("\n"))
    rows = list(csv.DictReader(lines, delimiter="\t"))
    return settings, rows


def otsu_iou(image, truth):
    """Otsu foreground IoU of one image (any shape) against a boolean ground truth."""
    s = image > threshold_otsu(image)
    union = np.logical_or(s, truth).sum()
    return float(np.logical_and(s, truth).sum() / union) if union else 1.0


def snr(image, truth):
    """(max in truth - mean background) / std background."""
    background = image[~truth].astype(np.float64)
    return float((image[truth].max() - background.mean()) / background.std())


def nucleus_stats(image, labels):
    """Per-image nucleus statistics of a 2-D image: count, density per 1e4 px^2, equivalent diameters,
    eccentricities, per-nucleus mean above the background (relative to the brightest, and in robust
    background sd), and the SNR with the robust background sd (1.4826 MAD)."""
    truth = labels > 0
    background = image[~truth]
    median = np.median(background)
    robust_std = 1.4826 * np.median(np.abs(background - median))
    props = regionprops(labels.astype(np.int64), intensity_image=image)
    means = np.array([p.intensity_mean for p in props]) - background.mean()
    return dict(
        nuclei=len(props), density=len(props) / image.size * 1e4,
        diameters=[p.equivalent_diameter_area for p in props], eccentricities=[p.eccentricity for p in props],
        spread=means.min() / means.max(), p10=np.percentile(means, 10) / means.max(),
        dimmest=means.min() / robust_std, median_nucleus=np.median(means) / robust_std,
        robust_snr=(image[truth].max() - median) / robust_std, background=background.mean(), robust_std=robust_std)


def summarize_nuclei(stats):
    """Prints the size, shape, density and brightness figures of a list of nucleus_stats."""
    d = np.concatenate([s["diameters"] for s in stats])
    e = np.concatenate([s["eccentricities"] for s in stats])
    v = lambda key, q: np.percentile([s[key] for s in stats], q)
    print(f"  nuclei per image {v('nuclei', 0):.0f}-{v('nuclei', 100):.0f} (median {v('nuclei', 50):.0f}), "
          f"density {v('density', 0):.1f}-{v('density', 100):.1f} per 1e4 px^2 (median {v('density', 50):.1f})")
    print(f"  equivalent diameter median {np.median(d):.1f} px, 5-95% {np.percentile(d, 5):.1f}-{np.percentile(d, 95):.1f}; "
          f"eccentricity median {np.median(e):.2f}, 90% {np.percentile(e, 90):.2f}")
    print(f"  nucleus mean above background: dimmest / brightest median {v('spread', 50):.2f} (5-95% {v('spread', 5):.2f}-{v('spread', 95):.2f}), "
          f"10th percentile / brightest median {v('p10', 50):.2f}")
    print(f"  dimmest nucleus above background in robust background sd: median {v('dimmest', 50):.1f} "
          f"(5-95% {v('dimmest', 5):.1f}-{v('dimmest', 95):.1f}); median nucleus {v('median_nucleus', 50):.1f}")
    print(f"  SNR with the robust background sd (1.4826 MAD): median {v('robust_snr', 50):.1f} "
          f"(5-95% {v('robust_snr', 5):.1f}-{v('robust_snr', 95):.1f})")


def measure_set(folder):
    settings, rows = read_manifest(folder)
    ious, snrs, diffs, stats = [], [], [], []
    for row in rows:
        image = tifffile.imread(os.path.join(folder, row["image"])).astype(np.float64)
        labels = tifffile.imread(os.path.join(folder, row["mask"]))
        truth = labels > 0
        ious.append(otsu_iou(image, truth))
        value = snr(image, truth)
        snrs.append(value)
        if row["snr"] != "NA":
            diffs.append(abs(value - float(row["snr"])))
        if image.ndim == 2:
            stats.append(nucleus_stats(image, labels))
    return settings, rows, np.array(ious), np.array(snrs), (max(diffs) if diffs else float("nan")), stats


def geometric_mean(values):
    return float(math.exp(np.mean(np.log(np.maximum(values, 1e-6)))))


def describe(name, ious, snrs):
    q = lambda v: " / ".join(f"{x:.3g}" for x in np.percentile(v, [0, 5, 50, 95, 100]))
    print(f"{name}: {len(ious)} images")
    print(f"  Otsu IoU geometric mean {geometric_mean(ious):.3f}   (min / 5% / median / 95% / max: {q(ious)})")
    print(f"  SNR median {np.median(snrs):.1f}                (min / 5% / median / 95% / max: {q(snrs)})")


def measure_real(path):
    """Per-frame statistics of the real Hoechst time-lapse (channel 0 intensity, channel 2 labels)."""
    data = tifffile.imread(path)  # (C, T, Y, X)
    stats, ious, snrs, tiles = [], [], [], []
    for t in range(data.shape[1]):
        image = data[0, t].astype(np.float64)
        labels = data[2, t].astype(np.int64)
        truth = labels > 0
        stats.append(nucleus_stats(image, labels))
        ious.append(otsu_iou(image, truth))
        snrs.append(snr(image, truth))
        # Local density: nuclei centres per 1e4 px^2 in 96 x 70 px tiles (18 per frame).
        centres = np.array([p.centroid for p in regionprops(labels)])
        for y in range(0, image.shape[0] - 69, 70):
            for x in range(0, image.shape[1] - 95, 96):
                inside = ((centres[:, 0] >= y) & (centres[:, 0] < y + 70) & (centres[:, 1] >= x) & (centres[:, 1] < x + 96)).sum()
                tiles.append(inside / (70 * 96) * 1e4)
    print(f"real: {path}: {len(stats)} frames, {data.shape[3]} x {data.shape[2]} px (whole frames include the cell-free scratch)")
    summarize_nuclei(stats)
    tiles = np.array(tiles)
    print(f"  local density in 96 x 70 px tiles: median {np.median(tiles):.1f}, 75% {np.percentile(tiles, 75):.1f}, "
          f"90% {np.percentile(tiles, 90):.1f}, max {tiles.max():.1f} per 1e4 px^2")
    print(f"  SNR (paper's definition) {min(snrs):.1f}-{max(snrs):.1f} (median {np.median(snrs):.1f})")
    print(f"  background mean {min(s['background'] for s in stats):.0f}-{max(s['background'] for s in stats):.0f}, "
          f"robust sd {min(s['robust_std'] for s in stats):.1f}-{max(s['robust_std'] for s in stats):.1f}")
    print(f"  Otsu IoU geometric mean {geometric_mean(np.array(ious)):.3f} (min {min(ious):.3f}, max {max(ious):.3f})")
    return np.array(ious), np.array(snrs), np.array([s["robust_snr"] for s in stats])


def mask_preview(labels, path):
    """A colour preview of an instance mask: each label a pseudo-random colour, background black."""
    import matplotlib.pyplot as plt
    if labels.ndim == 3:
        labels = labels[labels.shape[0] // 2]
    rng = np.random.default_rng(7)
    colours = np.vstack([[0, 0, 0], rng.uniform(0.25, 1.0, size=(int(labels.max()) + 1, 3))])
    rgb = colours[np.where(labels > 0, labels + 1, 0)]
    plt.imsave(path, (rgb * 255).astype(np.uint8))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", help="folder written by sn-synth --style source")
    parser.add_argument("--target", help="folder written by sn-synth --style target")
    parser.add_argument("--real", help="the real OME-TIFF (C,T,Y,X; channel 0 Hoechst, 2 labels)")
    parser.add_argument("--figure", help="write IoU and SNR distributions to this PNG")
    parser.add_argument("--masks", help="write colour mask previews (NAME-mask.png, 'synth-' prepended unless NAME starts with it; middle slice of a stack) into this folder")
    parser.add_argument("--samples", type=int, default=3, help="mask previews per style (default 3)")
    parser.add_argument("--check", action="store_true", help="exit 1 unless source < 0.6 and target > 0.85")
    args = parser.parse_args()

    results = {}
    for style in ("source", "target"):
        folder = getattr(args, style)
        if not folder:
            continue
        settings, rows, ious, snrs, diff, stats = measure_set(folder)
        results[style] = (ious, snrs, np.array([s["robust_snr"] for s in stats]))
        describe(f"{style} ({folder}, seed {settings.get('seed')}, {settings.get('width')} x {settings.get('height')} "
                 f"x {settings.get('slices')} slices)", ious, snrs)
        print(f"  largest |SNR - manifest SNR| {diff:.2g}")
        if stats:
            summarize_nuclei(stats)
        if args.masks:
            os.makedirs(args.masks, exist_ok=True)
            for row in rows[:args.samples]:
                labels = tifffile.imread(os.path.join(folder, row["mask"]))
                name = row["name"] if row["name"].startswith("synth") else "synth-" + row["name"]
                mask_preview(labels, os.path.join(args.masks, f"{name}-mask.png"))
    real = measure_real(args.real) if args.real else None

    if args.figure:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, (left, right, robust) = plt.subplots(1, 3, figsize=(15, 5))
        names, iou_data, snr_data, robust_data = [], [], [], []
        for style, (ious, snrs, robust_snrs) in results.items():
            names.append(f"{style}\nn={len(ious)}\nGM IoU {geometric_mean(ious):.2f}")
            iou_data.append(ious)
            snr_data.append(snrs)
            robust_data.append(robust_snrs)
        if real is not None:
            names.append(f"real Hoechst\nn={len(real[0])}\nGM IoU {geometric_mean(real[0]):.2f}")
            iou_data.append(real[0])
            snr_data.append(real[1])
            robust_data.append(real[2])
        left.boxplot(iou_data, tick_labels=names)
        left.axhline(SOURCE_LIMIT, color="tab:red", ls="--", lw=1, label="source must be below (GM)")
        left.axhline(TARGET_LIMIT, color="tab:green", ls="--", lw=1, label="target must be above (GM)")
        left.set_ylabel("Otsu foreground IoU per image")
        left.set_ylim(0, 1)
        left.legend(loc="lower right", fontsize=8)
        right.boxplot(snr_data, tick_labels=names)
        right.set_yscale("log")
        right.set_ylabel("SNR = (max in nuclei - mean bg) / std bg")
        right.set_title("SNR, the paper's definition", fontsize=10)
        robust.boxplot(robust_data, tick_labels=names)
        robust.set_yscale("log")
        robust.set_ylabel("(max in nuclei - median bg) / (1.4826 MAD bg)")
        robust.set_title("SNR with a robust background sd", fontsize=10)
        from matplotlib.ticker import ScalarFormatter
        for axis in (right, robust):
            axis.yaxis.set_major_formatter(ScalarFormatter())
            axis.yaxis.set_minor_formatter(ScalarFormatter())
            axis.tick_params(axis="y", which="minor", labelsize=7)
        fig.suptitle("sn-synth styles: Otsu IoU and SNR per image")
        fig.tight_layout()
        fig.savefig(args.figure, dpi=90)
        print(f"wrote {args.figure}")

    if args.check:
        ok = True
        if "source" in results and not geometric_mean(results["source"][0]) < SOURCE_LIMIT:
            print(f"FAIL: source geometric-mean IoU is not below {SOURCE_LIMIT}")
            ok = False
        if "target" in results and not geometric_mean(results["target"][0]) > TARGET_LIMIT:
            print(f"FAIL: target geometric-mean IoU is not above {TARGET_LIMIT}")
            ok = False
        print("check: " + ("passed" if ok else "failed"))
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
