#!/usr/bin/env bash
# sn-bench's whole-network figures beside PyTorch's, measured in one run on this machine
# (docs/benchmarks-vs-pytorch.md). For each figure key it runs N pairs, alternating the two sides,
# B A B A …: B is scripts/bench/pytorch_bench.py (the same networks and workload in PyTorch), A is
# sn-bench --peer with B's figure just measured, so that both sides of a pair see the same machine
# conditions (other processes, clock). Each side is a fresh process with one figure (--only KEY).
#
# Usage: scripts/bench_vs_pytorch.sh [--pairs N] [--threads T] [--only KEY[,KEY…]] [--repeats R]
#   --pairs N     pairs per figure (default 5)
#   --threads T   threads of both sides (default 2); OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
#                 MKL_NUM_THREADS are set to T for both
#   --only KEYS   comma-separated figure keys (default: all eight whole-network figures)
#   --repeats R   timed runs per figure and side, median reported (default 3; sn-bench --model-repeats)
#
# stdout: a TSV table, one row per pair (key, pair index, ours s, PyTorch s, PyTorch/ours, both peak
# RSS in MB), then per key a row with pair "median": the medians of the times, of the ratios and of
# the peaks. Progress goes to stderr. Installs PyTorch with scripts/bench/setup-torch.sh (first run:
# a download); builds sn-bench in release when it is missing. Not part of the test suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

all_keys=(generator_ngf64_256 generator_ngf64_512 generator_ngf64_1024 generator_ngf32_256 generator_ngf32_1024
          patchgan_ndf64_fwd_bwd_256 cyclegan_iteration_128 saliencynet_iteration_ngf32_128)
pairs=5
threads=2
repeats=3
only=""

usage() { sed -n '8,13p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "bench_vs_pytorch: $*" >&2; exit 1; }
usage_error() { echo "bench_vs_pytorch: $*" >&2; usage >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --pairs | --threads | --only | --repeats)
            [ $# -ge 2 ] || usage_error "option '$1' needs a value"
            case "$1" in
                --pairs) pairs=$2 ;;
                --threads) threads=$2 ;;
                --only) only=$2 ;;
                --repeats) repeats=$2 ;;
            esac
            shift 2 ;;
        --pairs=*) pairs=${1#*=}; shift ;;
        --threads=*) threads=${1#*=}; shift ;;
        --only=*) only=${1#*=}; shift ;;
        --repeats=*) repeats=${1#*=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage_error "unknown argument '$1'" ;;
    esac
done
for option in "pairs:$pairs" "threads:$threads" "repeats:$repeats"; do
    [[ ${option#*:} =~ ^[1-9][0-9]*$ ]] || usage_error "option '--${option%%:*}' must be a positive integer, got '${option#*:}'"
done
if [ -z "$only" ]; then
    keys=("${all_keys[@]}")
else
    IFS=, read -r -a keys <<< "$only"
    [ ${#keys[@]} -gt 0 ] || usage_error "option '--only' names no figure"
    for key in "${keys[@]}"; do
        case " ${all_keys[*]} " in
            *" $key "*) ;;
            *) usage_error "option '--only': unknown figure '$key' (known: ${all_keys[*]})" ;;
        esac
    done
fi

python=$(scripts/bench/setup-torch.sh) || die "PyTorch setup failed (scripts/bench/setup-torch.sh; see its messages above)"
command -v swift >/dev/null || die "'swift' is not on PATH (sn-bench is built with the Swift toolchain)"
bin=$(swift build -c release --show-bin-path) || die "'swift build -c release --show-bin-path' failed"
snbench="$bin/sn-bench"
if [ ! -x "$snbench" ]; then
    echo "bench_vs_pytorch: building sn-bench (release)" >&2
    swift build -c release --product sn-bench >&2 || die "could not build sn-bench (swift build -c release --product sn-bench)"
fi

export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
work="$(mktemp -d /tmp/sn-bench-vs-pytorch.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "bench_vs_pytorch: ${#keys[@]} figure(s) x $pairs pair(s), $threads thread(s), median of $repeats run(s) per side; sn-bench: $snbench; PyTorch: $python ($(cat .venv-bench-torch/torch-build 2>/dev/null || echo '?') build)" >&2

# One pair's row from sn-bench's JSON (ours: .KEY.threads_T.median_s, .KEY.peak_rss_mb) and
# pytorch_bench.py's TSV (the file sn-bench read with --peer).
pair_row() {
    "$python" - "$@" <<'PY'
import json, sys
key, threads, pair, a_path, b_path = sys.argv[1:]
with open(a_path) as a:
    report = json.load(a)
figure = report[key]
ours = figure[f"threads_{threads}"]["median_s"]
ours_peak = figure["peak_rss_mb"]
with open(b_path) as b:
    rows = [line.rstrip("\n").split("\t") for line in b]
if rows[0] != ["key", "seconds", "peak_rss_mb"]:
    sys.exit(f"bench_vs_pytorch: {b_path}: unexpected header {rows[0]}")
theirs, theirs_peak = next((float(r[1]), float(r[2])) for r in rows[1:] if r[0] == key)
if "peer_s" not in figure:
    print(f"bench_vs_pytorch: sn-bench's JSON has no peer_s for {key} (did it read --peer?)", file=sys.stderr)
elif abs(figure["peer_s"] - theirs) > 1e-6 * max(1.0, theirs):
    print(f"bench_vs_pytorch: sn-bench read peer_s {figure['peer_s']} for {key}, the TSV says {theirs}", file=sys.stderr)
load = (report.get("machine") or {}).get("other_load")
if load is not None and load > 0.05:
    print(f"bench_vs_pytorch: {key} pair {pair}: other processes used {load * 100:.0f}% of the cores during sn-bench's run",
          file=sys.stderr)
print(f"{key}\t{pair}\t{ours:.4f}\t{theirs:.4f}\t{theirs / ours:.3f}\t{ours_peak:.0f}\t{theirs_peak:.0f}")
PY
}

# The "median" row of one key from its pair rows.
median_row() {
    "$python" - "$@" <<'PY'
import statistics, sys
key, path = sys.argv[1:]
with open(path) as f:
    rows = [line.rstrip("\n").split("\t") for line in f]
rows = [r for r in rows if r[0] == key]
col = lambda i: statistics.median(float(r[i]) for r in rows)
print(f"{key}\tmedian\t{col(2):.4f}\t{col(3):.4f}\t{col(4):.3f}\t{col(5):.0f}\t{col(6):.0f}")
PY
}

printf 'key\tpair\tours_s\tpytorch_s\tpytorch_over_ours\tours_peak_rss_mb\tpytorch_peak_rss_mb\n'
for key in "${keys[@]}"; do
    for ((i = 1; i <= pairs; i++)); do
        echo "bench_vs_pytorch: $key, pair $i/$pairs: PyTorch" >&2
        rm -f "$work/b.tsv" "$work/a.json"
        "$python" scripts/bench/pytorch_bench.py --only "$key" --threads "$threads" --repeats "$repeats" \
            --out "$work/b.tsv" || die "pytorch_bench.py failed on $key"
        echo "bench_vs_pytorch: $key, pair $i/$pairs: sn-bench" >&2
        "$snbench" --only "$key" --threads "$threads" --model-repeats "$repeats" --json --peer "$work/b.tsv" \
            > "$work/a.json" || die "sn-bench failed on $key (does it have --peer?)"
        row=$(pair_row "$key" "$threads" "$i" "$work/a.json" "$work/b.tsv") || die "could not read the figures of $key"
        printf '%s\n' "$row" | tee -a "$work/pairs.tsv"
    done
    median_row "$key" "$work/pairs.tsv" || die "could not summarise $key"
done
