#!/usr/bin/env bash
# Builds the varied training and validation folders of the shipped star model (docs/segmentation.md):
# salient nuclei with texture and nucleoli (target style), filled ones, the paper's low-light source style
# and the wide 'lowlight' style (brightness over a decade within an image, haze, uneven illumination,
# sparse to dense fields, out-of-focus nuclei), keeping only low-light images with at least MIN_PHOTONS
# photons at the brightest nucleus pixel (below that, nuclei are not in the image to be segmented).
#
#   scripts/make_star_training_set.sh OUT [MIN_PHOTONS]
#
# Writes OUT/train and OUT/val, each with images/ and masks/ (symbolic links into OUT/parts/*), the layout
# sn-train-star reads. Deterministic: every set has a fixed seed, none shared with the test sets
# (seeds 3 and 21) or with the real frames.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT [MIN_PHOTONS]" >&2; exit 2; }
out=$1
min_photons=${2:-15}
cd "$(dirname "$0")/.."
swift build -c release --product sn-synth >&2
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
synth lowlight lowlight 700 105
# validation parts (threshold choice)
synth vtarget   target    40 202
synth vfilled   filled    20 203
synth vlowlight lowlight 100 205

# link(set part) links every image of part whose photons (manifest column 'photons') reach MIN_PHOTONS
link() {
    mkdir -p "$out/$1/images" "$out/$1/masks"
    awk -F'\t' -v min="$min_photons" '
        /^#/ { next }
        !header { for (i = 1; i <= NF; i++) col[$i] = i; header = 1; next }
        $col["photons"] + 0 >= min { print $col["name"] }' "$out/parts/$2/manifest.tsv" |
    while read -r name; do
        ln -sf "$out/parts/$2/images/$name.tif" "$out/$1/images/$name.tif"
        ln -sf "$out/parts/$2/masks/$name.tif" "$out/$1/masks/$name.tif"
    done
}
rm -rf "$out/train" "$out/val"
for part in target filled source lowlight; do link train "$part"; done
for part in vtarget vfilled vlowlight; do link val "$part"; done
echo "train: $(ls "$out/train/images" | wc -l) images; val: $(ls "$out/val/images" | wc -l) images (photons >= $min_photons)" >&2
