#!/usr/bin/env bash
# Scores an enhancement model the way the paper does: segment raw and enhanced images with fixed-parameter
# global Otsu (and the star-convex segmenter), and compare with the ground truth.
#
#   scripts/evaluate_enhancement.sh [MODEL]       (default: the shipped Models/saliencynet.safetensors)
#
# Data (made here, deterministic):
#   synthetic low-saliency test set:  sn-synth --style source --count 200 --seed 3   (never used in training)
#   synthetic high-saliency test set: sn-synth --style target --count 200 --seed 3
#   real: the 10 Hoechst frames of ../shared/data/real/scratch_assay (channel 0) with their labels (channel 2)
# Every step is a pipeline of the tools: sn-enhance | sn-segment | sn-score.
# Output: a TSV table on stdout (and in $OUT/summary.tsv); intermediate images in $OUT (default out/eval).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)
model=${1:-Models/saliencynet.safetensors}
out=${OUT:-out/eval}
count=${COUNT:-200}
methods=${METHODS:-otsu star}
mkdir -p "$out"

for style in source target; do
    if [ ! -d "$out/$style/images" ]; then
        "$bin/sn-synth" --style "$style" --count "$count" --seed 3 --out "$out/$style" > /dev/null
    fi
done
datasets="source target"
if BIN=$bin scripts/real_frames.sh "$out/real"; then
    datasets="$datasets real"
fi

# summary FIELD: the named column of sn-score's summary row.
summary() {
    awk -F'\t' -v f="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i } $1 == "summary" { print $c }'
}

printf 'dataset\tmethod\tiou_raw\tiou_enhanced\tf1_raw\tf1_enhanced\tnuclei_truth\tnuclei_raw\tnuclei_enhanced\n' | tee "$out/summary.tsv"
for d in $datasets; do
    start=$(date +%s.%N)
    ls "$out/$d/images/"*.tif | "$bin/sn-enhance" --model "$model" --out "$out/$d/enhanced" > /dev/null
    end=$(date +%s.%N)
    echo "evaluate: enhanced $d in $(echo "$end - $start" | bc) s" >&2
    for m in $methods; do
        ls "$out/$d/images/"*.tif | "$bin/sn-segment" --method "$m" --out "$out/$d/raw-$m" \
            | "$bin/sn-score" --truth "$out/$d/masks" > "$out/$d/raw-$m.tsv"
        ls "$out/$d/enhanced/"*.tif | "$bin/sn-segment" --method "$m" --out "$out/$d/enhanced-$m" \
            | "$bin/sn-score" --truth "$out/$d/masks" > "$out/$d/enhanced-$m.tsv"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$d" "$m" \
            "$(summary iou < "$out/$d/raw-$m.tsv")" "$(summary iou < "$out/$d/enhanced-$m.tsv")" \
            "$(summary f1 < "$out/$d/raw-$m.tsv")" "$(summary f1 < "$out/$d/enhanced-$m.tsv")" \
            "$(summary n_true < "$out/$d/raw-$m.tsv")" "$(summary n_pred < "$out/$d/raw-$m.tsv")" \
            "$(summary n_pred < "$out/$d/enhanced-$m.tsv")" | tee -a "$out/summary.tsv"
    done
done
