#!/usr/bin/env bash
# Installs the evaluation workflow's own Python environment: Snakemake and its Slurm executor plugin, pinned in
# workflow/requirements.txt, into .venv-workflow/ (the project's; nothing is installed system-wide but Debian's
# python3-venv when it is missing). Idempotent: does nothing when the environment matches the requirements.
# Prints the environment's bin folder on stdout. The sn-* tools themselves need no Python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-workflow
requirements=workflow/requirements.txt
stamp="$venv/requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x "$venv/bin/snakemake" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "$PWD/$venv/bin"
    exit 0
fi
python=$(command -v python3 || true)
[ -x /usr/bin/python3 ] && python=/usr/bin/python3    # Debian's, not a user's pyenv shim
[ -n "$python" ] || { echo "setup-workflow: python3 not found (apt-get install python3 python3-venv)" >&2; exit 1; }
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "setup-workflow: installing python3-venv" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >&2
fi
echo "setup-workflow: installing Snakemake into $venv (pinned: $requirements)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
echo "$want" > "$stamp"
echo "$PWD/$venv/bin"
