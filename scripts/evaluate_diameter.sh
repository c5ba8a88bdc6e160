#!/usr/bin/env bash
# Measures how well --diameter auto (sn-diameter) estimates the nucleus diameter, against the masks'
# median equivalent diameter:
#   - sn-synth images in both styles at diameters 6, 9, 12, 18, 24, 36, 48 and 64 px (COUNT images each,
#     default 12; image side 16 diameters, at least 256 px; density scaled by (12.2 / d)^2 so every
#     set has the default's crowding);
#   - the 10 real Hoechst frames of ../shared/data/real/ (reference labels) at 1x, 2x and 3x (sn-convert
#     --scale; labels by nearest neighbour).
# Prints one row per set (images within 15 %, median ratio, worst ratio) and an overall line; per-image
# rows are in $OUT/diameters.tsv (default out/diameter).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build -c release --show-bin-path)
out=${OUT:-out/diameter}
count=${COUNT:-12}
mkdir -p "$out"
rows="$out/diameters.tsv"
printf 'set\timage\testimate_px\tmasks_px\tratio\n' > "$rows"

# measure SET IMAGES_DIR MASKS_DIR: one row per image.
measure() {
    paste <("$bin/sn-diameter" "$2"/*.tif | tail -n +2 | grep -v '^summary') \
          <("$bin/sn-diameter" --labels "$3"/*.tif | tail -n +2 | grep -v '^summary') \
        | awk -F'\t' -v set="$1" '{ r = ($2 == "" ? 0 : $2 / $6); n = split($1, p, "/"); printf "%s\t%s\t%s\t%s\t%.4f\n", set, p[n], $2, $6, r }' >> "$rows"
}

for style in source target; do
    for d in 6 9 12 18 24 36 48 64; do
        dir="$out/synth/$style-$d"
        if [ ! -d "$dir/images" ]; then
            size=$(awk -v d="$d" 'BEGIN { s = int(16 * d / 16 + 0.5) * 16; print (s < 256 ? 256 : s) }')
            density=$(awk -v d="$d" 'BEGIN { v = 10 * (12.2 / d)^2; print (v > 60 ? 60 : v) }')
            "$bin/sn-synth" --style "$style" --count "$count" --seed "${SEED:-21}" --size "$size" --diameter "$d" \
                --density "$density" --out "$dir" > /dev/null 2>&1
        fi
        measure "$style-$d" "$dir/images" "$dir/masks"
    done
done

if [ -f ../shared/data/real/scratch_assay/scratch-assay-labeled-10T-2Ch.tiff ]; then
    for scale in 1 2 3; do
        dir="$out/real-${scale}x"
        BIN=$bin scripts/real_frames.sh "$dir" 0,0,576,210 "$scale"
        measure "real-${scale}x" "$dir/images" "$dir/masks"
    done
else
    echo "evaluate_diameter: ../shared/data/real/ not found; real frames left out" >&2
fi

# Summary per set, in the order measured: ratios sorted within each set for the median.
tail -n +2 "$rows" | awk -F'\t' '{ if (!($1 in o)) o[$1] = ++k; print o[$1] "\t" $0 }' | sort -t$'\t' -k1,1n -k6,6g \
    | awk -F'\t' '
    function flush() {
        if (cur == "") return
        med = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
        printf "%s\t%d\t%.0f%%\t%.3f\t%.3f\n", cur, m, 100 * ok / m, med, worst
    }
    BEGIN { printf "set\timages\twithin_15pct\tmedian_ratio\tworst_ratio\n" }
    {
        if ($2 != cur) { flush(); cur = $2; m = 0; ok = 0; worst = $6 }
        v[++m] = $6; good = ($6 >= 0.85 && $6 <= 1.15); ok += good; all++; allok += good
        if (($6 - 1)^2 > (worst - 1)^2) worst = $6
    }
    END { flush(); printf "all\t%d\t%.1f%%\t\t\n", all, 100 * allok / all }' | tee "$out/summary.tsv"
