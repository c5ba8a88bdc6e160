#!/usr/bin/env bash
# Installs what is needed, then builds and runs the whole test suite (unit suites of every package
# and end-to-end tests that run the built tools). Numeric code is built optimised with testing
# enabled, since debug-built numerics run 10-100x slower.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec swift test -c release -Xswiftc -enable-testing "$@"
