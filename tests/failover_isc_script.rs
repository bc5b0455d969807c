//! Our `Partner` against a scripted ISC dhcpd 4.4.3 peer, message by message, reproducing the
//! sequences observed in the lab (digest §12), in both roles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::net::Ipv4Addr;

use common::malformed::decode_hex;
use duodhcp::failover::{Hba, Inbound, Partner, Role, ServerState, Settings};
use duodhcp::journal::FailoverStateRec;
use duodhcp::time::Millis;
use duodhcp::wire::failover::{code, Message, MessageType};

use MessageType::*;

/// The lab capture's clock (the golden CONNECT's time field).
const NOW: Millis = 0x6b05_7f77 * 1000;

fn isc(t: MessageType, xid: u32, f: impl FnOnce(&mut Message)) -> Vec<u8> {
    let mut m = Message::new(t, (NOW / 1000) as u32, xid);
    f(&mut m);
    m.emit().unwrap()
}

fn state(s: u8, flags: u8) -> Vec<u8> {
    isc(State, 0, |m| {
        m.set_u8(code::SERVER_STATE, s)
            .set_u8(code::SERVER_FLAGS, flags)
            .set_u32(code::START_TIME_OF_STATE, (NOW / 1000) as u32);
    })
}

fn bndupd(xid: u32, last: u8, status: u8) -> Vec<u8> {
    isc(BndUpd, xid, |m| {
        m.set_ip(code::ASSIGNED_IP_ADDRESS, Ipv4Addr::new(192, 0, 2, last))
            .set_u8(code::BINDING_STATUS, status)
            .set_u32(code::LEASE_EXPIRATION_TIME, 0)
            .set_u32(code::POTENTIAL_EXPIRATION_TIME, 0)
            .set_u32(code::START_TIME_OF_STATE, 0);
    })
}

/// Our output since the last call, decoded.
fn out(p: &mut Partner) -> Vec<Message> {
    p.take_output()
        .iter()
        .map(|b| Message::parse(b).unwrap())
        .collect()
}

fn types(ms: &[Message]) -> Vec<MessageType> {
    ms.iter().map(|m| m.msg_type).collect()
}

fn codes(m: &Message) -> Vec<u16> {
    m.options.iter().map(|o| o.code).collect()
}

/// Acks every Binding the way the integrator does (accept, store, ack).
fn ack_all(p: &mut Partner, work: Vec<Inbound>) -> usize {
    let mut n = 0;
    for w in work {
        if let Inbound::Binding { xid, lease } = w {
            p.ack(xid, lease.addr, None);
            n += 1;
        }
    }
    n
}

#[test]
fn we_are_secondary_fresh_pair() {
    let mut p = Partner::new(Settings::new("fo-test", Role::Secondary), None, NOW);
    p.connected(NOW);
    assert!(out(&mut p).is_empty(), "the secondary waits for CONNECT");

    let work = p.receive(
        NOW,
        &decode_hex(include_str!("golden/failover_isc_connect.hex")),
    );
    assert!(work.contains(&Inbound::Connected));
    let o = out(&mut p);
    assert_eq!(types(&o), [ConnectAck, State]);
    assert_eq!(o[0].xid, 0);
    assert_eq!(codes(&o[0]), [22, 14, 19, 28, 20, 26]);
    assert_eq!(o[0].u8(code::TLS_REPLY), Some(0));
    // Still in STARTUP: the stored (here: never talked = RECOVER) state with the flag.
    assert_eq!(o[1].u8(code::SERVER_STATE), Some(6));
    assert_eq!(o[1].u8(code::SERVER_FLAGS), Some(1));
    assert_eq!(p.mclt(), 60);
    assert_eq!(p.hba(), Hba::from_split(128));

    // P -> STATE {6, STARTUP}: we leave STARTUP into RECOVER and ask for everything.
    p.receive(NOW, &state(6, 1));
    let o = out(&mut p);
    assert_eq!(types(&o), [State, UpdReqAll]);
    assert_eq!(
        (o[0].u8(code::SERVER_STATE), o[0].u8(code::SERVER_FLAGS)),
        (Some(6), Some(0))
    );
    let our_req = o[1].xid;
    assert_eq!(p.state(), ServerState::Recover);

    // P -> STATE {6}; P -> UPDREQALL: nothing to send, so UPDDONE with its xid at once.
    p.receive(NOW, &state(6, 0));
    assert!(
        out(&mut p).is_empty(),
        "UPDREQALL is not repeated while outstanding"
    );
    let work = p.receive(NOW, &isc(UpdReqAll, 41, |_| {}));
    assert_eq!(work, [Inbound::SendAll { all: true }]);
    let o = out(&mut p);
    assert_eq!((types(&o), o[0].xid), (vec![UpdDone], 41));

    // P -> BNDUPD x3 (FREE, times 0): one BNDACK each, same xid.
    for (i, x) in (42..45).enumerate() {
        let work = p.receive(NOW, &bndupd(x, 100 + i as u8, 1));
        assert_eq!(ack_all(&mut p, work), 1);
        let o = out(&mut p);
        assert_eq!((types(&o), o[0].xid), (vec![BndAck], x));
        assert_eq!(codes(&o[0]), [2]);
    }

    // P -> STATE {9}; P -> UPDDONE (our xid): partner fresh, so no MCLT wait, and NORMAL.
    p.receive(NOW, &state(9, 0));
    assert!(out(&mut p).is_empty());
    p.receive(NOW, &isc(UpdDone, our_req, |_| {}));
    let o = out(&mut p);
    assert_eq!(types(&o), [State, State]);
    assert_eq!(o[0].u8(code::SERVER_STATE), Some(9));
    assert_eq!(o[1].u8(code::SERVER_STATE), Some(2));
    p.receive(NOW, &state(2, 0));
    assert_eq!(p.state(), ServerState::Normal);
    assert_eq!(p.partner_state(), Some(ServerState::Normal));

    // Pool balance: P -> BNDUPD status BACKUP, we ack.
    let work = p.receive(NOW, &bndupd(50, 110, 7));
    assert_eq!(ack_all(&mut p, work), 1);
    assert_eq!(types(&out(&mut p)), [BndAck]);
    // Bucket 57 is the primary's with split 128 (digest §7 lab): we leave it alone.
    assert!(!p.serves_new_client(&[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]));
    assert!(p.serves_new_client(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]));
    assert!(p.take_close().is_none());
}

#[test]
fn we_are_primary_fresh_pair() {
    let mut s = Settings::new("fo-test", Role::Primary);
    s.mclt = 60;
    let mut p = Partner::new(s, None, NOW);
    p.connected(NOW);
    let o = out(&mut p);
    assert_eq!(types(&o), [Connect]);
    assert_eq!(o[0].xid, 0);
    assert_eq!(codes(&o[0]), [22, 14, 19, 28, 20, 27, 15, 11]);
    assert_eq!(o[0].get(code::HASH_BUCKET_ASSIGNMENT).unwrap().len(), 32);
    assert_eq!(o[0].u32(code::MCLT), Some(60));

    let ack = isc(ConnectAck, 0, |m| {
        m.set_bytes(code::RELATIONSHIP_NAME, b"fo-test")
            .set_u32(code::MAX_UNACKED_BNDUPD, 10)
            .set_u32(code::RECEIVE_TIMER, 30)
            .set_bytes(code::VENDOR_CLASS_IDENTIFIER, b"isc-4.4.3-P1")
            .set_u8(code::PROTOCOL_VERSION, 1)
            .set_u8(code::TLS_REPLY, 0);
    });
    assert!(p.receive(NOW, &ack).contains(&Inbound::Connected));
    let o = out(&mut p);
    assert_eq!(types(&o), [State]);
    assert_eq!(o[0].u8(code::SERVER_FLAGS), Some(1));

    p.receive(NOW, &state(6, 1));
    let o = out(&mut p);
    assert_eq!(types(&o), [State, UpdReqAll]);
    let our_req = o[1].xid;
    p.receive(NOW, &state(6, 0));
    p.receive(NOW, &isc(UpdReqAll, 1, |_| {}));
    assert_eq!(types(&out(&mut p)), [UpdDone]);
    p.receive(NOW, &isc(UpdDone, our_req, |_| {}));
    let o = out(&mut p);
    assert_eq!(types(&o), [State]);
    assert_eq!(o[0].u8(code::SERVER_STATE), Some(9));
    p.receive(NOW, &state(9, 0));
    let o = out(&mut p);
    assert_eq!(o[0].u8(code::SERVER_STATE), Some(2));
    p.receive(NOW, &state(2, 0));
    assert_eq!(p.state(), ServerState::Normal);

    // Keepalive: CONTACT after receive-timer/3 = 10 s of silence from us.
    p.on_timeout(NOW + 9_000);
    assert!(out(&mut p).is_empty());
    p.on_timeout(NOW + 10_000);
    assert_eq!(types(&out(&mut p)), [Contact]);
    // Our own receive timer (30 s): ISC just goes quiet -> close, then COMM-INT.
    p.on_timeout(NOW + 30_000);
    assert!(p.take_close().unwrap().contains("no message"));
    p.disconnected(NOW + 30_000);
    assert_eq!(p.state(), ServerState::CommunicationsInterrupted);
}

#[test]
fn reconnect_after_drop_with_history() {
    let saved = FailoverStateRec {
        relationship: "fo-test".into(),
        local_state: ServerState::CommunicationsInterrupted.to_u8(),
        partner_state: ServerState::Normal.to_u8(),
        since: NOW / 1000 - 100,
        partner_last_up: NOW / 1000 - 100,
        mclt: 0,
    };
    let mut p = Partner::new(Settings::new("fo-test", Role::Secondary), Some(&saved), NOW);
    // No partner within the STARTUP time: back to the stored state.
    p.on_timeout(NOW + 15_000);
    assert_eq!(p.state(), ServerState::CommunicationsInterrupted);
    assert_eq!(p.since(), saved.since);
    let t = NOW + 15_000;
    p.connected(t);
    p.receive(
        t,
        &decode_hex(include_str!("golden/failover_isc_connect.hex")),
    );
    let o = out(&mut p);
    assert_eq!(types(&o), [ConnectAck, State]);
    assert_eq!(
        (o[1].u8(code::SERVER_STATE), o[1].u8(code::SERVER_FLAGS)),
        (Some(3), Some(0))
    );
    p.receive(t, &state(3, 0));
    let o = out(&mut p);
    assert_eq!(types(&o), [State]);
    assert_eq!(o[0].u8(code::SERVER_STATE), Some(2));
    p.receive(t, &state(2, 0));
    assert_eq!(p.state(), ServerState::Normal);
    let rec = p.take_persist().unwrap();
    assert_eq!((rec.local_state, rec.partner_state), (2, 2));
}

fn connect_with(f: impl FnOnce(&mut Message)) -> (Message, String) {
    let mut p = Partner::new(Settings::new("fo-test", Role::Secondary), None, NOW);
    p.connected(NOW);
    let mut m =
        Message::parse(&decode_hex(include_str!("golden/failover_isc_connect.hex"))).unwrap();
    f(&mut m);
    p.receive(NOW, &m.emit().unwrap());
    let o = out(&mut p);
    assert_eq!(types(&o), [ConnectAck]);
    (o[0].clone(), p.take_close().unwrap())
}

#[test]
fn connect_rejects() {
    let (ack, why) = connect_with(|m| {
        m.set_bytes(code::RELATIONSHIP_NAME, b"other");
    });
    assert_eq!(ack.u8(code::REJECT_REASON), Some(8));
    assert!(why.contains("relationship"));
    let (ack, _) = connect_with(|m| {
        m.remove(code::MCLT);
    });
    assert_eq!(ack.u8(code::REJECT_REASON), Some(5));
    let (ack, _) = connect_with(|m| {
        m.set_bytes(code::HASH_BUCKET_ASSIGNMENT, &[0xff; 31]);
    });
    assert_eq!(ack.u8(code::REJECT_REASON), Some(18));
    assert_eq!(codes(&ack), [22, 20, 26, 21, 16]);
    let (ack, _) = connect_with(|m| {
        m.time -= 61;
    });
    assert_eq!(ack.u8(code::REJECT_REASON), Some(4));
}

#[test]
fn malformed_and_disconnect_close() {
    let mut p = Partner::new(Settings::new("fo-test", Role::Secondary), None, NOW);
    p.connected(NOW);
    // Duplicate option: ISC's protocol error.
    let mut b = state(2, 0);
    b[12 + 5 + 1] = code::SERVER_STATE as u8;
    p.receive(NOW, &b);
    assert!(p.take_close().unwrap().contains("malformed"));
    // Anything before CONNECT.
    let mut p = Partner::new(Settings::new("fo-test", Role::Secondary), None, NOW);
    p.connected(NOW);
    p.receive(NOW, &state(2, 0));
    assert!(p.take_close().unwrap().contains("before CONNECT"));
    // DISCONNECT after the handshake.
    let mut p = Partner::new(Settings::new("fo-test", Role::Secondary), None, NOW);
    p.connected(NOW);
    p.receive(
        NOW,
        &decode_hex(include_str!("golden/failover_isc_connect.hex")),
    );
    p.receive(
        NOW,
        &isc(Disconnect, 3, |m| {
            m.set_u8(code::REJECT_REASON, 7)
                .set_bytes(code::MESSAGE, b"dup");
        }),
    );
    assert!(p.take_close().unwrap().contains("reason 7 dup"));
}
