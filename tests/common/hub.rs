//! A one-segment test network for failover: one bridge namespace and N host namespaces, each
//! host attached to the bridge by a veth pair, all hosts on `198.18.N.0/24` (host `i` is
//! `198.18.N.(10+i)`). DHCP broadcasts from any host reach every other host, and the servers
//! reach each other over TCP 647. Cutting a host's bridge port (`ip link set … down` inside
//! the bridge namespace) partitions that host without stopping any process.
//!
//! Same safety contract as [`super::netns`]: everything lives in namespaces created here,
//! addresses only from 198.18.0.0/15, no route leaves the segment, processes are stopped by
//! PID and the namespaces deleted in `Drop` (hosts before the bridge), every wait bounded.
//!
//! Also here: a duodhcp server with a failover relationship on one host ([`FoDuo`]), its
//! config ([`FoParams`]), the `ctl failover` line parsed ([`FoStatus`]), and a small relay
//! agent ([`Relay`]) built on [`super::netns::pkt`].

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::netns::{
    in_netns, leases_json, must, pkt, run, wait_until, Netns, Output, Proc, TempDir, DUODHCP,
};

/// Hub numbers, distinct from the `Link` counter's namespace tags ('s', 'c'): hub namespaces
/// use 'b' for the bridge and 'd'.. for hosts, so names never collide within one process.
static HUB_COUNTER: AtomicU32 = AtomicU32::new(0);
const HOST_TAGS: &[char] = &['d', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];

/// One host on the segment.
pub struct Host {
    pub ns: Netns,
    /// The host's interface (inside `ns`).
    pub ifname: String,
    /// Its peer, a port of the bridge (inside the bridge namespace).
    pub port: String,
    pub ip: Ipv4Addr,
}

pub struct Hub {
    pub n: u8,
    /// Declared first so they are dropped (processes stopped) before the bridge.
    pub hosts: Vec<Host>,
    pub bridge: Netns,
    pub bridge_if: String,
    /// Declared last: dropped after the namespaces and their processes.
    pub dir: TempDir,
}

impl Hub {
    /// Creates the bridge namespace and `hosts` host namespaces (at most 8), all up.
    pub fn new(test: &str, hosts: usize) -> Hub {
        assert!(
            hosts <= HOST_TAGS.len(),
            "at most {} hosts",
            HOST_TAGS.len()
        );
        // Large offsets keep the namespace number apart from the Link counter's in names
        // (tags already make them distinct; this only helps reading `ip netns`).
        let k = 900 + HUB_COUNTER.fetch_add(1, Ordering::SeqCst);
        let n = (k % 200 + 20) as u8;
        let dir = TempDir::new(test);
        let bridge = Netns::new(k, 'b');
        let bridge_if = "br0".to_string();
        bridge.exec_must(&["ip", "link", "add", &bridge_if, "type", "bridge"]);
        // No STP and no forward delay: ports forward as soon as they are up.
        bridge.exec_must(&[
            "ip",
            "link",
            "set",
            &bridge_if,
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
        ]);
        bridge.exec_must(&["ip", "link", "set", &bridge_if, "up"]);
        let mut hub = Hub {
            n,
            hosts: Vec::new(),
            bridge,
            bridge_if,
            dir,
        };
        for (i, &tag) in HOST_TAGS.iter().enumerate().take(hosts) {
            let ns = Netns::new(k, tag);
            let ifname = format!("fh{k}{tag}");
            let port = format!("fp{k}{tag}");
            must(&[
                "ip",
                "link",
                "add",
                &ifname,
                "netns",
                ns.name(),
                "type",
                "veth",
                "peer",
                "name",
                &port,
                "netns",
                hub.bridge.name(),
            ]);
            hub.bridge
                .exec_must(&["ip", "link", "set", &port, "master", &hub.bridge_if]);
            hub.bridge.exec_must(&["ip", "link", "set", &port, "up"]);
            let ip = Ipv4Addr::new(198, 18, n, 10 + i as u8);
            let cidr = format!("{ip}/24");
            ns.exec_must(&["ip", "addr", "add", &cidr, "dev", &ifname]);
            ns.exec_must(&["ip", "link", "set", &ifname, "up"]);
            hub.hosts.push(Host {
                ns,
                ifname,
                port,
                ip,
            });
        }
        // Bounded check that the segment forwards: every host's interface has carrier.
        for h in &hub.hosts {
            let ok = wait_until(Duration::from_secs(5), Duration::from_millis(20), || {
                h.ns.exec(&["ip", "-o", "link", "show", "dev", &h.ifname])
                    .stdout
                    .contains("LOWER_UP")
            });
            assert!(ok, "{} has no carrier", h.ifname);
        }
        hub
    }

    pub fn host(&self, i: usize) -> &Host {
        &self.hosts[i]
    }

    pub fn ip(&self, i: usize) -> Ipv4Addr {
        self.hosts[i].ip
    }

    /// `198.18.N` (for config text).
    pub fn prefix(&self) -> String {
        format!("198.18.{}", self.n)
    }

    /// Takes host `i`'s bridge port down: the host loses carrier, nothing gets through.
    pub fn cut(&self, i: usize) {
        self.bridge
            .exec_must(&["ip", "link", "set", &self.hosts[i].port, "down"]);
    }

    /// Brings host `i`'s bridge port back up.
    pub fn restore(&self, i: usize) {
        self.bridge
            .exec_must(&["ip", "link", "set", &self.hosts[i].port, "up"]);
        let h = &self.hosts[i];
        let ok = wait_until(Duration::from_secs(5), Duration::from_millis(20), || {
            h.ns.exec(&["ip", "-o", "link", "show", "dev", &h.ifname])
                .stdout
                .contains("LOWER_UP")
        });
        assert!(ok, "{} did not get its carrier back", h.ifname);
    }

    /// Starts a process in host `i`'s namespace; logs `<dir>/<name>.out|.err`.
    pub fn spawn(&self, i: usize, name: &str, argv: &[&str], env: &[(&str, &str)]) -> Proc {
        Proc::spawn(&self.hosts[i].ns, self.dir.path(), name, argv, env)
    }
}

// ---------------------------------------------------------------------------------------------
// duodhcp with a failover relationship

/// The relationship and scopes of one duodhcp partner.
#[derive(Clone, Debug)]
pub struct FoParams {
    pub name: String,
    pub primary: bool,
    pub me: Ipv4Addr,
    pub peer: Ipv4Addr,
    /// `load-balance 50`, `hot-standby`…
    pub mode: String,
    pub mclt: u32,
    pub max_response_delay: u32,
    /// `None` = off.
    pub auto_partner_down: Option<u32>,
    pub shared_secret: Option<String>,
    /// Extra lines inside the failover block.
    pub fo_extra: String,
    /// Add the big relayed scope `big` (`198.19.0.0/16`, [`BIG_RANGE`]) to the relationship.
    pub big_scope: bool,
    /// Range of the segment's scope `s`: `198.18.N.lo – .hi`.
    pub range: (u8, u8),
    pub lease_time: u32,
    /// Extra lines in the server block.
    pub server_extra: String,
}

/// The big scope's range: 2000 addresses (198.19.0.10 – 198.19.7.217).
pub const BIG_RANGE: (Ipv4Addr, Ipv4Addr) = (
    Ipv4Addr::new(198, 19, 0, 10),
    Ipv4Addr::new(198, 19, 7, 217),
);
/// The link-selection address that puts a relayed client in scope `big`.
pub const BIG_LINK: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 1);

impl FoParams {
    pub fn new(primary: bool, me: Ipv4Addr, peer: Ipv4Addr) -> FoParams {
        FoParams {
            name: "fo-test".into(),
            primary,
            me,
            peer,
            mode: "load-balance 50".into(),
            mclt: 5,
            max_response_delay: 4,
            auto_partner_down: None,
            shared_secret: None,
            fo_extra: String::new(),
            big_scope: false,
            range: (100, 199),
            lease_time: 600,
            server_extra: String::new(),
        }
    }
}

/// Config text for a partner on `hub` whose state files are `<dir>/<tag>.*`.
pub fn fo_conf(hub: &Hub, ifname: &str, tag: &str, p: &FoParams) -> String {
    let x = hub.prefix();
    let journal = hub.dir.join(&format!("{tag}.journal"));
    let sock = hub.dir.join(&format!("{tag}.sock"));
    let mut scopes = format!(
        "scope s {{
    subnet {x}.0/24
    range {x}.{lo} {x}.{hi}
    lease-time {lt}
    option routers {x}.1
}}
",
        lo = p.range.0,
        hi = p.range.1,
        lt = p.lease_time,
    );
    if p.big_scope {
        scopes.push_str(&format!(
            "scope big {{
    subnet 198.19.0.0/16
    range {} {}
    lease-time {lt}
}}
",
            BIG_RANGE.0,
            BIG_RANGE.1,
            lt = p.lease_time
        ));
    }
    let mut fo = format!(
        "failover {name} {{
    role {role}
    address {me}
    peer-address {peer}
    mode {mode}
    mclt {mclt}
    max-response-delay {mrd}
    auto-partner-down {apd}
    load-balance-max-seconds 3
    scope s
",
        name = p.name,
        role = if p.primary { "primary" } else { "secondary" },
        me = p.me,
        peer = p.peer,
        mode = p.mode,
        mclt = p.mclt,
        mrd = p.max_response_delay,
        apd = p
            .auto_partner_down
            .map_or("off".to_string(), |s| s.to_string()),
    );
    if p.big_scope {
        fo.push_str("    scope big\n");
    }
    if let Some(s) = &p.shared_secret {
        fo.push_str(&format!("    shared-secret \"{s}\"\n"));
    }
    fo.push_str(&p.fo_extra);
    fo.push_str("}\n");
    format!(
        "server {{
    interface {ifname}
    journal {journal}
    durability batch
    offer-hold 30
    control-socket {sock}
{extra}}}
{scopes}{fo}",
        journal = journal.display(),
        sock = sock.display(),
        extra = p.server_extra,
    )
}

/// One `ctl failover` line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoStatus {
    pub name: String,
    pub fields: BTreeMap<String, String>,
    pub raw: String,
}

impl FoStatus {
    pub fn parse(line: &str) -> Option<FoStatus> {
        let mut words = line.split_whitespace();
        let name = words.next()?.to_string();
        let mut fields = BTreeMap::new();
        // Values may contain spaces ("1s ago"): a word without '=' continues the last value.
        let mut last: Option<String> = None;
        for w in words {
            if let Some((k, v)) = w.split_once('=') {
                fields.insert(k.to_string(), v.to_string());
                last = Some(k.to_string());
            } else if let Some(k) = &last {
                if let Some(v) = fields.get_mut(k) {
                    v.push(' ');
                    v.push_str(w);
                }
            }
        }
        Some(FoStatus {
            name,
            fields,
            raw: line.to_string(),
        })
    }

    pub fn get(&self, k: &str) -> &str {
        self.fields.get(k).map_or("", String::as_str)
    }

    pub fn local(&self) -> &str {
        self.get("local")
    }

    pub fn partner(&self) -> &str {
        self.get("partner")
    }

    pub fn connected(&self) -> bool {
        self.get("connected") == "true"
    }
}

/// A duodhcp partner running on one host of a [`Hub`].
pub struct FoDuo {
    pub proc: Proc,
    pub tag: String,
    pub conf: PathBuf,
    pub journal: PathBuf,
    pub sock: PathBuf,
    pub host: usize,
}

impl FoDuo {
    /// Writes `<tag>.conf` and starts duodhcp on host `i`; waits for ready (`event=1024`).
    pub fn start(hub: &Hub, i: usize, tag: &str, p: &FoParams) -> FoDuo {
        let text = fo_conf(hub, &hub.hosts[i].ifname, tag, p);
        FoDuo::start_text(hub, i, tag, &text)
    }

    pub fn start_text(hub: &Hub, i: usize, tag: &str, text: &str) -> FoDuo {
        let conf = hub.dir.write(&format!("{tag}.conf"), text);
        let mut d = FoDuo {
            proc: Self::spawn(hub, i, tag, &conf, 0),
            tag: tag.to_string(),
            conf,
            journal: hub.dir.join(&format!("{tag}.journal")),
            sock: hub.dir.join(&format!("{tag}.sock")),
            host: i,
        };
        d.wait_ready(text);
        d
    }

    fn spawn(hub: &Hub, i: usize, tag: &str, conf: &Path, run_no: u32) -> Proc {
        let conf_s = conf.to_string_lossy().into_owned();
        let name = if run_no == 0 {
            tag.to_string()
        } else {
            format!("{tag}-run{run_no}")
        };
        hub.spawn(
            i,
            &name,
            &[DUODHCP, "-c", &conf_s],
            &[("RUST_LOG", "debug"), ("RUST_LOG_STYLE", "never")],
        )
    }

    fn wait_ready(&mut self, text: &str) {
        let proc = &mut self.proc;
        let ready = wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
            proc.stderr().contains("event=1024") || proc.exited().is_some()
        });
        assert!(
            ready && self.proc.exited().is_none(),
            "duodhcp {} did not report ready within 10 s (exit: {:?})\n{}\nconfig:\n{}",
            self.tag,
            self.proc.exited(),
            self.proc.logs(),
            text
        );
    }

    /// SIGKILL: no shutdown work at all (journal as it was, TCP reset by the kernel).
    pub fn kill9(&mut self) {
        self.proc.signal(libc::SIGKILL);
        let st = self.proc.wait_exit(Duration::from_secs(5));
        assert!(st.is_some(), "{} did not die on SIGKILL", self.tag);
    }

    /// Starts the server again on the same config and journal (`run_no` names the log files).
    pub fn restart(&mut self, hub: &Hub, run_no: u32) {
        assert!(self.proc.exited().is_some(), "restart of a running server");
        self.proc = Self::spawn(hub, self.host, &self.tag, &self.conf, run_no);
        let text = fs::read_to_string(&self.conf).unwrap_or_default();
        self.wait_ready(&text);
    }

    pub fn log(&self) -> String {
        self.proc.stderr()
    }

    pub fn logs(&self) -> String {
        self.proc.logs()
    }

    /// `duodhcp ctl --socket S WORDS…` (the socket is a file: no namespace needed).
    pub fn ctl(&self, words: &[&str]) -> Output {
        let s = self.sock.to_string_lossy().into_owned();
        let mut argv = vec![DUODHCP, "ctl", "--socket", &s];
        argv.extend_from_slice(words);
        run(&argv, Duration::from_secs(5))
    }

    /// The first relationship's `ctl failover` line, or None if the server does not answer.
    pub fn status(&self) -> Option<FoStatus> {
        let o = self.ctl(&["failover"]);
        if !o.ok() {
            return None;
        }
        o.stdout.lines().find_map(FoStatus::parse)
    }

    /// Waits (bounded) until `ctl failover` shows `local`/`partner` (either may be "" = any).
    /// Returns the last status seen.
    pub fn wait_state(
        &self,
        local: &str,
        partner: &str,
        timeout: Duration,
    ) -> Result<FoStatus, String> {
        let mut last = None;
        let ok = wait_until(timeout, Duration::from_millis(100), || {
            last = self.status();
            last.as_ref().is_some_and(|s| {
                (local.is_empty() || s.local() == local)
                    && (partner.is_empty() || s.partner() == partner)
            })
        });
        match (ok, last) {
            (true, Some(s)) => Ok(s),
            (_, l) => Err(format!(
                "{}: wanted local={local} partner={partner} within {timeout:?}, last status: {}",
                self.tag,
                l.map_or("(no answer)".to_string(), |s| s.raw)
            )),
        }
    }

    /// `duodhcp leases --journal J --json`, parsed (read-only, fine while running).
    pub fn leases(&self) -> Vec<Lease> {
        leases_json(&self.journal)
            .into_iter()
            .filter_map(|obj| Lease::from_json(&obj))
            .collect()
    }

    /// Count of events `event=ID ` in the log.
    pub fn event_count(&self, id: u32) -> usize {
        self.log().matches(&format!("event={id} ")).count()
    }
}

/// One lease row, from either server's table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lease {
    pub addr: Ipv4Addr,
    pub state: String,
    /// Lower-case colon hex, "" when none.
    pub hwaddr: String,
    pub end: u64,
}

impl Lease {
    fn from_json(obj: &[(String, String)]) -> Option<Lease> {
        let get = |k: &str| obj.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
        Some(Lease {
            addr: get("addr")?.parse().ok()?,
            state: get("state")?,
            hwaddr: get("hwaddr").unwrap_or_default().to_ascii_lowercase(),
            end: get("end").and_then(|e| e.parse().ok()).unwrap_or(0),
        })
    }
}

/// Active bindings as (addr, hwaddr), sorted: what must agree between partners.
pub fn active_set(leases: &[Lease]) -> Vec<(Ipv4Addr, String)> {
    let mut v: Vec<(Ipv4Addr, String)> = leases
        .iter()
        .filter(|l| l.state == "active")
        .map(|l| (l.addr, l.hwaddr.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Panics if one address is active for two different clients across all the tables, or one
/// table has it active twice. `tables` are (name, leases).
pub fn assert_no_double_allocation(tables: &[(&str, &[Lease])]) {
    let mut owner: HashMap<Ipv4Addr, (String, &str)> = HashMap::new();
    for (name, t) in tables {
        for l in t.iter().filter(|l| l.state == "active") {
            if let Some((hw, other)) = owner.get(&l.addr) {
                assert_eq!(
                    hw, &l.hwaddr,
                    "address {} held by two clients: {hw} ({other}) and {} ({name})",
                    l.addr, l.hwaddr
                );
            } else {
                owner.insert(l.addr, (l.hwaddr.clone(), name));
            }
        }
    }
}

/// `02:00:00:00:hi:lo` as the JSON/ISC lease files print it.
pub fn mac_str(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

// ---------------------------------------------------------------------------------------------
// Relay agent

/// A relay agent on one host: a UDP socket on `<host ip>:67` (replies to giaddr come here),
/// sending relayed requests by unicast to chosen servers.
pub struct Relay {
    pub sock: UdpSocket,
    pub giaddr: Ipv4Addr,
    /// Link-selection address (option 82 sub-option 5), if any.
    pub link: Option<Ipv4Addr>,
}

impl Relay {
    pub fn new(hub: &Hub, i: usize, link: Option<Ipv4Addr>) -> Relay {
        let giaddr = hub.ip(i);
        let sock = hub.hosts[i]
            .ns
            .udp_socket(SocketAddrV4::new(giaddr, 67))
            .expect("bind relay socket");
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("set_read_timeout");
        // Room for a burst of replies (best effort; the kernel may cap it).
        in_netns(&hub.hosts[i].ns, || {
            let s2 = socket2::SockRef::from(&sock);
            let _ = s2.set_recv_buffer_size(4 << 20);
        });
        Relay { sock, giaddr, link }
    }

    /// A relayed request from `mac` (secs = 0, so load balancing applies).
    pub fn msg(&self, t: u8, xid: u32, mac: [u8; 6]) -> pkt::Msg {
        let mut m = pkt::Msg::request(t, xid, mac, self.giaddr);
        if let Some(l) = self.link {
            let mut o82 = vec![5u8, 4];
            o82.extend_from_slice(&l.octets());
            m = m.with(pkt::OPT_RELAY_AGENT, &o82);
        }
        m
    }

    /// DISCOVER → OFFER → REQUEST → ACK against one server; returns the address.
    pub fn dora(&self, server: Ipv4Addr, mac: [u8; 6], xid: u32) -> Result<Ipv4Addr, String> {
        self.dora_wait(server, mac, xid, Duration::from_secs(3))
    }

    /// As [`Relay::dora`], waiting `wait` for the OFFER.
    pub fn dora_wait(
        &self,
        server: Ipv4Addr,
        mac: [u8; 6],
        xid: u32,
        wait: Duration,
    ) -> Result<Ipv4Addr, String> {
        let to = SocketAddr::V4(SocketAddrV4::new(server, 67));
        let offer = pkt::exchange(&self.sock, to, &self.msg(pkt::DISCOVER, xid, mac), wait)
            .ok_or_else(|| format!("no OFFER from {server} for {}", mac_str(mac)))?;
        if offer.msg_type() != Some(pkt::OFFER) {
            return Err(format!("expected OFFER from {server}, got {offer:?}"));
        }
        let sid = offer
            .opt_ip(pkt::OPT_SERVER_ID)
            .ok_or("OFFER without server id")?;
        let req = self
            .msg(pkt::REQUEST, xid + 1, mac)
            .with(pkt::OPT_REQUESTED_IP, &offer.yiaddr.octets())
            .with(pkt::OPT_SERVER_ID, &sid.octets());
        let ack = pkt::exchange(&self.sock, to, &req, Duration::from_secs(3))
            .ok_or_else(|| format!("no ACK from {server} for {}", mac_str(mac)))?;
        if ack.msg_type() != Some(pkt::ACK) || ack.yiaddr != offer.yiaddr {
            return Err(format!(
                "expected ACK for {} from {server}, got {ack:?}",
                offer.yiaddr
            ));
        }
        Ok(ack.yiaddr)
    }

    /// One DISCOVER only; the OFFER's address, or None when `server` stays silent.
    pub fn discover(
        &self,
        server: Ipv4Addr,
        mac: [u8; 6],
        xid: u32,
        wait: Duration,
    ) -> Option<Ipv4Addr> {
        let to = SocketAddr::V4(SocketAddrV4::new(server, 67));
        let r = pkt::exchange(&self.sock, to, &self.msg(pkt::DISCOVER, xid, mac), wait)?;
        (r.msg_type() == Some(pkt::OFFER)).then_some(r.yiaddr)
    }

    /// Sends one DISCOVER per MAC to every server in `servers` (paced), then collects OFFERs
    /// until none has arrived for `quiet` (bounded by `max`). Returns, per MAC index, the
    /// servers (by reply source) that offered.
    pub fn discover_all(
        &self,
        servers: &[Ipv4Addr],
        macs: &[[u8; 6]],
        xid_base: u32,
        quiet: Duration,
        max: Duration,
    ) -> Vec<Vec<Ipv4Addr>> {
        let mut answered: Vec<Vec<Ipv4Addr>> = vec![Vec::new(); macs.len()];
        let mut buf = [0u8; 1500];
        let mut drain = |answered: &mut Vec<Vec<Ipv4Addr>>, until_quiet: Duration, cap: Instant| {
            let mut last = Instant::now();
            for _ in 0..1_000_000 {
                if Instant::now() >= cap || last.elapsed() >= until_quiet {
                    break;
                }
                let Ok((n, from)) = self.sock.recv_from(&mut buf) else {
                    continue;
                };
                last = Instant::now();
                let (Some(m), SocketAddr::V4(from)) =
                    (buf.get(..n).and_then(pkt::Msg::parse), from)
                else {
                    continue;
                };
                if m.op != 2 || m.msg_type() != Some(pkt::OFFER) {
                    continue;
                }
                let i = m.xid.wrapping_sub(xid_base) as usize;
                if let Some(a) = answered.get_mut(i) {
                    if !a.contains(from.ip()) {
                        a.push(*from.ip());
                    }
                }
            }
        };
        let cap = Instant::now() + max;
        for (chunk_no, chunk) in macs.chunks(50).enumerate() {
            for (j, mac) in chunk.iter().enumerate() {
                let i = chunk_no * 50 + j;
                let m = self.msg(pkt::DISCOVER, xid_base.wrapping_add(i as u32), *mac);
                let bytes = m.to_bytes();
                for s in servers {
                    let _ = self.sock.send_to(&bytes, SocketAddrV4::new(*s, 67));
                }
            }
            // Collect between chunks so the socket buffer never overflows.
            drain(&mut answered, Duration::from_millis(150), cap);
        }
        drain(&mut answered, quiet, cap);
        answered
    }
}

/// `n` distinct locally administered MACs `02:fo:xx:xx:xx:xx` from a seed.
pub fn macs(seed: u8, n: usize) -> Vec<[u8; 6]> {
    (0..n as u32)
        .map(|i| {
            let b = i.to_be_bytes();
            [0x02, seed, b[0], b[1], b[2], b[3]]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// ISC dhcpd

/// Last record per address of an ISC `dhcpd.leases` file: (addr, binding state, hardware).
pub fn isc_leases(path: &Path) -> Vec<Lease> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut by_addr: BTreeMap<Ipv4Addr, Lease> = BTreeMap::new();
    let mut cur: Option<Lease> = None;
    for line in text.lines().take(1_000_000) {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("lease ") {
            let addr = rest.trim_end_matches('{').trim();
            cur = addr.parse().ok().map(|addr| Lease {
                addr,
                state: String::new(),
                hwaddr: String::new(),
                end: 0,
            });
        } else if l == "}" {
            if let Some(c) = cur.take() {
                by_addr.insert(c.addr, c);
            }
        } else if let Some(c) = cur.as_mut() {
            if let Some(s) = l.strip_prefix("binding state ") {
                c.state = s.trim_end_matches(';').to_string();
            } else if let Some(h) = l.strip_prefix("hardware ethernet ") {
                c.hwaddr = h.trim_end_matches(';').to_ascii_lowercase();
            }
        }
    }
    by_addr.into_values().collect()
}
