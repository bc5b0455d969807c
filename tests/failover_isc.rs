//! duodhcp ↔ ISC dhcpd 4.4 failover with real processes (issue 6 acceptance 2, and 4 with ISC
//! as the partner). One segment (`common::hub`): host 0 duodhcp, host 1 ISC dhcpd, host 2 the
//! clients (busybox udhcpc, one MAC per client set on the interface before each run).
//!
//! Both sides start fresh (empty journal and lease file), so both announce RECOVER and reach
//! NORMAL in seconds (digest §12). Needs root, `ip`, `dhcpd`, `udhcpc`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::hub::{
    active_set, assert_no_double_allocation, isc_leases, mac_str, macs, FoDuo, FoParams, Hub, Lease,
};
use common::netns::{env_get, hook_events, hook_script, prerequisites, wait_until, Proc};
use duodhcp::failover::loadbal::{bucket, Hba};

const DUO: usize = 0;
const ISC: usize = 1;
const CLI: usize = 2;

struct Isc {
    proc: Proc,
    leases: PathBuf,
}

impl Isc {
    fn log(&self) -> String {
        self.proc.logs()
    }
    fn table(&self) -> Vec<Lease> {
        isc_leases(&self.leases)
    }
    fn count(&self, needle: &str) -> usize {
        self.proc.stderr().matches(needle).count() + self.proc.stdout().matches(needle).count()
    }
}

/// Starts ISC dhcpd on host 1 as the partner of duodhcp on host 0.
fn start_isc(hub: &Hub, primary: bool, mclt: u32, mrd: u32) -> Isc {
    let x = hub.prefix();
    let role = if primary {
        format!("primary;\n  mclt {mclt};\n  split 128;")
    } else {
        "secondary;".to_string()
    };
    let conf = format!(
        "authoritative;
ddns-update-style none;
default-lease-time 600;
max-lease-time 7200;
omapi-port 7911;
failover peer \"fo-test\" {{
  {role}
  address {me};
  port 647;
  peer address {peer};
  peer port 647;
  max-response-delay {mrd};
  max-unacked-updates 10;
  load balance max seconds 3;
}}
subnet {x}.0 netmask 255.255.255.0 {{
  option routers {x}.1;
  pool {{
    failover peer \"fo-test\";
    range {x}.100 {x}.199;
  }}
}}
",
        me = hub.ip(ISC),
        peer = hub.ip(DUO),
    );
    let cf = hub.dir.write("isc.conf", &conf);
    let lf = hub.dir.write("isc.leases", "");
    let pf = hub.dir.join("isc.pid");
    let (cf, lf_s, pf) = (
        cf.to_string_lossy().into_owned(),
        lf.to_string_lossy().into_owned(),
        pf.to_string_lossy().into_owned(),
    );
    let ifname = hub.hosts[ISC].ifname.clone();
    let mut proc = hub.spawn(
        ISC,
        "isc",
        &[
            "dhcpd", "-4", "-f", "-d", "-cf", &cf, "-lf", &lf_s, "-pf", &pf, &ifname,
        ],
        &[],
    );
    let ok = proc.wait_for_output("Sending on", Duration::from_secs(10));
    assert!(
        ok && proc.exited().is_none(),
        "ISC dhcpd did not start:\n{}",
        proc.logs()
    );
    Isc { proc, leases: lf }
}

fn duo_params(hub: &Hub, primary: bool, mclt: u32, mrd: u32) -> FoParams {
    let mut p = FoParams::new(primary, hub.ip(DUO), hub.ip(ISC));
    p.mclt = mclt;
    p.max_response_delay = mrd;
    p
}

fn wait_both_normal(duo: &FoDuo, isc: &Isc, times: usize, within: Duration) {
    let t0 = Instant::now();
    let ok = wait_until(within, Duration::from_millis(200), || {
        isc.count("Both servers normal") >= times
    });
    assert!(
        ok,
        "ISC never logged \"Both servers normal\" (#{times})\n{}\n{}",
        isc.log(),
        duo.log()
    );
    if let Err(e) = duo.wait_state("normal", "normal", Duration::from_secs(10)) {
        panic!("{e}\n{}\n{}", duo.log(), isc.log());
    }
    eprintln!("both normal after {:?}", t0.elapsed());
}

/// Runs busybox udhcpc once on the client host with `mac`; returns (address, server id).
fn udhcpc(hub: &Hub, mac: [u8; 6], run: usize) -> Result<(Ipv4Addr, Ipv4Addr), String> {
    let h = &hub.hosts[CLI];
    let m = mac_str(mac);
    h.ns.exec_must(&["ip", "link", "set", "dev", &h.ifname, "address", &m]);
    let env_dir = hub.dir.join(&format!("udhcpc-{run}"));
    fs::create_dir_all(&env_dir).unwrap();
    let hook = hub
        .dir
        .write_script(&format!("hook-{run}.sh"), &hook_script(&env_dir, None));
    let hook_s = hook.to_string_lossy().into_owned();
    let mut p = hub.spawn(
        CLI,
        &format!("udhcpc-{run}"),
        &[
            "udhcpc", "-f", "-q", "-n", "-i", &h.ifname, "-s", &hook_s, "-t", "6", "-T", "1", "-A",
            "1",
        ],
        &[],
    );
    let st = p.wait_exit(Duration::from_secs(15));
    let ev = hook_events(&env_dir);
    let bound = ev.iter().find(|(n, _)| n.ends_with("-bound.env"));
    match (st, bound) {
        (Some(_), Some((_, kv))) => {
            let ip = env_get(kv, "ip").and_then(|s| s.parse().ok());
            let sid = env_get(kv, "serverid").and_then(|s| s.parse().ok());
            ip.zip(sid)
                .ok_or_else(|| format!("bound without ip/serverid: {kv:?}"))
        }
        _ => Err(format!(
            "udhcpc {m} got no lease (exit {st:?})\n{}",
            p.logs()
        )),
    }
}

fn find(t: &[Lease], addr: Ipv4Addr) -> Option<&Lease> {
    t.iter().find(|l| l.addr == addr)
}

/// The RFC 3074 key of a udhcpc client: busybox sends option 61 = htype 1 + MAC, and both
/// servers hash option 61 when present.
fn client_bucket(mac: &[u8; 6]) -> u8 {
    let mut k = vec![1u8];
    k.extend_from_slice(mac);
    bucket(&k)
}

/// Real clients on each side; each lease shows up in the other server's table.
fn leases_cross(hub: &Hub, duo: &FoDuo, isc: &Isc, duo_primary: bool) {
    let hba = Hba::from_split(128);
    for (k, to_duo) in [true, false].into_iter().enumerate() {
        // The client's bucket decides which server answers (set bit = primary).
        let want_primary = to_duo == duo_primary;
        let mac = macs(0x30 + k as u8, 5000)
            .into_iter()
            .find(|m| hba.primary_serves(client_bucket(m)) == want_primary)
            .unwrap();
        let (addr, sid) =
            udhcpc(hub, mac, k).unwrap_or_else(|e| panic!("{e}\n{}\n{}", duo.log(), isc.log()));
        let expect_sid = if to_duo { hub.ip(DUO) } else { hub.ip(ISC) };
        assert_eq!(
            sid,
            expect_sid,
            "{} answered by the wrong server",
            mac_str(mac)
        );
        let hw = mac_str(mac);
        let seen = wait_until(Duration::from_secs(2), Duration::from_millis(50), || {
            let t = if to_duo { isc.table() } else { duo.leases() };
            find(&t, addr).is_some_and(|l| l.state == "active" && l.hwaddr == hw)
        });
        assert!(
            seen,
            "lease {addr} for {hw} from {} not active in the other table: duo {:?}, isc {:?}\n{}\n{}",
            if to_duo { "duodhcp" } else { "ISC" },
            find(&duo.leases(), addr),
            find(&isc.table(), addr),
            duo.log(),
            isc.log()
        );
        eprintln!("{hw} → {addr} from {sid}, seen by the partner");
    }
    assert_no_double_allocation(&[("duodhcp", &duo.leases()), ("isc", &isc.table())]);
}

#[test]
fn isc_secondary_duo_primary() {
    if !prerequisites(&["dhcpd", "udhcpc"]) {
        return;
    }
    let hub = Hub::new("fo-isc-s", 3);
    let duo = FoDuo::start(&hub, DUO, "duo", &duo_params(&hub, true, 10, 5));
    let isc = start_isc(&hub, false, 10, 5);
    wait_both_normal(&duo, &isc, 1, Duration::from_secs(30));
    // Pool balancing: we give the ISC secondary half of the 100 addresses as BACKUP.
    let mut backup = 0;
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        backup = isc.table().iter().filter(|l| l.state == "backup").count();
        (45..=55).contains(&backup)
    });
    assert!(
        ok,
        "ISC secondary has {backup} BACKUP addresses, wanted ≈ 50\n{}",
        isc.log()
    );
    leases_cross(&hub, &duo, &isc, true);
}

#[test]
fn isc_primary_duo_secondary() {
    if !prerequisites(&["dhcpd", "udhcpc"]) {
        return;
    }
    let hub = Hub::new("fo-isc-p", 3);
    let isc = start_isc(&hub, true, 10, 5);
    let duo = FoDuo::start(&hub, DUO, "duo", &duo_params(&hub, false, 10, 5));
    wait_both_normal(&duo, &isc, 1, Duration::from_secs(30));
    // Pool balancing: the ISC primary gives us half of the pool as BACKUP.
    let mut backup = 0;
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        backup = duo.leases().iter().filter(|l| l.state == "backup").count();
        (45..=55).contains(&backup)
    });
    assert!(
        ok,
        "duodhcp secondary has {backup} BACKUP addresses, wanted ≈ 50\n{}",
        isc.log()
    );
    leases_cross(&hub, &duo, &isc, false);
}

#[test]
fn isc_link_cut_then_restored() {
    if !prerequisites(&["dhcpd", "udhcpc"]) {
        return;
    }
    let hub = Hub::new("fo-isc-cut", 3);
    // MCLT 30: the lease granted during the cut lasts one MCLT and must outlive the outage.
    let duo = FoDuo::start(&hub, DUO, "duo", &duo_params(&hub, true, 30, 5));
    let isc = start_isc(&hub, false, 30, 5);
    wait_both_normal(&duo, &isc, 1, Duration::from_secs(30));

    hub.cut(ISC);
    let t_cut = Instant::now();
    if let Err(e) = duo.wait_state("communications-interrupted", "", Duration::from_secs(10)) {
        panic!("{e}\n{}", duo.log());
    }
    let ok = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
        isc.count("I move from normal to communications-interrupted") >= 1
    });
    assert!(ok, "ISC did not go COMM-INT\n{}", isc.log());
    eprintln!("both COMM-INT {:?} after the cut", t_cut.elapsed());
    // A client of the ISC's bucket: during the cut duodhcp serves it from its own pool.
    let hba = Hba::from_split(128);
    let mac = macs(0x40, 5000)
        .into_iter()
        .find(|m| !hba.primary_serves(client_bucket(m)))
        .unwrap();
    let (addr, sid) = udhcpc(&hub, mac, 0).unwrap_or_else(|e| panic!("{e}\n{}", duo.log()));
    assert_eq!(sid, hub.ip(DUO));
    hub.restore(ISC);
    let t_up = Instant::now();
    wait_both_normal(&duo, &isc, 2, Duration::from_secs(40));
    eprintln!("normal again {:?} after the link came back", t_up.elapsed());
    let hw = mac_str(mac);
    let seen = wait_until(Duration::from_secs(3), Duration::from_millis(100), || {
        find(&isc.table(), addr).is_some_and(|l| l.state == "active" && l.hwaddr == hw)
    });
    assert!(
        seen,
        "lease {addr} from the cut not in ISC's table: {:?}\n{}",
        find(&isc.table(), addr),
        isc.log()
    );
    let mut last = (Vec::new(), Vec::new());
    let same = wait_until(Duration::from_secs(5), Duration::from_millis(200), || {
        last = (duo.leases(), isc.table());
        active_set(&last.0) == active_set(&last.1)
    });
    assert_no_double_allocation(&[("duodhcp", &last.0), ("isc", &last.1)]);
    assert!(
        same,
        "active leases differ: duo {:?} isc {:?}",
        active_set(&last.0),
        active_set(&last.1)
    );
}
