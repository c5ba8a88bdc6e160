#!/usr/bin/env bash
# Builds the varied training and validation folders of the shipped star model (docs/segmentation.md):
# salient nuclei with texture and nucleoli (target style, 400), filled ones (filled, 200) and the paper's
# low-light source style (source, 200: 12-50 photons, brightness over 0.3-1, haze, uneven illumination);
# validation: target 40 + filled 20.
# With LOWLIGHT=1 the wide 'lowlight' style joins both (700 + 100 images: brightness over a decade within an
# image, sparse to dense fields, out-of-focus nuclei), keeping only images with at least MIN_PHOTONS photons at
# the brightest nucleus pixel (below that the nuclei are not in the image to be segmented). That set made
# models that find dim objects the real frames' reference labels leave out (docs/segmentation.md), so the
# shipped model was trained without it.
# With REAL=left|right|all the real Hoechst frames of ../shared/data/real/ (with their pipeline labels) join
# both: all 10 frames cut to their left half (columns 0-287), their right half (288-575) or whole, each
# linked REAL_COPIES times (default 20) into train (so that they make about a fifth of the crops) and once into
# val. Train on one half and test on the other (scripts/evaluate_star_real_folds.sh) to see what they do on
# nuclei they were not trained on.
#
#   scripts/make_star_training_set.sh OUT [MIN_PHOTONS]       (LOWLIGHT=1 to add the lowlight style)
#
# Writes OUT/train and OUT/val, each with images/ and masks/ (symbolic links into OUT/parts/*), the layout
# sn-train-star reads. Deterministic: every set has a fixed seed, none shared with the test sets
# (seeds 3 and 21) or with the real frames.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT [MIN_PHOTONS]" >&2; exit 2; }
out=$1
min_photons=${2:-15}
cd "$(dirname "$0")/.."
swift build -c release --product sn-synth --product sn-convert >&2
bin=$(swift build -c release --show-bin-path)
mkdir -p "$out/parts"
out=$(cd "$out" && pwd)

synth() { # name style count seed
    [ -f "$out/parts/$1/manifest.tsv" ] || "$bin/sn-synth" --style "$2" --count "$3" --seed "$4" --out "$out/parts/$1" > /dev/null
}
# training parts
synth target   target   400 102
synth filled   filled   200 103
synth source   source   200 104
[ "${LOWLIGHT:-0}" = 1 ] && synth lowlight lowlight 700 105
# validation parts (threshold choice)
synth vtarget   target    40 202
synth vfilled   filled    20 203
[ "${LOWLIGHT:-0}" = 1 ] && synth vlowlight lowlight 100 205

# The real frames, cut to REAL's part: OUT/parts/real-REAL/{images,masks}/frame_T.tif
real=${REAL:-}
if [ -n "$real" ]; then
    case "$real" in
        left) region=0,0,288,210 ;; right) region=288,0,288,210 ;; all) region=0,0,576,210 ;;
        *) echo "REAL must be left, right or all, got '$real'" >&2; exit 2 ;;
    esac
    real_part=$out/parts/real-$real
    BIN=$bin scripts/real_frames.sh "$real_part" "$region"
fi

# link(set part) links every image of part; of the lowlight parts, those whose photons (manifest column
# 'photons') reach MIN_PHOTONS
link() {
    mkdir -p "$out/$1/images" "$out/$1/masks"
    local min=0
    case "$2" in *lowlight) min=$min_photons ;; esac
    awk -F'\t' -v min="$min" '
        /^#/ { next }
        !header { for (i = 1; i <= NF; i++) col[$i] = i; header = 1; next }
        $col["photons"] + 0 >= min { print $col["name"] }' "$out/parts/$2/manifest.tsv" |
    while read -r name; do
        ln -sf "$out/parts/$2/images/$name.tif" "$out/$1/images/$name.tif"
        ln -sf "$out/parts/$2/masks/$name.tif" "$out/$1/masks/$name.tif"
    done
}
rm -rf "$out/train" "$out/val"
train_parts="target filled source" val_parts="vtarget vfilled"
if [ "${LOWLIGHT:-0}" = 1 ]; then train_parts="$train_parts lowlight" val_parts="$val_parts vlowlight"; fi
for part in $train_parts; do link train "$part"; done
for part in $val_parts; do link val "$part"; done
if [ -n "$real" ]; then
    for t in 0 1 2 3 4 5 6 7 8 9; do
        for c in $(seq 1 "${REAL_COPIES:-20}"); do
            for kind in images masks; do ln -sf "$real_part/$kind/frame_$t.tif" "$out/train/$kind/real-${real}_${t}_$c.tif"; done
        done
        for kind in images masks; do ln -sf "$real_part/$kind/frame_$t.tif" "$out/val/$kind/real-${real}_$t.tif"; done
    done
fi
echo "train: $(ls "$out/train/images" | wc -l) images; val: $(ls "$out/val/images" | wc -l) images" >&2
