#!/usr/bin/env bash
# Retrains the shipped SaliencyNet model (issue 16; docs/training.md, "The shipped model") from scratch:
# the data are a pure function of the seeds, and the run is sn-train's, so the result is the shipped
# Models/saliencynet.safetensors (G) and Models/saliencynet-networks.safetensors (G, F, D_X, D_Y, what
# `sn-train --init shipped` starts from) up to floating-point summation order.
#   scripts/train_saliencynet_model.sh                 # about 95 min on one core of this 2-core machine
# Settings (environment): OUT (out/shipped-run: data and run folder), CONTENT (mask: the shipped model's
# content term; none: the same run without it), THREADS (1: one core, so that two runs go side by side;
# 0: every core), DOWNSAMPLE (1: sn-train --source-downsample, the source crops' resolution loss; 1 = none),
# DOWNSAMPLE_MIN (1: sn-train --source-downsample-min; above 1 every source crop loses resolution). The best generator's path is printed on stdout; copy it and best-networks.safetensors
# into Models/ to ship them.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product sn-synth >&2
swift build -c release --product sn-train >&2
bin=$(swift build -c release --show-bin-path)
out=${OUT:-out/shipped-run}
content=${CONTENT:-mask}
threads=${THREADS:-1}
downsample=${DOWNSAMPLE:-1}
downsample_min=${DOWNSAMPLE_MIN:-1}
run="$out/run-content-$content"
[ "$downsample" = 1 ] || run="$run-down$downsample"
[ "$downsample_min" = 1 ] || run="$run-from$downsample_min"
mkdir -p "$out"
# The two unpaired domains and the validation set (with masks: they choose the best epoch only).
[ -d "$out/src/images" ] || "$bin/sn-synth" --style source --count 1000 --seed 11 --out "$out/src" > /dev/null
[ -d "$out/filled/images" ] || "$bin/sn-synth" --style filled --count 1000 --seed 62 --out "$out/filled" > /dev/null
[ -d "$out/val/images" ] || "$bin/sn-synth" --style source --count 40 --seed 5 --out "$out/val" > /dev/null
case "$content" in
    mask) content_args=(--content mask --content-weight 2 --content-blur 3) ;;
    none) content_args=() ;;
    *) echo "train_saliencynet_model: CONTENT must be mask or none, got '$content'" >&2; exit 2 ;;
esac
[ "$threads" = 1 ] && export OPENBLAS_NUM_THREADS=1
exec "$bin/sn-train" --source "$out/src" --target "$out/filled" \
    --validation "$out/val" --validation-limit 40 --ngf 32 --blocks 6 --crop 128 \
    --epoch-iterations 250 --epochs 5 --decay-epochs 5 --cycle-noise 0.1 --cycle-blur 1.5 --scale-jitter 0.25 \
    --source-downsample "$downsample" --source-downsample-min "$downsample_min" --seed 1 --threads "$threads" "${content_args[@]}" --out "$run"
