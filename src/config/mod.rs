//! Validated configuration. Pure: input is the file's text and its name.
//!
//! The text format is documented in `etc/duodhcp.conf` and in `parse.rs`. Every error reads
//! `file:line: expected …` so an operator can go straight to the line.

pub mod failover;
pub mod options;
pub mod parse;

use core::net::Ipv4Addr;
use std::fmt;

pub use parse::parse;

/// A config error with the place it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub file: String,
    pub line: usize,
    /// What was expected / what is wrong, e.g. "expected an IPv4 address after `router`".
    pub msg: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.msg)
    }
}

impl std::error::Error for Error {}

/// Journal durability policy (see journal issue): when appended records reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Every reply waits for its own flush.
    Sync,
    /// One flush per reactor turn covers every reply of that turn (group commit). Default.
    Batch,
    /// No flush (tmpfs).
    None,
}

/// What to do with a corrupt record in the middle of the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorruptionPolicy {
    /// Skip the bad record, log the event, go on (default).
    Skip,
    /// Refuse to start.
    Refuse,
}

/// Encoded option values: (code, bytes as they go on the wire), in config order.
pub type OptionList = Vec<(u8, Vec<u8>)>;

/// Server-wide settings (`server { … }` block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Interfaces to serve, by name. Nothing else is ever served.
    pub interfaces: Vec<String>,
    /// Journal file path.
    pub journal: String,
    pub durability: Durability,
    /// `batch` mode: longest wait (ms) before a commit, so one flush covers several turns'
    /// ACKs; 0 = commit at the end of every reactor turn.
    pub commit_window_ms: u32,
    /// Kernel receive buffer per DHCP socket, KiB: absorbs bursts while a commit blocks.
    pub receive_buffer_kb: u32,
    pub on_corruption: CorruptionPolicy,
    /// Compact when the journal exceeds this many times the live set (and at least 1 MiB).
    pub compact_ratio: u32,
    /// Expired/released leases older than this many seconds are dropped at compaction.
    pub expired_grace: u32,
    /// Backup directory; `None` disables periodic backup.
    pub backup_dir: Option<String>,
    /// Seconds between backups.
    pub backup_interval: u32,
    /// Explicit server identifier (option 54); default: the ingress interface's address.
    pub server_id: Option<Ipv4Addr>,
    /// Seconds an offered address is held for the client.
    pub offer_hold: u32,
    /// Seconds a declined address stays quarantined.
    pub decline_quarantine: u32,
    /// Event 1020 when a scope is at least this percent used.
    pub low_address_warning: u8,
    /// Answer BOOTP requests from clients without a reservation.
    pub dynamic_bootp: bool,
    /// NAK requests for addresses we do not know on a served segment (RFC 2131 §4.3.2).
    pub authoritative: bool,
    /// Unix control socket path (operator issue); `None` disables it.
    pub control_socket: Option<String>,
    /// PID file written at start-up; `None` writes none.
    pub pid_file: Option<String>,
}

impl Default for Server {
    fn default() -> Server {
        Server {
            interfaces: Vec::new(),
            journal: "/var/lib/duodhcp/leases.journal".into(),
            durability: Durability::Batch,
            commit_window_ms: 10,
            receive_buffer_kb: 1024,
            on_corruption: CorruptionPolicy::Skip,
            compact_ratio: 4,
            expired_grace: 3600,
            backup_dir: None,
            backup_interval: 3600,
            server_id: None,
            offer_hold: 30,
            decline_quarantine: 600,
            low_address_warning: 90,
            dynamic_bootp: false,
            authoritative: true,
            control_socket: None,
            pid_file: None,
        }
    }
}

/// How a reservation recognises its client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReservationKey {
    /// Ethernet MAC (htype 1), 6 bytes.
    Mac([u8; 6]),
    /// Client identifier (option 61) bytes.
    ClientId(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub name: String,
    pub key: ReservationKey,
    pub addr: Ipv4Addr,
    pub options: OptionList,
    /// BOOTP boot file for this host (overrides the scope's).
    pub boot_file: Option<String>,
    /// Line in the config, for messages.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    /// Network address (host bits zero) and prefix length.
    pub subnet: Ipv4Addr,
    pub prefix_len: u8,
    /// Inclusive address ranges handed out dynamically.
    pub ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// Inclusive ranges never handed out dynamically.
    pub exclusions: Vec<(Ipv4Addr, Ipv4Addr)>,
    pub reservations: Vec<Reservation>,
    /// Lease time in seconds (option 51).
    pub lease_time: u32,
    /// Renewal (T1) and rebinding (T2) times; default 1/2 and 7/8 of the lease time.
    pub t1: Option<u32>,
    pub t2: Option<u32>,
    pub options: OptionList,
    /// BOOTP / PXE boot file name (`file` field) and next server (`siaddr`).
    pub boot_file: Option<String>,
    pub next_server: Option<Ipv4Addr>,
    /// Line of the `scope` statement.
    pub line: usize,
}

impl Scope {
    pub fn netmask(&self) -> Ipv4Addr {
        let m: u32 = if self.prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix_len))
        };
        Ipv4Addr::from(m)
    }

    pub fn contains(&self, a: Ipv4Addr) -> bool {
        let m = u32::from(self.netmask());
        u32::from(a) & m == u32::from(self.subnet) & m
    }
}

/// The whole validated configuration.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Config {
    pub server: Server,
    /// Server-level options (apply to every scope unless overridden).
    pub options: OptionList,
    pub scopes: Vec<Scope>,
    /// Failover relationships; a scope belongs to at most one.
    pub relationships: Vec<Relationship>,
}

/// Failover role of this server in a relationship (draft-12 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoRole {
    Primary,
    Secondary,
}

/// Microsoft's failover modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoMode {
    /// Both serve new clients; `percent` of the hash buckets go to the primary.
    LoadBalance { percent: u8 },
    /// The primary serves; the standby (secondary) holds `reserve_percent` of the free
    /// addresses for when the primary is unreachable.
    HotStandby { reserve_percent: u8 },
}

/// A failover relationship (`failover NAME { … }` block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relationship {
    pub name: String,
    pub role: FoRole,
    /// Our address: listener, source of outbound connections.
    pub address: Ipv4Addr,
    pub port: u16,
    pub peer_address: Ipv4Addr,
    pub peer_port: u16,
    pub mode: FoMode,
    /// Maximum client lead time, seconds (the primary's value is authoritative).
    pub mclt: u32,
    /// Our receive timer: the partner must send something this often (seconds).
    pub max_response_delay: u32,
    pub max_unacked_updates: u32,
    /// COMMUNICATIONS-INTERRUPTED -> PARTNER-DOWN after this many seconds; 0 = never.
    pub auto_partner_down: u32,
    /// DISCOVERs with `secs` above this are answered regardless of the hash (ISC's
    /// "load balance max seconds").
    pub load_balance_max_secs: u16,
    /// Shared secret for HMAC-SHA-256 message digests; `None` = no digests (ISC peers).
    pub shared_secret: Option<Vec<u8>>,
    /// Names of the scopes in this relationship.
    pub scopes: Vec<String>,
    pub line: usize,
}
