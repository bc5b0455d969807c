//! Address pools of one scope: ranges minus exclusions minus reservations, with a busy bitmap.
//!
//! The bitmap answers "is this dynamic address taken" in O(1) and "next free" by scanning
//! 64 addresses per word from a rotating cursor, so a 64k pool is at most 1k words to look at
//! and a new client gets the address after the last one handed out (round-robin approximates
//! "least recently used", which keeps a returning client's old address free for longer).

use core::net::Ipv4Addr;
use std::collections::HashMap;

use crate::config::{ReservationKey, Scope};

/// One scope's dynamic pool.
#[derive(Clone, Debug)]
pub struct Pool {
    /// Inclusive ranges as u32, in config order; `offsets[i]` is the flat index of range i.
    ranges: Vec<(u32, u32)>,
    offsets: Vec<u32>,
    /// Flat-index bitmap: 1 = not available for dynamic allocation (busy, excluded, reserved).
    busy: Vec<u64>,
    /// Flat indexes that are never dynamic (excluded or reserved): stay set forever.
    fixed: Vec<u64>,
    size: u32,
    busy_count: u32,
    fixed_count: u32,
    cursor: u32,
    /// Reserved address -> index of its reservation in the scope.
    reserved_addr: HashMap<u32, usize>,
    /// Failover: addresses in BACKUP binding state (draft-12 §5.4: owned by the secondary).
    backup: Vec<u64>,
    /// Failover: whose free addresses this server may hand out.
    owner: Owner,
}

/// Which free addresses are ours to allocate (draft-12 §5.4 ownership).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// No failover, or PARTNER-DOWN after MCLT: every free address.
    All,
    /// Primary: FREE addresses (everything not marked BACKUP).
    Primary,
    /// Secondary: BACKUP addresses only.
    Secondary,
}

fn bit(v: &[u64], i: u32) -> bool {
    v.get((i / 64) as usize)
        .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
}

fn set_bit(v: &mut [u64], i: u32, on: bool) -> bool {
    let Some(w) = v.get_mut((i / 64) as usize) else {
        return false;
    };
    let m = 1u64 << (i % 64);
    let was = *w & m != 0;
    if on {
        *w |= m
    } else {
        *w &= !m
    }
    was != on
}

impl Pool {
    pub fn new(scope: &Scope) -> Pool {
        let mut ranges = Vec::new();
        let mut offsets = Vec::new();
        let mut size: u32 = 0;
        for &(a, b) in &scope.ranges {
            let (a, b) = (u32::from(a), u32::from(b));
            if a > b {
                continue;
            }
            offsets.push(size);
            ranges.push((a, b));
            size = size.saturating_add(b - a + 1);
        }
        let words = size.div_ceil(64) as usize;
        let mut p = Pool {
            ranges,
            offsets,
            busy: vec![0; words],
            fixed: vec![0; words],
            size,
            busy_count: 0,
            fixed_count: 0,
            cursor: 0,
            reserved_addr: HashMap::new(),
            backup: vec![0; words],
            owner: Owner::All,
        };
        for &(a, b) in &scope.exclusions {
            for x in u32::from(a)..=u32::from(b) {
                p.fix(x);
            }
        }
        for (i, r) in scope.reservations.iter().enumerate() {
            p.reserved_addr.insert(u32::from(r.addr), i);
            p.fix(u32::from(r.addr));
        }
        p
    }

    fn fix(&mut self, a: u32) {
        if let Some(i) = self.index(a) {
            if set_bit(&mut self.fixed, i, true) {
                self.fixed_count += 1;
                if set_bit(&mut self.busy, i, true) {
                    self.busy_count += 1;
                }
            }
        }
    }

    /// Flat index of a dynamic-range address.
    fn index(&self, a: u32) -> Option<u32> {
        self.ranges
            .iter()
            .zip(&self.offsets)
            .find(|((lo, hi), _)| (*lo..=*hi).contains(&a))
            .map(|((lo, _), off)| off + (a - lo))
    }

    fn addr_at(&self, i: u32) -> Option<u32> {
        self.ranges
            .iter()
            .zip(&self.offsets)
            .find_map(|((lo, hi), off)| {
                let n = hi - lo + 1;
                (i >= *off && i - off < n).then(|| lo + (i - off))
            })
    }

    /// Inside a range and neither excluded nor reserved: may be given out dynamically.
    pub fn is_dynamic(&self, a: Ipv4Addr) -> bool {
        self.index(a.into()).is_some_and(|i| !bit(&self.fixed, i))
    }

    /// Dynamic and not currently taken.
    pub fn is_available(&self, a: Ipv4Addr) -> bool {
        self.index(a.into()).is_some_and(|i| !bit(&self.busy, i))
    }

    /// Excluded by config (inside a range but never handed out, not a reservation).
    pub fn is_excluded(&self, a: Ipv4Addr) -> bool {
        let a = u32::from(a);
        self.index(a).is_some_and(|i| bit(&self.fixed, i)) && !self.reserved_addr.contains_key(&a)
    }

    /// Index of the reservation holding `a`, if any.
    pub fn reservation_of(&self, a: Ipv4Addr) -> Option<usize> {
        self.reserved_addr.get(&u32::from(a)).copied()
    }

    /// Mark a dynamic address taken (held, leased, quarantined). No effect on fixed ones.
    pub fn take(&mut self, a: Ipv4Addr) {
        if let Some(i) = self.index(a.into()) {
            if !bit(&self.fixed, i) && set_bit(&mut self.busy, i, true) {
                self.busy_count += 1;
            }
        }
    }

    /// Give a dynamic address back. No effect on fixed ones.
    pub fn give_back(&mut self, a: Ipv4Addr) {
        if let Some(i) = self.index(a.into()) {
            if !bit(&self.fixed, i) && set_bit(&mut self.busy, i, false) {
                self.busy_count -= 1;
            }
        }
    }

    /// Next available address of ours at or after the cursor, round-robin; `None` when none.
    pub fn next_free(&mut self) -> Option<Ipv4Addr> {
        if self.busy_count >= self.size {
            return None;
        }
        // Visit every word once starting at the cursor's, then the cursor's word again for
        // the bits before the cursor.
        let words = self.busy.len() as u32;
        let start = self.cursor / 64;
        for k in 0..=words {
            let w = (start + k) % words;
            let mut free = !*self.busy.get(w as usize)? & self.mine_mask(w as usize);
            if k == 0 {
                free &= u64::MAX << (self.cursor % 64);
            }
            let i = w * 64 + free.trailing_zeros();
            if free != 0 && i < self.size {
                self.cursor = (i + 1) % self.size;
                return self.addr_at(i).map(Ipv4Addr::from);
            }
        }
        None
    }

    /// Bits of word `w` that this server may allocate under the current ownership.
    fn mine_mask(&self, w: usize) -> u64 {
        let b = self.backup.get(w).copied().unwrap_or(0);
        match self.owner {
            Owner::All => u64::MAX,
            Owner::Primary => !b,
            Owner::Secondary => b,
        }
    }

    pub fn set_owner(&mut self, o: Owner) {
        self.owner = o;
    }

    /// Mark (or unmark) a dynamic address as BACKUP, i.e. owned by the secondary.
    pub fn set_backup(&mut self, a: Ipv4Addr, on: bool) {
        if let Some(i) = self.index(a.into()) {
            set_bit(&mut self.backup, i, on);
        }
    }

    /// May this server allocate `a` under the current ownership (ignoring whether it is free)?
    pub fn is_mine(&self, a: Ipv4Addr) -> bool {
        self.index(a.into()).is_some_and(|i| match self.owner {
            Owner::All => true,
            Owner::Primary => !bit(&self.backup, i),
            Owner::Secondary => bit(&self.backup, i),
        })
    }

    /// Free dynamic addresses: (FREE owned by the primary, BACKUP owned by the secondary).
    pub fn free_split(&self) -> (u32, u32) {
        let (mut free, mut backup) = (0, 0);
        for (w, (&busy, &b)) in self.busy.iter().zip(&self.backup).enumerate() {
            let valid = if (w as u32 + 1) * 64 <= self.size {
                u64::MAX
            } else {
                !(u64::MAX << (self.size % 64))
            };
            let avail = !busy & valid;
            free += (avail & !b).count_ones();
            backup += (avail & b).count_ones();
        }
        (free, backup)
    }

    /// Up to `n` free addresses in state FREE, for the primary to hand to the secondary.
    pub fn free_not_backup(&self, n: usize) -> Vec<Ipv4Addr> {
        let mut out = Vec::new();
        for (w, (&busy, &b)) in self.busy.iter().zip(&self.backup).enumerate() {
            let mut avail = !busy & !b;
            while avail != 0 && out.len() < n {
                let i = w as u32 * 64 + avail.trailing_zeros();
                avail &= avail - 1;
                if i >= self.size {
                    break;
                }
                if let Some(a) = self.addr_at(i) {
                    out.push(Ipv4Addr::from(a));
                }
            }
            if out.len() >= n {
                break;
            }
        }
        out
    }

    /// Dynamic addresses in the pool (ranges minus exclusions and reservations).
    pub fn dynamic_size(&self) -> u32 {
        self.size - self.fixed_count
    }

    /// Dynamic addresses currently taken.
    pub fn dynamic_used(&self) -> u32 {
        self.busy_count - self.fixed_count
    }
}

/// Does a reservation key match this client?
pub fn reservation_matches(
    key: &ReservationKey,
    client_id: &[u8],
    htype: u8,
    chaddr: &[u8],
) -> bool {
    match key {
        ReservationKey::Mac(m) => htype == 1 && chaddr == m.as_slice(),
        ReservationKey::ClientId(id) => !client_id.is_empty() && client_id == id.as_slice(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            name: "t".into(),
            subnet: Ipv4Addr::new(198, 18, 0, 0),
            prefix_len: 24,
            ranges: vec![
                (Ipv4Addr::new(198, 18, 0, 10), Ipv4Addr::new(198, 18, 0, 14)),
                (
                    Ipv4Addr::new(198, 18, 0, 100),
                    Ipv4Addr::new(198, 18, 0, 199),
                ),
            ],
            exclusions: vec![(Ipv4Addr::new(198, 18, 0, 11), Ipv4Addr::new(198, 18, 0, 12))],
            reservations: vec![],
            lease_time: 3600,
            t1: None,
            t2: None,
            options: vec![],
            boot_file: None,
            next_server: None,
            line: 1,
        }
    }

    #[test]
    fn allocates_every_dynamic_address_once_then_none() {
        let mut p = Pool::new(&scope());
        assert_eq!(p.dynamic_size(), 103);
        let mut seen = std::collections::HashSet::new();
        while let Some(a) = p.next_free() {
            assert!(p.is_dynamic(a), "{a} not dynamic");
            assert!(!p.is_excluded(a));
            p.take(a);
            assert!(seen.insert(a), "{a} twice");
            assert!(seen.len() <= 103);
        }
        assert_eq!(seen.len(), 103);
        assert!(!seen.contains(&Ipv4Addr::new(198, 18, 0, 11)));
        p.give_back(Ipv4Addr::new(198, 18, 0, 150));
        assert_eq!(p.next_free(), Some(Ipv4Addr::new(198, 18, 0, 150)));
    }

    #[test]
    fn ownership_splits_free_addresses_between_partners() {
        let mut p = Pool::new(&scope());
        let backups = p.free_not_backup(10);
        assert_eq!(backups.len(), 10);
        for a in &backups {
            p.set_backup(*a, true);
        }
        assert_eq!(p.free_split(), (93, 10));
        p.set_owner(Owner::Secondary);
        let mut got = Vec::new();
        while let Some(a) = p.next_free() {
            assert!(got.len() < 20);
            p.take(a);
            got.push(a);
        }
        got.sort();
        let mut want = backups.clone();
        want.sort();
        assert_eq!(
            got, want,
            "the secondary allocates exactly its BACKUP addresses"
        );
        p.set_owner(Owner::Primary);
        let a = p.next_free().unwrap();
        assert!(!backups.contains(&a));
        assert!(p.is_mine(a) && !p.is_mine(backups[0]));
    }

    #[test]
    fn give_back_of_excluded_keeps_it_excluded() {
        let mut p = Pool::new(&scope());
        p.give_back(Ipv4Addr::new(198, 18, 0, 11));
        assert!(!p.is_available(Ipv4Addr::new(198, 18, 0, 11)));
        assert!(p.is_excluded(Ipv4Addr::new(198, 18, 0, 11)));
    }
}
