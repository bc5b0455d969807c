//! Bounded reader over a byte slice: it can only shrink, and every read is checked.
