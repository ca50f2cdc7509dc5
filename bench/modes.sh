#!/usr/bin/env bash
# The cost of finding several failure modes per class, the shared modes and their tests on
# held-out rows, against the paper's single direction (with its test) and scikit-learn's
# LinearSVC fitting that single direction, on the same data in the same session; then the
# shared-mode pass alone on 1,000,000 rows x 512 (issue 12's speed targets).
#
#   bash bench/modes.sh                  # every shape below
#   SHAPES=imagenet bash bench/modes.sh  # one shape: imagenet, celeba, celeba-two, shared
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-bench}
SHAPES=${SHAPES:-imagenet celeba celeba-two shared}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q numpy scikit-learn pyarrow
mkdir -p bench-data
echo "# machine: $(nproc) cores, $(uname -m); $("$VENV/bin/python" -c 'import sklearn, numpy; print("scikit-learn", sklearn.__version__, "numpy", numpy.__version__)')"
cargo build --release --bench fit 2>/dev/null
for shape in $SHAPES; do
  case $shape in
    imagenet) args="--classes 1000 --val 25 --test 25 --dim 512" ;;
    celeba) args="--classes 2 --val 20000 --test 20000 --dim 512" ;;
    # A planted world of that shape where one class fails in two independent ways: the splits
    # are found, fitted and tested.
    celeba-two) args="two-modes" ;;
    shared)
      # 1,000 classes x (500 val + 500 test), one failure each; 100 of them fail alike.
      data=bench-data/shared-1000000x512.parquet
      [ -f "$data" ] || "$VENV/bin/python" bench/make_data.py "$data" --classes 1000 --train 0 \
        --val 500 --test 500 --dim 512 --shared-classes 100
      echo "## the shared-mode pass, 1,000,000 x 512, 1,000 classes, 100 of them failing alike"
      cargo bench --bench fit -- "$data" --repeat 3 --shared-pass --label faultline-shared-pass 2>/dev/null
      continue ;;
    *) echo "unknown shape $shape" >&2; exit 2 ;;
  esac
  data=bench-data/modes-$(echo "$args" | tr -d ' -').parquet
  if [ "$args" = two-modes ]; then
    [ -f "$data" ] || cargo bench --bench fit -- --write-two-modes "$data" 2>/dev/null
  else
    [ -f "$data" ] || "$VENV/bin/python" bench/make_data.py "$data" $args
  fi
  results=${data%.parquet}.results.jsonl
  echo "## $shape ($args)"
  {
    cargo bench --bench fit -- "$data" --repeat 3 --max-modes 1 --max-shared 0 --label faultline-one-direction 2>/dev/null
    cargo bench --bench fit -- "$data" --repeat 3 --label faultline-modes 2>/dev/null
    "$VENV/bin/python" bench/peers.py "$data" --solvers linear_svc
  } > "$results"
  "$VENV/bin/python" - "$results" <<'PY'
import json, sys
runs = {r["solver"]: r for r in (json.loads(l) for l in open(sys.argv[1]) if l.startswith("{"))}
one, modes, svc = runs["faultline-one-direction"], runs["faultline-modes"], runs["linear_svc"]
print(f"one direction per class (paper, with its test): {one['seconds']:.2f} s (median of {[round(t, 2) for t in one['runs']]})")
print(f"up to {modes['max_modes']} modes per class + {modes['max_shared']} shared + tests: {modes['seconds']:.2f} s "
      f"(median of {[round(t, 2) for t in modes['runs']]}), {modes['seconds'] / one['seconds']:.2f}x the one-direction fit; "
      f"{modes['significant_modes']} significant modes, {modes['shared_modes']} shared, {modes['hypotheses']} tests")
print(f"scikit-learn LinearSVC, one direction per class: {svc['seconds']:.2f} s, "
      f"{svc['seconds'] / modes['seconds']:.1f}x the time of faultline with modes")
PY
done
