//! Reply construction: option assembly in parameter-request-list order and the RFC 2131 §4.1
//! destination rules.

use core::net::{Ipv4Addr, SocketAddrV4};

use crate::config::OptionList;
use crate::wire::dhcpv4::{options as opt, MessageType, Repr};

/// Where a reply goes (RFC 2131 §4.1, "server behaviour" table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dest {
    /// Ordinary unicast to address:port (relay on 67, or a client that has an address on 68).
    Unicast(SocketAddrV4),
    /// Limited broadcast 255.255.255.255:68 on the ingress interface.
    Broadcast,
    /// Unicast to a client that has no address yet: the reactor must put `ip -> chaddr` in the
    /// ARP cache first (the client cannot answer ARP), or fall back to broadcast.
    Hardware {
        ip: Ipv4Addr,
        htype: u8,
        chaddr: Vec<u8>,
    },
}

/// A reply ready to encode and send.
#[derive(Clone, Debug)]
pub struct Reply {
    pub repr: Repr,
    pub dest: Dest,
    /// Largest DHCP message the client accepts (option 57 less IP/UDP headers, RFC 2132 §9.10).
    pub max_len: usize,
}

pub const CLIENT_PORT: u16 = 68;
pub const SERVER_PORT: u16 = 67;

/// RFC 2131 §4.1: giaddr first, then NAKs broadcast, then ciaddr, then the broadcast bit,
/// then unicast to yiaddr by hardware address.
pub fn destination(req: &Repr, kind: Option<MessageType>, yiaddr: Ipv4Addr) -> Dest {
    if !req.giaddr.is_unspecified() {
        return Dest::Unicast(SocketAddrV4::new(req.giaddr, SERVER_PORT));
    }
    if kind == Some(MessageType::Nak) {
        return Dest::Broadcast;
    }
    if !req.ciaddr.is_unspecified() {
        return Dest::Unicast(SocketAddrV4::new(req.ciaddr, CLIENT_PORT));
    }
    if req.is_broadcast() || yiaddr.is_unspecified() || req.hw_addr().is_empty() {
        return Dest::Broadcast;
    }
    Dest::Hardware {
        ip: yiaddr,
        htype: req.htype,
        chaddr: req.hw_addr().to_vec(),
    }
}

/// Max reply size: option 57 clamped to [576, 1500] minus 28 bytes of IP and UDP header.
pub fn max_len(req: &Repr) -> usize {
    let m = req.max_message_size().map(usize::from).unwrap_or(576);
    m.clamp(576, 1500) - 28
}

/// Layers of configured options; a later layer overrides an earlier one by code.
pub struct OptionLayers<'a> {
    pub layers: [&'a OptionList; 3],
    /// Scope's subnet mask, sent when not configured explicitly.
    pub netmask: Ipv4Addr,
}

impl OptionLayers<'_> {
    fn get(&self, code: u8) -> Option<&[u8]> {
        for l in self.layers.iter().rev() {
            if let Some((_, v)) = l.iter().find(|(c, _)| *c == code) {
                return Some(v);
            }
        }
        None
    }

    /// Configured options for a reply. With a parameter request list: the requested ones in the
    /// client's order (RFC 2131 §4.3.1 "SHOULD ... in the order requested"); without one (BOOTP,
    /// minimal clients): every configured option, in config order, mask first.
    pub fn append_to(&self, r: &mut Repr, prl: &[u8]) {
        let mask = self.netmask.octets();
        if prl.is_empty() {
            if self.get(opt::SUBNET_MASK).is_none() {
                r.set_option(opt::SUBNET_MASK, mask);
            }
            for (i, l) in self.layers.iter().enumerate() {
                for (c, _) in l.iter() {
                    let shadowed = self
                        .layers
                        .iter()
                        .skip(i + 1)
                        .any(|h| h.iter().any(|(hc, _)| hc == c));
                    if !shadowed && r.option(*c).is_none() {
                        if let Some(v) = self.get(*c) {
                            r.set_option(*c, v);
                        }
                    }
                }
            }
            return;
        }
        for &c in prl {
            if r.option(c).is_some() || is_managed(c) {
                continue;
            }
            if let Some(v) = self.get(c) {
                r.set_option(c, v);
            } else if c == opt::SUBNET_MASK {
                r.set_option(c, mask);
            }
        }
    }
}

/// Options the server sets itself, never from config.
fn is_managed(code: u8) -> bool {
    matches!(code, 0 | 50..=59 | 61 | 82 | 255)
}
