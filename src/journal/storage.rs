//! Journal storage (I/O): an append-only byte file behind one trait, two implementations.
//!
//! - `MmapStorage`: the file is preallocated in chunks with `posix_fallocate` and mapped
//!   shared; an append is a copy into the map; commit is `msync` of the dirty range. Blocks are
//!   reserved at grow time, so a full disk is an `Error::NoSpace` from `append`, never a SIGBUS
//!   on a store into the map (on filesystems that honour fallocate; see FORMAT.md).
//! - `WriteStorage`: for filesystems that refuse a writable shared map (JFFS2) or when forced.
//!   Appends collect in a buffer; commit is one `pwrite` + `fdatasync`, which also keeps the
//!   number of flash writes per turn at one.
//!
//! Both keep the invariant: bytes before `len()` that were committed are on disk; nothing is
//! ever written before the committed length (append-only), and a mapped region is never
//! truncated (truncation happens in `open` before mapping).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

use memmap2::MmapMut;

use super::Error;

const PAGE: u64 = 4096;
/// First preallocation chunk; chunks double with the file up to `MAX_CHUNK`.
pub const MIN_CHUNK: u64 = 1 << 20;
pub const MAX_CHUNK: u64 = 16 << 20;

/// Map an I/O error to the journal error, singling out a full disk or quota.
pub fn io_err(op: &'static str, path: &str, err: io::Error) -> Error {
    match err.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => Error::NoSpace { path: path.into() },
        _ => Error::Io {
            op,
            path: path.into(),
            err,
        },
    }
}

/// The append-only byte store under a journal.
pub trait Storage {
    /// Add bytes at the end. Not durable until `commit`.
    fn append(&mut self, bytes: &[u8]) -> Result<(), Error>;
    /// Make appended bytes durable (`sync`) or just hand them to the kernel (`!sync`).
    fn commit(&mut self, sync: bool) -> Result<(), Error>;
    /// Appended bytes not yet committed.
    fn has_pending(&self) -> bool;
    /// Logical length (header + records, committed or not).
    fn len(&self) -> u64;
    /// Never true for a journal (the header is always there); present for API symmetry.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn uses_mmap(&self) -> bool;
    /// A copy of bytes `[0, len())`, including uncommitted ones.
    fn read_all(&self) -> Result<Vec<u8>, Error>;
}

/// Open (or create) `path` read-write and take the exclusive non-blocking lock.
/// Returns the file and whether it was created.
pub fn open_locked(path: &Path) -> Result<(File, bool), Error> {
    let p = path.display().to_string();
    // Bounded: a compaction in another process can rename a new file over the path between
    // our open and our lock; then we retry on the new file.
    for _ in 0..8 {
        let (file, created) = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => (f, false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                match OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .mode(0o644)
                    .open(path)
                {
                    Ok(f) => (f, true),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(io_err("create", &p, e)),
                }
            }
            Err(e) => return Err(io_err("open", &p, e)),
        };
        lock(&file, &p)?;
        let same = match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
            _ => false,
        };
        if same {
            return Ok((file, created));
        }
    }
    Err(Error::Locked { path: p })
}

/// Exclusive, non-blocking `flock`: one process per journal.
pub fn lock(file: &File, path: &str) -> Result<(), Error> {
    // SAFETY: flock on a valid, owned descriptor; no memory is passed.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Err(Error::Locked { path: path.into() })
    } else {
        Err(io_err("lock", path, err))
    }
}

/// fsync a directory so a create or rename in it survives power loss.
pub fn sync_dir(path: &Path) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let ds = dir.display().to_string();
    let f = File::open(dir).map_err(|e| io_err("open directory", &ds, e))?;
    f.sync_all().map_err(|e| io_err("sync directory", &ds, e))
}

fn round_up(v: u64, to: u64) -> u64 {
    v.div_ceil(to) * to
}

/// Reserve blocks for `[from, to)` so later stores into the map cannot hit ENOSPC.
fn preallocate(file: &File, from: u64, to: u64) -> io::Result<()> {
    let (Ok(off), Ok(len)) = (
        libc::off_t::try_from(from),
        libc::off_t::try_from(to - from),
    ) else {
        return Err(io::Error::from_raw_os_error(libc::EFBIG));
    };
    // SAFETY: plain syscall wrapper on an owned descriptor.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), off, len) };
    match rc {
        0 => Ok(()),
        libc::EOPNOTSUPP | libc::EINVAL => {
            // No fallocate on this filesystem (musl does not emulate it): write zeros, which
            // allocates the blocks just as well.
            let zeros = vec![0u8; 64 * 1024];
            let mut at = from;
            while at < to {
                let n = (to - at).min(zeros.len() as u64) as usize;
                file.write_all_at(zeros.get(..n).unwrap_or(&[]), at)?;
                at += n as u64;
            }
            Ok(())
        }
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

pub struct MmapStorage {
    file: File,
    path: String,
    map: MmapMut,
    /// Mapped (and allocated) file size.
    cap: u64,
    len: u64,
    /// Start of bytes appended since the last commit.
    dirty_from: Option<u64>,
    grown: bool,
    /// Whole pages below this offset have been dropped from our mapping (see `release`).
    released: u64,
}

impl MmapStorage {
    /// Map `file` whose valid content ends at `len`. Fails if the filesystem refuses a
    /// writable shared map; the caller then falls back to `WriteStorage`.
    pub fn new(file: File, path: &str, len: u64) -> Result<MmapStorage, (File, io::Error)> {
        let size = match file.metadata() {
            Ok(m) => m.len(),
            Err(e) => return Err((file, e)),
        };
        let mut grown = false;
        let mut cap = size.max(len);
        if cap < PAGE {
            // mmap of an empty file is EINVAL; a page is the least we will ever need.
            if let Err(e) = preallocate(&file, size, PAGE) {
                return Err((file, e));
            }
            cap = PAGE;
            grown = true;
        }
        // SAFETY: the file is locked exclusively (flock) by this process and never truncated
        // while mapped, so the mapping stays valid.
        let map = match unsafe { MmapMut::map_mut(&file) } {
            Ok(m) => m,
            Err(e) => return Err((file, e)),
        };
        Ok(MmapStorage {
            file,
            path: path.into(),
            map,
            cap,
            len,
            dirty_from: None,
            grown,
            released: 0,
        })
    }

    /// Drop the committed whole pages from this process's mapping. An append-only journal
    /// never reads them again, and on a router they would otherwise count as our memory;
    /// the data stays in the page cache (and, shared mapping, any dirty page stays dirty
    /// there), so nothing is lost.
    fn release(&mut self) {
        let upto = self.len - self.len % PAGE;
        if upto <= self.released {
            return;
        }
        let Some(region) = self.map.get(self.released as usize..upto as usize) else {
            return;
        };
        // SAFETY: the range lies inside our live mapping; MADV_DONTNEED on a shared file
        // mapping only unmaps pages, which are faulted back from the page cache if touched.
        unsafe {
            libc::madvise(
                region.as_ptr() as *mut libc::c_void,
                region.len(),
                libc::MADV_DONTNEED,
            );
        }
        self.released = upto;
    }

    fn grow(&mut self, need: u64) -> Result<(), Error> {
        // Chunks double with the file (1, 2, 4, 8, 16 MiB) then stay at 16 MiB.
        let chunk = self.cap.clamp(MIN_CHUNK, MAX_CHUNK);
        let want = round_up((self.cap + chunk).max(need), PAGE);
        let minimal = round_up(need, PAGE);
        let new_cap = match preallocate(&self.file, self.cap, want) {
            Ok(()) => want,
            // On a nearly full disk take only what this append needs.
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) && minimal < want => {
                preallocate(&self.file, self.cap, minimal)
                    .map_err(|e| io_err("grow", &self.path, e))?;
                minimal
            }
            Err(e) => return Err(io_err("grow", &self.path, e)),
        };
        // SAFETY: as in `new`; the old map is dropped when replaced (its dirty pages belong to
        // the page cache and are flushed by a later msync of the same file range).
        let map =
            unsafe { MmapMut::map_mut(&self.file) }.map_err(|e| io_err("map", &self.path, e))?;
        self.map = map;
        self.cap = new_cap;
        self.grown = true;
        Ok(())
    }
}

impl Storage for MmapStorage {
    fn append(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.len + bytes.len() as u64;
        if end > self.cap {
            self.grow(end)?;
        }
        let dst = self
            .map
            .get_mut(self.len as usize..end as usize)
            .ok_or_else(|| io_err("append", &self.path, io::ErrorKind::Other.into()))?;
        dst.copy_from_slice(bytes);
        self.dirty_from.get_or_insert(self.len);
        self.len = end;
        Ok(())
    }

    fn commit(&mut self, sync: bool) -> Result<(), Error> {
        let Some(from) = self.dirty_from else {
            return Ok(());
        };
        if sync {
            let from = from - from % PAGE;
            self.map
                .flush_range(from as usize, (self.len - from) as usize)
                .map_err(|e| io_err("sync", &self.path, e))?;
            if self.grown {
                // The file size changed: make the inode durable too.
                self.file
                    .sync_data()
                    .map_err(|e| io_err("sync", &self.path, e))?;
                self.grown = false;
            }
        }
        self.dirty_from = None;
        self.release();
        Ok(())
    }

    fn has_pending(&self) -> bool {
        self.dirty_from.is_some()
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn uses_mmap(&self) -> bool {
        true
    }

    fn read_all(&self) -> Result<Vec<u8>, Error> {
        Ok(self.map.get(..self.len as usize).unwrap_or(&[]).to_vec())
    }
}

pub struct WriteStorage {
    file: File,
    path: String,
    /// Bytes handed to the kernel.
    written: u64,
    pending: Vec<u8>,
    unsynced: bool,
}

impl WriteStorage {
    pub fn new(file: File, path: &str, len: u64) -> WriteStorage {
        WriteStorage {
            file,
            path: path.into(),
            written: len,
            pending: Vec::with_capacity(16 * 1024),
            unsynced: false,
        }
    }
}

impl Storage for WriteStorage {
    fn append(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.pending.extend_from_slice(bytes);
        Ok(())
    }

    fn commit(&mut self, sync: bool) -> Result<(), Error> {
        if !self.pending.is_empty() {
            // On failure nothing moves: the next commit rewrites the same bytes at the same
            // offset, and a partial write is a torn tail that recovery cuts off.
            self.file
                .write_all_at(&self.pending, self.written)
                .map_err(|e| io_err("write", &self.path, e))?;
            self.written += self.pending.len() as u64;
            self.pending.clear();
            self.unsynced = true;
        }
        if sync && self.unsynced {
            self.file
                .sync_data()
                .map_err(|e| io_err("sync", &self.path, e))?;
            self.unsynced = false;
        }
        Ok(())
    }

    fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    fn len(&self) -> u64 {
        self.written + self.pending.len() as u64
    }

    fn uses_mmap(&self) -> bool {
        false
    }

    fn read_all(&self) -> Result<Vec<u8>, Error> {
        let mut out = vec![0u8; self.written as usize];
        self.file
            .read_exact_at(&mut out, 0)
            .map_err(|e| io_err("read", &self.path, e))?;
        out.extend_from_slice(&self.pending);
        Ok(out)
    }
}
