//! Bounded reader over a byte slice: it can only shrink, and every read is checked.
//!
//! Contract: no method panics. A read that asks for more bytes than remain returns `None`
//! and leaves the reader unchanged, so callers turn it into a `wire::Error` naming the field
//! (`r.u8().ok_or(Error::Truncated("op"))?`). The writer helpers append big-endian values to a
//! `Vec<u8>`; sizing limits are the caller's business (see `dhcpv4::Repr::emit`).

use core::net::Ipv4Addr;

/// A checked cursor over input bytes.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    /// Bytes not yet consumed.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Consumes exactly `n` bytes, or nothing if fewer remain.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.buf.split_at_checked(n)?;
        self.buf = tail;
        Some(head)
    }

    /// Consumes `n` bytes and returns a reader over just them (for nested TLVs).
    pub fn sub(&mut self, n: usize) -> Option<Reader<'a>> {
        self.take(n).map(Reader::new)
    }

    /// Consumes `N` bytes into an array.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.buf.split_first_chunk::<N>()?;
        self.buf = tail;
        Some(*head)
    }

    /// Looks at the next byte without consuming it.
    pub fn peek_u8(&self) -> Option<u8> {
        self.buf.first().copied()
    }

    pub fn u8(&mut self) -> Option<u8> {
        let (&b, tail) = self.buf.split_first()?;
        self.buf = tail;
        Some(b)
    }

    /// Big-endian (network order) u16.
    pub fn u16(&mut self) -> Option<u16> {
        self.array::<2>().map(u16::from_be_bytes)
    }

    /// Big-endian (network order) u32.
    pub fn u32(&mut self) -> Option<u32> {
        self.array::<4>().map(u32::from_be_bytes)
    }

    pub fn ipv4(&mut self) -> Option<Ipv4Addr> {
        self.array::<4>().map(Ipv4Addr::from)
    }

    /// Consumes and returns everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }
}

/// Append-only big-endian writer helpers over `Vec<u8>`.
pub trait Writer {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_ipv4(&mut self, v: Ipv4Addr);
    fn put_slice(&mut self, v: &[u8]);
    /// Appends `n` zero bytes.
    fn put_zeros(&mut self, n: usize);
}

impl Writer for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_ipv4(&mut self, v: Ipv4Addr) {
        self.extend_from_slice(&v.octets());
    }
    fn put_slice(&mut self, v: &[u8]) {
        self.extend_from_slice(v);
    }
    fn put_zeros(&mut self, n: usize) {
        self.resize(self.len().saturating_add(n), 0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked_and_shrink() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 0, 3, 10, 0, 0, 1, 9]);
        assert_eq!(r.u8(), Some(1));
        assert_eq!(r.u16(), Some(2));
        assert_eq!(r.u32(), Some(3));
        assert_eq!(r.ipv4(), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(r.len(), 1);
        assert_eq!(r.u16(), None);
        assert_eq!(r.take(2), None);
        // A failed read consumes nothing.
        assert_eq!(r.peek_u8(), Some(9));
        assert_eq!(r.rest(), &[9]);
        assert!(r.is_empty());
        assert_eq!(r.u8(), None);
        assert_eq!(r.take(0), Some(&[][..]));
    }

    #[test]
    fn sub_reader_is_bounded() {
        let mut r = Reader::new(&[1, 2, 3, 4]);
        let mut s = r.sub(2).unwrap();
        assert_eq!(s.u16(), Some(0x0102));
        assert_eq!(s.u8(), None);
        assert_eq!(r.len(), 2);
        assert!(r.sub(3).is_none());
    }

    #[test]
    fn writer_is_big_endian() {
        let mut v = Vec::new();
        v.put_u8(1);
        v.put_u16(0x0203);
        v.put_u32(0x0405_0607);
        v.put_ipv4(Ipv4Addr::new(8, 9, 10, 11));
        v.put_zeros(2);
        v.put_slice(&[12]);
        assert_eq!(v, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 12]);
    }
}
