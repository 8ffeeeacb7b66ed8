#!/usr/bin/env bash
# scripts/slurm/stop-slurm.sh - stop the daemons started by
# scripts/slurm/start-slurm.sh, by PID only (PID files in $SLURM_LOCAL_RUN_DIR,
# default /run/slurm-local). Part of the project's tested single-node Slurm
# recipe; used by scripts/test-slurm-sweep.sh.
# Cancels remaining jobs first so no slurmstepd/job processes are left over.
# Safe to run repeatedly; a munged this script did not start is left alone.
set -uo pipefail

RUN_DIR=${SLURM_LOCAL_RUN_DIR:-/run/slurm-local}
log() { printf '[stop-slurm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }

pid_is() {   # a zombie counts as dead: PID 1 in containers may reap late or never
  local st
  [ -n "${1:-}" ] && [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
ours_running() { [ -s "$RUN_DIR/$1.pid" ] && pid_is "$(cat "$RUN_DIR/$1.pid")" "$1"; }

# 1. cancel jobs while the controller is still up, wait for them to go away
if ours_running slurmctld && command -v squeue >/dev/null; then
  jobs=$(squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    log "cancelling jobs: $jobs"
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null || true
    for _ in $(seq 1 60); do
      [ -z "$(squeue -h -o '%A' 2>/dev/null)" ] && break; sleep 0.5
    done
  fi
fi

# 2. stop daemons: controller first (so it does not ping a dead slurmd), then slurmd, then munged
rc=0
for name in slurmctld slurmd munged; do
  f=$RUN_DIR/$name.pid
  [ -s "$f" ] || { log "$name: no PID file, nothing to stop"; continue; }
  pid=$(cat "$f")
  if ! pid_is "$pid" "$name"; then
    log "$name: PID $pid not running (stale PID file removed)"; rm -f "$f"; continue
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do pid_is "$pid" "$name" || break; sleep 0.1; done
  if pid_is "$pid" "$name"; then
    log "$name ($pid) ignored SIGTERM for 15s, sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5
  fi
  if pid_is "$pid" "$name"; then log "$name ($pid) still alive!"; rc=1; else log "$name ($pid) stopped"; rm -f "$f"; fi
done

# 3. report (do not kill by name) any live job step daemons still around
left=$(ps -eo pid=,stat=,comm= | awk '$3=="slurmstepd" && $2 !~ /^Z/ {print $1}' | tr '\n' ' ')
[ -n "${left// /}" ] && log "warning: slurmstepd processes still present: $left"
exit $rc
