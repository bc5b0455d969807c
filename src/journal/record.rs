//! Journal record types (pure). Encoding lives in `format.rs`; see `FORMAT.md`.

use core::net::Ipv4Addr;

use crate::lease::Lease;
use crate::time::Secs;

/// Failover relationship state as persisted (draft-12 server-state codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverStateRec {
    /// Relationship name.
    pub relationship: String,
    /// Our state (draft-12 §4.1 code).
    pub local_state: u8,
    /// Partner's last known state (draft-12 code, 0 = unknown).
    pub partner_state: u8,
    /// When we entered `local_state`, Unix seconds.
    pub since: Secs,
    /// Time the partner was last known to be up (for MCLT after PARTNER-DOWN).
    pub partner_last_up: Secs,
    /// MCLT in force, seconds: a secondary's is the primary's, learned from CONNECT, and must
    /// survive a restart before the next CONNECT. 0 = unknown (older journals).
    pub mclt: u32,
}

/// One journal record. The last record for an address wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// Insert or replace the binding of `lease.addr`.
    LeaseUpsert(Lease),
    /// Forget the binding of an address (it returns to the pool as never used).
    LeaseRemove(Ipv4Addr),
    /// Failover relationship state.
    FailoverState(FailoverStateRec),
    /// Written first by compaction: the live set that follows was complete at `at`.
    Checkpoint { at: Secs, leases: u64 },
}
