//! The deframer never panics, never buffers more than one message, and yields only
//! messages of 12..=2048 bytes, whatever the stream and however it is split. The first byte
//! picks the chunk size.
#![no_main]

use duodhcp::wire::failover::Deframer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1);
    let mut d = Deframer::new();
    for chunk in stream.chunks(step) {
        match d.feed(chunk) {
            Ok(msgs) => {
                for m in msgs {
                    assert!((12..=2048).contains(&m.len()));
                }
            }
            Err(_) => return,
        }
        assert!(d.buffered() <= 2048);
    }
});
