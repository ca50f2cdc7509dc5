#!/usr/bin/env bash
# The HTML report of 1,000 classes, nearly all with a finding (the worst case for its size: only a
# finding's section shows images): 200 val and 100 test rows per class, 64 dims (the page does not
# depend on them), every test row with its own path to a photo-like picture (500x375 and the like,
# JPEG or PNG, bench/make_images.py; 2,000 pictures behind 100,000 links, so every thumbnail is
# made from a file). Measured: how long faultline takes to write the page, how large it is, and how
# long headless Chromium (Debian's package) takes to open it and paint the first screen, against a
# blank page and the same page with placeholders for the images. Medians of 3 runs.
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
  "$VENV/bin/python" bench/make_data.py bench-data/html/plain.parquet --classes 1000 --val 200 --test 100 --dim 64 --sharpness 400
  # Every test row gets a path of its own, a link to one of the 2,000 pictures.
  "$VENV/bin/python" - bench-data/html/plain.parquet "$data" <<'PY'
import os, sys
import pyarrow as pa, pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
os.makedirs("bench-data/html/rows", exist_ok=True)
images = []
for i, split in enumerate(table.column("split").to_pylist()):
    if split != "test":
        images.append(None)
        continue
    k = i % 2000
    ext = "png" if k % 10 == 0 else "jpg"
    link = f"bench-data/html/rows/{i}.{ext}"
    if not os.path.lexists(link):
        os.symlink(f"../images/{k:06d}.{ext}", link)
    images.append(f"rows/{i}.{ext}")
pq.write_table(table.append_column("image", pa.array(images, pa.string())), sys.argv[2])
PY
fi
echo "# machine: $(nproc) cores, $(uname -m); chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
"$VENV/bin/python" - "$data" "$TOP_ROWS" <<'PY'
import json, os, statistics, subprocess, sys, tempfile, time
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
pictures = open(page).read().count("<img ")
print(f"faultline report --format html --top-rows {top}: {t_write:.2f} s {runs_write}; page {os.path.getsize(page) / 1e6:.1f} MB, {pictures} thumbnails")
# The same page without thumbnails: the images' folder is not beside the data, so every row is a placeholder.
folder = os.path.dirname(data)
os.rename(os.path.join(folder, "images"), os.path.join(folder, "images.away"))
try:
    bare, (t_bare, _) = write("bare.html", [])
finally:
    os.rename(os.path.join(folder, "images.away"), os.path.join(folder, "images"))
print(f"the same page with placeholders for the images: {os.path.getsize(bare) / 1e6:.1f} MB, written in {t_bare:.2f} s")
blank = os.path.join(out, "blank.html")
open(blank, "w").write("<!DOCTYPE html><html><body>blank</body></html>")
for name, path in [("blank page", blank), ("placeholders", bare), ("report", page)]:
    t, runs = chromium(path)
    print(f"chromium headless, open and screenshot, {name}: {t:.2f} s {runs}")
# The peer: Pillow making the same thumbnails from the rows the page shows.
report = json.loads(subprocess.run([binary, "report", data, "--format", "json", "--top-rows", top],
                                   check=True, capture_output=True).stdout)
shown = [row["image"] for c in report["classes"] if c["modes"] and c["modes"][0]["finding"]
         for row in c["hardest"] + c["easiest"] if row.get("image")]
with open(os.path.join(out, "shown.txt"), "w") as f:
    f.write("\n".join(shown))
sys.stdout.flush()
subprocess.run([sys.executable, "bench/html_peer.py", os.path.join(out, "shown.txt")], check=True)
PY
