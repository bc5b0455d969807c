//! duodhcp: a DHCPv4 server with draft-ietf-dhc-failover-12 failover.
//!
//! Layer map (see `../shared/ref/style.md` §4):
//! - `wire`: pure codecs (bytes <-> `Repr`), no panics on any input.
//! - `config`, `lease`, `dhcp`, `events`, `journal::{format,record,recover}`: pure cores.
//!   They take `now` and data, return outcomes, and never touch sockets, files or clocks.
//! - `journal::{storage,compact}`, `reactor`: the only code that owns file descriptors,
//!   the clock and signals.

pub mod config;
pub mod control;
pub mod dhcp;
pub mod events;
pub mod failover;
pub mod journal;
pub mod lease;
pub mod reactor;
pub mod time;
pub mod wire;
