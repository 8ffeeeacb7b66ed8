#!/usr/bin/env bash
# scripts/test-serve-chromium.sh - the explorer (`migflow serve`) as a user sees it.
#
# Installs Debian's `chromium` when /usr/bin/chromium is missing, installs
# the page's locked npm packages (`npm ci` in crates/migflow-serve/web:
# esbuild, uPlot, playwright-core), checks that the committed bundle
# (crates/migflow-serve/assets) is what `npm run build` makes of the
# sources, builds the release binary, starts `migflow serve --port 0` and
# drives the page in headless Chromium with no network
# (crates/migflow-serve/web/test/browser.mjs): the page loads without console
# errors and draws; a lever change gives the API's own effect; a bad value
# shows its message and sends nothing; of two quick changes only the second
# is ever drawn; the link restores the view; Reset; the downloads. It prints
# the median and range of the time from a request to its last chart drawn
# (#draw-ms) and saves a full-page screenshot to docs/serve.png.
#
# Runs from a fresh clone and under .ci/run (CI=true). Environment:
#   MIGFLOW_BIN        use this migflow binary instead of building it
#   SCREENSHOT=PATH    where the screenshot goes (default docs/serve.png; empty: none)
#   KEEP_SERVE_TEST=1  keep the temporary directory (kept on failure)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WEB=$ROOT/crates/migflow-serve/web
log() { printf '[test-serve-chromium %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

T=""
SERVER_PID=""
PASSED=0
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$T" ] && [ -d "$T" ]; then
    if [ "$PASSED" = 1 ] && [ "${KEEP_SERVE_TEST:-0}" != 1 ]; then
      rm -rf "$T"
    else
      log "kept $T for inspection (server log: $T/serve.log)"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
fail() {
  log "FAIL: $*"
  echo "FAIL: explorer in headless Chromium: $*"
  exit 1
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- tools -------------------------------------------------------------------
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  log "installing chromium (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] || fail "no $CHROMIUM after apt-get install chromium"
fi
log "$("$CHROMIUM" --version 2>/dev/null || echo chromium)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing nodejs and npm (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null
fi
log "node $(node --version), npm $(npm --version)"

log "npm ci (crates/migflow-serve/web)"
(cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || fail "npm ci failed in $WEB"
(cd "$WEB" && npm run --silent check) || fail "the committed bundle is not the build of the sources: run npm run build in crates/migflow-serve/web"

if [ -n "${MIGFLOW_BIN:-}" ]; then
  BIN=$MIGFLOW_BIN
else
  log "cargo build --release -p migflow-cli"
  (cd "$ROOT" && cargo build --release --quiet -p migflow-cli)
  BIN=$ROOT/target/release/migflow
fi
[ -x "$BIN" ] || fail "no migflow binary at $BIN"

T=$(mktemp -d /tmp/migflow-serve-test.XXXXXX)

# --- the server ----------------------------------------------------------------
log "starting $BIN serve --port 0"
(cd "$T" && exec "$BIN" serve --port 0) >"$T/serve.log" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 1 600); do
  URL=$(grep -o 'migflow serve: http://[0-9.]*:[0-9]*/' "$T/serve.log" 2>/dev/null | head -n1 | sed 's/^migflow serve: //') || true
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$T/serve.log" >&2; fail "migflow serve exited"; }
  sleep 0.1
done
[ -n "$URL" ] || { cat "$T/serve.log" >&2; fail "migflow serve printed no address within 60 s"; }
log "server at $URL (pid $SERVER_PID)"

# --- the page --------------------------------------------------------------------
export CHROMIUM
export SCREENSHOT="${SCREENSHOT-$ROOT/docs/serve.png}"
export TMPDIR="$T"
(cd "$WEB" && node test/browser.mjs "$URL") || fail "browser checks failed (see above; server log: $T/serve.log)"

PASSED=1
echo "ok: explorer in headless Chromium (load, lever change = API, bad value, stale response, link, reset, downloads)"
