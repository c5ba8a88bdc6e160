#!/usr/bin/env bash
# Throughput of the workflow against a plain shell pipeline (issue 14): enhance (the shipped model) + segment (Otsu
# and star) + score, over COUNT sn-synth source-style images (default 200, 256x256), side by side in one run,
# alternating A B A B (REPS pairs, default 3): A = Snakemake with --cores 2 (workflow/config/bench.yaml, the
# images as a user set; the two segmentations run as parallel jobs), B = the same tools chained in a shell script
# (each tool on every core). Prints images per minute of each run, the B/A time ratio per pair, and the medians.
#   scripts/bench_workflow.sh                 (COUNT, REPS, OUT=results/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-200}
reps=${REPS:-3}
out=${OUT:-results/bench}
bin=$(swift build -c release --show-bin-path)
venv=$(scripts/setup-workflow.sh)
data="$out/data"
[ -d "$data/masks" ] || "$bin/sn-synth" --style source --count "$count" --seed 77 --out "$data" > /dev/null 2>&1
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
printf 'pair\tworkflow_s\tshell_s\tworkflow_img_per_min\tshell_img_per_min\tshell/workflow\n'
ratios=() wf=() sh=()
for r in $(seq "$reps"); do
    rm -rf "$out/wf" "$out/sh"
    t0=$(now)
    "$venv/snakemake" "$out/wf/scores/shipped/otsu/bench.tsv" "$out/wf/scores/shipped/star/bench.tsv" \
        -s workflow/Snakefile --configfile workflow/config/bench.yaml --cores 2 \
        --config "bin=$bin" "results=$out/wf" "user_sets={bench: {images: $data/images, masks: $data/masks}}" \
        > "$out/wf.log" 2>&1 || { tail -20 "$out/wf.log" >&2; exit 1; }
    t1=$(now)
    mkdir -p "$out/sh"
    ls "$data/images/"*.tif | "$bin/sn-enhance" --out "$out/sh/enhanced" 2> /dev/null \
        | "$bin/sn-segment" --method otsu --out "$out/sh/otsu" 2> /dev/null \
        | "$bin/sn-score" --truth "$data/masks" --images "$out/sh/enhanced" > "$out/sh/otsu.tsv"
    ls "$out/sh/enhanced/"*.tif | "$bin/sn-segment" --method star --out "$out/sh/star" 2> /dev/null \
        | "$bin/sn-score" --truth "$data/masks" --images "$out/sh/enhanced" > "$out/sh/star.tsv"
    t2=$(now)
    cmp -s "$out/sh/otsu.tsv" "$out/wf/scores/shipped/otsu/bench.tsv" && cmp -s "$out/sh/star.tsv" "$out/wf/scores/shipped/star/bench.tsv" \
        || { echo "bench_workflow: the workflow's and the shell's scores differ" >&2; exit 1; }
    a=$(calc "$t1 - $t0") b=$(calc "$t2 - $t1")
    wf+=("$a") sh+=("$b") ratios+=("$(calc "$b / $a")")
    printf '%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.3f\n' "$r" "$a" "$b" "$(calc "$count * 60 / $a")" "$(calc "$count * 60 / $b")" \
        "${ratios[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
mw=$(median "${wf[@]}") ms=$(median "${sh[@]}")
printf 'median\t%.1f\t%.1f\t%.1f\t%.1f\t%.3f\n' "$mw" "$ms" "$(calc "$count * 60 / $mw")" "$(calc "$count * 60 / $ms")" \
    "$(median "${ratios[@]}")"
