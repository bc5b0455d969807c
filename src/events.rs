//! TEMPORARY: replaced by the catalog on merge.
use std::fmt::Display;
pub mod id {
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
