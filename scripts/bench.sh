#!/bin/bash
# `make bench` / `make bench-quick`: duodhcp against the floor (a null responder), ISC dhcpd,
# Kea (memfile) and dnsmasq, driven by our relay-mode load generator (benches/loadgen).
#
#   scripts/bench.sh full     every server, every figure (≤ 15 min on 2 cores)
#   scripts/bench.sh quick    floor + duodhcp (durability batch, alone and with a failover
#                             partner), shorter steps (≤ 2 min)
#
# Topology: two network namespaces made here (server side, client side) joined by one veth
# pair, 198.18.0.1/15 (server) and 198.18.0.2/15 (generator acting as relay agent: giaddr
# set, unicast to port 67, replies come back to its port 67). For the failover row a third
# namespace holds the partner, joined to the server side only, by a second veth pair
# (198.19.200.1/30 server, 198.19.200.2/30 partner: outside the pool and the client
# segment). No other address is used, no host interface is touched. Every process started
# here is stopped by PID, and the namespaces and temp files are removed, also on failure or
# Ctrl-C (trap).
#
# Per server: start on an empty lease store with the config in benches/configs/, fill 50k
# clients at 10k/s (RSS and bytes written per lease after it), 10k/s for the common CPU
# figure, a search for the highest rate under 1 % loss, a latency step at half that rate,
# then one perfdhcp run as a cross-check. The table (with ratios) is printed and appended to
# benches/results.md. Benchmarks are not tests: nothing here fails on a slow figure.
set -u
MODE=${1:-quick}
case "$MODE" in full | quick) ;; *)
    echo "usage: $0 full|quick" >&2
    exit 64
    ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
DUODHCP=$TARGET/release/duodhcp
CARGO=${CARGO:-cargo}
RESULTS=$ROOT/benches/results.md

if [ "$(id -u)" -ne 0 ]; then
    echo "bench: needs root (network namespaces, port 67)." >&2
    exit 1
fi
T_START=$(date +%s)

# ---- build the generator and the null responder (release profile, same as the server) ----
echo "== building benches/loadgen and benches/null_responder"
JSON=$("$CARGO" build --release --locked --bench loadgen --bench null_responder \
    --message-format=json-render-diagnostics) || {
    echo "bench: build failed" >&2
    exit 1
}
exe() { printf '%s\n' "$JSON" | grep "\"name\":\"$1\"" | grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4; }
LOADGEN=$(exe loadgen)
NULLRESP=$(exe null_responder)
for b in "$LOADGEN" "$NULLRESP" "$DUODHCP"; do
    [ -x "$b" ] || {
        echo "bench: missing binary ${b:-?} (run cargo build --release first)" >&2
        exit 1
    }
done

# ---- peers: Debian packages, installed when missing, never started as host services ----
install_pkgs() {
    local missing=() p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "== installing ${missing[*]}"
    local had_policy=0
    [ -e /usr/sbin/policy-rc.d ] && had_policy=1
    if [ $had_policy -eq 0 ]; then
        # Keep package scripts from starting the servers on the host.
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
    fi
    (apt-get update -qq || true) >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1
    local rc=$?
    [ $had_policy -eq 0 ] && rm -f /usr/sbin/policy-rc.d
    return $rc
}
if [ "$MODE" = full ]; then
    install_pkgs isc-dhcp-server || true
    install_pkgs kea-dhcp4-server || true
    install_pkgs dnsmasq-base || true
    install_pkgs kea-admin || true # perfdhcp
fi

# ---- topology and cleanup ----
TAG=$$
NSS=dhb${TAG}s
NSC=dhb${TAG}c
NSP=dhb${TAG}p
VS=dhbs${TAG}
VC=dhbc${TAG}
VFS=dhfs${TAG} # server end of the failover link
VFP=dhfp${TAG} # partner end
FO_SRV=198.19.200.1
FO_PEER=198.19.200.2
# The interleaved floor: a second null responder in a namespace of its own, on the server's
# core, joined to the generator's namespace by its own veth pair; every server's 10k/s CPU
# slices alternate with slices against it, so "÷ floor" is measured on the same machine state.
NSF=dhb${TAG}f
VFL=dhls${TAG} # floor end
VFG=dhlg${TAG} # generator end
FL_SRV=198.19.210.1
FL_RELAY=198.19.210.2
WORK=$(mktemp -d /var/tmp/duodhcp-bench.XXXXXX) # on disk: fsync must cost what it costs
RES=$WORK/results
mkdir -p "$RES"
PIDS=()
FLOOR_ARGS=()
SHM_DIR=""

stop_pid() { # SIGTERM, wait up to 5 s, then SIGKILL; only PIDs started here.
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    restore_rmem
    ip netns del "$NSS" 2>/dev/null
    ip netns del "$NSC" 2>/dev/null
    ip netns del "$NSP" 2>/dev/null
    ip netns del "$NSF" 2>/dev/null
    rm -rf "/etc/netns/$NSS" "/etc/netns/$NSC" "/etc/netns/$NSP" "/etc/netns/$NSF"
    # BENCH_KEEP=1 keeps the server logs and stores for a look afterwards.
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        echo "bench: kept $WORK ${SHM_DIR:-}"
    else
        rm -rf "$WORK"
        [ -n "${SHM_DIR:-}" ] && rm -rf "$SHM_DIR"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every server gets the socket receive buffer duodhcp asks for by default (1 MiB): ISC dhcpd,
# Kea, dnsmasq and the floor take the kernel's default (208 KiB, about 270 queued requests),
# and a stall of a few ms from another tenant or the disk then decided their highest rate
# (Kea: 27.1k, then 21.7k/s in back-to-back runs, losing at its socket). The default is not
# per network namespace, so it is raised for the run and put back by cleanup.
RMEM_WANT=1048576
RMEM_OLD=$(sysctl -n net.core.rmem_default 2>/dev/null || echo "")
RMEM_MAX_OLD=$(sysctl -n net.core.rmem_max 2>/dev/null || echo "")
restore_rmem() {
    [ -n "$RMEM_OLD" ] && sysctl -qw net.core.rmem_default="$RMEM_OLD" 2>/dev/null
    [ -n "$RMEM_MAX_OLD" ] && sysctl -qw net.core.rmem_max="$RMEM_MAX_OLD" 2>/dev/null
}
if [ -n "$RMEM_OLD" ] && [ "$RMEM_OLD" -lt "$RMEM_WANT" ]; then
    [ "${RMEM_MAX_OLD:-0}" -lt "$RMEM_WANT" ] && sysctl -qw net.core.rmem_max="$RMEM_WANT"
    if sysctl -qw net.core.rmem_default="$RMEM_WANT"; then
        echo "bench: net.core.rmem_default $RMEM_OLD -> $RMEM_WANT for the run (restored at exit)"
    fi
fi

ip netns add "$NSS" && ip netns add "$NSC" && ip netns add "$NSP" && ip netns add "$NSF" || exit 1
# `ip netns exec` bind-mounts /etc/netns/NS/* over /etc: an empty resolv.conf keeps anything
# started inside away from the host's resolvers.
for ns in "$NSS" "$NSC" "$NSP" "$NSF"; do mkdir -p "/etc/netns/$ns" && : >"/etc/netns/$ns/resolv.conf"; done
ip link add "$VS" netns "$NSS" type veth peer name "$VC" netns "$NSC" || exit 1
ip -n "$NSS" addr add 198.18.0.1/15 dev "$VS"
ip -n "$NSC" addr add 198.18.0.2/15 dev "$VC"
ip link add "$VFS" netns "$NSS" type veth peer name "$VFP" netns "$NSP" || exit 1
ip -n "$NSS" addr add "$FO_SRV/30" dev "$VFS"
ip -n "$NSP" addr add "$FO_PEER/30" dev "$VFP"
ip link add "$VFL" netns "$NSF" type veth peer name "$VFG" netns "$NSC" || exit 1
ip -n "$NSF" addr add "$FL_SRV/30" dev "$VFL"
ip -n "$NSC" addr add "$FL_RELAY/30" dev "$VFG"
for ns in "$NSS" "$NSC" "$NSP" "$NSF"; do ip -n "$ns" link set lo up; done
ip -n "$NSF" link set "$VFL" up
ip -n "$NSC" link set "$VFG" up
ip -n "$NSS" link set "$VS" up
ip -n "$NSC" link set "$VC" up
ip -n "$NSS" link set "$VFS" up
ip -n "$NSP" link set "$VFP" up

NCPU=$(nproc)
GEN_CPU=0
SRV_CPU=$((NCPU > 1 ? 1 : 0))
[ "$NCPU" -lt 2 ] && echo "bench: 1 CPU: generator and server share it; figures are not comparable"
# This VM's 2 cores are shared with other tenants' processes (invisible from here): a server
# that has to wait for its core stalls for milliseconds and overflows its socket buffer,
# which shows up as loss at 10k/s even for the null responder. Every server therefore runs
# SCHED_FIFO (it sleeps in recv when idle, so this only takes the core while it works; the
# kernel's RT throttling still leaves others 5 %), and the generator, which busy-polls and
# must stay CFS, at nice -20. BENCH_RT=0 turns both off.
if [ "${BENCH_RT:-1}" = 1 ]; then
    SRV_PREFIX=(chrt -f 10 taskset -c "$SRV_CPU")
    GEN_PREFIX=(nice -n -20)
    PARTNER_PREFIX=(chrt -f 10 taskset -c "$GEN_CPU")
else
    SRV_PREFIX=(taskset -c "$SRV_CPU")
    GEN_PREFIX=()
    PARTNER_PREFIX=(taskset -c "$GEN_CPU")
fi
# The failover partner shares the generator's core, so the server under test keeps a core to
# itself as in its standalone row (the partner needs a few % of a core; SCHED_FIFO lets it
# preempt the busy-polling generator when a BNDUPD arrives).

# ---- per-mode parameters ----
if [ "$MODE" = full ]; then
    PLAN=(--fill-rate 10000 --fill-max-secs 20 --common-rate 10000 --common-secs 7 --search-start 10000
        --search-min 25 --step-secs 2 --bisect 6 --recheck 3 --lat-secs 3 --renew 1 --renew-bisect 3)
    PERF_SECS=5
else
    PLAN=(--fill-rate 20000 --fill-max-secs 10 --common-rate 10000 --common-secs 3 --search-start 20000
        --step-secs 1 --bisect 4 --recheck 0 --lat-secs 2)
    PERF_SECS=0
fi

# Tag byte in chaddr per server so no server ever sees another run's clients.
NEXT_TAG=176

# bench_one NAME STORE_DIR CMD... : start CMD in the server namespace, pinned; wait until it
# answers; run the plan; perfdhcp; stop it. Results go to $RES/NAME.txt. Optional hooks (names
# of functions, called with the server's PID and the output file): BEFORE_PROBE (non-zero
# status: the row is skipped with the reason it printed) and AFTER_PLAN (after perfdhcp,
# before the server is stopped).
bench_one() {
    local name=$1 store=$2
    shift 2
    local dir=$WORK/$name out=$RES/$name.txt
    mkdir -p "$dir"
    : >"$out"
    echo "== $name"
    local t0
    t0=$(date +%s%N)
    ip netns exec "$NSS" "${SRV_PREFIX[@]}" "$@" >"$dir/server.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    if [ -n "${BEFORE_PROBE:-}" ]; then
        local why
        if ! why=$("$BEFORE_PROBE" "$pid" "$out"); then
            echo "$name: $why; skipped"
            echo "skipped $why" >"$out"
            stop_pid "$pid"
            return 1
        fi
    fi
    local probe
    probe=$(ip netns exec "$NSC" "$LOADGEN" probe --cpu "$GEN_CPU" --deadline-ms 20000 --tag 175)
    case "$probe" in "probe_ms "[0-9]*) ;; *) probe="" ;; esac
    if [ -z "$probe" ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "$name: did not answer within 20 s; skipped (log: $(tail -3 "$dir/server.log" | tr '\n' ' '))"
        echo "skipped did not start or answer (see its log)" >"$out"
        stop_pid "$pid"
        return 1
    fi
    echo "ready_ms $((($(date +%s%N) - t0) / 1000000))" >>"$out"
    ip netns exec "$NSC" "${GEN_PREFIX[@]}" "$LOADGEN" plan --cpu "$GEN_CPU" --pid "$pid" --store "$store" \
        --tag "$NEXT_TAG" "${PLAN[@]}" "${FLOOR_ARGS[@]}" ${EXTRA_PLAN:-} >>"$out"
    NEXT_TAG=$((NEXT_TAG + 1))
    if [ "$PERF_SECS" -gt 0 ] && command -v perfdhcp >/dev/null; then
        local rate
        rate=$(awk '$1=="max.rate"{print int($2)}' "$out")
        rate=${rate:-1000}
        # perfdhcp cannot go much past ~20k/s here; asking for more only measures its ceiling.
        [ "$rate" -gt 40000 ] && rate=40000
        ip netns exec "$NSC" "${GEN_PREFIX[@]}" taskset -c "$GEN_CPU" timeout 60 perfdhcp -4 -l 198.18.0.2 \
            -r "$rate" -R 10000 -p "$PERF_SECS" -d 0.25 -W 500000 198.18.0.1 >"$dir/perfdhcp.out" 2>&1
        awk -v want="$rate" '
            /^\*\*\*Statistics for: DISCOVER-OFFER/ { sec = "do" }
            /^\*\*\*Statistics for: REQUEST-ACK/ { sec = "ra" }
            /^sent packets:/ { sent[sec] = $3 }
            /^received packets:/ { recv[sec] = $3 }
            /^Rate:/ { rate = $2 }
            END {
                if (rate == "" || sent["do"] == 0) exit
                printf "perfdhcp.asked %d\nperfdhcp.rate %.0f\n", want, rate
                printf "perfdhcp.drop_pct %.2f\n", 100 * (1 - recv["ra"] / sent["do"])
            }' "$dir/perfdhcp.out" >>"$out"
    fi
    [ -n "${AFTER_PLAN:-}" ] && "$AFTER_PLAN" "$pid" "$out"
    stop_pid "$pid"
    echo "   $(grep -E '^(max.rate|common.srv_cpu_ms_per_1k|rss_kb|perfdhcp.rate) ' "$out" | tr '\n' ' ')"
    LAST_DIR=$dir
}

skip() { echo "$1: skipped: $2"; echo "skipped $2" >"$RES/$1.txt"; }

# ---- the floor ----
bench_one floor "$WORK/floor" "$NULLRESP" --bind 198.18.0.1 --max-secs 900
# From here on every row's 10k/s slices alternate with the interleaved floor's.
ip netns exec "$NSF" "${SRV_PREFIX[@]}" "$NULLRESP" --bind "$FL_SRV" --max-secs 1800 >"$WORK/floor-alt.log" 2>&1 &
FL_PID=$!
PIDS+=("$FL_PID")
sleep 0.2
if kill -0 "$FL_PID" 2>/dev/null; then
    FLOOR_ARGS=(--floor-relay "$FL_RELAY" --floor-server "$FL_SRV" --floor-pid "$FL_PID")
else
    echo "bench: the interleaved floor did not start ($(tail -1 "$WORK/floor-alt.log")); ratios to the floor use its own row"
    FLOOR_ARGS=()
fi

# ---- peers ----
if [ "$MODE" = full ]; then
    if [ -x /usr/sbin/dhcpd ]; then
        d=$WORK/isc-dhcpd
        mkdir -p "$d" && : >"$d/dhcpd.leases"
        bench_one isc-dhcpd "$d" /usr/sbin/dhcpd -4 -f -q -cf "$ROOT/benches/configs/dhcpd.conf" \
            -lf "$d/dhcpd.leases" -pf "$d/dhcpd.pid" "$VS"
    else
        skip isc-dhcpd "isc-dhcp-server could not be installed"
    fi
    if [ -x /usr/sbin/kea-dhcp4 ]; then
        d=$WORK/kea
        mkdir -p "$d"
        sed -e "s|@IFACE@|$VS|g" -e "s|@DIR@|$d|g" benches/configs/kea-dhcp4.json >"$d/kea.json"
        bench_one kea "$d" env KEA_PIDFILE_DIR="$d" KEA_LOCKFILE_DIR="$d" KEA_LOGGER_DESTINATION=stdout \
            /usr/sbin/kea-dhcp4 -c "$d/kea.json"
    else
        skip kea "kea-dhcp4-server could not be installed"
    fi
    if [ -x /usr/sbin/dnsmasq ]; then
        d=$WORK/dnsmasq
        mkdir -p "$d"
        sed -e "s|@IFACE@|$VS|g" benches/configs/dnsmasq.conf >"$d/dnsmasq.conf"
        bench_one dnsmasq "$d" /usr/sbin/dnsmasq --no-daemon --conf-file="$d/dnsmasq.conf" \
            --dhcp-leasefile="$d/dnsmasq.leases" --port=0 --interface="$VS" --pid-file="$d/dnsmasq.pid"
    else
        skip dnsmasq "dnsmasq-base could not be installed"
    fi
fi

# ---- duodhcp ----
# batch last, so that the failover row below runs right after its standalone reference.
if [ "$MODE" = full ]; then MODES="sync none batch"; else MODES="batch"; fi
for dur in $MODES; do
    d=$WORK/duodhcp-$dur
    mkdir -p "$d"
    sed -e "s|@IFACE@|$VS|g" -e "s|@DIR@|$d|g" -e "s|@DURABILITY@|$dur|g" \
        benches/configs/duodhcp.conf >"$d/duodhcp.conf"
    # Per-transaction info lines off (as for the peers); numbered events stay on.
    bench_one "duodhcp-$dur" "$d" env RUST_LOG=warn,duodhcp::events=info "$DUODHCP" -c "$d/duodhcp.conf"
done
# ---- duodhcp with a failover partner ----
# The same server (durability batch, same config) as the primary of a failover pair; the
# partner, a second duodhcp as secondary, runs in the third namespace and only talks TCP 647
# to it. `load-balance 100` keeps every client on the primary (no pool share for the
# secondary, no balancing traffic), so what the pair adds is one BNDUPD → BNDACK per lease
# change. BENCH_FO_MODE / BENCH_FO_UNACKED change the relationship for experiments.
FO_MODE=${BENCH_FO_MODE:-load-balance 100}
FO_UNACKED=${BENCH_FO_UNACKED:-100}
fo_conf() { # fo_conf DIR IFACE SERVER_ID ROLE ADDR PEER
    local d=$1
    {
        sed -e "s|@IFACE@|$2|g" -e "s|@DIR@|$d|g" -e "s|@DURABILITY@|batch|g" \
            -e "s|server-id 198.18.0.1|server-id $3|" -e "s|control-socket none|control-socket $d/ctl.sock|" \
            benches/configs/duodhcp.conf
        echo
        sed -e "s|@ROLE@|$4|" -e "s|@ADDR@|$5|" -e "s|@PEER@|$6|" -e "s|@MODE@|$FO_MODE|" \
            -e "s|@UNACKED@|$FO_UNACKED|" benches/configs/duodhcp-failover.conf
    } >"$d/duodhcp.conf"
}
fo_state() { "$DUODHCP" ctl --socket "$1/ctl.sock" failover 2>/dev/null | grep -m1 'role='; }
active_leases() { "$DUODHCP" leases --journal "$1/leases.journal" --json 2>/dev/null | grep -c '"state":"active"'; }
# BEFORE_PROBE: both ends NORMAL (bounded: 30 s), before any client is served.
fo_wait_normal() {
    local t0 st=""
    t0=$(date +%s%N)
    for _ in $(seq 1 300); do
        st=$(fo_state "$FO_D")
        case "$st" in *local=normal*partner=normal*)
            {
                echo "fo.normal_ms $((($(date +%s%N) - t0) / 1000000))"
                echo "fo.mode $FO_MODE"
                echo "fo.max_unacked $FO_UNACKED"
            } >>"$2"
            return 0
            ;;
        esac
        if ! kill -0 "$1" 2>/dev/null || ! kill -0 "$FO_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "the pair did not reach NORMAL within 30 s (primary: ${st:-no answer}; partner: $(fo_state "$FO_PD" || echo no answer))"
    return 1
}
# AFTER_PLAN: let the update queue drain (bounded: 10 s), note what is left.
fo_drain() {
    local t0 st="" q="?"
    t0=$(date +%s%N)
    for _ in $(seq 1 100); do
        st=$(fo_state "$FO_D")
        q=$(printf '%s\n' "$st" | grep -o 'queue=[0-9]*' | cut -d= -f2)
        [ "${q:-x}" = 0 ] && break
        sleep 0.1
    done
    {
        echo "fo.queue_end ${q:-?}"
        echo "fo.drain_ms $((($(date +%s%N) - t0) / 1000000))"
        echo "fo.state_end ${st:-no answer}"
        echo "fo.dropped_total $(printf '%s\n' "$st" | grep -o 'dropped=[0-9]*' | cut -d= -f2)"
    } >>"$2"
}
FO_D=$WORK/duodhcp-failover
# The partner keeps its journal on a tmpfs of its own: a real pair has two machines and two
# disks, and here both servers would share this VM's one virtual disk, so every fsync of the
# partner's would stall the server under test. Measured at fixed rates: with a shared disk the
# pair fell from no loss to 40-80 % loss between 56k and 67k/s (and back) from one run to the
# next; with the partner's journal apart it loses nothing up to 62k/s and degrades gradually.
if FO_PD=$(mktemp -d /dev/shm/duodhcp-bench-partner.XXXXXX 2>/dev/null); then
    SHM_DIR=$FO_PD
else
    FO_PD=$WORK/duodhcp-failover-partner
fi
mkdir -p "$FO_D" "$FO_PD"
fo_conf "$FO_D" "$VS" 198.18.0.1 primary "$FO_SRV" "$FO_PEER"
fo_conf "$FO_PD" "$VFP" "$FO_PEER" secondary "$FO_PEER" "$FO_SRV"
ip netns exec "$NSP" "${PARTNER_PREFIX[@]}" env RUST_LOG=warn,duodhcp::events=info "$DUODHCP" \
    -c "$FO_PD/duodhcp.conf" >"$FO_PD/server.log" 2>&1 &
FO_PID=$!
PIDS+=("$FO_PID")
# Every step of the plan starts with replication caught up (queue empty, no resync due): the
# generator runs this between steps. An overloaded search step overflows the update queue and
# a resync follows; so far it has always been over within the settle (the report counts waits).
printf '#!/bin/sh\n"%s" ctl --socket "%s" failover | grep -q "queue=0 .*resync=no"\n' \
    "$DUODHCP" "$FO_D/ctl.sock" >"$FO_D/caught-up.sh"
chmod +x "$FO_D/caught-up.sh"
BEFORE_PROBE=fo_wait_normal AFTER_PLAN=fo_drain EXTRA_PLAN="--partner-pid $FO_PID --log $FO_D/server.log --log-match event=20286 --settle-until $FO_D/caught-up.sh" \
    bench_one duodhcp-failover "$FO_D" env RUST_LOG=warn,duodhcp::events=info "$DUODHCP" -c "$FO_D/duodhcp.conf"
FO_OUT=$RES/duodhcp-failover.txt
if ! grep -q '^skipped' "$FO_OUT"; then
    # Counted after both have stopped, from their journals (the primary is stopped already).
    c0=$(awk '{print $14 + $15}' "/proc/$FO_PID/stat" 2>/dev/null)
    stop_pid "$FO_PID"
    {
        [ -n "$c0" ] && echo "fo.partner_cpu_ticks $c0"
        echo "fo.overflow_episodes $(grep -c 'event=20286' "$FO_D/server.log")"
        echo "fo.partner_active $(active_leases "$FO_PD")"
        echo "fo.primary_active $(active_leases "$FO_D")"
    } >>"$FO_OUT"
    echo "   $(grep -E '^fo\.(overflow_episodes|dropped_total|queue_end|partner_active|primary_active) ' "$FO_OUT" | tr '\n' ' ')"
fi
stop_pid "$FO_PID"

# ---- duodhcp extras: binary size, start-up on the journal the batch run left ----
X=$RES/_duodhcp.txt
echo "binary_bytes $(stat -c %s "$DUODHCP")" >"$X"
d=$WORK/duodhcp-batch
if [ -f "$d/leases.journal" ]; then
    echo "startup_journal_bytes $(stat -c %s "$d/leases.journal")" >>"$X"
    ip netns exec "$NSS" "${SRV_PREFIX[@]}" env RUST_LOG=info "$DUODHCP" -c "$d/duodhcp.conf" \
        >"$d/restart.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    t0=$(date +%s%N)
    ms=""
    for _ in $(seq 1 2000); do # ≤ 10 s
        if grep -q 'event=1024' "$d/restart.log"; then
            ms=$((($(date +%s%N) - t0) / 1000000))
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.005
    done
    [ -n "$ms" ] && echo "startup_ms $ms" >>"$X"
    leases=$(grep -o '[0-9]* leases' "$d/restart.log" | head -1 | cut -d' ' -f1)
    [ -n "$leases" ] && echo "startup_leases $leases" >>"$X"
    stop_pid "$pid"
fi

# ---- micro-benches of the other workers, when present ----
MICRO=$WORK/micro.txt
: >"$MICRO"
for b in codec core journal; do
    if [ -f "benches/$b.rs" ] || [ -d "benches/$b" ]; then
        echo "== cargo bench --bench $b"
        if [ "$MODE" = full ]; then
            timeout 300 "$CARGO" bench --locked --bench "$b" 2>/dev/null | grep -E '^[A-Za-z0-9_./-]+ +[0-9.]+' >>"$MICRO"
        else
            timeout 100 "$CARGO" bench --locked --profile release --bench "$b" 2>/dev/null |
                grep -E '^[A-Za-z0-9_./-]+ +[0-9.]+' >>"$MICRO"
        fi
    fi
done
# Journal recovery for 1M records over 50k live leases, if the journal bench reports it.
rec=$(awk 'tolower($1) ~ /recover/ && tolower($1) ~ /1m/ && tolower($1) ~ /ms/ {print $2; exit}' "$MICRO")
if [ -n "$rec" ]; then
    echo "recovery_ms $rec" >>"$X"
    echo "recovery_source cargo bench --bench journal: $(awk 'tolower($1) ~ /recover/ && tolower($1) ~ /1m/ && tolower($1) ~ /ms/ {print $1; exit}' "$MICRO")" >>"$X"
fi

# ---- the table ----
# The previous run of this mode is kept under the target dir, so the table can say how far
# each ratio moved since (the run-to-run check); then this run replaces it.
LAST=$TARGET/bench-last-$MODE
printf 'date %s\ncommit %s\n' "$(date -u '+%Y-%m-%d_%H:%M_UTC')" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" >"$RES/_run.txt"
if [ -d "$LAST" ]; then
    TABLE=$("$LOADGEN" report --dir "$RES" --prev "$LAST")
else
    TABLE=$("$LOADGEN" report --dir "$RES")
fi
rm -rf "$LAST" && cp -r "$RES" "$LAST"
ELAPSED=$(($(date +%s) - T_START))
HEAD="## $(date -u '+%Y-%m-%d %H:%M UTC') — $([ "$MODE" = full ] && echo "make bench" || echo "make bench-quick"), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${ELAPSED} s"
{
    echo
    echo "$HEAD"
    echo
    echo "$TABLE"
    if [ -s "$MICRO" ]; then
        echo
        echo "Micro-benchmarks (cargo bench, \`name value\`):"
        echo
        echo '```'
        cat "$MICRO"
        echo '```'
    fi
} >"$WORK/section.md"
echo
cat "$WORK/section.md"
[ -f "$RESULTS" ] || printf '# Benchmark results\n\nAppended by `make bench` / `make bench-quick` (scripts/bench.sh); newest last.\n' >"$RESULTS"
cat "$WORK/section.md" >>"$RESULTS"
echo
echo "appended to benches/results.md (${ELAPSED} s)"
