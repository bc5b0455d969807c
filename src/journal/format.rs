//! Journal on-disk format (pure): file header, record framing, CRC, payload codecs.
//!
//! Contract (see `FORMAT.md` for the byte layout):
//! - `decode_header` and `decode_frame` accept any byte slice and never panic; every length read
//!   from the input is checked against what remains before it is used.
//! - A frame is accepted only if its CRC-32 (IEEE), seeded with the file generation, matches.
//!   Type 0 is never valid, so zero-filled preallocated space reads as "no record".
//! - `decode_payload` returns a borrowed [`RecordView`] (no allocation) and fails, without
//!   panicking, on a payload that does not parse exactly (trailing bytes are an error).
//! - `encode_record` appends one whole frame to a caller-owned buffer (reused by the journal so
//!   the append path does not allocate). It fails only if the payload exceeds `MAX_PAYLOAD`.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::net::Ipv4Addr;

use crate::lease::{BindingState, HwAddr, Lease};
use crate::time::Secs;

use super::record::{FailoverStateRec, Record};

/// File magic, first 8 bytes of every journal.
pub const MAGIC: [u8; 8] = *b"DUODHCPJ";
/// Format version written in the header; readers refuse other versions.
pub const VERSION: u16 = 1;
/// Length of the file header.
pub const HEADER_LEN: usize = 32;
/// crc(4) + len(2) + type(1) + seq(8).
pub const FRAME_HEADER_LEN: usize = 15;
/// Largest payload a frame can carry (the length field is 16 bits).
pub const MAX_PAYLOAD: usize = u16::MAX as usize;

/// Record type codes. 0 is reserved as invalid.
pub const T_LEASE_UPSERT: u8 = 1;
pub const T_LEASE_REMOVE: u8 = 2;
pub const T_FAILOVER_STATE: u8 = 3;
pub const T_CHECKPOINT: u8 = 4;

/// Decoding failure: a static reason naming the field or rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

/// Encoding failure (a field too long for the format).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeError(pub &'static str);

/// Parsed file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Bumped at every compaction/restore; seeds every record CRC.
    pub generation: u32,
    /// Sequence number of the first record in this file.
    pub base_seq: u64,
}

/// Bounded reader: it can only shrink, and every read is checked.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let (head, rest) = self.buf.split_at_checked(n).ok_or(DecodeError(what))?;
        self.buf = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let b = self.take(N, what)?;
        <[u8; N]>::try_from(b).map_err(|_| DecodeError(what))
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(u8::from_le_bytes(self.array::<1>(what)?))
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// Unsigned LEB128, at most 10 bytes, no overflow.
    fn varint(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for i in 0..10u32 {
            let b = self.u8(what)?;
            let bits = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(DecodeError(what));
            }
            v |= bits << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError(what))
    }

    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let n = self.varint(what)?;
        let n = usize::try_from(n).map_err(|_| DecodeError(what))?;
        self.take(n, what)
    }

    fn at_end(&self) -> bool {
        self.buf.is_empty()
    }

    fn end(&self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError("trailing bytes in payload"))
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Encode the 32-byte file header.
pub fn encode_header(h: Header) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    let mut v = Vec::with_capacity(HEADER_LEN);
    v.extend_from_slice(&MAGIC);
    v.extend_from_slice(&VERSION.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes()); // flags
    v.extend_from_slice(&h.generation.to_le_bytes());
    v.extend_from_slice(&h.base_seq.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes()); // reserved
    let crc = crc32fast::hash(&v);
    v.extend_from_slice(&crc.to_le_bytes());
    for (o, b) in out.iter_mut().zip(v.iter()) {
        *o = *b;
    }
    out
}

/// Decode the file header from the start of `buf`.
pub fn decode_header(buf: &[u8]) -> Result<Header, DecodeError> {
    let mut r = Reader::new(buf);
    let covered = buf
        .get(..HEADER_LEN - 4)
        .ok_or(DecodeError("file shorter than header"))?;
    let magic: [u8; 8] = r.array("header magic")?;
    if magic != MAGIC {
        return Err(DecodeError("bad magic (not a duodhcp journal)"));
    }
    let version = r.u16("header version")?;
    let _flags = r.u16("header flags")?;
    let generation = r.u32("header generation")?;
    let base_seq = r.u64("header base sequence")?;
    let _reserved = r.u32("header reserved")?;
    let crc = r.u32("header crc")?;
    if crc != crc32fast::hash(covered) {
        return Err(DecodeError("header CRC mismatch"));
    }
    if version != VERSION {
        return Err(DecodeError("unsupported format version"));
    }
    Ok(Header {
        generation,
        base_seq,
    })
}

/// One framed record whose CRC has been verified; the payload is not decoded yet.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub typ: u8,
    pub seq: u64,
    pub payload: &'a [u8],
    /// Total bytes of the frame (header + payload).
    pub len: usize,
}

fn frame_crc(generation: u32, covered: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&generation.to_le_bytes());
    h.update(covered);
    h.finalize()
}

/// Type code is one this version knows.
pub fn known_type(t: u8) -> bool {
    (T_LEASE_UPSERT..=T_CHECKPOINT).contains(&t)
}

/// Peek the type and sequence of a frame at the start of `buf` without checking its CRC
/// (used by the resync pre-filter in `recover`).
pub fn peek(buf: &[u8]) -> Option<(u16, u8, u64)> {
    let mut r = Reader::new(buf);
    let _crc = r.u32("crc").ok()?;
    let len = r.u16("len").ok()?;
    let typ = r.u8("type").ok()?;
    let seq = r.u64("seq").ok()?;
    Some((len, typ, seq))
}

/// Decode and CRC-check the frame at the start of `buf`.
pub fn decode_frame(buf: &[u8], generation: u32) -> Result<Frame<'_>, DecodeError> {
    let mut r = Reader::new(buf);
    let crc = r.u32("short record header")?;
    let len = r.u16("short record header")?;
    let typ = r.u8("short record header")?;
    let seq = r.u64("short record header")?;
    if typ == 0 {
        return Err(DecodeError("record type 0"));
    }
    let payload = r.take(usize::from(len), "record extends past end of file")?;
    let total = FRAME_HEADER_LEN + usize::from(len);
    let covered = buf
        .get(4..total)
        .ok_or(DecodeError("record extends past end of file"))?;
    if frame_crc(generation, covered) != crc {
        return Err(DecodeError("record CRC mismatch"));
    }
    Ok(Frame {
        typ,
        seq,
        payload,
        len: total,
    })
}

/// Borrowed view of a lease upsert payload (no allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseView<'a> {
    pub addr: Ipv4Addr,
    pub state: BindingState,
    pub htype: u8,
    pub fo_flags: u8,
    pub client_id: &'a [u8],
    pub chaddr: &'a [u8],
    pub hostname: &'a [u8],
    pub start: Secs,
    pub end: Secs,
    pub cltt: Secs,
    pub partner_end: Secs,
    pub sent_end: Secs,
}

impl LeaseView<'_> {
    pub fn to_lease(&self) -> Lease {
        let mut l = Lease::free(self.addr);
        l.state = self.state;
        l.htype = self.htype;
        l.fo_flags = self.fo_flags;
        l.set_ids(self.client_id, self.hostname);
        // `decode_payload` refused a longer chaddr, so nothing is cut here.
        l.chaddr = HwAddr::new(self.chaddr);
        l.set_start(self.start);
        l.set_end(self.end);
        l.set_cltt(self.cltt);
        l.set_partner_end(self.partner_end);
        l.set_sent_end(self.sent_end);
        l
    }
}

/// Borrowed view of a failover state payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailoverView<'a> {
    pub relationship: &'a [u8],
    pub local_state: u8,
    pub partner_state: u8,
    pub since: Secs,
    pub partner_last_up: Secs,
    pub mclt: u32,
}

impl FailoverView<'_> {
    pub fn to_rec(&self) -> FailoverStateRec {
        FailoverStateRec {
            relationship: String::from_utf8_lossy(self.relationship).into_owned(),
            local_state: self.local_state,
            partner_state: self.partner_state,
            since: self.since,
            partner_last_up: self.partner_last_up,
            mclt: self.mclt,
        }
    }
}

/// Borrowed view of any record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordView<'a> {
    LeaseUpsert(LeaseView<'a>),
    LeaseRemove(Ipv4Addr),
    FailoverState(FailoverView<'a>),
    Checkpoint { at: Secs, leases: u64 },
}

impl RecordView<'_> {
    pub fn to_record(&self) -> Record {
        match self {
            RecordView::LeaseUpsert(l) => Record::LeaseUpsert(l.to_lease()),
            RecordView::LeaseRemove(a) => Record::LeaseRemove(*a),
            RecordView::FailoverState(f) => Record::FailoverState(f.to_rec()),
            RecordView::Checkpoint { at, leases } => Record::Checkpoint {
                at: *at,
                leases: *leases,
            },
        }
    }
}

fn addr(r: &mut Reader<'_>) -> Result<Ipv4Addr, DecodeError> {
    Ok(Ipv4Addr::from(r.array::<4>("address")?))
}

/// Decode a verified frame's payload.
pub fn decode_payload(typ: u8, payload: &[u8]) -> Result<RecordView<'_>, DecodeError> {
    let mut r = Reader::new(payload);
    let v = match typ {
        T_LEASE_UPSERT => {
            let addr = addr(&mut r)?;
            let state = BindingState::from_u8(r.u8("lease state")?)
                .ok_or(DecodeError("unknown binding state"))?;
            let htype = r.u8("htype")?;
            let fo_flags = r.u8("failover flags")?;
            let client_id = r.bytes("client id")?;
            let chaddr = r.bytes("chaddr")?;
            if chaddr.len() > 16 {
                return Err(DecodeError("chaddr longer than 16 bytes"));
            }
            let hostname = r.bytes("hostname")?;
            RecordView::LeaseUpsert(LeaseView {
                addr,
                state,
                htype,
                fo_flags,
                client_id,
                chaddr,
                hostname,
                start: r.varint("start")?,
                end: r.varint("end")?,
                cltt: r.varint("cltt")?,
                partner_end: r.varint("partner end")?,
                sent_end: r.varint("sent end")?,
            })
        }
        T_LEASE_REMOVE => RecordView::LeaseRemove(addr(&mut r)?),
        T_FAILOVER_STATE => RecordView::FailoverState(FailoverView {
            relationship: r.bytes("relationship name")?,
            local_state: r.u8("local state")?,
            partner_state: r.u8("partner state")?,
            since: r.varint("since")?,
            partner_last_up: r.varint("partner last up")?,
            // Added after format 1 shipped: absent in older records, which read as 0.
            mclt: if r.at_end() {
                0
            } else {
                u32::try_from(r.varint("mclt")?).map_err(|_| DecodeError("mclt out of range"))?
            },
        }),
        T_CHECKPOINT => RecordView::Checkpoint {
            at: r.varint("checkpoint time")?,
            leases: r.varint("checkpoint lease count")?,
        },
        _ => return Err(DecodeError("unknown record type")),
    };
    r.end()?;
    Ok(v)
}

fn encode_payload(out: &mut Vec<u8>, rec: &Record) {
    match rec {
        Record::LeaseUpsert(l) => {
            out.extend_from_slice(&l.addr.octets());
            out.push(l.state as u8);
            out.push(l.htype);
            out.push(l.fo_flags);
            put_bytes(out, l.client_id());
            put_bytes(out, &l.chaddr);
            put_bytes(out, l.hostname());
            for t in [l.start(), l.end(), l.cltt(), l.partner_end(), l.sent_end()] {
                put_varint(out, t);
            }
        }
        Record::LeaseRemove(a) => {
            out.extend_from_slice(&a.octets());
        }
        Record::FailoverState(f) => {
            put_bytes(out, f.relationship.as_bytes());
            out.push(f.local_state);
            out.push(f.partner_state);
            put_varint(out, f.since);
            put_varint(out, f.partner_last_up);
            put_varint(out, u64::from(f.mclt));
        }
        Record::Checkpoint { at, leases } => {
            put_varint(out, *at);
            put_varint(out, *leases);
        }
    }
}

fn type_of(rec: &Record) -> u8 {
    match rec {
        Record::LeaseUpsert(_) => T_LEASE_UPSERT,
        Record::LeaseRemove(_) => T_LEASE_REMOVE,
        Record::FailoverState(_) => T_FAILOVER_STATE,
        Record::Checkpoint { .. } => T_CHECKPOINT,
    }
}

/// Overwrite `bytes.len()` bytes of `out` at `at` (the bytes were reserved by the caller).
fn patch(out: &mut [u8], at: usize, bytes: &[u8]) -> Option<()> {
    out.get_mut(at..at.checked_add(bytes.len())?)?
        .copy_from_slice(bytes);
    Some(())
}

/// Append one framed record to `out`. On error `out` is left as it was.
pub fn encode_record(
    out: &mut Vec<u8>,
    generation: u32,
    seq: u64,
    rec: &Record,
) -> Result<(), EncodeError> {
    let start = out.len();
    // crc and len are patched once the payload is known.
    out.extend_from_slice(&[0u8; 6]);
    out.push(type_of(rec));
    out.extend_from_slice(&seq.to_le_bytes());
    encode_payload(out, rec);
    let plen = out.len() - start - FRAME_HEADER_LEN;
    let Ok(plen16) = u16::try_from(plen) else {
        out.truncate(start);
        return Err(EncodeError("record payload longer than 65535 bytes"));
    };
    let ok = patch(out, start + 4, &plen16.to_le_bytes()).and_then(|()| {
        let crc = frame_crc(generation, out.get(start + 4..)?);
        patch(out, start, &crc.to_le_bytes())
    });
    if ok.is_none() {
        out.truncate(start);
        return Err(EncodeError("internal: frame bounds"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn lease() -> Lease {
        let mut l = Lease::free(Ipv4Addr::new(192, 168, 1, 77));
        l.state = BindingState::Active;
        l.set_ids(&[1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff], b"laptop-042");
        l.chaddr = HwAddr::new(&[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
        l.set_start(1_700_000_000);
        l.set_end(1_700_086_400);
        l.set_cltt(1_700_000_000);
        l.set_partner_end(1_700_003_600);
        l.set_sent_end(1_700_090_000);
        l.fo_flags = 2;
        l
    }

    #[test]
    fn header_round_trip_and_rejects() {
        let h = Header {
            generation: 7,
            base_seq: 99,
        };
        let b = encode_header(h);
        assert_eq!(decode_header(&b), Ok(h));
        let mut bad = b;
        bad[12] ^= 1;
        assert_eq!(decode_header(&bad), Err(DecodeError("header CRC mismatch")));
        assert!(decode_header(&b[..20]).is_err());
        assert!(decode_header(&[0u8; 32]).is_err());
    }

    #[test]
    fn every_record_round_trips() {
        let recs = [
            Record::LeaseUpsert(lease()),
            Record::LeaseUpsert(Lease::free(Ipv4Addr::new(10, 0, 0, 1))),
            Record::LeaseRemove(Ipv4Addr::new(10, 0, 0, 2)),
            Record::FailoverState(FailoverStateRec {
                relationship: "dhcp-failover".into(),
                local_state: 1,
                partner_state: 4,
                since: 1_700_000_000,
                mclt: 600,
                partner_last_up: u64::MAX,
            }),
            Record::Checkpoint {
                at: 5,
                leases: 50_000,
            },
        ];
        let mut buf = Vec::new();
        for (i, r) in recs.iter().enumerate() {
            encode_record(&mut buf, 3, 10 + i as u64, r).unwrap();
        }
        let mut at = 0;
        for (i, r) in recs.iter().enumerate() {
            let f = decode_frame(&buf[at..], 3).unwrap();
            assert_eq!(f.seq, 10 + i as u64);
            assert_eq!(&decode_payload(f.typ, f.payload).unwrap().to_record(), r);
            // The generation seeds the CRC: the same bytes under another generation fail.
            assert!(decode_frame(&buf[at..], 4).is_err());
            at += f.len;
        }
        assert_eq!(at, buf.len());
    }

    #[test]
    fn typical_upsert_is_small() {
        let mut buf = Vec::new();
        encode_record(&mut buf, 1, 123_456, &Record::LeaseUpsert(lease())).unwrap();
        assert!(buf.len() <= 128, "{} bytes", buf.len());
        assert!(buf.len() <= 80, "{} bytes", buf.len());
    }

    #[test]
    fn oversize_fields_are_errors() {
        let mut l = lease();
        l.set_hostname(&[b'a'; 70_000]);
        let mut buf = vec![9];
        assert!(encode_record(&mut buf, 1, 1, &Record::LeaseUpsert(l)).is_err());
        assert_eq!(buf, vec![9]);
        // A `Lease` cannot hold a chaddr over 16 bytes; a record claiming one is refused.
        let mut p = vec![10, 0, 0, 1, BindingState::Active as u8, 1, 0];
        put_bytes(&mut p, &[]);
        put_bytes(&mut p, &[0; 17]);
        put_bytes(&mut p, &[]);
        for _ in 0..5 {
            put_varint(&mut p, 0);
        }
        assert_eq!(
            decode_payload(T_LEASE_UPSERT, &p),
            Err(DecodeError("chaddr longer than 16 bytes"))
        );
    }

    #[test]
    fn type_zero_and_garbage_never_panic() {
        assert_eq!(
            decode_frame(&[0u8; 64], 1).unwrap_err(),
            DecodeError("record type 0")
        );
        let mut x: u32 = 0x1234_5678;
        for n in 0..300 {
            let mut b = vec![0u8; n % 40];
            for v in b.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *v = x as u8;
            }
            let _ = decode_frame(&b, 1);
            for t in 0..6 {
                let _ = decode_payload(t, &b);
            }
            let _ = decode_header(&b);
        }
    }

    #[test]
    fn trailing_payload_bytes_rejected() {
        assert!(decode_payload(T_LEASE_REMOVE, &[1, 2, 3, 4, 5]).is_err());
        assert!(decode_payload(T_LEASE_REMOVE, &[1, 2, 3, 4]).is_ok());
        // Overlong varint.
        assert!(decode_payload(T_CHECKPOINT, &[0xff; 11]).is_err());
    }
}
