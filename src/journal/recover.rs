//! Journal recovery (pure): scan a journal image, verify every CRC, rebuild the live set.
//!
//! Contract:
//! - Input is the whole file as a byte slice (a map or a read buffer); any bytes are accepted
//!   and nothing panics.
//! - An empty or all-zero image is a fresh journal (`header == None`): nothing was ever
//!   committed, because the journal syncs its header before the first record can be.
//! - A header that is present but invalid is an error under every policy: without it the
//!   generation that seeds the record CRCs is unknown, so no record can be trusted.
//! - The scan stops at the first position where no valid record starts. If every byte after it
//!   is zero, this is preallocated space and the tail is `Clean`. Otherwise the scan looks ahead
//!   for a resync point (see [`resync`]); if one exists the bad bytes are "corruption in the
//!   middle" (reported, then skipped or refused per policy), if not the tail is `Truncated` at
//!   the last whole record.
//! - Replay is last-record-wins per address; `LeaseRemove` deletes; failover state is
//!   last-wins per relationship name.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::net::Ipv4Addr;
use std::collections::HashMap;

use crate::config::CorruptionPolicy;
use crate::lease::Lease;

use super::format::{self, FailoverView, Header, LeaseView, RecordView, FRAME_HEADER_LEN};
use super::record::{FailoverStateRec, Record};

/// How the journal ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tail {
    /// The last record is whole (anything after it is zero-filled preallocated space).
    Clean,
    /// Bytes after the last whole record were not a record (torn write or stale data); the
    /// journal is cut at `offset`.
    Truncated { offset: u64, reason: &'static str },
}

/// Result of recovery: the live set and what was found on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    /// Live set after last-wins replay, sorted by address.
    pub leases: Vec<Lease>,
    /// Failover relationship states, last per relationship, sorted by name.
    pub failover: Vec<FailoverStateRec>,
    /// Number of valid records replayed.
    pub records: u64,
    pub tail: Tail,
    /// Offsets and reasons of corrupt regions that were skipped.
    pub corrupt: Vec<(u64, String)>,
}

/// Corruption refused by `CorruptionPolicy::Refuse` (or a bad header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanError {
    pub offset: u64,
    pub reason: String,
}

/// Everything a scan learns besides the records themselves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanInfo {
    /// `None` for an empty or all-zero image (fresh journal).
    pub header: Option<Header>,
    /// Offset just past the last whole record (the append position).
    pub valid_len: u64,
    /// Sequence number of the last valid record (`base_seq - 1` if none).
    pub last_seq: u64,
    /// Valid records seen.
    pub records: u64,
    pub tail: Tail,
    pub corrupt: Vec<(u64, String)>,
}

fn all_zero(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0)
}

/// Look for the next offset after a bad region where a valid record starts.
///
/// A candidate at `p` must have a known type, a length that fits, a sequence number greater
/// than the last good one and no greater than what the skipped bytes could have held (every
/// record is at least `FRAME_HEADER_LEN` bytes), and a CRC that matches under this file's
/// generation. The cheap checks run first so scanning megabytes of zeros or garbage is fast.
pub fn resync(buf: &[u8], bad_at: usize, generation: u32, next_seq: u64) -> Option<usize> {
    let mut p = bad_at.checked_add(1)?;
    // A frame has a non-zero type byte at +6: no candidate starts in the zero-filled
    // (preallocated) end of the file, so do not walk it byte by byte.
    let last_nonzero = buf.iter().rposition(|&b| b != 0)?;
    let limit = last_nonzero
        .saturating_sub(6)
        .saturating_add(1)
        .min(buf.len());
    while p < limit {
        let rest = buf.get(p..)?;
        if let Some((len, typ, seq)) = format::peek(rest) {
            let max_skipped = ((p - bad_at) / FRAME_HEADER_LEN + 1) as u64;
            if format::known_type(typ)
                && usize::from(len) + FRAME_HEADER_LEN <= rest.len()
                && seq >= next_seq
                && seq <= next_seq.saturating_add(max_skipped)
                && format::decode_frame(rest, generation).is_ok()
            {
                return Some(p);
            }
        } else {
            return None;
        }
        p += 1;
    }
    None
}

/// Scan `buf`, calling `visit(offset, seq, record)` for every valid record in file order.
pub fn scan_with<'a>(
    buf: &'a [u8],
    policy: CorruptionPolicy,
    mut visit: impl FnMut(u64, u64, RecordView<'a>),
) -> Result<ScanInfo, ScanError> {
    let fresh = ScanInfo {
        header: None,
        valid_len: 0,
        last_seq: 0,
        records: 0,
        tail: Tail::Clean,
        corrupt: Vec::new(),
    };
    if all_zero(buf.get(..format::HEADER_LEN).unwrap_or(buf)) && all_zero(buf) {
        return Ok(fresh);
    }
    let header = format::decode_header(buf).map_err(|e| ScanError {
        offset: 0,
        reason: format!("bad journal header: {}", e.0),
    })?;
    let gen = header.generation;
    let mut next_seq = header.base_seq;
    let mut pos = format::HEADER_LEN;
    let mut records = 0u64;
    let mut corrupt = Vec::new();
    let mut tail = Tail::Clean;
    // Offset just past the last valid frame; the append position.
    let mut valid_len = pos;
    while let Some(rest) = buf.get(pos..).filter(|r| !r.is_empty()) {
        let bad: &'static str = match format::decode_frame(rest, gen) {
            Ok(f) if f.seq < next_seq => "record sequence went backwards",
            Ok(f) => {
                match format::decode_payload(f.typ, f.payload) {
                    Ok(v) => {
                        visit(pos as u64, f.seq, v);
                        records += 1;
                    }
                    Err(e) => {
                        // Framing and CRC are good, so only this record is lost: skip it.
                        let reason = format!("undecodable record (seq {}): {}", f.seq, e.0);
                        if policy == CorruptionPolicy::Refuse {
                            return Err(ScanError {
                                offset: pos as u64,
                                reason,
                            });
                        }
                        corrupt.push((pos as u64, reason));
                    }
                }
                next_seq = f.seq.saturating_add(1);
                pos += f.len;
                valid_len = pos;
                continue;
            }
            Err(e) => e.0,
        };
        if all_zero(rest) {
            // Preallocated space (or a zero-filled torn tail that left no record bytes).
            break;
        }
        match resync(buf, pos, gen, next_seq) {
            Some(p) => {
                let reason = format!("{bad}; {} bytes skipped", p - pos);
                if policy == CorruptionPolicy::Refuse {
                    return Err(ScanError {
                        offset: pos as u64,
                        reason,
                    });
                }
                corrupt.push((pos as u64, reason));
                pos = p;
            }
            None => {
                tail = Tail::Truncated {
                    offset: pos as u64,
                    reason: bad,
                };
                break;
            }
        }
    }
    Ok(ScanInfo {
        header: Some(header),
        valid_len: valid_len as u64,
        last_seq: next_seq.wrapping_sub(1),
        records,
        tail,
        corrupt,
    })
}

/// One scanned record: (offset, sequence, record).
pub type Scanned = (u64, u64, Record);

/// Owned scan result (tests and tools): every valid record with its offset and sequence.
pub fn scan(buf: &[u8], policy: CorruptionPolicy) -> Result<(Vec<Scanned>, ScanInfo), ScanError> {
    let mut out = Vec::new();
    let info = scan_with(buf, policy, |off, seq, v| {
        out.push((off, seq, v.to_record()))
    })?;
    Ok((out, info))
}

/// Scan and replay: last record per address wins, `LeaseRemove` deletes.
pub fn replay(buf: &[u8], policy: CorruptionPolicy) -> Result<(Replay, ScanInfo), ScanError> {
    // Views borrow `buf`, so the fold allocates only map slots; leases are materialised once.
    let mut leases: HashMap<Ipv4Addr, LeaseView<'_>> = HashMap::new();
    let mut fo: HashMap<&[u8], FailoverView<'_>> = HashMap::new();
    let info = scan_with(buf, policy, |_, _, v| match v {
        RecordView::LeaseUpsert(l) => {
            leases.insert(l.addr, l);
        }
        RecordView::LeaseRemove(a) => {
            leases.remove(&a);
        }
        RecordView::FailoverState(f) => {
            fo.insert(f.relationship, f);
        }
        RecordView::Checkpoint { .. } => {}
    })?;
    let mut out: Vec<Lease> = leases.values().map(LeaseView::to_lease).collect();
    out.sort_unstable_by_key(|l| l.addr);
    let mut failover: Vec<FailoverStateRec> = fo.values().map(FailoverView::to_rec).collect();
    failover.sort_by(|a, b| a.relationship.cmp(&b.relationship));
    Ok((
        Replay {
            leases: out,
            failover,
            records: info.records,
            tail: info.tail.clone(),
            corrupt: info.corrupt.clone(),
        },
        info,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::journal::format::{encode_header, encode_record};
    use crate::lease::{BindingState, HwAddr};

    fn lease(i: u32, end: u64) -> Lease {
        let mut l = Lease::free(Ipv4Addr::from(0x0a00_0000 + i));
        l.state = BindingState::Active;
        l.chaddr = HwAddr::new(&[0, 1, 2, 3, 4, i as u8]);
        l.set_end(end);
        l
    }

    fn image(gen: u32, recs: &[Record]) -> (Vec<u8>, Vec<usize>) {
        let mut b = encode_header(Header {
            generation: gen,
            base_seq: 1,
        })
        .to_vec();
        let mut ends = vec![b.len()];
        for (i, r) in recs.iter().enumerate() {
            encode_record(&mut b, gen, 1 + i as u64, r).unwrap();
            ends.push(b.len());
        }
        (b, ends)
    }

    fn recs() -> Vec<Record> {
        vec![
            Record::LeaseUpsert(lease(1, 100)),
            Record::LeaseUpsert(lease(2, 100)),
            Record::LeaseUpsert(lease(1, 200)),
            Record::LeaseRemove(Ipv4Addr::from(0x0a00_0002)),
            Record::LeaseUpsert(lease(3, 300)),
        ]
    }

    #[test]
    fn last_wins_and_remove() {
        let (b, _) = image(1, &recs());
        let (r, info) = replay(&b, CorruptionPolicy::Refuse).unwrap();
        assert_eq!(r.leases, vec![lease(1, 200), lease(3, 300)]);
        assert_eq!(r.records, 5);
        assert_eq!(info.tail, Tail::Clean);
        assert_eq!(info.valid_len, b.len() as u64);
        assert_eq!(info.last_seq, 5);
    }

    #[test]
    fn empty_and_zero_are_fresh() {
        assert_eq!(scan(&[], CorruptionPolicy::Refuse).unwrap().1.header, None);
        assert_eq!(
            scan(&[0; 4096], CorruptionPolicy::Refuse).unwrap().1.header,
            None
        );
        assert!(scan(&[1; 10], CorruptionPolicy::Skip).is_err());
    }

    #[test]
    fn every_truncation_point() {
        let (b, ends) = image(1, &recs());
        for cut in ends[0]..=b.len() {
            let (got, info) = scan(&b[..cut], CorruptionPolicy::Refuse).unwrap();
            let whole = ends.iter().filter(|&&e| e <= cut).count() - 1;
            assert_eq!(got.len(), whole, "cut {cut}");
            assert_eq!(info.valid_len as usize, ends[whole]);
            let clean = ends.contains(&cut);
            assert_eq!(info.tail == Tail::Clean, clean, "cut {cut}");
        }
    }

    #[test]
    fn middle_corruption_skip_and_refuse() {
        let (mut b, ends) = image(1, &recs());
        // Flip a payload bit of record 2 (index 1).
        b[ends[1] + 20] ^= 0x40;
        let (got, info) = scan(&b, CorruptionPolicy::Skip).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(info.corrupt.len(), 1);
        assert_eq!(info.corrupt[0].0, ends[1] as u64);
        assert_eq!(info.tail, Tail::Clean);
        let e = scan(&b, CorruptionPolicy::Refuse).unwrap_err();
        assert_eq!(e.offset, ends[1] as u64);
    }

    #[test]
    fn stale_generation_rejected() {
        let (old, _) = image(1, &recs());
        let (mut b, ends) = image(2, &recs()[..2]);
        // The rest of the file is the older generation's bytes at the same offsets.
        b.extend_from_slice(&old[b.len()..]);
        let (got, info) = scan(&b, CorruptionPolicy::Skip).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            info.tail,
            Tail::Truncated {
                offset: ends[2] as u64,
                reason: "record CRC mismatch"
            }
        );
    }
}
