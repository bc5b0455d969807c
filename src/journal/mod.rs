//! Crash-safe lease journal: memory-mapped, append-only, CRC-checked records.
//!
//! Pure parts: `format` (framing), `record` (types), `recover` (scan). I/O parts: `storage`,
//! `compact`. See `FORMAT.md` for the on-disk format.

pub mod record;

pub use record::{FailoverStateRec, Record};
