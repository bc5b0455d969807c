#!/bin/sh
# `make fuzz`: coverage-guided fuzzing of every decoder with cargo-fuzz (libFuzzer), each
# target time-boxed. The one stable toolchain here builds it with RUSTC_BOOTSTRAP=1.
set -eu
secs=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
for t in dhcpv4_parse failover_parse failover_deframe; do
    mkdir -p "tests/fuzz/corpus/$t"
    RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir tests/fuzz "$t" \
        "tests/fuzz/corpus/$t" "tests/fuzz/seeds/$t" \
        -- -max_total_time="$secs" -max_len=2048
done
