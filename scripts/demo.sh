#!/bin/sh
# `make run`: serve a demo network that this script creates, and nothing else.
#
# Topology: the server runs here, bound only to `dh-demo0` (198.18.0.1/24, a benchmarking
# address, RFC 2544); its veth peer `dh-demo1` lives in the network namespace `dh-demo`, where
# a client can ask for a lease. No host interface is served; nothing is routed.
set -eu

BIN=${1:-target/release/duodhcp}
CONF=${2:-etc/demo.conf}
NS=dh-demo

if [ "$(id -u)" -ne 0 ]; then
    echo "make run needs root (it creates a network namespace and a veth pair)." >&2
    exit 1
fi

cleanup() {
    ip link del dh-demo0 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "/etc/netns/$NS"
}
trap cleanup EXIT INT TERM

cleanup
ip netns add "$NS"
# A client inside the namespace must not rewrite the host's resolv.conf: `ip netns exec`
# bind-mounts /etc/netns/NS/* over /etc.
mkdir -p "/etc/netns/$NS" && : > "/etc/netns/$NS/resolv.conf"
ip link add dh-demo0 type veth peer name dh-demo1 netns "$NS"
ip addr add 198.18.0.1/24 dev dh-demo0
ip link set dh-demo0 up
ip -n "$NS" link set lo up
ip -n "$NS" link set dh-demo1 up
mkdir -p /tmp/duodhcp-demo

cat <<MSG
duodhcp demo: serving only dh-demo0 (198.18.0.1/24), pool 198.18.0.100-199.
Get a lease from another terminal, inside the demo namespace:
    sudo ip netns exec $NS dhclient -v -1 -sf /bin/true dh-demo1     # or:
    sudo ip netns exec $NS udhcpc -i dh-demo1 -f -q -s /bin/true
List leases:  $BIN leases -c $CONF
Ctrl-C stops the server and removes the demo network.
MSG
# Not exec: the trap must run to remove the namespace when the server stops.
"$BIN" -c "$CONF" || true
