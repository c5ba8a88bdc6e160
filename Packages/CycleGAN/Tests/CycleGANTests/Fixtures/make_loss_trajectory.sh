#!/usr/bin/env bash
# Regenerates loss_trajectory.json (LossTrajectoryTests): the per-step losses of 200 seeded
# SaliencyNet training steps, computed by the implementation at REF (default 3b51ec9: the engine
# before the Winograd weight gradient of issue 15). It checks REF out into a temporary worktree,
# copies LossTrajectoryTests.swift there, and runs that test with SN_WRITE_LOSS_TRAJECTORY set.
#   Packages/CycleGAN/Tests/CycleGANTests/Fixtures/make_loss_trajectory.sh [REF]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ref=${1:-3b51ec9}
root=$(git -C "$here" rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/ref" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add --detach "$tmp/ref" "$ref" >&2
cp "$here/../LossTrajectoryTests.swift" "$tmp/ref/Packages/CycleGAN/Tests/CycleGANTests/"
mkdir -p "$tmp/ref/Packages/CycleGAN/Tests/CycleGANTests/Fixtures"
(cd "$tmp/ref/Packages/CycleGAN" &&
    SN_WRITE_LOSS_TRAJECTORY="$tmp/out.json" swift test -c release -Xswiftc -enable-testing --filter LossTrajectoryTests >&2)
mv "$tmp/out.json" "$here/loss_trajectory.json"
echo "wrote $here/loss_trajectory.json (from $ref)" >&2
