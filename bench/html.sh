#!/usr/bin/env bash
# The HTML report at ImageNet's shape (1,000 classes, 25 val + 25 test rows each, 512 dims), every
# row with a photo-like JPEG (500x375 and the like, bench/make_images.py): how long faultline takes
# to write the page, how large it is, and how long headless Chromium (Debian's package) takes to
# open it and paint the first screen, against a page of the same text without thumbnails.
# Figures are the median of 3 runs of the release binary.
#
#   bash bench/html.sh               # default thumbnails per class (--top-rows 10: 10 + 10)
#   TOP_ROWS=4 bash bench/html.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-bench}
TOP_ROWS=${TOP_ROWS:-10}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q numpy pyarrow pillow
command -v chromium >/dev/null || { echo "bench/html.sh needs Debian's chromium" >&2; exit 2; }
mkdir -p bench-data/html
cargo build --release 2>/dev/null
data=bench-data/html/imagenet.parquet
if [ ! -f "$data" ]; then
  [ -f bench-data/html/list.csv ] || "$VENV/bin/python" bench/make_images.py bench-data/html --count 2000
  "$VENV/bin/python" bench/make_data.py bench-data/html/plain.parquet --classes 1000 --val 25 --test 25 --dim 512
  # Every row gets one of the 2,000 images, in turn.
  "$VENV/bin/python" - bench-data/html/plain.parquet "$data" <<'PY'
import sys
import pyarrow as pa, pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
images = [f"images/{i % 2000:06d}." + ("png" if i % 2000 % 10 == 0 else "jpg") for i in range(table.num_rows)]
table = table.append_column("image", pa.array(images))
pq.write_table(table, sys.argv[2])
PY
fi
echo "# machine: $(nproc) cores, $(uname -m); chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
"$VENV/bin/python" - "$data" "$TOP_ROWS" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
data, top = sys.argv[1], sys.argv[2]
binary = "target/release/faultline"
out = tempfile.mkdtemp()
def median(f):
    runs = [f() for _ in range(3)]
    return statistics.median(runs), [round(r, 2) for r in runs]
def write(name, extra):
    path = os.path.join(out, name)
    def run():
        start = time.perf_counter()
        subprocess.run([binary, "report", data, "--format", "html", "--top-rows", top, "--out", path, *extra],
                       check=True, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start
    return path, median(run)
def chromium(path):
    def run():
        shot = os.path.join(out, "shot.png")
        start = time.perf_counter()
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1280,900", f"--screenshot={shot}", "file://" + os.path.abspath(path)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start
    return median(run)
page, (t_write, runs_write) = write("report.html", [])
print(f"faultline report --format html --top-rows {top}: {t_write:.2f} s {runs_write}; page {os.path.getsize(page) / 1e6:.1f} MB")
# The same page without thumbnails: the images' folder is not beside the data, so every row is a placeholder.
os.rename(os.path.join(os.path.dirname(data), "images"), os.path.join(os.path.dirname(data), "images.away"))
try:
    bare, (t_bare, _) = write("bare.html", [])
finally:
    os.rename(os.path.join(os.path.dirname(data), "images.away"), os.path.join(os.path.dirname(data), "images"))
print(f"the same page with placeholders for the images: {os.path.getsize(bare) / 1e6:.1f} MB, written in {t_bare:.2f} s")
blank = os.path.join(out, "blank.html")
open(blank, "w").write("<!DOCTYPE html><html><body>blank</body></html>")
for name, path in [("blank page", blank), ("placeholders", bare), ("report", page)]:
    t, runs = chromium(path)
    print(f"chromium headless, open and screenshot, {name}: {t:.2f} s {runs}")
PY
