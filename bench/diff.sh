#!/usr/bin/env bash
# `faultline diff` against two `faultline report` runs on the same data (issue 13's target: a
# diff costs at most two reports), at the ImageNet and CelebA shapes. Every run fits from
# scratch (--no-cache); each figure is the median of 3 runs of the release binary.
#
#   bash bench/diff.sh                   # both shapes
#   SHAPES=celeba bash bench/diff.sh     # one: imagenet, celeba
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-bench}
SHAPES=${SHAPES:-imagenet celeba}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q numpy pyarrow
mkdir -p bench-data
cargo build --release 2>/dev/null
echo "# machine: $(nproc) cores, $(uname -m)"
for shape in $SHAPES; do
  case $shape in
    imagenet) args="--classes 1000 --val 25 --test 25 --dim 512" ;;
    celeba) args="--classes 2 --val 20000 --test 20000 --dim 512" ;;
    *) echo "unknown shape $shape" >&2; exit 2 ;;
  esac
  data=bench-data/diff-$(echo "$args" | tr -d ' -').parquet
  [ -f "$data" ] || "$VENV/bin/python" bench/make_data.py "$data" $args --after
  echo "## $shape ($args)"
  "$VENV/bin/python" - "$data" <<'PY'
import statistics, subprocess, sys, time
data = sys.argv[1]
binary = "target/release/faultline"
def timed(args):
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([binary, *args, "--no-cache", "--format", "json", "--out", "/dev/null"],
                       check=True, stderr=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), runs
report, report_runs = timed(["report", data])
diff, diff_runs = timed(["diff", data, "--before", "prediction", "--after", "prediction_after"])
print(f"faultline report: {report:.2f} s (median of {[round(t, 2) for t in report_runs]}); two reports {2 * report:.2f} s")
print(f"faultline diff:   {diff:.2f} s (median of {[round(t, 2) for t in diff_runs]}), "
      f"{diff / (2 * report):.2f}x the time of two reports")
PY
done
