//! Journal operations: replay semantics on both storage paths, compaction, backup/restore,
//! read-only inspection and a large update run.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use duodhcp::config::Durability;
use duodhcp::journal::{
    dump, read_leases, restore, Error, FailoverStateRec, Journal, Options, Record, Tail,
};
use duodhcp::lease::{BindingState, HwAddr, Lease};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "duodhcp-jops-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn file(&self, n: &str) -> PathBuf {
        self.0.join(n)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const NOW: u64 = 1_700_000_000;

fn lease(i: u32, t: u64, state: BindingState) -> Lease {
    let mut l = Lease::free(Ipv4Addr::from(0x0a03_0000 + i));
    l.state = state;
    l.set_ids(
        &[1, 0x52, 0x54, 0, 0, (i >> 8) as u8, i as u8],
        b"laptop-123",
    );
    l.chaddr = HwAddr::new(&[0x52, 0x54, 0, 0, (i >> 8) as u8, i as u8]);
    l.set_start(NOW - 10_000 + t);
    l.set_end(l.start() + 3600);
    l.set_cltt(l.start());
    l
}

fn fo() -> FailoverStateRec {
    FailoverStateRec {
        relationship: "dhcp-failover".into(),
        local_state: 2,
        partner_state: 1,
        since: NOW - 50,
        partner_last_up: NOW - 60,
        mclt: 120,
    }
}

struct Model(BTreeMap<Ipv4Addr, Lease>);

impl Model {
    fn apply(&mut self, r: &Record) {
        match r {
            Record::LeaseUpsert(l) => {
                self.0.insert(l.addr, l.clone());
            }
            Record::LeaseRemove(a) => {
                self.0.remove(a);
            }
            _ => {}
        }
    }
    fn leases(&self) -> Vec<Lease> {
        self.0.values().cloned().collect()
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn random_record(rng: &mut Rng, t: u64, addrs: u32) -> Record {
    let i = rng.below(u64::from(addrs)) as u32;
    match rng.below(20) {
        0 => Record::LeaseRemove(Ipv4Addr::from(0x0a03_0000 + i)),
        1..=3 => Record::LeaseUpsert(lease(i, t, BindingState::Released)),
        _ => Record::LeaseUpsert(lease(i, t, BindingState::Active)),
    }
}

#[test]
fn both_storage_paths_replay_last_wins() {
    for force in [false, true] {
        let d = TempDir::new("paths");
        let p = d.file("j");
        let o = Options {
            force_write_path: force,
            ..Options::default()
        };
        let mut rng = Rng(11);
        let mut m = Model(BTreeMap::new());
        let (mut j, r) = Journal::open(&p, o.clone(), NOW).unwrap();
        assert!(r.leases.is_empty() && r.tail == Tail::Clean);
        assert_eq!(j.uses_mmap(), !force);
        assert!(!j.has_pending());
        for t in 0..3000 {
            let rec = random_record(&mut rng, t, 300);
            j.append(&rec).unwrap();
            m.apply(&rec);
            if t % 17 == 0 {
                assert!(j.has_pending());
                j.commit().unwrap();
                assert!(!j.has_pending());
            }
        }
        j.append(&Record::FailoverState(fo())).unwrap();
        j.commit().unwrap();
        // Read-only inspection while the journal is open and locked.
        let ro = read_leases(&p).unwrap();
        assert_eq!(ro.leases, m.leases());
        drop(j);
        let (_, r) = Journal::open(&p, o, NOW).unwrap();
        assert_eq!(r.leases, m.leases(), "force_write_path {force}");
        assert_eq!(r.failover, vec![fo()]);
        assert_eq!(r.records, 3001);
        assert_eq!(r.tail, Tail::Clean);
    }
}

#[test]
fn bytes_per_lease_change_and_wear_counter() {
    let d = TempDir::new("size");
    let (mut j, _) = Journal::open(&d.file("j"), Options::default(), NOW).unwrap();
    let before = j.bytes_written();
    let len0 = j.file_len();
    // Typical lease: 7-byte client id, 6-byte MAC, 10-byte hostname.
    j.append(&Record::LeaseUpsert(lease(1, 0, BindingState::Active)))
        .unwrap();
    let per = j.bytes_written() - before;
    assert_eq!(per, j.file_len() - len0);
    assert!(per <= 128, "{per} bytes per lease change");
}

#[test]
fn oversize_record_is_refused_without_damage() {
    let d = TempDir::new("big");
    let p = d.file("j");
    let (mut j, _) = Journal::open(&p, Options::default(), NOW).unwrap();
    let mut l = lease(1, 0, BindingState::Active);
    l.set_client_id(&[7; 70_000]);
    let err = j.append(&Record::LeaseUpsert(l)).expect_err("too big");
    assert!(matches!(err, Error::Encode { .. }));
    assert!(err.to_string().starts_with("journal: cannot encode record"));
    j.append(&Record::LeaseUpsert(lease(2, 0, BindingState::Active)))
        .unwrap();
    drop(j);
    assert_eq!(read_leases(&p).unwrap().leases.len(), 1);
}

#[test]
fn compaction_keeps_exactly_the_live_set() {
    for force in [false, true] {
        let d = TempDir::new("compact");
        let p = d.file("j");
        let o = Options {
            force_write_path: force,
            expired_grace: 3600,
            ..Options::default()
        };
        let (mut j, _) = Journal::open(&p, o.clone(), NOW).unwrap();
        let mut m = Model(BTreeMap::new());
        let mut rng = Rng(4242);
        for t in 0..40_000 {
            let rec = random_record(&mut rng, t % 5000, 2000);
            j.append(&rec).unwrap();
            m.apply(&rec);
        }
        // Old released/expired/free leases: dropped. Old abandoned: kept (quarantine).
        let mut old = lease(5000, 0, BindingState::Expired);
        old.set_end(NOW - 3601);
        let mut abandoned = lease(5001, 0, BindingState::Abandoned);
        abandoned.set_end(NOW - 100_000);
        let mut fresh_released = lease(5002, 0, BindingState::Released);
        fresh_released.set_end(NOW - 10);
        for l in [&old, &abandoned, &fresh_released] {
            let r = Record::LeaseUpsert(l.clone());
            j.append(&r).unwrap();
            m.apply(&r);
        }
        j.commit().unwrap();
        assert!(j.should_compact(m.0.len(), 1), "len {}", j.file_len());
        assert!(!j.should_compact(40_000, 1));
        // Overdue only past the factor: this file is ~20× the live set, the default ratio 4.
        assert!(j.should_compact(m.0.len(), 2));
        assert!(!j.should_compact(m.0.len(), 100));
        let want: Vec<Lease> = m
            .leases()
            .into_iter()
            .filter(|l| {
                !(matches!(
                    l.state,
                    BindingState::Released | BindingState::Expired | BindingState::Free
                ) && l.end() + 3600 < NOW)
            })
            .collect();
        let dropped = m.0.len() - want.len();
        assert!(dropped >= 1);
        let stats = j.compact(m.0.values(), &[fo()], NOW).unwrap();
        assert_eq!(stats.kept as usize, want.len());
        assert_eq!(stats.dropped as usize, dropped);
        assert!(stats.after < stats.before / 4, "{stats:?}");
        assert_eq!(j.file_len(), stats.after);
        assert_eq!(j.generation(), 2);
        assert!(!j.should_compact(want.len(), 1));
        // Appends after compaction land in the new file.
        let extra = lease(6000, 1, BindingState::Active);
        j.append(&Record::LeaseUpsert(extra.clone())).unwrap();
        j.commit().unwrap();
        drop(j);
        let (_, r) = Journal::open(&p, o, NOW).unwrap();
        let mut want2 = want.clone();
        want2.push(extra);
        want2.sort_by_key(|l| l.addr);
        assert_eq!(r.leases, want2, "force_write_path {force}");
        assert_eq!(r.failover, vec![fo()]);
        assert_eq!(r.tail, Tail::Clean);
        assert!(r.corrupt.is_empty());
        assert!(!d.file("j.new.tmp").exists());
    }
}

#[test]
fn backup_restore_round_trip_and_rotation() {
    let d = TempDir::new("backup");
    let bdir = d.file("backups");
    std::fs::create_dir(&bdir).unwrap();
    let p = d.file("j");
    let (mut j, _) = Journal::open(&p, Options::default(), NOW).unwrap();
    let mut m = Model(BTreeMap::new());
    let mut rng = Rng(9);
    for t in 0..2000 {
        let rec = random_record(&mut rng, t, 500);
        j.append(&rec).unwrap();
        m.apply(&rec);
    }
    j.append(&Record::FailoverState(fo())).unwrap();
    let mut paths = Vec::new();
    for k in 0..7u64 {
        paths.push(j.backup(&bdir, NOW + k * 3600).unwrap());
    }
    assert_eq!(
        paths[0].file_name().unwrap().to_str().unwrap(),
        "duodhcp-leases-20231114T221320Z.journal"
    );
    let mut left: Vec<_> = std::fs::read_dir(&bdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    left.sort();
    assert_eq!(left, paths[2..], "the newest five are kept");
    drop(j);

    // Restore into a fresh path and over the existing journal.
    let q = d.file("restored");
    assert_eq!(restore(&paths[6], &q).unwrap(), m.0.len() as u64);
    let (_, r) = Journal::open(&q, Options::default(), NOW).unwrap();
    assert_eq!(r.leases, m.leases());
    assert_eq!(r.failover, vec![fo()]);
    {
        let (mut j, _) = Journal::open(&p, Options::default(), NOW).unwrap();
        j.append(&Record::LeaseRemove(Ipv4Addr::from(0x0a03_0001)))
            .unwrap();
        j.append(&Record::LeaseUpsert(lease(9999, 0, BindingState::Active)))
            .unwrap();
    }
    assert_eq!(restore(&paths[6], &p).unwrap(), m.0.len() as u64);
    let (j, r) = Journal::open(&p, Options::default(), NOW).unwrap();
    assert_eq!(r.leases, m.leases());
    assert!(j.generation() >= 2, "restore bumps the generation");
    drop(j);

    // A corrupted backup is refused and the journal is left as it was.
    let mut bad = std::fs::read(&paths[5]).unwrap();
    let at = bad.len() / 2;
    bad[at] ^= 0x10;
    let badp = d.file("bad.journal");
    std::fs::write(&badp, &bad).unwrap();
    let before = std::fs::read(&p).unwrap();
    let err = restore(&badp, &p).expect_err("refused");
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("corrupt at offset"), "{err}");
    assert_eq!(std::fs::read(&p).unwrap(), before);
    // A truncated backup too.
    std::fs::write(&badp, &bad[..at]).unwrap();
    let mut cut = std::fs::read(&paths[5]).unwrap();
    cut.truncate(cut.len() - 3);
    std::fs::write(&badp, &cut).unwrap();
    assert!(matches!(restore(&badp, &p), Err(Error::Corrupt { .. })));
    assert_eq!(std::fs::read(&p).unwrap(), before);
}

#[test]
fn dump_of_a_journal() {
    let d = TempDir::new("dump");
    let p = d.file("j");
    let (mut j, _) = Journal::open(&p, Options::default(), NOW).unwrap();
    for i in 0..3 {
        j.append(&Record::LeaseUpsert(lease(i, 0, BindingState::Active)))
            .unwrap();
    }
    drop(j);
    let r = read_leases(&p).unwrap();
    let text = dump::to_text(&r.leases, NOW);
    assert_eq!(text.lines().count(), 3);
    assert!(text
        .starts_with("10.3.0.0 active owner=client id=01:52:54:00:00:00:00 hw=52:54:00:00:00:00"));
    let json = dump::to_json(&r.leases);
    assert_eq!(json.matches("\"addr\":").count(), 3);
    assert!(json.contains("\"hostname\":\"laptop-123\""));
}

fn big_run(updates: u64, live: u32) {
    let d = TempDir::new("big");
    let p = d.file("j");
    let o = Options {
        durability: Durability::None,
        ..Options::default()
    };
    let (mut j, _) = Journal::open(&p, o.clone(), NOW).unwrap();
    let mut last = vec![0u64; live as usize];
    let mut rng = Rng(77);
    for t in 0..updates {
        let i = rng.below(u64::from(live)) as u32;
        last[i as usize] = t + 1;
        j.append(&Record::LeaseUpsert(lease(i, t, BindingState::Active)))
            .unwrap();
        if t % 1000 == 0 {
            j.commit().unwrap();
        }
    }
    j.commit().unwrap();
    drop(j);
    let (_, r) = Journal::open(&p, o, NOW).unwrap();
    assert_eq!(r.records, updates);
    let want: Vec<Lease> = last
        .iter()
        .enumerate()
        .filter(|(_, &t)| t > 0)
        .map(|(i, &t)| lease(i as u32, t - 1, BindingState::Active))
        .collect();
    assert_eq!(r.leases.len(), want.len());
    assert!(r.leases == want);
}

#[test]
fn updates_100k_over_5k_recover() {
    big_run(100_000, 5_000);
}

/// The full-size run (about 4 s in a debug build; the bench times it).
#[test]
fn updates_1m_over_50k_recover() {
    big_run(1_000_000, 50_000);
}
