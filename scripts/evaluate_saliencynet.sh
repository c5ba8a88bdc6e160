#!/usr/bin/env bash
# One SaliencyNet model on every evaluation set of issue 16, beside raw Otsu and the classical baseline
# (Gaussian sigma 2 + Otsu), all with --diameter auto:
#   - the real shapes in low light (scripts/render_real_lowlight.sh: 8, 20, 50 photons at 1x and 2x);
#   - the salient sets: the 10 real Hoechst frames as they are, and 40 synthetic target-style images;
#   - 40 synthetic low-saliency (source-style) test images (the paper's synthetic test).
# Chains: otsu, gauss2+otsu, sn+otsu (sn-enhance --report, then sn-segment --method otsu). Each chain is scored
# by sn-score against the masks (geometric-mean foreground IoU, mean F1 at IoU 0.5); the sn+otsu rows also
# give the planes the trust report flagged. missed/invented: sn-score --counts (true nuclei less than half covered by
# the foreground, objects on no true nucleus), as fractions of the true nuclei: the erased/invented check of issue 16. Rows "lowlight-all" pool the 60 low-light images (geometric mean).
#   MODEL=runs/x/best-generator.safetensors OUT=out/eval-x scripts/evaluate_saliencynet.sh
# (MODEL: a model file or an sn-train run folder; default the shipped model. OUT: default out/eval.)
# Prints a TSV (set, chain, iou, f1, n_true, n_pred, flagged, missed, invented) and writes it to OUT/summary.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)
out=${OUT:-out/eval}
model=()
[ -n "${MODEL:-}" ] && model=(--model "$MODEL")
mkdir -p "$out"

# The sets: images/ and masks/ folders, linked into OUT so that each model's outputs stay apart.
[ -d out/real-lowlight/p8-s1 ] || OUT=out scripts/render_real_lowlight.sh > /dev/null
for dir in out/real-lowlight/p*-s*; do
    set=lowlight-$(basename "$dir")
    mkdir -p "$out/$set"
    ln -sfn "$PWD/$dir/images" "$out/$set/images"
    ln -sfn "$PWD/$dir/masks" "$out/$set/masks"
done
for style in source target; do
    [ -d "$out/$style/images" ] || "$bin/sn-synth" --style "$style" --count 40 --seed 3 --out "$out/$style" > /dev/null 2>&1
done
if [ ! -d "$out/real/images" ]; then
    mkdir -p "$out/real/images" "$out/real/masks"
    for f in out/real-lowlight/base/s1/images/*.tif; do ln -sfn "$PWD/$f" "$out/real/images/$(basename "$f")"; done
    for f in out/real-lowlight/base/s1/masks/*.tif; do ln -sfn "$PWD/$f" "$out/real/masks/$(basename "$f")"; done
fi

summary() {
    awk -F'\t' -v f="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i } $1 == "summary" { print $c }'
}
printf 'set\tchain\tiou\tf1\tn_true\tn_pred\tflagged\tmissed\tinvented\n' | tee "$out/summary.tsv"
sets=$(cd "$out" && ls -d lowlight-p*-s* | sort -t- -k3,3 -k2.2n; echo real target source)
for set in $sets; do
    dir="$out/$set"
    for chain in otsu gauss2+otsu sn+otsu; do
        case "$chain" in
            otsu) ls "$dir/images/"*.tif | "$bin/sn-segment" --method otsu --out "$dir/otsu" ;;
            gauss2+otsu) ls "$dir/images/"*.tif | "$bin/sn-segment" --method otsu --smooth 2 --out "$dir/gauss2+otsu" ;;
            sn+otsu)
                ls "$dir/images/"*.tif | "$bin/sn-enhance" "${model[@]}" --report "$dir/trust.tsv" --out "$dir/enhanced" \
                    2> "$dir/enhance.log" > /dev/null
                ls "$dir/enhanced/"*.tif | "$bin/sn-segment" --method otsu --out "$dir/sn+otsu" ;;
        esac 2> /dev/null | "$bin/sn-score" --counts --truth "$dir/masks" > "$dir/$chain.tsv"
        flagged=NA
        [ "$chain" = sn+otsu ] && flagged=$(awk -F'\t' 'NR > 1 && $NF != "none"' "$dir/trust.tsv" | wc -l)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$chain" "$(summary iou < "$dir/$chain.tsv")" "$(summary f1 < "$dir/$chain.tsv")" \
            "$(summary n_true < "$dir/$chain.tsv")" "$(summary n_pred < "$dir/$chain.tsv")" "$flagged" \
            "$(summary missed_fraction < "$dir/$chain.tsv")" "$(summary invented_fraction < "$dir/$chain.tsv")" | tee -a "$out/summary.tsv"
    done
done
# The 60 low-light images pooled: geometric mean of per-image IoUs (0 counts as 1e-6, as sn-score), mean F1.
for chain in otsu gauss2+otsu sn+otsu; do
    for dir in "$out"/lowlight-p*-s*; do
        awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "iou") a = i; if ($i == "f1") b = i } }
            NR > 1 && $1 != "summary" { print $a "\t" $b }' "$dir/$chain.tsv"
    done | awk -F'\t' -v chain="$chain" '{ v = ($1 > 1e-6 ? $1 : 1e-6); s += log(v); f += $2; n++ }
        END { printf "lowlight-all\t%s\t%.4f\t%.4f\tNA\tNA\tNA\tNA\tNA\n", chain, exp(s / n), f / n }' | tee -a "$out/summary.tsv"
done
