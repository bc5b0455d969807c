//! The only I/O layer: mio reactor, sockets, clock, signals.
