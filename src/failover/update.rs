//! The outgoing binding-update queue (draft-12 §7.1): updates wait in `pending` until the
//! partner's max-unacked window has room, then sit in `in_flight` under their xid until the
//! BNDACK. On a lost connection the in-flight ones go back to the front of `pending` so they
//! are resent first (digest §12 "each side resends its un-acked BNDUPDs").
//!
//! Bounded: at most `cap` pending entries; a newer update for an address already pending
//! replaces it in place (only the latest binding matters), and overflow drops the oldest.

use core::net::Ipv4Addr;
use std::collections::{HashSet, VecDeque};

use crate::lease::Lease;

/// Default bound on queued (unsent) updates.
pub const QUEUE_CAP: usize = 4096;

#[derive(Debug)]
pub struct UpdateQueue {
    pending: VecDeque<Lease>,
    /// Addresses in `pending`: the usual push (a new address) and lookup stay O(1) even when
    /// thousands of updates are queued.
    pending_addrs: HashSet<Ipv4Addr>,
    in_flight: Vec<(u32, Lease)>,
    cap: usize,
}

impl UpdateQueue {
    pub fn new(cap: usize) -> UpdateQueue {
        UpdateQueue {
            pending: VecDeque::new(),
            pending_addrs: HashSet::new(),
            in_flight: Vec::new(),
            cap: cap.max(1),
        }
    }

    /// Queues `lease`; returns the update dropped by overflow, if any.
    pub fn push(&mut self, lease: Lease) -> Option<Lease> {
        if self.pending_addrs.contains(&lease.addr) {
            if let Some(p) = self.pending.iter_mut().find(|p| p.addr == lease.addr) {
                *p = lease;
                return None;
            }
        }
        self.pending_addrs.insert(lease.addr);
        self.pending.push_back(lease);
        if self.pending.len() > self.cap {
            return self.pop_front();
        }
        None
    }

    fn pop_front(&mut self) -> Option<Lease> {
        let l = self.pending.pop_front()?;
        self.pending_addrs.remove(&l.addr);
        Some(l)
    }

    /// How many more updates fit before the queue would overflow.
    pub fn room(&self) -> usize {
        self.cap.saturating_sub(self.pending.len())
    }

    /// The next update to send if fewer than `window` are un-acked.
    pub fn next_to_send(&mut self, window: usize) -> Option<Lease> {
        if self.in_flight.len() >= window {
            return None;
        }
        self.pop_front()
    }

    pub fn sent(&mut self, xid: u32, lease: Lease) {
        self.in_flight.push((xid, lease));
    }

    /// Removes and returns the in-flight update acknowledged by `xid`.
    pub fn acked(&mut self, xid: u32) -> Option<Lease> {
        let i = self.in_flight.iter().position(|(x, _)| *x == xid)?;
        Some(self.in_flight.remove(i).1)
    }

    /// Connection lost: in-flight updates are resent first, unless a newer one is pending.
    pub fn requeue_in_flight(&mut self) {
        for (_, l) in std::mem::take(&mut self.in_flight).into_iter().rev() {
            if self.pending_addrs.insert(l.addr) {
                self.pending.push_front(l);
            }
        }
        while self.pending.len() > self.cap {
            if let Some(l) = self.pending.pop_back() {
                self.pending_addrs.remove(&l.addr);
            }
        }
    }

    /// Our latest un-acked binding for `addr` (pending beats in-flight: it is newer).
    pub fn find(&self, addr: Ipv4Addr) -> Option<&Lease> {
        let pending = if self.pending_addrs.contains(&addr) {
            self.pending.iter().find(|l| l.addr == addr)
        } else {
            None
        };
        pending.or_else(|| {
            self.in_flight
                .iter()
                .rev()
                .map(|(_, l)| l)
                .find(|l| l.addr == addr)
        })
    }

    /// Drops a not-yet-sent update for `addr` (the partner's newer binding won).
    pub fn drop_pending(&mut self, addr: Ipv4Addr) {
        if self.pending_addrs.remove(&addr) {
            self.pending.retain(|l| l.addr != addr);
        }
    }

    pub fn len(&self) -> usize {
        self.pending.len() + self.in_flight.len()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn l(n: u8) -> Lease {
        Lease::free(Ipv4Addr::new(10, 0, 0, n))
    }

    #[test]
    fn window_ack_requeue_overflow() {
        let mut q = UpdateQueue::new(3);
        for n in 1..=3 {
            assert!(q.push(l(n)).is_none());
        }
        // Same address replaces in place; a 4th address drops the oldest.
        assert!(q.push(l(2)).is_none());
        assert_eq!(q.push(l(4)).unwrap().addr, l(1).addr);
        let a = q.next_to_send(1).unwrap();
        q.sent(7, a.clone());
        assert!(q.next_to_send(1).is_none());
        assert_eq!(q.find(a.addr).unwrap().addr, a.addr);
        q.requeue_in_flight();
        assert_eq!(q.in_flight(), 0);
        assert_eq!(q.next_to_send(5).unwrap().addr, a.addr);
        q.sent(8, a.clone());
        assert_eq!(q.acked(8).unwrap().addr, a.addr);
        assert!(q.acked(8).is_none());
        assert_eq!(q.len(), 2);
    }
}
