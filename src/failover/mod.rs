//! Pure failover core (draft-ietf-dhc-failover-12 as ISC dhcpd 4.4.3 speaks it, plus
//! Microsoft's load-balance/hot-standby modes and message authentication).
//!
//! Contract: no sockets, files or clock. The integrator feeds whole messages (from
//! `wire::failover::Deframer`), connection up/down edges and timer ticks with the current
//! time, and collects encoded output, close requests, state to journal and `Inbound` work
//! (bindings to apply, acks, resync requests). See `Partner` for the call protocol.
//!
//! Shared reference: `shared/ref/failover-protocol.md` (the "digest"); section numbers in
//! comments point there unless they say draft-12.

pub mod auth;
pub mod binding;
pub mod loadbal;
mod partner;
pub mod state;
pub mod update;

use core::net::Ipv4Addr;

pub use binding::{accept_update, lease_time, pet, Reject};
pub use loadbal::Hba;
pub use partner::Partner;
pub use state::ServerState;
pub use update::QUEUE_CAP;

use crate::lease::Lease;
use crate::time::Secs;

/// Our role in the relationship (draft-12 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Secondary,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        }
    }
}

/// How new clients are shared in NORMAL (Microsoft's modes, digest §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `percent` of the hash buckets are the primary's (the rest the secondary's).
    LoadBalance { percent: u8 },
    /// The primary is active and answers every new client; the secondary (standby) holds
    /// `reserve_percent` of the free addresses for when the primary is gone.
    HotStandby { reserve_percent: u8 },
}

impl Mode {
    /// The HBA the primary sends in CONNECT (ISC orientation: set bit = primary serves).
    pub fn hba(&self) -> Hba {
        match *self {
            Mode::LoadBalance { percent } => Hba::from_percent(percent),
            Mode::HotStandby { .. } => Hba::hot_standby(),
        }
    }

    /// How many of `available` free addresses the secondary should own (BACKUP) — the target
    /// of the primary's pool balancing. Load balance: the secondary's share of buckets
    /// (ISC aims at half with split 128); hot standby: the reserve.
    pub fn secondary_share(&self, available: usize) -> usize {
        let pct = match *self {
            Mode::LoadBalance { percent } => 100 - usize::from(percent.min(100)),
            Mode::HotStandby { reserve_percent } => usize::from(reserve_percent.min(100)),
        };
        available * pct / 100
    }
}

/// One relationship's configuration, as the core needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Relationship name; must match the partner's byte for byte (CONNECT, reject 8).
    pub name: String,
    pub role: Role,
    pub mode: Mode,
    /// Maximum client lead time, s. Primary: configured and sent in CONNECT; secondary: used
    /// until CONNECT tells otherwise.
    pub mclt: u32,
    /// Our receive timer (ISC `max-response-delay`), s: sent as receive-timer; silence for
    /// longer closes the connection.
    pub max_response_delay: u32,
    /// How many BNDUPDs we can absorb un-acked (sent as max-unacked-bndupd).
    pub max_unacked: u32,
    /// COMMUNICATIONS-INTERRUPTED → PARTNER-DOWN after this many s; 0 = never automatically.
    pub auto_partner_down: u32,
    /// Shared secret for HMAC-SHA-256 message digests; `None` with ISC.
    pub secret: Option<Vec<u8>>,
    /// Largest accepted clock difference with the partner, s (0 = not checked).
    pub max_skew: u32,
    /// Sent as vendor-class-identifier.
    pub vendor: String,
    /// DISCOVERs with `secs` above this are answered whatever the hash (ISC
    /// `load balance max seconds`); 0 = always follow the hash.
    pub load_balance_max_secs: u16,
}

impl Settings {
    /// Defaults: load balance 50 %, MCLT 1 h (Microsoft), receive timer 30 s, 100 un-acked
    /// (ISC), no automatic partner-down, no secret, 60 s skew, 3 s load-balance cutoff.
    pub fn new(name: &str, role: Role) -> Settings {
        Settings {
            name: name.to_string(),
            role,
            mode: Mode::LoadBalance { percent: 50 },
            mclt: 3600,
            max_response_delay: 30,
            max_unacked: 100,
            auto_partner_down: 0,
            secret: None,
            max_skew: 60,
            vendor: concat!("duodhcp-", env!("CARGO_PKG_VERSION")).to_string(),
            load_balance_max_secs: 3,
        }
    }
}

/// What the DHCP server may do in the current state (digest §6 table, ISC column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// STARTUP, RECOVER*, POTENTIAL-CONFLICT, RESOLUTION-INTERRUPTED, CONFLICT-DONE, PAUSED,
    /// SHUTDOWN: answer nobody (ISC).
    None,
    /// Load-balanced new clients from our own pool, renewals for anyone.
    Normal,
    /// All clients, own pool only, lease times capped by MCLT.
    CommInterrupted,
    /// All clients; the partner's pool only after `since` + MCLT.
    PartnerDown { since: Secs },
    /// Draft-12 RECOVER-DONE service (renewals only). ISC answers nobody there and so do we;
    /// kept for integrators that want the draft's behaviour.
    RenewOnly,
}

/// Work for the integrator produced by a received message (or timers, via `take_inbound`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// A BNDUPD: run `accept_update`, store the result durably, then call `Partner::ack`
    /// with this xid (or a reject).
    Binding {
        xid: u32,
        lease: Lease,
    },
    /// Our BNDUPD for `addr` was acknowledged (EXPIRED/RELEASED/RESET may now become FREE).
    Acked {
        addr: Ipv4Addr,
        rejected: Option<(u8, String)>,
    },
    /// Queue every binding (`all`, UPDREQALL) or the ones the partner has not acked (UPDREQ)
    /// with `queue_update`, before the next `take_output`.
    SendAll {
        all: bool,
    },
    /// POOLREQ (primary only): rebalance, then call `pool_response(n)`.
    PoolRequest,
    StateChanged {
        from: ServerState,
        to: ServerState,
    },
    /// CONNECT/CONNECTACK accepted: the relationship is up.
    Connected,
}
