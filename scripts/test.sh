#!/usr/bin/env bash
# Installs what is needed, then builds and runs the whole test suite: the unit suites of every package and the
# end-to-end tests that run the built tools (Swift), then the evaluation workflow's checks
# (scripts/check_workflow.sh: the tiny Snakemake workflow against the same steps as a shell pipeline, locally and
# on a one-node Slurm cluster). Numeric code is built optimised with testing enabled, since debug-built numerics
# run 10-100x slower. Arguments go to `swift test` (e.g. --filter); SN_WORKFLOW_CHECKS=0 leaves the workflow
# checks out, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift test -c release -Xswiftc -enable-testing "$@"
if [ "${SN_WORKFLOW_CHECKS:-1}" = 0 ]; then
    echo "test: the workflow checks were LEFT OUT (SN_WORKFLOW_CHECKS=0)" >&2
else
    scripts/check_workflow.sh
fi
