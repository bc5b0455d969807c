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

/// Client hardware address: at most 16 bytes (the size of DHCP's `chaddr`), kept inline so a
/// lease needs no allocation for it and comparing clients reads no other memory.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HwAddr {
    len: u8,
    /// Bytes past `len` stay zero, so the derived `Eq` and `Hash` see only the address.
    bytes: [u8; HwAddr::MAX],
}

impl HwAddr {
    pub const MAX: usize = 16;

    /// The first 16 bytes of `b`: a longer value cannot be a DHCP chaddr (the journal and the
    /// failover decoder reject or cut it before it gets here).
    pub fn new(b: &[u8]) -> HwAddr {
        let b = b.get(..HwAddr::MAX).unwrap_or(b);
        let mut bytes = [0u8; HwAddr::MAX];
        if let Some(dst) = bytes.get_mut(..b.len()) {
            dst.copy_from_slice(b);
        }
        HwAddr {
            len: b.len() as u8,
            bytes,
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl core::ops::Deref for HwAddr {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for HwAddr {
    fn from(b: &[u8]) -> HwAddr {
        HwAddr::new(b)
    }
}

impl core::fmt::Debug for HwAddr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.as_slice().fmt(f)
    }
}

/// Unix seconds as a lease keeps them: u32 lasts until 2106 and holds `INFINITE` (u32::MAX)
/// exactly; a later time saturates, which reads as infinite. The journal and the failover wire
/// still carry them as varints / u32, so nothing outside memory changes.
fn secs32(t: Secs) -> u32 {
    u32::try_from(t).unwrap_or(u32::MAX)
}

/// One address binding: the unit the journal persists (last record per address wins).
///
/// Compact on purpose (64 bytes, no allocation unless the client sent a client id or a host
/// name): a server keeps one per address for its whole life, tens of thousands of them on a
/// router with a few MiB to spare. Hence the inline hardware address, the u32 times behind
/// accessors and the two optional byte strings in one allocation.
#[derive(Clone, PartialEq, Eq)]
pub struct Lease {
    pub addr: Ipv4Addr,
    pub state: BindingState,
    /// Hardware type (htype) of `chaddr`.
    pub htype: u8,
    /// Client hardware address (first hlen bytes of chaddr, at most 16).
    pub chaddr: HwAddr,
    /// Failover: binding state last sent to / received from the partner (0 = none).
    pub fo_flags: u8,
    /// Client identifier followed by host name; `None` when both are empty (never `Some(empty)`,
    /// so the derived `Eq` holds).
    ids: Option<Box<[u8]>>,
    /// Length of the client identifier at the front of `ids`.
    cid_len: u32,
    start: u32,
    end: u32,
    cltt: u32,
    partner_end: u32,
    sent_end: u32,
}

impl Lease {
    /// A fresh, unbound lease record for `addr`.
    pub fn free(addr: Ipv4Addr) -> Lease {
        Lease {
            addr,
            state: BindingState::Free,
            htype: 1,
            chaddr: HwAddr::default(),
            fo_flags: 0,
            ids: None,
            cid_len: 0,
            start: 0,
            end: 0,
            cltt: 0,
            partner_end: 0,
            sent_end: 0,
        }
    }

    /// Client identifier (option 61) if the client sent one, else empty.
    pub fn client_id(&self) -> &[u8] {
        let ids = self.ids.as_deref().unwrap_or_default();
        ids.get(..self.cid_len as usize).unwrap_or_default()
    }

    /// Host name (option 12) as sent by the client, may be empty.
    pub fn hostname(&self) -> &[u8] {
        let ids = self.ids.as_deref().unwrap_or_default();
        ids.get(self.cid_len as usize..).unwrap_or_default()
    }

    /// Set both byte strings at once (one allocation, none when both are empty).
    pub fn set_ids(&mut self, client_id: &[u8], hostname: &[u8]) {
        // A client id of 4 GiB cannot occur (the option is at most 255 bytes, a journal
        // record 64 KiB); cutting it keeps the length in 32 bits.
        let client_id = client_id.get(..u32::MAX as usize).unwrap_or(client_id);
        self.cid_len = client_id.len() as u32;
        self.ids = if client_id.is_empty() && hostname.is_empty() {
            None
        } else {
            Some([client_id, hostname].concat().into_boxed_slice())
        };
    }

    pub fn set_client_id(&mut self, client_id: &[u8]) {
        let hostname = self.hostname().to_vec();
        self.set_ids(client_id, &hostname);
    }

    pub fn set_hostname(&mut self, hostname: &[u8]) {
        let client_id = self.client_id().to_vec();
        self.set_ids(&client_id, hostname);
    }

    /// Lease start, Unix seconds.
    pub fn start(&self) -> Secs {
        Secs::from(self.start)
    }

    /// Lease end (or quarantine end for `Abandoned`), Unix seconds.
    pub fn end(&self) -> Secs {
        Secs::from(self.end)
    }

    /// Client last transaction time (draft-12 CLTT), Unix seconds.
    pub fn cltt(&self) -> Secs {
        Secs::from(self.cltt)
    }

    /// Failover: lease end the partner has acknowledged (draft-12 "ACK'd potential expiry").
    pub fn partner_end(&self) -> Secs {
        Secs::from(self.partner_end)
    }

    /// Failover: potential expiration time we last sent to the partner.
    pub fn sent_end(&self) -> Secs {
        Secs::from(self.sent_end)
    }

    pub fn set_start(&mut self, t: Secs) {
        self.start = secs32(t);
    }

    pub fn set_end(&mut self, t: Secs) {
        self.end = secs32(t);
    }

    pub fn set_cltt(&mut self, t: Secs) {
        self.cltt = secs32(t);
    }

    pub fn set_partner_end(&mut self, t: Secs) {
        self.partner_end = secs32(t);
    }

    pub fn set_sent_end(&mut self, t: Secs) {
        self.sent_end = secs32(t);
    }
}

/// Field by field through the accessors, as the struct held them before it was packed.
impl core::fmt::Debug for Lease {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Lease")
            .field("addr", &self.addr)
            .field("state", &self.state)
            .field("client_id", &self.client_id())
            .field("htype", &self.htype)
            .field("chaddr", &self.chaddr)
            .field("hostname", &self.hostname())
            .field("start", &self.start)
            .field("end", &self.end)
            .field("cltt", &self.cltt)
            .field("partner_end", &self.partner_end)
            .field("sent_end", &self.sent_end)
            .field("fo_flags", &self.fo_flags)
            .finish()
    }
}

/// How a client is identified: option 61 if present, else (htype, chaddr) (RFC 2131 §4.2).
/// Built for every request and kept with every offer hold: a hardware key is inline (no
/// allocation), and the whole key is 24 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    ClientId(Box<[u8]>),
    Hw(u8, HwAddr),
}

impl ClientKey {
    pub fn of(client_id: &[u8], htype: u8, chaddr: &[u8]) -> ClientKey {
        if client_id.is_empty() {
            ClientKey::Hw(htype, HwAddr::new(chaddr))
        } else {
            ClientKey::ClientId(client_id.into())
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
        let client_id = l.client_id();
        if client_id.is_empty() {
            ClientKeyRef::Hw(l.htype, &l.chaddr)
        } else {
            ClientKeyRef::ClientId(client_id)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_is_compact() {
        assert!(core::mem::size_of::<Lease>() <= 64);
        assert_eq!(core::mem::size_of::<HwAddr>(), 17);
        assert!(core::mem::size_of::<ClientKey>() <= 24);
    }

    #[test]
    fn ids_share_one_allocation_and_read_back() {
        let mut l = Lease::free(Ipv4Addr::new(10, 0, 0, 1));
        assert!(l.ids.is_none());
        l.set_client_id(&[1, 2, 3]);
        l.set_hostname(b"host");
        assert_eq!(
            (l.client_id(), l.hostname()),
            (&[1u8, 2, 3][..], &b"host"[..])
        );
        l.set_client_id(&[]);
        assert_eq!((l.client_id(), l.hostname()), (&[][..], &b"host"[..]));
        l.set_hostname(b"");
        // Both empty: no allocation, and equal to a lease that never had any.
        assert!(l.ids.is_none());
        assert_eq!(l, Lease::free(l.addr));
    }

    #[test]
    fn times_saturate_at_u32() {
        let mut l = Lease::free(Ipv4Addr::new(10, 0, 0, 1));
        l.set_end(u64::from(u32::MAX));
        assert_eq!(l.end(), u64::from(u32::MAX));
        l.set_end(u64::MAX);
        assert_eq!(l.end(), u64::from(u32::MAX));
        l.set_start(1_700_000_000);
        assert_eq!(l.start(), 1_700_000_000);
    }

    #[test]
    fn hwaddr_is_the_given_bytes_at_most_16() {
        let h = HwAddr::new(&[1, 2, 3]);
        assert_eq!(&*h, &[1, 2, 3]);
        assert_eq!(h, HwAddr::from(&[1u8, 2, 3][..]));
        assert_ne!(h, HwAddr::new(&[1, 2, 3, 0]));
        assert_eq!(HwAddr::new(&[7; 20]).len(), 16);
        assert!(HwAddr::default().is_empty());
    }
}
