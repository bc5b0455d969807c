//! In-memory lease table: bindings by address, latest binding per client.
//!
//! Built for memory (a router keeps one lease per address it ever handed out): the leases sit
//! densely in one `Vec`, and two open-addressing indexes hold nothing but `u32` slot numbers,
//! one by address and one by client key. No key or hash is stored: a probe compares against
//! the slot's own lease, and when an entry has to move, its hash is computed again from that
//! lease. At 50,000 leases that is 64 + 2 × 5.2 bytes per lease, where a `HashMap` of leases
//! plus a client map took about 200.

use core::net::Ipv4Addr;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use super::{BindingState, ClientKey, ClientKeyRef, Lease};
use crate::time::Secs;

/// The client index hashes the client key with a per-process random key: probing costs
/// grow with collisions, and clients choose their own identifiers, so collisions must not be
/// precomputable. A hit is always checked against the lease's own key, so even a collision
/// could only cost time, never hand a client someone else's lease.
#[derive(Debug)]
pub struct LeaseTable {
    /// Dense: a removal moves the last lease into the hole (removals are rare; the server
    /// keeps expired leases as records), so there is no free list and no vacant slot to skip.
    slots: Vec<Lease>,
    by_addr: Index,
    /// One entry per client key that has a binding: its most recent one.
    by_client: Index,
    keyer: RandomState,
}

impl Default for LeaseTable {
    fn default() -> LeaseTable {
        LeaseTable::new()
    }
}

/// Smallest index: 16 buckets.
const MIN_BITS: u32 = 4;

impl LeaseTable {
    pub fn new() -> LeaseTable {
        LeaseTable {
            slots: Vec::new(),
            by_addr: Index::with_bits(MIN_BITS),
            by_client: Index::with_bits(MIN_BITS),
            keyer: RandomState::new(),
        }
    }

    fn client_hash(&self, l: &Lease) -> u64 {
        self.keyer.hash_one(ClientKeyRef::of_lease(l))
    }

    fn addr_slot(&self, a: Ipv4Addr) -> Option<(usize, usize)> {
        let slots = &self.slots;
        self.by_addr
            .find(addr_hash(a), |s| slots.get(s).is_some_and(|l| l.addr == a))
    }

    pub fn get(&self, a: Ipv4Addr) -> Option<&Lease> {
        self.addr_slot(a).and_then(|(_, s)| self.slots.get(s))
    }

    /// The client's most recent binding (any state).
    pub fn of_client(&self, key: &ClientKey) -> Option<&Lease> {
        let slots = &self.slots;
        let h = self.keyer.hash_one(key.as_ref());
        let (_, s) = self
            .by_client
            .find(h, |s| slots.get(s).is_some_and(|l| l.belongs_to(key)))?;
        slots.get(s)
    }

    /// Drop the client index entry that points at `slot`, if any (only the entry of that
    /// lease's own key can).
    fn unindex_client(&mut self, slot: usize) {
        let Some(l) = self.slots.get(slot) else {
            return;
        };
        let h = self.client_hash(l);
        if let Some((pos, _)) = self.by_client.find(h, |s| s == slot) {
            let (slots, keyer) = (&self.slots, &self.keyer);
            self.by_client.remove_at(pos, |s| {
                slots
                    .get(s)
                    .map_or(0, |l| keyer.hash_one(ClientKeyRef::of_lease(l)))
            });
        }
    }

    /// Insert or replace the binding of `lease.addr`; it becomes its client's most recent.
    pub fn upsert(&mut self, lease: Lease) {
        let slot = match self.addr_slot(lease.addr) {
            Some((_, s)) => {
                let key_changed = self.slots.get(s).is_some_and(|old| {
                    ClientKeyRef::of_lease(old) != ClientKeyRef::of_lease(&lease)
                });
                if key_changed {
                    self.unindex_client(s);
                }
                if let Some(x) = self.slots.get_mut(s) {
                    *x = lease;
                }
                s
            }
            None => {
                if self.slots.len() >= self.by_addr.limit() {
                    self.grow();
                }
                let s = self.slots.len();
                self.by_addr.insert(addr_hash(lease.addr), s);
                self.slots.push(lease);
                s
            }
        };
        let Some(l) = self.slots.get(slot) else {
            return;
        };
        if l.chaddr.is_empty() && l.client_id().is_empty() {
            return;
        }
        let key = ClientKeyRef::of_lease(l);
        let h = self.keyer.hash_one(key);
        let slots = &self.slots;
        match self.by_client.find(h, |s| {
            slots
                .get(s)
                .is_some_and(|x| ClientKeyRef::of_lease(x) == key)
        }) {
            Some((pos, _)) => self.by_client.repoint(pos, slot),
            None => self.by_client.insert(h, slot),
        }
    }

    pub fn remove(&mut self, a: Ipv4Addr) -> Option<Lease> {
        let (pos, slot) = self.addr_slot(a)?;
        self.unindex_client(slot);
        let slots = &self.slots;
        self.by_addr
            .remove_at(pos, |s| slots.get(s).map_or(0, |l| addr_hash(l.addr)));
        let last = self.slots.len().checked_sub(1)?;
        if slot != last {
            // The last lease moves into the hole: its entries follow it.
            if let Some(moved) = self.slots.get(last) {
                if let Some((p, _)) = self.by_addr.find(addr_hash(moved.addr), |s| s == last) {
                    self.by_addr.repoint(p, slot);
                }
                let h = self.client_hash(moved);
                if let Some((p, _)) = self.by_client.find(h, |s| s == last) {
                    self.by_client.repoint(p, slot);
                }
            }
        }
        Some(self.slots.swap_remove(slot))
    }

    /// Both indexes double (they share the bucket count, which bounds the slot numbers) and
    /// are rebuilt: the address index from the leases, the client index from its own entries,
    /// since which binding is a client's most recent is known only there.
    fn grow(&mut self) {
        let bits = self.by_addr.bits + 1;
        let mut by_addr = Index::with_bits(bits);
        for (s, l) in self.slots.iter().enumerate() {
            by_addr.insert(addr_hash(l.addr), s);
        }
        let mut by_client = Index::with_bits(bits);
        for s in self.by_client.slots() {
            if let Some(l) = self.slots.get(s) {
                by_client.insert(self.client_hash(l), s);
            }
        }
        self.by_addr = by_addr;
        self.by_client = by_client;
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lease> {
        self.slots.iter()
    }

    /// Leases sorted by address (for listings).
    pub fn sorted(&self) -> Vec<&Lease> {
        let mut v: Vec<&Lease> = self.slots.iter().collect();
        v.sort_by_key(|l| u32::from(l.addr));
        v
    }
}

/// Address hash for the address index: a multiply-xorshift mix, so that a pool's consecutive
/// addresses spread over the buckets. Unkeyed on purpose: addresses come from the configured
/// pools (or a partner or journal for those pools), not from whatever a client makes up.
fn addr_hash(a: Ipv4Addr) -> u64 {
    let mut x = u64::from(u32::from(a)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 29;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 32)
}

const EMPTY: u32 = u32::MAX;

/// Linear-probing index of slot numbers. An entry is `slot | tag`: with `2^bits` buckets the
/// slot number takes the low `bits` bits, and the rest carry high bits of the hash (`tag`),
/// so a probe passes over most foreign entries without reading their lease. The table keeps
/// fewer slots than buckets (`limit`), so a slot number of all ones never occurs and `EMPTY`
/// cannot be mistaken for an entry.
#[derive(Debug)]
struct Index {
    buckets: Vec<u32>,
    bits: u32,
}

impl Index {
    fn with_bits(bits: u32) -> Index {
        // 2^31 buckets would be 8 GiB: far beyond any lease count a process can hold.
        let bits = bits.min(31);
        Index {
            buckets: vec![EMPTY; 1usize << bits],
            bits,
        }
    }

    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    fn tag(&self, h: u64) -> u32 {
        ((h >> 32) as u32) & !(self.mask() as u32)
    }

    /// Most slots the table may hold at this size: a load factor of 4/5 keeps linear probes
    /// short (about 3 buckets for a hit, 13 for a miss, all in one or two cache lines).
    fn limit(&self) -> usize {
        self.buckets.len() - self.buckets.len() / 5
    }

    /// Bucket and slot of the first entry with hash `h` whose slot satisfies `is`.
    fn find(&self, h: u64, mut is: impl FnMut(usize) -> bool) -> Option<(usize, usize)> {
        let (mask, tag) = (self.mask(), self.tag(h));
        let mut pos = h as usize & mask;
        // Bounded by the bucket count; an empty bucket ends it long before (load ≤ 4/5).
        for _ in 0..self.buckets.len() {
            let e = *self.buckets.get(pos)?;
            if e == EMPTY {
                return None;
            }
            let slot = e as usize & mask;
            if e & !(mask as u32) == tag && is(slot) {
                return Some((pos, slot));
            }
            pos = (pos + 1) & mask;
        }
        None
    }

    /// Add an entry (the caller knows none exists for it).
    fn insert(&mut self, h: u64, slot: usize) {
        let (mask, tag) = (self.mask(), self.tag(h));
        let mut pos = h as usize & mask;
        for _ in 0..self.buckets.len() {
            if let Some(b) = self.buckets.get_mut(pos) {
                if *b == EMPTY {
                    *b = slot as u32 | tag;
                    return;
                }
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Point the entry at `pos` to another slot (same key, so same hash and tag).
    fn repoint(&mut self, pos: usize, slot: usize) {
        let mask = self.mask() as u32;
        if let Some(b) = self.buckets.get_mut(pos) {
            *b = (*b & !mask) | slot as u32;
        }
    }

    /// Remove the entry at `pos` and close the gap (backward shift, so lookups need no
    /// tombstones): each later entry of the run moves back unless that would put it before
    /// its home bucket. `hash` recomputes an entry's hash from its slot.
    fn remove_at(&mut self, pos: usize, mut hash: impl FnMut(usize) -> u64) {
        let mask = self.mask();
        let mut hole = pos;
        let mut j = pos;
        for _ in 0..self.buckets.len() {
            j = (j + 1) & mask;
            let e = match self.buckets.get(j) {
                Some(&e) if e != EMPTY => e,
                _ => break,
            };
            let home = hash(e as usize & mask) as usize & mask;
            // Distance from home to j versus from the hole to j, both going forward.
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                if let Some(b) = self.buckets.get_mut(hole) {
                    *b = e;
                }
                hole = j;
            }
        }
        if let Some(b) = self.buckets.get_mut(hole) {
            *b = EMPTY;
        }
    }

    /// Slot numbers of every entry.
    fn slots(&self) -> impl Iterator<Item = usize> + '_ {
        let mask = self.mask();
        self.buckets
            .iter()
            .filter(|&&e| e != EMPTY)
            .map(move |&e| e as usize & mask)
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
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::lease::HwAddr;
    use std::collections::HashMap;

    fn ip(n: u32) -> Ipv4Addr {
        Ipv4Addr::from(0xc612_0000 + n)
    }

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
        let k = ClientKey::Hw(1, HwAddr::new(&[2, 0, 0, 0, 0, 1]));
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

    #[test]
    fn most_recent_binding_wins_and_survives_removals() {
        let mut t = LeaseTable::new();
        let k = ClientKey::Hw(1, HwAddr::new(&[2, 0, 0, 0, 0, 1]));
        t.upsert(lease(10, 1));
        t.upsert(lease(11, 1));
        assert_eq!(t.of_client(&k).unwrap().addr, Ipv4Addr::new(198, 18, 0, 11));
        // Updating the older binding makes it the most recent again.
        t.upsert(lease(10, 1));
        assert_eq!(t.of_client(&k).unwrap().addr, Ipv4Addr::new(198, 18, 0, 10));
        // Removing the binding that is not indexed leaves the index alone...
        t.remove(Ipv4Addr::new(198, 18, 0, 11));
        assert_eq!(t.of_client(&k).unwrap().addr, Ipv4Addr::new(198, 18, 0, 10));
        // ...and removing the indexed one forgets the client (as before: no fallback).
        t.upsert(lease(11, 1));
        t.remove(Ipv4Addr::new(198, 18, 0, 11));
        assert!(t.of_client(&k).is_none());
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn client_id_key_and_anonymous_leases() {
        let mut t = LeaseTable::new();
        let mut l = lease(20, 5);
        l.set_client_id(&[1, 2, 3]);
        t.upsert(l);
        assert!(t
            .of_client(&ClientKey::ClientId(Box::new([1, 2, 3])))
            .is_some());
        // With a client id, the hardware address is not the key.
        assert!(t
            .of_client(&ClientKey::Hw(1, HwAddr::new(&[2, 0, 0, 0, 0, 5])))
            .is_none());
        // A lease without any identity is never indexed.
        t.upsert(Lease::free(Ipv4Addr::new(198, 18, 0, 21)));
        assert!(t.of_client(&ClientKey::Hw(1, HwAddr::new(&[]))).is_none());
        assert_eq!(t.len(), 2);
    }

    /// Index entries that all share one home bucket, with the run wrapping around the end of
    /// the array; removing from the middle must keep every other entry reachable.
    #[test]
    fn index_collisions_wrap_and_backshift() {
        let mut ix = Index::with_bits(4);
        let h = |slot: usize| -> u64 {
            // Slots 0..6 all start at bucket 14; slot 6 starts at 15; tags differ.
            let home = if slot == 6 { 15 } else { 14 };
            (slot as u64) << 60 | home
        };
        for s in 0..7 {
            ix.insert(h(s), s);
        }
        for s in 0..7 {
            assert_eq!(ix.find(h(s), |x| x == s).map(|(_, x)| x), Some(s));
        }
        for gone in [2, 0, 6, 5] {
            let (pos, _) = ix.find(h(gone), |x| x == gone).unwrap();
            ix.remove_at(pos, h);
            assert!(ix.find(h(gone), |x| x == gone).is_none());
            for s in (0..7).filter(|s| ![2, 0, 6, 5].contains(s)) {
                assert_eq!(ix.find(h(s), |x| x == s).map(|(_, x)| x), Some(s), "{s}");
            }
        }
        assert_eq!(ix.slots().count(), 3);
        // The same tag for two slots: `is` decides.
        let mut ix = Index::with_bits(4);
        ix.insert(7, 1);
        ix.insert(7, 2);
        assert_eq!(ix.find(7, |x| x == 2).map(|(_, x)| x), Some(2));
    }

    #[test]
    fn removal_moves_the_last_lease_and_slots_are_reused() {
        let mut t = LeaseTable::new();
        for i in 0..100u8 {
            t.upsert(lease(i, i));
        }
        for i in (0..100u8).step_by(3) {
            assert_eq!(t.remove(Ipv4Addr::new(198, 18, 0, i)).unwrap().chaddr[5], i);
        }
        assert!(t.remove(Ipv4Addr::new(198, 18, 0, 0)).is_none());
        assert_eq!(t.len(), 66);
        for i in (0..100u8).step_by(3) {
            t.upsert(lease(i, i));
        }
        // Dense: the removed slots were filled again, nothing grew.
        assert_eq!(t.slots.len(), 100);
        for i in 0..100u8 {
            let k = ClientKey::Hw(1, HwAddr::new(&[2, 0, 0, 0, 0, i]));
            assert_eq!(t.of_client(&k).unwrap().addr, Ipv4Addr::new(198, 18, 0, i));
        }
        assert_eq!(t.sorted().len(), 100);
        assert!(t.sorted().windows(2).all(|w| w[0].addr < w[1].addr));
    }

    /// The table against the plain maps it replaced, over random upserts (new addresses,
    /// rebinding to other clients, clients moving) and removals, through several growths.
    #[test]
    fn matches_a_plain_map_model() {
        let mut t = LeaseTable::new();
        let mut leases: HashMap<Ipv4Addr, Lease> = HashMap::new();
        let mut by_client: HashMap<ClientKey, Ipv4Addr> = HashMap::new();
        let key = |l: &Lease| match ClientKeyRef::of_lease(l) {
            ClientKeyRef::ClientId(c) => ClientKey::ClientId(c.into()),
            ClientKeyRef::Hw(t, h) => ClientKey::Hw(t, HwAddr::new(h)),
        };
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for step in 0..40_000u32 {
            let a = ip(rnd(3000) as u32);
            if rnd(10) == 0 {
                let got = t.remove(a);
                let want = leases.remove(&a);
                if let Some(l) = &want {
                    if by_client.get(&key(l)) == Some(&a) {
                        by_client.remove(&key(l));
                    }
                }
                assert_eq!(got, want, "step {step}");
            } else {
                let mut l = Lease::free(a);
                l.state = BindingState::Active;
                let c = rnd(2000);
                match rnd(4) {
                    0 => {}
                    1 => l.set_client_id(&c.to_be_bytes()),
                    _ => l.chaddr = HwAddr::new(&c.to_be_bytes()[2..]),
                }
                l.set_end(u64::from(step));
                if let Some(old) = leases.get(&a) {
                    if key(old) != key(&l) && by_client.get(&key(old)) == Some(&a) {
                        by_client.remove(&key(old));
                    }
                }
                if !l.chaddr.is_empty() || !l.client_id().is_empty() {
                    by_client.insert(key(&l), a);
                }
                leases.insert(a, l.clone());
                t.upsert(l);
            }
            if step % 97 == 0 {
                for i in 0..3000 {
                    assert_eq!(t.get(ip(i)), leases.get(&ip(i)), "step {step}");
                }
                for (k, a) in &by_client {
                    assert_eq!(t.of_client(k).map(|l| l.addr), Some(*a), "step {step}");
                }
                assert_eq!(t.by_client.slots().count(), by_client.len());
            }
            assert_eq!(t.len(), leases.len());
        }
        assert!(t.len() > 2000, "{}", t.len());
    }
}
