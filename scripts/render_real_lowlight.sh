#!/usr/bin/env bash
# Real shapes in low light (issue 16, item 6): the 10 real Hoechst frames of ../shared/data/real/ (channel 0,
# reference labels in channel 2) rendered through sn-camera's camera model at several photon budgets and at
# 1x and 2x nucleus size, with their reference labels as masks:
#   OUT/real-lowlight/base/sS/{images,masks}/frame_T.tif  the frames as they are (clean) and their labels at scale S
#   OUT/real-lowlight/pP-sS/{images,masks}/frame_T.tif    P photons at the brightest nucleus pixel, scale S
# Scale S > 1: the clean frame and the masks are brought to S x with sn-convert --scale S (masks by nearest
# neighbour) *before* rendering, so the photon and read noise are per pixel at the new size.
# Settings (environment): PHOTONS (default "8 20 50"), SCALES ("1 2"), HAZE (0.3 of the peak), ILLUMINATION
# (0.3 fall-off at the corners), READ_NOISE (2.5 e-), SEED (16; the same for every set, so that sets differ only
# by photon budget and scale), OUT (out). Existing sets are kept; delete a folder to render it again.
#   scripts/render_real_lowlight.sh            then scripts/evaluate_real_lowlight.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)
root=${OUT:-out}/real-lowlight
photons=${PHOTONS:-8 20 50}
scales=${SCALES:-1 2}
haze=${HAZE:-0.3}
illumination=${ILLUMINATION:-0.3}
read_noise=${READ_NOISE:-2.5}
seed=${SEED:-16}
for scale in $scales; do
    # The frames and their labels at this scale.
    frames="$root/base/s$scale"
    BIN=$bin scripts/real_frames.sh "$frames" 0,0,576,210 "$scale"
    clean="$frames/images" masks="$frames/masks"
    for p in $photons; do
        dir="$root/p$p-s$scale"
        [ -d "$dir/masks" ] && continue
        ls "$clean/"*.tif | "$bin/sn-camera" --photons "$p" --haze "$haze" --illumination "$illumination" \
            --read-noise "$read_noise" --seed "$seed" --out "$dir/images" > /dev/null
        cp -r "$masks" "$dir/masks.tmp" && mv "$dir/masks.tmp" "$dir/masks"
        echo "$dir"
    done
done
