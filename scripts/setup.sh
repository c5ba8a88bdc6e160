#!/usr/bin/env bash
# Installs what SaliencyNet needs on a fresh Debian/Ubuntu machine: the three C libraries it links
# (OpenBLAS for GEMM, libtiff, libpng). Idempotent: does nothing when they are already installed.
# The Swift 6.3 toolchain itself must already be on PATH.
set -euo pipefail

packages=(libopenblas-dev libtiff-dev libpng-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
        SUDO=sudo
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

command -v swift >/dev/null || { echo "setup: 'swift' is not on PATH; install the Swift 6.3 toolchain" >&2; exit 1; }
