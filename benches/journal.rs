//! Journal benchmark (std-only harness): `cargo bench --bench journal`.
//!
//! Prints one metric per line, `name value`, for a bench script to parse. Runs on the real
//! disk under /var/tmp (not tmpfs) so sync latencies mean something.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use duodhcp::config::Durability;
use duodhcp::journal::{Journal, Options, Record};
use duodhcp::lease::{BindingState, HwAddr, Lease};

const NOW: u64 = 1_700_000_000;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(tag: &str) -> TempDir {
    let base = if Path::new("/var/tmp").is_dir() {
        PathBuf::from("/var/tmp")
    } else {
        std::env::temp_dir()
    };
    let p = base.join(format!("duodhcp-jbench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).expect("create bench dir");
    TempDir(p)
}

fn lease(i: u32, t: u64) -> Lease {
    let mut l = Lease::free(Ipv4Addr::from(0x0a10_0000 + i));
    l.state = BindingState::Active;
    l.set_ids(
        &[1, 0x52, 0x54, 0, 0, (i >> 8) as u8, i as u8],
        b"laptop-123",
    );
    l.chaddr = HwAddr::new(&[0x52, 0x54, 0, 0, (i >> 8) as u8, i as u8]);
    l.set_start(NOW + t);
    l.set_end(l.start() + 3600);
    l.set_cltt(l.start());
    l
}

fn metric(name: &str, v: f64) {
    println!("journal.{name} {v:.3}");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn opts(d: Durability, force_write: bool) -> Options {
    Options {
        durability: d,
        force_write_path: force_write,
        ..Options::default()
    }
}

/// Append throughput (no commit in the loop) and commit latency per durability mode.
fn durability_modes() {
    for (name, d, force, per_commit, commits) in [
        ("sync", Durability::Sync, false, 1, 300),
        ("batch", Durability::Batch, false, 32, 300),
        ("none", Durability::None, false, 32, 300),
        ("sync_pwrite", Durability::Sync, true, 1, 300),
        ("batch_pwrite", Durability::Batch, true, 32, 300),
    ] {
        let dir = temp_dir(name);
        let p = dir.0.join("leases.journal");
        let (mut j, _) = Journal::open(&p, opts(d, force), NOW).expect("open");
        // Throughput of append alone.
        let n = 200_000u32;
        let t0 = Instant::now();
        for i in 0..n {
            j.append(&Record::LeaseUpsert(lease(i % 50_000, u64::from(i))))
                .expect("append");
        }
        let secs = t0.elapsed().as_secs_f64();
        j.commit().expect("commit");
        metric(&format!("append_per_s_{name}"), f64::from(n) / secs);
        // Commit latency: `per_commit` appends then one commit, like one reactor turn.
        let mut lat = Vec::with_capacity(commits);
        for c in 0..commits {
            for k in 0..per_commit {
                let i = (c * per_commit + k) as u32;
                j.append(&Record::LeaseUpsert(lease(i % 50_000, u64::from(i))))
                    .expect("append");
            }
            let t = Instant::now();
            j.commit().expect("commit");
            lat.push(t.elapsed().as_secs_f64() * 1e6);
        }
        lat.sort_by(|a, b| a.total_cmp(b));
        metric(&format!("commit_us_p50_{name}"), pct(&lat, 0.5));
        metric(&format!("commit_us_p99_{name}"), pct(&lat, 0.99));
    }
}

fn bytes_per_change() {
    let dir = temp_dir("size");
    let (mut j, _) =
        Journal::open(&dir.0.join("j"), opts(Durability::None, false), NOW).expect("open");
    let before = j.bytes_written();
    let n = 1000u32;
    for i in 0..n {
        j.append(&Record::LeaseUpsert(lease(i, u64::from(i))))
            .expect("append");
    }
    metric(
        "bytes_per_lease_change",
        (j.bytes_written() - before) as f64 / f64::from(n),
    );
}

/// 1M updates over 50k leases: recovery time, then compaction size and time.
fn recovery_and_compaction() {
    let dir = temp_dir("recover");
    let p = dir.0.join("leases.journal");
    let o = opts(Durability::None, false);
    {
        let (mut j, _) = Journal::open(&p, o.clone(), NOW).expect("open");
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for t in 0..1_000_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            j.append(&Record::LeaseUpsert(lease((x % 50_000) as u32, t)))
                .expect("append");
        }
        j.commit().expect("commit");
        // Make the file durable so the timing below is of recovery, not writeback.
        let f = std::fs::File::open(&p).expect("reopen");
        f.sync_all().expect("sync");
    }
    let mut times = Vec::new();
    let mut live = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let (j, r) = Journal::open(&p, o.clone(), NOW).expect("open");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(r.records, 1_000_000);
        live = r.leases;
        drop(j);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    metric("recovery_ms_1M_50k", times[0]);
    metric("recovery_ms_1M_50k_max", times[times.len() - 1]);

    let (mut j, _) = Journal::open(&p, opts(Durability::Batch, false), NOW).expect("open");
    let t = Instant::now();
    let stats = j.compact(live.iter(), &[], NOW).expect("compact");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    metric("file_bytes_before_compaction", stats.before as f64);
    metric("file_bytes_after_compaction", stats.after as f64);
    metric("compaction_ms_50k", ms);
    metric("compaction_ms_per_10k", ms / (live.len() as f64 / 10_000.0));
    // The part that would block the loop without the fsyncs: encoding the image.
    let refs: Vec<&Lease> = live.iter().collect();
    let t = Instant::now();
    let _ = duodhcp::journal::compact::build_image(3, 1, NOW, &refs, &[]).expect("image");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    metric(
        "compaction_encode_ms_per_10k",
        ms / (live.len() as f64 / 10_000.0),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    bytes_per_change();
    durability_modes();
    recovery_and_compaction();
}
