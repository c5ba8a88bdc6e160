#!/usr/bin/env bash
# The workflow's checks (issue 14), run by scripts/test.sh after the Swift suites:
#   1. the tiny configuration (workflow/config/tiny.yaml) runs under Snakemake with --cores 2;
#   2. the same steps run as a plain shell pipeline of the tools (below, written out by hand);
#   3. every score file of the two is byte-identical, and both have the same set of score files;
#   4. with SLURM=1 (the default when scripts/local-slurm.sh can start a cluster): the tiny workflow runs again
#      through the Snakemake Slurm executor plugin with workflow/profiles/slurm on a one-node Slurm cluster
#      started on this machine, and its scores equal the local run's.
# Settings (environment): OUT (results/check), SLURM (1, or 0 to leave check 4 out: it then says so).
# EXIT STATUS: 0 all checks passed, 1 a check failed (named on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-results/check}
slurm=${SLURM:-1}
bin=$(swift build -c release --show-bin-path)
for t in sn-synth sn-convert sn-camera sn-train sn-enhance sn-segment sn-score sn-report; do
    [ -x "$bin/$t" ] || { echo "check_workflow: $bin/$t not built (scripts/test.sh builds it; or swift build -c release)" >&2; exit 1; }
done
venv=$(scripts/setup-workflow.sh)
fail() { echo "check_workflow: $*" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"

echo "check_workflow: 1. the tiny workflow under Snakemake (--cores 2)" >&2
"$venv/snakemake" -s workflow/Snakefile --configfile workflow/config/tiny.yaml \
    --config "bin=$bin" "results=$out/snakemake" --cores 2 --quiet rules > "$out/snakemake.log" 2>&1 \
    || { tail -30 "$out/snakemake.log" >&2; fail "the tiny workflow failed (log: $out/snakemake.log)"; }
[ -s "$out/snakemake/report.html" ] || fail "the tiny workflow wrote no report"

echo "check_workflow: 2. the same steps as a shell pipeline" >&2
# workflow/config/tiny.yaml, written out: keep the two in step.
s="$out/shell"
real=../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff
export OPENBLAS_NUM_THREADS=1
(
    set -x
    "$bin/sn-synth" --style source --count 6 --seed 1 --size 128 --threads 1 --out "$s/data/source-train" > /dev/null
    "$bin/sn-synth" --style target --count 6 --seed 2 --size 128 --threads 1 --out "$s/data/target-train" > /dev/null
    "$bin/sn-synth" --style source --count 2 --seed 3 --size 128 --threads 1 --out "$s/data/validation" > /dev/null
    "$bin/sn-synth" --style source --count 3 --seed 101 --size 128 --threads 1 --out "$s/sets/synth-low" > /dev/null
    "$bin/sn-synth" --style target --count 3 --seed 102 --size 128 --threads 1 --out "$s/sets/synth-high" > /dev/null
    mkdir -p "$s/sets/real/images" "$s/sets/real/masks"
    for t in 0 5; do
        "$bin/sn-convert" --channel 0 --t $t --out "$s/tmp/i" "$real" > /dev/null
        mv "$s/tmp/i/scratch-assay-labeled-10T-2Ch.tif" "$s/sets/real/images/frame_$t.tif"
        "$bin/sn-convert" --channel 2 --t $t --labels --out "$s/tmp/m" "$real" > /dev/null
        mv "$s/tmp/m/scratch-assay-labeled-10T-2Ch.tif" "$s/sets/real/masks/frame_$t.tif"
    done
    ls "$s/sets/real/images/"*.tif | "$bin/sn-camera" --photons 20 --haze 0.3 --illumination 0.3 --read-noise 2.5 \
        --seed 16 --out "$s/sets/real-lowlight-p20/images" > /dev/null
    cp -r "$s/sets/real/masks" "$s/sets/real-lowlight-p20/masks"
    for model in a0.2-b0.2-g0.6 vanilla; do
        loss="--placement cycle --alpha 0.2 --beta 0.2 --gamma 0.6"
        [ "$model" = vanilla ] && loss="--placement vanilla"
        "$bin/sn-train" --source "$s/data/source-train" --target "$s/data/target-train" --validation "$s/data/validation" \
            $loss --ngf 8 --ndf 8 --blocks 2 --crop 64 --batch 1 --epochs 1 --decay-epochs 1 --epoch-iterations 10 \
            --seed 1 --validation-limit 2 --samples 0 --threads 1 --out "$s/models/$model" > /dev/null
    done
    for set in synth-low synth-high real real-lowlight-p20; do
        for method in otsu gauss2-otsu star; do
            case $method in otsu) opt="--method otsu" ;; gauss2-otsu) opt="--method otsu --smooth 2" ;; star) opt="--method star" ;; esac
            mkdir -p "$s/scores/raw/$method"
            ls "$s/sets/$set/images/"*.tif | "$bin/sn-segment" $opt --out "$s/labels/raw/$method/$set" 2> /dev/null \
                | "$bin/sn-score" --truth "$s/sets/$set/masks" --images "$s/sets/$set/images" > "$s/scores/raw/$method/$set.tsv"
        done
        for model in a0.2-b0.2-g0.6 vanilla; do
            ls "$s/sets/$set/images/"*.tif | "$bin/sn-enhance" --model "$s/models/$model/best-generator.safetensors" \
                --threads 1 --out "$s/enhanced/$model/$set" 2> /dev/null > /dev/null
            for method in otsu star; do
                mkdir -p "$s/scores/$model/$method"
                ls "$s/enhanced/$model/$set/"*.tif | "$bin/sn-segment" --method $method --out "$s/labels/$model/$method/$set" 2> /dev/null \
                    | "$bin/sn-score" --truth "$s/sets/$set/masks" --images "$s/enhanced/$model/$set" > "$s/scores/$model/$method/$set.tsv"
            done
        done
    done
) 2> "$out/shell.log" || { tail -20 "$out/shell.log" >&2; fail "the shell pipeline failed (log: $out/shell.log)"; }

echo "check_workflow: 3. the score files of the two are byte-identical" >&2
# compare_scores A B: the same score files under A/scores and B/scores, each byte-identical.
compare_scores() {
    local a=$1 b=$2 files
    files=$(cd "$a/scores" && find . -name '*.tsv' | sort)
    [ -n "$files" ] || fail "no score files under $a/scores"
    [ "$files" = "$(cd "$b/scores" && find . -name '*.tsv' | sort)" ] || fail "$a and $b have different score files"
    for f in $files; do cmp -s "$a/scores/$f" "$b/scores/$f" || fail "$a/scores/$f and $b/scores/$f differ"; done
    echo "check_workflow: $(echo "$files" | wc -l) score files of $a and $b are byte-identical" >&2
}
compare_scores "$out/snakemake" "$s"

if [ "$slurm" = 1 ]; then
    echo "check_workflow: 4. the tiny workflow on a one-node Slurm cluster (workflow/profiles/slurm)" >&2
    scripts/local-slurm.sh start
    trap 'scripts/local-slurm.sh stop' EXIT
    "$venv/snakemake" -s workflow/Snakefile --configfile workflow/config/tiny.yaml \
        --config "bin=$bin" "results=$PWD/$out/slurm" --profile workflow/profiles/slurm $(scripts/local-slurm.sh options) --set-threads train=1 enhance=1 segment=1 \
        > "$out/slurm.log" 2>&1 || { tail -40 "$out/slurm.log" >&2; fail "the tiny workflow failed on Slurm (log: $out/slurm.log)"; }
    jobs=$(grep -c "Job .* has been submitted with SLURM jobid" "$out/slurm.log" || true)
    [ "$jobs" -gt 0 ] || fail "no job went through Slurm (log: $out/slurm.log)"
    echo "check_workflow: $jobs jobs ran as Slurm jobs" >&2
    compare_scores "$out/snakemake" "$out/slurm"
else
    echo "check_workflow: 4. LEFT OUT (SLURM=0): the Slurm run was not checked" >&2
fi
echo "check_workflow: all checks passed" >&2
