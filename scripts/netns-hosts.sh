#!/usr/bin/env bash
# Several "hosts" on one machine for tests of multi-host features (acceptance, matrix): network
# namespaces joined by veth pairs to a bridge, each with its own address, host name and /etc/hosts
# entry, and an rsh agent through which Open MPI starts ranks inside them (FACTS section 9).
# Needs root. Touches only its own namespaces, bridge, veths and /etc/hosts lines.
#
#   scripts/netns-hosts.sh up N [--shape HOST RATE]   create hosts <prefix>h1..hN (down first)
#   scripts/netns-hosts.sh env                        the settings mpirun needs to reach them
#   scripts/netns-hosts.sh shape HOST RATE            degrade one host's link (tc tbf, e.g. 200mbit)
#   scripts/netns-hosts.sh unshape HOST
#   scripts/netns-hosts.sh cut HOST | uncut HOST      its link down / up (a host that stops answering)
#   scripts/netns-hosts.sh drop HOST | undrop HOST    its packets silently lost / delivered again
#                                                     (a black hole: connects hang, nothing fails)
#   scripts/netns-hosts.sh down                       remove everything it made
#
# CCLBENCH_NETNS_PREFIX (default cb) names everything, CCLBENCH_NETNS_SUBNET (default 10.213.7)
# is the /24 used. `up` removes what it made when it fails or is interrupted.
set -euo pipefail
PREFIX=${CCLBENCH_NETNS_PREFIX:-cb}
SUBNET=${CCLBENCH_NETNS_SUBNET:-10.213.7}
STATE=/tmp/cclbench-netns-$PREFIX
BRIDGE=${PREFIX}br0
MARK="# cclbench-netns-$PREFIX"

die() { echo "netns-hosts: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
[[ "$PREFIX" =~ ^[a-z][a-z0-9]{0,5}$ ]] || die "CCLBENCH_NETNS_PREFIX must be 1-6 lowercase letters/digits"

hosts() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}h[0-9]+$" | sort -V || true; }
index() { [[ "$1" =~ ^${PREFIX}h([0-9]+)$ ]] || die "no host '$1' (hosts are ${PREFIX}h1, ${PREFIX}h2 ...)"; echo "${BASH_REMATCH[1]}"; }

down() {
  for h in $(hosts); do
    # processes still inside (an orted waiting on a host that dropped its packets) go first
    ip netns pids "$h" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$h" 2>/dev/null || true
  done
  for v in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^${PREFIX}v[0-9]+$" || true); do
    ip link del "$v" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  if grep -q -- "$MARK" /etc/hosts 2>/dev/null; then
    # /etc/hosts may be a bind mount: rewrite it in place, never replace the file
    grep -v -- "$MARK" /etc/hosts >"$STATE.hosts" || true
    cat "$STATE.hosts" >/etc/hosts
    rm -f "$STATE.hosts"
  fi
  rm -rf "$STATE"
}

env_lines() {
  [ -x "$STATE/agent" ] || die "no hosts are up (run: $0 up N)"
  local list; list=$(hosts | paste -sd, -)
  cat <<EOF
export OMPI_MCA_plm_rsh_agent=$STATE/agent
export OMPI_MCA_btl=self,tcp
export OMPI_MCA_btl_tcp_if_include=$SUBNET.0/24
export OMPI_MCA_oob_tcp_if_include=$SUBNET.0/24
export OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_MCA_mpi_yield_when_idle=1
export CCLBENCH_NETNS_HOSTS=$list
EOF
}

up() {
  local n=$1; shift
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 64 ] || die "up N: N from 1 to 64"
  down
  trap 'echo "netns-hosts: setup failed, removing what was made" >&2; down' ERR INT TERM
  mkdir -p "$STATE"
  ip link add "$BRIDGE" type bridge
  ip addr add "$SUBNET.254/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  for i in $(seq 1 "$n"); do
    local h=${PREFIX}h$i v=${PREFIX}v$i
    ip netns add "$h"
    ip link add "$v" type veth peer name eth0 netns "$h"
    ip link set "$v" master "$BRIDGE"
    ip link set "$v" up
    ip -n "$h" addr add "$SUBNET.$i/24" dev eth0
    ip -n "$h" link set eth0 up
    ip -n "$h" link set lo up
    echo "$SUBNET.$i $h $MARK" >>/etc/hosts
  done
  # Open MPI's rsh agent: the host, then the command (quoted words with ';' in them: let a shell
  # evaluate them all, as ssh does), run in the host's namespace under its own host name.
  cat >"$STATE/agent" <<'EOF'
#!/bin/sh
host=$1
shift
exec ip netns exec "$host" unshare --uts sh -c "hostname $host; $*"
EOF
  chmod +x "$STATE/agent"
  trap - ERR INT TERM
  while [ $# -gt 0 ]; do
    case $1 in
      --shape) shape "$2" "$3"; shift 3 ;;
      *) die "unknown option $1" ;;
    esac
  done
  echo "netns-hosts: $(hosts | paste -sd' ' -) up on $SUBNET.0/24"
}

shape() {
  local i; i=$(index "$1"); [ -n "${2:-}" ] || die "shape HOST RATE (e.g. 200mbit)"
  tc qdisc replace dev "${PREFIX}v$i" root tbf rate "$2" burst 256kb latency 50ms
  ip netns exec "$1" tc qdisc replace dev eth0 root tbf rate "$2" burst 256kb latency 50ms
}
unshape() {
  local i; i=$(index "$1")
  tc qdisc del dev "${PREFIX}v$i" root 2>/dev/null || true
  ip netns exec "$1" tc qdisc del dev eth0 root 2>/dev/null || true
}
# A black hole: the host's neighbour entries point at a MAC address nobody has, so everything it
# sends is lost without an error (SYNs retried for minutes, as with a host that drops packets).
drop_host() {
  local i; i=$(index "$1")
  ip -n "$1" neigh replace "$SUBNET.254" lladdr 02:cb:00:00:00:fe dev eth0 nud permanent
  for h in $(hosts); do
    local j; j=$(index "$h"); [ "$j" = "$i" ] && continue
    ip -n "$1" neigh replace "$SUBNET.$j" lladdr 02:cb:00:00:00:01 dev eth0 nud permanent
  done
}
undrop_host() { index "$1" >/dev/null; ip -n "$1" neigh flush dev eth0 nud permanent; }
cut_host() { local i; i=$(index "$1"); ip link set "${PREFIX}v$i" down; }
uncut_host() { local i; i=$(index "$1"); ip link set "${PREFIX}v$i" up; }

cmd=${1:-}; shift || true
case $cmd in
  up) up "$@" ;;
  down) down ;;
  env) env_lines ;;
  shape) shape "$@" ;;
  unshape) unshape "$@" ;;
  cut) cut_host "$@" ;;
  uncut) uncut_host "$@" ;;
  drop) drop_host "$@" ;;
  undrop) undrop_host "$@" ;;
  *) sed -n '2,19p' "$0"; exit 2 ;;
esac
