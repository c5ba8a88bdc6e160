#!/usr/bin/env bash
# Scores the real-shapes-in-low-light sets of scripts/render_real_lowlight.sh (issue 16, item 6) against their
# reference labels, every chain with --diameter auto:
#   otsu         sn-segment --method otsu                              (raw Otsu)
#   gauss2+otsu  sn-segment --method otsu --smooth 2                   (the classical baseline: the bar)
#   sn+otsu      sn-enhance | sn-segment --method otsu                 (the shipped SaliencyNet model, or MODEL)
#   star         sn-segment --method star                              (star-convex polygons on the raw images)
#   sn+star      sn-enhance | sn-segment --method star                 (star on the enhanced images)
# sn-score gives the geometric-mean foreground IoU and the mean F1 at IoU 0.5; sn-enhance --report writes the
# trust report of each set to SET/trust.tsv (flagged planes are counted in the last column of the sn+otsu row).
# Rows "all" give, per chain, the geometric mean of the per-image IoUs over every set and the mean F1.
#   scripts/render_real_lowlight.sh && scripts/evaluate_real_lowlight.sh    (OUT=out, CHAINS, MODEL, STAR_MODEL)
# Prints a TSV (set, photons, scale, chain, iou, f1, n_true, n_pred, flagged) and writes it to
# OUT/real-lowlight/summary.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)
root=${OUT:-out}/real-lowlight
chains=${CHAINS:-otsu gauss2+otsu sn+otsu star sn+star}
model=()
[ -n "${MODEL:-}" ] && model=(--model "$MODEL")
star_model=()
[ -n "${STAR_MODEL:-}" ] && star_model=(--model "$STAR_MODEL")
sets=$(cd "$root" && ls -d p*-s* | sort -t- -k2,2 -k1.2n)
[ -n "$sets" ] || { echo "evaluate_real_lowlight: no sets in $root; run scripts/render_real_lowlight.sh first" >&2; exit 1; }

# summary FIELD: the named column of sn-score's summary row.
summary() {
    awk -F'\t' -v f="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i } $1 == "summary" { print $c }'
}

printf 'set\tphotons\tscale\tchain\tiou\tf1\tn_true\tn_pred\tflagged\n' | tee "$root/summary.tsv"
for set in $sets; do
    dir="$root/$set"
    p=${set#p}; p=${p%-s*}; s=${set#*-s}
    for chain in $chains; do
        case "$chain" in
            otsu) ls "$dir/images/"*.tif | "$bin/sn-segment" --method otsu --out "$dir/otsu" ;;
            gauss2+otsu) ls "$dir/images/"*.tif | "$bin/sn-segment" --method otsu --smooth 2 --out "$dir/gauss2+otsu" ;;
            sn+otsu|sn+star)
                if [ ! -f "$dir/trust.tsv" ] || [ ! -d "$dir/enhanced" ]; then
                    ls "$dir/images/"*.tif | "$bin/sn-enhance" "${model[@]}" --report "$dir/trust.tsv" --out "$dir/enhanced" \
                        2> "$dir/enhance.log" > /dev/null
                fi
                if [ "$chain" = sn+otsu ]; then
                    ls "$dir/enhanced/"*.tif | "$bin/sn-segment" --method otsu --out "$dir/sn+otsu"
                else
                    ls "$dir/enhanced/"*.tif | "$bin/sn-segment" --method star "${star_model[@]}" --out "$dir/sn+star" 2> /dev/null
                fi ;;
            star) ls "$dir/images/"*.tif | "$bin/sn-segment" --method star "${star_model[@]}" --out "$dir/star" 2> /dev/null ;;
            *) echo "evaluate_real_lowlight: unknown chain $chain" >&2; exit 2 ;;
        esac | "$bin/sn-score" --truth "$dir/masks" > "$dir/$chain.tsv"
        flagged=NA
        case "$chain" in sn+*) flagged=$(awk -F'\t' 'NR > 1 && $NF != "none"' "$dir/trust.tsv" | wc -l) ;; esac
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$p" "$s" "$chain" "$(summary iou < "$dir/$chain.tsv")" \
            "$(summary f1 < "$dir/$chain.tsv")" "$(summary n_true < "$dir/$chain.tsv")" "$(summary n_pred < "$dir/$chain.tsv")" \
            "$flagged" | tee -a "$root/summary.tsv"
    done
done
# Over every set: geometric mean of the per-image IoUs (0 counts as 1e-6, as sn-score) and mean F1.
for chain in $chains; do
    for set in $sets; do awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "iou") a = i; if ($i == "f1") b = i } }
        NR > 1 && $1 != "summary" { print $a "\t" $b }' "$root/$set/$chain.tsv"; done \
    | awk -F'\t' -v chain="$chain" '{ v = ($1 > 1e-6 ? $1 : 1e-6); s += log(v); f += $2; n++ }
        END { printf "all\tall\tall\t%s\t%.4f\t%.4f\tNA\tNA\tNA\n", chain, exp(s / n), f / n }' | tee -a "$root/summary.tsv"
done
