//! Signals through a self-pipe: the handler only writes the signal number to a non-blocking
//! pipe, and the reactor reads it like any other source.

use std::io::{self, Read};
use std::sync::atomic::{AtomicI32, Ordering};

static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = WRITE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; a full pipe just drops the byte, which is
        // fine because one pending byte of each kind is enough to act.
        unsafe {
            libc::write(fd, &b as *const u8 as *const libc::c_void, 1);
        }
    }
}

/// The reading end, registered with the poller.
pub struct SignalPipe {
    pub rx: mio::unix::pipe::Receiver,
    _tx: mio::unix::pipe::Sender,
}

impl SignalPipe {
    /// Install handlers for `sigs`, all reporting through one pipe.
    pub fn install(sigs: &[libc::c_int]) -> io::Result<SignalPipe> {
        let (tx, rx) = mio::unix::pipe::new()?;
        use std::os::fd::AsRawFd;
        WRITE_FD.store(tx.as_raw_fd(), Ordering::Relaxed);
        for &s in sigs {
            // SAFETY: the handler is async-signal-safe (one write to a non-blocking pipe).
            let rc = unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(s, &sa, std::ptr::null_mut())
            };
            if rc != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(SignalPipe { rx, _tx: tx })
    }

    /// Signals received since the last call, drained to WouldBlock.
    pub fn drain(&mut self) -> Vec<libc::c_int> {
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match self.rx.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend(buf.iter().take(n).map(|&b| libc::c_int::from(b))),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        out
    }
}
