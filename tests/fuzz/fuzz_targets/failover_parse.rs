//! Same property as tests/failover_codec.rs: parse never panics; a parsed message emits
//! (never larger than the input) and parses back equal; digest checks never panic.
#![no_main]

use duodhcp::failover::auth;
use duodhcp::wire::failover::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = auth::verify(data, Some(b"secret"));
    let _ = auth::verify(data, None);
    let Ok(first) = Message::parse(data) else {
        return;
    };
    let bytes = match first.emit() {
        Ok(b) => b,
        Err(e) => panic!("emit failed: {e}"),
    };
    assert!(bytes.len() <= data.len());
    match Message::parse(&bytes) {
        Ok(second) => assert_eq!(second, first),
        Err(e) => panic!("reparse failed: {e}"),
    }
});
