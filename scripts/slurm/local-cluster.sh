#!/usr/bin/env bash
# A real one-node Slurm on this machine, for tests: munged, slurmctld and slurmd started from a
# generated slurm.conf in a folder of their own, and stopped again.
#
#   scripts/slurm/local-cluster.sh start DIR   # prints: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm/local-cluster.sh stop DIR    # stops every daemon it started, removes nothing else
#
# Needs Debian's slurm-wlm and munge (scripts/setup.sh installs them) and root. Exit 77 when
# they are missing, so a test can skip with that reason.
set -euo pipefail
action=${1:-}
dir=${2:-}
[ -n "$action" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

stop() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [ "$action" = stop ]; then
  stop
  exit 0
fi
[ "$action" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
for tool in munged slurmctld slurmd srun sbatch; do
  command -v "$tool" >/dev/null || { echo "$tool not installed (apt-get install slurm-wlm munge)" >&2; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "starting Slurm daemons needs root" >&2; exit 77; }
# What slurmd 22.05 needs from the machine itself (a chroot without /sys lacks both).
grep -q " /sys/fs/cgroup " /proc/mounts 2>/dev/null ||
  { echo "no cgroup filesystem at /sys/fs/cgroup (a chroot without /sys?): slurmd cannot start" >&2; exit 77; }
getent hosts "$(hostname -s)" >/dev/null ||
  { echo "this host's name $(hostname -s) does not resolve (/etc/hosts): Slurm cannot address it" >&2; exit 77; }

mkdir -p "$dir"/{spool,state,log,munge}
trap 'stop' ERR
host=$(hostname -s)
cpus=$(nproc)
key="$dir/munge/munge.key"
[ -f "$key" ] || { dd if=/dev/urandom of="$key" bs=1024 count=1 2>/dev/null; chmod 400 "$key"; }
munged --force --key-file="$key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed"
cat > "$dir/slurm.conf" <<EOF
ClusterName=cclbench-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=$((17000 + RANDOM % 2000))
SlurmdPort=$((19000 + RANDOM % 2000))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
EOF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  if sinfo -h -o %t 2>/dev/null | grep -q idle; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "Slurm did not come up; logs in $dir/log" >&2
stop
exit 1
