#!/usr/bin/env bash
# Builds the faultline wheel (maturin, bindings = "bin"; a release build of the binary) into
# dist/, then checks it as a new user would: a clean virtualenv, `pip install` of the wheel (which
# brings onnxruntime from PyPI), and, without activating the environment, `faultline demo --report`
# and `faultline embed captions` on the test fixture's tiny CLIP model.
#
#   scripts/wheel.sh            # build and check
#   CHECK=0 scripts/wheel.sh    # build only
#   scripts/wheel.sh --ci       # the packaging check scripts/test.sh runs after the tests
#
# --ci packs the binary the tests just built (dev profile, with the test-hooks feature, so cargo
# reuses it and only relinks) instead of a release build (about 7 minutes on 2 cores, too long
# for CI): the wheel's metadata, its onnxruntime dependency, the binary on PATH finding that
# onnxruntime with the venv not activated, and the two commands are what it checks.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_VENV=${BUILD_VENV:-.venv-wheel}
build=(--release --out dist)
if [ "${1:-}" = --ci ]; then
  BUILD_VENV=.venv
  dist=$(mktemp -d)
  build=(--profile dev --features test-hooks --out "$dist")
fi
[ -x "$BUILD_VENV/bin/python" ] || python3 -m venv "$BUILD_VENV"
"$BUILD_VENV/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.5,<2.0"
start=$(date +%s)
"$BUILD_VENV/bin/maturin" build --quiet --locked "${build[@]}"
wheel=$(ls -1t "${dist:-dist}"/faultline-*.whl | head -1)
echo "wheel built in $(( $(date +%s) - start )) s: $wheel"
[ "${CHECK:-1}" = 1 ] || exit 0

check=$(mktemp -d)
trap 'rm -rf "$check" ${dist:+"$dist"}' EXIT
python3 -m venv "$check/venv"
start=$(date +%s)
"$check/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
echo "installed in a clean venv in $(( $(date +%s) - start )) s"
# Not activated: the binary finds the environment's onnxruntime through the Python beside it.
env -u VIRTUAL_ENV PATH="/usr/bin:/bin" "$check/venv/bin/faultline" --version
env -u VIRTUAL_ENV PATH="/usr/bin:/bin" FAULTLINE_CACHE_DIR="$check/cache" \
  "$check/venv/bin/faultline" demo --report --format json --out "$check/report.json"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('demo report:', len(r['classes']), 'classes')" "$check/report.json"
printf 'cat\ndog\n' > "$check/classes.txt"
env -u VIRTUAL_ENV PATH="/usr/bin:/bin" "$check/venv/bin/faultline" embed captions \
  --model tests/fixtures/clip/separate --classes "$check/classes.txt" --out "$check/captions.parquet" --quiet
echo "embed captions: wrote $(du -h "$check/captions.parquet" | cut -f1)"
echo "wheel check passed"
