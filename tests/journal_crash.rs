//! Crash and corruption recovery of the lease journal: truncation at every offset, bit flips,
//! zero-filled tails, stale generations and power-loss images. Every case checks that exactly
//! the whole records come back (house rule 9, LevelDB log_test style).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use duodhcp::config::{CorruptionPolicy, Durability};
use duodhcp::journal::recover::{self, Tail};
use duodhcp::journal::{Journal, Options, Record};
use duodhcp::lease::{BindingState, HwAddr, Lease};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "duodhcp-jcrash-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn lease(i: u32, t: u64) -> Lease {
    let mut l = Lease::free(Ipv4Addr::from(0x0a01_0000 + i));
    l.state = BindingState::Active;
    l.set_ids(
        &[1, 0x52, 0x54, 0, 0, (i >> 8) as u8, i as u8],
        format!("host-{i:05}").as_bytes(),
    );
    l.chaddr = HwAddr::new(&[0x52, 0x54, 0, 0, (i >> 8) as u8, i as u8]);
    l.set_start(1_700_000_000 + t);
    l.set_end(l.start() + 3600);
    l.set_cltt(l.start());
    l
}

fn random_records(rng: &mut Rng, n: usize, addrs: u32) -> Vec<Record> {
    (0..n)
        .map(|t| {
            let i = rng.below(u64::from(addrs)) as u32;
            if rng.below(10) == 0 {
                Record::LeaseRemove(Ipv4Addr::from(0x0a01_0000 + i))
            } else {
                Record::LeaseUpsert(lease(i, t as u64))
            }
        })
        .collect()
}

fn opts() -> Options {
    Options {
        durability: Durability::Batch,
        ..Options::default()
    }
}

/// Write `recs` through the journal API; return the final file bytes (records only: the
/// preallocated zero tail is cut off) and the end offset of every record.
fn write_journal(path: &Path, recs: &[Record], commit_every: usize) -> (Vec<u8>, Vec<usize>) {
    let (mut j, _) = Journal::open(path, opts(), 0).unwrap();
    let mut ends = vec![j.file_len() as usize];
    for (n, r) in recs.iter().enumerate() {
        j.append(r).unwrap();
        ends.push(j.file_len() as usize);
        if n % commit_every == 0 {
            j.commit().unwrap();
        }
    }
    j.commit().unwrap();
    let len = j.file_len() as usize;
    drop(j);
    let mut b = std::fs::read(path).unwrap();
    assert!(b.len() >= len);
    assert!(
        b[len..].iter().all(|&x| x == 0),
        "preallocated tail is zero"
    );
    b.truncate(len);
    (b, ends)
}

/// Records of `orig` (ending at `ends[1..]`) that are byte-identical in `img`: a cut record
/// whose missing bytes happen to be restored by the filler (a zero varint, the same record in
/// a stale page) is whole, and must come back.
fn whole_in(img: &[u8], orig: &[u8], ends: &[usize]) -> usize {
    ends.iter()
        .skip(1)
        .take_while(|&&e| img.get(..e) == orig.get(..e))
        .count()
}

fn decoded(buf: &[u8]) -> Vec<Record> {
    recover::scan(buf, CorruptionPolicy::Skip)
        .unwrap()
        .0
        .into_iter()
        .map(|(_, _, r)| r)
        .collect()
}

#[test]
fn truncate_at_every_offset_of_last_records_via_open() {
    let d = TempDir::new("trunc");
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let recs = random_records(&mut rng, 40, 16);
    let (full, ends) = write_journal(&d.file("src"), &recs, 1);
    assert_eq!(decoded(&full), recs);
    let first_cut = ends[ends.len() - 5];
    let p = d.file("cut");
    for cut in first_cut..=full.len() {
        std::fs::write(&p, &full[..cut]).unwrap();
        let whole = ends.iter().filter(|&&e| e <= cut).count() - 1;
        let (mut j, replay) = Journal::open(&p, opts(), 0).unwrap();
        assert_eq!(replay.records, whole as u64, "cut {cut}");
        match replay.tail {
            Tail::Clean => assert_eq!(cut, ends[whole], "cut {cut}"),
            Tail::Truncated { offset, .. } => assert_eq!(offset, ends[whole] as u64),
        }
        assert!(replay.corrupt.is_empty());
        // New appends continue right after the last whole record, and survive a reopen.
        assert_eq!(j.file_len(), ends[whole] as u64);
        let extra = Record::LeaseUpsert(lease(999, 1));
        j.append(&extra).unwrap();
        j.commit().unwrap();
        drop(j);
        let mut want = recs[..whole].to_vec();
        want.push(extra);
        let (_, again) = Journal::open(&p, opts(), 0).unwrap();
        assert_eq!(again.tail, Tail::Clean);
        assert_eq!(decoded(&std::fs::read(&p).unwrap()), want, "cut {cut}");
        std::fs::remove_file(&p).unwrap();
    }
}

#[test]
fn zero_filled_tails() {
    let d = TempDir::new("zero");
    let mut rng = Rng(77);
    let recs = random_records(&mut rng, 30, 8);
    let (full, ends) = write_journal(&d.file("src"), &recs, 3);
    for cut in ends[ends.len() - 4]..=full.len() {
        let mut img = full[..cut].to_vec();
        img.resize(cut + 1 + rng.below(9000) as usize, 0);
        let (got, info) = recover::scan(&img, CorruptionPolicy::Refuse).unwrap();
        let whole = whole_in(&img, &full, &ends);
        assert_eq!(got.len(), whole, "cut {cut}");
        assert_eq!(info.valid_len as usize, ends[whole]);
        let got: Vec<Record> = got.into_iter().map(|(_, _, r)| r).collect();
        assert_eq!(got, recs[..whole]);
    }
}

#[test]
fn seeded_bit_flips_lose_exactly_the_flipped_record() {
    let d = TempDir::new("flip");
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let recs = random_records(&mut rng, 60, 20);
    let (full, ends) = write_journal(&d.file("src"), &recs, 7);
    for _ in 0..400 {
        let mut img = full.clone();
        let at = ends[0] + rng.below((full.len() - ends[0]) as u64) as usize;
        img[at] ^= 1 << rng.below(8);
        let k = ends.iter().filter(|&&e| e <= at).count() - 1; // index of the hit record
        let mut want = recs.clone();
        want.remove(k);
        let (got, info) = recover::scan(&img, CorruptionPolicy::Skip).unwrap();
        let got: Vec<Record> = got.into_iter().map(|(_, _, r)| r).collect();
        assert_eq!(got, want, "flip at {at} (record {k})");
        if k + 1 == recs.len() {
            assert!(
                matches!(info.tail, Tail::Truncated { offset, .. } if offset == ends[k] as u64)
            );
        } else {
            assert_eq!(info.corrupt.len(), 1);
            assert_eq!(info.corrupt[0].0, ends[k] as u64);
            let e = recover::scan(&img, CorruptionPolicy::Refuse).unwrap_err();
            assert_eq!(e.offset, ends[k] as u64);
        }
    }
    // A flipped header is refused under every policy.
    let mut img = full.clone();
    img[13] ^= 4;
    assert!(recover::scan(&img, CorruptionPolicy::Skip).is_err());
}

#[test]
fn middle_corruption_policy_at_open() {
    let d = TempDir::new("policy");
    let mut rng = Rng(5);
    let recs = random_records(&mut rng, 20, 50);
    let p = d.file("j");
    let (mut full, ends) = write_journal(&p, &recs, 1);
    full[ends[5] + 17] ^= 0xff;
    std::fs::write(&p, &full).unwrap();
    let refuse = Options {
        on_corruption: CorruptionPolicy::Refuse,
        ..opts()
    };
    let e = Journal::open(&p, refuse, 0).err().expect("refused");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("offset {}", ends[5])),
        "message: {msg}"
    );
    let (_, replay) = Journal::open(&p, opts(), 0).unwrap();
    assert_eq!(replay.records, 19);
    assert_eq!(replay.corrupt.len(), 1);
    assert_eq!(replay.corrupt[0].0, ends[5] as u64);
    assert_eq!(replay.tail, Tail::Clean);
}

/// Build a journal, compact it (generation 2), keep writing. Returns the pre-compaction image
/// (generation 1, the "stale" content of recycled blocks) and the final image.
fn two_generations(d: &TempDir, rng: &mut Rng) -> (Vec<u8>, Vec<u8>, Vec<Record>) {
    let p = d.file("gen");
    let recs = random_records(rng, 3000, 400);
    let (mut j, _) = Journal::open(&p, opts(), 0).unwrap();
    for r in &recs {
        j.append(r).unwrap();
    }
    j.commit().unwrap();
    let old = std::fs::read(&p).unwrap();
    let live = duodhcp::journal::read_leases(&p).unwrap().leases;
    j.compact(live.iter(), &[], 1_700_000_000).unwrap();
    assert_eq!(j.generation(), 2);
    let tail = random_records(rng, 1500, 400);
    for r in &tail {
        j.append(r).unwrap();
    }
    j.commit().unwrap();
    let len = j.file_len() as usize;
    drop(j);
    let mut new = std::fs::read(&p).unwrap();
    new.truncate(len);
    (old, new, tail)
}

#[test]
fn stale_generation_pages_are_never_accepted() {
    let d = TempDir::new("stale");
    let mut rng = Rng(99);
    let (old, new, tail) = two_generations(&d, &mut rng);
    assert!(
        old.len() > new.len(),
        "old generation file is the larger one"
    );
    let all = decoded(&new);
    assert_eq!(&all[all.len() - tail.len()..], &tail[..]);
    // The new file's bytes followed by the old file's bytes at the same offsets (recycled
    // blocks): only the new generation's whole records come back.
    let (items, _) = recover::scan(&new, CorruptionPolicy::Refuse).unwrap();
    let ends: Vec<usize> = std::iter::once(items[0].0 as usize)
        .chain(items.iter().skip(1).map(|x| x.0 as usize))
        .chain(std::iter::once(new.len()))
        .collect();
    let old = &old[..(new.len() + 8192).min(old.len())];
    // Every byte of the last records, then every 7th byte further back.
    let cuts = ((new.len() - 3000)..(new.len() - 400))
        .step_by(7)
        .chain((new.len() - 400)..new.len());
    for cut in cuts {
        let mut img = new[..cut].to_vec();
        img.extend_from_slice(&old[cut..]);
        let whole = whole_in(&img, &new, &ends);
        let got = decoded(&img);
        assert_eq!(got.len(), whole, "cut {cut}");
        assert_eq!(got[..], all[..whole]);
    }
}

/// Power loss: the file as it stood after any append (a later commit never happened), cut
/// anywhere after the last commit, and images cut at page boundaries followed by stale pages
/// (older generation or garbage). Each recovers to a prefix of the write sequence that holds
/// every committed record.
#[test]
fn power_loss_images_recover_to_committed_prefix() {
    let d = TempDir::new("power");
    let mut rng = Rng(0x0bad_5eed);
    let p = d.file("j");
    let recs = random_records(&mut rng, 600, 64);
    let (mut j, _) = Journal::open(&p, opts(), 0).unwrap();
    let mut committed_len = j.file_len() as usize;
    let mut committed_n = 0usize;
    let mut checked = 0;
    for (n, r) in recs.iter().enumerate() {
        j.append(r).unwrap();
        if rng.below(5) == 0 {
            j.commit().unwrap();
            committed_len = j.file_len() as usize;
            committed_n = n + 1;
        }
        if rng.below(4) == 0 {
            // Page cache view of the file right now = what a crash could have left, minus
            // any uncommitted suffix.
            let snap = std::fs::read(&p).unwrap();
            let len = j.file_len() as usize;
            let cut = committed_len + rng.below((len - committed_len + 1) as u64) as usize;
            let mut img = snap[..cut].to_vec();
            img.resize(snap.len(), 0);
            let got = decoded(&img);
            assert!(got.len() >= committed_n, "lost committed records at {n}");
            assert!(got.len() <= n + 1);
            assert_eq!(got[..], recs[..got.len()], "not a prefix at {n}");
            checked += 1;
        }
    }
    j.commit().unwrap();
    let len = j.file_len() as usize;
    drop(j);
    assert!(checked > 50);
    let full = std::fs::read(&p).unwrap()[..len].to_vec();
    let (items, _) = recover::scan(&full, CorruptionPolicy::Refuse).unwrap();
    assert_eq!(items.len(), recs.len());
    let ends: Vec<usize> = std::iter::once(items[0].0 as usize)
        .chain(items.iter().skip(1).map(|x| x.0 as usize))
        .chain(std::iter::once(full.len()))
        .collect();

    // Stale pages from an older generation: the very same records at the very same offsets,
    // encoded under generation 0. Only the CRC seed tells them apart.
    let mut stale = Vec::new();
    stale.extend_from_slice(&duodhcp::journal::format::encode_header(
        duodhcp::journal::format::Header {
            generation: 0,
            base_seq: 1,
        },
    ));
    for (i, r) in recs.iter().enumerate() {
        duodhcp::journal::format::encode_record(&mut stale, 0, 1 + i as u64, r).unwrap();
    }
    assert_eq!(stale.len(), full.len(), "same layout, other generation");
    for page in 1..=full.len().div_ceil(4096) {
        let cut = (page * 4096).min(full.len());
        for garbage in [false, true] {
            let mut img = full[..cut].to_vec();
            if garbage {
                let extra: Vec<u8> = (0..8192).map(|_| rng.next() as u8).collect();
                img.extend_from_slice(&extra);
            } else {
                img.extend_from_slice(&stale[cut..]);
            }
            let whole = whole_in(&img, &full, &ends);
            assert!(whole >= ends.iter().filter(|&&e| e <= cut).count() - 1);
            let got = decoded(&img);
            assert_eq!(got.len(), whole, "page {page} garbage {garbage}");
            assert_eq!(got[..], recs[..whole]);
        }
    }
}
