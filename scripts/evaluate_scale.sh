#!/usr/bin/env bash
# Scale invariance of the segmentation chains: the same images brought to 0.5x, 1x, 2x and 3x nucleus size
# (sn-convert --scale: intensities anti-aliased/interpolated, masks by nearest neighbour), each segmented
# with --diameter auto by
#   star        sn-segment --method star
#   sn+otsu     sn-enhance | sn-segment --method otsu          (the shipped SaliencyNet model)
#   otsu        sn-segment --method otsu                       (raw, the paper's fixed-parameter baseline)
#   gauss2+otsu sn-segment --method otsu --smooth 2            (the classical baseline, sigma 2 px as given)
# and, with CHAINS naming them, the behaviour before --diameter (every image taken as the models' 11.73 px):
#   star@native, sn@native+otsu
# and scored against the masks (sn-score: geometric-mean foreground IoU and mean F1 at IoU 0.5).
# Sets: synthetic low-saliency and high-saliency test images (sn-synth --seed SEED, default 3; COUNT each, default 40)
# and the 10 real Hoechst frames of ../shared/data/real/ (reference labels from a pipeline: agreement).
#   scripts/evaluate_scale.sh            (SCALES="0.5 1 2 3", OUT=out/scale; STAR_MODEL=FILE: the star chains'
#                                         model instead of the shipped one; SN_MODEL=FILE|RUN: the sn chains'
#                                         SaliencyNet model instead of the shipped one)
# Prints a TSV (set, scale, chain, iou, f1, n_true, n_pred) and writes it to $OUT/summary.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)
out=${OUT:-out/scale}
count=${COUNT:-40}
scales=${SCALES:-0.5 1 2 3}
chains=${CHAINS:-star sn+otsu otsu gauss2+otsu}
mkdir -p "$out"
star_model=()
[ -n "${STAR_MODEL:-}" ] && star_model=(--model "$STAR_MODEL")
sn_model=()
[ -n "${SN_MODEL:-}" ] && sn_model=(--model "$SN_MODEL")

# Base sets at 1x.
for style in source target; do
    [ -d "$out/base/$style/images" ] || "$bin/sn-synth" --style "$style" --count "$count" --seed "${SEED:-3}" --out "$out/base/$style" > /dev/null 2>&1
done
sets="source target"
if BIN=$bin scripts/real_frames.sh "$out/base/real"; then
    sets="$sets real"
else
    echo "evaluate_scale: real frames left out" >&2
fi

# summary FIELD: the named column of sn-score's summary row.
summary() {
    awk -F'\t' -v f="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i } $1 == "summary" { print $c }'
}

printf 'set\tscale\tchain\tiou\tf1\tn_true\tn_pred\n' | tee "$out/summary.tsv"
for set in $sets; do
    for scale in $scales; do
        dir="$out/$set-$scale"
        if [ ! -d "$dir/images" ]; then
            ls "$out/base/$set/images/"*.tif | "$bin/sn-convert" --scale "$scale" --out "$dir/images" > /dev/null
            ls "$out/base/$set/masks/"*.tif | "$bin/sn-convert" --labels --scale "$scale" --out "$dir/masks" > /dev/null
        fi
        for chain in $chains; do
            case "$chain" in
                star) ls "$dir/images/"*.tif | "$bin/sn-segment" --method star "${star_model[@]}" --out "$dir/star" 2> "$dir/star.log" ;;
                sn+otsu) ls "$dir/images/"*.tif | "$bin/sn-enhance" "${sn_model[@]}" --out "$dir/enhanced" 2> "$dir/enhance.log" \
                         | "$bin/sn-segment" --method otsu --out "$dir/sn+otsu" ;;
                otsu) ls "$dir/images/"*.tif | "$bin/sn-segment" --method otsu --out "$dir/otsu" ;;
                star@native) ls "$dir/images/"*.tif | "$bin/sn-segment" --method star "${star_model[@]}" --diameter 11.73 --out "$dir/star@native" 2> /dev/null ;;
                sn@native+otsu) ls "$dir/images/"*.tif | "$bin/sn-enhance" "${sn_model[@]}" --diameter 11.73 --out "$dir/enhanced@native" 2> /dev/null \
                         | "$bin/sn-segment" --method otsu --out "$dir/sn@native+otsu" ;;
                gauss2+otsu) ls "$dir/images/"*.tif | "$bin/sn-segment" --method otsu --smooth 2 --out "$dir/gauss2+otsu" ;;
            esac | "$bin/sn-score" --truth "$dir/masks" > "$dir/$chain.tsv"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$scale" "$chain" "$(summary iou < "$dir/$chain.tsv")" \
                "$(summary f1 < "$dir/$chain.tsv")" "$(summary n_true < "$dir/$chain.tsv")" "$(summary n_pred < "$dir/$chain.tsv")" \
                | tee -a "$out/summary.tsv"
        done
    done
done
