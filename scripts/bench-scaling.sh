#!/usr/bin/env bash
# Whole-run timings for BENCHMARKS.md: cost per household-year from 10,000
# to 2,400,000 households and over 5/15/30 years, the 1 → 2 thread speed-up,
# and the peak memory (maximum RSS of the whole process).
# Each figure is the best of $REPEATS runs (default 3): this machine is a
# shared VM and its timings are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-3}
cargo build --release -q
BIN=target/release/migflow
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# households sites villages_per_site years threads
run() {
  local households=$1 sites=$2 vps=$3 years=$4 threads=$5 best="" rss=""
  printf '[run]\nyears = %s\n[population]\nhouseholds = %s\nsites = %s\nvillages_per_site = %s\n' \
    "$years" "$households" "$sites" "$vps" > "$TMP/s.toml"
  for _ in $(seq "$REPEATS"); do
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$BIN" run "$TMP/s.toml" --out "$TMP/out" --quiet --threads "$threads"
    read -r wall kb < "$TMP/time"
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$wall; rss=$kb; fi
  done
  awk -v h="$households" -v y="$years" -v t="$threads" -v w="$best" -v kb="$rss" 'BEGIN{
    hy = h*y; printf "| %d | %d | %d | %.3f | %.1f | %.0f | %.0f | %.0f |\n",
      h, y, t, w, hy/w/1e6, w/hy*1e9, kb/1024, kb*1024/h }'
}

echo "| households | years | threads | wall s | M household-years/s | ns per household-year | peak RSS MB | bytes per household |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
run 8000 2 20 15 2
run 10000 2 20 15 2
run 100000 4 50 15 2
run 1000000 42 50 15 2
run 2400000 100 50 15 2
run 100000 4 50 5 2
run 100000 4 50 30 2
run 1000000 42 50 15 1
run 2400000 100 50 15 1
