#!/usr/bin/env bash
# Runs the deterministic mutation fuzzer (Tools/sn-fuzz) over every target for longer than the test suite
# does: TIFF and PNG reading, Otsu on extreme float32 values, star-convex post-processing, the model-file
# loader. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 60)] [SEED (default 1)] [TARGETS (default "tiff png otsu star model diameter")]
# Seeds: made in memory plus MicroscopyIO's test fixtures and the shipped models' metadata.
# A crash prints 'sn-fuzz: CRASH target T input I' and this script exits non-zero; reproduce one input with
#   .build/release/sn-fuzz --target T --seed SEED --start I --count 1
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
seed="${2:-1}"
targets="${3:-tiff png otsu star model diameter}"
swift build -c release --product sn-fuzz >&2
fixtures=Packages/MicroscopyIO/Tests/MicroscopyIOTests/Fixtures
status=0
for target in $targets; do
    corpus=$fixtures
    [ "$target" = model ] && corpus=Models
    .build/release/sn-fuzz --target "$target" --seconds "$seconds" --seed "$seed" --corpus "$corpus" || status=$?
done
exit "$status"
