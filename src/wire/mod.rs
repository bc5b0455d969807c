//! Pure wire codecs. Contract: no function here panics on any input; every length read from
//! the wire is checked against what remains before use. Errors are small and `Copy`.

#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod cursor;
pub mod dhcpv4;
pub mod failover;

use std::fmt;

/// A decoding/encoding failure, naming the field that was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Input ended before the named field was complete.
    Truncated(&'static str),
    /// The named field had a value the protocol does not allow.
    Malformed(&'static str),
    /// The output would not fit the allowed size.
    TooLong(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated(w) => write!(f, "truncated {w}"),
            Error::Malformed(w) => write!(f, "malformed {w}"),
            Error::TooLong(w) => write!(f, "{w} too long"),
        }
    }
}

impl std::error::Error for Error {}
