#!/usr/bin/env bash
# The 10 real Hoechst frames of ../shared/data/real/ (channel 0 of the OME-TIFF time-lapse) and their reference
# labels (channel 2; from an analysis pipeline, so scores against them are agreement, not accuracy), one TIFF per
# frame, for the evaluation and training scripts:
#
#   scripts/real_frames.sh DEST [X,Y,W,H] [SCALE]
#
# writes DEST/images/frame_T.tif and DEST/masks/frame_T.tif (T = 0...9), cut to the region X,Y,W,H (pixels of
# the 576 x 210 frame; default the whole frame) and resampled by SCALE (default 1; labels by nearest
# neighbour), with sn-convert --region/--scale. DEST is built as DEST.tmp and renamed when complete; an
# existing DEST is kept. BIN names the folder of the built tools (default: swift build -c release's).
# Exit status: 0 done, 1 the data is missing (../shared/data/real/ is beside the repository, not in it), 2 usage.
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: $0 DEST [X,Y,W,H] [SCALE]" >&2; exit 2; }
dest=$1 region=${2:-0,0,576,210} scale=${3:-1}
cd "$(dirname "$0")/.."
file=../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff
[ -f "$file" ] || { echo "real_frames: $file not found (the real Hoechst frames beside the repository)" >&2; exit 1; }
[ -d "$dest/masks" ] && exit 0
bin=${BIN:-$(swift build -c release --show-bin-path)}
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/images" "$dest.tmp/masks" "$dest.tmp/one"
for t in 0 1 2 3 4 5 6 7 8 9; do
    for kind in images masks; do
        channel=0 labels=()
        [ "$kind" = masks ] && channel=2 labels=(--labels)
        echo "$file" | "$bin/sn-convert" --channel "$channel" --t "$t" "${labels[@]}" --region "$region" --scale "$scale" \
            --out "$dest.tmp/one" > /dev/null
        mv "$dest.tmp/one/scratch-assay-labeled-10T-2Ch.tif" "$dest.tmp/$kind/frame_$t.tif"
    done
done
rmdir "$dest.tmp/one"
mv "$dest.tmp" "$dest"
