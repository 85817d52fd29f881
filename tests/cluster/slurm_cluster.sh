#!/usr/bin/env bash
# A real Slurm test cluster on one machine: slurmctld and NODES slurmd daemons, each in its
# own network namespace (own address on a private bridge, own hostname), with a private
# munged. This namespace reaches them through the bridge (clients: sbatch, scontrol). Only addresses in namespaces made here are used; `down` removes everything.
#
#   tests/cluster/slurm_cluster.sh up DIR [NODES]   (root; prints the env to export)
#   tests/cluster/slurm_cluster.sh down DIR
#
# DIR holds slurm.conf, the munge key, daemons' state, logs and pid files. Clients use
# SLURM_CONF=DIR/slurm.conf. The namespaces are fleet-<tag>-nK and the bridge fl<tag>, with
# <tag> derived from DIR so that two clusters can coexist; the subnet is 10.<a>.<b>.0/24.
set -euo pipefail

cmd=${1:?usage: slurm_cluster.sh up|down DIR [NODES]}
dir=$(realpath -m "${2:?usage: slurm_cluster.sh up|down DIR [NODES]}")
nodes=${3:-2}
tag=$(printf '%s' "$dir" | cksum | awk '{printf "%05d", $1 % 100000}')
bridge="fl$tag"
net="10.$((10#$tag % 200 + 20)).$((10#$tag / 200 % 250))"
ns_of() { echo "fleet-$tag-n$1"; }  # node k; k=0: the controller
sbin=/usr/sbin

down() {
  for f in "$dir"/run/slurmd-*.pid "$dir"/run/slurmctld.pid "$dir"/run/munged.pid; do
    [[ -f "$f" ]] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for f in "$dir"/run/slurmd-*.pid "$dir"/run/slurmctld.pid "$dir"/run/munged.pid; do
    [[ -f "$f" ]] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^fleet-$tag-" || true); do
    # whatever a job left running in the node goes with it
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$bridge" 2>/dev/null || true
}

# runs a command in node k's network namespace with its own hostname and /etc/hosts
# (nsenter rather than `ip netns exec`, which remounts /sys and so hides the cgroup
# hierarchy slurmd needs).
in_node() {  # k hostname command
  nsenter --net="/run/netns/$(ns_of "$1")" unshare --uts --mount sh -c \
    "hostname $2 && mount --bind '$dir/hosts' /etc/hosts && exec $3"
}

wait_for() {  # seconds, description, command...
  local t=$1 what=$2; shift 2
  for ((i = 0; i < t * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "slurm_cluster: timed out waiting for $what" >&2
  return 1
}

up() {
  for b in "$sbin/slurmctld" "$sbin/slurmd" "$sbin/munged" /usr/bin/sbatch; do
    [[ -x "$b" ]] || { echo "slurm_cluster: $b missing (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 77; }
  done
  [[ $(id -u) == 0 ]] || { echo "slurm_cluster: needs root (network namespaces)" >&2; exit 77; }
  # a sandbox without CAP_NET_ADMIN or namespaces: skipped, not failed
  if ! { ip netns add "fleet-$tag-probe" && ip netns del "fleet-$tag-probe"; } 2>/dev/null; then
    echo "slurm_cluster: cannot create network namespaces here" >&2
    exit 77
  fi
  down
  mkdir -p "$dir"/{run,log,state,spool} && chmod 755 "$dir"
  # munge: a private key and daemon
  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge.key"
  "$sbin/munged" --force --socket="$dir/run/munge.sock" --key-file="$dir/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/run/munged.seed"
  # the network: a bridge in this namespace (the controller's side) and one veth per node
  ip link add "$bridge" type bridge
  ip addr add "$net.1/24" dev "$bridge"
  ip link set "$bridge" up
  local node_lines="" hosts="$net.10 fleetctl"$'\n'
  for ((k = 1; k <= nodes; k++)); do
    hosts+="$net.$((10 + k)) n$k"$'\n'
  done
  for ((k = 0; k <= nodes; k++)); do
    ns=$(ns_of "$k")
    ip netns add "$ns"
    ip link add "v$tag$k" type veth peer name eth0 netns "$ns"
    ip link set "v$tag$k" master "$bridge" up
    ip -n "$ns" addr add "$net.$((10 + k))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ((k == 0)) && continue
    node_lines+="NodeName=n$k NodeAddr=$net.$((10 + k)) NodeHostname=n$k CPUs=2 RealMemory=2000 State=UNKNOWN"$'\n'
  done
  printf '127.0.0.1 localhost\n%s' "$hosts" > "$dir/hosts"
  printf 'CgroupPlugin=cgroup/v1\n' > "$dir/cgroup.conf"
  cat > "$dir/slurm.conf" <<EOF
ClusterName=fleettest
SlurmctldHost=fleetctl($net.10)
MailProg=/bin/true
SlurmctldPort=$((16000 + 10#$tag % 20000))
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/backfill
# heterogeneous jobs are started by the backfill scheduler: let it run every second
SchedulerParameters=bf_interval=1,bf_resolution=1
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldParameters=enable_configless
MinJobAge=600
KillWait=5
InactiveLimit=0
$node_lines
PartitionName=fleet Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  export SLURM_CONF="$dir/slurm.conf"
  in_node 0 fleetctl "$sbin/slurmctld -f '$SLURM_CONF' -i"
  wait_for 20 slurmctld /usr/bin/scontrol ping
  for ((k = 1; k <= nodes; k++)); do
    ns=$(ns_of "$k")
    mkdir -p "$dir/spool/n$k"
    in_node "$k" "n$k" "$sbin/slurmd -f '$SLURM_CONF' -N n$k"
  done
  wait_for 30 "$nodes idle node(s)" sh -c "[ \$(/usr/bin/sinfo -h -t idle -o '%D' | awk '{s+=\$1} END {print s+0}') -ge $nodes ]"
  echo "export SLURM_CONF=$SLURM_CONF"
}

case $cmd in
  up) up ;;
  down) down; echo "slurm_cluster: $dir down" ;;
  *) echo "usage: slurm_cluster.sh up|down DIR [NODES]" >&2; exit 2 ;;
esac
