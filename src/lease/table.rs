//! In-memory lease table: bindings by address, latest binding per client.

use core::net::Ipv4Addr;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use super::{BindingState, ClientKey, ClientKeyRef, Lease};
use crate::time::Secs;

/// The client index maps a 64-bit hash of the client key to the address: no copy of the key
/// per lease (memory on small routers). A hit is always checked against the lease's own key,
/// so a collision can only make a client look new, never hand it someone else's lease; the
/// hasher is keyed per process, so collisions cannot be precomputed.
#[derive(Default, Debug)]
pub struct LeaseTable {
    leases: HashMap<Ipv4Addr, Lease>,
    by_client: HashMap<u64, Ipv4Addr, BuildHasherDefault<KeyedHash>>,
    keyer: RandomState,
}

/// The client index's keys are already keyed SipHash outputs: hashing them again would only
/// cost time, so the map uses them as they are.
#[derive(Default)]
struct KeyedHash(u64);

impl Hasher for KeyedHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys go in; fold anything else in rather than dropping it.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

impl LeaseTable {
    pub fn new() -> LeaseTable {
        LeaseTable::default()
    }

    pub fn get(&self, a: Ipv4Addr) -> Option<&Lease> {
        self.leases.get(&a)
    }

    /// The client's most recent binding (any state).
    pub fn of_client(&self, key: &ClientKey) -> Option<&Lease> {
        let a = self.by_client.get(&self.keyer.hash_one(key.as_ref()))?;
        self.leases.get(a).filter(|l| l.belongs_to(key))
    }

    /// Insert or replace the binding of `lease.addr`.
    pub fn upsert(&mut self, lease: Lease) {
        let new_h = self.keyer.hash_one(ClientKeyRef::of_lease(&lease));
        if let Some(old) = self.leases.get(&lease.addr) {
            let old_h = self.keyer.hash_one(ClientKeyRef::of_lease(old));
            if old_h != new_h && self.by_client.get(&old_h) == Some(&lease.addr) {
                self.by_client.remove(&old_h);
            }
        }
        if !lease.chaddr.is_empty() || !lease.client_id().is_empty() {
            self.by_client.insert(new_h, lease.addr);
        }
        self.leases.insert(lease.addr, lease);
    }

    pub fn remove(&mut self, a: Ipv4Addr) -> Option<Lease> {
        let l = self.leases.remove(&a)?;
        let h = self.keyer.hash_one(ClientKeyRef::of_lease(&l));
        if self.by_client.get(&h) == Some(&a) {
            self.by_client.remove(&h);
        }
        Some(l)
    }

    pub fn len(&self) -> usize {
        self.leases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.leases.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lease> {
        self.leases.values()
    }

    /// Leases sorted by address (for listings).
    pub fn sorted(&self) -> Vec<&Lease> {
        let mut v: Vec<&Lease> = self.leases.values().collect();
        v.sort_by_key(|l| u32::from(l.addr));
        v
    }
}

/// Does this binding keep its address from being given to someone else at `now`?
pub fn holds_address(l: &Lease, now: Secs) -> bool {
    match l.state {
        BindingState::Active | BindingState::Abandoned => l.end() > now,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::HwAddr;

    fn lease(a: u8, mac: u8) -> Lease {
        let mut l = Lease::free(Ipv4Addr::new(198, 18, 0, a));
        l.state = BindingState::Active;
        l.chaddr = HwAddr::new(&[2, 0, 0, 0, 0, mac]);
        l.set_end(100);
        l
    }

    #[test]
    fn client_index_follows_rebinding() {
        let mut t = LeaseTable::new();
        t.upsert(lease(10, 1));
        let k = ClientKey::Hw(1, vec![2, 0, 0, 0, 0, 1]);
        assert_eq!(
            t.of_client(&k).map(|l| l.addr),
            Some(Ipv4Addr::new(198, 18, 0, 10))
        );
        // The address goes to another client: the first one no longer finds it.
        t.upsert(lease(10, 2));
        assert!(t.of_client(&k).is_none());
        assert!(holds_address(
            t.get(Ipv4Addr::new(198, 18, 0, 10)).unwrap(),
            99
        ));
        assert!(!holds_address(
            t.get(Ipv4Addr::new(198, 18, 0, 10)).unwrap(),
            100
        ));
        t.remove(Ipv4Addr::new(198, 18, 0, 10));
        assert!(t.is_empty());
    }
}
