#!/bin/sh
# `make fuzz`: coverage-guided fuzzing of the DHCPv4 decoder with cargo-fuzz (libFuzzer),
# time-boxed. The one stable toolchain here builds it with RUSTC_BOOTSTRAP=1 (sanitizer flags).
set -eu
secs=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
mkdir -p tests/fuzz/corpus/dhcpv4_parse
RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir tests/fuzz dhcpv4_parse \
    tests/fuzz/corpus/dhcpv4_parse tests/fuzz/seeds/dhcpv4_parse \
    -- -max_total_time="$secs" -max_len=1500
