#!/usr/bin/env bash
# Retrains the shipped small-nucleus SaliencyNet generator, Models/saliencynet-small-nuclei.safetensors
# (sn-enhance uses it without --model for inputs whose nuclei are below 0.71x the model's diameter;
# docs/training.md, "Resolution loss of the source crops"), from scratch, in two steps:
#   1. run A: the shipped model's recipe with --source-downsample 2.5 (half the source crops lose up to 2.5x
#      of their resolution), 2,500 iterations: scripts/train_saliencynet_model.sh with DOWNSAMPLE=2.5;
#   2. A's four networks trained on for 1,000 iterations with every source crop softened by 1.41-2.83x
#      (--source-downsample 2.83 --source-downsample-min 1.41: the planes of nuclei at 0.35-0.71x the
#      model's diameter, as sn-enhance enlarges them), the best epoch chosen on the validation images
#      shrunk to 0.5x (enlarged back to the model's diameter by the validation, as sn-enhance would).
# About 85 minutes on one core of this 2-core machine (58 + 25). Settings (environment): OUT (out/shipped-run),
# THREADS (1). The best generator's path is printed on stdout; copy it to Models/ to ship it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out/shipped-run}
threads=${THREADS:-1}
OUT="$out" THREADS="$threads" DOWNSAMPLE=2.5 scripts/train_saliencynet_model.sh > /dev/null
bin=$(swift build -c release --show-bin-path)
half="$out/val-half"
if [ ! -d "$half/masks" ]; then
    mkdir -p "$half"
    ls "$out/val/images/"*.tif | "$bin/sn-convert" --scale 0.5 --out "$half/images" > /dev/null
    ls "$out/val/masks/"*.tif | "$bin/sn-convert" --labels --scale 0.5 --out "$half/masks" > /dev/null
fi
[ "$threads" = 1 ] && export OPENBLAS_NUM_THREADS=1
exec "$bin/sn-train" --source "$out/src" --target "$out/filled" --validation "$half" --validation-limit 40 \
    --init "$out/run-content-mask-down2.5/best-networks.safetensors" --crop 128 \
    --epoch-iterations 250 --epochs 2 --decay-epochs 2 --source-downsample 2.83 --source-downsample-min 1.41 \
    --seed 3 --threads "$threads" --out "$out/run-small-nuclei"
