//! Start-up memory of journal recovery: `cargo bench --bench journal_rss`.
//!
//! Builds a journal of 1M lease records over 50k leases, then opens it in a fresh child
//! process (so the build's allocations do not count) and prints the child's peak resident
//! set (VmHWM) before and after `Journal::open`, and the peak heap bytes during it (a counting
//! allocator), as `name value` lines. VmHWM also counts file pages a map touched (clean page
//! cache the kernel can drop); the heap peak is the memory that cannot be reclaimed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use duodhcp::config::Durability;
use duodhcp::journal::{Journal, Options, Record};
use duodhcp::lease::{BindingState, HwAddr, Lease};

const NOW: u64 = 1_700_000_000;
const RECORDS: u32 = 1_000_000;
const LEASES: u32 = 50_000;

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

/// System allocator that tracks the live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
            grew(new);
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn opts() -> Options {
    Options {
        durability: Durability::None,
        ..Options::default()
    }
}

/// `VmHWM` (peak resident set) of this process, in KiB.
fn vm_hwm_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Child: open the journal and report the peak resident set around it.
fn child(p: &Path) {
    let before = vm_hwm_kib();
    let heap_before = LIVE.load(Ordering::Relaxed);
    PEAK.store(heap_before, Ordering::Relaxed);
    let (j, r) = Journal::open(p, opts(), NOW).expect("open");
    let after = vm_hwm_kib();
    let heap_peak = PEAK.load(Ordering::Relaxed) - heap_before;
    let heap_kept = LIVE.load(Ordering::Relaxed) - heap_before;
    assert_eq!(r.records, u64::from(RECORDS));
    assert_eq!(r.leases.len(), LEASES as usize);
    println!(
        "journal_rss.file_bytes {}",
        std::fs::metadata(p).expect("stat").len()
    );
    println!("journal_rss.valid_bytes {}", j.file_len());
    println!("journal_rss.vmhwm_kib_before_open {before}");
    println!("journal_rss.vmhwm_kib_after_open {after}");
    println!("journal_rss.heap_peak_kib_in_open {}", heap_peak / 1024);
    println!("journal_rss.heap_kept_kib_after_open {}", heap_kept / 1024);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]));
        return;
    }
    let dir = std::env::temp_dir().join(format!("duodhcp-rss-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create dir");
    let p: PathBuf = dir.join("j");
    {
        let (mut j, _) = Journal::open(&p, opts(), NOW).expect("open");
        for n in 0..RECORDS {
            let i = n % LEASES;
            j.append(&Record::LeaseUpsert(lease(i, u64::from(n))))
                .expect("append");
            if n % 1024 == 1023 {
                j.commit().expect("commit");
            }
        }
        j.commit().expect("commit");
    }
    let exe = std::env::current_exe().expect("current_exe");
    let st = Command::new(exe)
        .arg("--child")
        .arg(&p)
        .status()
        .expect("spawn child");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(st.success(), "child failed: {st}");
}
