#!/usr/bin/env bash
# Times global Otsu + 8-connected labelling of a 2048 x 2048 image (Segmentation package, release build)
# against the issue's anchor, scikit-image's threshold_otsu + threshold + label on the same image.
# Not part of the test suite (timing never is). Usage: scripts/bench_otsu.sh [SIZE] [REPEATS]
#   SIZE defaults to 2048, REPEATS to 20; prints the median and minimum wall time per call.
# Builds a throw-away SwiftPM package in a temporary folder that depends on Packages/Segmentation by path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
size="${1:-2048}"
repeats="${2:-20}"
work="$(mktemp -d /tmp/sn-bench-otsu.XXXXXX)"
trap 'rm -rf "$work"' EXIT

cd "$root"
swift build -c release --product sn-synth >/dev/null
bin="$(swift build -c release --show-bin-path)"
"$bin/sn-synth" --style target --count 1 --size "$size" --seed 3 --out "$work/img" >/dev/null 2>&1
image="$work/img/images/target_0000.tif"

mkdir -p "$work/pkg/Sources/bench"
cat > "$work/pkg/Package.swift" <<SWIFT
// swift-tools-version:5.10
import PackageDescription
let package = Package(
    name: "bench",
    dependencies: [.package(path: "$root/Packages/Segmentation"), .package(path: "$root/Packages/MicroscopyIO")],
    targets: [.executableTarget(name: "bench", dependencies: [
        .product(name: "Segmentation", package: "Segmentation"),
        .product(name: "MicroscopyIO", package: "MicroscopyIO")])]
)
SWIFT
cat > "$work/pkg/Sources/bench/main.swift" <<'SWIFT'
import Foundation
import MicroscopyIO
import Segmentation

func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
let path = CommandLine.arguments[1], repeats = Int(CommandLine.arguments[2])!
let u16 = try readImage(path)
var f32 = u16; f32.sampleType = .float32
for (name, plane) in [("uint16", u16), ("float32", f32)] {
    var times: [Double] = [], count = 0
    for _ in 0..<(repeats + 2) {
        let t0 = now()
        let t = Otsu.threshold(plane)
        let labels = ConnectedComponents.label(plane, above: t, connectivity: .eight)
        times.append(now() - t0)
        count = Int(labels.maximumLabel)
    }
    times = Array(times.dropFirst(2)).sorted()
    print(String(format: "Swift Otsu + label (8-conn), %@ %dx%d: median %.1f ms, min %.1f ms, %d objects",
                 name, plane.width, plane.height, times[times.count / 2] * 1e3, times[0] * 1e3, count))
}
SWIFT
(cd "$work/pkg" && swift build -c release >/dev/null 2>&1 || swift build -c release)
"$work/pkg/.build/release/bench" "$image" "$repeats"

if python3 -c "import skimage, tifffile" 2>/dev/null || python3 -c "import skimage, imageio" 2>/dev/null; then
python3 - "$image" "$repeats" <<'PY'
import sys, time
import numpy as np
import skimage
from skimage.filters import threshold_otsu
from skimage.measure import label
try:
    import tifffile; img = tifffile.imread(sys.argv[1])
except ImportError:
    import imageio.v3 as iio; img = iio.imread(sys.argv[1])
repeats = int(sys.argv[2])
for name, a in [("uint16", img.astype(np.uint16)), ("float32", img.astype(np.float32))]:
    times = []
    for _ in range(repeats + 2):
        t0 = time.perf_counter(); l = label(a > threshold_otsu(a), connectivity=2); times.append(time.perf_counter() - t0)
    times = sorted(times[2:])
    print(f"scikit-image {skimage.__version__} threshold_otsu + label, {name} {a.shape[1]}x{a.shape[0]}: "
          f"median {times[len(times)//2]*1e3:.1f} ms, min {times[0]*1e3:.1f} ms, {l.max()} objects")
PY
else
  echo "(python3 with scikit-image and tifffile not found: skipping the anchor)"
fi
