//! The one helper thread: it runs the blocking half of a group commit (`fdatasync`), so the
//! event loop keeps reading and answering while the disk works.
//!
//! Why a thread: a commit blocks for 0.1 ms on a fast disk and for tens of milliseconds on
//! an SD card or a busy eMMC. Measured at 90k exchanges/s on this VM, the loop spent 15 % of
//! its time inside commits, about 1,000 a second, with requests piling up in the socket
//! meanwhile. The thread only ever calls `SyncJob::run` and reports back; leases, sockets
//! and protocol state stay on the loop thread. It inherits the loop's CPU affinity and its
//! time counts in the process's CPU figures.

use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;

use mio::{Registry, Token, Waker};

use crate::journal::{Error, SyncJob};

pub struct Syncer {
    jobs: Option<Sender<SyncJob>>,
    done: Receiver<Result<(), Error>>,
    thread: Option<JoinHandle<()>>,
}

/// What `Syncer::poll` found.
pub enum Done {
    /// The job finished, with its result.
    Finished(Result<(), Error>),
    /// Still running.
    Running,
    /// The thread is gone (it cannot panic in `run`, but a dead thread must not hang us).
    Lost,
}

impl Syncer {
    /// Start the thread; it wakes the loop through `token` when a job finishes.
    pub fn start(registry: &Registry, token: Token) -> std::io::Result<Syncer> {
        let waker = Arc::new(Waker::new(registry, token)?);
        let (jobs_tx, jobs_rx) = mpsc::channel::<SyncJob>();
        let (done_tx, done_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("duodhcp-sync".into())
            .spawn(move || {
                for job in jobs_rx {
                    if done_tx.send(job.run()).is_err() {
                        break;
                    }
                    // A failed wake only delays the reply to the next loop turn.
                    let _ = waker.wake();
                }
            })?;
        Ok(Syncer {
            jobs: Some(jobs_tx),
            done: done_rx,
            thread: Some(thread),
        })
    }

    /// Hand a job over; false if the thread is gone (the caller then syncs itself).
    pub fn submit(&self, job: SyncJob) -> bool {
        self.jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok())
    }

    /// The result of the job in flight, without waiting.
    pub fn poll(&self) -> Done {
        match self.done.try_recv() {
            Ok(r) => Done::Finished(r),
            Err(TryRecvError::Empty) => Done::Running,
            Err(TryRecvError::Disconnected) => Done::Lost,
        }
    }

    /// The result of the job in flight, waiting for it (shutdown, compaction, `sync` mode).
    pub fn wait(&self) -> Done {
        match self.done.recv() {
            Ok(r) => Done::Finished(r),
            Err(_) => Done::Lost,
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        // Closing the job channel ends the thread's loop.
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
