//! Time as a parameter: cores never read the clock.
//!
//! `Millis` is wall-clock time in milliseconds since the Unix epoch, read once per reactor turn
//! and passed into every core. Lease times are persisted as Unix seconds (`Secs`) because they
//! must survive a restart; short timers (offer hold) use the millisecond value.

/// Milliseconds since the Unix epoch.
pub type Millis = u64;
/// Seconds since the Unix epoch (lease start/end on disk and on the failover wire).
pub type Secs = u64;

/// Whole seconds of a millisecond timestamp.
pub fn secs(ms: Millis) -> Secs {
    ms / 1000
}
