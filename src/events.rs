//! Numbered operational events: the catalog of `shared/ref/events.tsv` compiled into Rust.
//!
//! Contract: pure except for [`emit`], which writes one line through the `log` crate and bumps
//! a per-id counter (static atomics; no allocation on the counting path). Ids, names and texts
//! come from the table; `applies` says whether the event has a meaning on Linux (the table's
//! `on_linux` column starts with "applies" or "mapped"), `meaning` is that column verbatim.
//!
//! Texts use `%1`..`%9` for arguments and `%n` for a line break; we render line breaks as a
//! single space because our log lines must stay one line each (procd/systemd journals split
//! on newlines). `%t` (a tab in the original texts) is rendered as a space for the same reason.
//!
//! The generated part (between the BEGIN/END markers) was produced once from the tsv by a small
//! Python script (csv reader, tab-separated; `DHCPv4.CamelCase` names turned into
//! `DHCPV4_SNAKE_CASE`, every other name upper-cased). The tsv is not part of this repository;
//! regenerate by the same rules if it changes. Rows: 141 (the tsv has 142 lines with the header).

use std::fmt::{self, Display, Write};
use std::sync::atomic::{AtomicU64, Ordering};

/// One catalog entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub id: u16,
    /// Name as spelled in the table (1034 and 1035 share one; the id disambiguates).
    pub name: &'static str,
    /// True when the event has a Linux meaning (`on_linux` starts with "applies" or "mapped").
    pub applies: bool,
    /// The table's `on_linux` column.
    pub meaning: &'static str,
    /// Message template with `%1`..`%9` and `%n`.
    pub text: &'static str,
}

/// All events, sorted by id (checked by a unit test).
pub static CATALOG: &[Event] = &TABLE;

/// One counter per catalog row plus one shared slot for ids outside the catalog.
static COUNTERS: [AtomicU64; LEN + 1] = [const { AtomicU64::new(0) }; LEN + 1];

fn index(id: u16) -> Option<usize> {
    CATALOG.binary_search_by_key(&id, |e| e.id).ok()
}

/// The catalog entry for `id`.
pub fn lookup(id: u16) -> Option<&'static Event> {
    index(id).and_then(|i| CATALOG.get(i))
}

/// Substitute `%1`..`%9` with `args` (a missing argument renders as empty), `%n` and `%t` with a
/// space. Anything else after `%` is kept as written. Unknown ids render as "event N" followed
/// by the arguments, so nothing passed in is lost.
pub fn render(id: u16, args: &[&dyn Display]) -> String {
    let mut out = String::new();
    let _ = render_into(&mut out, id, args);
    out
}

fn render_into(out: &mut impl Write, id: u16, args: &[&dyn Display]) -> fmt::Result {
    let Some(ev) = lookup(id) else {
        write!(out, "event {id}")?;
        for a in args {
            write!(out, " {a}")?;
        }
        return Ok(());
    };
    let mut chars = ev.text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.write_char(c)?;
            continue;
        }
        match chars.peek().copied() {
            Some(d @ '1'..='9') => {
                chars.next();
                let i = d as usize - '1' as usize;
                if let Some(a) = args.get(i) {
                    write!(out, "{a}")?;
                }
            }
            Some('n') | Some('t') => {
                chars.next();
                out.write_char(' ')?;
            }
            _ => out.write_char('%')?,
        }
    }
    Ok(())
}

/// `Display` adapter so `emit` formats straight into the logger without an intermediate String.
struct Rendered<'a> {
    id: u16,
    args: &'a [&'a dyn Display],
}

impl Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render_into(f, self.id, self.args)
    }
}

/// Log `event=<id> <NAME>: <text>` at `level` and count it. Counting happens even when the
/// level is filtered out, so `count` reflects what happened, not what was logged.
pub fn emit(level: log::Level, id: u16, args: &[&dyn Display]) {
    let slot = index(id).unwrap_or(LEN);
    if let Some(c) = COUNTERS.get(slot) {
        c.fetch_add(1, Ordering::Relaxed);
    }
    let name = lookup(id).map_or("UNKNOWN", |e| e.name);
    log::log!(level, "event={id} {name}: {}", Rendered { id, args });
}

/// How many times `id` was emitted since start. Ids outside the catalog share one counter.
pub fn count(id: u16) -> u64 {
    let slot = index(id).unwrap_or(LEN);
    COUNTERS.get(slot).map_or(0, |c| c.load(Ordering::Relaxed))
}

// BEGIN GENERATED from shared/ref/events.tsv (see module docs); edit the tsv, not this.

/// Event ids as constants, named after the tsv (`DHCPv4.CamelCase` becomes `DHCPV4_SNAKE_CASE`).
#[rustfmt::skip]
pub mod id {
    pub const EVENT_SERVER_UNKNOWN_OPTION: u16 = 1000;
    pub const EVENT_SERVER_FAILED_REGISTER_SC: u16 = 1001;
    pub const EVENT_SERVER_INIT_DATA_FAILED: u16 = 1002;
    pub const EVENT_SERVER_INIT_REGISTRY_FAILED: u16 = 1003;
    pub const EVENT_SERVER_INIT_DATABASE_FAILED: u16 = 1004;
    pub const EVENT_SERVER_INIT_WINSOCK_FAILED: u16 = 1005;
    pub const EVENT_SERVER_INIT_RPC_FAILED: u16 = 1006;
    pub const EVENT_SERVER_INIT_SOCK_FAILED: u16 = 1007;
    pub const EVENT_SERVER_SHUTDOWN: u16 = 1008;
    pub const EVENT_SERVER_CLIENT_CLEANUP: u16 = 1009;
    pub const EVENT_SERVER_DATABASE_CLEANUP: u16 = 1010;
    pub const EVENT_SERVER_LEASE_NACK: u16 = 1011;
    pub const EVENT_SERVER_LEASE_DECLINED: u16 = 1012;
    pub const EVENT_SERVER_LEASE_RELEASE: u16 = 1013;
    pub const EVENT_SERVER_DATABASE_BACKUP: u16 = 1016;
    pub const EVENT_SERVER_CONFIG_BACKUP: u16 = 1017;
    pub const EVENT_SERVER_DATABASE_RESTORE_FAILED: u16 = 1018;
    pub const EVENT_SERVER_CONFIG_RESTORE_FAILED: u16 = 1019;
    pub const EVENT_SERVER_LOW_ADDRESS_WARNING: u16 = 1020;
    pub const EVENT_SERVER_LOAD_JET_FAILED: u16 = 1021;
    pub const EVENT_SERVER_JET_CONV_REQUIRED: u16 = 1022;
    pub const EVENT_SERVER_JET_CONV_IN_PROGRESS: u16 = 1023;
    pub const EVENT_SERVER_INIT_AND_READY: u16 = 1024;
    pub const EVENT_SERVER_BOOT_FILE_TABLE: u16 = 1025;
    pub const EVENT_SERVER_BOOT_FILE_NAME: u16 = 1026;
    pub const EVENT_SERVER_AUDIT_LOG_APPEND_FAILED: u16 = 1027;
    pub const EVENT_SERVER_INIT_AUDIT_LOG_FAILED: u16 = 1028;
    pub const EVENT_SERVER_PING_FAILED: u16 = 1029;
    pub const EVENT_SERVER_MOVE_AUDIT_LOG_FAILED: u16 = 1030;
    pub const EVENT_SERVER_CALLOUT_UNHANDLED_EXCEPTION: u16 = 1031;
    pub const EVENT_SERVER_CALLOUT_LOAD_EXCEPTION: u16 = 1032;
    pub const EVENT_SERVER_CALLOUT_LOAD_SUCCESS: u16 = 1033;
    pub const EVENT_SERVER_READ_ONLY_GROUP_ERROR: u16 = 1034;
    /// Same tsv name as 1034; suffixed with the id to keep both constants.
    pub const EVENT_SERVER_READ_ONLY_GROUP_ERROR_1035: u16 = 1035;
    pub const EVENT_SERVER_ADMIN_GROUP_ERROR: u16 = 1036;
    pub const EVENT_SERVER_CLEANUP_STARTED: u16 = 1037;
    pub const EVENT_SERVER_IPCLEANUP_FINISHED: u16 = 1038;
    pub const EVENT_SERVER_MCASTCLEANUP_FINISHED: u16 = 1039;
    pub const EVENT_SERVER_DATABASE_RESTORE_SUCCEEDED: u16 = 1040;
    pub const DHCP_ROGUE_EVENT_NO_NETWORK: u16 = 1041;
    pub const DHCP_ROGUE_EVENT_UNAUTHORIZED_INFO: u16 = 1042;
    pub const DHCP_ROGUE_EVENT_STARTED: u16 = 1043;
    pub const DHCP_ROGUE_EVENT_STARTED_DOMAIN: u16 = 1044;
    pub const DHCP_ROGUE_EVENT_STOPPED: u16 = 1045;
    pub const DHCP_ROGUE_EVENT_STOPPED_DOMAIN: u16 = 1046;
    pub const DHCP_ROGUE_EVENT_JUST_UPGRADED: u16 = 1047;
    pub const DHCP_ROGUE_EVENT_JUST_UPGRADED_DOMAIN: u16 = 1048;
    pub const DHCP_ROGUE_EVENT_CANT_FIND_DOMAIN: u16 = 1049;
    pub const DHCP_ROGUE_EVENT_NETWORK_FAILURE: u16 = 1050;
    pub const DHCP_ROGUE_EVENT_UNAUTHORIZED: u16 = 1051;
    pub const DHCP_ROGUE_EVENT_OTHER_SERVER: u16 = 1052;
    pub const DHCP_ROGUE_EVENT_SAM_OTHER_SERVER: u16 = 1053;
    pub const DHCP_ROGUE_EVENT_SHUTDOWN: u16 = 1054;
    pub const DHCP_EVENT_DNS_REGPARAMS_FAILURE: u16 = 1055;
    pub const DHCP_EVENT_NO_DNSCREDENTIALS_ON_DC: u16 = 1056;
    pub const EVENT_SERVER_DATABASE_CONVERSION: u16 = 1057;
    pub const EVENT_SERVER_INIT_CONFIG_FAILED: u16 = 1058;
    pub const VENT_SERVER_COULDNT_SEE_DS: u16 = 1059;
    pub const EVENT_SERVER_AUDITLOG_PATH_NOT_ACCESSIBLE: u16 = 1060;
    pub const EVENT_SERVER_BACKUP_PATH_NOT_ACCESSIBLE: u16 = 1061;
    pub const EVENT_SERVER_DB_PATH_NOT_ACCESSIBLE: u16 = 1062;
    pub const EVENT_SERVER_SCOPE_FULL: u16 = 1063;
    pub const EVENT_SERVER_BOOTP_FULL: u16 = 1064;
    pub const EVENT_SERVER_ORPHONED_ENTRIES_DELETED: u16 = 1065;
    pub const EVENT_SERVER_NEED_STATIC_IP: u16 = 1144;
    pub const EVENT_SERVER_OFFER_QUEUE_FULL: u16 = 1338;
    pub const EVENT_SERVER_OFFER_QUEUE_FUNCTIONAL: u16 = 1339;
    pub const EVENT_SERVER_DNSDHCID_FAIL: u16 = 1340;
    pub const EVENT_SERVER_POLICY_RANGES_FULL: u16 = 1341;
    pub const EVENT_SERVER_RESIDUAL_RANGES_FULL: u16 = 1342;
    pub const EVENT_SERVER_POLICY_RANGES_LOW_ADDRESS_WARNING: u16 = 1343;
    pub const EVENT_SERVER_DNS_VALIDATION_FAILED: u16 = 1344;
    pub const EVENT_SERVER_RESIDUAL_RANGES_LOW_ADDRESS_WARNING: u16 = 1376;
    pub const EVENT_SERVER_SUPERSCOPE_LOW_ADDRESS_WARNING: u16 = 1377;
    pub const EVENT_DHCPV6_ADDERESS_NACKED: u16 = 10000;
    pub const EVENT_DHCPV6_REQUEST_RECEIVED_FOR_ADDRESSES_NOT_LEASED: u16 = 10001;
    pub const EVENT_DHCPV6_SERVER_UNKNOWN_OPTION: u16 = 10002;
    pub const EVENT_DHCPV6_SERVER_SCOPE_FULL: u16 = 10003;
    pub const EVENT_DHCPV6_SERVER_LEASE_DECLINED: u16 = 10004;
    pub const EVENT_DHCPV6_SERVER_LOW_ADDRESS_WARNING: u16 = 10005;
    pub const EVENT_DHCPV6_CLIENT_DELETE: u16 = 10006;
    pub const EVENT_DHCPV6_DROP_TIMEOUT: u16 = 10007;
    pub const EVENT_DHCPV6_DROP_INVALID: u16 = 10008;
    pub const EVENT_DHCPV6_DROP_WRONG_SERVER: u16 = 10009;
    pub const EVENT_DHCPV6_DROP_UNICAST: u16 = 10010;
    pub const EVENT_DHCPV6_SERVER_AUDIT_LOG_APPEND_FAILED: u16 = 10011;
    pub const EVENT_DHCPV6_DROP_UNAUTH: u16 = 10012;
    pub const EVENT_DHCPV6_SERVER_INIT_AUDIT_LOG_FAILED: u16 = 10013;
    pub const EVENT_DHCPV6_SERVER_MOVE_AUDIT_LOG_FAILED: u16 = 10014;
    pub const EVENT_DHCPV6_SERVER_AUDITLOG_PATH_NOT_ACCESSIBLE: u16 = 10015;
    pub const EVENT_DHCPV6_SERVER_INIT_WINSOCK_FAILED: u16 = 10016;
    pub const EVENT_DHCPV6_NO_DNSCREDENTIALS_ON_DC: u16 = 10017;
    pub const EVENT_DHCPV6_SERVER_INTERFACE_NOTIFICATION: u16 = 10018;
    pub const EVENT_DHCPV6_SERVER_INIT_CONFIG_FAILED: u16 = 10019;
    pub const EVENT_DHCPV6_SERVER_NEED_STATIC_IP: u16 = 10020;
    pub const EVENT_DHCPV6_SERVER_INIT_DATABASE_FAILED: u16 = 10021;
    pub const EVENT_DHCPV6_SERVER_INIT_AND_READY: u16 = 10022;
    pub const EVENT_DHCPV6_PORT_UNAVAILABLE: u16 = 10023;
    pub const ERROR_LAST_DHCPV6_SERVER_ERROR: u16 = 10024;
    pub const EVENT_DHCPV6_DNSDHCID_FAIL: u16 = 10025;
    pub const EVENT_DHCP_PORT_UNAVAILABLE: u16 = 20090;
    pub const EVENT_FILTER_EMPTY_ALLOW_LIST: u16 = 20098;
    pub const DHCPV4_CHANGE_FAILOVER_RELATION_STATE: u16 = 20251;
    pub const DHCPV4_CHANGE_FAILOVER_RELATION_STATE_ERROR: u16 = 20252;
    pub const DHCPV4_FAILOVER_SERVER_TIME_SYNC: u16 = 20253;
    pub const DHCPV4_FAILOVER_COMM_UP: u16 = 20254;
    pub const DHCPV4_FAILOVER_COMM_DOWN: u16 = 20255;
    pub const DHCPV4_AUTH_FAILED_BND_UPD_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20256;
    pub const DHCPV4_AUTH_FAILED_BND_UPD_MSG_DIGEST_NOT_CONFIGURED: u16 = 20257;
    pub const DHCPV4_AUTH_FAILED_BND_UPD_MSG_DIGEST_NOT_PRESENT: u16 = 20258;
    pub const DHCPV4_CHANGE_FAILOVER_RELATION_STATE_NO_PREV_STATE: u16 = 20259;
    pub const DHCPV4_CHANGE_FAILOVER_RELATION_STATE_ERROR_NO_PREV_STATE: u16 = 20260;
    pub const DHCPV4_AUTH_FAILED_BND_ACK_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20261;
    pub const DHCPV4_AUTH_FAILED_BND_ACK_MSG_DIGEST_NOT_CONFIGURED: u16 = 20262;
    pub const DHCPV4_AUTH_FAILED_BND_ACK_MSG_DIGEST_NOT_PRESENT: u16 = 20263;
    pub const DHCPV4_AUTH_FAILED_CONNECT_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20264;
    pub const DHCPV4_AUTH_FAILED_CONNECT_MSG_DIGEST_NOT_CONFIGURED: u16 = 20265;
    pub const DHCPV4_AUTH_FAILED_CONNECT_MSG_DIGEST_NOT_PRESENT: u16 = 20266;
    pub const DHCPV4_AUTH_FAILED_CONNECT_ACK_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20267;
    pub const DHCPV4_AUTH_FAILED_CONNECT_ACK_MSG_DIGEST_NOT_CONFIGURED: u16 = 20268;
    pub const DHCPV4_AUTH_FAILED_CONNECT_ACK_MSG_DIGEST_NOT_PRESENT: u16 = 20269;
    pub const DHCPV4_AUTH_FAILED_UPD_REQ_ALL_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20270;
    pub const DHCPV4_AUTH_FAILED_UPD_REQ_ALL_MSG_DIGEST_NOT_CONFIGURED: u16 = 20271;
    pub const DHCPV4_AUTH_FAILED_UPD_REQ_ALL_MSG_DIGEST_NOT_PRESENT: u16 = 20272;
    pub const DHCPV4_AUTH_FAILED_UPD_DONE_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20273;
    pub const DHCPV4_AUTH_FAILED_UPD_DONE_MSG_DIGEST_NOT_CONFIGURED: u16 = 20274;
    pub const DHCPV4_AUTH_FAILED_UPD_DONE_MSG_DIGEST_NOT_PRESENT: u16 = 20275;
    pub const DHCPV4_AUTH_FAILED_UPD_REQ_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20276;
    pub const DHCPV4_AUTH_FAILED_UPD_REQ_MSG_DIGEST_NOT_CONFIGURED: u16 = 20277;
    pub const DHCPV4_AUTH_FAILED_UPD_REQ_MSG_DIGEST_NOT_PRESENT: u16 = 20278;
    pub const DHCPV4_AUTH_FAILED_STATE_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20279;
    pub const DHCPV4_AUTH_FAILED_STATE_MSG_DIGEST_NOT_CONFIGURED: u16 = 20280;
    pub const DHCPV4_AUTH_FAILED_STATE_MSG_DIGEST_NOT_PRESENT: u16 = 20281;
    pub const DHCPV4_AUTH_FAILED_CONTACT_MSG_DIGEST_FAILED_TO_COMPARE: u16 = 20282;
    pub const DHCPV4_AUTH_FAILED_CONTACT_MSG_DIGEST_NOT_CONFIGURED: u16 = 20283;
    pub const DHCPV4_AUTH_FAILED_CONTACT_MSG_DIGEST_NOT_PRESENT: u16 = 20284;
    pub const DHCPV4_INVALID_ALGORITHM_PROVIDER: u16 = 20285;
    pub const DHCPV4_FAILOVER_CLIENT_LEASE_DROPPED: u16 = 20286;
    pub const DHCPV4_CLIENT_REQUEST_DROPPED: u16 = 20287;
    pub const DHCPV4_SEND_BND_ACK_MESSAGE_REJECT_REASON: u16 = 20291;
    pub const DHCPV4_RECV_BND_ACK_MESSAGE_REJECT_REASON: u16 = 20292;
}

const LEN: usize = 141;

#[rustfmt::skip]
static TABLE: [Event; LEN] = [
    Event {
        id: 1000,
        name: "EVENT_SERVER_UNKNOWN_OPTION",
        applies: true,
        meaning: "applies",
        text: "The DHCP service received the unknown option %1, with a length of %2. The raw option data is given below.",
    },
    Event {
        id: 1001,
        name: "EVENT_SERVER_FAILED_REGISTER_SC",
        applies: true,
        meaning: "mapped: failed to hand readiness/PID to the init system (pid file, notify socket)",
        text: "The DHCP service failed to register with Service Controller. The following error occurred: %n%1.",
    },
    Event {
        id: 1002,
        name: "EVENT_SERVER_INIT_DATA_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service failed to initialize its global parameters. The following error occurred: %n%1",
    },
    Event {
        id: 1003,
        name: "EVENT_SERVER_INIT_REGISTRY_FAILED",
        applies: true,
        meaning: "mapped: config file could not be read or parsed",
        text: "The DHCP service failed to initialize its registry parameters. The following error occurred: %n%1",
    },
    Event {
        id: 1004,
        name: "EVENT_SERVER_INIT_DATABASE_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service failed to initialize the database. The following error occurred: %n%1",
    },
    Event {
        id: 1005,
        name: "EVENT_SERVER_INIT_WINSOCK_FAILED",
        applies: true,
        meaning: "mapped: socket subsystem setup failed",
        text: "The DHCP service failed to initialize Winsock startup. The following error occurred: %n%1",
    },
    Event {
        id: 1006,
        name: "EVENT_SERVER_INIT_RPC_FAILED",
        applies: true,
        meaning: "mapped: control socket could not be opened",
        text: "The DHCP service failed to start as a RPC server. The following error occurred : %n%1",
    },
    Event {
        id: 1007,
        name: "EVENT_SERVER_INIT_SOCK_FAILED",
        applies: true,
        meaning: "mapped: socket setup failed",
        text: "The DHCP service failed to initialize Winsock data. The following error occurred: %n%1",
    },
    Event {
        id: 1008,
        name: "EVENT_SERVER_SHUTDOWN",
        applies: true,
        meaning: "applies",
        text: "The DHCP service is shutting down due to the following error: %n%1",
    },
    Event {
        id: 1009,
        name: "EVENT_SERVER_CLIENT_CLEANUP",
        applies: true,
        meaning: "applies",
        text: "The DHCP service encountered the following error while cleaning up the pending client records: %n%1",
    },
    Event {
        id: 1010,
        name: "EVENT_SERVER_DATABASE_CLEANUP",
        applies: true,
        meaning: "applies",
        text: "The DHCP service encountered the following error while cleaning up the database: %n%1",
    },
    Event {
        id: 1011,
        name: "EVENT_SERVER_LEASE_NACK",
        applies: true,
        meaning: "applies",
        text: "The DHCP service issued a NACK (negative acknowledgement message) to the client, %2, for the address, %1.",
    },
    Event {
        id: 1012,
        name: "EVENT_SERVER_LEASE_DECLINED",
        applies: true,
        meaning: "applies",
        text: "The DHCP client, %2, declined the address %1.",
    },
    Event {
        id: 1013,
        name: "EVENT_SERVER_LEASE_RELEASE",
        applies: true,
        meaning: "applies",
        text: "The DHCP Client, %2, released the address %1.",
    },
    Event {
        id: 1016,
        name: "EVENT_SERVER_DATABASE_BACKUP",
        applies: true,
        meaning: "applies",
        text: "The DHCP service encountered the following error when backing up the database: %n%1",
    },
    Event {
        id: 1017,
        name: "EVENT_SERVER_CONFIG_BACKUP",
        applies: true,
        meaning: "mapped: config backup failed",
        text: "The DHCP service encountered the following error when backing up the registry configuration: %n%1",
    },
    Event {
        id: 1018,
        name: "EVENT_SERVER_DATABASE_RESTORE_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service failed to restore the database. The following error occurred: %n%1",
    },
    Event {
        id: 1019,
        name: "EVENT_SERVER_CONFIG_RESTORE_FAILED",
        applies: true,
        meaning: "mapped: config restore failed",
        text: "The DHCP service failed to restore the DHCP registry configuration. The following error occurred: %n%1",
    },
    Event {
        id: 1020,
        name: "EVENT_SERVER_LOW_ADDRESS_WARNING",
        applies: true,
        meaning: "applies",
        text: "Scope, %1, is %2 percent full with only %3 IP addresses remaining.",
    },
    Event {
        id: 1021,
        name: "EVENT_SERVER_LOAD_JET_FAILED",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP service could not load the JET database library successfully.",
    },
    Event {
        id: 1022,
        name: "EVENT_SERVER_JET_CONV_REQUIRED",
        applies: true,
        meaning: "mapped: journal has an older on-disk format that must be converted first",
        text: "The DHCP service could not use the database. If this service was started for the first time after the upgrade from NT 3.51 or earlier, you need to run the utility, upg351db.exe, on the DHCP database to convert it to the new JET database format. Restart the DHCP service after you have upgraded the database.",
    },
    Event {
        id: 1023,
        name: "EVENT_SERVER_JET_CONV_IN_PROGRESS",
        applies: true,
        meaning: "mapped: journal format conversion in progress",
        text: "The DHCP service will now terminate because the existing database needs conversion to Windows 2000 format. The conversion via the jetconv process, has initiated. Do not reboot or stop the jetconv process. The conversion may take up to 10 minutes depending on the size of the database. Terminate DHCP now by clicking OK. This is required for the database conversion to succeed. NOTE: The DHCP service will be restarted automatically when the conversion is completed. To check conversion status, look at the Application event log for the jetconv process.",
    },
    Event {
        id: 1024,
        name: "EVENT_SERVER_INIT_AND_READY",
        applies: true,
        meaning: "applies",
        text: "The DHCP service has initialized and is ready",
    },
    Event {
        id: 1025,
        name: "EVENT_SERVER_BOOT_FILE_TABLE",
        applies: true,
        meaning: "applies: BOOTP boot-file table unreadable in config",
        text: "The DHCP service was unable to read the BOOTP file table from the registry. The DHCP service will be unable to respond to BOOTP requests that specify the boot file name.",
    },
    Event {
        id: 1026,
        name: "EVENT_SERVER_BOOT_FILE_NAME",
        applies: true,
        meaning: "applies: global BOOTP file name unreadable in config",
        text: "The DHCP service was unable to read the global BOOTP file name from the registry.",
    },
    Event {
        id: 1027,
        name: "EVENT_SERVER_AUDIT_LOG_APPEND_FAILED",
        applies: true,
        meaning: "applies",
        text: "The audit log file cannot be appended.",
    },
    Event {
        id: 1028,
        name: "EVENT_SERVER_INIT_AUDIT_LOG_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service failed to initialize the audit log. The following error occurred: %n%1",
    },
    Event {
        id: 1029,
        name: "EVENT_SERVER_PING_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service was unable to ping for a new IP address. The address was leased to the client.",
    },
    Event {
        id: 1030,
        name: "EVENT_SERVER_MOVE_AUDIT_LOG_FAILED",
        applies: true,
        meaning: "applies",
        text: "The audit log file could not be backed up. The following error occurred: %n%1",
    },
    Event {
        id: 1031,
        name: "EVENT_SERVER_CALLOUT_UNHANDLED_EXCEPTION",
        applies: true,
        meaning: "mapped: a lease hook (external script/callout) failed; server goes on",
        text: "The installed server callout .dll file has caused an exception. The exception was: %n%1. The server has ignored this exception. All further exceptions will be ignored.",
    },
    Event {
        id: 1032,
        name: "EVENT_SERVER_CALLOUT_LOAD_EXCEPTION",
        applies: true,
        meaning: "mapped: a lease hook could not be loaded",
        text: "The installed server callout .dll file has caused an exception. The exception was: %n%1. The server has ignored this exception and the .dll file could not be loaded.",
    },
    Event {
        id: 1033,
        name: "EVENT_SERVER_CALLOUT_LOAD_SUCCESS",
        applies: true,
        meaning: "mapped: lease hooks loaded",
        text: "The DHCP service has successfully loaded one or more callout DLLs.",
    },
    Event {
        id: 1034,
        name: "EVENT_SERVER_READ_ONLY_GROUP_ERROR",
        applies: true,
        meaning: "mapped: lease hooks failed to load",
        text: "The DHCP service has failed to load one or more callout DLLs. The following error occured: %n%1",
    },
    Event {
        id: 1035,
        name: "EVENT_SERVER_READ_ONLY_GROUP_ERROR",
        applies: true,
        meaning: "mapped: read-only control group (DHCP Users) missing",
        text: "The DHCP service was unable to create or lookup the DHCP Users local group on this computer. The error code is in the data.",
    },
    Event {
        id: 1036,
        name: "EVENT_SERVER_ADMIN_GROUP_ERROR",
        applies: true,
        meaning: "mapped: admin control group (DHCP Administrators) missing",
        text: "The DHCP server was unable to create or lookup the DHCP Administrators local group on this computer. The error code is in the data.",
    },
    Event {
        id: 1037,
        name: "EVENT_SERVER_CLEANUP_STARTED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service has started to clean up the database.",
    },
    Event {
        id: 1038,
        name: "EVENT_SERVER_IPCLEANUP_FINISHED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service has cleaned up the database for unicast IP addresses -- %1 leases have been recovered and %2 records have been removed from the database.",
    },
    Event {
        id: 1039,
        name: "EVENT_SERVER_MCASTCLEANUP_FINISHED",
        applies: true,
        meaning: "applies if multicast scopes (MADCAP) are built; else not used",
        text: "The DHCP service has cleaned up the database for multicast IP addresses -- %1 leases have expired (been marked for deletion) and %2 records have been removed from the database.",
    },
    Event {
        id: 1040,
        name: "EVENT_SERVER_DATABASE_RESTORE_SUCCEEDED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service successfully restored the database.",
    },
    Event {
        id: 1041,
        name: "DHCP_ROGUE_EVENT_NO_NETWORK",
        applies: true,
        meaning: "applies: no interface with a static IPv4 address to serve on",
        text: "The DHCP service is not servicing any DHCPv4 clients because none of the active network interfaces have statically configured IPv4 addresses, or there are no active interfaces.",
    },
    Event {
        id: 1042,
        name: "DHCP_ROGUE_EVENT_UNAUTHORIZED_INFO",
        applies: true,
        meaning: "mapped: another DHCP server seen answering on a served segment (rogue detection)",
        text: "The DHCP/BINL service running on this machine has detected a server on the network. If the server does not belong to any domain, the domain is listed as empty. The IP address of the server is listed in parentheses. %1",
    },
    Event {
        id: 1043,
        name: "DHCP_ROGUE_EVENT_STARTED",
        applies: true,
        meaning: "mapped: server decided it may serve and is serving",
        text: "The DHCP/BINL service on the local machine has determined that it is authorized to start. It is servicing clients now.",
    },
    Event {
        id: 1044,
        name: "DHCP_ROGUE_EVENT_STARTED_DOMAIN",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP/BINL service on the local machine, belonging to the Windows Administrative domain %2, has determined that it is authorized to start. It is servicing clients now.",
    },
    Event {
        id: 1045,
        name: "DHCP_ROGUE_EVENT_STOPPED",
        applies: true,
        meaning: "mapped: server stopped serving a segment because another authoritative server was found",
        text: "The DHCP/BINL service on the local machine has determined that it is not authorized to start. It has stopped servicing clients. The following are some possible reasons for this: %n%tThis machine belongs to a workgroup and has encountered another DHCP Server (belonging to a Windows Administrative Domain) servicing the same network. %n%n%tAn unexpected network error occurred.",
    },
    Event {
        id: 1046,
        name: "DHCP_ROGUE_EVENT_STOPPED_DOMAIN",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP/BINL service on the local machine, belonging to the Windows Administrative domain %2, has determined that it is not authorized to start. It has stopped servicing clients. The following are some possible reasons for this: %n%tThis machine is part of a directory service enterprise and is not authorized in the same domain. (See help on the DHCP Service Management Tool for additional information). %n%n%tThis machine cannot reach its directory service enterprise and it has encountered another DHCP service on the network belonging to a directory service enterprise on which the local machine is not authorized. %n%n%tSome unexpected network error occurred.",
    },
    Event {
        id: 1047,
        name: "DHCP_ROGUE_EVENT_JUST_UPGRADED",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP/BINL service on the local machine has determined that it is authorized to start. It is servicing clients now. %nThe DHCP/BINL service has determined that the machine was recently upgraded. If the machine is intended to belong to a directory service enterprise, the DHCP service must be authorized in the directory service for it to start servicing clients. (See help on DHCP Service Management Tool for authorizing the server).",
    },
    Event {
        id: 1048,
        name: "DHCP_ROGUE_EVENT_JUST_UPGRADED_DOMAIN",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP/BINL Service on the local machine, belonging to Windows Domain %2, has determined that it is authorized to start. It is servicing clients now. It has determined that the computer was recently upgraded. It has also determined that either there is no directory service enterprise for the domain or that the computer is not authorized in the directory service. All DHCP services that belong to a directory service enterprise should be authorized in the directory service to service clients. (See help on the DHCP Service Management Tool for authorizing a DHCP service in the directory service).",
    },
    Event {
        id: 1049,
        name: "DHCP_ROGUE_EVENT_CANT_FIND_DOMAIN",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP/BINL service on the local machine encountered an error while trying to find the domain of the local machine. The error was: %3.",
    },
    Event {
        id: 1050,
        name: "DHCP_ROGUE_EVENT_NETWORK_FAILURE",
        applies: true,
        meaning: "mapped: network error while probing for other servers",
        text: "The DHCP/BINL service on the local machine encountered a network error. The error was: %3.",
    },
    Event {
        id: 1051,
        name: "DHCP_ROGUE_EVENT_UNAUTHORIZED",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP/BINL service has determined that it is not authorized to service clients on this network for the Windows domain: %2. All DHCP services that belong to a directory service enterprise must be authorized in the directory service to service clients. (See help on the DHCP Service Management Tool for authorizing a DHCP server in the directory service).",
    },
    Event {
        id: 1052,
        name: "DHCP_ROGUE_EVENT_OTHER_SERVER",
        applies: true,
        meaning: "mapped: another server (address, domain/name if known) seen on the network",
        text: "The DHCP/BINL service on this workgroup server has encountered another server with IP Address, %1, belonging to the domain %2.",
    },
    Event {
        id: 1053,
        name: "DHCP_ROGUE_EVENT_SAM_OTHER_SERVER",
        applies: true,
        meaning: "mapped: another server seen on the network",
        text: "The DHCP/BINL service has encountered another server on this network with IP Address, %1, belonging to the domain: %2.",
    },
    Event {
        id: 1054,
        name: "DHCP_ROGUE_EVENT_SHUTDOWN",
        applies: true,
        meaning: "mapped: server shutting down its rogue-detection duty",
        text: "The DHCP/BINL service on this computer is shutting down. See the previous event log messages for reasons.",
    },
    Event {
        id: 1055,
        name: "DHCP_EVENT_DNS_REGPARAMS_FAILURE",
        applies: true,
        meaning: "mapped: DNS update credentials (TSIG key) unusable; updates go unsigned or stop",
        text: "The DHCP service was unable to impersonate the credentials necessary for DNS registrations: %n%1. The local system credentials is being used.",
    },
    Event {
        id: 1056,
        name: "DHCP_EVENT_NO_DNSCREDENTIALS_ON_DC",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP service has detected that it is running on a DC and has no credentials configured for use with Dynamic DNS registrations initiated by the DHCP service. This is not a recommended security configuration. Credentials for Dynamic DNS registrations may be configured using the command line \"netsh dhcp server set dnscredentials\" or via the DHCP Administrative tool.",
    },
    Event {
        id: 1057,
        name: "EVENT_SERVER_DATABASE_CONVERSION",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP service was unable to convert the temporary database to ESE format: %n%1.",
    },
    Event {
        id: 1058,
        name: "EVENT_SERVER_INIT_CONFIG_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DHCP service failed to initialize its configuration parameters. The following error occurred: %n%1",
    },
    Event {
        id: 1059,
        name: "VENT_SERVER_COULDNT_SEE_DS",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCP service failed to see a directory server for authorization.",
    },
    Event {
        id: 1060,
        name: "EVENT_SERVER_AUDITLOG_PATH_NOT_ACCESSIBLE",
        applies: true,
        meaning: "applies",
        text: "The DHCP service was unable to access path specified for the audit log.",
    },
    Event {
        id: 1061,
        name: "EVENT_SERVER_BACKUP_PATH_NOT_ACCESSIBLE",
        applies: true,
        meaning: "applies",
        text: "The DHCP service was unable to access path specified for the database backups.",
    },
    Event {
        id: 1062,
        name: "EVENT_SERVER_DB_PATH_NOT_ACCESSIBLE",
        applies: true,
        meaning: "applies",
        text: "The DHCP service was unable to access path specified for the database",
    },
    Event {
        id: 1063,
        name: "EVENT_SERVER_SCOPE_FULL",
        applies: true,
        meaning: "applies",
        text: "There are no IP addresses available for lease in the scope or superscope \"%1\".",
    },
    Event {
        id: 1064,
        name: "EVENT_SERVER_BOOTP_FULL",
        applies: true,
        meaning: "applies",
        text: "There are no IP addresses available for BOOTP clients in the scope or superscope \"%1\".",
    },
    Event {
        id: 1065,
        name: "EVENT_SERVER_ORPHONED_ENTRIES_DELETED",
        applies: true,
        meaning: "applies",
        text: "There were some orphaned entries deleted in the configuration due to the deletion of a class or an option definition. Please recheck the server configuration.",
    },
    Event {
        id: 1144,
        name: "EVENT_SERVER_NEED_STATIC_IP",
        applies: true,
        meaning: "applies: a served interface has a dynamic (non-permanent) address",
        text: "This computer has at least one dynamically assigned IP address. For reliable DHCP Server operation, you should use only static IP addresses.",
    },
    Event {
        id: 1338,
        name: "EVENT_SERVER_OFFER_QUEUE_FULL",
        applies: true,
        meaning: "applies",
        text: "The number of pending DHCPOFFER messages for delayed transmission to the client has exceeded the server's capacity of 1000 pending messages. The DHCP server will drop all subsequent DHCPDISCOVER messages for which the DHCPOFFER message response needs to be delayed as per the server configuration. The DHCP server will continue to process DHCPDISCOVER messages for which the DHCPOFFER message responses do not need to be delayed. The DHCP server will resume processing all DHCPDISCOVER messages once the number of pending DHCPOFFER messages for delayed transmission to the client is below the server's capacity.",
    },
    Event {
        id: 1339,
        name: "EVENT_SERVER_OFFER_QUEUE_FUNCTIONAL",
        applies: true,
        meaning: "applies",
        text: "The number pending DHCPOFFER messages for delayed transmission to the client is now below the server's capacity of 1000. The DHCP server will now resume processing all DHCPDISCOVER messages.",
    },
    Event {
        id: 1340,
        name: "EVENT_SERVER_DNSDHCID_FAIL",
        applies: true,
        meaning: "applies",
        text: "The DNS registration for DHCPv4 Client IP address %1 , FQDN %2 and DHCID %3 has been denied as there is probably an existing client with same FQDN already registered with DNS.",
    },
    Event {
        id: 1341,
        name: "EVENT_SERVER_POLICY_RANGES_FULL",
        applies: true,
        meaning: "applies",
        text: "There are no IP addresses available for lease in IP address range(s) of the policy %1 in scope %2.",
    },
    Event {
        id: 1342,
        name: "EVENT_SERVER_RESIDUAL_RANGES_FULL",
        applies: true,
        meaning: "applies",
        text: "IP address range of scope %1 is out of IP addresses.",
    },
    Event {
        id: 1343,
        name: "EVENT_SERVER_POLICY_RANGES_LOW_ADDRESS_WARNING",
        applies: true,
        meaning: "applies",
        text: "Ip address range(s) for the scope %1 policy %2 is %3 percent full with only %4 IP addresses available .",
    },
    Event {
        id: 1344,
        name: "EVENT_SERVER_DNS_VALIDATION_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DNS IP Address %1 is not a valid DNS Server Address.",
    },
    Event {
        id: 1376,
        name: "EVENT_SERVER_RESIDUAL_RANGES_LOW_ADDRESS_WARNING",
        applies: true,
        meaning: "applies",
        text: "IP address range of scope %1 is %2 percent full with only %3 IP addresses available.",
    },
    Event {
        id: 1377,
        name: "EVENT_SERVER_SUPERSCOPE_LOW_ADDRESS_WARNING",
        applies: true,
        meaning: "applies",
        text: "SuperScope, %1, is %2 percent full with only %3 IP addresses remaining. This superscope has the following scopes %4",
    },
    Event {
        id: 10000,
        name: "EVENT_DHCPV6_ADDERESS_NACKED",
        applies: true,
        meaning: "applies",
        text: "DHCPv6 confirmation has been declined because the address was not appropriate to the link or DHCPv6 renew request has a Zero lifetime for Client Address %1.",
    },
    Event {
        id: 10001,
        name: "EVENT_DHCPV6_REQUEST_RECEIVED_FOR_ADDRESSES_NOT_LEASED",
        applies: true,
        meaning: "applies",
        text: "Renew, rebind or confirm received for IPv6 addresses %1 for which there are no active lease available.",
    },
    Event {
        id: 10002,
        name: "EVENT_DHCPV6_SERVER_UNKNOWN_OPTION",
        applies: true,
        meaning: "applies",
        text: "DHCPv6 service received the unknown option %1, with a length of %2. The raw option data is given below.",
    },
    Event {
        id: 10003,
        name: "EVENT_DHCPV6_SERVER_SCOPE_FULL",
        applies: true,
        meaning: "applies",
        text: "There are no IPv6 addresses available to lease in the scope serving the network with Prefix %1.",
    },
    Event {
        id: 10004,
        name: "EVENT_DHCPV6_SERVER_LEASE_DECLINED",
        applies: true,
        meaning: "applies",
        text: "The DHCPv6 client, %2, declined the address %1.",
    },
    Event {
        id: 10005,
        name: "EVENT_DHCPV6_SERVER_LOW_ADDRESS_WARNING",
        applies: true,
        meaning: "applies",
        text: "DHCPv6 Scope serving the network with prefix %1, is %2 percent full with only %3 IP addresses remaining.",
    },
    Event {
        id: 10006,
        name: "EVENT_DHCPV6_CLIENT_DELETE",
        applies: true,
        meaning: "applies",
        text: "A DHCPV6 client %1 has been deleted from DHCPV6 database.",
    },
    Event {
        id: 10007,
        name: "EVENT_DHCPV6_DROP_TIMEOUT",
        applies: true,
        meaning: "applies",
        text: "A DHCPV6 message that was in the queue for more than 30 seconds has been dropped because it is too old to process.",
    },
    Event {
        id: 10008,
        name: "EVENT_DHCPV6_DROP_INVALID",
        applies: true,
        meaning: "applies",
        text: "An invalid DHCPV6 message has been dropped.",
    },
    Event {
        id: 10009,
        name: "EVENT_DHCPV6_DROP_WRONG_SERVER",
        applies: true,
        meaning: "applies",
        text: "A DHCPV6 message that was not meant for this server has been dropped.",
    },
    Event {
        id: 10010,
        name: "EVENT_DHCPV6_DROP_UNICAST",
        applies: true,
        meaning: "applies",
        text: "DHCV6 message has been dropped because it was received on a Uni-cast address and unicast support is disabled on the server.",
    },
    Event {
        id: 10011,
        name: "EVENT_DHCPV6_SERVER_AUDIT_LOG_APPEND_FAILED",
        applies: true,
        meaning: "applies",
        text: "DHCPV6 audit log file cannot be appended, Error Code returned %1.",
    },
    Event {
        id: 10012,
        name: "EVENT_DHCPV6_DROP_UNAUTH",
        applies: true,
        meaning: "applies",
        text: "A DHCPV6 message has been dropped because the server is not authorized to process the message.",
    },
    Event {
        id: 10013,
        name: "EVENT_DHCPv6_SERVER_INIT_AUDIT_LOG_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DHCPv6 service failed to initialize the audit log. The following error occurred: %n%1",
    },
    Event {
        id: 10014,
        name: "EVENT_DHCPV6_SERVER_MOVE_AUDIT_LOG_FAILED",
        applies: true,
        meaning: "applies",
        text: "DHCPv6 audit log file could not be backed up. Error code %1",
    },
    Event {
        id: 10015,
        name: "EVENT_DHCPV6_SERVER_AUDITLOG_PATH_NOT_ACCESSIBLE",
        applies: true,
        meaning: "applies",
        text: "The DHCPv6 service was unable to access path specified for the audit log.",
    },
    Event {
        id: 10016,
        name: "EVENT_DHCPV6_SERVER_INIT_WINSOCK_FAILED",
        applies: true,
        meaning: "mapped: DHCPv6 socket setup failed",
        text: "The DHCPv6 service failed to initialize Winsock startup. The following error occurred %1.",
    },
    Event {
        id: 10017,
        name: "EVENT_DHCPV6_NO_DNSCREDENTIALS_ON_DC",
        applies: false,
        meaning: "windows-only: no Linux counterpart",
        text: "The DHCPv6 service has detected that it is running on a DC and has no credentials configured for use with Dynamic DNS registrations initiated by the DHCPv6 service. This is not a recommended security configuration.",
    },
    Event {
        id: 10018,
        name: "EVENT_DHCPV6_SERVER_INTERFACE_NOTIFICATION",
        applies: true,
        meaning: "applies: lost interface change notifications (netlink); some interfaces not served",
        text: "The DHCPv6 Server failed to receive a notification of interface list changes. Some of the interfaces will not be enabled in the DHCPv6 service.",
    },
    Event {
        id: 10019,
        name: "EVENT_DHCPV6_SERVER_INIT_CONFIG_FAILED",
        applies: true,
        meaning: "applies",
        text: "The DHCPv6 service failed to initialize its configuration parameters. The following error occurred: %n%1.",
    },
    Event {
        id: 10020,
        name: "EVENT_DHCPV6_SERVER_NEED_STATIC_IP",
        applies: true,
        meaning: "applies",
        text: "This computer has at least one dynamically assigned IPv6 address. For reliable DHCPv6 server operation, you should use only static IPv6 addresses.",
    },
    Event {
        id: 10021,
        name: "EVENT_DHCPV6_SERVER_INIT_DATABASE_FAILED",
        applies: true,
        meaning: "applies",
        text: "DHCPv6 service failed to initialize the database. The following error occurred: %n%1.",
    },
    Event {
        id: 10022,
        name: "EVENT_DHCPV6_SERVER_INIT_AND_READY",
        applies: true,
        meaning: "applies",
        text: "The DHCPv6 service has initialized and is ready to serve.",
    },
    Event {
        id: 10023,
        name: "EVENT_DHCPV6_PORT_UNAVAILABLE",
        applies: true,
        meaning: "applies",
        text: "DHCPv6 Server is unable to bind to UDP port number %1 as it is used by another application. This port must be made available to DHCPv6 Server to start servicing the clients.",
    },
    Event {
        id: 10024,
        name: "ERROR_LAST_DHCPV6_SERVER_ERROR",
        applies: false,
        meaning: "not an event: marker of the end of the DHCPv6 range",
        text: "ERROR_LAST_DHCPV6_SERVER_ERROR",
    },
    Event {
        id: 10025,
        name: "EVENT_DHCPV6_DNSDHCID_FAIL",
        applies: true,
        meaning: "applies",
        text: "The DNS registration for DHCPv6 Client IPv6 address %1, FQDN %2 and DHCID %3 has been denied as there is probably an existing client with same FQDN already registered with DNS.",
    },
    Event {
        id: 20090,
        name: "EVENT_DHCP_PORT_UNAVAILABLE",
        applies: true,
        meaning: "applies",
        text: "DHCP Server is unable to bind to UDP port number %1 as it is used by another application. This port must be made available to DHCP Server to start servicing the clients.",
    },
    Event {
        id: 20098,
        name: "EVENT_FILTER_EMPTY_ALLOW_LIST",
        applies: true,
        meaning: "applies",
        text: "No DHCP clients are being served, as the Allow list is empty and the server was configured to provide DHCP services, to clients whose hardware addresses are present in the Allow List.",
    },
    Event {
        id: 20251,
        name: "DHCPv4.ChangeFailoverRelationState",
        applies: true,
        meaning: "applies",
        text: "The failover state of server: %1 for failover relationship: %2 changed from: %3 to %4.",
    },
    Event {
        id: 20252,
        name: "DHCPv4.ChangeFailoverRelationStateError",
        applies: true,
        meaning: "applies",
        text: "The failover state of server: %1 for failover relationship: %2 changed from: %3 to %4.",
    },
    Event {
        id: 20253,
        name: "DHCPv4.FailoverServerTimeSync",
        applies: true,
        meaning: "applies",
        text: "The server detected that it is out of time synchronization with partner server: %1 for failover relationship: %2. The time is out of sync by: %3 seconds .",
    },
    Event {
        id: 20254,
        name: "DHCPv4.FailoverCommUp",
        applies: true,
        meaning: "applies",
        text: "Server has established contact with failover partner server %1 for relationship %2 .",
    },
    Event {
        id: 20255,
        name: "DHCPv4.FailoverCommDown",
        applies: true,
        meaning: "applies",
        text: "Server has lost contact with failover partner server %1 for relationship %2 .",
    },
    Event {
        id: 20256,
        name: "DHCPv4.AuthFailedBndUpdMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message BINDING-UPDATE from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20257,
        name: "DHCPv4.AuthFailedBndUpdMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message BINDING-UPDATE from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20258,
        name: "DHCPv4.AuthFailedBndUpdMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message BINDING-UPDATE from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20259,
        name: "DHCPv4.ChangeFailoverRelationStateNoPrevState",
        applies: true,
        meaning: "applies",
        text: "The failover state of server: %1 for failover relationship: %2 changed to : %3.",
    },
    Event {
        id: 20260,
        name: "DHCPv4.ChangeFailoverRelationStateErrorNoPrevState",
        applies: true,
        meaning: "applies",
        text: "The failover state of server: %1 for failover relationship: %2 changed to: %3.",
    },
    Event {
        id: 20261,
        name: "DHCPv4.AuthFailedBndAckMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message BINDING-ACK from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20262,
        name: "DHCPv4.AuthFailedBndAckMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message BINDING-ACK from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20263,
        name: "DHCPv4.AuthFailedBndAckMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message BINDING-ACK from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20264,
        name: "DHCPv4.AuthFailedConnectMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONNECT from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20265,
        name: "DHCPv4.AuthFailedConnectMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONNECT from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20266,
        name: "DHCPv4.AuthFailedConnectMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONNECT from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20267,
        name: "DHCPv4.AuthFailedConnectAckMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONNECTACK from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20268,
        name: "DHCPv4.AuthFailedConnectAckMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONNECTACK from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20269,
        name: "DHCPv4.AuthFailedConnectAckMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONNECTACK from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20270,
        name: "DHCPv4.AuthFailedUpdReqAllMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDREQALL from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20271,
        name: "DHCPv4.AuthFailedUpdReqAllMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDREQALL from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20272,
        name: "DHCPv4.AuthFailedUpdReqAllMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDREQALL from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20273,
        name: "DHCPv4.AuthFailedUpdDoneMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDDONE from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20274,
        name: "DHCPv4.AuthFailedUpdDoneMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDDONE from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20275,
        name: "DHCPv4.AuthFailedUpdDoneMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDDONE from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20276,
        name: "DHCPv4.AuthFailedUpdReqMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDREQ from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20277,
        name: "DHCPv4.AuthFailedUpdReqMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDREQ from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20278,
        name: "DHCPv4.AuthFailedUpdReqMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message UPDREQ from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20279,
        name: "DHCPv4.AuthFailedStateMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message STATE from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20280,
        name: "DHCPv4.AuthFailedStateMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message STATE from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20281,
        name: "DHCPv4.AuthFailedStateMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message STATE from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20282,
        name: "DHCPv4.AuthFailedContactMsgDigestFailedToCompare",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONTACT from server %1 for failover relationship %2 was rejected because message digest failed to compare.",
    },
    Event {
        id: 20283,
        name: "DHCPv4.AuthFailedContactMsgDigestNotConfigured",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONTACT from server %1 for failover relationship %2 was rejected because message digest was not configured.",
    },
    Event {
        id: 20284,
        name: "DHCPv4.AuthFailedContactMsgDigestNotPresent",
        applies: true,
        meaning: "applies",
        text: "Failover protocol message CONTACT from server %1 for failover relationship %2 is rejected because message digest was not present.",
    },
    Event {
        id: 20285,
        name: "DHCPv4.InvalidAlgorithmProvider",
        applies: true,
        meaning: "applies",
        text: "An invalid cryptographic algorithm %1 was specified for failover message authentication in FailoverCryptoAlgorithm under registry key HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\DHCPServer\\Parameters\\Failover. The operation is halted.",
    },
    Event {
        id: 20286,
        name: "DHCPv4.FailoverClientLeaseDropped",
        applies: true,
        meaning: "applies",
        text: "BINDING UPDATE message for IP address %1 could not be replicated to the partner server %2 of failover relation %3 as the internal BINDING UPDATE queue is full.",
    },
    Event {
        id: 20287,
        name: "DHCPv4.ClientRequestDropped",
        applies: true,
        meaning: "applies",
        text: "DHCP client request from %1 was dropped since the applicable IP address ranges in scope/superscope %2 are out of available IP addresses. This could be because of IP address ranges of a policy being out of available IP addresses.",
    },
    Event {
        id: 20291,
        name: "DHCPv4.SendBndAckMessageRejectReason",
        applies: true,
        meaning: "applies",
        text: "A BINDING-ACK message with transaction id: %1 was sent for IP address: %2 with reject reason: (%3) to partner server: %4 for failover relationship: %5.",
    },
    Event {
        id: 20292,
        name: "DHCPv4.RecvBndAckMessageRejectReason",
        applies: true,
        meaning: "applies",
        text: "A BINDING-ACK message with transaction id: %1 was received for IP address: %2 with reject reason: (%3 ) from partner server: %4 for failover relationship: %5.",
    },
];

// END GENERATED

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_and_sorted() {
        assert_eq!(CATALOG.len(), 141);
        for w in CATALOG.windows(2) {
            assert!(w[0].id < w[1].id, "{} then {}", w[0].id, w[1].id);
        }
    }

    #[test]
    fn lookup_finds_known_and_rejects_unknown() {
        let e = lookup(id::EVENT_SERVER_LEASE_NACK).unwrap();
        assert_eq!(e.id, 1011);
        assert_eq!(e.name, "EVENT_SERVER_LEASE_NACK");
        assert!(e.applies);
        assert_eq!(id::DHCPV4_CHANGE_FAILOVER_RELATION_STATE, 20251);
        assert_eq!(
            lookup(20251).unwrap().name,
            "DHCPv4.ChangeFailoverRelationState"
        );
        assert_eq!(id::EVENT_SERVER_READ_ONLY_GROUP_ERROR, 1034);
        assert_eq!(id::EVENT_SERVER_READ_ONLY_GROUP_ERROR_1035, 1035);
        assert!(!lookup(id::EVENT_SERVER_LOAD_JET_FAILED).unwrap().applies);
        assert!(!lookup(id::ERROR_LAST_DHCPV6_SERVER_ERROR).unwrap().applies);
        assert!(lookup(1014).is_none());
        assert!(lookup(0).is_none());
        assert!(lookup(u16::MAX).is_none());
        // Every row is reachable through lookup.
        for e in CATALOG {
            assert_eq!(lookup(e.id).map(|x| x.id), Some(e.id));
        }
    }

    #[test]
    fn render_substitutes() {
        let s = render(id::EVENT_SERVER_UNKNOWN_OPTION, &[&250u8, &4usize]);
        assert!(
            s.starts_with("The DHCP service received the unknown option 250, with a length of 4."),
            "{s}"
        );
        let s = render(id::EVENT_SERVER_INIT_DATA_FAILED, &[&"disk full"]);
        assert!(
            s.ends_with("The following error occurred:  disk full"),
            "{s}"
        );
        assert!(!s.contains('%') && !s.contains('\n'));
        // Missing arguments render empty rather than leaving the marker.
        let s = render(id::EVENT_SERVER_SCOPE_FULL, &[]);
        assert!(s.contains("superscope \"\""), "{s}");
        assert_eq!(render(4242, &[&"x", &7]), "event 4242 x 7");
    }

    #[test]
    fn counters_count() {
        // Use ids no other test emits so parallel tests cannot disturb the numbers.
        let a = id::EVENT_SERVER_JET_CONV_IN_PROGRESS;
        let before = count(a);
        emit(log::Level::Debug, a, &[]);
        emit(log::Level::Trace, a, &[&1]);
        assert_eq!(count(a), before + 2);
        assert_eq!(count(id::EVENT_SERVER_JET_CONV_REQUIRED), 0);
        let unknown_before = count(65000);
        emit(log::Level::Info, 65000, &[]);
        assert_eq!(count(65000), unknown_before + 1);
    }
}
