#!/usr/bin/env bash
# Reproduces the embedding figures in BENCHMARKS.md: generates photo-like images, then measures
# CLIP preprocessing (faultline vs transformers' PIL processor) and end-to-end embedding with the
# tiny test model (faultline embed vs CLIPImageProcessor + onnxruntime), in the same session.
#
#   bash bench/embed.sh                 # 2,000 images
#   COUNT=500 bash bench/embed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-bench}
COUNT=${COUNT:-2000}
DATA=bench-data/images-$COUNT
MODEL=tests/fixtures/clip/separate

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q numpy pillow transformers onnxruntime==1.32.0
[ -f "$DATA/list.csv" ] || "$VENV/bin/python" bench/make_images.py "$DATA" --count "$COUNT"

echo "# machine: $(nproc) cores, $(uname -m); $("$VENV/bin/python" -c 'import PIL, transformers, onnxruntime; print("pillow", PIL.__version__, "transformers", transformers.__version__, "onnxruntime", onnxruntime.__version__)')"
echo "# data: $DATA ($COUNT images, 500x375 to 800x600, 90% JPEG)"
cargo bench --bench preprocess -- "$DATA/list.csv" 2>/dev/null
cargo build --release --quiet
source "$VENV/bin/activate"
rm -f bench-data/embedded.parquet
time ./target/release/faultline embed images --quiet --model "$MODEL" --input "$DATA/list.csv" \
  --out bench-data/embedded.parquet
python bench/embed_peers.py "$DATA/list.csv" "$MODEL" 2>/dev/null
