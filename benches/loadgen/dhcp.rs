//! Just enough DHCPv4 for a relay-mode load generator: build DISCOVER/REQUEST (selecting and
//! renewing) into a fixed 300-byte buffer, and pick xid, message type, yiaddr and server id out
//! of a reply. Deliberately independent of the server's own codec, so a codec bug cannot hide
//! itself in the benchmark.

use crate::sys::REQ_LEN;

pub const DISCOVER: u8 = 1;
pub const OFFER: u8 = 2;
pub const REQUEST: u8 = 3;
pub const ACK: u8 = 5;
pub const NAK: u8 = 6;

const COOKIE: [u8; 4] = [99, 130, 83, 99];

/// Client hardware address for client number `idx`: locally administered (02:...), with a
/// per-run tag so two runs never look like the same clients to a server that kept state.
pub fn chaddr(idx: u32, tag: u8) -> [u8; 6] {
    let i = idx.to_be_bytes();
    [0x02, 0xbe, tag, i[1], i[2], i[3]]
}

/// What to put in a request.
pub struct Req {
    pub kind: u8,
    pub xid: u32,
    pub chaddr: [u8; 6],
    pub giaddr: u32,
    pub ciaddr: u32,
    /// Option 50 (requested IP), 0 = absent.
    pub requested: u32,
    /// Option 54 (server identifier), 0 = absent.
    pub server_id: u32,
}

pub fn build(buf: &mut [u8; REQ_LEN], r: &Req) {
    buf.fill(0);
    buf[0] = 1; // BOOTREQUEST
    buf[1] = 1; // Ethernet
    buf[2] = 6;
    buf[3] = 1; // hops: one relay (us)
    buf[4..8].copy_from_slice(&r.xid.to_be_bytes());
    buf[12..16].copy_from_slice(&r.ciaddr.to_be_bytes());
    buf[24..28].copy_from_slice(&r.giaddr.to_be_bytes());
    buf[28..34].copy_from_slice(&r.chaddr);
    buf[236..240].copy_from_slice(&COOKIE);
    let mut o = 240;
    let mut put = |b: &[u8]| {
        buf[o..o + b.len()].copy_from_slice(b);
        o += b.len();
    };
    put(&[53, 1, r.kind]);
    if r.requested != 0 {
        put(&[50, 4]);
        put(&r.requested.to_be_bytes());
    }
    if r.server_id != 0 {
        put(&[54, 4]);
        put(&r.server_id.to_be_bytes());
    }
    // A typical client's parameter request list: mask, router, DNS, domain, lease time.
    put(&[55, 5, 1, 3, 6, 15, 51]);
    put(&[255]);
}

pub struct Reply {
    pub xid: u32,
    pub kind: u8,
    pub yiaddr: u32,
    pub server_id: u32,
}

/// Parses a BOOTREPLY; None for anything else or anything malformed.
pub fn parse(b: &[u8]) -> Option<Reply> {
    if b.len() < 240 || b[0] != 2 || b[236..240] != COOKIE {
        return None;
    }
    let be = |s: &[u8]| u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
    let mut r = Reply {
        xid: be(&b[4..8]),
        kind: 0,
        yiaddr: be(&b[16..20]),
        server_id: 0,
    };
    let mut i = 240;
    // Bounded by the packet length; each step advances at least one byte.
    while i < b.len() {
        let code = b[i];
        if code == 0 {
            i += 1;
            continue;
        }
        if code == 255 || i + 1 >= b.len() {
            break;
        }
        let len = b[i + 1] as usize;
        let v = b.get(i + 2..i + 2 + len)?;
        match (code, len) {
            (53, 1) => r.kind = v[0],
            (54, 4) => r.server_id = be(v),
            _ => {}
        }
        i += 2 + len;
    }
    (r.kind != 0).then_some(r)
}
