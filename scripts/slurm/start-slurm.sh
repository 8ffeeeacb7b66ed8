#!/usr/bin/env bash
# scripts/slurm/start-slurm.sh - install, configure and start a single-node
# Slurm cluster (munged + slurmctld + slurmd) from Debian packages, WITHOUT
# systemd. Used by scripts/test-slurm-sweep.sh (and .ci/run).
#
# This is the project's copy of its tested single-node Slurm recipe (Debian 12,
# root, no systemd, cgroup v1; Slurm 22.05.8, munge 0.5.15). Stop the cluster
# with scripts/slurm/stop-slurm.sh.
#
# Idempotent: re-running it skips what is already installed/running and just
# waits for the node to be usable again. Must run as root.
#
# Daemons run in the foreground (-F / -D) under setsid, detached from this
# shell; their PIDs are written to $SLURM_LOCAL_RUN_DIR/*.pid, which
# stop-slurm.sh uses to stop exactly those processes.
#
# Tunables (environment):
#   SLURM_LOCAL_RUN_DIR   PID files             (default /run/slurm-local)
#   SLURM_LOCAL_LOG_DIR   daemon logs           (default /var/log/slurm-local)
#   SLURM_LOCAL_TIMEOUT   seconds to wait for an idle node (default 90)
#   SLURM_LOCAL_CPUS      CPUs of the node      (default: nproc)
#   SLURM_LOCAL_MIN_JOB_AGE  slurm.conf MinJobAge, seconds a finished job
#                         record is kept (default 86400). Keep it longer than
#                         a whole sweep: `sbatch --wait` takes its exit code
#                         only from records still present, so an early failed
#                         array task purged before the last one ends is
#                         silently reported as success. (Slurm raises values
#                         < 2 to 2. sbatch --wait sleeps 2 s, 8 s, then 32 s
#                         between polls once MinJobAge >= 18, so it notices the
#                         end at ~2/10/42/74...s after submission.)
#   SLURM_LOCAL_PARTITION partition name        (default debug)
#   SLURM_LOCAL_SKIP_INSTALL=1  never call apt-get
set -euo pipefail

RUN_DIR=${SLURM_LOCAL_RUN_DIR:-/run/slurm-local}
LOG_DIR=${SLURM_LOCAL_LOG_DIR:-/var/log/slurm-local}
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-90}
PARTITION=${SLURM_LOCAL_PARTITION:-debug}
MIN_JOB_AGE=${SLURM_LOCAL_MIN_JOB_AGE:-86400}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
CGCONF=$CONF_DIR/cgroup.conf
MARKER="# Managed by slurm-local/start-slurm.sh"
PKGS=(munge slurmctld slurmd slurm-client)

log() { printf '[start-slurm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo $0)"

# PID $1 alive (not a zombie) and its command name equal to $2?
pid_is() {   # zombies count as dead: PID 1 in containers may reap late or never
  local st
  [ -n "${1:-}" ] && [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# Our PID file $1 points at a live process named $2?
ours_running() { [ -s "$RUN_DIR/$1.pid" ] && pid_is "$(cat "$RUN_DIR/$1.pid")" "$1"; }

T_ALL=$(now)
mkdir -p "$RUN_DIR" "$LOG_DIR"

# ---------------------------------------------------------------- 1. install
T=$(now)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "${SLURM_LOCAL_SKIP_INSTALL:-0}" = 1 ] && die "missing packages: ${missing[*]}"
  log "installing: ${missing[*]}"
  # Keep maintainer scripts from starting the daemons (init.d or systemd):
  # we start them ourselves. Only add a policy-rc.d if there is none.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    own_policy=1
    trap 'if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOG_DIR/apt-install.log" 2>&1 \
    || { tail -30 "$LOG_DIR/apt-install.log" >&2; die "apt-get install failed"; }
  if [ $own_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; own_policy=0; fi
  log "install took $(elapsed "$T")s"
else
  log "packages already installed"
fi
SLURM_VER=$(dpkg-query -W -f='${Version}' slurmd)
log "slurmd $SLURM_VER, munge $(dpkg-query -W -f='${Version}' munge)"

# ---------------------------------------------------------------- 2. munge
T=$(now)
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0711 /var/lib/munge
install -d -o munge -g munge -m 0700 /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating /etc/munge/munge.key"
  install -d -o munge -g munge -m 0700 /etc/munge
  if command -v mungekey >/dev/null; then
    mungekey --create --keyfile=/etc/munge/munge.key --force
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0600 /etc/munge/munge.key

munge_ok() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if ours_running munged; then
  log "munged already running (pid $(cat "$RUN_DIR/munged.pid"))"
elif munge_ok; then
  log "a munged not started by this script is already answering; reusing it"
  rm -f "$RUN_DIR/munged.pid"
else
  # foreground mode + setsid: $! is the munged PID itself (setsid/setpriv exec)
  (cd / && exec setsid setpriv --reuid=munge --regid=munge --init-groups \
      /usr/sbin/munged --foreground </dev/null >>"$LOG_DIR/munged.out" 2>&1) &
  echo $! > "$RUN_DIR/munged.pid"
  for _ in $(seq 1 50); do munge_ok && break; sleep 0.2; done
  munge_ok || { tail -20 "$LOG_DIR/munged.out" /var/log/munge/munged.log >&2 2>/dev/null; die "munged did not come up"; }
  log "munged started (pid $(cat "$RUN_DIR/munged.pid")) in $(elapsed "$T")s"
fi

# ---------------------------------------------------------------- 3. config
HOST=$(uname -n); HOST=${HOST%%.*}          # == hostname -s
NODE=$HOST                                  # must equal short hostname (controller check)
CPUS=${SLURM_LOCAL_CPUS:-$(nproc)}
MEM=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
[ -n "$MEM" ] || MEM=$(awk '/MemTotal/{printf "%d", $2/1024}' /proc/meminfo)

mkdir -p /var/spool/slurmctld /var/spool/slurmd
chmod 0755 /var/spool/slurmctld /var/spool/slurmd

new_conf=$(cat <<EOF
$MARKER -- regenerated on each start
ClusterName=localci
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups, no systemd: plain /proc based process tracking
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
Waittime=0
MinJobAge=$MIN_JOB_AGE
MaxJobCount=100000
MaxArraySize=10001
NodeName=$NODE NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
)

# cgroup.conf: Slurm >= 23.02 can switch cgroups off completely. 22.05
# (bookworm) always initialises a cgroup plugin in slurmd: fine on cgroup v1 /
# hybrid hosts; on a pure cgroup v2 host without systemd it needs
# IgnoreSystemd=yes and a writable /sys/fs/cgroup (UNTESTED fallback).
if dpkg --compare-versions "${SLURM_VER%%-*}" ge 23.02; then
  cg_body="CgroupPlugin=disabled"
elif [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
  cg_body=$'CgroupPlugin=cgroup/v2\nIgnoreSystemd=yes\nIgnoreSystemdOnFailure=yes'
else
  cg_body="CgroupPlugin=autodetect"
fi
new_cg=$(printf '%s\n%s' "$MARKER" "$cg_body")

conf_changed=0
mkdir -p "$CONF_DIR"
write_managed() {   # file, content
  local f=$1 content=$2
  if [ -e "$f" ] && ! grep -qF "$MARKER" "$f"; then
    cp -p "$f" "$f.orig.$(date +%s)"; log "backed up foreign $f"
  fi
  if [ ! -e "$f" ] || [ "$(cat "$f")" != "$content" ]; then
    printf '%s\n' "$content" > "$f"; chmod 0644 "$f"; conf_changed=1
    log "wrote $f"
  fi
}
write_managed "$CONF" "$new_conf"
write_managed "$CGCONF" "$new_cg"

# stop our slurm daemons (by PID) so a changed config takes effect
stop_ours() {
  local name=$1 pid
  ours_running "$name" || { rm -f "$RUN_DIR/$name.pid"; return 0; }
  pid=$(cat "$RUN_DIR/$name.pid"); kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do pid_is "$pid" "$name" || break; sleep 0.1; done
  pid_is "$pid" "$name" && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RUN_DIR/$name.pid"
}
if [ $conf_changed = 1 ] && { ours_running slurmctld || ours_running slurmd; }; then
  log "config changed: restarting our slurmctld/slurmd"
  stop_ours slurmctld; stop_ours slurmd
fi

# ---------------------------------------------------------------- 4. daemons
T=$(now)
start_daemon() {   # name, args...
  local name=$1; shift
  if ours_running "$name"; then log "$name already running (pid $(cat "$RUN_DIR/$name.pid"))"; return 0; fi
  (cd / && exec setsid "/usr/sbin/$name" "$@" </dev/null >>"$LOG_DIR/$name.out" 2>&1) &
  echo $! > "$RUN_DIR/$name.pid"
  sleep 0.3
  pid_is "$(cat "$RUN_DIR/$name.pid")" "$name" \
    || { tail -20 "$LOG_DIR/$name.out" "$LOG_DIR/$name.log" >&2 2>/dev/null; die "$name exited at start"; }
  log "$name started (pid $(cat "$RUN_DIR/$name.pid"))"
}
start_daemon slurmctld -D
for _ in $(seq 1 50); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.2; done
start_daemon slurmd -D -N "$NODE"

# ---------------------------------------------------------------- 5. wait idle
deadline=$(( $(date +%s) + TIMEOUT )); resumed=0; state=""
while :; do
  for d in slurmctld slurmd; do
    ours_running "$d" || { tail -30 "$LOG_DIR/$d.out" "$LOG_DIR/$d.log" >&2 2>/dev/null; die "$d died"; }
  done
  state=$(sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -1 || true)
  case "$state" in
    idle|mixed|allocated) break ;;
    drained|draining|down)      # responding but down/drained (e.g. old state): resume once
      if [ $resumed = 0 ]; then scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true; resumed=1; fi ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    sinfo -N -l >&2 || true; scontrol show node "$NODE" >&2 || true
    tail -20 "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" >&2 || true
    die "node $NODE not idle after ${TIMEOUT}s (state '$state')"
  fi
  sleep 0.5
done
log "node $NODE is $state; daemons up in $(elapsed "$T")s (total $(elapsed "$T_ALL")s)"
sinfo
