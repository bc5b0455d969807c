//! DHCP option codes (RFC 2132 and later) and option-82 sub-options (RFC 3046, RFC 3527).
