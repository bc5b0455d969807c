//! DHCP option codes (RFC 2132 and later) and option-82 sub-options (RFC 3046, RFC 3527).
// TEMPORARY until the codec lands.
pub const SUBNET_MASK: u8 = 1;
pub const HOST_NAME: u8 = 12;
pub const REQUESTED_IP: u8 = 50;
pub const LEASE_TIME: u8 = 51;
pub const MESSAGE_TYPE: u8 = 53;
pub const SERVER_ID: u8 = 54;
pub const MESSAGE: u8 = 56;
pub const RENEWAL_TIME: u8 = 58;
pub const REBINDING_TIME: u8 = 59;
pub const RELAY_AGENT_INFO: u8 = 82;
pub const SUBNET_SELECTION: u8 = 118;
pub fn is_known(code: u8) -> bool {
    code <= 82
}
