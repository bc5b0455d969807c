//! Bad disk conditions: full disk, read-only filesystem, missing directory, permission denied,
//! and the one-process lock. Each must give a clear error (checked by message), never a panic,
//! and lose no committed lease.
//!
//! Mount-based cases need root (they mount a small tmpfs in a temp dir). Without root they
//! print why they are skipped, unless CI=true, where skipping is a failure. Permission denied
//! works both ways: as root the journal file is made immutable (`chattr +i`, which root cannot
//! bypass); as a normal user it is chmod 0400.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

use duodhcp::config::Durability;
use duodhcp::journal::{read_leases, Error, Journal, Options, Record};
use duodhcp::lease::{BindingState, HwAddr, Lease};

/// These tests fork (mount, chattr) while others reopen journals: a forked child holds the
/// parent's flock'd descriptions until it execs, which would make a reopen in another thread
/// fail with Locked. Run the file's tests one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "duodhcp-jdisk-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A tmpfs mounted on a fresh temp dir; unmounted (and the dir removed) in Drop.
struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = TempDir::new("mnt");
        run(
            "mount",
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            &dir.0,
        );
        Tmpfs { dir }
    }
    fn path(&self) -> &Path {
        &self.dir.0
    }
    fn remount(&self, mode: &str) {
        run("mount", &["-o", &format!("remount,{mode}")], self.path());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir.0).status();
    }
}

fn run(cmd: &str, args: &[&str], path: &Path) {
    let st = Command::new(cmd).args(args).arg(path).status().unwrap();
    assert!(st.success(), "{cmd} {args:?} {} failed", path.display());
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Root-only tests: skip with a reason, or fail under CI.
fn need_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test} needs root (mounts a tmpfs) and CI=true forbids skipping");
    }
    eprintln!("SKIP {test}: needs root to mount a tmpfs");
    false
}

fn lease(i: u32) -> Lease {
    let mut l = Lease::free(Ipv4Addr::from(0x0a02_0000 + i));
    l.state = BindingState::Active;
    l.set_ids(&[1, 2, 3, 4, 5, 6, i as u8], format!("h{i:09}").as_bytes());
    l.chaddr = HwAddr::new(&[2, 3, 4, 5, (i >> 8) as u8, i as u8]);
    l.set_start(1_700_000_000 + u64::from(i));
    l.set_end(l.start() + 600);
    l
}

fn opts(force_write_path: bool) -> Options {
    Options {
        durability: Durability::Sync,
        force_write_path,
        ..Options::default()
    }
}

fn commit_until_full(j: &mut Journal, limit: u32) -> (u32, Error) {
    for i in 0..limit {
        let r = j
            .append(&Record::LeaseUpsert(lease(i)))
            .and_then(|()| j.commit());
        if let Err(e) = r {
            return (i, e);
        }
    }
    panic!("disk never filled after {limit} leases");
}

#[test]
fn full_disk_is_an_error_and_loses_nothing() {
    let _serial = serial();
    if !need_root("full_disk_is_an_error_and_loses_nothing") {
        return;
    }
    for force_write in [false, true] {
        let fs = Tmpfs::mount("256k");
        let filler = fs.path().join("filler");
        std::fs::write(&filler, vec![1u8; 64 * 1024]).unwrap();
        let p = fs.path().join("leases.journal");
        let (mut j, _) = Journal::open(&p, opts(force_write), 0).unwrap();
        assert_eq!(j.uses_mmap(), !force_write);
        let (committed, err) = commit_until_full(&mut j, 100_000);
        assert!(committed > 100, "only {committed} leases fit");
        assert!(matches!(err, Error::NoSpace { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("journal {}: no space left on device", p.display())
        );
        // Space comes back: the journal carries on where it stopped.
        std::fs::remove_file(&filler).unwrap();
        let more = Record::LeaseUpsert(lease(committed));
        j.append(&more)
            .and_then(|()| j.commit())
            .or_else(|_| {
                // The write path keeps the failed bytes pending and rewrites them now.
                j.commit()
            })
            .unwrap();
        drop(j);
        let (_, replay) = Journal::open(&p, opts(force_write), 0).unwrap();
        let want: Vec<Lease> = (0..=committed).map(lease).collect();
        assert_eq!(
            replay.leases[..committed as usize],
            want[..committed as usize],
            "write path {force_write}"
        );
        assert!(replay.leases.len() as u32 >= committed);
        assert!(replay.corrupt.is_empty());
    }
}

#[test]
fn read_only_filesystem() {
    let _serial = serial();
    if !need_root("read_only_filesystem") {
        return;
    }
    let fs = Tmpfs::mount("1m");
    let p = fs.path().join("leases.journal");
    {
        let (mut j, _) = Journal::open(&p, opts(false), 0).unwrap();
        for i in 0..50 {
            j.append(&Record::LeaseUpsert(lease(i))).unwrap();
        }
        j.commit().unwrap();
    }
    fs.remount("ro");
    let err = Journal::open(&p, opts(false), 0)
        .err()
        .expect("ro open fails");
    assert_eq!(
        err.to_string(),
        format!(
            "journal {}: cannot open: Read-only file system (os error 30)",
            p.display()
        )
    );
    let q = fs.path().join("new.journal");
    let err = Journal::open(&q, opts(false), 0)
        .err()
        .expect("ro create fails");
    assert!(
        err.to_string()
            .contains("cannot create: Read-only file system"),
        "{err}"
    );
    // The leases are still readable for inspection, untouched.
    assert_eq!(read_leases(&p).unwrap().leases.len(), 50);
    fs.remount("rw");
    let (_, replay) = Journal::open(&p, opts(false), 0).unwrap();
    assert_eq!(replay.leases, (0..50).map(lease).collect::<Vec<_>>());
}

#[test]
fn missing_directory() {
    let _serial = serial();
    let d = TempDir::new("missing");
    let p = d.0.join("no-such-dir").join("leases.journal");
    let err = Journal::open(&p, opts(false), 0).err().expect("fails");
    assert_eq!(
        err.to_string(),
        format!(
            "journal {}: cannot create: No such file or directory (os error 2)",
            p.display()
        )
    );
    assert!(!p.parent().unwrap().exists(), "directories are not created");
    let err = read_leases(&p).expect_err("fails");
    assert!(err.to_string().contains("No such file or directory"));
}

/// Clears the immutable flag (or restores the mode) in Drop so the temp dir can be removed.
struct Unprotect(PathBuf);

impl Drop for Unprotect {
    fn drop(&mut self) {
        if is_root() {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o644));
        }
    }
}

#[test]
fn permission_denied() {
    let _serial = serial();
    // Needs a filesystem with inode flags when root: /var/tmp (ext4 here), not tmpfs.
    let base = PathBuf::from("/var/tmp");
    let dir = TempDir(base.join(format!("duodhcp-jperm-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let p = dir.0.join("leases.journal");
    {
        let (mut j, _) = Journal::open(&p, opts(false), 0).unwrap();
        for i in 0..10 {
            j.append(&Record::LeaseUpsert(lease(i))).unwrap();
        }
        j.commit().unwrap();
    }
    let _guard = Unprotect(p.clone());
    let expect = if is_root() {
        let st = Command::new("chattr").arg("+i").arg(&p).status();
        if !st.map(|s| s.success()).unwrap_or(false) {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("chattr +i failed on /var/tmp");
            }
            eprintln!("SKIP permission_denied: chattr +i unsupported here");
            return;
        }
        "Operation not permitted (os error 1)"
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
        "Permission denied (os error 13)"
    };
    let err = Journal::open(&p, opts(false), 0).err().expect("denied");
    assert_eq!(
        err.to_string(),
        format!("journal {}: cannot open: {expect}", p.display())
    );
    assert_eq!(read_leases(&p).unwrap().leases.len(), 10);
    drop(_guard);
    let (_, replay) = Journal::open(&p, opts(false), 0).unwrap();
    assert_eq!(replay.leases, (0..10).map(lease).collect::<Vec<_>>());
}

#[test]
fn backup_to_unusable_directory() {
    let _serial = serial();
    let d = TempDir::new("bkdir");
    let p = d.0.join("leases.journal");
    let (mut j, _) = Journal::open(&p, opts(false), 0).unwrap();
    j.append(&Record::LeaseUpsert(lease(1))).unwrap();
    let err = j
        .backup(&d.0.join("nope"), 1_700_000_000)
        .expect_err("fails");
    assert!(
        err.to_string().contains("No such file or directory"),
        "{err}"
    );
    // The journal itself is unaffected.
    j.commit().unwrap();
}

#[test]
fn second_open_is_locked() {
    let _serial = serial();
    let d = TempDir::new("lock");
    let p = d.0.join("leases.journal");
    let (mut j, _) = Journal::open(&p, opts(false), 0).unwrap();
    j.append(&Record::LeaseUpsert(lease(3))).unwrap();
    j.commit().unwrap();
    let err = Journal::open(&p, opts(false), 0).err().expect("locked");
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "journal {}: locked by another process (is another duodhcp running?)",
            p.display()
        )
    );
    // Restore must not replace a journal in use either.
    let err = duodhcp::journal::restore(&p, &p).expect_err("locked");
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    // Read-only inspection needs no lock.
    assert_eq!(read_leases(&p).unwrap().leases.len(), 1);
    drop(j);
    let (_, replay) = Journal::open(&p, opts(false), 0).unwrap();
    assert_eq!(replay.leases, vec![lease(3)]);
}
