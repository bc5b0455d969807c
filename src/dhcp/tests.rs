//! Scripted-time scenarios for the server core: no sockets, no clock.

use super::*;
use crate::config::{Reservation, Server as ServerCfg};
use crate::wire::dhcpv4::{DhcpOption, FLAG_BROADCAST};

const T0: Millis = 1_700_000_000_000;
const SID: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const ADDRS: &[(Ipv4Addr, u8)] = &[(SID, 24)];

fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 18, 0, d)
}

fn config() -> Config {
    Config {
        server: ServerCfg {
            offer_hold: 30,
            decline_quarantine: 600,
            ..ServerCfg::default()
        },
        options: vec![(6, vec![198, 18, 0, 53])],
        scopes: vec![Scope {
            name: "lan".into(),
            subnet: ip(0),
            prefix_len: 24,
            ranges: vec![(ip(100), ip(104))],
            exclusions: vec![(ip(101), ip(101))],
            reservations: vec![Reservation {
                name: "printer".into(),
                key: ReservationKey::Mac([2, 0, 0, 0, 0, 0xaa]),
                addr: ip(50),
                options: vec![(12, b"printer".to_vec())],
                boot_file: None,
                line: 1,
            }],
            lease_time: 3600,
            t1: None,
            t2: None,
            options: vec![(3, vec![198, 18, 0, 1])],
            boot_file: None,
            next_server: None,
            line: 1,
        }],
        relationships: vec![],
    }
}

/// A load-balance-50 relationship over `scope`, with the timers the failover tests use.
fn relationship(
    role: crate::config::FoRole,
    address: Ipv4Addr,
    peer_address: Ipv4Addr,
    scope: &str,
    max_unacked_updates: u32,
) -> crate::config::Relationship {
    crate::config::Relationship {
        name: "pair".into(),
        role,
        address,
        port: 647,
        peer_address,
        peer_port: 647,
        mode: crate::config::FoMode::LoadBalance { percent: 50 },
        mclt: 60,
        max_response_delay: 30,
        max_unacked_updates,
        auto_partner_down: 0,
        load_balance_max_secs: 3,
        shared_secret: None,
        scopes: vec![scope.into()],
        line: 1,
    }
}

fn ingress(broadcast: bool) -> Ingress<'static> {
    Ingress {
        ifname: "test0",
        addrs: ADDRS,
        src: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
        broadcast,
    }
}

fn packet(mac: u8, kind: MessageType, opts: &[(u8, &[u8])]) -> Repr {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[2, 0, 0, 0, 0, mac]);
    let mut options = vec![DhcpOption {
        code: 53,
        data: vec![kind.to_u8()].into(),
    }];
    options.extend(opts.iter().map(|(c, d)| DhcpOption {
        code: *c,
        data: (*d).into(),
    }));
    Repr {
        op: 1,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: 0x1234_5678 + u32::from(mac),
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr,
        sname: vec![],
        file: vec![],
        has_cookie: true,
        options,
    }
}

fn kind(o: &Outcome) -> Option<MessageType> {
    o.reply.as_ref().and_then(|r| r.repr.message_type())
}

/// DISCOVER then REQUEST; returns the bound address.
fn dora(s: &mut Server, now: Millis, mac: u8) -> Option<Ipv4Addr> {
    let o = s.handle(
        now,
        &ingress(true),
        &packet(mac, MessageType::Discover, &[(55, &[1, 3, 6, 51])]),
    );
    let offered = o.reply?.repr.yiaddr;
    let sid = SID.octets();
    let a = offered.octets();
    let o = s.handle(
        now,
        &ingress(true),
        &packet(mac, MessageType::Request, &[(54, &sid), (50, &a)]),
    );
    assert_eq!(kind(&o), Some(MessageType::Ack));
    assert_eq!(o.records.len(), 1, "an ACK carries its journal record");
    Some(offered)
}

#[test]
fn discover_offers_from_range_with_options_in_prl_order() {
    let mut s = Server::new(config(), vec![], T0);
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(1, MessageType::Discover, &[(55, &[6, 3, 1])]),
    );
    let r = o.reply.expect("offer");
    assert_eq!(r.repr.message_type(), Some(MessageType::Offer));
    assert_eq!(r.repr.yiaddr, ip(100));
    assert!(o.records.is_empty(), "an offer is not journaled");
    let codes: Vec<u8> = r.repr.options.iter().map(|o| o.code).collect();
    assert_eq!(codes, vec![53, 54, 51, 58, 59, 6, 3, 1]);
    assert_eq!(r.repr.option(51), Some(&3600u32.to_be_bytes()[..]));
    assert_eq!(r.repr.option(58), Some(&1800u32.to_be_bytes()[..]));
    assert_eq!(r.repr.option(1), Some(&[255, 255, 255, 0][..]));
    // No broadcast bit and no address yet: unicast by hardware address.
    assert!(matches!(r.dest, Dest::Hardware { ip: a, .. } if a == ip(100)));
}

#[test]
fn offer_is_held_and_repeated_discover_gets_same_address() {
    let mut s = Server::new(config(), vec![], T0);
    let a1 = s
        .handle(T0, &ingress(true), &packet(1, MessageType::Discover, &[]))
        .reply
        .unwrap()
        .repr
        .yiaddr;
    let b = s
        .handle(T0, &ingress(true), &packet(2, MessageType::Discover, &[]))
        .reply
        .unwrap()
        .repr
        .yiaddr;
    assert_ne!(a1, b, "a held offer is not given to another client");
    let a2 = s
        .handle(
            T0 + 1000,
            &ingress(true),
            &packet(1, MessageType::Discover, &[]),
        )
        .reply
        .unwrap()
        .repr
        .yiaddr;
    assert_eq!(a1, a2);
}

#[test]
fn excluded_address_never_offered_and_full_scope_stops_offering() {
    let mut s = Server::new(config(), vec![], T0);
    let mut got = Vec::new();
    for mac in 1..=4 {
        got.push(dora(&mut s, T0, mac).expect("address"));
    }
    got.sort();
    assert_eq!(got, vec![ip(100), ip(102), ip(103), ip(104)]);
    let o = s.handle(T0, &ingress(true), &packet(9, MessageType::Discover, &[]));
    assert!(o.reply.is_none(), "full scope answers no more offers");
    assert_eq!(s.stats.dropped, 1);
}

#[test]
fn reservation_gets_reserved_address_and_its_options() {
    let mut s = Server::new(config(), vec![], T0);
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(0xaa, MessageType::Discover, &[(55, &[12, 3])]),
    );
    let r = o.reply.unwrap();
    assert_eq!(r.repr.yiaddr, ip(50));
    assert_eq!(r.repr.option(12), Some(&b"printer"[..]));
    // Another client cannot take the reserved address, even by asking for it.
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(1, MessageType::Discover, &[(50, &ip(50).octets())]),
    );
    assert_ne!(o.reply.unwrap().repr.yiaddr, ip(50));
}

#[test]
fn requested_address_honoured_when_free() {
    let mut s = Server::new(config(), vec![], T0);
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(1, MessageType::Discover, &[(50, &ip(103).octets())]),
    );
    assert_eq!(o.reply.unwrap().repr.yiaddr, ip(103));
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(2, MessageType::Discover, &[(50, &ip(101).octets())]),
    );
    assert_ne!(o.reply.unwrap().repr.yiaddr, ip(101), "excluded");
}

#[test]
fn renew_extends_and_rebinding_unknown_is_silent() {
    let mut s = Server::new(config(), vec![], T0);
    let a = dora(&mut s, T0, 1).unwrap();
    let mut renew = packet(1, MessageType::Request, &[]);
    renew.ciaddr = a;
    let later = T0 + 1_800_000;
    let o = s.handle(later, &ingress(false), &renew);
    assert_eq!(kind(&o), Some(MessageType::Ack));
    let r = o.reply.unwrap();
    assert_eq!(r.dest, Dest::Unicast(SocketAddrV4::new(a, 68)));
    assert_eq!(r.repr.ciaddr, a);
    assert_eq!(s.leases().get(a).unwrap().end(), secs(later) + 3600);
    // A client we have no record of, renewing an address nobody holds: silence.
    let mut stranger = packet(7, MessageType::Request, &[]);
    stranger.ciaddr = ip(104);
    assert!(s.handle(later, &ingress(true), &stranger).reply.is_none());
}

#[test]
fn foreign_address_gets_nak_broadcast() {
    let mut s = Server::new(config(), vec![], T0);
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(1, MessageType::Request, &[(50, &[198, 19, 7, 7])]),
    );
    assert_eq!(kind(&o), Some(MessageType::Nak));
    assert_eq!(o.reply.unwrap().dest, Dest::Broadcast);
    assert_eq!(s.stats.naks, 1);
}

#[test]
fn init_reboot_for_other_clients_address_gets_nak() {
    let mut s = Server::new(config(), vec![], T0);
    let a = dora(&mut s, T0, 1).unwrap();
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(2, MessageType::Request, &[(50, &a.octets())]),
    );
    assert_eq!(kind(&o), Some(MessageType::Nak));
    // The owner's own INIT-REBOOT is acknowledged.
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(1, MessageType::Request, &[(50, &a.octets())]),
    );
    assert_eq!(kind(&o), Some(MessageType::Ack));
}

#[test]
fn request_to_other_server_frees_our_offer_silently() {
    let mut s = Server::new(config(), vec![], T0);
    let a = s
        .handle(T0, &ingress(true), &packet(1, MessageType::Discover, &[]))
        .reply
        .unwrap()
        .repr
        .yiaddr;
    let other = [198, 18, 0, 2];
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(1, MessageType::Request, &[(54, &other), (50, &a.octets())]),
    );
    assert!(o.reply.is_none());
    s.on_timeout(T0);
    let b = s
        .handle(
            T0,
            &ingress(true),
            &packet(2, MessageType::Discover, &[(50, &a.octets())]),
        )
        .reply
        .unwrap()
        .repr
        .yiaddr;
    assert_eq!(a, b, "the released offer can go to someone else");
}

#[test]
fn declined_address_quarantined_then_returns() {
    let mut s = Server::new(config(), vec![], T0);
    let a = dora(&mut s, T0, 1).unwrap();
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(
            1,
            MessageType::Decline,
            &[(54, &SID.octets()), (50, &a.octets())],
        ),
    );
    assert!(o.reply.is_none());
    assert_eq!(o.records.len(), 1);
    assert_eq!(s.leases().get(a).unwrap().state, BindingState::Abandoned);
    // During quarantine nobody gets it, even by asking.
    for mac in 2..=5 {
        let t = T0 + 1000;
        let o = s.handle(
            t,
            &ingress(true),
            &packet(mac, MessageType::Discover, &[(50, &a.octets())]),
        );
        if let Some(r) = o.reply {
            assert_ne!(r.repr.yiaddr, a);
        }
    }
    // After quarantine (600 s) and the holds (30 s) lapse, it is offered again.
    let after = T0 + 601_000;
    s.on_timeout(after);
    let o = s.handle(
        after,
        &ingress(true),
        &packet(9, MessageType::Discover, &[(50, &a.octets())]),
    );
    assert_eq!(o.reply.unwrap().repr.yiaddr, a);
}

#[test]
fn release_returns_address_and_journals() {
    let mut s = Server::new(config(), vec![], T0);
    let a = dora(&mut s, T0, 1).unwrap();
    let mut rel = packet(1, MessageType::Release, &[(54, &SID.octets())]);
    rel.ciaddr = a;
    let o = s.handle(T0 + 5000, &ingress(false), &rel);
    assert!(o.reply.is_none());
    assert!(
        matches!(&o.records[..], [Record::LeaseUpsert(l)] if l.state == BindingState::Released)
    );
    // Someone else may now get it.
    let o = s.handle(
        T0 + 5000,
        &ingress(true),
        &packet(2, MessageType::Discover, &[(50, &a.octets())]),
    );
    assert_eq!(o.reply.unwrap().repr.yiaddr, a);
}

#[test]
fn lease_expires_and_address_returns_to_pool() {
    let mut s = Server::new(config(), vec![], T0);
    for mac in 1..=4 {
        dora(&mut s, T0, mac).unwrap();
    }
    assert!(s
        .handle(T0, &ingress(true), &packet(9, MessageType::Discover, &[]))
        .reply
        .is_none());
    let t = s.poll_at(T0).unwrap();
    assert!(t <= T0 + 3_600_000);
    s.on_timeout(T0 + 3_600_000);
    let o = s.handle(
        T0 + 3_600_000,
        &ingress(true),
        &packet(9, MessageType::Discover, &[]),
    );
    assert!(o.reply.is_some());
}

#[test]
fn relayed_request_goes_to_relay_and_echoes_option_82() {
    let mut s = Server::new(config(), vec![], T0);
    let agent = [1, 4, b'p', b'o', b'r', b't', 2, 3, 9, 9, 9];
    let mut d = packet(1, MessageType::Discover, &[(82, &agent)]);
    d.giaddr = ip(2);
    let o = s.handle(T0, &ingress(false), &d);
    let r = o.reply.unwrap();
    assert_eq!(r.dest, Dest::Unicast(SocketAddrV4::new(ip(2), 67)));
    assert_eq!(r.repr.giaddr, ip(2));
    assert_eq!(
        r.repr.options.last().map(|o| (o.code, o.data.to_vec())),
        Some((82, agent.to_vec()))
    );
    // A relay on a network we do not serve: no scope, no answer.
    let mut far = packet(2, MessageType::Discover, &[]);
    far.giaddr = Ipv4Addr::new(198, 19, 1, 1);
    assert!(s.handle(T0, &ingress(false), &far).reply.is_none());
}

#[test]
fn nak_through_relay_sets_broadcast_flag() {
    let mut s = Server::new(config(), vec![], T0);
    let mut r = packet(1, MessageType::Request, &[(50, &[198, 19, 0, 9])]);
    r.giaddr = ip(2);
    // giaddr is in our subnet, the requested address is not.
    let o = s.handle(T0, &ingress(false), &r);
    let rep = o.reply.unwrap();
    assert_eq!(rep.repr.message_type(), Some(MessageType::Nak));
    assert_ne!(rep.repr.flags & FLAG_BROADCAST, 0);
}

#[test]
fn restart_restores_bindings_from_journal_leases() {
    let mut s = Server::new(config(), vec![], T0);
    let a = dora(&mut s, T0, 1).unwrap();
    let leases: Vec<Lease> = s.leases().iter().cloned().collect();
    let mut s2 = Server::new(config(), leases, T0 + 10_000);
    // The same client gets the same address; another client does not.
    assert_eq!(
        s2.handle(
            T0 + 10_000,
            &ingress(true),
            &packet(1, MessageType::Discover, &[])
        )
        .reply
        .unwrap()
        .repr
        .yiaddr,
        a
    );
    assert_ne!(
        s2.handle(
            T0 + 10_000,
            &ingress(true),
            &packet(2, MessageType::Discover, &[])
        )
        .reply
        .unwrap()
        .repr
        .yiaddr,
        a
    );
}

#[test]
fn bootp_only_for_reservations_unless_dynamic() {
    let mut s = Server::new(config(), vec![], T0);
    let mut b = packet(0xaa, MessageType::Discover, &[]);
    b.options.clear();
    let o = s.handle(T0, &ingress(true), &b);
    let r = o.reply.expect("reserved BOOTP client is answered");
    assert_eq!(r.repr.yiaddr, ip(50));
    assert!(r.repr.message_type().is_none());
    let mut b2 = packet(1, MessageType::Discover, &[]);
    b2.options.clear();
    assert!(s.handle(T0, &ingress(true), &b2).reply.is_none());
    let mut cfg = config();
    cfg.server.dynamic_bootp = true;
    s.reconfigure(cfg, T0);
    let r = s
        .handle(T0, &ingress(true), &b2)
        .reply
        .expect("dynamic BOOTP");
    assert_eq!(s.leases().get(r.repr.yiaddr).unwrap().end(), INFINITE);
}

#[test]
fn inform_gets_options_without_lease() {
    let mut s = Server::new(config(), vec![], T0);
    let mut i = packet(1, MessageType::Inform, &[(55, &[3, 6, 51])]);
    i.ciaddr = ip(20);
    let o = s.handle(T0, &ingress(false), &i);
    let r = o.reply.unwrap();
    assert_eq!(r.repr.message_type(), Some(MessageType::Ack));
    assert_eq!(r.repr.yiaddr, Ipv4Addr::UNSPECIFIED);
    assert!(r.repr.option(51).is_none());
    assert!(r.repr.option(3).is_some());
    assert_eq!(r.dest, Dest::Unicast(SocketAddrV4::new(ip(20), 68)));
    assert!(o.records.is_empty());
}

#[test]
fn client_id_identifies_client_over_chaddr() {
    let mut s = Server::new(config(), vec![], T0);
    let cid: &[u8] = &[1, 2, 0, 0, 0, 0, 1];
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(1, MessageType::Discover, &[(61, cid)]),
    );
    let a = o.reply.unwrap().repr.yiaddr;
    // Same client id, different NIC: same offer.
    let o = s.handle(
        T0,
        &ingress(true),
        &packet(5, MessageType::Discover, &[(61, cid)]),
    );
    assert_eq!(o.reply.unwrap().repr.yiaddr, a);
}

#[test]
fn decliner_is_not_offered_its_declined_address() {
    let mut s = Server::new(config(), vec![], T0);
    let a = dora(&mut s, T0, 1).unwrap();
    s.handle(
        T0,
        &ingress(true),
        &packet(
            1,
            MessageType::Decline,
            &[(54, &SID.octets()), (50, &a.octets())],
        ),
    );
    let o = s.handle(
        T0 + 1000,
        &ingress(true),
        &packet(1, MessageType::Discover, &[(50, &a.octets())]),
    );
    assert_ne!(o.reply.expect("another address").repr.yiaddr, a);
}

#[test]
fn offers_from_a_discover_flood_do_not_lock_the_pool() {
    let mut s = Server::new(config(), vec![], T0);
    for mac in 1..=4 {
        assert!(s
            .handle(T0, &ingress(true), &packet(mac, MessageType::Discover, &[]))
            .reply
            .is_some());
    }
    // Every address is held by a client that never requested it; a real client still gets one.
    let o = s.handle(
        T0 + 1,
        &ingress(true),
        &packet(9, MessageType::Discover, &[]),
    );
    let a = o.reply.expect("oldest hold withdrawn").repr.yiaddr;
    assert_eq!(dora(&mut s, T0 + 2, 9), Some(a));
    // Bound leases are never withdrawn: once every address is bound, no offer.
    for mac in 1..=3 {
        dora(&mut s, T0 + 3, mac);
    }
    assert!(s
        .handle(
            T0 + 4,
            &ingress(true),
            &packet(20, MessageType::Discover, &[])
        )
        .reply
        .is_none());
}

#[test]
fn failover_state_survives_in_the_records_compaction_writes() {
    use crate::config::FoRole;
    use crate::journal::FailoverStateRec;
    let mut cfg = config();
    cfg.relationships = vec![relationship(FoRole::Secondary, ip(1), ip(2), "lan", 10)];
    let saved = FailoverStateRec {
        relationship: "pair".into(),
        local_state: 4,
        partner_state: 3,
        since: 1_700_000_000,
        partner_last_up: 1_699_999_000,
        // The primary's MCLT this secondary had learned (its own config says 60).
        mclt: 90,
    };
    let mut s = Server::new(cfg, vec![], T0);
    s.resume_failover(std::slice::from_ref(&saved), T0);
    // Still in STARTUP: the record keeps the journaled PARTNER-DOWN to resume, not STARTUP.
    assert_eq!(s.failover_records(), vec![saved]);
    // Not serving until the relationship has settled (STARTUP answers nobody).
    assert!(s
        .handle(T0, &ingress(true), &packet(1, MessageType::Discover, &[]))
        .reply
        .is_none());
}

/// Run `on_timeout` at every deadline up to `until`, as the reactor would.
fn run_timers(s: &mut Server, from: Millis, until: Millis) {
    s.on_timeout(from);
    while let Some(t) = s.poll_at(from).filter(|&t| t <= until) {
        s.on_timeout(t.max(from));
    }
}

fn renew(s: &mut Server, now: Millis, mac: u8, a: Ipv4Addr, secs_asked: Option<u32>) {
    let lt = secs_asked.map(u32::to_be_bytes);
    let opts: Vec<(u8, &[u8])> = lt.iter().map(|b| (51, &b[..])).collect();
    let mut p = packet(mac, MessageType::Request, &opts);
    p.ciaddr = a;
    let o = s.handle(now, &ingress(false), &p);
    assert_eq!(kind(&o), Some(MessageType::Ack));
}

#[test]
fn renewed_lease_expires_at_its_new_end_not_before() {
    let mut s = Server::new(config(), vec![], T0);
    let a = dora(&mut s, T0, 1).unwrap();
    let b = dora(&mut s, T0, 2).unwrap();
    // `a` renewed at half time: its first timer (T0 + 1 h) must not end it.
    renew(&mut s, T0 + 1_800_000, 1, a, None);
    // `b` renewed for a shorter lease: it must end at the shorter time.
    renew(&mut s, T0 + 600_000, 2, b, Some(60));
    assert_eq!(
        s.timers.len(),
        3,
        "one entry per address, plus b's earlier end"
    );
    run_timers(&mut s, T0 + 600_000, T0 + 659_999);
    assert_eq!(s.leases().get(b).unwrap().state, BindingState::Active);
    run_timers(&mut s, T0 + 660_000, T0 + 5_399_999);
    assert_eq!(s.leases().get(b).unwrap().state, BindingState::Expired);
    let l = s.leases().get(a).unwrap();
    assert_eq!((l.state, l.end()), (BindingState::Active, secs(T0) + 5400));
    assert_eq!(s.timers.len(), 1);
    run_timers(&mut s, T0 + 5_400_000, T0 + 5_400_000);
    assert_eq!(s.leases().get(a).unwrap().state, BindingState::Expired);
    assert!(s.timers.is_empty() && s.poll_at(T0 + 5_400_000).is_none());
}

#[test]
fn timer_heap_stays_bounded_across_renewals() {
    let mut s = Server::new(config(), vec![], T0);
    let addrs: Vec<Ipv4Addr> = (1..=4).map(|m| dora(&mut s, T0, m).unwrap()).collect();
    let mut now = T0;
    // Plain renewals push nothing: the entry already queued re-arms when it fires.
    for _ in 0..5000 {
        now += 1000;
        for (m, a) in (1..=4).zip(&addrs) {
            renew(&mut s, now, m, *a, None);
        }
        run_timers(&mut s, now, now);
        assert!(s.timers.len() <= 4, "{}", s.timers.len());
    }
    // Full DORA cycles of bound clients: their leases outlast the offer hold, so the offers
    // take no hold and push nothing either.
    for _ in 0..5000 {
        now += 1000;
        for m in 1..=4 {
            assert!(dora(&mut s, now, m).is_some());
        }
        run_timers(&mut s, now, now);
        assert!(s.timers.len() <= 4, "{}", s.timers.len());
        assert!(s.holds.is_empty() && s.hold_of.is_empty());
    }
    for a in &addrs {
        let l = s.leases().get(*a).unwrap();
        assert_eq!((l.state, l.end()), (BindingState::Active, secs(now) + 3600));
    }
    // And they still all end on time.
    run_timers(&mut s, now, now + 3_599_999);
    assert!(addrs
        .iter()
        .all(|a| s.leases().get(*a).unwrap().state == BindingState::Active));
    run_timers(&mut s, now + 3_600_000, now + 3_600_000);
    assert!(addrs
        .iter()
        .all(|a| s.leases().get(*a).unwrap().state == BindingState::Expired));
}

/// An offer of a bound client's own address takes no hold while its lease outlasts the
/// hold; one whose lease ends sooner is held as any other offer, and the address stays the
/// client's either way.
#[test]
fn offer_to_a_bound_client_needs_no_hold_unless_its_lease_ends_first() {
    let mut s = Server::new(config(), vec![], T0);
    let a = dora(&mut s, T0, 1).unwrap();
    let offer = |s: &mut Server, now: Millis, mac: u8| {
        s.handle(
            now,
            &ingress(true),
            &packet(mac, MessageType::Discover, &[]),
        )
        .reply
        .unwrap()
        .repr
        .yiaddr
    };
    assert_eq!(offer(&mut s, T0 + 1000, 1), a);
    assert!(s.holds.is_empty() && s.hold_of.is_empty());
    assert_ne!(
        offer(&mut s, T0 + 1000, 2),
        a,
        "another client is not offered it"
    );
    // 20 s before the lease ends (the hold is 30 s): held, so it is not given away when the
    // lease runs out before the REQUEST comes.
    let late = T0 + 3_580_000;
    assert_eq!(offer(&mut s, late, 1), a);
    assert_eq!(s.holds.get(&a).map(|h| h.until), Some(late + 30_000));
    run_timers(&mut s, late, T0 + 3_600_000);
    assert_ne!(
        offer(&mut s, T0 + 3_600_000, 3),
        a,
        "held past the lease's end"
    );
    assert_eq!(dora(&mut s, T0 + 3_601_000, 1), Some(a));
}

#[test]
fn offer_flood_leaves_no_room_behind() {
    let mut cfg = config();
    cfg.scopes[0].prefix_len = 22;
    cfg.scopes[0].ranges = vec![(ip(100), Ipv4Addr::new(198, 18, 3, 250))];
    let mut s = Server::new(cfg, vec![], T0);
    for i in 0..800u16 {
        let mut p = packet(0, MessageType::Discover, &[]);
        p.chaddr[4..6].copy_from_slice(&i.to_be_bytes());
        assert!(s.handle(T0, &ingress(true), &p).reply.is_some());
    }
    assert_eq!(s.holds.len(), 800);
    assert!(s.holds.capacity() >= 800 && s.hold_of.capacity() >= 800);
    run_timers(&mut s, T0, T0 + 30_000);
    assert!(s.holds.is_empty() && s.hold_of.is_empty() && s.timers.is_empty());
    assert!(s.holds.capacity() < 256 && s.hold_of.capacity() < 256);
    // The addresses went back to the pool.
    assert!(dora(&mut s, T0 + 30_000, 1).is_some());
}

/// UPDREQALL for more bindings than the update queue holds: the resend is fed as the queue
/// drains, so none is dropped and UPDDONE comes only after the last one.
#[test]
fn resend_larger_than_the_update_queue_drops_nothing() {
    use crate::config::{FoRole, Relationship};
    use crate::failover::QUEUE_CAP;
    let n = QUEUE_CAP + 904;
    let rel = |role, me: u8, peer: u8| {
        let at = |d| Ipv4Addr::new(10, 0, 0, d);
        relationship(role, at(me), at(peer), "big", 100)
    };
    let cfg = |r: Relationship| {
        let mut c = config();
        let mut big = c.scopes.remove(0);
        big.name = "big".into();
        big.subnet = Ipv4Addr::new(10, 0, 0, 0);
        big.prefix_len = 16;
        big.ranges = vec![(Ipv4Addr::new(10, 0, 1, 0), Ipv4Addr::new(10, 0, 99, 255))];
        big.exclusions.clear();
        big.reservations.clear();
        c.scopes = vec![big];
        c.relationships = vec![r];
        c
    };
    let now_s = T0 / 1000;
    let leases: Vec<Lease> = (0..n as u32)
        .map(|i| {
            let mut l = Lease::free(Ipv4Addr::from(0x0a00_0100 + i));
            l.state = BindingState::Active;
            l.chaddr =
                crate::lease::HwAddr::new(&[2, 0, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            l.set_start(now_s);
            l.set_cltt(now_s);
            // Far enough out that no lease expires while the test jumps between timers.
            l.set_end(now_s + 30 * 86_400);
            l
        })
        .collect();
    let mut p = Server::new(cfg(rel(FoRole::Primary, 1, 2)), leases, T0);
    let mut s = Server::new(cfg(rel(FoRole::Secondary, 2, 1)), vec![], T0);
    p.resume_failover(&[], T0);
    s.resume_failover(&[], T0);
    let mut now = T0;
    p.fo_connected(0, now);
    s.fo_connected(0, now);
    // Shuttle whole messages both ways until both sides are quiet (bounded).
    let mut saw_catching_up = false;
    for _ in 0..20_000 {
        saw_catching_up |= p
            .failover_status(now)
            .is_some_and(|st| st.contains("resync=yes"));
        let a = p.fo_take_output(0);
        let b = s.fo_take_output(0);
        if a.is_empty() && b.is_empty() {
            let normal = |x: &Server| {
                x.failover_status(now)
                    .is_some_and(|st| st.contains("local=normal partner=normal"))
            };
            if normal(&p) && normal(&s) {
                break;
            }
            // Quiet: jump to the next timer (RECOVER waits out the MCLT).
            now = [p.poll_at(now), s.poll_at(now)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(now + 1000)
                .max(now + 1);
            p.on_timeout(now);
            s.on_timeout(now);
            continue;
        }
        for m in a {
            s.fo_receive(0, now, &m);
        }
        for m in b {
            p.fo_receive(0, now, &m);
        }
        now += 10;
    }
    let status = p.failover_status(now).unwrap_or_default();
    assert!(status.contains("dropped=0"), "{status}");
    // The status told that the resend was under way, and tells that it is over.
    assert!(saw_catching_up, "no resync=yes while the resend was fed");
    assert!(status.contains("resync=no"), "{status}");
    // The secondary got UPDDONE for our UPDREQALL answer (it left RECOVER), and only after
    // the last binding.
    let sec = s.failover_status(now).unwrap_or_default();
    assert!(!sec.contains("local=recover "), "{sec}");
    let got = s
        .leases()
        .iter()
        .filter(|l| l.state == BindingState::Active)
        .count();
    assert_eq!(got, n, "secondary holds every binding");
}
