//! Load balancing: the RFC 3074 hash and the 256-bit hash-bucket assignment (HBA).
//!
//! Convention (digest §7): we follow ISC, where a **set** bit means the **primary** serves that
//! bucket and the secondary serves the clear ones (the draft says the opposite; reading it
//! the draft's way against an ISC primary leaves half the clients unserved). Bucket `h` is
//! bit `1 << (h & 7)` of byte `h >> 3`.

/// RFC 3074 §6 permutation table (the values ISC uses, digest §7).
#[rustfmt::skip]
const T: [u8; 256] = [
    251, 175, 119, 215,  81,  14,  79, 191, 103,  49, 181, 143, 186, 157,   0, 232,
     31,  32,  55,  60, 152,  58,  17, 237, 174,  70, 160, 144, 220,  90,  57, 223,
     59,   3,  18, 140, 111, 166, 203, 196, 134, 243, 124,  95, 222, 179, 197,  65,
    180,  48,  36,  15, 107,  46, 233, 130, 165,  30, 123, 161, 209,  23,  97,  16,
     40,  91, 219,  61, 100,  10, 210, 109, 250, 127,  22, 138,  29, 108, 244,  67,
    207,   9, 178, 204,  74,  98, 126, 249, 167, 116,  34,  77, 193, 200, 121,   5,
     20, 113,  71,  35, 128,  13, 182,  94,  25, 226, 227, 199,  75,  27,  41, 245,
    230, 224,  43, 225, 177,  26, 155, 150, 212, 142, 218, 115, 241,  73,  88, 105,
     39, 114,  62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122,  12,  84,
     82, 163,  44, 139, 228, 236, 205, 242, 217,  11, 187, 146, 159,  64,  86, 239,
    195,  42, 106, 198, 118, 112, 184, 172,  87,   2, 173, 117, 176, 229, 247, 253,
    137, 185,  99, 164, 102, 147,  45,  66, 231,  52, 141, 211, 194, 206, 246, 238,
     56, 110,  78, 248,  63, 240, 189,  93,  92,  51,  53, 183,  19, 171,  72,  50,
     33, 104, 101,  69,   8, 252,  83, 120,  76, 135,  85,  54, 202, 125, 188, 213,
     96, 235, 136, 208, 162, 129, 190, 132, 156,  38,  47,   1,   7, 254,  24,   4,
    216, 131,  89,  21,  28, 133,  37, 153, 149,  80, 170,  68,   6, 169, 234, 151,
];

/// RFC 3074 hash of a client key: option 61 if the client sent it, else `chaddr[..hlen]`
/// (no htype byte). Starts from the key length and walks the key from its last byte.
pub fn bucket(key: &[u8]) -> u8 {
    key.iter()
        .rev()
        .fold(key.len() as u8, |h, &b| T[usize::from(h ^ b)])
}

/// A 256-bit hash-bucket assignment (option 11), ISC orientation: set = primary serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hba(pub [u8; 32]);

impl Hba {
    /// ISC `split n`: buckets `0..n` are the primary's (`n` ≥ 256 = all of them).
    pub fn from_split(n: u16) -> Hba {
        let mut b = [0u8; 32];
        for h in 0..n.min(256) {
            let h = h as usize;
            if let Some(byte) = b.get_mut(h >> 3) {
                *byte |= 1 << (h & 7);
            }
        }
        Hba(b)
    }

    /// `pct` percent of the buckets (rounded to the nearest bucket) go to the primary.
    pub fn from_percent(pct: u8) -> Hba {
        let pct = u32::from(pct.min(100));
        Hba::from_split(((pct * 256 + 50) / 100) as u16)
    }

    /// Hot standby (digest §10): the active server (our primary) answers every new client.
    pub fn hot_standby() -> Hba {
        Hba::from_split(256)
    }

    /// The option 11 value; `None` unless exactly 32 bytes (ISC's CONNECT rule, reason 18).
    pub fn from_bytes(b: &[u8]) -> Option<Hba> {
        b.try_into().ok().map(Hba)
    }

    pub fn primary_serves(&self, bucket: u8) -> bool {
        let h = usize::from(bucket);
        self.0.get(h >> 3).is_some_and(|b| b & (1 << (h & 7)) != 0)
    }

    /// How many of the 256 buckets the primary serves.
    pub fn primary_buckets(&self) -> u32 {
        self.0.iter().map(|b| b.count_ones()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_a_permutation() {
        let mut seen = [false; 256];
        for v in T {
            seen[usize::from(v)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn digest_vectors() {
        assert_eq!(bucket(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]), 135);
        assert_eq!(bucket(&[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]), 57);
        assert_eq!(bucket(&[0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]), 223);
        // ISC lab (digest §7): with split 128, bucket 57 is the primary's, 135 the secondary's.
        let h = Hba::from_split(128);
        assert!(h.primary_serves(57));
        assert!(!h.primary_serves(135));
    }

    #[test]
    fn split_and_percent() {
        let h = Hba::from_split(128);
        assert_eq!(&h.0[..16], &[0xff; 16]);
        assert_eq!(&h.0[16..], &[0; 16]);
        assert_eq!(Hba::from_split(0).primary_buckets(), 0);
        assert_eq!(Hba::from_split(300).primary_buckets(), 256);
        assert_eq!(Hba::from_percent(50), h);
        assert_eq!(Hba::from_percent(70).primary_buckets(), 179);
        assert_eq!(Hba::from_percent(100), Hba::hot_standby());
        assert_eq!(Hba::from_bytes(&[0; 31]), None);
        let s = Hba::from_split(3);
        assert!(s.primary_serves(2) && !s.primary_serves(3) && s.0[0] == 0b111);
    }
}
