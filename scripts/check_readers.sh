#!/usr/bin/env bash
# Reads the TIFF outputs of every tool with tifffile WITHOUT imagecodecs and checks pixel values, shapes and
# physical calibration (docs/image-io.md, "Readers checked"). Creates its pinned venv
# (scripts/requirements-readers.txt) in .build/venv-readers on first use; needs the tools built
# (swift build -c release) or SN_TOOLS_DIR. Python is used only here, never by the tools.
#
# Usage: scripts/check_readers.sh [OUTPUT_DIR (default: a fresh temporary folder)]
#        scripts/check_readers.sh --make-fixtures   (regenerates the calibration fixtures of MicroscopyIO's tests)
# The outputs and their expectations (OUTPUT_DIR/expected.tsv) are kept for scripts/check_imagej.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/venv-readers
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r scripts/requirements-readers.txt
fi
if [ "${1:-}" = --make-fixtures ]; then
    exec "$venv/bin/python" Packages/MicroscopyIO/Tests/MicroscopyIOTests/Fixtures/make_calibration_fixtures.py
fi
out="${1:-$(mktemp -d "${TMPDIR:-/tmp}/sn-readers.XXXXXX")}"
export SN_TOOLS_DIR="${SN_TOOLS_DIR:-$PWD/.build/release}"
exec "$venv/bin/python" scripts/check_readers.py "$out"
