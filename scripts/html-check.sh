#!/usr/bin/env bash
# The HTML report in a real browser: writes the demo's page, renders it with headless Chromium
# (Debian's `chromium`, installed when missing) to a PNG, and checks the picture is not blank:
# the thumbnails and bars give it many colours. Prints the PNG's path to look at.
#
#   scripts/html-check.sh [OUT_DIR]      # default: a temporary folder
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
if ! command -v chromium >/dev/null 2>&1; then
  echo "scripts/html-check.sh: installing chromium" >&2
  apt-get install -y -q chromium >/dev/null
fi
cargo build --release --quiet
FAULTLINE_CACHE_DIR="$out/cache" target/release/faultline demo --format html --out "$out/demo.html"
# --no-sandbox: root in a container; the page has no scripts and loads nothing.
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1280,2400 --screenshot="$out/demo.png" "file://$(realpath "$out/demo.html")" 2>/dev/null
python3 - "$out/demo.png" <<'PY'
import sys, zlib, struct
# Count distinct colours in the PNG without third-party modules (8-bit RGB/RGBA, filter-aware).
data = open(sys.argv[1], "rb").read()
pos, chunks = 8, []
width = height = colour_type = None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        chunks.append(body)
    pos += 12 + n
raw = zlib.decompress(b"".join(chunks))
bpp = 4 if colour_type == 6 else 3
stride = width * bpp
prev = bytearray(stride)
colours = set()
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, width, 4):
            colours.add(bytes(line[x * bpp:x * bpp + 3]))
    prev = line
print(f"{sys.argv[1]}: {width}x{height}, {len(colours)} distinct colours (sampled)")
sys.exit(0 if len(colours) > 200 else 1)
PY
echo "html check passed: look at $out/demo.png"
