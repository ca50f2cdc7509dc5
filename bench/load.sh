#!/usr/bin/env bash
# Reproduces the loading figures in BENCHMARKS.md: 1,000,000 rows x 512 float32 as Parquet and as
# an uncompressed Arrow IPC file; faultline's loader (validation included) against pyarrow's
# read_table plus the conversion to one float32 matrix, each in its own process with its peak RSS.
#
#   bash bench/load.sh
#   ROWS=200000 bash bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-bench}
ROWS=${ROWS:-1000000}
DIM=${DIM:-512}
DATA=bench-data/load
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q numpy pyarrow
[ -f "$DATA/load-${ROWS}x${DIM}.arrow" ] || "$VENV/bin/python" bench/make_load_data.py "$DATA" --rows "$ROWS" --dim "$DIM"
echo "# machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $("$VENV/bin/python" -c 'import pyarrow; print("pyarrow", pyarrow.__version__)')"
cargo bench --bench load --no-run 2>/dev/null
for run in 1 2; do
  echo "# run $run (page cache warm after the first read)"
  cargo bench --bench load -- "$DATA/load-${ROWS}x${DIM}.parquet" 2>/dev/null
  cargo bench --bench load -- "$DATA/load-${ROWS}x${DIM}.arrow" 2>/dev/null
  "$VENV/bin/python" bench/load_peers.py "$DATA/load-${ROWS}x${DIM}.parquet" "$DATA/load-${ROWS}x${DIM}.arrow"
done
# The files users already have: a NumPy .npy beside a Parquet table of labels, and a Hugging Face
# datasets folder (NUMPY=0 skips these).
if [ "${NUMPY:-1}" = 1 ]; then
  "$VENV/bin/pip" install -q datasets
  [ -d "$DATA/hf-${ROWS}x${DIM}" ] || "$VENV/bin/python" bench/make_numpy_load_data.py "$DATA" --rows "$ROWS" --dim "$DIM" --hf
  for run in 1 2; do
    echo "# NumPy and Hugging Face, run $run"
    cargo bench --bench load -- "$DATA/load-${ROWS}x${DIM}-meta.parquet" --embeddings "$DATA/load-${ROWS}x${DIM}.npy" 2>/dev/null
    cargo bench --bench load -- "$DATA/hf-${ROWS}x${DIM}" 2>/dev/null
    "$VENV/bin/python" bench/numpy_load_peers.py "$DATA/load-${ROWS}x${DIM}.npy" "$DATA/load-${ROWS}x${DIM}-meta.parquet" "$DATA/hf-${ROWS}x${DIM}"
  done
fi
