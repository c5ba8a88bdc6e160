#!/usr/bin/env bash
# Installs PyTorch (CPU) and NumPy for the PyTorch side of scripts/bench_vs_pytorch.sh into
# .venv-bench-torch/ (the project's; nothing is installed system-wide but Debian's python3-venv when it
# is missing). Idempotent: does nothing when the environment matches the requirements.
# Prints the environment's python on stdout; pip's output and progress go to stderr.
#
# Which build (see the comments in the two requirements files):
#   scripts/bench/requirements-torch.txt       torch 2.13.0+cpu, CPU-only, 1 GB: pip finds it in the
#                                              find-links folder this machine kind configures for pip
#   scripts/bench/requirements-torch-pypi.txt  torch 2.13.0 from PyPI alone, with its CUDA libraries
#                                              (4.7 GB): used when the first cannot be installed
# BENCH_TORCH_BUILD=cpu or =pypi forces one (default auto: cpu, else pypi).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-bench-torch
cpu=scripts/bench/requirements-torch.txt
pypi=scripts/bench/requirements-torch-pypi.txt
mode=${BENCH_TORCH_BUILD:-auto}
case "$mode" in
    auto | cpu | pypi) ;;
    *) echo "setup-torch: BENCH_TORCH_BUILD must be auto, cpu or pypi, got '$mode'" >&2; exit 2 ;;
esac
stamp="$venv/requirements.sha256"
want=$( { cat "$cpu" "$pypi"; echo "build=$mode"; } | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "$PWD/$venv/bin/python"
    exit 0
fi
python=$(command -v python3 || true)
[ -x /usr/bin/python3 ] && python=/usr/bin/python3    # Debian's, not a user's pyenv shim
[ -n "$python" ] || { echo "setup-torch: python3 not found (apt-get install python3 python3-venv)" >&2; exit 1; }
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "setup-torch: installing python3-venv" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >&2
fi

fresh_venv() {
    rm -rf "$venv"
    "$python" -m venv "$venv"
}

build=""
if [ "$mode" != pypi ]; then
    echo "setup-torch: installing PyTorch 2.13.0+cpu into $venv (pinned: $cpu)" >&2
    fresh_venv
    if "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$cpu" >&2; then
        build=cpu
    elif [ "$mode" = cpu ]; then
        rm -rf "$venv"
        echo "setup-torch: pip could not install $cpu (torch 2.13.0+cpu is not on PyPI: it needs pip's find-links folder with the wheel)" >&2
        exit 1
    else
        echo "setup-torch: falling back to PyPI's PyTorch build with its CUDA libraries (4.7 GB installed; pinned: $pypi)" >&2
    fi
fi
if [ -z "$build" ]; then
    [ "$mode" = pypi ] && echo "setup-torch: installing PyPI's PyTorch 2.13.0 into $venv (pinned: $pypi)" >&2
    fresh_venv
    # PyPI alone: no configuration file's find-links, which could offer a local torch 2.13.0+cpu for
    # the pin torch==2.13.0 (a local version matches a pin without one).
    if ! env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null \
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$pypi" >&2; then
        rm -rf "$venv"
        echo "setup-torch: pip could not install $pypi" >&2
        exit 1
    fi
    build=pypi
fi
if ! "$venv/bin/python" -c 'import torch; torch.nn.Conv2d(1, 4, 3)(torch.randn(1, 1, 8, 8))' >&2; then
    rm -rf "$venv"
    echo "setup-torch: the installed PyTorch ($build build) does not run a convolution" >&2
    exit 1
fi
echo "$build" > "$venv/torch-build"
echo "$want" > "$stamp"
echo "$PWD/$venv/bin/python"
