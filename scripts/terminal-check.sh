#!/usr/bin/env bash
# Pictures in a real terminal: runs the explorer in xterm (sixel, `-ti vt340`) under Xvfb,
# bare, inside tmux with allow-passthrough on, and inside tmux with it off; takes screenshots
# and checks that the preview's pixels are the thumbnail's. Every thumbnail of the demo is
# repainted one flat colour first, so "the preview shows the thumbnail" is a pixel count.
# Then `faultline doctor` draws its test picture, whose four quarters are checked too.
#
# Not part of `cargo test` (it needs X, xterm and ImageMagick):
#   apt-get install xterm xvfb imagemagick tmux
#   scripts/terminal-check.sh            # screenshots and a PASS/FAIL line per case in $OUT
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-target/terminal-check}
BIN=${BIN:-target/release/faultline}
DISPLAY_NUMBER=${DISPLAY_NUMBER:-:97}
for tool in xterm Xvfb import convert tmux; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install xterm xvfb imagemagick tmux)"; exit 2; }
done
[ -x "$BIN" ] || cargo build --release
rm -rf "$OUT" && mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# The demo, with every thumbnail one flat magenta.
"$BIN" demo --write "$OUT/demo" >/dev/null
find "$OUT/demo" -name '*.png' -print0 | xargs -0 -n 50 mogrify -fill '#ff00ff' -colorize 100
export FAULTLINE_STATE_DIR="$OUT/state" FAULTLINE_CACHE_DIR="$OUT/cache"

Xvfb "$DISPLAY_NUMBER" -screen 0 1300x800x24 >/dev/null 2>&1 &
XVFB=$!
SOCKET=faultline-check-$$
cleanup() { pkill -f "xterm -T faultline-check" 2>/dev/null || true; tmux -L "$SOCKET" kill-server 2>/dev/null || true; kill "$XVFB" 2>/dev/null || true; }
trap cleanup EXIT
export DISPLAY=$DISPLAY_NUMBER
sleep 1

# In xterm at 120x36 cells of 10x20 pixels (the font size below), the preview pane is the top
# right quarter: x 890-1190, y 20-400.
explore="$BIN $OUT/demo/demo.parquet --captions $OUT/demo/captions.parquet --config /dev/null"
run_xterm() { # $1: name, $2: command inside xterm
  xterm -T faultline-check -ti vt340 -xrm 'XTerm*decTerminalID: vt340' -xrm 'XTerm*numColorRegisters: 256' \
    -fa Monospace -fs 10 -geometry 120x36+0+0 -e bash -c "$2" &
  sleep "${WAIT:-8}"
  import -window root "$OUT/$1.png"
}
share() { # fraction of pixels within 12% of colour $2 in region $3 of screenshot $1
  convert "$OUT/$1.png" -crop "$3" +repage \( +clone -fill "$2" -colorize 100 \) \
    -compose difference -composite -colorspace gray -threshold 12% -negate -format '%[fx:mean]' info:
}
verdict() { # $1 name, $2 measured, $3 minimum, $4 what
  if awk -v m="$2" -v t="$3" 'BEGIN { exit !(m >= t) }'; then r=PASS; else r=FAIL; FAILED=1; fi
  echo "$r $1: $4 ($2, needs >= $3)" | tee -a "$OUT/results.txt"
}
FAILED=0
PREVIEW=300x300+890+40

run_xterm bare "$explore; sleep 60"
verdict bare "$(share bare '#ff00ff' $PREVIEW)" 0.3 "magenta thumbnail pixels in the preview"
pkill -f "xterm -T faultline-check" || true

printf 'set -g allow-passthrough on\n' > "$OUT/tmux-on.conf"
run_xterm tmux-passthrough "tmux -L $SOCKET -f $OUT/tmux-on.conf new -s check '$explore; sleep 60'"
verdict tmux-passthrough "$(share tmux-passthrough '#ff00ff' $PREVIEW)" 0.3 "magenta thumbnail pixels in the preview"
title=$(tmux -L "$SOCKET" capture-pane -p -t check | head -1)
case "$title" in *"Preview · sixel"*) verdict tmux-passthrough 1 1 "preview title says sixel";; *) verdict tmux-passthrough 0 1 "preview title says sixel: $title";; esac
# The grid, then back: the grid's pictures must be gone from the examples pane.
tmux -L "$SOCKET" send-keys -t check v; sleep 2; import -window root "$OUT/tmux-grid.png"
verdict tmux-grid "$(share tmux-grid '#ff00ff' 600x300+380+40)" 0.15 "magenta thumbnails in the grid"
tmux -L "$SOCKET" send-keys -t check v; sleep 2; import -window root "$OUT/tmux-grid-closed.png"
left=$(share tmux-grid-closed '#ff00ff' 480x300+380+40)
verdict tmux-grid-closed "$(awk -v m="$left" 'BEGIN { print 1 - m }')" 0.99 "no picture left over the examples (1 - magenta share)"
tmux -L "$SOCKET" kill-server || true
pkill -f "xterm -T faultline-check" || true

printf 'set -g allow-passthrough off\n' > "$OUT/tmux-off.conf"
run_xterm tmux-no-passthrough "tmux -L $SOCKET -f $OUT/tmux-off.conf new -s check '$explore; sleep 60'"
screen=$(tmux -L "$SOCKET" capture-pane -p -t check)
case "$screen" in *allow-passthrough*) verdict tmux-no-passthrough 1 1 "the preview says which tmux setting to change";; *) verdict tmux-no-passthrough 0 1 "the preview says which tmux setting to change";; esac
verdict tmux-no-passthrough "$(share tmux-no-passthrough '#ff00ff' $PREVIEW)" 0.1 "half-block thumbnail in the preview"
tmux -L "$SOCKET" kill-server || true
pkill -f "xterm -T faultline-check" || true

# doctor's test picture below its text: quarters red, green (right of red), blue (under red).
WAIT=5 run_xterm doctor "$BIN doctor; sleep 60"
mask() { # bounding box and pixel count of colour $1 in the left part of the doctor screenshot
  convert "$OUT/doctor.png" -crop 400x600+0+150 +repage \( +clone -fill "$1" -colorize 100 \) \
    -compose difference -composite -colorspace gray -threshold 12% -negate -format '%@ %[fx:mean*w*h]' info:
}
read -r red_box red_n <<<"$(mask '#dc1e1e')"
read -r green_box green_n <<<"$(mask '#1ec83c')"
read -r _ blue_n <<<"$(mask '#283cdc')"
verdict doctor-red "$red_n" 5000 "red pixels of the test picture ($red_box)"
verdict doctor-green "$green_n" 5000 "green pixels of the test picture ($green_box)"
verdict doctor-blue "$blue_n" 5000 "blue pixels of the test picture"
red_x=$(echo "$red_box" | cut -d+ -f2); green_x=$(echo "$green_box" | cut -d+ -f2)
red_y=$(echo "$red_box" | cut -d+ -f3); green_y=$(echo "$green_box" | cut -d+ -f3)
verdict doctor-layout "$(( green_x > red_x && green_y == red_y ))" 1 "green quarter right of red, same top"
pkill -f "xterm -T faultline-check" || true

echo "screenshots and results in $OUT"
exit $FAILED
