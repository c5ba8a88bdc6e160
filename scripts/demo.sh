#!/usr/bin/env bash
# The main job: installs what is needed, builds the tools in release mode, and runs the chain of
# tools that exists so far on the embedded default data. Outputs go to out/demo/ (override with OUT=DIR).
#
# The chain:
#   1. sn-synth makes the default data: small unpaired sets of low-light (source style) and salient
#      (target style) synthetic nuclei images with their instance masks, deterministically from a seed;
#   2. sn-convert turns them into 8-bit PNG previews (one pipeline: sn-synth | sn-convert);
#   3. sn-enhance (the shipped SaliencyNet model) | sn-segment --method otsu | sn-score: fixed-parameter
#      Otsu on raw and on enhanced low-light images, scored against the masks;
#   4. sn-convert extracts the Hoechst nuclei channel and the reference labels of the real OME-TIFF
#      time-lapse in ../shared/data/real/ (when present), and sn-enhance enhances the nuclei stack;
#   5. sn-bench measures the GEMM and convolution throughput the training engine rests on.
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

echo "demo: Otsu on raw vs SaliencyNet-enhanced low-light images (scores in $out/scores-*.tsv)" >&2
ls "$out/synth/source/images/"*.tif | "$bin/sn-segment" --method otsu --out "$out/raw-otsu" \
    | "$bin/sn-score" --truth "$out/synth/source/masks" > "$out/scores-raw.tsv"
ls "$out/synth/source/images/"*.tif | "$bin/sn-enhance" --out "$out/enhanced" \
    | "$bin/sn-segment" --method otsu --out "$out/enhanced-otsu" \
    | "$bin/sn-score" --truth "$out/synth/source/masks" > "$out/scores-enhanced.tsv"
ls "$out/enhanced/"*.tif | "$bin/sn-convert" --type uint8 --format png --out "$out/preview/enhanced" > /dev/null
echo "demo: Otsu IoU (geometric mean), raw -> enhanced: $(awk '$1 == "summary" { print $2 }' "$out/scores-raw.tsv") -> $(awk '$1 == "summary" { print $2 }' "$out/scores-enhanced.tsv")" >&2

real=../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff
if [ -f "$real" ]; then
    echo "demo: extracting nuclei (channel 0) and reference labels (channel 2) from $real" >&2
    echo "$real" | "$bin/sn-convert" --channel 0 --out "$out/nuclei"
    echo "$real" | "$bin/sn-convert" --channel 2 --labels --out "$out/labels"
    echo "$real" | "$bin/sn-convert" --channel 0 --t 0 --type uint8 --format png --out "$out/preview/real"
    ls "$out/nuclei/"*.tif | "$bin/sn-enhance" --out "$out/nuclei-enhanced"
else
    echo "demo: $real not found; skipping the real-data extraction" >&2
fi

echo "demo: measuring kernel throughput (quick run; 'sn-bench' without --quick for stable figures)" >&2
"$bin/sn-bench" --quick | tee "$out/bench.txt"
