//! Compaction, backup and restore (I/O): write a compacted image to a temp file, fsync,
//! rename over the target, fsync the directory. A crash at any point leaves either the old
//! file or the new one under the name, never a mix.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::lease::Lease;
use crate::time::Secs;

use super::format::{self, Header};
use super::record::{FailoverStateRec, Record};
use super::storage::{io_err, lock, sync_dir};
use super::Error;

/// A compacted journal image: header, Checkpoint, failover states, then one upsert per lease.
/// Returns the bytes and the sequence number after the last record.
pub fn build_image(
    generation: u32,
    base_seq: u64,
    now: Secs,
    leases: &[&Lease],
    failover: &[FailoverStateRec],
) -> Result<(Vec<u8>, u64), Error> {
    let mut buf = Vec::with_capacity(format::HEADER_LEN + 80 * (leases.len() + 1));
    buf.extend_from_slice(&format::encode_header(Header {
        generation,
        base_seq,
    }));
    let mut seq = base_seq;
    let mut put = |buf: &mut Vec<u8>, rec: &Record| -> Result<(), Error> {
        format::encode_record(buf, generation, seq, rec)
            .map_err(|e| Error::Encode { reason: e.0 })?;
        seq += 1;
        Ok(())
    };
    put(
        &mut buf,
        &Record::Checkpoint {
            at: now,
            leases: leases.len() as u64,
        },
    )?;
    for f in failover {
        put(&mut buf, &Record::FailoverState(f.clone()))?;
    }
    // Encode from a borrowed lease without cloning its vectors: reuse one Record slot.
    let mut slot = Record::LeaseUpsert(Lease::free(std::net::Ipv4Addr::UNSPECIFIED));
    for l in leases {
        if let Record::LeaseUpsert(s) = &mut slot {
            s.clone_from(l);
        }
        put(&mut buf, &slot)?;
    }
    Ok((buf, seq))
}

/// Temp file next to `target` (same filesystem, so rename is atomic).
pub fn temp_path(target: &Path, tag: &str) -> PathBuf {
    let mut s = target.as_os_str().to_owned();
    s.push(format!(".{tag}.tmp"));
    PathBuf::from(s)
}

/// Write `bytes` to a temp file, fsync, rename over `target`, fsync the directory.
/// With `keep_locked`, the new file is locked before it becomes visible and returned open.
pub fn install(target: &Path, bytes: &[u8], keep_locked: bool) -> Result<Option<File>, Error> {
    let tmp = temp_path(target, "new");
    let ts = tmp.display().to_string();
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&tmp)
        .map_err(|e| io_err("create", &ts, e))?;
    let res = (|| {
        if keep_locked {
            lock(&f, &ts)?;
        }
        f.write_all(bytes).map_err(|e| io_err("write", &ts, e))?;
        f.sync_all().map_err(|e| io_err("sync", &ts, e))?;
        std::fs::rename(&tmp, target)
            .map_err(|e| io_err("rename", &target.display().to_string(), e))
    })();
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename happened: from here the new file is the journal whatever else fails.
    let synced = sync_dir(target);
    let file = if keep_locked { Some(f) } else { None };
    synced.map(|()| file)
}

/// Should compaction drop this lease? Only leases nobody holds, once their grace is over.
pub fn droppable(l: &Lease, now: Secs, grace: u32) -> bool {
    use crate::lease::BindingState::*;
    matches!(l.state, Expired | Released | Free) && l.end().saturating_add(u64::from(grace)) < now
}

const BACKUP_PREFIX: &str = "duodhcp-leases-";
const BACKUP_SUFFIX: &str = ".journal";

/// Backup file name for `now`: the UTC timestamp sorts in time order.
pub fn backup_name(now: Secs) -> String {
    let (y, mo, d, h, mi, s) = super::dump::utc(now);
    format!("{BACKUP_PREFIX}{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z{BACKUP_SUFFIX}")
}

/// Remove all but the newest `keep` backups in `dir` (by name, i.e. by timestamp).
pub fn prune_backups(dir: &Path, keep: usize) -> Result<(), Error> {
    let ds = dir.display().to_string();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| io_err("list backups", &ds, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(BACKUP_PREFIX) && n.ends_with(BACKUP_SUFFIX))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep);
    for n in names.iter().take(excess) {
        let p = dir.join(n);
        std::fs::remove_file(&p)
            .map_err(|e| io_err("remove old backup", &p.display().to_string(), e))?;
    }
    Ok(())
}

/// Read the header generation of an existing journal, if any (for restore).
pub fn current_generation(file: &File) -> Option<u32> {
    use std::os::unix::fs::FileExt;
    let mut h = [0u8; format::HEADER_LEN];
    file.read_exact_at(&mut h, 0).ok()?;
    format::decode_header(&h).ok().map(|h| h.generation)
}
