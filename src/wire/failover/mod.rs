//! DHCPv4 failover message codec (draft-ietf-dhc-failover-12 §6, as ISC dhcpd 4.4.3 speaks it).
//!
//! Layout (digest §1.2, all big-endian): `length(2) type(1) payload-offset(1) time(4) xid(4)`,
//! then `payload-offset - 12` extra header bytes (skipped), then options as
//! `code(2) length(2) data`. No magic cookie.
//!
//! Parse contract (`Message::parse`, never panics):
//! - the input is exactly one message: the length field must equal the input length and lie in
//!   12..=2048 (draft-12 §6.1), else `Malformed`/`Truncated`;
//! - payload offset ≥ 12 is accepted (extra header bytes skipped); 8 (what Microsoft sends,
//!   per Wireshark) is read as 12; anything else is `Malformed`;
//! - an option running past the end is `Truncated`;
//! - an option code appearing twice is `Malformed` (ISC treats it as a protocol error and
//!   drops the connection, digest §1.3);
//! - a known fixed-size option with the wrong length is `Malformed` (digest §3; IP-flags also
//!   accepts Microsoft's 1-byte form);
//! - unknown codes are kept verbatim, in order, and re-emitted byte-exact.
//!
//! Emit contract (`Message::emit`): payload offset 12, options in `options` order; `TooLong` if
//! the message would exceed 2048 bytes or an option exceeds 65535 bytes. Emitting never checks
//! duplicates or fixed lengths: `set_*` keep at most one of each code, and a `Message` built
//! by `parse` is already valid, so `parse(emit(m)) == m` for every parsed `m`.

#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod framer;

use core::net::Ipv4Addr;
use std::fmt;

use super::cursor::{Reader, Writer};
use super::Error;

pub use framer::Deframer;

/// Fixed header length; also the only payload offset we send (digest §1.2).
pub const HEADER_LEN: usize = 12;
/// draft-12 §6.1: messages are 12..=2048 bytes including the length field.
pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 2048;

/// Failover option codes (draft-12 §12 numbering = ISC 3.1+, digest §3).
pub mod code {
    pub const ADDRESSES_TRANSFERRED: u16 = 1;
    pub const ASSIGNED_IP_ADDRESS: u16 = 2;
    pub const BINDING_STATUS: u16 = 3;
    pub const CLIENT_IDENTIFIER: u16 = 4;
    pub const CLIENT_HARDWARE_ADDRESS: u16 = 5;
    pub const CLIENT_LAST_TRANSACTION_TIME: u16 = 6;
    pub const CLIENT_REPLY_OPTIONS: u16 = 7;
    pub const CLIENT_REQUEST_OPTIONS: u16 = 8;
    pub const DDNS: u16 = 9;
    pub const DELAYED_SERVICE_PARAMETER: u16 = 10;
    pub const HASH_BUCKET_ASSIGNMENT: u16 = 11;
    pub const IP_FLAGS: u16 = 12;
    pub const LEASE_EXPIRATION_TIME: u16 = 13;
    pub const MAX_UNACKED_BNDUPD: u16 = 14;
    pub const MCLT: u16 = 15;
    pub const MESSAGE: u16 = 16;
    pub const MESSAGE_DIGEST: u16 = 17;
    pub const POTENTIAL_EXPIRATION_TIME: u16 = 18;
    pub const RECEIVE_TIMER: u16 = 19;
    pub const PROTOCOL_VERSION: u16 = 20;
    pub const REJECT_REASON: u16 = 21;
    pub const RELATIONSHIP_NAME: u16 = 22;
    pub const SERVER_FLAGS: u16 = 23;
    pub const SERVER_STATE: u16 = 24;
    pub const START_TIME_OF_STATE: u16 = 25;
    pub const TLS_REPLY: u16 = 26;
    pub const TLS_REQUEST: u16 = 27;
    pub const VENDOR_CLASS_IDENTIFIER: u16 = 28;
    pub const VENDOR_SPECIFIC_OPTIONS: u16 = 29;
}

/// Length rule for a known option code (digest §3 "Length (ISC-enforced)").
fn length_ok(code: u16, len: usize) -> bool {
    match code {
        code::ADDRESSES_TRANSFERRED
        | code::ASSIGNED_IP_ADDRESS
        | code::CLIENT_LAST_TRANSACTION_TIME
        | code::LEASE_EXPIRATION_TIME
        | code::MAX_UNACKED_BNDUPD
        | code::MCLT
        | code::POTENTIAL_EXPIRATION_TIME
        | code::RECEIVE_TIMER
        | code::START_TIME_OF_STATE => len == 4,
        code::BINDING_STATUS
        | code::DELAYED_SERVICE_PARAMETER
        | code::PROTOCOL_VERSION
        | code::REJECT_REASON
        | code::SERVER_FLAGS
        | code::SERVER_STATE
        | code::TLS_REPLY
        | code::TLS_REQUEST => len == 1,
        // ISC sends and requires 2; Microsoft sends 1 (Wireshark). Both are readable.
        code::IP_FLAGS => len == 1 || len == 2,
        // u16 flags + FQDN.
        code::DDNS => len >= 2,
        _ => true,
    }
}

/// Message types (draft-12 §6.1 / digest §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    PoolReq,
    PoolResp,
    BndUpd,
    BndAck,
    Connect,
    ConnectAck,
    UpdReqAll,
    UpdDone,
    UpdReq,
    State,
    Contact,
    Disconnect,
    Unknown(u8),
}

impl MessageType {
    pub fn from_u8(v: u8) -> MessageType {
        match v {
            1 => MessageType::PoolReq,
            2 => MessageType::PoolResp,
            3 => MessageType::BndUpd,
            4 => MessageType::BndAck,
            5 => MessageType::Connect,
            6 => MessageType::ConnectAck,
            7 => MessageType::UpdReqAll,
            8 => MessageType::UpdDone,
            9 => MessageType::UpdReq,
            10 => MessageType::State,
            11 => MessageType::Contact,
            12 => MessageType::Disconnect,
            x => MessageType::Unknown(x),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            MessageType::PoolReq => 1,
            MessageType::PoolResp => 2,
            MessageType::BndUpd => 3,
            MessageType::BndAck => 4,
            MessageType::Connect => 5,
            MessageType::ConnectAck => 6,
            MessageType::UpdReqAll => 7,
            MessageType::UpdDone => 8,
            MessageType::UpdReq => 9,
            MessageType::State => 10,
            MessageType::Contact => 11,
            MessageType::Disconnect => 12,
            MessageType::Unknown(x) => x,
        }
    }
}

impl From<u8> for MessageType {
    fn from(v: u8) -> MessageType {
        MessageType::from_u8(v)
    }
}

impl fmt::Display for MessageType {
    /// The draft's uppercase names, as tshark and ISC print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            MessageType::PoolReq => "POOLREQ",
            MessageType::PoolResp => "POOLRESP",
            MessageType::BndUpd => "BNDUPD",
            MessageType::BndAck => "BNDACK",
            MessageType::Connect => "CONNECT",
            MessageType::ConnectAck => "CONNECTACK",
            MessageType::UpdReqAll => "UPDREQALL",
            MessageType::UpdDone => "UPDDONE",
            MessageType::UpdReq => "UPDREQ",
            MessageType::State => "STATE",
            MessageType::Contact => "CONTACT",
            MessageType::Disconnect => "DISCONNECT",
            MessageType::Unknown(x) => return write!(f, "UNKNOWN({x})"),
        };
        f.write_str(s)
    }
}

/// One failover option (TLV), data kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoOption {
    pub code: u16,
    pub data: Vec<u8>,
}

/// One failover message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub msg_type: MessageType,
    /// Sender's clock, Unix seconds (draft-12 §6.1).
    pub time: u32,
    /// Transaction id; replies copy the request's.
    pub xid: u32,
    pub options: Vec<FoOption>,
}

impl Message {
    pub fn new(msg_type: MessageType, time: u32, xid: u32) -> Message {
        Message {
            msg_type,
            time,
            xid,
            options: Vec::new(),
        }
    }

    /// Parses exactly one whole message (see the module contract).
    pub fn parse(buf: &[u8]) -> Result<Message, Error> {
        let mut r = Reader::new(buf);
        let len = r.u16().ok_or(Error::Truncated("length"))? as usize;
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            return Err(Error::Malformed("length"));
        }
        if len != buf.len() {
            return Err(if len > buf.len() {
                Error::Truncated("message")
            } else {
                Error::Malformed("length")
            });
        }
        let msg_type = MessageType::from_u8(r.u8().ok_or(Error::Truncated("type"))?);
        let poff = r.u8().ok_or(Error::Truncated("payload offset"))? as usize;
        let time = r.u32().ok_or(Error::Truncated("time"))?;
        let xid = r.u32().ok_or(Error::Truncated("xid"))?;
        // Microsoft sends 8 but means the 12-byte header (digest §1.2).
        let extra = match poff {
            8 => 0,
            p if p >= HEADER_LEN => p - HEADER_LEN,
            _ => return Err(Error::Malformed("payload offset")),
        };
        r.take(extra).ok_or(Error::Truncated("payload offset"))?;

        let mut options = Vec::new();
        while !r.is_empty() {
            let code = r.u16().ok_or(Error::Truncated("option code"))?;
            let olen = r.u16().ok_or(Error::Truncated("option length"))? as usize;
            let data = r.take(olen).ok_or(Error::Truncated("option data"))?;
            if !length_ok(code, olen) {
                return Err(Error::Malformed("option length"));
            }
            options.push(FoOption {
                code,
                data: data.to_vec(),
            });
        }
        // One of each code per message (digest §1.3); sort a copy of the codes to find repeats.
        let mut codes: Vec<u16> = options.iter().map(|o| o.code).collect();
        codes.sort_unstable();
        if codes.windows(2).any(|w| w.first() == w.get(1)) {
            return Err(Error::Malformed("duplicate option"));
        }
        Ok(Message {
            msg_type,
            time,
            xid,
            options,
        })
    }

    /// Encoded length, without checking limits.
    pub fn buffer_len(&self) -> usize {
        self.options.iter().fold(HEADER_LEN, |n, o| {
            n.saturating_add(4).saturating_add(o.data.len())
        })
    }

    /// Encodes with payload offset 12 (see the module contract).
    pub fn emit(&self) -> Result<Vec<u8>, Error> {
        let len = self.buffer_len();
        if len > MAX_LEN {
            return Err(Error::TooLong("message"));
        }
        let mut out = Vec::with_capacity(len);
        out.put_u16(len as u16);
        out.put_u8(self.msg_type.to_u8());
        out.put_u8(HEADER_LEN as u8);
        out.put_u32(self.time);
        out.put_u32(self.xid);
        for o in &self.options {
            let olen = u16::try_from(o.data.len()).map_err(|_| Error::TooLong("option"))?;
            out.put_u16(o.code);
            out.put_u16(olen);
            out.put_slice(&o.data);
        }
        Ok(out)
    }

    /// Raw data of option `code`.
    pub fn get(&self, code: u16) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.data.as_slice())
    }

    pub fn has(&self, code: u16) -> bool {
        self.get(code).is_some()
    }

    /// Same as `get`, named for symmetry with the other typed getters.
    pub fn bytes(&self, code: u16) -> Option<&[u8]> {
        self.get(code)
    }

    /// A 1-byte option.
    pub fn u8(&self, code: u16) -> Option<u8> {
        match self.get(code)? {
            [b] => Some(*b),
            _ => None,
        }
    }

    /// A 2-byte option; a 1-byte value (Microsoft's IP-flags) is widened.
    pub fn u16(&self, code: u16) -> Option<u16> {
        match self.get(code)? {
            [a, b] => Some(u16::from_be_bytes([*a, *b])),
            [b] => Some(u16::from(*b)),
            _ => None,
        }
    }

    /// A 4-byte option.
    pub fn u32(&self, code: u16) -> Option<u32> {
        let d: [u8; 4] = self.get(code)?.try_into().ok()?;
        Some(u32::from_be_bytes(d))
    }

    pub fn ip(&self, code: u16) -> Option<Ipv4Addr> {
        self.u32(code).map(Ipv4Addr::from)
    }

    /// Replaces option `code` (keeping its position) or appends it.
    pub fn set_bytes(&mut self, code: u16, data: &[u8]) -> &mut Message {
        if let Some(o) = self.options.iter_mut().find(|o| o.code == code) {
            o.data = data.to_vec();
        } else {
            self.options.push(FoOption {
                code,
                data: data.to_vec(),
            });
        }
        self
    }

    pub fn set_u8(&mut self, code: u16, v: u8) -> &mut Message {
        self.set_bytes(code, &[v])
    }

    pub fn set_u16(&mut self, code: u16, v: u16) -> &mut Message {
        self.set_bytes(code, &v.to_be_bytes())
    }

    pub fn set_u32(&mut self, code: u16, v: u32) -> &mut Message {
        self.set_bytes(code, &v.to_be_bytes())
    }

    pub fn set_ip(&mut self, code: u16, v: Ipv4Addr) -> &mut Message {
        self.set_bytes(code, &v.octets())
    }

    /// Removes option `code`; true if it was there.
    pub fn remove(&mut self, code: u16) -> bool {
        let before = self.options.len();
        self.options.retain(|o| o.code != code);
        self.options.len() != before
    }
}

/// Where option `code`'s data lies in an encoded message: `(offset, len)` into `raw`.
///
/// Walks the raw TLVs (honouring the payload offset like `parse`); `None` if the message is
/// malformed or the option is absent. Used by message authentication, which works on the
/// bytes as received.
pub fn find_option(raw: &[u8], code: u16) -> Option<(usize, usize)> {
    let mut r = Reader::new(raw);
    r.take(3)?;
    let poff = r.u8()? as usize;
    let start = if poff == 8 { HEADER_LEN } else { poff };
    if start < HEADER_LEN {
        return None;
    }
    let mut r = Reader::new(raw);
    r.take(start)?;
    while !r.is_empty() {
        let c = r.u16()?;
        let len = r.u16()? as usize;
        let at = raw.len() - r.len();
        r.take(len)?;
        if c == code {
            return Some((at, len));
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn sample() -> Message {
        let mut m = Message::new(MessageType::State, 1_700_000_000, 7);
        m.set_u8(code::SERVER_STATE, 2)
            .set_u8(code::SERVER_FLAGS, 0)
            .set_u32(code::START_TIME_OF_STATE, 1_700_000_000);
        m
    }

    #[test]
    fn roundtrip_and_getters() {
        let m = sample();
        let b = m.emit().unwrap();
        assert_eq!(b.len(), 12 + 5 + 5 + 8);
        assert_eq!(&b[..4], &[0, 30, 10, 12]);
        let p = Message::parse(&b).unwrap();
        assert_eq!(p, m);
        assert_eq!(p.u8(code::SERVER_STATE), Some(2));
        assert_eq!(p.u32(code::START_TIME_OF_STATE), Some(1_700_000_000));
        assert_eq!(p.u32(code::SERVER_STATE), None);
        assert_eq!(p.msg_type.to_string(), "STATE");
    }

    #[test]
    fn duplicate_and_bad_length_rejected() {
        let mut b = sample().emit().unwrap();
        // Turn server-flags (23) into a second server-state (24).
        b[17 + 1] = 24;
        assert_eq!(
            Message::parse(&b),
            Err(Error::Malformed("duplicate option"))
        );
        let mut m = sample();
        m.set_bytes(code::SERVER_STATE, &[1, 2]);
        let b = m.emit().unwrap();
        assert_eq!(Message::parse(&b), Err(Error::Malformed("option length")));
    }

    #[test]
    fn header_rules() {
        let b = sample().emit().unwrap();
        assert!(Message::parse(&b[..b.len() - 1]).is_err());
        let mut longer = b.clone();
        longer.push(0);
        assert!(Message::parse(&longer).is_err());
        // Microsoft's payload offset 8 reads as 12.
        let mut ms = b.clone();
        ms[3] = 8;
        assert_eq!(Message::parse(&ms).unwrap(), sample());
        let mut bad = b.clone();
        bad[3] = 11;
        assert!(Message::parse(&bad).is_err());
        // Extra header bytes are skipped.
        let mut ext = b[..12].to_vec();
        ext[3] = 14;
        ext.extend_from_slice(&[0xaa, 0xbb]);
        ext.extend_from_slice(&b[12..]);
        let n = ext.len() as u16;
        ext[..2].copy_from_slice(&n.to_be_bytes());
        assert_eq!(Message::parse(&ext).unwrap(), sample());
        assert_eq!(find_option(&ext, code::SERVER_FLAGS), Some((14 + 5 + 4, 1)));
    }

    #[test]
    fn too_long_is_refused() {
        let mut m = sample();
        m.set_bytes(code::MESSAGE, &[b'x'; 2040]);
        assert_eq!(m.emit(), Err(Error::TooLong("message")));
    }

    #[test]
    fn unknown_type_and_codes_survive() {
        let mut m = Message::new(MessageType::Unknown(200), 1, 2);
        m.set_bytes(999, &[1, 2, 3]);
        let p = Message::parse(&m.emit().unwrap()).unwrap();
        assert_eq!(p, m);
        assert_eq!(MessageType::from_u8(7).to_string(), "UPDREQALL");
        for t in 1..=12u8 {
            assert_eq!(MessageType::from_u8(t).to_u8(), t);
        }
    }
}
