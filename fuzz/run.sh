#!/usr/bin/env bash
# Runs every fuzz target for a fixed time (default 120 s each) and prints libFuzzer's summary
# lines; results go in RELIABILITY.md. Not part of CI's default run.
#
#   bash fuzz/run.sh            # 120 s per target
#   SECONDS_PER_TARGET=600 bash fuzz/run.sh
#
# Every input is bounded in time: one that takes longer than TIMEOUT seconds (default 10) is
# reported as a timeout, like a crash, and saved under fuzz/artifacts/TARGET/timeout-*; inputs
# over SLOW seconds (default 2) are listed as slow units.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and, for the seed corpus, a Python with pyarrow
# ($PYTHON, default the benchmark venv .venv-bench). On a stable toolchain RUSTC_BOOTSTRAP=1 lets
# it pass the sanitizer flags it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-120}
TIMEOUT=${TIMEOUT:-10}
SLOW=${SLOW:-2}
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/corpus fuzz/artifacts
# Seeds: the test fixtures and a demo dataset, so the fuzzer starts from valid files.
if [ ! -d fuzz/corpus/dataset ]; then
  mkdir -p fuzz/corpus/dataset fuzz/corpus/caption_bank fuzz/corpus/config_theme fuzz/corpus/image
  tmp=$(mktemp -d)
  if [ -x target/release/faultline ]; then bin=target/release/faultline; else cargo build --release --quiet; bin=target/release/faultline; fi
  "$bin" demo --write "$tmp" --demo-seed 1 --format table >/dev/null
  # Small seeds only: libFuzzer mutates better from short inputs.
  "${PYTHON:-.venv-bench/bin/python}" - "$tmp" <<'PY'
import sys, pyarrow.parquet as pq, pyarrow as pa
src = sys.argv[1]
t = pq.read_table(f"{src}/demo.parquet").slice(0, 40)
pq.write_table(t, "fuzz/corpus/dataset/demo40.parquet")
with pa.OSFile("fuzz/corpus/dataset/demo40.arrow", "wb") as f, pa.ipc.new_file(f, t.schema) as w:
    w.write_table(t)
pq.write_table(pq.read_table(f"{src}/captions.parquet").slice(0, 10), "fuzz/corpus/caption_bank/bank10.parquet")
PY
  cp themes/*.toml templates/captions.toml tests/fixtures/clip/separate/preprocessor_config.json fuzz/corpus/config_theme/
  cp tests/fixtures/clip/images/tiny.png tests/fixtures/clip/images/palette.png tests/fixtures/clip/images/grey.jpg fuzz/corpus/image/
  rm -rf "$tmp"
fi
for target in dataset caption_bank config_theme image; do
  echo "== $target, $SECONDS_PER_TARGET s"
  cargo fuzz run --release "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -rss_limit_mb=4096 \
    -timeout="$TIMEOUT" -report_slow_units="$SLOW" 2>&1 \
    | grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs|ERROR|SUMMARY|Slowest unit|slow-unit-|crash-|timeout-|oom-" || true
done
