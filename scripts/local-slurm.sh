#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, to try workflow/profiles/slurm before a facility's cluster (and for
# scripts/check_workflow.sh). Debian's slurm-wlm and munge provide it. The cluster's state and logs live in
# $SN_SLURM_DIR (default /tmp/sn-slurm-$USER); its slurm.conf is written to /etc/slurm/slurm.conf, where every
# Slurm command finds it (the plugin's job steps drop SLURM_* variables, SLURM_CONF included, so it cannot live
# elsewhere). A slurm.conf already there is refused rather than replaced: this is for machines without Slurm.
#   scripts/local-slurm.sh start        install slurm-wlm and munge if missing (root or sudo), start munged,
#                                       slurmctld and slurmd; waits until the node is idle
#   scripts/local-slurm.sh options      the Snakemake options this cluster needs beside the profile
#   scripts/local-slurm.sh stop         stop the daemons and delete the cluster's files
# The cluster has no accounting database (AccountingStorageType=accounting_storage/none), so sacct answers
# "accounting storage is disabled": the Snakemake Slurm executor plugin is told to query job states with squeue
# (--slurm-status-command squeue), and MinJobAge keeps finished jobs in squeue long enough to be seen.
# Processes are tracked with proctrack/linuxproc and tasks use task/none: no cgroups needed.
set -euo pipefail
dir=${SN_SLURM_DIR:-/tmp/sn-slurm-${USER:-$(id -un)}}
conf=/etc/slurm/slurm.conf
marker="# A one-node Slurm cluster for trying the SaliencyNet workflow"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo

install() {
    local missing=()
    for p in slurm-wlm munge; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "local-slurm: installing ${missing[*]}" >&2
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
}

start() {
    install
    stop_daemons
    if [ -f "$conf" ] && ! grep -q "^$marker" "$conf"; then
        echo "local-slurm: $conf exists and is not ours: this machine has a Slurm set-up; use it instead" >&2
        exit 1
    fi
    mkdir -p "$dir/state" "$dir/spool"
    # munge: the key of the Debian package, or a new one.
    [ -s /etc/munge/munge.key ] || $SUDO mungekey --create --keyfile=/etc/munge/munge.key
    $SUDO chown munge:munge /etc/munge/munge.key && $SUDO chmod 400 /etc/munge/munge.key
    $SUDO mkdir -p /run/munge && $SUDO chown munge:munge /run/munge
    if ! munge -n > /dev/null 2>&1; then
        $SUDO runuser -u munge -- /usr/sbin/munged
        for _ in $(seq 50); do munge -n > /dev/null 2>&1 && break; sleep 0.1; done
        munge -n > /dev/null 2>&1 || { echo "local-slurm: munged did not start" >&2; exit 1; }
    fi
    local host cpus memory
    host=$(hostname -s)
    cpus=$((2 * $(nproc)))    # oversubscribed 2x: the workflow's jobs are short and spend much of their time starting
    memory=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
    $SUDO mkdir -p /etc/slurm
    $SUDO tee "$conf.tmp" > /dev/null <<CONF
$marker's profile (scripts/local-slurm.sh).
ClusterName=sn-local
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=3600
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    $SUDO mv "$conf.tmp" "$conf"
    $SUDO /usr/sbin/slurmctld -c
    $SUDO /usr/sbin/slurmd -c
    for _ in $(seq 100); do
        state=$(sinfo -h -o %T 2>/dev/null || true)
        [ "$state" = idle ] && break
        sleep 0.2
    done
    [ "${state:-}" = idle ] || { echo "local-slurm: the node did not come up (state '${state:-}'; logs in $dir)" >&2; exit 1; }
    echo "local-slurm: one-node cluster up ($host, $cpus CPUs, $memory MB; $conf, logs in $dir)" >&2
}

stop_daemons() {
    for d in slurmd slurmctld; do
        if [ -f "$dir/$d.pid" ]; then
            pid=$(cat "$dir/$d.pid")
            $SUDO kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            rm -f "$dir/$d.pid"
        fi
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop_daemons
          if [ -f "$conf" ] && grep -q "^$marker" "$conf"; then $SUDO rm -f "$conf"; fi
          rm -rf "$dir"; echo "local-slurm: stopped" >&2 ;;
    options) echo "--slurm-status-command squeue --slurm-no-account --slurm-init-seconds-before-status-checks 2 --seconds-between-status-checks 2" ;;
    *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
