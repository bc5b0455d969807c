//! Crash-safe lease journal: memory-mapped, append-only, CRC-checked records.
//!
//! Pure parts: `format` (framing), `record` (types), `recover` (scan), `dump` (text/JSON).
//! I/O parts: `storage`, `compact`. See `FORMAT.md` for the on-disk format.
//!
//! Use: `Journal::open` replays the file and returns the live set; the reactor `append`s the
//! records of a turn and calls `commit` before any reply that depends on them leaves the box
//! (house rule 8): per reply under `Durability::Sync`, once per turn under `Batch`.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::config::{CorruptionPolicy, Durability};
use crate::lease::Lease;
use crate::time::Secs;

pub mod compact;
pub mod dump;
pub mod format;
pub mod record;
pub mod recover;
pub mod storage;

pub use record::{FailoverStateRec, Record};
pub use recover::{Replay, Tail};

use storage::{io_err, MmapStorage, Storage, WriteStorage};

/// Journals smaller than this are never compacted (rewriting them saves nothing).
pub const MIN_COMPACT_BYTES: u64 = 1 << 20;
/// Backups kept by `backup`.
pub const BACKUPS_KEPT: usize = 5;

/// Journal errors: I/O (with the operation and path) versus corruption, plus the two an
/// operator must act on differently (lock held, disk full).
#[derive(Debug)]
pub enum Error {
    Io {
        op: &'static str,
        path: String,
        err: io::Error,
    },
    Corrupt {
        offset: u64,
        reason: String,
    },
    Locked {
        path: String,
    },
    NoSpace {
        path: String,
    },
    /// A record cannot be represented (a field over the format's limits); nothing was written.
    Encode {
        reason: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { op, path, err } => write!(f, "journal {path}: cannot {op}: {err}"),
            Error::Corrupt { offset, reason } => {
                write!(f, "journal corrupt at offset {offset}: {reason}")
            }
            Error::Locked { path } => write!(
                f,
                "journal {path}: locked by another process (is another duodhcp running?)"
            ),
            Error::NoSpace { path } => write!(f, "journal {path}: no space left on device"),
            Error::Encode { reason } => write!(f, "journal: cannot encode record: {reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { err, .. } => Some(err),
            _ => None,
        }
    }
}

impl From<recover::ScanError> for Error {
    fn from(e: recover::ScanError) -> Error {
        Error::Corrupt {
            offset: e.offset,
            reason: e.reason,
        }
    }
}

/// Journal options (from `Config`).
#[derive(Clone, Debug)]
pub struct Options {
    pub durability: Durability,
    pub on_corruption: CorruptionPolicy,
    /// Compact when the file exceeds this many times the live set (and `MIN_COMPACT_BYTES`).
    pub compact_ratio: u32,
    /// Seconds after `end` before an expired/released/free lease is dropped at compaction.
    pub expired_grace: u32,
    /// Use the pwrite path even where mmap works (tests, benchmarks).
    pub force_write_path: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            durability: Durability::Batch,
            on_corruption: CorruptionPolicy::Skip,
            compact_ratio: 4,
            expired_grace: 3600,
            force_write_path: false,
        }
    }
}

/// What a compaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactStats {
    /// File bytes before and after.
    pub before: u64,
    pub after: u64,
    /// Leases written and leases dropped (expired past grace).
    pub kept: u64,
    pub dropped: u64,
    /// Records in the file before and after.
    pub records_before: u64,
    pub records_after: u64,
}

/// An open, locked journal.
pub struct Journal {
    path: PathBuf,
    path_str: String,
    opts: Options,
    store: Box<dyn Storage>,
    generation: u32,
    next_seq: u64,
    /// Records in the current file (for the live-set size estimate).
    records_in_file: u64,
    bytes_written: u64,
    /// Reused encode buffer: appends do not allocate once it has grown.
    buf: Vec<u8>,
}

fn read_file(file: &File, path: &str) -> Result<Vec<u8>, Error> {
    let len = file.metadata().map_err(|e| io_err("stat", path, e))?.len();
    let mut v = vec![0u8; len as usize];
    file.read_exact_at(&mut v, 0)
        .map_err(|e| io_err("read", path, e))?;
    Ok(v)
}

impl Journal {
    /// Open (creating if missing) and lock the journal at `path`, recover it, and return the
    /// live set. The directory must exist. A torn tail is cut and synced before returning.
    pub fn open(path: &Path, opts: Options, _now: Secs) -> Result<(Journal, Replay), Error> {
        let path_str = path.display().to_string();
        let (file, created) = storage::open_locked(path)?;
        let bytes = read_file(&file, &path_str)?;
        let (mut replay, info) = recover::replay(&bytes, opts.on_corruption)?;
        let file_len = bytes.len() as u64;
        drop(bytes);
        let mut bytes_written = 0;
        let (generation, next_seq, valid_len) = match info.header {
            None => {
                // Fresh (or never-committed) journal: write and sync the header before any
                // record can be committed, so an all-zero file always means "nothing lost".
                let h = format::Header {
                    generation: 1,
                    base_seq: 1,
                };
                if file_len > 0 {
                    file.set_len(0)
                        .map_err(|e| io_err("truncate", &path_str, e))?;
                }
                file.write_all_at(&format::encode_header(h), 0)
                    .map_err(|e| io_err("write", &path_str, e))?;
                file.sync_all().map_err(|e| io_err("sync", &path_str, e))?;
                if created {
                    storage::sync_dir(path)?;
                }
                bytes_written += format::HEADER_LEN as u64;
                (h.generation, h.base_seq, format::HEADER_LEN as u64)
            }
            Some(h) => {
                let cut = matches!(info.tail, Tail::Truncated { .. })
                    || (opts.force_write_path && file_len > info.valid_len);
                if cut {
                    // Before any map exists: never truncate a mapped region (rule 9).
                    file.set_len(info.valid_len)
                        .map_err(|e| io_err("truncate", &path_str, e))?;
                    file.sync_all().map_err(|e| io_err("sync", &path_str, e))?;
                }
                (h.generation, info.last_seq.wrapping_add(1), info.valid_len)
            }
        };
        let store = Self::make_storage(file, &path_str, valid_len, opts.force_write_path)?;
        if !store.uses_mmap() && !opts.force_write_path {
            log::info!("journal {path_str}: writable shared mmap refused, using pwrite");
        }
        replay.records = info.records;
        let j = Journal {
            path: path.to_path_buf(),
            path_str,
            opts,
            store,
            generation,
            next_seq,
            records_in_file: info.records,
            bytes_written,
            buf: Vec::with_capacity(256),
        };
        Ok((j, replay))
    }

    fn make_storage(
        file: File,
        path: &str,
        len: u64,
        force_write: bool,
    ) -> Result<Box<dyn Storage>, Error> {
        if force_write {
            let size = file.metadata().map_err(|e| io_err("stat", path, e))?.len();
            if size > len {
                // The file was preallocated by the mmap path: the pwrite path appends at the
                // end of the records, so drop the zero tail first.
                file.set_len(len).map_err(|e| io_err("truncate", path, e))?;
            }
            return Ok(Box::new(WriteStorage::new(file, path, len)));
        }
        match MmapStorage::new(file, path, len) {
            Ok(m) => Ok(Box::new(m)),
            Err((file, e)) if e.raw_os_error() == Some(libc::ENOSPC) => {
                drop(file);
                Err(io_err("grow", path, e))
            }
            Err((file, _)) => {
                let size = file.metadata().map_err(|e| io_err("stat", path, e))?.len();
                if size > len {
                    file.set_len(len).map_err(|e| io_err("truncate", path, e))?;
                }
                Ok(Box::new(WriteStorage::new(file, path, len)))
            }
        }
    }

    /// Append one record. Not durable until `commit`.
    pub fn append(&mut self, rec: &Record) -> Result<(), Error> {
        self.buf.clear();
        format::encode_record(&mut self.buf, self.generation, self.next_seq, rec)
            .map_err(|e| Error::Encode { reason: e.0 })?;
        self.store.append(&self.buf)?;
        self.next_seq += 1;
        self.records_in_file += 1;
        self.bytes_written += self.buf.len() as u64;
        Ok(())
    }

    /// Make every appended record durable per the durability policy (`None`: hand to the
    /// kernel only). Cheap when nothing is pending.
    pub fn commit(&mut self) -> Result<(), Error> {
        let sync = self.opts.durability != Durability::None;
        self.store.commit(sync)
    }

    pub fn has_pending(&self) -> bool {
        self.store.has_pending()
    }

    /// Mean bytes per record in this file (80 before any record is known).
    fn mean_record(&self) -> u64 {
        let body = self.file_len().saturating_sub(format::HEADER_LEN as u64);
        body.checked_div(self.records_in_file)
            .filter(|&m| m > 0)
            .unwrap_or(80)
    }

    /// True when the file is over `factor` × `compact_ratio` times the size the live set
    /// would take (`factor` 1: due; larger: overdue).
    pub fn should_compact(&self, live: usize, factor: u32) -> bool {
        let live_bytes = (live as u64).saturating_mul(self.mean_record()) + 4096;
        let len = self.file_len();
        let ratio = u64::from(self.opts.compact_ratio.max(1)) * u64::from(factor.max(1));
        len > MIN_COMPACT_BYTES && len > live_bytes.saturating_mul(ratio)
    }

    /// Rewrite the journal as the given live set (dropping leases expired past the grace
    /// period), under a new generation. On error before the rename the old journal stays in
    /// use unchanged.
    pub fn compact<'a>(
        &mut self,
        live: impl Iterator<Item = &'a Lease>,
        failover: &[FailoverStateRec],
        now: Secs,
    ) -> Result<CompactStats, Error> {
        let before = self.file_len();
        let records_before = self.records_in_file;
        let mut dropped = 0u64;
        let kept: Vec<&Lease> = live
            .filter(|l| {
                let d = compact::droppable(l, now, self.opts.expired_grace);
                dropped += u64::from(d);
                !d
            })
            .collect();
        let generation = self.generation.wrapping_add(1).max(1);
        let base_seq = self.next_seq;
        let (image, next_seq) = compact::build_image(generation, base_seq, now, &kept, failover)?;
        let after = image.len() as u64;
        let installed = compact::install(&self.path, &image, true);
        let file = match installed {
            Ok(Some(f)) => f,
            Ok(None) => {
                return Err(Error::Encode {
                    reason: "internal: no file",
                })
            }
            Err(e) => {
                // The rename may have happened (only the directory sync failed): then the
                // path is the new file and we must switch to it; check by reading it back.
                if let Ok(f) = File::options().read(true).write(true).open(&self.path) {
                    if compact::current_generation(&f) == Some(generation)
                        && storage::lock(&f, &self.path_str).is_ok()
                    {
                        self.switch(f, generation, next_seq, after, kept.len() as u64)?;
                    }
                }
                return Err(e);
            }
        };
        self.switch(file, generation, next_seq, after, kept.len() as u64)?;
        Ok(CompactStats {
            before,
            after,
            kept: kept.len() as u64,
            dropped,
            records_before,
            records_after: self.records_in_file,
        })
    }

    fn switch(
        &mut self,
        file: File,
        generation: u32,
        next_seq: u64,
        len: u64,
        leases: u64,
    ) -> Result<(), Error> {
        let store = Self::make_storage(file, &self.path_str, len, self.opts.force_write_path)?;
        // Pending bytes of the old file are superseded by the image (it holds the live set).
        self.store = store;
        self.generation = generation;
        self.next_seq = next_seq;
        self.records_in_file = leases + 1;
        self.bytes_written += len;
        Ok(())
    }

    /// Write a consistent, compacted copy of the journal into `dir`, named by the UTC time,
    /// fsynced; keep the newest `BACKUPS_KEPT`.
    pub fn backup(&mut self, dir: &Path, now: Secs) -> Result<PathBuf, Error> {
        let bytes = self.store.read_all()?;
        let (replay, _) = recover::replay(&bytes, CorruptionPolicy::Skip)?;
        drop(bytes);
        let leases: Vec<&Lease> = replay.leases.iter().collect();
        let (image, _) = compact::build_image(self.generation, 1, now, &leases, &replay.failover)?;
        let target = dir.join(compact::backup_name(now));
        compact::install(&target, &image, false)?;
        self.bytes_written += image.len() as u64;
        compact::prune_backups(dir, BACKUPS_KEPT)?;
        Ok(target)
    }

    /// Bytes of the journal up to the end of the last record (header included).
    pub fn file_len(&self) -> u64 {
        self.store.len()
    }

    /// Total bytes written since open (records, compactions, backups): a flash-wear gauge.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    pub fn uses_mmap(&self) -> bool {
        self.store.uses_mmap()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Current file generation (bumped by every compaction).
    pub fn generation(&self) -> u32 {
        self.generation
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if self.store.has_pending() {
            if let Err(e) = self.commit() {
                log::error!("{e}");
            }
        }
    }
}

/// Verify every CRC of `backup`, then install it atomically as `journal` (temp + rename).
/// Refuses while a server holds the journal. Returns the number of leases restored.
pub fn restore(backup: &Path, journal: &Path) -> Result<u64, Error> {
    let bs = backup.display().to_string();
    let bytes = std::fs::read(backup).map_err(|e| io_err("read backup", &bs, e))?;
    let (replay, info) = recover::replay(&bytes, CorruptionPolicy::Refuse)?;
    let Some(h) = info.header else {
        return Err(Error::Corrupt {
            offset: 0,
            reason: format!("backup {bs} is empty"),
        });
    };
    if let Tail::Truncated { offset, reason } = info.tail {
        return Err(Error::Corrupt {
            offset,
            reason: format!("backup {bs}: {reason}"),
        });
    }
    // Hold the live journal's lock (if it exists) so a running server is not overwritten.
    let js = journal.display().to_string();
    let current = match File::options().read(true).write(true).open(journal) {
        Ok(f) => {
            storage::lock(&f, &js)?;
            Some(f)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err("open", &js, e)),
    };
    // Re-encode under a generation above both files', so no stale block of the replaced
    // journal can ever pass a CRC check in the new one.
    let cur_gen = current.as_ref().and_then(compact::current_generation);
    let generation = h
        .generation
        .max(cur_gen.unwrap_or(0))
        .wrapping_add(1)
        .max(1);
    let leases: Vec<&Lease> = replay.leases.iter().collect();
    let now = bytes_checkpoint_time(&bytes, h.generation);
    let (image, _) = compact::build_image(generation, 1, now, &leases, &replay.failover)?;
    compact::install(journal, &image, false)?;
    drop(current);
    Ok(replay.leases.len() as u64)
}

/// Time of the first checkpoint in a verified image (0 if none).
fn bytes_checkpoint_time(bytes: &[u8], generation: u32) -> Secs {
    let first = bytes.get(format::HEADER_LEN..).unwrap_or(&[]);
    match format::decode_frame(first, generation) {
        Ok(f) => match format::decode_payload(f.typ, f.payload) {
            Ok(format::RecordView::Checkpoint { at, .. }) => at,
            _ => 0,
        },
        Err(_) => 0,
    }
}

/// Read a journal without locking or modifying it (for `duodhcp leases --journal FILE`).
/// Corrupt regions are skipped and reported.
pub fn read_leases(path: &Path) -> Result<Replay, Error> {
    let ps = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| io_err("open", &ps, e))?;
    let (replay, _) = recover::replay(&bytes, CorruptionPolicy::Skip)?;
    Ok(replay)
}
