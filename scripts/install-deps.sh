#!/bin/sh
# Install the Debian packages that the network interop tests need (tests/interop_*.rs,
# tests/server_behaviour.rs). Idempotent: asks dpkg first and only runs apt-get (and its
# update) when something is missing. Never starts a service.
#
# Exit status: 0 when everything is present afterwards. When a package cannot be installed:
# non-zero if CI=true (a missing prerequisite is a CI failure), else a warning and 0 (the
# tests then print "SKIP: ..." for what they cannot run).
set -u

# Package -> why we need it.
#   isc-dhcp-client  dhclient, interop client
#   udhcpc           busybox udhcpc, interop client
#   dhcpcd-base      dhcpcd, interop client
#   kea-admin        ships perfdhcp (load test through a relay)
#   isc-dhcp-server  ISC dhcpd (failover partner tests)
#   dnsmasq-base     stand-in server used to validate the harness itself
#   tshark           independent capture to check unicast renewals
#   iproute2         ip netns / veth
#   python3          helper scripts
#   faketime         a partner with a skewed clock (tests/failover_net.rs, event 20253)
PACKAGES="isc-dhcp-client udhcpc dhcpcd-base kea-admin isc-dhcp-server dnsmasq-base tshark iproute2 python3 faketime"

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=""
for p in $PACKAGES; do
    is_installed "$p" || missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

fail() {
    if [ "${CI:-}" = "true" ]; then
        echo "install-deps: ERROR: $*" >&2
        exit 1
    fi
    echo "install-deps: WARNING: $* (tests needing it will SKIP)" >&2
    exit 0
}

if [ "$(id -u)" -ne 0 ]; then
    fail "not root, cannot install:$missing"
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive

# tshark asks whether non-root users may capture; answer "no" up front.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections

# Keep maintainer scripts from starting daemons (isc-dhcp-server would otherwise try to start
# on the host). Only add a policy file when none exists, and remove only the one we added.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
fi
cleanup() { [ -n "$added_policy" ] && rm -f "$policy"; }
trap cleanup EXIT INT TERM

apt-get update -qq || echo "install-deps: apt-get update failed, trying with the old lists" >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
    echo "install-deps: apt-get install reported an error, checking each package" >&2

still=""
for p in $missing; do
    is_installed "$p" || still="$still $p"
done
[ -z "$still" ] || fail "could not install:$still"
echo "install-deps: done"
exit 0
