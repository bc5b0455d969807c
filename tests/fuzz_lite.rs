//! Deterministic mutation fuzzing over the golden corpus (runs in `make test` on stable).
//!
//! Property, for every input: `Repr::parse` never panics; when it succeeds,
//! `emit(1500)` then `parse` gives back an equal `Repr`. No field is normalised beyond what
//! `parse` already does to any input (trailing NULs of `sname`/`file` dropped, repeated
//! options joined, overloaded fields emptied), so the comparison is plain `==`.
//! `emit(1500)` may refuse with `TooLong` only for inputs longer than 1500 - 200 bytes, where
//! a client's dense options plus re-split instances can legitimately exceed 1500; those are
//! re-checked with an unlimited size.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::malformed::corpus;
use duodhcp::wire::dhcpv4::Repr;
use duodhcp::wire::Error;

const INPUTS: usize = 100_000;

#[test]
fn parse_emit_parse_is_stable() {
    let mut parsed = 0usize;
    let mut with_options = 0usize;
    let mut too_long = 0usize;
    for (i, input) in corpus(0x0d0d_c0de, INPUTS).iter().enumerate() {
        let Ok(first) = Repr::parse(input) else {
            continue;
        };
        parsed += 1;
        if !first.options.is_empty() {
            with_options += 1;
        }
        let bytes = match first.emit(1500) {
            Ok(b) => b,
            Err(Error::TooLong(_)) if input.len() > 1300 => {
                too_long += 1;
                first.emit(usize::MAX).expect("unlimited emit")
            }
            Err(e) => panic!("input {i}: emit failed: {e}\n{input:02x?}"),
        };
        assert!(bytes.len() >= 300, "input {i}: short output");
        let second = Repr::parse(&bytes).unwrap_or_else(|e| panic!("input {i}: reparse: {e}"));
        assert_eq!(second, first, "input {i}: {input:02x?}");
    }
    eprintln!("fuzz_lite: {INPUTS} inputs, {parsed} parsed, {with_options} with options, {too_long} TooLong");
    // The corpus must exercise the success path a lot, not just error exits.
    assert!(parsed > INPUTS / 4, "only {parsed} inputs parsed");
    assert!(
        with_options > INPUTS / 5,
        "only {with_options} with options"
    );
    assert!(too_long < INPUTS / 100, "{too_long} TooLong");
}

#[test]
fn corpus_is_deterministic_and_bounded() {
    let a = corpus(42, 2000);
    let b = corpus(42, 2000);
    assert_eq!(a, b);
    assert_ne!(a, corpus(43, 2000));
    assert_eq!(a.len(), 2000);
    assert!(a.iter().all(|p| p.len() <= 1500));
    assert!(a.iter().any(|p| p.len() < 236));
    assert!(a.iter().any(|p| p.len() > 1000));
}
