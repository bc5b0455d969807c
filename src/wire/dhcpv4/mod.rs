//! DHCPv4 / BOOTP message codec (RFC 2131 §2, RFC 2132, RFC 3396, RFC 951).
//!
//! `Repr::parse` accepts any byte slice and either returns an owned representation or an
//! `Error`; it never panics. Options are kept in order of first appearance; an option that
//! appears several times (RFC 3396 long option) or is split across the options field and the
//! overloaded `file`/`sname` fields (option 52) is concatenated into one entry. Unknown
//! option codes are kept verbatim and re-emitted byte-exact.

pub mod options;

use std::net::Ipv4Addr;

use super::Error;

/// The BOOTP fixed header is 236 bytes, followed by the 4-byte magic cookie.
pub const HEADER_LEN: usize = 236;
/// RFC 2131 §3: magic cookie 99.130.83.99.
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// RFC 1542 §3.3 / folklore: many BOOTP relays and clients drop replies shorter than 300 bytes.
pub const BOOTP_MIN_LEN: usize = 300;
/// RFC 2131 §2: every client must accept 576-byte IP datagrams, i.e. 548 bytes of DHCP.
pub const DEFAULT_MAX_MESSAGE: usize = 576 - 28;

pub const OP_BOOTREQUEST: u8 = 1;
pub const OP_BOOTREPLY: u8 = 2;
/// RFC 2131 §2 flags: broadcast bit.
pub const FLAG_BROADCAST: u16 = 0x8000;

/// DHCP message type (option 53), RFC 2132 §9.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageType {
    Discover,
    Offer,
    Request,
    Decline,
    Ack,
    Nak,
    Release,
    Inform,
    Other(u8),
}

impl MessageType {
    pub fn from_u8(v: u8) -> MessageType {
        match v {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            x => MessageType::Other(x),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            MessageType::Discover => 1,
            MessageType::Offer => 2,
            MessageType::Request => 3,
            MessageType::Decline => 4,
            MessageType::Ack => 5,
            MessageType::Nak => 6,
            MessageType::Release => 7,
            MessageType::Inform => 8,
            MessageType::Other(x) => x,
        }
    }

    /// Upper-case name as in RFC 2131 and in tshark/dnsmasq logs.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Discover => "DHCPDISCOVER",
            MessageType::Offer => "DHCPOFFER",
            MessageType::Request => "DHCPREQUEST",
            MessageType::Decline => "DHCPDECLINE",
            MessageType::Ack => "DHCPACK",
            MessageType::Nak => "DHCPNAK",
            MessageType::Release => "DHCPRELEASE",
            MessageType::Inform => "DHCPINFORM",
            MessageType::Other(_) => "DHCP?",
        }
    }
}

/// One option: code and its (possibly concatenated, RFC 3396) data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpOption {
    pub code: u8,
    pub data: Vec<u8>,
}

/// Owned, parsed DHCPv4/BOOTP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repr {
    pub op: u8,
    pub htype: u8,
    pub hlen: u8,
    pub hops: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    /// Client IP address (filled by a client in BOUND/RENEW/REBINDING).
    pub ciaddr: Ipv4Addr,
    /// "Your" (client) IP address, set by the server.
    pub yiaddr: Ipv4Addr,
    /// Next server (TFTP) address.
    pub siaddr: Ipv4Addr,
    /// Relay agent IP address.
    pub giaddr: Ipv4Addr,
    /// Client hardware address, all 16 bytes as on the wire.
    pub chaddr: [u8; 16],
    /// Server host name field (64 bytes on the wire), without trailing zeros; empty when the
    /// field was overloaded with options.
    pub sname: Vec<u8>,
    /// Boot file name field (128 bytes on the wire), without trailing zeros; empty when the
    /// field was overloaded with options.
    pub file: Vec<u8>,
    /// False for a plain BOOTP message (no magic cookie / no options area).
    pub has_cookie: bool,
    /// Options in order of first appearance, excluding PAD, END and overload (52).
    pub options: Vec<DhcpOption>,
}

// TEMPORARY accessors until the codec lands (replaced on merge).
impl Repr {
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.data.as_slice())
    }
    pub fn set_option(&mut self, code: u8, data: Vec<u8>) {
        if let Some(o) = self.options.iter_mut().find(|o| o.code == code) {
            o.data = data;
        } else {
            self.options.push(DhcpOption { code, data });
        }
    }
    pub fn remove_option(&mut self, code: u8) {
        self.options.retain(|o| o.code != code);
    }
    pub fn message_type(&self) -> Option<MessageType> {
        self.option(53)
            .and_then(|d| d.first())
            .map(|&b| MessageType::from_u8(b))
    }
    fn ip_opt(&self, c: u8) -> Option<Ipv4Addr> {
        let d = self.option(c)?;
        let b: [u8; 4] = d.try_into().ok()?;
        Some(Ipv4Addr::from(b))
    }
    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.ip_opt(50)
    }
    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.ip_opt(54)
    }
    pub fn client_id(&self) -> Option<&[u8]> {
        self.option(61).filter(|d| !d.is_empty())
    }
    pub fn max_message_size(&self) -> Option<u16> {
        let d = self.option(57)?;
        let b: [u8; 2] = d.try_into().ok()?;
        Some(u16::from_be_bytes(b))
    }
    pub fn parameter_request_list(&self) -> &[u8] {
        self.option(55).unwrap_or(&[])
    }
    pub fn hostname(&self) -> Option<&[u8]> {
        self.option(12)
    }
    pub fn relay_agent_info(&self) -> Option<&[u8]> {
        self.option(82)
    }
    pub fn hw_addr(&self) -> &[u8] {
        self.chaddr
            .get(..usize::from(self.hlen.min(16)))
            .unwrap_or(&[])
    }
    pub fn is_broadcast(&self) -> bool {
        self.flags & FLAG_BROADCAST != 0
    }
    pub fn reply_to(req: &Repr) -> Repr {
        Repr {
            op: OP_BOOTREPLY,
            htype: req.htype,
            hlen: req.hlen,
            hops: 0,
            xid: req.xid,
            secs: 0,
            flags: req.flags,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: req.giaddr,
            chaddr: req.chaddr,
            sname: Vec::new(),
            file: Vec::new(),
            has_cookie: req.has_cookie,
            options: Vec::new(),
        }
    }
}
// TEMPORARY
impl Repr {
    pub fn parse(_b: &[u8]) -> Result<Repr, Error> {
        Err(Error::Malformed("codec not merged"))
    }
    pub fn emit_into(&self, _o: &mut Vec<u8>, _m: usize) -> Result<(), Error> {
        Err(Error::TooLong("codec not merged"))
    }
}
