#!/usr/bin/env bash
# Star models trained with real frames, scored on nuclei they were not trained on (issue 11).
#
# A model made with `REAL=left scripts/make_star_training_set.sh` saw the reference labels of the left halves
# (columns 0-287) of the 10 real Hoechst frames, so it is scored on their right halves (columns 288-575), and a
# REAL=right model on the left halves. The two held-out scores together cover every frame once ("fold" chain).
# Beside it, on the same halves: the star model of STAR_MODEL (default: the shipped one, which was trained with
# every frame's labels, so on these halves it is not tested; for a model that has not seen them, the one shipped
# before: git show e118177:Models/star-target.safetensors > previous.safetensors) and the classical baseline.
# The frames are a time-lapse of one field, so the halves are different nuclei of the same preparation (a few
# cells cross the middle column between frames): a test of new nuclei, not of a new lab.
#
#   STAR_LEFT=L.safetensors STAR_RIGHT=R.safetensors scripts/evaluate_star_real_folds.sh
#
# Chains (CHAINS, default "fold star gauss2+otsu"), each with --diameter auto:
#   fold         sn-segment --method star --model STAR_RIGHT on left halves, STAR_LEFT on right halves
#   star         sn-segment --method star [--model STAR_MODEL]
#   gauss2+otsu  sn-segment --method otsu --smooth 2     (the classical baseline: the bar)
#   sn+fold      sn-enhance (the shipped SaliencyNet model) | the fold chain       (low-light sets only)
# Sets: the real halves at SCALES (default "1 2 3"; sn-convert --region, then --scale), and, when
# scripts/render_real_lowlight.sh has made them (OUT/real-lowlight/pP-sS), the low-light renditions cut the
# same way. Prints a TSV (set, chain, iou, f1, n_true, n_pred: the geometric-mean foreground IoU and mean F1
# at IoU 0.5 over the 20 halves) and writes it to OUT/star-folds/summary.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${STAR_LEFT:?STAR_LEFT=FILE: the model trained with the left halves}"
: "${STAR_RIGHT:?STAR_RIGHT=FILE: the model trained with the right halves}"
bin=$(swift build -c release --show-bin-path)
root=${OUT:-out}
out=$root/star-folds
scales=${SCALES:-1 2 3}
chains=${CHAINS:-fold star gauss2+otsu}
star_model=()
[ -n "${STAR_MODEL:-}" ] && star_model=(--model "$STAR_MODEL")
mkdir -p "$out"

# cut SRC DEST SCALE_OF_SRC RESCALE [--labels]: every SRC/*.tif as DEST/left_NAME.tif and DEST/right_NAME.tif,
# the halves of a frame that SRC holds at SCALE_OF_SRC x, resampled by RESCALE.
cut() {
    local src=$1 dest=$2 s=$3 rescale=$4; shift 4
    local w=$((288 * s)) h=$((210 * s)) side
    for side in left right; do
        local x=0; [ "$side" = right ] && x=$w
        ls "$src/"*.tif | "$bin/sn-convert" "$@" --region "$x,0,$w,$h" --scale "$rescale" --out "$dest.$side" > /dev/null
        mkdir -p "$dest.tmp"
        for f in "$dest.$side/"*.tif; do mv "$f" "$dest.tmp/${side}_$(basename "$f")"; done
        rmdir "$dest.$side"
    done
    mv "$dest.tmp" "$dest"
}

# Real halves at each scale, cut from the whole frames.
frames=$out/frames
BIN=$bin scripts/real_frames.sh "$frames"
sets=""
for s in $scales; do
    dir=$out/real-$s
    if [ ! -d "$dir/masks" ]; then
        mkdir -p "$dir"
        cut "$frames/images" "$dir/images" 1 "$s"
        cut "$frames/masks" "$dir/masks" 1 "$s" --labels
    fi
    sets="$sets real-$s"
done
# Low-light renditions, cut the same way (their scale S is in the set's name).
if [ -d "$root/real-lowlight" ]; then
    for src in "$root/real-lowlight/"p*-s*; do
        [ -d "$src/masks" ] || continue
        name=$(basename "$src") s=${src##*-s}
        dir=$out/lowlight-$name
        if [ ! -d "$dir/masks" ]; then
            mkdir -p "$dir"
            cut "$src/images" "$dir/images" "$s" 1
            cut "$src/masks" "$dir/masks" "$s" 1 --labels
        fi
        sets="$sets lowlight-$name"
    done
fi

# summary FIELD: the named column of sn-score's summary row.
summary() {
    awk -F'\t' -v f="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i } $1 == "summary" { print $c }'
}
# fold IMAGES_DIR OUT_DIR: the held-out model of each half.
fold() {
    ls "$1/"left_*.tif | "$bin/sn-segment" --method star --model "$STAR_RIGHT" --out "$2" 2> /dev/null
    ls "$1/"right_*.tif | "$bin/sn-segment" --method star --model "$STAR_LEFT" --out "$2" 2> /dev/null
}

printf 'set\tchain\tiou\tf1\tn_true\tn_pred\n' | tee "$out/summary.tsv"
for set in $sets; do
    dir=$out/$set
    for chain in $chains; do
        case "$chain/$set" in sn+fold/real-*) continue ;; esac  # enhancement is for the low-light sets
        case "$chain" in
            fold) fold "$dir/images" "$dir/fold" ;;
            star) ls "$dir/images/"*.tif | "$bin/sn-segment" --method star "${star_model[@]}" --out "$dir/star" 2> /dev/null ;;
            gauss2+otsu) ls "$dir/images/"*.tif | "$bin/sn-segment" --method otsu --smooth 2 --out "$dir/gauss2+otsu" ;;
            sn+fold)
                [ -d "$dir/enhanced" ] || ls "$dir/images/"*.tif | "$bin/sn-enhance" --out "$dir/enhanced" 2> /dev/null > /dev/null
                fold "$dir/enhanced" "$dir/sn+fold" ;;
            *) echo "evaluate_star_real_folds: unknown chain $chain" >&2; exit 2 ;;
        esac | "$bin/sn-score" --truth "$dir/masks" > "$dir/$chain.tsv"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$chain" "$(summary iou < "$dir/$chain.tsv")" "$(summary f1 < "$dir/$chain.tsv")" \
            "$(summary n_true < "$dir/$chain.tsv")" "$(summary n_pred < "$dir/$chain.tsv")" | tee -a "$out/summary.tsv"
    done
done
