//! TEMPORARY: replaced by the catalog on merge.
use std::fmt::Display;
pub mod id {
    pub const EVENT_SERVER_INIT_DATABASE_FAILED: u16 = 1004;
    pub const EVENT_SERVER_NEED_STATIC_IP: u16 = 1144;
    pub const EVENT_DHCP_PORT_UNAVAILABLE: u16 = 20090;
    pub const DHCP_ROGUE_EVENT_NO_NETWORK: u16 = 1041;
    pub const EVENT_SERVER_INIT_AND_READY: u16 = 1024;
    pub const EVENT_SERVER_DB_PATH_NOT_ACCESSIBLE: u16 = 1062;
    pub const EVENT_SERVER_INIT_CONFIG_FAILED: u16 = 1058;
    pub const EVENT_SERVER_CLEANUP_STARTED: u16 = 1037;
    pub const EVENT_SERVER_IPCLEANUP_FINISHED: u16 = 1038;
    pub const EVENT_SERVER_DATABASE_CLEANUP: u16 = 1010;
    pub const EVENT_SERVER_BACKUP_PATH_NOT_ACCESSIBLE: u16 = 1061;
    pub const EVENT_SERVER_DATABASE_BACKUP: u16 = 1016;
    pub const EVENT_SERVER_INIT_REGISTRY_FAILED: u16 = 1003;
    pub const EVENT_SERVER_FAILED_REGISTER_SC: u16 = 1001;
    pub const EVENT_SERVER_DATABASE_RESTORE_FAILED: u16 = 1018;
    pub const EVENT_SERVER_DATABASE_RESTORE_SUCCEEDED: u16 = 1040;
    pub const EVENT_SERVER_UNKNOWN_OPTION: u16 = 1000;
    pub const EVENT_SERVER_LEASE_NACK: u16 = 1011;
    pub const EVENT_SERVER_LEASE_DECLINED: u16 = 1012;
    pub const EVENT_SERVER_LEASE_RELEASE: u16 = 1013;
    pub const EVENT_SERVER_LOW_ADDRESS_WARNING: u16 = 1020;
    pub const EVENT_SERVER_SCOPE_FULL: u16 = 1063;
    pub const EVENT_SERVER_BOOTP_FULL: u16 = 1064;
}
pub fn emit(level: log::Level, id: u16, args: &[&dyn Display]) {
    let a: Vec<String> = args.iter().map(|x| x.to_string()).collect();
    log::log!(level, "event={id} {}", a.join(" "));
}
