//! Two failover `Partner` cores wired in memory: scripted clock, simulated link (cut,
//! partition, tampering), lease tables applied the way the integrator will.
//!
//! Event counters are process-wide, so every test that asserts on an event id owns that id
//! (no other test in this file emits it), or holds `EVENTS`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use duodhcp::events;
use duodhcp::failover::{
    accept_update, Inbound, Mode, Partner, Role, ServerState, Service, Settings,
};
use duodhcp::journal::FailoverStateRec;
use duodhcp::lease::{BindingState, HwAddr, Lease};
use duodhcp::time::Millis;
use duodhcp::wire::failover::{code, Deframer, Message, MessageType};

static EVENTS: Mutex<()> = Mutex::new(());

const T0: Millis = 1_800_000_000_000;

struct Side {
    p: Partner,
    leases: BTreeMap<Ipv4Addr, Lease>,
    /// Clock offset from the network clock, ms.
    offset: i64,
    sent: Vec<MessageType>,
    closes: Vec<String>,
    persisted: Option<FailoverStateRec>,
    /// Reject reasons received in BNDACKs.
    rejects: Vec<u8>,
}

impl Side {
    fn new(s: Settings, now: Millis) -> Side {
        Side {
            p: Partner::new(s, None, now),
            leases: BTreeMap::new(),
            offset: 0,
            sent: Vec::new(),
            closes: Vec::new(),
            persisted: None,
            rejects: Vec::new(),
        }
    }
    fn clock(&self, now: Millis) -> Millis {
        (now as i64 + self.offset) as Millis
    }
    /// What the integrator does with the core's work.
    fn handle(&mut self, now: Millis, work: Vec<Inbound>) {
        let now = self.clock(now);
        for w in work {
            match w {
                Inbound::Binding { xid, lease } => {
                    let local = self.leases.get(&lease.addr);
                    match accept_update(local, &lease, self.p.role(), self.p.state(), now / 1000) {
                        Ok(l) => {
                            self.leases.insert(l.addr, l);
                            self.p.ack(xid, lease.addr, None);
                        }
                        Err(r) => self.p.ack(xid, lease.addr, Some((r.reason, r.message))),
                    }
                }
                Inbound::SendAll { .. } => {
                    let all: Vec<Lease> = self.leases.values().cloned().collect();
                    for l in &all {
                        self.p.queue_update(l, now);
                    }
                }
                Inbound::Acked {
                    addr,
                    rejected: None,
                } => {
                    if let Some(l) = self.leases.get_mut(&addr) {
                        // ISC: the acked PET is what the partner now knows (tsfp).
                        l.set_partner_end(l.sent_end());
                        if matches!(l.state, BindingState::Expired | BindingState::Released) {
                            l.state = BindingState::Free;
                        }
                    }
                }
                Inbound::PoolRequest => self.p.pool_response(0),
                Inbound::Acked {
                    rejected: Some((r, _)),
                    ..
                } => self.rejects.push(r),
                _ => {}
            }
        }
        if let Some(r) = self.p.take_persist() {
            self.persisted = Some(r);
        }
    }
    /// A lease granted locally.
    fn grant(&mut self, now: Millis, addr: Ipv4Addr, mac: u8) {
        let now = self.clock(now);
        let mut l = Lease::free(addr);
        l.state = BindingState::Active;
        l.chaddr = HwAddr::new(&[0x02, 0, 0, 0, 0, mac]);
        l.set_start(now / 1000);
        l.set_end(now / 1000 + 600);
        l.set_cltt(now / 1000);
        l.set_sent_end(now / 1000 + 900);
        self.leases.insert(addr, l.clone());
        self.p.queue_update(&l, now);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    Up,
    /// TCP stays up but nothing gets through.
    Partitioned,
    Down,
}

type Tamper = Box<dyn FnMut(&[u8]) -> Vec<u8>>;

struct Net {
    a: Side,
    b: Side,
    now: Millis,
    link: Link,
    connected: bool,
    /// Applied to every message from a to b.
    tamper_ab: Option<Tamper>,
}

impl Net {
    fn new(sa: Settings, sb: Settings) -> Net {
        Net {
            a: Side::new(sa, T0),
            b: Side::new(sb, T0),
            now: T0,
            link: Link::Up,
            connected: false,
            tamper_ab: None,
        }
    }
    fn pair(mode: Mode) -> Net {
        let mut a = Settings::new("fo-test", Role::Primary);
        let mut b = Settings::new("fo-test", Role::Secondary);
        a.mode = mode;
        b.mode = mode;
        a.mclt = 60;
        b.mclt = 60;
        Net::new(a, b)
    }
    fn connect(&mut self) {
        self.connected = true;
        let (ta, tb) = (self.a.clock(self.now), self.b.clock(self.now));
        self.a.p.connected(ta);
        self.b.p.connected(tb);
    }
    fn drop_tcp(&mut self) {
        if self.connected {
            self.connected = false;
            let (ta, tb) = (self.a.clock(self.now), self.b.clock(self.now));
            self.a.p.disconnected(ta);
            self.b.p.disconnected(tb);
            let (wa, wb) = (self.a.p.take_inbound(), self.b.p.take_inbound());
            self.a.handle(self.now, wa);
            self.b.handle(self.now, wb);
        }
    }
    /// Moves messages both ways until nothing is left to send.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for dir in 0..2 {
                let (from, to) = if dir == 0 {
                    (&mut self.a, &mut self.b)
                } else {
                    (&mut self.b, &mut self.a)
                };
                let out = from.p.take_output();
                if let Some(r) = from.p.take_close() {
                    from.closes.push(r);
                }
                if out.is_empty() {
                    continue;
                }
                moved = true;
                for m in &out {
                    from.sent.push(Message::parse(m).unwrap().msg_type);
                }
                if !self.connected || self.link != Link::Up {
                    continue;
                }
                // Through a deframer, as the reactor will.
                let mut stream = Vec::new();
                for m in out {
                    let m = match (&mut self.tamper_ab, dir) {
                        (Some(t), 0) => t(&m),
                        _ => m,
                    };
                    stream.extend(m);
                }
                let mut d = Deframer::new();
                let now = to.clock(self.now);
                for m in d.feed(&stream).unwrap() {
                    let work = to.p.receive(now, &m);
                    to.handle(self.now, work);
                }
            }
            // A close request from either side drops the TCP connection.
            let closing = !self.a.closes.is_empty() || !self.b.closes.is_empty();
            if closing && self.connected {
                self.drop_tcp();
                moved = true;
            }
            if !moved {
                return;
            }
        }
        panic!("no quiescence");
    }
    /// Advances the clock in `step` ms ticks for `ms`, running timers and traffic.
    fn run(&mut self, ms: Millis, step: Millis) {
        let end = self.now + ms;
        while self.now < end {
            self.now += step;
            let (ta, tb) = (self.a.clock(self.now), self.b.clock(self.now));
            self.a.p.on_timeout(ta);
            self.b.p.on_timeout(tb);
            let (wa, wb) = (self.a.p.take_inbound(), self.b.p.take_inbound());
            self.a.handle(self.now, wa);
            self.b.handle(self.now, wb);
            self.settle();
        }
    }
    fn states(&self) -> (ServerState, ServerState) {
        (self.a.p.state(), self.b.p.state())
    }
    fn reach_normal(&mut self) {
        self.connect();
        self.settle();
        self.run(2_000, 100);
        assert_eq!(self.states(), (ServerState::Normal, ServerState::Normal));
    }
    fn reset_logs(&mut self) {
        self.a.sent.clear();
        self.b.sent.clear();
        self.a.closes.clear();
        self.b.closes.clear();
    }
}

/// The binding content both sides must agree on (failover bookkeeping fields excluded).
#[allow(clippy::type_complexity)]
fn bindings(s: &Side) -> Vec<(Ipv4Addr, BindingState, Vec<u8>, Vec<u8>, u64, u64, u64)> {
    s.leases
        .values()
        .map(|l| {
            let c = (l.client_id().to_vec(), l.chaddr.to_vec());
            (l.addr, l.state, c.0, c.1, l.start(), l.end(), l.cltt())
        })
        .collect()
}

fn ip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, n)
}

#[test]
fn fresh_pair_reaches_normal() {
    let mut n = Net::pair(Mode::LoadBalance { percent: 50 });
    n.connect();
    n.settle();
    use MessageType::*;
    assert_eq!(n.a.sent[..2], [Connect, State]);
    assert_eq!(n.b.sent[..2], [ConnectAck, State]);
    assert_eq!(n.states(), (ServerState::Normal, ServerState::Normal));
    // The fresh pair went through RECOVER with UPDREQALL both ways (digest §12).
    assert!(n.a.sent.contains(&UpdReqAll) && n.b.sent.contains(&UpdReqAll));
    assert!(n.a.sent.contains(&UpdDone) && n.b.sent.contains(&UpdDone));
    assert_eq!(n.a.p.partner_state(), Some(ServerState::Normal));
    assert_eq!(n.b.p.mclt(), 60);
    assert_eq!(n.a.p.serving(), Service::Normal);
    assert!(n.a.persisted.as_ref().is_some_and(|r| r.local_state == 2));
    // Keepalives: CONTACT every receive-timer/3 keeps the link up for minutes.
    n.reset_logs();
    n.run(120_000, 1_000);
    assert!(n.a.sent.iter().filter(|t| **t == Contact).count() >= 10);
    assert!(n.a.closes.is_empty() && n.b.closes.is_empty());
    assert_eq!(n.states(), (ServerState::Normal, ServerState::Normal));
}

#[test]
fn binding_updates_round_trip_and_resend_after_cut() {
    let mut n = Net::pair(Mode::LoadBalance { percent: 50 });
    n.reach_normal();
    n.a.grant(n.now, ip(10), 1);
    n.b.grant(n.now, ip(11), 2);
    n.settle();
    assert_eq!(n.b.leases[&ip(10)].state, BindingState::Active);
    assert_eq!(&*n.a.leases[&ip(11)].chaddr, &[0x02, 0, 0, 0, 0, 2]);
    assert_eq!(n.a.p.queue_len(), 0);
    assert_eq!(n.b.p.queue_len(), 0);
    // Cut the TCP: updates made meanwhile wait, and are sent after the return.
    n.drop_tcp();
    assert_eq!(
        n.states(),
        (
            ServerState::CommunicationsInterrupted,
            ServerState::CommunicationsInterrupted
        )
    );
    n.a.grant(n.now, ip(12), 3);
    assert_eq!(n.a.p.queue_len(), 1);
    n.run(5_000, 500);
    n.connect();
    n.settle();
    assert_eq!(n.states(), (ServerState::Normal, ServerState::Normal));
    assert_eq!(n.b.leases[&ip(12)].state, BindingState::Active);
    assert_eq!(n.a.p.queue_len(), 0);
    assert_eq!(bindings(&n.a), bindings(&n.b));
}

#[test]
fn partition_auto_partner_down_and_return() {
    let mut n = Net::pair(Mode::LoadBalance { percent: 50 });
    n.a.p = {
        let mut s = Settings::new("fo-test", Role::Primary);
        s.mclt = 60;
        s.auto_partner_down = 60;
        Partner::new(s, None, T0)
    };
    n.reach_normal();
    n.a.grant(n.now, ip(20), 1);
    n.settle();
    // Silent partition: the receive timer (30 s) closes the connection on both sides.
    n.link = Link::Partitioned;
    n.run(31_000, 500);
    assert!(!n.connected);
    assert_eq!(
        n.states(),
        (
            ServerState::CommunicationsInterrupted,
            ServerState::CommunicationsInterrupted
        )
    );
    assert!(
        n.a.closes[0].contains("no message from partner"),
        "{:?}",
        n.a.closes
    );
    assert_eq!(n.a.p.serving(), Service::CommInterrupted);
    // Only the side with auto-partner-down moves, after 60 s in COMM-INT.
    n.link = Link::Down;
    n.run(55_000, 1_000);
    assert_eq!(n.a.p.state(), ServerState::CommunicationsInterrupted);
    n.run(10_000, 1_000);
    assert_eq!(n.a.p.state(), ServerState::PartnerDown);
    assert_eq!(n.b.p.state(), ServerState::CommunicationsInterrupted);
    assert!(matches!(n.a.p.serving(), Service::PartnerDown { .. }));
    // Both serve everyone while apart (own pools).
    assert!(n.a.p.serves_new_client(b"x") && n.b.p.serves_new_client(b"x"));
    n.b.grant(n.now, ip(21), 2);
    n.a.grant(n.now, ip(22), 3);
    // Return: PARTNER-DOWN meets COMM-INT → POTENTIAL-CONFLICT → resolved → NORMAL.
    n.link = Link::Up;
    n.reset_logs();
    n.connect();
    n.settle();
    n.run(2_000, 100);
    assert_eq!(n.states(), (ServerState::Normal, ServerState::Normal));
    assert!(n.a.sent.contains(&MessageType::UpdReq));
    assert!(n.b.sent.contains(&MessageType::UpdReq));
    assert_eq!(bindings(&n.a), bindings(&n.b));
    assert_eq!(n.a.leases.len(), 3);
}

#[test]
fn restarted_partner_recovers_against_partner_down() {
    let mut n = Net::pair(Mode::LoadBalance { percent: 50 });
    n.reach_normal();
    n.a.grant(n.now, ip(30), 1);
    n.settle();
    let saved = n.b.persisted.clone().unwrap();
    assert_eq!(saved.local_state, ServerState::Normal.to_u8());
    // The secondary dies (kill -9): the primary sees the TCP go, operator forces PD.
    n.drop_tcp();
    n.a.p.force_partner_down(n.now);
    assert_eq!(n.a.p.state(), ServerState::PartnerDown);
    n.a.grant(n.now, ip(31), 2);
    n.run(10_000, 1_000);
    // It restarts from its journal with an empty-ish table.
    let mut s = Settings::new("fo-test", Role::Secondary);
    s.mclt = 60;
    n.b.p = Partner::new(s, Some(&saved), n.now);
    n.b.leases.clear();
    assert_eq!(n.b.p.state(), ServerState::Startup);
    n.reset_logs();
    n.connect();
    n.settle();
    // NORMAL resumed, partner is PARTNER-DOWN → RECOVER → all bindings → RECOVER-WAIT (MCLT).
    assert!(n.b.sent.contains(&MessageType::UpdReqAll));
    assert_eq!(n.b.p.state(), ServerState::RecoverWait);
    assert_eq!(n.b.p.serving(), Service::None);
    assert_eq!(n.b.leases.len(), 2);
    n.run(61_000, 1_000);
    assert_eq!(n.states(), (ServerState::Normal, ServerState::Normal));
    assert_eq!(bindings(&n.a), bindings(&n.b));
}

/// Moves CONNECT through `tamper` and returns the secondary's close reasons.
fn auth_case(sa: Option<&[u8]>, sb: Option<&[u8]>, tamper: Option<Tamper>) -> Net {
    let mut a = Settings::new("fo-test", Role::Primary);
    let mut b = Settings::new("fo-test", Role::Secondary);
    a.secret = sa.map(<[u8]>::to_vec);
    b.secret = sb.map(<[u8]>::to_vec);
    let mut n = Net::new(a, b);
    n.tamper_ab = tamper;
    n.connect();
    n.settle();
    n
}

fn strip_digest(m: &[u8]) -> Vec<u8> {
    let mut msg = Message::parse(m).unwrap();
    msg.remove(code::MESSAGE_DIGEST);
    msg.emit().unwrap()
}

#[test]
fn authentication() {
    let _g = EVENTS.lock().unwrap();
    let count = |id| events::count(id);
    // Equal secrets: NORMAL, every message signed.
    let n = auth_case(Some(b"k1"), Some(b"k1"), None);
    assert_eq!(n.states(), (ServerState::Normal, ServerState::Normal));
    // Wrong secret: the secondary's CONNECT check fails to compare (20264) and closes.
    let before = count(20264);
    let n = auth_case(Some(b"k1"), Some(b"k2"), None);
    assert_eq!(count(20264), before + 1);
    assert!(
        n.b.closes[0].contains("CONNECT rejected"),
        "{:?}",
        n.b.closes
    );
    assert_ne!(n.b.p.state(), ServerState::Normal);
    // Secret only on the primary: digest arrives, none configured (20265).
    let before = count(20265);
    let n = auth_case(Some(b"k1"), None, None);
    assert_eq!(count(20265), before + 1);
    assert!(!n.b.closes.is_empty());
    // Secret only on the secondary: no digest (20266).
    let before = count(20266);
    auth_case(None, Some(b"k1"), None);
    assert_eq!(count(20266), before + 1);
    // Digest stripped on the way: also "not present".
    let before = count(20266);
    let n = auth_case(Some(b"k1"), Some(b"k1"), Some(Box::new(strip_digest)));
    assert_eq!(count(20266), before + 1);
    assert!(!n.b.p.is_connected());
    // A flipped bit in a later message (STATE from the primary): 20279.
    let before = count(20279);
    let mut seen = 0;
    let flip: Tamper = Box::new(move |m: &[u8]| {
        seen += 1;
        let mut v = m.to_vec();
        if seen == 2 {
            v[8] ^= 0x80;
        }
        v
    });
    auth_case(Some(b"k1"), Some(b"k1"), Some(flip));
    assert_eq!(count(20279), before + 1);
}

#[test]
fn time_skew_is_refused() {
    let mut n = Net::pair(Mode::LoadBalance { percent: 50 });
    n.b.offset = 120_000;
    let before = events::count(20253);
    n.connect();
    n.settle();
    // Both sides measure it: the secondary on CONNECT, the primary on the reject.
    assert_eq!(events::count(20253), before + 2);
    // The secondary measured the primary 120 s behind, rejected CONNECT with reason 4.
    assert_eq!(n.b.p.skew(), Some(-120));
    assert!(n.b.closes[0].contains("clocks differ"), "{:?}", n.b.closes);
    assert_eq!(n.b.sent, [MessageType::ConnectAck]);
    assert!(!n.a.closes.is_empty());
    assert_ne!(n.a.p.state(), ServerState::Normal);
    // Within the limit is fine.
    let mut n = Net::pair(Mode::LoadBalance { percent: 50 });
    n.b.offset = 50_000;
    n.reach_normal();
    assert_eq!(n.a.p.skew(), Some(50));
}

fn split(percent: u8) -> f64 {
    let mut n = Net::pair(Mode::LoadBalance { percent });
    n.reach_normal();
    let mut primary = 0;
    for i in 0..1000u32 {
        let id = [
            1,
            0x02,
            0x42,
            (i >> 16) as u8,
            (i >> 8) as u8,
            i as u8,
            0x17,
        ];
        let (a, b) = (n.a.p.serves_new_client(&id), n.b.p.serves_new_client(&id));
        assert!(a != b, "client {i}: exactly one server must answer");
        if a {
            primary += 1;
        }
    }
    f64::from(primary) / 10.0
}

#[test]
fn load_balance_split() {
    let p50 = split(50);
    assert!((45.0..=55.0).contains(&p50), "{p50}%");
    let p70 = split(70);
    assert!((65.0..=75.0).contains(&p70), "{p70}%");
}

#[test]
fn hot_standby_only_active_serves() {
    let mut n = Net::pair(Mode::HotStandby { reserve_percent: 5 });
    n.b.p = Partner::new(
        {
            let mut s = Settings::new("fo-test", Role::Secondary);
            // The standby's own mode does not matter: it takes the HBA from CONNECT.
            s.mode = Mode::LoadBalance { percent: 50 };
            s
        },
        None,
        T0,
    );
    n.reach_normal();
    for i in 0..200u8 {
        let key = [0x02, 0, 0, 0, 1, i];
        assert!(n.a.p.serves_new_client(&key));
        assert!(!n.b.p.serves_new_client(&key));
    }
    assert_eq!(
        Mode::HotStandby { reserve_percent: 5 }.secondary_share(200),
        10
    );
    // The standby takes over when the active one is gone.
    n.drop_tcp();
    assert!(n.b.p.serves_new_client(&[1, 2, 3]));
}

#[test]
fn duelling_updates_and_rejects() {
    let mut n = Net::pair(Mode::LoadBalance { percent: 50 });
    n.reach_normal();
    // Both hand out the same address to different clients at once.
    n.link = Link::Partitioned;
    n.a.grant(n.now, ip(40), 1);
    n.now += 1000;
    n.b.grant(n.now, ip(40), 2);
    n.settle();
    n.link = Link::Up;
    n.drop_tcp();
    n.a.closes.clear();
    n.b.closes.clear();
    n.connect();
    n.settle();
    n.run(1_000, 100);
    // Duelling BNDUPDs: the later CLTT wins on both sides; the loser's update is refused with 16 (less critical).
    assert!(n.a.rejects.contains(&16), "{:?}", n.a.rejects);
    assert_eq!(n.a.leases[&ip(40)].chaddr[5], 2);
    assert_eq!(n.b.leases[&ip(40)].chaddr[5], 2);
}
