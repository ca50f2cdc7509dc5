#!/usr/bin/env bash
# Every figure in BENCHMARKS.md, in one command on a fresh machine: builds the peers' Python venv
# (numpy, scikit-learn, pyarrow, pillow, transformers, onnxruntime from PyPI), generates the data
# under bench-data/, and runs each benchmark with its peer in the same session. About 65 minutes on
# 2 cores, most of it in scikit-learn: SVC(kernel="linear") is stopped where it cannot finish
# (1200 s at the CelebA shape, 600 s for the large class) and reported as a lower bound; set
# SOLVERS=linear_svc to skip it altogether.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "## fitting, CelebA shape (SVC stopped after 1200 s, a lower bound)"
SHAPE="--classes 2 --val 20000 --dim 512" PEER_MAX_SECONDS=1200 bash bench/run.sh
echo "## fitting, 4,000 rows a class"
SHAPE="--classes 2 --val 4000 --dim 512" bash bench/run.sh
echo "## fitting, ImageNet shape"
SHAPE="--classes 1000 --val 25 --dim 512" bash bench/run.sh
echo "## fitting, one large class (SVC stopped after 600 s: quadratic in rows, a lower bound)"
SHAPE="--classes 1 --val 200000 --dim 768" SKIP_FREE=1 PEER_MAX_SECONDS=600 bash bench/run.sh
echo "## loading"
bash bench/load.sh
echo "## embedding"
bash bench/embed.sh
echo "## several modes, shared modes"
bash bench/modes.sh
echo "## diff against two reports"
bash bench/diff.sh
echo "## explorer and interactive operations"
cargo bench --bench explorer 2>/dev/null
