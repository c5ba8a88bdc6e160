#!/usr/bin/env bash
# Opens the TIFF outputs of every tool in Debian's ImageJ (package `imagej`, installed with apt-get if missing;
# it needs Java) headless, through ImageJ's own opener (scripts/imagej/PrintCalibration.java, compiled with javac
# against /usr/share/java/ij.jar: a -batch macro's open() needs a display in Debian's ImageJ), and compares what
# ImageJ reports (width, height, planes, pixel size, unit) with the expectations of scripts/check_readers.sh.
#
# Usage: scripts/check_imagej.sh [OUTPUT_DIR]   (default: a fresh folder, filled by scripts/check_readers.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/share/java/ij.jar ]; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y imagej >&2; else sudo apt-get install -y imagej >&2; fi
fi
out="${1:-}"
if [ -z "$out" ]; then
    out="$(mktemp -d "${TMPDIR:-/tmp}/sn-imagej.XXXXXX")"
    scripts/check_readers.sh "$out" > "$out/readers.txt" || { cat "$out/readers.txt"; exit 1; }
fi
[ -f "$out/expected.tsv" ] || { echo "check_imagej: $out/expected.tsv is missing; run scripts/check_readers.sh $out first" >&2; exit 1; }
version="$(dpkg-query -W -f '${Version}' imagej 2>/dev/null || echo unknown)"
mkdir -p .build/imagej-check
javac -cp /usr/share/java/ij.jar -d .build/imagej-check scripts/imagej/PrintCalibration.java
cut -f1 "$out/expected.tsv" > "$out/imagej-list.txt"
java -Djava.awt.headless=true -cp /usr/share/java/ij.jar:.build/imagej-check PrintCalibration "$out/imagej-list.txt" \
    > "$out/imagej.tsv" 2> "$out/imagej.stderr" || true
echo "ImageJ $(grep '^ImageJ' "$out/imagej.tsv" | cut -f2) (Debian package imagej $version), $(java -version 2>&1 | head -1)"
printf 'file\tImageJ: width x height, planes, pixel width x height, unit\tcheck\n'
status=0
while IFS=$'\t' read -r path width height planes pw ph; do
    line="$(grep -F "$path"$'\t' "$out/imagej.tsv" | head -1 || true)"
    if [ -z "$line" ]; then
        printf '%s\tnot opened\tFAIL\n' "${path#$out/}"; status=1; continue
    fi
    IFS=$'\t' read -r _ w h c s f ipw iph ipd unit interval lo hi <<< "$line"
    ok=$(awk -v w="$w" -v h="$h" -v n="$((c * s * f))" -v ipw="$ipw" -v iph="$iph" -v unit="$unit" \
             -v W="$width" -v H="$height" -v N="$planes" -v PW="$pw" -v PH="$ph" 'BEGIN {
        d1 = ipw - PW; if (d1 < 0) d1 = -d1; d2 = iph - PH; if (d2 < 0) d2 = -d2
        good = (w == W && h == H && n == N && d1 <= 1e-6 + 1e-6 * PW && d2 <= 1e-6 + 1e-6 * PH && (unit == "micron" || unit == "µm" || unit == "um"))
        print good ? "ok" : "FAIL" }')
    [ "$ok" = ok ] || status=1
    printf '%s\t%sx%s, %s planes (C%s Z%s T%s), %s x %s %s, interval %s, Z %s\t%s\n' \
        "${path#$out/}" "$w" "$h" "$((c * s * f))" "$c" "$s" "$f" "$ipw" "$iph" "$unit" "$interval" "$ipd" "$ok"
done < "$out/expected.tsv"
if [ -s "$out/imagej.stderr" ]; then echo "ImageJ stderr:"; head -20 "$out/imagej.stderr"; fi
exit "$status"
