#!/usr/bin/env bash
# Adaptation to a user's own data (issue 16, item 3), measured on the real shapes in low light: sn-train gets the
# 60 low-light renders of scripts/render_real_lowlight.sh as its source (no masks, no --target: filled targets are
# synthesized at the source's nucleus diameter; no --validation: the last epoch is kept), starts from the shipped
# networks (--init shipped), and runs a fixed number of iterations sized to stay under 20 minutes on this 2-core
# machine. Then scripts/evaluate_saliencynet.sh scores the adapted run and the starting model on every set.
# The masks are used only by that evaluation, never in training or in choosing the checkpoint.
#   scripts/adapt_real_lowlight.sh
# Settings (environment): INIT (shipped, or a networks file), RUN (out/adapt-run), EVAL (out/eval-adapted),
# BASE_EVAL (out/eval-init: the evaluation of INIT's own generator, reused if it exists), ITERATIONS (600; as
# epochs of ITERATIONS/4, two at the base rate and two of decay), TRAIN_ARGS (extra sn-train options; default
# --content-background 24 --content-min-contrast 0.1, the content term read through haze; everything else of the
# objective is INIT's own, recorded in it: the content term, cycle noise and blur, scale jitter).
# Prints the training time on stderr, then every set's SN + Otsu IoU and trust flags for both models beside the
# baseline (Gaussian sigma 2 + Otsu) as a TSV.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)
init=${INIT:-shipped}
run=${RUN:-out/adapt-run}
eval_out=${EVAL:-out/eval-adapted}
base_eval=${BASE_EVAL:-out/eval-init}
iterations=${ITERATIONS:-600}
train_args=${TRAIN_ARGS:---content-background 24 --content-min-contrast 0.1}
[ -d out/real-lowlight/p8-s1 ] || OUT=out scripts/render_real_lowlight.sh > /dev/null

# The images alone, copied into one folder (SET_frame_T.tif): with masks beside them sn-train would measure the
# nucleus diameter on the masks; here it must estimate it from the images, as for a user's folder.
source_dir=${run}-source
rm -rf "$source_dir"
mkdir -p "$source_dir"
for dir in out/real-lowlight/p*-s*; do
    for f in "$dir"/images/*.tif; do cp "$f" "$source_dir/$(basename "$dir")_$(basename "$f")"; done
done
echo "adapt: $(ls "$source_dir" | wc -l) source images (no masks), init $init, $iterations iterations -> $run" >&2
rm -rf "$run"
start=$(date +%s)
# shellcheck disable=SC2086
"$bin/sn-train" --source "$source_dir" --init "$init" --out "$run" --epoch-iterations $((iterations / 4)) --epochs 2 \
    --decay-epochs 2 --seed 1 $train_args > /dev/null
seconds=$(( $(date +%s) - start ))
echo "adapt: trained in $seconds s ($((seconds / 60)) min $((seconds % 60)) s)" >&2

# INIT's generator: the shipped model, or the best generator of the run folder the networks file came from.
init_generator=""
[ "$init" = shipped ] || init_generator=$(dirname "$init")
[ -f "$base_eval/summary.tsv" ] || MODEL="$init_generator" OUT="$base_eval" scripts/evaluate_saliencynet.sh > /dev/null
MODEL="$run" OUT="$eval_out" scripts/evaluate_saliencynet.sh > /dev/null
printf 'set\tinit_iou\tadapted_iou\tbaseline_iou\tinit_flagged\tadapted_flagged\n'
join -t $'\t' <(awk -F'\t' '$2 == "sn+otsu" { print $1 "\t" $3 "\t" $7 }' "$base_eval/summary.tsv" | sort) \
              <(awk -F'\t' '$2 == "sn+otsu" { print $1 "\t" $3 "\t" $7 }' "$eval_out/summary.tsv" | sort) |
    join -t $'\t' - <(awk -F'\t' '$2 == "gauss2+otsu" { print $1 "\t" $3 }' "$eval_out/summary.tsv" | sort) |
    awk -F'\t' '{ print $1 "\t" $2 "\t" $4 "\t" $6 "\t" $3 "\t" $5 }'
