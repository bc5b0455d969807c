//! Option payload storage. Nearly every option a server reads or writes per exchange is a
//! message type, an address, a time or a short list: keeping up to `INLINE` bytes in place
//! saves one heap allocation per option, which was about half of the allocations of an
//! exchange (benches/core.rs counts them).

use core::fmt;
use core::ops::Deref;

const INLINE: usize = 22;

#[derive(Clone)]
pub struct OptData(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Vec<u8>),
}

impl OptData {
    pub const fn new() -> OptData {
        OptData(Repr::Inline {
            len: 0,
            buf: [0; INLINE],
        })
    }

    pub fn from_slice(b: &[u8]) -> OptData {
        let mut d = OptData::new();
        d.extend_from_slice(b);
        d
    }

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Repr::Heap(v) => v,
        }
    }

    /// Appends (RFC 3396 concatenation of split options); moves to the heap when it outgrows
    /// the inline space.
    pub fn extend_from_slice(&mut self, more: &[u8]) {
        match &mut self.0 {
            Repr::Inline { len, buf } => {
                let cur = usize::from(*len);
                let end = cur + more.len();
                if let Some(dst) = buf.get_mut(cur..end) {
                    dst.copy_from_slice(more);
                    // end ≤ INLINE < 256.
                    *len = end as u8;
                } else {
                    let mut v = Vec::with_capacity(end);
                    v.extend_from_slice(buf.get(..cur).unwrap_or_default());
                    v.extend_from_slice(more);
                    self.0 = Repr::Heap(v);
                }
            }
            Repr::Heap(v) => v.extend_from_slice(more),
        }
    }
}

impl Default for OptData {
    fn default() -> OptData {
        OptData::new()
    }
}

impl Deref for OptData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for OptData {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for OptData {
    fn eq(&self, o: &OptData) -> bool {
        self.as_slice() == o.as_slice()
    }
}

impl Eq for OptData {}

impl fmt::Debug for OptData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl From<Vec<u8>> for OptData {
    fn from(v: Vec<u8>) -> OptData {
        if v.len() <= INLINE {
            OptData::from_slice(&v)
        } else {
            OptData(Repr::Heap(v))
        }
    }
}

impl From<&[u8]> for OptData {
    fn from(b: &[u8]) -> OptData {
        OptData::from_slice(b)
    }
}

impl<const N: usize> From<[u8; N]> for OptData {
    fn from(b: [u8; N]) -> OptData {
        OptData::from_slice(&b)
    }
}

impl<const N: usize> From<&[u8; N]> for OptData {
    fn from(b: &[u8; N]) -> OptData {
        OptData::from_slice(b)
    }
}

impl PartialEq<[u8]> for OptData {
    fn eq(&self, o: &[u8]) -> bool {
        self.as_slice() == o
    }
}

impl PartialEq<Vec<u8>> for OptData {
    fn eq(&self, o: &Vec<u8>) -> bool {
        self.as_slice() == o.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_from_inline_to_heap_keeping_bytes() {
        let mut d = OptData::from_slice(&[1, 2, 3]);
        assert!(matches!(d.0, Repr::Inline { .. }));
        for i in 0..300u32 {
            d.extend_from_slice(&[i as u8]);
        }
        assert!(matches!(d.0, Repr::Heap(_)));
        assert_eq!(d.len(), 303);
        assert_eq!(d.get(..4), Some(&[1u8, 2, 3, 0][..]));
        assert_eq!(d.get(302), Some(&43));
        let exact = OptData::from(vec![7u8; INLINE]);
        assert!(matches!(exact.0, Repr::Inline { .. }));
        assert_eq!(exact, vec![7u8; INLINE]);
        let big = OptData::from(vec![7u8; INLINE + 1]);
        assert!(matches!(big.0, Repr::Heap(_)));
        assert_eq!(OptData::new().as_slice(), &[] as &[u8]);
    }
}
