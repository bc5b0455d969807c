//! Golden client packets: parse → check fields → emit → parse equals; RFC 3396 long options,
//! option overload, unknown options, and truncation at every length.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::net::Ipv4Addr;

use common::malformed::{golden, golden_packets};
use duodhcp::wire::dhcpv4::{options as opt, relay, MessageType, Repr, BOOTP_MIN_LEN};
use duodhcp::wire::Error;

const MAC1: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

fn roundtrip(r: &Repr, max_len: usize) -> Vec<u8> {
    let bytes = r.emit(max_len).expect("emit");
    assert!(bytes.len() >= BOOTP_MIN_LEN, "short reply {}", bytes.len());
    assert!(
        bytes.len() <= max_len.max(BOOTP_MIN_LEN),
        "{} > {max_len}",
        bytes.len()
    );
    let again = Repr::parse(&bytes).expect("reparse");
    assert_eq!(&again, r);
    bytes
}

#[test]
fn every_golden_packet_roundtrips() {
    for (name, bytes) in golden_packets() {
        let r = Repr::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        roundtrip(&r, 1500);
        roundtrip(&r, 576);
    }
}

#[test]
fn dhclient_discover_fields() {
    let b = golden("dhclient_discover.hex");
    assert_eq!(b.len(), 300);
    let r = Repr::parse(&b).unwrap();
    assert_eq!((r.op, r.htype, r.hlen, r.hops), (1, 1, 6, 0));
    assert_eq!(r.xid, 0x3903_f326);
    assert_eq!(r.secs, 3);
    assert!(!r.is_broadcast());
    assert_eq!(r.hw_addr(), MAC1);
    assert!(r.has_cookie);
    assert!(r.sname.is_empty() && r.file.is_empty());
    assert_eq!(r.message_type(), Some(MessageType::Discover));
    let mut cid = vec![1];
    cid.extend_from_slice(&MAC1);
    assert_eq!(r.client_id(), Some(&cid[..]));
    assert_eq!(r.requested_ip(), Some(Ipv4Addr::new(192, 168, 1, 100)));
    assert_eq!(r.hostname(), Some(&b"debian-vm"[..]));
    assert_eq!(
        r.parameter_request_list(),
        [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]
    );
    assert_eq!(r.server_id(), None);
    assert_eq!(r.max_message_size(), None);
    let codes: Vec<u8> = r.options.iter().map(|o| o.code).collect();
    assert_eq!(codes, [53, 61, 50, 12, 55]);
    // The client's own 300-byte layout comes back byte for byte.
    assert_eq!(r.emit(576).unwrap(), b);
}

#[test]
fn dhclient_request_fields() {
    let r = Repr::parse(&golden("dhclient_request.hex")).unwrap();
    assert_eq!(r.message_type(), Some(MessageType::Request));
    assert_eq!(r.server_id(), Some(Ipv4Addr::new(192, 168, 1, 1)));
    assert_eq!(r.requested_ip(), Some(Ipv4Addr::new(192, 168, 1, 100)));
    assert_eq!(r.ciaddr, Ipv4Addr::UNSPECIFIED);
}

#[test]
fn udhcpc_discover_fields() {
    let b = golden("udhcpc_discover.hex");
    let r = Repr::parse(&b).unwrap();
    assert_eq!(r.max_message_size(), Some(576));
    assert_eq!(r.option(opt::VENDOR_CLASS_ID), Some(&b"udhcp 1.36.1"[..]));
    assert_eq!(r.parameter_request_list(), [1, 3, 6, 12, 15, 28, 42]);
    assert_eq!(r.hostname(), Some(&b"OpenWrt"[..]));
    assert_eq!(r.emit(576).unwrap(), b);
}

#[test]
fn dhcpcd_rfc4361_client_id() {
    let r = Repr::parse(&golden("dhcpcd_discover.hex")).unwrap();
    let cid = r.client_id().unwrap();
    // RFC 4361 §6.1: type 255, 4-byte IAID, then a DUID (here DUID-LLT, type 1, htype 1).
    assert_eq!(cid.len(), 1 + 4 + 14);
    assert_eq!(cid[0], 255);
    assert_eq!(&cid[5..9], [0, 1, 0, 1]);
    assert_eq!(&cid[13..], r.hw_addr());
    assert_eq!(r.max_message_size(), Some(1472));
    // Rapid commit is present with empty data and survives the round trip.
    assert_eq!(r.option(opt::RAPID_COMMIT), Some(&[][..]));
    assert_eq!(r.option(opt::FORCERENEW_NONCE_CAPABLE), Some(&[1][..]));
    roundtrip(&r, 548);
}

#[test]
fn relayed_option_82() {
    let r = Repr::parse(&golden("relayed_discover.hex")).unwrap();
    assert_eq!(r.hops, 1);
    assert_eq!(r.giaddr, Ipv4Addr::new(10, 20, 30, 1));
    // RFC 3046 §2.1: the relay appends option 82 last.
    assert_eq!(r.options.last().unwrap().code, opt::RELAY_AGENT_INFO);
    let info = r.relay_agent_info().unwrap();
    let subs = relay::parse_suboptions(info).unwrap();
    let codes: Vec<u8> = subs.iter().map(|s| s.0).collect();
    assert_eq!(
        codes,
        [relay::CIRCUIT_ID, relay::REMOTE_ID, relay::LINK_SELECTION]
    );
    assert_eq!(subs[0].1, b"eth0/1:100");
    assert_eq!(subs[1].1, [0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]);
    assert_eq!(
        relay::link_selection(info),
        Some(Ipv4Addr::new(10, 20, 0, 0))
    );
    assert_eq!(relay::server_id_override(info), None);
}

#[test]
fn plain_bootp() {
    let b = golden("bootp_request.hex");
    assert_eq!(b.len(), 300);
    let r = Repr::parse(&b).unwrap();
    assert!(!r.has_cookie);
    assert!(r.options.is_empty());
    assert_eq!(r.message_type(), None);
    assert_eq!(r.file, b"boot/ws1");
    assert!(r.sname.is_empty());
    assert_eq!(r.emit(548).unwrap(), b);

    // A BOOTP reply: header + zero vend area, 300 bytes, options not written.
    let mut reply = Repr::reply_to(&r);
    reply.yiaddr = Ipv4Addr::new(10, 0, 0, 9);
    reply.file = b"/tftpboot/ws1".to_vec();
    assert!(!reply.has_cookie);
    let out = roundtrip(&reply, 548);
    assert_eq!(out.len(), 300);
    assert!(out[236..].iter().all(|&x| x == 0));
}

#[test]
fn short_bootp_without_vend_area() {
    // 236 bytes: header only, still a valid BOOTP message.
    let b = golden("bootp_request.hex");
    let r = Repr::parse(&b[..236]).unwrap();
    assert!(!r.has_cookie);
    assert_eq!(r.file, b"boot/ws1");
    // 239 bytes: too short for a cookie, so BOOTP as well.
    let d = golden("dhclient_discover.hex");
    let r = Repr::parse(&d[..239]).unwrap();
    assert!(!r.has_cookie && r.options.is_empty());
}

#[test]
fn overload_parse() {
    let r = Repr::parse(&golden("overload_discover.hex")).unwrap();
    // Fields used for options come back empty; option 52 is not kept.
    assert!(r.file.is_empty() && r.sname.is_empty());
    assert_eq!(r.option(opt::OVERLOAD), None);
    let codes: Vec<u8> = r.options.iter().map(|o| o.code).collect();
    // Order of first appearance: options field, then file, then sname (RFC 2131 §4.1).
    assert_eq!(codes, [53, 61, 57, 55, 124, 12]);
    assert_eq!(r.parameter_request_list(), [1, 3, 6, 15, 28, 42]);
    assert_eq!(r.hostname(), Some(&b"overload-host"[..]));
    // 124 is concatenated across file and sname (RFC 3396).
    let v = r.option(opt::VIVCO).unwrap();
    assert_eq!(v.len(), 25 + 13);
    assert_eq!(&v[..4], 4491u32.to_be_bytes());
    assert_eq!(&v[25..], b"\x00\x06\x05abcdefghij");
    // Plenty of room at 1500: emitted without overload, same Repr.
    let out = roundtrip(&r, 1500);
    assert!(!out[240..].windows(3).any(|w| w == [52, 1, 3]));
}

#[test]
fn overload_emit_when_options_do_not_fit() {
    let req = Repr::parse(&golden("dhclient_discover.hex")).unwrap();
    let mut ack = Repr::reply_to(&req);
    ack.set_message_type(MessageType::Ack);
    ack.set_option(opt::SERVER_ID, vec![192, 168, 1, 1]);
    ack.set_option(opt::LEASE_TIME, 3600u32.to_be_bytes().to_vec());
    // 5 options x 60 bytes = 310 bytes: more than 548 - 240 - 4 leaves.
    for code in [224u8, 225, 226, 227, 228] {
        ack.set_option(code, vec![code; 58]);
    }
    let out = roundtrip(&ack, 548);
    assert!(out.len() <= 548);
    // Option 52 is in the options field with file (1) and/or sname (2) used.
    let r = Repr::parse(&out).unwrap();
    assert!(r.file.is_empty() && r.sname.is_empty());
    let opts = &out[240..];
    assert!(opts.windows(3).any(|w| w == [52, 1, 1] || w == [52, 1, 3]));
    // The file field now starts with an option (trailing ones moved, in order).
    assert!((224..=228).contains(&out[108]));

    // With a non-empty file field only sname is available: too small for two 60-byte options
    // left over, so TooLong; the output buffer is untouched on error.
    let mut a2 = ack.clone();
    a2.file = b"pxelinux.0".to_vec();
    a2.sname = b"tftp".to_vec();
    let mut buf = vec![7u8];
    assert_eq!(a2.emit_into(&mut buf, 548), Err(Error::TooLong("options")));
    assert_eq!(buf, [7]);
    // With room, the same Repr fits without overload and keeps file/sname.
    let out = roundtrip(&a2, 1500);
    assert_eq!(&out[108..118], b"pxelinux.0");
}

#[test]
fn long_option_split_and_rejoined() {
    let b = golden("long_option_split.hex");
    let r = Repr::parse(&b).unwrap();
    let v = r.option(opt::VIVCO).unwrap();
    assert_eq!(v.len(), 300);
    assert_eq!(&v[..4], 3561u32.to_be_bytes());
    assert_eq!(v[4], 150);
    assert_eq!(&v[155..159], 4491u32.to_be_bytes());
    assert_eq!(r.options.iter().filter(|o| o.code == opt::VIVCO).count(), 1);
    // The emitter splits it again exactly as the client did: same bytes.
    assert_eq!(r.emit(1500).unwrap(), b);

    // 600 bytes → 255 + 255 + 90; exactly 255 → one instance; empty → one zero-length one.
    let mut m = Repr::reply_to(&r);
    m.set_option(224, (0..600).map(|i| i as u8).collect::<Vec<u8>>());
    m.set_option(225, vec![9; 255]);
    m.set_option(80, Vec::new());
    let out = roundtrip(&m, 1500);
    let o = &out[240..];
    assert_eq!(&o[..2], [224, 255]);
    assert_eq!(&o[257..259], [224, 255]);
    assert_eq!(&o[514..516], [224, 90]);
    assert_eq!(&o[606..608], [225, 255]);
    assert_eq!(&o[863..866], [80, 0, 255]);
}

#[test]
fn unknown_options_preserved_byte_exact() {
    let mut b = golden("udhcpc_discover.hex");
    // Replace END with two private-use options (RFC 3942) and an unassigned one, then END.
    let end = 240 + b[240..].iter().position(|&x| x == 255).unwrap();
    let extra = [
        224, 3, 0xde, 0xad, 0xbe, 230, 0, 84, 5, 0, 1, 2, 3, 0xff, 255,
    ];
    b.truncate(end);
    b.extend_from_slice(&extra);
    b.resize(b.len().max(300), 0);
    let r = Repr::parse(&b).unwrap();
    assert_eq!(r.option(224), Some(&[0xde, 0xad, 0xbe][..]));
    assert_eq!(r.option(230), Some(&[][..]));
    assert_eq!(r.option(84), Some(&[0, 1, 2, 3, 0xff][..]));
    assert!(!opt::is_known(224) && !opt::is_known(84));
    assert_eq!(r.emit(576).unwrap(), b);
}

#[test]
fn repeated_codes_are_concatenated_in_first_appearance_order() {
    let mut b = golden("dhclient_discover.hex");
    b.truncate(240);
    b.extend_from_slice(&[
        12, 2, b'a', b'b', 0, 0, 60, 1, b'x', 12, 1, b'c', 60, 0, 255,
    ]);
    let r = Repr::parse(&b).unwrap();
    let codes: Vec<u8> = r.options.iter().map(|o| o.code).collect();
    assert_eq!(codes, [12, 60]);
    assert_eq!(r.hostname(), Some(&b"abc"[..]));
    assert_eq!(r.option(60), Some(&b"x"[..]));
    roundtrip(&r, 548);
}

#[test]
fn missing_end_and_trailing_junk_are_tolerated() {
    let mut b = golden("dhclient_discover.hex");
    let end = 240 + b[240..].iter().position(|&x| x == 255).unwrap();
    let r0 = Repr::parse(&b).unwrap();
    b.truncate(end);
    assert_eq!(Repr::parse(&b).unwrap(), r0);
    b.extend_from_slice(&[255, 1, 200, 7]);
    assert_eq!(Repr::parse(&b).unwrap(), r0);
}

#[test]
fn malformed_inputs_are_rejected() {
    let good = golden("dhclient_discover.hex");
    let mut b = good.clone();
    b[0] = 3;
    assert_eq!(Repr::parse(&b), Err(Error::Malformed("op")));
    let mut b = good.clone();
    b[2] = 17;
    assert_eq!(Repr::parse(&b), Err(Error::Malformed("hlen")));
    let mut b = good.clone();
    b[2] = 16;
    assert_eq!(Repr::parse(&b).unwrap().hw_addr().len(), 16);
    // Option length running past the end.
    let mut b = good[..240].to_vec();
    b.extend_from_slice(&[12, 5, b'a']);
    assert_eq!(Repr::parse(&b), Err(Error::Truncated("option data")));
    let mut b = good[..240].to_vec();
    b.push(12);
    assert_eq!(Repr::parse(&b), Err(Error::Truncated("option length")));
    // Bad overload values.
    for bad in [&[52u8, 1, 0][..], &[52, 1, 4], &[52, 2, 1, 1], &[52, 0]] {
        let mut b = good[..240].to_vec();
        b.extend_from_slice(bad);
        b.push(255);
        assert_eq!(
            Repr::parse(&b),
            Err(Error::Malformed("option overload")),
            "{bad:?}"
        );
    }
    // An overloaded file field whose option overruns the field is truncated, even though
    // bytes follow it in the packet.
    let mut b = good.clone();
    b[108] = 12;
    b[109] = 200;
    b.truncate(240);
    b.extend_from_slice(&[52, 1, 1, 255]);
    assert_eq!(Repr::parse(&b), Err(Error::Truncated("option data")));
}

#[test]
fn truncation_at_every_length_is_an_error_or_bootp() {
    for (name, b) in golden_packets() {
        for len in 0..b.len() {
            let res = Repr::parse(&b[..len]);
            if len < 236 {
                assert_eq!(res, Err(Error::Truncated("header")), "{name} at {len}");
            } else if len < 240 {
                assert!(!res.unwrap().has_cookie, "{name} at {len}");
            } else {
                // Either a clean cut between options or a Truncated error; never a panic.
                match res {
                    Ok(r) => assert!(r.options.len() <= 12, "{name} at {len}"),
                    Err(e) => assert!(matches!(e, Error::Truncated(_)), "{name} {len}: {e}"),
                }
            }
        }
    }
}

#[test]
fn reply_to_copies_the_right_fields() {
    let mut req = Repr::parse(&golden("relayed_discover.hex")).unwrap();
    req.flags = 0x8000;
    req.ciaddr = Ipv4Addr::new(1, 2, 3, 4);
    let r = Repr::reply_to(&req);
    assert_eq!(r.op, 2);
    assert_eq!(r.hops, 0);
    assert_eq!(
        (r.htype, r.hlen, r.xid, r.flags),
        (1, 6, 0x0bad_cafe, 0x8000)
    );
    assert!(r.is_broadcast());
    assert_eq!(r.giaddr, Ipv4Addr::new(10, 20, 30, 1));
    assert_eq!(r.chaddr, req.chaddr);
    assert_eq!(r.ciaddr, Ipv4Addr::UNSPECIFIED);
    assert_eq!(r.secs, 0);
    assert!(r.has_cookie && r.options.is_empty());
}

#[test]
fn option_accessors() {
    let mut r = Repr::reply_to(&Repr::parse(&golden("udhcpc_discover.hex")).unwrap());
    r.set_option(opt::SERVER_ID, vec![10, 0, 0, 1]);
    r.set_option(opt::MESSAGE_TYPE, vec![2]);
    r.set_option(opt::SERVER_ID, vec![10, 0, 0, 2]);
    assert_eq!(r.options.len(), 2);
    assert_eq!(r.options[0].code, opt::SERVER_ID);
    assert_eq!(r.server_id(), Some(Ipv4Addr::new(10, 0, 0, 2)));
    assert_eq!(r.message_type(), Some(MessageType::Offer));
    r.set_option(opt::SERVER_ID, vec![10, 0, 0]);
    assert_eq!(r.server_id(), None);
    r.set_option(opt::MAX_MESSAGE_SIZE, vec![2, 64, 0]);
    assert_eq!(r.max_message_size(), None);
    r.set_option(opt::CLIENT_ID, vec![]);
    assert_eq!(r.client_id(), None);
    assert_eq!(r.parameter_request_list(), &[] as &[u8]);
    r.remove_option(opt::SERVER_ID);
    assert_eq!(r.option(opt::SERVER_ID), None);
    // Codes the encoder owns cannot be set by hand.
    for code in [0u8, 52, 255] {
        let mut x = r.clone();
        x.set_option(code, vec![1]);
        assert_eq!(x.emit(548), Err(Error::Malformed("option code")));
    }
}

#[test]
fn overload_starts_exactly_when_the_options_field_is_full() {
    let req = Repr::parse(&golden("dhclient_discover.hex")).unwrap();
    let mut m = Repr::reply_to(&req);
    m.set_message_type(MessageType::Offer);
    // 3 bytes (53) + 2 + n bytes (224) + END = 240 + 6 + n.
    let max = 576;
    let n = max - 246;
    m.set_option(224, vec![0xaa; n.min(255)]);
    m.set_option(225, vec![0xbb; n - 255 - 2]);
    let out = roundtrip(&m, max);
    assert_eq!(out.len(), max);
    assert_eq!(out[108], 0, "file must not be used when everything fits");
    // One more byte: the last option moves into `file`, option 52 = 1 appears.
    m.set_option(225, vec![0xbb; n - 255 - 1]);
    let out = roundtrip(&m, max);
    assert!(out.len() <= max);
    assert_eq!(out[108], 225);
    assert!(out[240..].windows(3).any(|w| w == [52, 1, 1]));
    // max_len below 300 is raised to 300, and short replies are padded to 300.
    let mut small = Repr::reply_to(&req);
    small.set_message_type(MessageType::Nak);
    assert_eq!(small.emit(0).unwrap().len(), 300);
}
