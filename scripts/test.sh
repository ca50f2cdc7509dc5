#!/usr/bin/env bash
# The whole test suite on a fresh machine, set-up included (README's second command; .ci/run
# calls exactly this). It makes .venv with ONNX Runtime from PyPI for the embedding tests (faultline
# loads the active Python's onnxruntime, as it does for users), installing Debian's python3-venv
# first when `python3 -m venv` cannot work, and tmux for the terminal tests when it is missing.
# Arguments go to `cargo test` (e.g. scripts/test.sh --test ui); without any, the wheel is
# checked too.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() { # packages: installed from Debian's registry, refreshing the index once if needed
  sudo_if_needed apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
    { sudo_if_needed apt-get update >/dev/null 2>&1 && sudo_if_needed apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

if [ ! -x .venv/bin/python ]; then
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "scripts/test.sh: python3 -m venv is missing; installing Debian's python3-venv" >&2
    apt_install python3-venv
  fi
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check onnxruntime==1.32.0
if ! command -v tmux >/dev/null 2>&1; then
  echo "scripts/test.sh: installing tmux for the terminal tests" >&2
  apt_install tmux
fi
# shellcheck disable=SC1091
source .venv/bin/activate
# test-hooks: the fault injection two tests need (a killed job, a panicking explorer).
cargo test --locked --features test-hooks "$@"
# The whole suite also checks the pip wheel as a new user installs it (scripts/wheel.sh --ci:
# the binary just built, packed by maturin, installed with onnxruntime into a clean venv).
if [ $# -eq 0 ]; then
  scripts/wheel.sh --ci
fi
