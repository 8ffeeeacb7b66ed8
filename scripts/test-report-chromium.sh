#!/usr/bin/env bash
# scripts/test-report-chromium.sh - the HTML report as a user sees it.
#
# Installs Debian's `chromium` when it is missing, builds migflow, makes a
# small run (2,000 households, 3 replicates, with the household panel),
# writes its report, and renders it in headless Chromium with no network:
#   - --dump-dom: the page loads and holds its charts (inline <svg>);
#   - --screenshot: the PNG exists and is not blank (many distinct colours,
#     a fair share of pixels off the background).
# Then it does the same for the default scenario (8,000 households,
# 4 replicates), as `migflow run --households-out --replicates 4` and
# `migflow report results -o results/report.html`. With UPDATE_SCREENSHOT=1 that screenshot is saved as
# docs/report-screenshot.png (the README shows it); otherwise it stays in
# the temporary directory and docs/ is not touched.
#
# Runs as root on a fresh Debian 12 (packages from apt). Environment:
#   MIGFLOW_BIN          use this migflow binary instead of building
#                        target/release/migflow with `cargo build --release`
#   UPDATE_SCREENSHOT=1  rewrite docs/report-screenshot.png
#   KEEP_REPORT_TEST=1   keep the temporary directory (kept on failure)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[test-report-chromium %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

T=""
PASSED=0
cleanup() {
  local rc=$?
  if [ -n "$T" ] && [ -d "$T" ]; then
    if [ "$PASSED" = 1 ] && [ "${KEEP_REPORT_TEST:-0}" != 1 ]; then
      rm -rf "$T"
    else
      log "kept $T for inspection"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
fail() {
  log "FAIL: $*"
  echo "FAIL: report in headless Chromium: $*"
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- tools -------------------------------------------------------------------
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  log "installing chromium (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
  CHROMIUM=$(command -v chromium) || fail "chromium is not on PATH after apt-get install"
fi
log "$("$CHROMIUM" --version 2>/dev/null || echo chromium)"
PYTHON=$(command -v python3 || true)
[ -n "$PYTHON" ] || PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || fail "python3 is needed to check the screenshot"

if [ -n "${MIGFLOW_BIN:-}" ]; then
  BIN=$MIGFLOW_BIN
else
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet)
  BIN=$ROOT/target/release/migflow
fi
[ -x "$BIN" ] || fail "no migflow binary at $BIN"

T=$(mktemp -d /tmp/migflow-report-test.XXXXXX)

# Headless Chromium, offline: no network services, a throwaway profile.
chrome() {
  local profile
  profile=$(mktemp -d "$T/profile.XXXXXX")
  timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --disable-dev-shm-usage --hide-scrollbars \
    --user-data-dir="$profile" "$@" 2>>"$T/chromium.log"
}

# Is a PNG a real picture? Pillow when it is there, else the standard
# library alone (zlib and the PNG filters); prints width, height, distinct
# colours and the share of pixels off the most common colour.
png_stats() {
  "$PYTHON" - "$1" <<'PY'
import sys, struct, zlib
path = sys.argv[1]
try:
    from PIL import Image
    im = Image.open(path).convert("RGB")
    w, h = im.size
    counts = im.getcolors(maxcolors=1 << 24)
    top = max(c for c, _ in counts)
    print(w, h, len(counts), 1 - top / (w * h))
    sys.exit(0)
except ImportError:
    pass
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, [], None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and interlace == 0, "only 8-bit, non-interlaced PNG"
        bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
    elif kind == b"IDAT":
        idat.append(body)
    pos += 12 + n
raw = zlib.decompress(b"".join(idat))
stride = w * bpp
prev = bytearray(stride)
colours = {}
step = max(1, h // 400)  # every row is unfiltered; every step-th is counted
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        for i in range(bpp, stride):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif f == 4:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % step == 0:
        for x in range(0, stride, bpp):
            px = bytes(line[x:x + min(bpp, 3)])
            colours[px] = colours.get(px, 0) + 1
    prev = line
total = sum(colours.values())
print(w, h, len(colours), 1 - max(colours.values()) / total)
PY
}

# check_report NAME HTML PNG SIZE: render and check.
check_report() {
  local name=$1 html=$2 png=$3 size=$4
  local svgs figures
  svgs=$(grep -o '<svg' "$html" | wc -l)
  figures=$(grep -o '<figure' "$html" | wc -l)
  [ "$svgs" -ge 4 ] || fail "$name: the HTML holds $svgs <svg> elements (expected at least 4)"
  [ "$svgs" -eq "$figures" ] || fail "$name: $svgs <svg> elements for $figures figures"
  if grep -Eiq "(src|href)=[\"']?(https?:)?//|url\((https?:)?//|<script|<link " "$html"; then
    fail "$name: the HTML refers to something outside itself"
  fi

  log "$name: chromium --dump-dom"
  chrome --dump-dom "file://$html" >"$T/$name.dom.html" || fail "$name: chromium --dump-dom failed (see $T/chromium.log)"
  local dom_svgs
  dom_svgs=$(grep -o '<svg' "$T/$name.dom.html" | wc -l)
  [ "$dom_svgs" -eq "$svgs" ] || fail "$name: the loaded page has $dom_svgs <svg> elements, the file $svgs"
  grep -q 'Headline table' "$T/$name.dom.html" || fail "$name: the loaded page lacks its headline table"
  grep -q 'id="cohorts"' "$T/$name.dom.html" || fail "$name: the loaded page lacks its cohort section"
  grep -q 'id="fig-cohort_poor_share"' "$T/$name.dom.html" || fail "$name: the loaded page lacks its cohort chart"

  log "$name: chromium --screenshot ($size)"
  rm -f "$png"
  chrome --screenshot="$png" --window-size="$size" "file://$html" >/dev/null \
    || fail "$name: chromium --screenshot failed (see $T/chromium.log)"
  [ -s "$png" ] || fail "$name: no screenshot at $png"
  local stats w h colours off bytes
  stats=$(png_stats "$png") || fail "$name: cannot read the screenshot $png"
  read -r w h colours off <<<"$stats"
  bytes=$(stat -c %s "$png")
  log "$name: screenshot ${w}x${h}, $bytes bytes, $colours distinct colours, $(awk -v o="$off" 'BEGIN{printf "%.1f", o*100}') % of pixels off the background"
  [ "$colours" -ge 64 ] || fail "$name: the screenshot has only $colours colours: blank?"
  awk -v o="$off" 'BEGIN{exit !(o >= 0.05)}' || fail "$name: the screenshot is almost all one colour ($off off the background)"
  echo "$svgs"
}

# --- a small run ---------------------------------------------------------------
cat >"$T/small.toml" <<'EOF'
[population]
households = 2000
EOF
log "small run: 2,000 households, 15 years, 3 replicates, household panel"
"$BIN" run "$T/small.toml" --out "$T/small" --replicates 3 --households-out --quiet
"$BIN" report "$T/small" -o "$T/small/report.html" >"$T/small.report.log"
n=$(check_report small "$T/small/report.html" "$T/small.png" 1280,4000)
log "small: $n charts rendered"

# --- the default scenario --------------------------------------------------------
# As the README's first command: `migflow run` into results/ (inside $T, so
# that the report names the directory as a user would see it).
log "default scenario: 8,000 households, 4 replicates, household panel"
(cd "$T" && "$BIN" run --households-out --replicates 4 --quiet &&
  "$BIN" report results -o results/report.html >"$T/default.report.log")
n=$(check_report default "$T/results/report.html" "$T/default.png" 1280,2570)
log "default: $n charts rendered"
if [ "${UPDATE_SCREENSHOT:-0}" = 1 ]; then
  mkdir -p "$ROOT/docs"
  cp "$T/default.png" "$ROOT/docs/report-screenshot.png"
  log "updated docs/report-screenshot.png ($(stat -c %s "$ROOT/docs/report-screenshot.png") bytes)"
fi

PASSED=1
echo "ok: report in headless Chromium (small and default runs; charts present, screenshots not blank)"
