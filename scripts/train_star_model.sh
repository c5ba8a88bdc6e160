#!/usr/bin/env bash
# Trains a star-convex polygon model with the release-built sn-train-star and writes a model file for
# `sn-segment --method star --model FILE`.
#
#   scripts/train_star_model.sh --train DIR --validation DIR --out FILE [options]
#
# DIR holds images/NAME.tif and masks/NAME.tif (what sn-synth writes). Options (defaults = StarDist's 2-D
# defaults where it has them): --steps 1000 --batch 4 --patch 128 --lr 0.0003 --seed 1 --depth 3
# --filters 32 --rays 32 --after 128 --limit 0 (0 = every image). See `sn-train-star --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product sn-train-star >&2
exec "$(swift build -c release --show-bin-path)/sn-train-star" "$@"
