#!/usr/bin/env bash
# Reproduces the fitting figures in BENCHMARKS.md: builds a Python venv for the peers
# (numpy, scikit-learn, pyarrow from PyPI), generates the data, and runs faultline and the
# peers on the same file in the same session.
#
#   bash bench/run.sh                 # CelebA shape: 2 classes x 20,000 val rows, d = 512
#   SHAPE="--classes 2 --val 4000" bash bench/run.sh
#   SOLVERS=linear_svc bash bench/run.sh   # skip SVC(kernel="linear"), which takes many minutes
#   PEER_MAX_SECONDS=600 bash bench/run.sh # stop a peer after 600 s and report it as a lower bound
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-bench}
SHAPE=${SHAPE:---classes 2 --val 20000 --dim 512}
SOLVERS=${SOLVERS:-linear_svc,svc}
DATA=${DATA:-bench-data/fit-$(echo "$SHAPE" | tr -d ' -').parquet}

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q numpy scikit-learn pyarrow
mkdir -p "$(dirname "$DATA")"
[ -f "$DATA" ] || "$VENV/bin/python" bench/make_data.py "$DATA" $SHAPE

echo "# machine: $(nproc) cores, $(uname -m); $("$VENV/bin/python" -c 'import sklearn, numpy; print("scikit-learn", sklearn.__version__, "numpy", numpy.__version__)')"
echo "# data: $DATA ($SHAPE)"
RESULTS=${DATA%.parquet}.results.jsonl
cargo bench --bench fit -- "$DATA" --repeat 3 --bias regularized 2>/dev/null > "$RESULTS"
[ -n "${SKIP_FREE:-}" ] || cargo bench --bench fit -- "$DATA" --repeat 1 --bias free 2>/dev/null >> "$RESULTS"
"$VENV/bin/python" bench/peers.py "$DATA" --solvers "$SOLVERS" ${PEER_MAX_SECONDS:+--max-seconds "$PEER_MAX_SECONDS"} >> "$RESULTS"
"$VENV/bin/python" bench/compare.py "$RESULTS"
