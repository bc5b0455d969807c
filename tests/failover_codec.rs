//! Failover codec: the real ISC CONNECT (golden bytes), and a deterministic mutation fuzz
//! (fuzz_lite style) over parse, emit, the deframer and digest verification.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::net::Ipv4Addr;

use common::malformed::{decode_hex, Rng};
use duodhcp::failover::{auth, binding, Hba};
use duodhcp::lease::{BindingState, HwAddr, Lease};
use duodhcp::wire::failover::{code, Deframer, Message, MessageType};

fn isc_connect() -> Vec<u8> {
    decode_hex(include_str!("golden/failover_isc_connect.hex"))
}

#[test]
fn isc_connect_golden() {
    let b = isc_connect();
    assert_eq!(b.len(), 109);
    let m = Message::parse(&b).unwrap();
    assert_eq!(m.msg_type, MessageType::Connect);
    assert_eq!(m.msg_type.to_string(), "CONNECT");
    assert_eq!(m.time, 0x6b05_7f77);
    assert_eq!(m.xid, 0);
    assert_eq!(m.get(code::RELATIONSHIP_NAME), Some(&b"fo-test"[..]));
    assert_eq!(m.u32(code::MAX_UNACKED_BNDUPD), Some(10));
    assert_eq!(m.u32(code::RECEIVE_TIMER), Some(30));
    assert_eq!(
        m.get(code::VENDOR_CLASS_IDENTIFIER),
        Some(&b"isc-4.4.3-P1"[..])
    );
    assert_eq!(m.u8(code::PROTOCOL_VERSION), Some(1));
    assert_eq!(m.u8(code::TLS_REQUEST), Some(0));
    assert_eq!(m.u32(code::MCLT), Some(60));
    let hba = Hba::from_bytes(m.get(code::HASH_BUCKET_ASSIGNMENT).unwrap()).unwrap();
    assert_eq!(hba, Hba::from_split(128));
    let codes: Vec<u16> = m.options.iter().map(|o| o.code).collect();
    assert_eq!(codes, [22, 14, 19, 28, 20, 27, 15, 11]);
    assert_eq!(m.emit().unwrap(), b);
    // The ISC message carries no digest: fine without a secret, "not present" with one.
    assert_eq!(auth::verify(&b, None), auth::Verdict::Ok);
    assert_eq!(auth::verify(&b, Some(b"k")), auth::Verdict::NotPresent);
}

#[test]
fn deframer_splits_isc_stream() {
    let one = isc_connect();
    let stream: Vec<u8> = one.iter().chain(&one).chain(&one).copied().collect();
    let mut d = Deframer::new();
    let mut got = Vec::new();
    for chunk in stream.chunks(7) {
        got.extend(d.feed(chunk).unwrap());
    }
    assert_eq!(got, vec![one.clone(), one.clone(), one]);
}

/// Seed messages: the ISC CONNECT plus one of each kind we build.
fn seeds() -> Vec<Vec<u8>> {
    let mut l = Lease::free(Ipv4Addr::new(192, 0, 2, 10));
    l.state = BindingState::Active;
    l.set_client_id(&[1, 0, 0x11, 0x22, 0x33, 0x44, 0x55]);
    l.chaddr = HwAddr::new(&[0, 0x11, 0x22, 0x33, 0x44, 0x55]);
    l.set_start(1_700_000_000);
    l.set_end(1_700_000_600);
    l.set_cltt(1_700_000_000);
    l.set_sent_end(1_700_000_900);
    let bndupd = binding::encode_bndupd(&l, 1_700_000_000, 5);
    let mut ack = Message::new(MessageType::BndAck, 1_700_000_000, 5);
    ack.set_ip(code::ASSIGNED_IP_ADDRESS, l.addr)
        .set_u8(code::REJECT_REASON, 2)
        .set_bytes(code::MESSAGE, b"192.0.2.10: invalid state transition");
    let mut state = Message::new(MessageType::State, 1_700_000_000, 1);
    state
        .set_u8(code::SERVER_STATE, 2)
        .set_u8(code::SERVER_FLAGS, 0)
        .set_u32(code::START_TIME_OF_STATE, 1_700_000_000);
    let mut resp = Message::new(MessageType::PoolResp, 1, 2);
    resp.set_u32(code::ADDRESSES_TRANSFERRED, 10)
        .set_bytes(12345, b"unknown option kept")
        .set_u16(code::IP_FLAGS, 3)
        .set_bytes(code::DDNS, &[0, 1, 3, b'f', b'o', b'o', 0]);
    vec![
        isc_connect(),
        bndupd.emit().unwrap(),
        auth::sign(&bndupd, b"secret").unwrap(),
        ack.emit().unwrap(),
        state.emit().unwrap(),
        auth::sign(&state, b"secret").unwrap(),
        resp.emit().unwrap(),
        Message::new(MessageType::Contact, 9, 9).emit().unwrap(),
    ]
}

fn mutate(rng: &mut Rng, p: &mut Vec<u8>, other: &[u8]) {
    match rng.below(7) {
        0 if !p.is_empty() => {
            let i = rng.below(p.len());
            p[i] ^= 1 << rng.below(8);
        }
        1 if !p.is_empty() => {
            const MAGIC: [u8; 8] = [0, 1, 2, 4, 8, 12, 0x20, 0xff];
            let i = rng.below(p.len());
            p[i] = MAGIC[rng.below(MAGIC.len())];
        }
        2 => {
            let i = rng.below(p.len() + 1);
            let n = 1 + rng.below(8);
            let ins = rng.bytes(n);
            p.splice(i..i, ins);
        }
        3 if !p.is_empty() => {
            let i = rng.below(p.len());
            let n = (1 + rng.below(8)).min(p.len() - i);
            p.drain(i..i + n);
        }
        4 if !other.is_empty() => {
            let cut = rng.below(p.len() + 1);
            let from = rng.below(other.len());
            p.truncate(cut);
            p.extend_from_slice(&other[from..]);
        }
        5 => p.truncate(rng.below(p.len() + 1)),
        _ => {
            // Duplicate an option-sized chunk (likely a repeated code).
            if p.len() > 16 {
                let i = 12 + rng.below(p.len() - 12);
                let n = (4 + rng.below(6)).min(p.len() - i);
                let chunk = p[i..i + n].to_vec();
                p.extend_from_slice(&chunk);
            }
        }
    }
}

fn fix_length(p: &mut [u8]) {
    if p.len() >= 2 {
        let n = (p.len().min(0xffff)) as u16;
        p[..2].copy_from_slice(&n.to_be_bytes());
    }
}

const INPUTS: usize = 60_000;

#[test]
fn fuzz_lite_parse_emit_parse() {
    let seeds = seeds();
    let mut rng = Rng::new(0xfa11_0fe7);
    let (mut parsed, mut with_opts, mut verified) = (0usize, 0usize, 0usize);
    for i in 0..INPUTS {
        let mut p = seeds[rng.below(seeds.len())].clone();
        let other = &seeds[rng.below(seeds.len())];
        let rounds = if rng.below(3) == 0 {
            2 + rng.below(3)
        } else {
            1
        };
        for _ in 0..rounds {
            mutate(&mut rng, &mut p, other);
        }
        // Usually keep the length field honest so the option walk is exercised.
        if rng.below(10) < 8 {
            fix_length(&mut p);
        }
        if auth::verify(&p, Some(b"secret")) == auth::Verdict::Ok {
            verified += 1;
        }
        let _ = auth::verify(&p, None);
        let Ok(first) = Message::parse(&p) else {
            continue;
        };
        parsed += 1;
        if !first.options.is_empty() {
            with_opts += 1;
        }
        let bytes = first
            .emit()
            .unwrap_or_else(|e| panic!("input {i}: emit: {e} {p:02x?}"));
        assert!(bytes.len() <= p.len(), "input {i}: grew");
        let second = Message::parse(&bytes).unwrap_or_else(|e| panic!("input {i}: {e}"));
        assert_eq!(second, first, "input {i}: {p:02x?}");
        // Typed getters never panic on whatever survived.
        for o in &first.options {
            let _ = (first.u8(o.code), first.u16(o.code), first.u32(o.code));
            let _ = first.ip(o.code);
        }
        let _ = binding::decode_bndupd(&first);
    }
    eprintln!("failover fuzz_lite: {INPUTS} inputs, {parsed} parsed, {with_opts} with options, {verified} verified");
    assert!(parsed > INPUTS / 6, "only {parsed} parsed");
    assert!(with_opts > INPUTS / 8, "only {with_opts} with options");
    // Mutation almost always breaks a digest; the untouched-digest cases must still verify.
    assert!(verified < INPUTS / 10);
}

#[test]
fn fuzz_lite_deframer() {
    let seeds = seeds();
    let mut rng = Rng::new(77);
    for _ in 0..2_000 {
        let mut stream = Vec::new();
        let mut whole = 0;
        for _ in 0..1 + rng.below(5) {
            let s = &seeds[rng.below(seeds.len())];
            stream.extend_from_slice(s);
            whole += 1;
        }
        let corrupt = rng.below(4) == 0;
        if corrupt {
            let i = rng.below(stream.len());
            stream[i] = rng.byte();
        }
        let mut d = Deframer::new();
        let mut got = 0;
        let mut failed = false;
        let mut rest = &stream[..];
        while !rest.is_empty() {
            let n = (1 + rng.below(300)).min(rest.len());
            match d.feed(&rest[..n]) {
                Ok(v) => {
                    for m in &v {
                        assert!((12..=2048).contains(&m.len()));
                    }
                    got += v.len();
                }
                Err(_) => {
                    failed = true;
                    break;
                }
            }
            rest = &rest[n..];
            assert!(d.buffered() <= 2048);
        }
        if !corrupt {
            assert!(!failed);
            assert_eq!(got, whole);
        }
    }
}
