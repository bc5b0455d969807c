//! Relay agent information (option 82) sub-options: RFC 3046, RFC 3527 (link selection),
//! RFC 5107 (server identifier override), RFC 5010 (relay flags).
//!
//! Contract: option 82 data is a sequence of (code, length, data) sub-options with no PAD or
//! END (RFC 3046 §2.0). `parse_suboptions` returns them in wire order or `Truncated` when a
//! length runs past the data; it never panics. The helpers return `None` for absent or
//! malformed sub-options instead of failing, since a relay's extra data must not cost the
//! client its lease.

use core::net::Ipv4Addr;

use crate::wire::cursor::Reader;
use crate::wire::Error;

/// RFC 3046 §3.1: agent circuit ID.
pub const CIRCUIT_ID: u8 = 1;
/// RFC 3046 §3.2: agent remote ID.
pub const REMOTE_ID: u8 = 2;
/// RFC 3527: link selection (the subnet to allocate from).
pub const LINK_SELECTION: u8 = 5;
/// RFC 3993: subscriber ID.
pub const SUBSCRIBER_ID: u8 = 6;
/// RFC 4014: RADIUS attributes.
pub const RADIUS_ATTRIBUTES: u8 = 7;
/// RFC 4030: authentication.
pub const AUTHENTICATION: u8 = 8;
/// RFC 4243: vendor-specific information.
pub const VENDOR_SPECIFIC: u8 = 9;
/// RFC 5010: relay agent flags.
pub const RELAY_FLAGS: u8 = 10;
/// RFC 5107: server identifier override.
pub const SERVER_ID_OVERRIDE: u8 = 11;
/// RFC 6925: relay agent identifier.
pub const RELAY_ID: u8 = 12;
/// RFC 6607: virtual subnet selection.
pub const VIRTUAL_SUBNET_SELECTION: u8 = 151;

/// Splits option 82 data into its sub-options, in wire order (repeats are kept separate).
pub fn parse_suboptions(data: &[u8]) -> Result<Vec<(u8, &[u8])>, Error> {
    let mut r = Reader::new(data);
    let mut v = Vec::new();
    while let Some(code) = r.u8() {
        let len = r.u8().ok_or(Error::Truncated("relay sub-option length"))?;
        let d = r
            .take(usize::from(len))
            .ok_or(Error::Truncated("relay sub-option data"))?;
        v.push((code, d));
    }
    Ok(v)
}

/// First sub-option `code` of well-formed option 82 data.
pub fn suboption(data: &[u8], code: u8) -> Option<&[u8]> {
    parse_suboptions(data)
        .ok()?
        .into_iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| d)
}

fn suboption_ipv4(data: &[u8], code: u8) -> Option<Ipv4Addr> {
    let b: [u8; 4] = suboption(data, code)?.try_into().ok()?;
    Some(Ipv4Addr::from(b))
}

/// Sub-option 5 (RFC 3527 §3): the address of the link to allocate on, exactly 4 bytes.
pub fn link_selection(data: &[u8]) -> Option<Ipv4Addr> {
    suboption_ipv4(data, LINK_SELECTION)
}

/// Sub-option 11 (RFC 5107 §4): the server identifier the client must use, exactly 4 bytes.
pub fn server_id_override(data: &[u8]) -> Option<Ipv4Addr> {
    suboption_ipv4(data, SERVER_ID_OVERRIDE)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn suboptions_in_order() {
        let d = [
            1, 3, b'a', b'b', b'c', 2, 0, 5, 4, 10, 1, 2, 0, 11, 4, 10, 0, 0, 1,
        ];
        let s = parse_suboptions(&d).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[0], (CIRCUIT_ID, &b"abc"[..]));
        assert_eq!(s[1], (REMOTE_ID, &[][..]));
        assert_eq!(link_selection(&d), Some(Ipv4Addr::new(10, 1, 2, 0)));
        assert_eq!(server_id_override(&d), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(suboption(&d, RELAY_ID), None);
    }

    #[test]
    fn bad_lengths() {
        assert_eq!(
            parse_suboptions(&[1, 4, 0, 0]),
            Err(Error::Truncated("relay sub-option data"))
        );
        assert_eq!(
            parse_suboptions(&[1]),
            Err(Error::Truncated("relay sub-option length"))
        );
        assert!(parse_suboptions(&[]).unwrap().is_empty());
        // Wrong size: ignored, not an error.
        assert_eq!(link_selection(&[5, 3, 10, 0, 0]), None);
        assert_eq!(link_selection(&[5, 4, 10, 0]), None);
    }
}
