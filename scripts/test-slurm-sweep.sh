#!/usr/bin/env bash
# scripts/test-slurm-sweep.sh - the real cluster test of `migflow slurm`.
#
# Starts a single-node Slurm cluster (scripts/slurm/start-slurm.sh), writes a
# small sweep, generates its Slurm scripts with `migflow slurm --tasks 4`, runs
# the job array with `sbatch --wait`, runs the generated merge job the same
# way, runs the same sweep on this machine, and compares the merged outputs
# with the single-machine ones byte for byte. The cluster is always stopped at
# exit (scripts/slurm/stop-slurm.sh).
#
# Must run as root (the cluster is started here; packages come from apt).
# Environment:
#   MIGFLOW_BIN        use this migflow binary instead of building
#                      target/release/migflow with `cargo build --release`
#   KEEP_SLURM_TEST=1  keep the temporary directory (it is kept on failure)
#
# Takes about 20-30 s once Slurm is installed (most of it is sbatch --wait
# polling: it sees a job's end about 2, 10, 42 s after submission).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLURM_SCRIPTS=$ROOT/scripts/slurm
TASKS=4
COMPARED=(runs.csv trajectories.csv failures.csv points.csv points_summary.csv manifest.json)

log() { printf '[test-slurm-sweep %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

T=""
PASSED=0
cleanup() {
  local rc=$?
  bash "$SLURM_SCRIPTS/stop-slurm.sh" || log "warning: stop-slurm.sh failed"
  if [ -n "$T" ] && [ -d "$T" ]; then
    if [ "$PASSED" = 1 ] && [ "${KEEP_SLURM_TEST:-0}" != 1 ]; then
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
  if [ -n "$T" ] && [ -d "$T/cluster/slurm/logs" ]; then
    for f in "$T"/cluster/slurm/logs/*; do
      [ -e "$f" ] || continue
      echo "---- $f" >&2; tail -20 "$f" >&2 || true
    done
  fi
  echo "FAIL: Slurm sweep test: $*"
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "must run as root (it starts a Slurm cluster)"
T_ALL=$(now)

# ------------------------------------------------------------------ binary
if [ -n "${MIGFLOW_BIN:-}" ]; then
  MIGFLOW=$(realpath "$MIGFLOW_BIN")
  log "using MIGFLOW_BIN=$MIGFLOW"
else
  t=$(now)
  (cd "$ROOT" && cargo build --release --quiet)
  MIGFLOW=$ROOT/target/release/migflow
  log "cargo build --release took $(elapsed "$t")s"
fi
[ -x "$MIGFLOW" ] || fail "no migflow binary at $MIGFLOW"

# ------------------------------------------------------------------ sweep
T=$(mktemp -d /tmp/migflow-slurm-test.XXXXXX)
chmod 0755 "$T"
SWEEP=$T/sweep.toml
cat > "$SWEEP" <<'EOF'
# The Slurm test sweep: 5 levels of workshop jobs x 1 county size,
# 2 replicates each (10 runs).
base = "default"
seed = 11
replicates = 2
[design]
kind = "grid"
[[factors]]
path = "levers.workshops.workshop_jobs_share"
levels = [0.0, 0.05, 0.1, 0.15, 0.2]
[[factors]]
path = "population.households"
levels = [1000]
EOF
log "sweep file $SWEEP"

# Cheap check first: a shard index out of range is bad input (exit code 2).
set +e
"$MIGFLOW" sweep "$SWEEP" --out "$T/bad-shard" --shard 4/4 --quiet 2>"$T/bad-shard.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--shard 4/4 exited with $rc, expected 2 ($(cat "$T/bad-shard.err"))"
log "--shard 4/4 rejected with exit code 2: $(head -1 "$T/bad-shard.err")"

# ------------------------------------------------------------------ cluster
t=$(now)
bash "$SLURM_SCRIPTS/start-slurm.sh"
T_START=$(elapsed "$t")
log "cluster up in ${T_START}s"

"$MIGFLOW" slurm "$SWEEP" --out "$T/cluster" --tasks "$TASKS" --cpus 1 --time 00:10:00 \
  --migflow "$MIGFLOW"
SL=$T/cluster/slurm
for f in array.sbatch merge.sbatch submit.sh; do
  [ -s "$SL/$f" ] || fail "migflow slurm did not write $SL/$f"
done

# The job array, waited for. sbatch --wait exits non-zero if any task failed.
t=$(now)
set +e
ARRAY_ID=$(cd "$SL" && sbatch --parsable --wait array.sbatch)
rc=$?
set -e
T_ARRAY=$(elapsed "$t")
log "array job ${ARRAY_ID%%;*}: sbatch --wait rc=$rc after ${T_ARRAY}s"
[ "$rc" -eq 0 ] || fail "the job array failed (sbatch --wait exit code $rc)"
for i in $(seq 0 $((TASKS - 1))); do
  [ -s "$T/cluster/shards/shard-$i/manifest.json" ] \
    || fail "array task $i left no $T/cluster/shards/shard-$i/manifest.json"
done
log "all $TASKS shards have a manifest.json"

# The generated merge job (it lists the shard directories), through Slurm.
t=$(now)
set +e
MERGE_ID=$(cd "$SL" && sbatch --parsable --wait merge.sbatch)
rc=$?
set -e
T_MERGE=$(elapsed "$t")
log "merge job ${MERGE_ID%%;*}: sbatch --wait rc=$rc after ${T_MERGE}s"
[ "$rc" -eq 0 ] || fail "the merge job failed (sbatch --wait exit code $rc)"

# ------------------------------------------------------------------ one machine
t=$(now)
"$MIGFLOW" sweep "$SWEEP" --out "$T/local" --quiet
T_LOCAL=$(elapsed "$t")
log "single-machine sweep took ${T_LOCAL}s"

# ------------------------------------------------------------------ compare
bad=()
for f in "${COMPARED[@]}"; do
  if [ ! -e "$T/cluster/$f" ]; then
    log "missing: cluster/$f"; bad+=("$f")
  elif [ ! -e "$T/local/$f" ]; then
    log "missing: local/$f"; bad+=("$f")
  elif ! cmp "$T/cluster/$f" "$T/local/$f" >&2; then
    bad+=("$f")
  fi
done
[ ${#bad[@]} -eq 0 ] || fail "merged Slurm outputs differ from the single-machine sweep: ${bad[*]}"

PASSED=1
log "timings: cluster start ${T_START}s, array ${T_ARRAY}s, merge ${T_MERGE}s, local sweep ${T_LOCAL}s, total $(elapsed "$T_ALL")s"
echo "PASS: Slurm sweep ($TASKS-task job array + merge job) is byte-identical to one machine (${COMPARED[*]})"
