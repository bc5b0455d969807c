//! Lease state shared by the DHCP core, the journal and (later) failover.
//!
//! Binding states use the draft-ietf-dhc-failover-12 §4.2.1 codes so the journal and the
//! failover wire speak one vocabulary.

use core::net::Ipv4Addr;

use crate::time::Secs;

pub mod pool;
pub mod table;

/// Binding state of an address (draft-12 binding-status codes; `Offered` never hits disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BindingState {
    Free = 1,
    Active = 2,
    Expired = 3,
    Released = 4,
    /// Declined or found in use: quarantined until `end`.
    Abandoned = 5,
    Reset = 6,
    Backup = 7,
}

impl BindingState {
    pub fn from_u8(v: u8) -> Option<BindingState> {
        Some(match v {
            1 => BindingState::Free,
            2 => BindingState::Active,
            3 => BindingState::Expired,
            4 => BindingState::Released,
            5 => BindingState::Abandoned,
            6 => BindingState::Reset,
            7 => BindingState::Backup,
            _ => return None,
        })
    }

    /// Who may hand the address out next (draft-12 §5.4): FREE belongs to the primary, BACKUP
    /// to the secondary (without failover the one server owns every free address); a bound,
    /// quarantined or not-yet-acknowledged address belongs to nobody until it is free again.
    pub fn owner(self) -> &'static str {
        match self {
            BindingState::Free => "primary",
            BindingState::Backup => "secondary",
            BindingState::Active => "client",
            _ => "none",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BindingState::Free => "free",
            BindingState::Active => "active",
            BindingState::Expired => "expired",
            BindingState::Released => "released",
            BindingState::Abandoned => "abandoned",
            BindingState::Reset => "reset",
            BindingState::Backup => "backup",
        }
    }
}

/// One address binding: the unit the journal persists (last record per address wins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub addr: Ipv4Addr,
    pub state: BindingState,
    /// Client identifier (option 61) if the client sent one, else empty.
    pub client_id: Vec<u8>,
    /// Hardware type (htype) of `chaddr`.
    pub htype: u8,
    /// Client hardware address (first hlen bytes of chaddr, at most 16).
    pub chaddr: Vec<u8>,
    /// Host name (option 12) as sent by the client, may be empty.
    pub hostname: Vec<u8>,
    /// Lease start, Unix seconds.
    pub start: Secs,
    /// Lease end (or quarantine end for `Abandoned`), Unix seconds.
    pub end: Secs,
    /// Client last transaction time (draft-12 CLTT), Unix seconds.
    pub cltt: Secs,
    /// Failover: lease end the partner has acknowledged (draft-12 "ACK'd potential expiry").
    pub partner_end: Secs,
    /// Failover: potential expiration time we last sent to the partner.
    pub sent_end: Secs,
    /// Failover: binding state last sent to / received from the partner (0 = none).
    pub fo_flags: u8,
}

impl Lease {
    /// A fresh, unbound lease record for `addr`.
    pub fn free(addr: Ipv4Addr) -> Lease {
        Lease {
            addr,
            state: BindingState::Free,
            client_id: Vec::new(),
            htype: 1,
            chaddr: Vec::new(),
            hostname: Vec::new(),
            start: 0,
            end: 0,
            cltt: 0,
            partner_end: 0,
            sent_end: 0,
            fo_flags: 0,
        }
    }
}

/// How a client is identified: option 61 if present, else (htype, chaddr) (RFC 2131 §4.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientKey {
    ClientId(Vec<u8>),
    Hw(u8, Vec<u8>),
}

impl ClientKey {
    pub fn of(client_id: &[u8], htype: u8, chaddr: &[u8]) -> ClientKey {
        if client_id.is_empty() {
            ClientKey::Hw(htype, chaddr.to_vec())
        } else {
            ClientKey::ClientId(client_id.to_vec())
        }
    }
}

/// A borrowed client key, for hashing and comparing without copying the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKeyRef<'a> {
    ClientId(&'a [u8]),
    Hw(u8, &'a [u8]),
}

impl<'a> ClientKeyRef<'a> {
    pub fn of_lease(l: &'a Lease) -> ClientKeyRef<'a> {
        if l.client_id.is_empty() {
            ClientKeyRef::Hw(l.htype, &l.chaddr)
        } else {
            ClientKeyRef::ClientId(&l.client_id)
        }
    }
}

impl Lease {
    /// Is this binding the client's? Compares in place: it runs several times per packet.
    pub fn belongs_to(&self, key: &ClientKey) -> bool {
        ClientKeyRef::of_lease(self) == key.as_ref()
    }
}

impl ClientKey {
    pub fn as_ref(&self) -> ClientKeyRef<'_> {
        match self {
            ClientKey::ClientId(c) => ClientKeyRef::ClientId(c),
            ClientKey::Hw(t, h) => ClientKeyRef::Hw(*t, h),
        }
    }
}

/// Hex with colons, as operators read MAC addresses and client ids.
pub fn hex_colon(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{x:02x}"));
    }
    s
}
