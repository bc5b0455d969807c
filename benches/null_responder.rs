//! The floor for `make bench`: a "server" that does nothing but answer. It receives a relayed
//! DISCOVER or REQUEST on port 67 and sends back a prepared OFFER or ACK to the relay (giaddr,
//! port 67), with only xid, chaddr, giaddr and yiaddr patched in. No lease state, no storage,
//! no option parsing beyond the message type. One blocking recvfrom and one sendto per packet,
//! as a minimal single-threaded server would do: whatever a real server costs above this is its
//! own work.
//!
//!     null_responder --bind 198.18.0.1 [--max-secs 1800]
//!
//! yiaddr is 198.18.128.0 + the low 16 bits of chaddr, i.e. the loadgen client number, so a
//! client keeps its address across exchanges (and renewals find it bound). Exits after
//! --max-secs (SIGALRM) so a forgotten instance cannot live on.

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};

const COOKIE: [u8; 4] = [99, 130, 83, 99];
const POOL_BASE: u32 = u32::from_be_bytes([198, 18, 128, 0]);

/// A 300-byte reply with message type, server id, lease time, mask and router already in.
fn template(kind: u8, server: Ipv4Addr) -> [u8; 300] {
    let mut b = [0u8; 300];
    b[0] = 2; // BOOTREPLY
    b[1] = 1;
    b[2] = 6;
    b[236..240].copy_from_slice(&COOKIE);
    let s = server.octets();
    let opts: [u8; 28] = [
        53, 1, kind, // message type
        54, 4, s[0], s[1], s[2], s[3], // server identifier
        51, 4, 0, 0, 0x0e, 0x10, // lease time 3600
        1, 4, 255, 254, 0, 0, // subnet mask /15
        3, 4, s[0], s[1], s[2], s[3], // router
        255,
    ];
    b[240..240 + opts.len()].copy_from_slice(&opts);
    b
}

fn main() {
    let mut bind = Ipv4Addr::new(198, 18, 0, 1);
    let mut max_secs: u32 = 1800;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_default();
        match k.as_str() {
            "--bind" => bind = v.parse().expect("--bind IPv4"),
            "--max-secs" => max_secs = v.parse().expect("--max-secs N"),
            _ => {
                eprintln!("usage: null_responder --bind IP [--max-secs N]");
                std::process::exit(64);
            }
        }
    }
    // SAFETY: alarm has no preconditions; the default SIGALRM action ends the process.
    unsafe { libc::alarm(max_secs) };
    let sock = UdpSocket::bind(SocketAddrV4::new(bind, 67)).expect("bind port 67");
    let offer = template(2, bind);
    let ack = template(5, bind);
    let mut rx = [0u8; 1536];
    eprintln!("null_responder: ready on {bind}:67");
    loop {
        let Ok((n, _src)) = sock.recv_from(&mut rx) else {
            continue;
        };
        let Some(req) = rx.get(..n) else { continue };
        // BOOTREQUEST with the magic cookie and option 53 first, as loadgen sends it.
        if n < 243 || req[0] != 1 || req[236..240] != COOKIE || req[240] != 53 {
            continue;
        }
        let mut out = match req[242] {
            1 => offer,
            3 => ack,
            _ => continue,
        };
        out[4..8].copy_from_slice(&req[4..8]); // xid
        out[24..28].copy_from_slice(&req[24..28]); // giaddr
        out[28..44].copy_from_slice(&req[28..44]); // chaddr
        let idx = u32::from(u16::from_be_bytes([req[32], req[33]]));
        out[16..20].copy_from_slice(&(POOL_BASE + idx).to_be_bytes());
        let giaddr = Ipv4Addr::new(req[24], req[25], req[26], req[27]);
        if giaddr.is_unspecified() {
            continue;
        }
        let _ = sock.send_to(&out, SocketAddrV4::new(giaddr, 67));
    }
}
