#!/usr/bin/env bash
# The main job: installs what is needed, builds the tools in release mode, and runs the chain of
# tools that exists so far on the embedded default data. Outputs go to out/demo/ (override with OUT=DIR).
#
# Today the chain is:
#   1. sn-synth makes the default data: small unpaired sets of low-light (source style) and salient
#      (target style) synthetic nuclei images with their instance masks, deterministically from a seed;
#   2. sn-convert turns them into 8-bit PNG previews (one pipeline: sn-synth | sn-convert);
#   3. sn-convert extracts the Hoechst nuclei channel and the reference labels of the real OME-TIFF
#      time-lapse in ../shared/data/real/ (when present) as plain 16-bit TIFF stacks;
#   4. sn-bench measures the GEMM and convolution throughput the training engine rests on.
# Enhancement, segmentation and scoring join the chain as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release >&2
bin=$(swift build -c release --show-bin-path)
out=${OUT:-out/demo}
mkdir -p "$out"

echo "demo: making the default synthetic data (source and target style, 8 images each)" >&2
"$bin/sn-synth" --style source --count 8 --seed 1 --out "$out/synth/source" \
    | "$bin/sn-convert" --type uint8 --format png --out "$out/preview/source"
"$bin/sn-synth" --style target --count 8 --seed 2 --out "$out/synth/target" \
    | "$bin/sn-convert" --type uint8 --format png --out "$out/preview/target"

real=../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff
if [ -f "$real" ]; then
    echo "demo: extracting nuclei (channel 0) and reference labels (channel 2) from $real" >&2
    echo "$real" | "$bin/sn-convert" --channel 0 --out "$out/nuclei"
    echo "$real" | "$bin/sn-convert" --channel 2 --labels --out "$out/labels"
    echo "$real" | "$bin/sn-convert" --channel 0 --t 0 --type uint8 --format png --out "$out/preview/real"
else
    echo "demo: $real not found; skipping the real-data extraction" >&2
fi

echo "demo: measuring kernel throughput (quick run; 'sn-bench' without --quick for stable figures)" >&2
"$bin/sn-bench" --quick | tee "$out/bench.txt"
