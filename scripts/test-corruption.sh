#!/usr/bin/env bash
# scripts/test-corruption.sh - outputs that cannot be corrupted (issue 7).
#
# 1. Killed runs: `migflow run` on a scenario that takes ~1-3 s is SIGKILLed
#    at random moments, each time into a fresh directory. After each kill no
#    file may exist under a final name unless the run is complete (every final
#    file of an uninterrupted reference run is there, byte-identical, and
#    manifest.json parses). Temporary files (names starting with '.') may
#    remain; they are reported, not failed on.
# 2. A full disk: a 2 MiB tmpfs. A small complete run is written first into
#    $MNT/ok; then a run that cannot fit ($MNT/big) must exit 2, name the file
#    it could not write, and leave no final-named file; then a sweep into the
#    full tmpfs ($MNT/sweep) must do the same. $MNT/ok must stay
#    byte-identical throughout. Finally, with space freed, `sweep --resume`
#    must finish the sweep with the same results as an undisturbed sweep.
#
# Must run as root (mount). Environment:
#   MIGFLOW_BIN   use this binary instead of `cargo build --release`
#   KILLS         number of killed runs (default 5)
#   KEEP_CORRUPTION_TEST=1  keep the temporary directory (kept on failure)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KILLS=${KILLS:-5}

log() { printf '[test-corruption %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }

T=""
MNT=""
PASSED=0
cleanup() {
  if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
    umount "$MNT" || log "warning: could not unmount $MNT"
  fi
  if [ -n "$T" ] && [ -d "$T" ]; then
    if [ "$PASSED" = 1 ] && [ "${KEEP_CORRUPTION_TEST:-0}" != 1 ]; then
      rm -rf "$T"
    else
      log "kept $T for inspection"
    fi
  fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "must run as root (it mounts a tmpfs)"
command -v python3 >/dev/null || fail "python3 is needed to parse manifest.json"

if [ -n "${MIGFLOW_BIN:-}" ]; then
  BIN=$MIGFLOW_BIN
else
  (cd "$ROOT" && cargo build --release --quiet)
  BIN=$ROOT/target/release/migflow
fi
[ -x "$BIN" ] || fail "no migflow binary at $BIN"

T=$(mktemp -d /tmp/migflow-corruption.XXXXXX)
log "working in $T"

json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }
# Final-named files (not starting with '.') directly in a directory.
final_files() { find "$1" -maxdepth 1 -type f ! -name '.*' -printf '%f\n' 2>/dev/null | sort; }
temp_files() { find "$1" -maxdepth 1 -type f -name '.*' -printf '%f(%s B) ' 2>/dev/null; }

# ---------------------------------------------------------------- 1. kills
cat >"$T/big.toml" <<'EOF'
[run]
years = 5
[population]
households = 300000
EOF
RUN_ARGS=(run "$T/big.toml" --quiet --households-out)

log "reference run (uninterrupted)"
t0=$(now)
"$BIN" "${RUN_ARGS[@]}" --out "$T/ref" || fail "reference run failed"
dur=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}')
mapfile -t EXPECTED < <(final_files "$T/ref")
log "reference run took ${dur}s and wrote: ${EXPECTED[*]}"
for f in trajectories.csv flows.csv manifest.json; do
  [ -s "$T/ref/$f" ] || fail "reference run did not write $f"
done
json_ok "$T/ref/manifest.json" || fail "reference manifest.json does not parse"

# Kill moments: uniform in 0.05 s .. the reference run's duration (capped
# below 1.5 s only if the run is faster than that), so some land in the
# final write and rename.
hi=$(awk -v d="$dur" 'BEGIN{ if (d < 1.5) d = 1.5; printf "%.2f", d }')
interrupted=0
for i in $(seq 1 "$KILLS"); do
  delay=$(awk -v s="$RANDOM$i" -v hi="$hi" 'BEGIN{srand(s); printf "%.3f", 0.05 + rand()*(hi-0.05)}')
  out="$T/kill$i"
  "$BIN" "${RUN_ARGS[@]}" --out "$out" &
  pid=$!
  sleep "$delay"
  if kill -KILL "$pid" 2>/dev/null; then killed=yes; else killed="no (already finished)"; fi
  rc=0; wait "$pid" || rc=$?
  mapfile -t got < <(final_files "$out")
  tmps=$(temp_files "$out")
  log "kill $i at ${delay}s: killed=$killed rc=$rc final=[${got[*]:-}] temp=[${tmps:-none}]"
  if [ "${#got[@]}" -eq 0 ]; then
    interrupted=$((interrupted + 1))
    continue
  fi
  # Some final names exist: the run must be complete.
  [ "${got[*]}" = "${EXPECTED[*]}" ] ||
    fail "killed run $i (at ${delay}s) left an incomplete set of final files: [${got[*]}], expected [${EXPECTED[*]}] (temp: ${tmps:-none})"
  json_ok "$out/manifest.json" || fail "killed run $i left a manifest.json that does not parse"
  for f in "${EXPECTED[@]}"; do
    [ "$f" = manifest.json ] && continue
    cmp -s "$out/$f" "$T/ref/$f" || fail "killed run $i left $f under its final name, differing from the reference (truncated?)"
  done
done
log "killed runs: $KILLS kills, $interrupted left no final file, the others were complete"

# A killed run's temporary files (its pid is dead) are removed by the next
# run into the same directory.
cat >"$T/tiny.toml" <<'EOF'
[run]
years = 2
[population]
households = 100
EOF
for i in $(seq 1 "$KILLS"); do
  out="$T/kill$i"
  [ -n "$(temp_files "$out")" ] || continue
  left=$(temp_files "$out")
  rm -f "$out"/*.csv "$out"/manifest.json
  "$BIN" run "$T/tiny.toml" --quiet --out "$out" || fail "a run into $out (after a killed run) failed"
  [ -z "$(temp_files "$out")" ] ||
    fail "a new run into $out left the killed run's temporary files: $(temp_files "$out")"
  log "a new run into kill$i removed the killed run's temporary files: $left"
done
rm -rf "$T"/kill* "$T/ref"

# ------------------------------------------------------------ 2. full disk
MNT=$T/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=2m tmpfs "$MNT" || { MNT=""; fail "cannot mount a tmpfs (mount -t tmpfs -o size=2m tmpfs $T/mnt)"; }

cat >"$T/small.toml" <<'EOF'
[run]
years = 2
[population]
households = 200
EOF
cat >"$T/mid.toml" <<'EOF'
[run]
years = 5
[population]
households = 20000
EOF
cat >"$T/sweep.toml" <<'EOF'
base = "default"
seed = 5
replicates = 2
[design]
kind = "grid"
[[factors]]
path = "levers.workshops.workshop_jobs_share"
levels = [0.0, 0.08]
[[factors]]
path = "population.households"
levels = [300]
[[factors]]
path = "run.years"
levels = [3]
EOF

"$BIN" run "$T/small.toml" --quiet --out "$MNT/ok" || fail "small run into the tmpfs failed"
ok_sums() { (cd "$MNT/ok" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
OK_BEFORE=$(ok_sums)
log "complete run in $MNT/ok: $(final_files "$MNT/ok" | tr '\n' ' ')"

# expect_full_disk NAME OUTDIR CMD...: exit 2, an error naming a file under
# OUTDIR, no final-named file in OUTDIR, ok/ unchanged.
expect_full_disk() {
  local name=$1 out=$2; shift 2
  local rc=0
  "$@" 2>"$T/$name.err" >/dev/null || rc=$?
  local err; err=$(cat "$T/$name.err")
  log "$name: exit $rc, stderr: $err"
  [ "$rc" = 2 ] || fail "$name: exit code $rc on a full disk, expected 2 (stderr: $err)"
  grep -qE "cannot write $out/[^. ]" "$T/$name.err" ||
    fail "$name: the error does not name the (final) file it could not write under $out/ (stderr: $err)"
  grep -qiE 'no space left|os error 28' "$T/$name.err" ||
    fail "$name: the error does not say the disk is full (stderr: $err)"
  local got; got=$(final_files "$out" | tr '\n' ' ')
  [ -z "$got" ] || fail "$name: final-named files left in $out on a full disk: $got"
  log "$name: temp files left: $(temp_files "$out")${out:+; subdirectories: $(find "$out" -mindepth 1 -type d -printf '%f ' 2>/dev/null)}"
  [ "$(ok_sums)" = "$OK_BEFORE" ] || fail "$name: $MNT/ok changed on a full disk"
}

expect_full_disk run-full "$MNT/big" \
  "$BIN" run "$T/mid.toml" --quiet --households-out --out "$MNT/big"

# Fill what is left, then a sweep into the full tmpfs.
dd if=/dev/zero of="$MNT/filler" bs=4k status=none 2>/dev/null || true
expect_full_disk sweep-full "$MNT/sweep" \
  "$BIN" sweep "$T/sweep.toml" --quiet --out "$MNT/sweep"

# With space again, --resume finishes it, equal to an undisturbed sweep.
rm -f "$MNT/filler"
"$BIN" sweep "$T/sweep.toml" --quiet --out "$T/sweep-ref" || fail "reference sweep failed"
"$BIN" sweep "$T/sweep.toml" --quiet --out "$MNT/sweep" --resume ||
  fail "sweep --resume after a full disk failed"
for f in runs.csv trajectories.csv failures.csv points.csv points_summary.csv; do
  cmp -s "$MNT/sweep/$f" "$T/sweep-ref/$f" || fail "sweep --resume after a full disk: $f differs from an undisturbed sweep"
done
json_ok "$MNT/sweep/manifest.json" || fail "resumed sweep's manifest.json does not parse"
[ "$(ok_sums)" = "$OK_BEFORE" ] || fail "$MNT/ok changed"

PASSED=1
echo "PASS: outputs cannot be corrupted ($KILLS killed runs; full disk: run and sweep exit 2 naming the file, nothing final left, earlier results intact, sweep resumes)"
