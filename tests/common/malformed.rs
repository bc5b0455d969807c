//! Deterministic malformed-packet corpus, shared by `fuzz_lite` and the netns blast test.
//!
//! `corpus(seed, n)` returns `n` inputs: truncations, oversized packets (up to 1500 bytes),
//! bad option lengths, random bytes, and mutations (bit flips, byte replacement, insertion,
//! deletion, splicing) of the golden client packets. Same seed, same corpus.

/// Golden client packets: (file name, annotated hex text).
pub const GOLDEN: &[(&str, &str)] = &[
    (
        "dhclient_discover.hex",
        include_str!("../golden/dhclient_discover.hex"),
    ),
    (
        "dhclient_request.hex",
        include_str!("../golden/dhclient_request.hex"),
    ),
    (
        "udhcpc_discover.hex",
        include_str!("../golden/udhcpc_discover.hex"),
    ),
    (
        "dhcpcd_discover.hex",
        include_str!("../golden/dhcpcd_discover.hex"),
    ),
    (
        "relayed_discover.hex",
        include_str!("../golden/relayed_discover.hex"),
    ),
    (
        "bootp_request.hex",
        include_str!("../golden/bootp_request.hex"),
    ),
    (
        "overload_discover.hex",
        include_str!("../golden/overload_discover.hex"),
    ),
    (
        "long_option_split.hex",
        include_str!("../golden/long_option_split.hex"),
    ),
];

/// Decodes annotated hex: `#` starts a comment to end of line, whitespace is ignored.
pub fn decode_hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.bytes().filter(|b| !b.is_ascii_whitespace()))
        .collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits");
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).expect("ascii");
            u8::from_str_radix(s, 16).unwrap_or_else(|_| panic!("bad hex {s:?}"))
        })
        .collect()
}

/// The golden packets as bytes, by file name.
pub fn golden_packets() -> Vec<(&'static str, Vec<u8>)> {
    GOLDEN.iter().map(|(n, t)| (*n, decode_hex(t))).collect()
}

/// Golden packet by file name.
pub fn golden(name: &str) -> Vec<u8> {
    let (_, t) = GOLDEN
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no golden packet {name}"));
    decode_hex(t)
}

/// xorshift64* generator: tiny, deterministic, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 finaliser spreads nearby seeds; zero is a fixed point of xorshift.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 1 } else { z })
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 32) as u8
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

const MAX_LEN: usize = 1500;
/// Offset of the first option (header + cookie).
const OPTIONS_AT: usize = 240;

/// One mutation step on `p`, using `other` for splices.
fn mutate(rng: &mut Rng, p: &mut Vec<u8>, other: &[u8]) {
    match rng.below(6) {
        0 if !p.is_empty() => {
            let i = rng.below(p.len());
            p[i] ^= 1 << rng.below(8);
        }
        1 if !p.is_empty() => {
            let i = rng.below(p.len());
            // Interesting values: PAD, END, overload, 0x80, 0xff lengths.
            const MAGIC: [u8; 8] = [0, 1, 2, 3, 52, 0x7f, 0x80, 0xff];
            p[i] = if rng.below(2) == 0 {
                MAGIC[rng.below(8)]
            } else {
                rng.byte()
            };
        }
        2 if p.len() < MAX_LEN => {
            let i = rng.below(p.len() + 1);
            let n = 1 + rng.below(8.min(MAX_LEN - p.len()));
            let ins = rng.bytes(n);
            p.splice(i..i, ins);
        }
        3 if !p.is_empty() => {
            let i = rng.below(p.len());
            let n = 1 + rng.below(8.min(p.len() - i));
            p.drain(i..i + n);
        }
        4 if !other.is_empty() && !p.is_empty() => {
            // Splice: our head, the other packet's tail, cut at the same offset when possible.
            let cut = rng.below(p.len().min(other.len()));
            p.truncate(cut);
            p.extend_from_slice(&other[cut..]);
        }
        _ => {
            // Overwrite an option-area byte: lengths and codes are where parsers break.
            if p.len() > OPTIONS_AT {
                let i = OPTIONS_AT + rng.below(p.len() - OPTIONS_AT);
                p[i] = rng.byte();
            }
        }
    }
    p.truncate(MAX_LEN);
}

/// A valid header + cookie followed by options with wrong lengths.
fn bad_option_lengths(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut p = base[..OPTIONS_AT.min(base.len())].to_vec();
    let n = 1 + rng.below(6);
    for k in 0..n {
        let code = 1 + rng.below(254) as u8;
        let data_len = rng.below(40);
        let claimed = if k + 1 == n {
            // The last one claims more than there is.
            (data_len + 1 + rng.below(200)).min(255) as u8
        } else {
            data_len as u8
        };
        p.push(code);
        p.push(claimed);
        p.extend(rng.bytes(data_len));
    }
    if rng.below(2) == 0 {
        p.push(255);
    }
    p
}

/// Deterministic corpus of `n` malformed or mutated packets.
pub fn corpus(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let golden: Vec<Vec<u8>> = golden_packets().into_iter().map(|(_, p)| p).collect();
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let base = &golden[rng.below(golden.len())];
        let p = match rng.below(10) {
            // Truncated at a random length (includes 0 and the header boundary region).
            0 => {
                let len = if rng.below(2) == 0 {
                    rng.below(base.len())
                } else {
                    230 + rng.below(20)
                };
                base[..len.min(base.len())].to_vec()
            }
            // Oversized: valid packet followed by junk or padding up to 1500 bytes.
            1 => {
                let mut p = base.clone();
                let extra = rng.below(MAX_LEN - p.len() + 1);
                if rng.below(2) == 0 {
                    p.extend(rng.bytes(extra));
                } else {
                    p.resize(p.len() + extra, 0);
                }
                p
            }
            2 => bad_option_lengths(&mut rng, base),
            // Random bytes, sometimes with a plausible header prefix.
            3 => {
                let len = rng.below(MAX_LEN + 1);
                let mut p = rng.bytes(len);
                if rng.below(2) == 0 && p.len() >= OPTIONS_AT {
                    p[..OPTIONS_AT].copy_from_slice(&base[..OPTIONS_AT]);
                }
                p
            }
            // Mutations (most of the corpus): 1..=8 stacked steps.
            _ => {
                let other = &golden[rng.below(golden.len())];
                let mut p = base.clone();
                for _ in 0..1 + rng.below(8) {
                    mutate(&mut rng, &mut p, other);
                }
                p
            }
        };
        out.push(p);
    }
    out
}
