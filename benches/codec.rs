//! Codec micro-benchmark (std only, `harness = false`): ns per decode and per encode of a
//! typical DISCOVER, REQUEST and ACK. Prints one `name value` line per measurement.

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::Instant;

use duodhcp::wire::dhcpv4::{options as opt, MessageType, Repr, DEFAULT_MAX_MESSAGE};

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.bytes().filter(|b| !b.is_ascii_whitespace()))
        .collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("00"), 16).unwrap_or(0))
        .collect()
}

/// Runs `f` until about 200 ms have passed (at least 1000 times) and returns ns per call.
fn measure(mut f: impl FnMut()) -> f64 {
    for _ in 0..1000 {
        f();
    }
    let mut iters = 0u64;
    let start = Instant::now();
    loop {
        for _ in 0..1000 {
            f();
        }
        iters += 1000;
        let el = start.elapsed();
        if el.as_millis() >= 200 {
            return el.as_nanos() as f64 / iters as f64;
        }
    }
}

fn ack_for(req: &Repr) -> Repr {
    let mut ack = Repr::reply_to(req);
    ack.yiaddr = Ipv4Addr::new(192, 168, 1, 100);
    ack.set_message_type(MessageType::Ack);
    ack.set_option(opt::SERVER_ID, vec![192, 168, 1, 1]);
    ack.set_option(opt::LEASE_TIME, 86_400u32.to_be_bytes().to_vec());
    ack.set_option(opt::RENEWAL_TIME, 43_200u32.to_be_bytes().to_vec());
    ack.set_option(opt::REBINDING_TIME, 75_600u32.to_be_bytes().to_vec());
    ack.set_option(opt::SUBNET_MASK, vec![255, 255, 255, 0]);
    ack.set_option(opt::BROADCAST_ADDR, vec![192, 168, 1, 255]);
    ack.set_option(opt::ROUTER, vec![192, 168, 1, 1]);
    ack.set_option(opt::DNS_SERVERS, vec![192, 168, 1, 1, 9, 9, 9, 9]);
    ack.set_option(opt::DOMAIN_NAME, b"lan".to_vec());
    ack
}

fn main() {
    let discover = hex(include_str!("../tests/golden/dhclient_discover.hex"));
    let request = hex(include_str!("../tests/golden/dhclient_request.hex"));
    let req = Repr::parse(&request).expect("golden REQUEST parses");
    let ack = ack_for(&req);
    let ack_bytes = ack.emit(DEFAULT_MAX_MESSAGE).expect("ACK emits");

    let mut out = Vec::with_capacity(1500);
    for (name, bytes) in [
        ("DISCOVER", &discover),
        ("REQUEST", &request),
        ("ACK", &ack_bytes),
    ] {
        let ns = measure(|| {
            black_box(Repr::parse(black_box(bytes)).ok());
        });
        // `name value` lines, the form scripts/bench.sh collects.
        println!("codec.decode_ns_{name}_{}B {ns:.1}", bytes.len());
        let repr = Repr::parse(bytes).expect("golden parses");
        let ns = measure(|| {
            out.clear();
            black_box(repr.emit_into(&mut out, DEFAULT_MAX_MESSAGE).ok());
        });
        println!("codec.encode_ns_{name}_{}B {ns:.1}", out.len());
    }
}
