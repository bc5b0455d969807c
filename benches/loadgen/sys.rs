//! The few system calls the generator needs, through libc: a non-blocking UDP socket with large
//! buffers, batched send/receive (sendmmsg/recvmmsg), CPU pinning, and /proc readers for the
//! server's CPU time, memory and disk writes.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::RawFd;

/// Packets per sendmmsg/recvmmsg call. 64 keeps a batch well inside the socket buffers.
pub const BATCH: usize = 64;
/// Every request we send is padded to the BOOTP minimum (RFC 1542 §2.1 folklore: 300 bytes).
pub const REQ_LEN: usize = 300;
/// Replies larger than an Ethernet MTU do not occur on a veth with default MTU.
pub const RX_LEN: usize = 1536;

fn last_err<T>(what: &str) -> io::Result<T> {
    let e = io::Error::last_os_error();
    Err(io::Error::new(e.kind(), format!("{what}: {e}")))
}

fn sockaddr(ip: Ipv4Addr, port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = port.to_be();
    sa.sin_addr.s_addr = u32::from(ip).to_be();
    sa
}

/// bind(2) and connect(2): same arguments.
type AddrCall =
    unsafe extern "C" fn(libc::c_int, *const libc::sockaddr, libc::socklen_t) -> libc::c_int;

/// The relay-side socket: bound to the relay address, port 67 (servers answer a relay on the
/// server port, RFC 2131 §4.1), non-blocking because the loop busy-polls.
pub struct Socket {
    fd: RawFd,
    tx: Vec<[u8; REQ_LEN]>,
    tx_len: Vec<usize>,
    rx: Vec<[u8; RX_LEN]>,
}

impl Socket {
    pub fn open(bind: Ipv4Addr, server: Ipv4Addr) -> io::Result<Socket> {
        // SAFETY: plain socket(2); the result is checked.
        let fd = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        if fd < 0 {
            return last_err("socket");
        }
        let one: libc::c_int = 1;
        // Big buffers: bursts of a whole batch at 150k+/s must not be dropped by our own side.
        // The *FORCE variants need CAP_NET_ADMIN (we run as root); fall back silently.
        let big: libc::c_int = 8 << 20;
        for (opt, val) in [
            (libc::SO_REUSEADDR, one),
            (libc::SO_RCVBUFFORCE, big),
            (libc::SO_SNDBUFFORCE, big),
        ] {
            // SAFETY: setsockopt with a c_int value of the right size.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    opt,
                    &val as *const libc::c_int as *const libc::c_void,
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
        }
        // Connected to the server, as a relay talks to one server: the kernel then routes our
        // sends from the socket's cached route, and early demux delivers the replies without a
        // route lookup. On veth the replies' receive path runs on the *sender's* CPU, inside
        // its sendto, so an unconnected socket here made every server pay ~3 % more CPU.
        for (call, name, ip) in [
            (libc::bind as AddrCall, "bind", bind),
            (libc::connect as AddrCall, "connect", server),
        ] {
            let sa = sockaddr(ip, 67);
            // SAFETY: bind(2)/connect(2) with a valid sockaddr_in and its size.
            let rc = unsafe {
                call(
                    fd,
                    &sa as *const libc::sockaddr_in as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            };
            if rc < 0 {
                let e = last_err(&format!("{name} {ip}:67"));
                // SAFETY: fd is ours and open.
                unsafe { libc::close(fd) };
                return e;
            }
        }
        Ok(Socket {
            fd,
            tx: vec![[0; REQ_LEN]; BATCH],
            tx_len: vec![0; BATCH],
            rx: vec![[0; RX_LEN]; BATCH],
        })
    }

    /// Slot `i` of the transmit batch, for the caller to fill in.
    pub fn tx_slot(&mut self, i: usize) -> &mut [u8; REQ_LEN] {
        self.tx_len[i] = REQ_LEN;
        &mut self.tx[i]
    }

    /// Sends slots `0..n` with as few sendmmsg calls as the kernel allows. Returns how many
    /// left; the rest (socket buffer full) stay for the caller to retry: their slots are
    /// moved to the front.
    pub fn flush(&mut self, n: usize) -> usize {
        let mut iov: [libc::iovec; BATCH] = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; BATCH];
        // SAFETY: mmsghdr is plain old data; zero is a valid value.
        let mut hdr: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for i in 0..n {
            iov[i].iov_base = self.tx[i].as_mut_ptr() as *mut libc::c_void;
            iov[i].iov_len = self.tx_len[i];
            hdr[i].msg_hdr.msg_iov = &mut iov[i];
            hdr[i].msg_hdr.msg_iovlen = 1;
        }
        let mut sent = 0;
        // Bounded: each pass either sends something or stops.
        while sent < n {
            // SAFETY: hdr[sent..n] point at live buffers owned by self for the whole call.
            let rc = unsafe {
                libc::sendmmsg(
                    self.fd,
                    hdr.as_mut_ptr().add(sent),
                    (n - sent) as u32,
                    libc::MSG_DONTWAIT,
                )
            };
            if rc <= 0 {
                break;
            }
            sent += rc as usize;
        }
        if sent < n {
            for i in sent..n {
                self.tx[i - sent] = self.tx[i];
                self.tx_len[i - sent] = self.tx_len[i];
            }
        }
        sent
    }

    /// Receives up to BATCH datagrams without blocking; calls `f` on each.
    pub fn recv_batch(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        let mut iov: [libc::iovec; BATCH] = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; BATCH];
        // SAFETY: mmsghdr is plain old data; zero is a valid value.
        let mut hdr: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for i in 0..BATCH {
            iov[i].iov_base = self.rx[i].as_mut_ptr() as *mut libc::c_void;
            iov[i].iov_len = RX_LEN;
            hdr[i].msg_hdr.msg_iov = &mut iov[i];
            hdr[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every header points at a live RX_LEN buffer owned by self.
        let rc = unsafe {
            libc::recvmmsg(
                self.fd,
                hdr.as_mut_ptr(),
                BATCH as u32,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if rc <= 0 {
            return 0;
        }
        let n = rc as usize;
        for (buf, h) in self.rx.iter().zip(hdr.iter()).take(n) {
            let len = (h.msg_len as usize).min(RX_LEN);
            f(&buf[..len]);
        }
        n
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: fd is ours and open.
        unsafe { libc::close(self.fd) };
    }
}

/// Pin the calling thread to one CPU, so the generator and the server never share a core.
pub fn pin(cpu: usize) -> io::Result<()> {
    // SAFETY: cpu_set_t is plain old data; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return last_err("sched_setaffinity");
        }
    }
    Ok(())
}

/// Our own user+system CPU time in nanoseconds.
pub fn self_cpu_ns() -> u64 {
    // SAFETY: getrusage fills the struct; zero is a valid initial value.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn clk_tck() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// A server process observed through /proc (same PID namespace, other network namespace).
#[derive(Clone, Copy)]
pub struct Proc {
    pub pid: u32,
}

impl Proc {
    /// CPU time of the whole process in milliseconds: the sum of every thread's
    /// sum_exec_runtime from /proc/PID/task/*/schedstat. The kernel scales the utime+stime of
    /// /proc/PID/stat to this same runtime, but reports it in 10 ms ticks, which is a 3 %
    /// error on a one-second slice at 10k/s; this is the same figure in nanoseconds.
    /// Falls back to /proc/PID/stat where schedstat is not there.
    pub fn cpu_ms(&self) -> Option<f64> {
        self.schedstat_ms().or_else(|| self.stat_ms())
    }

    fn schedstat_ms(&self) -> Option<f64> {
        let mut ns = 0u64;
        let mut any = false;
        for t in std::fs::read_dir(format!("/proc/{}/task", self.pid)).ok()? {
            let Ok(t) = t else { continue };
            let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) else {
                continue;
            };
            ns += s.split_whitespace().next()?.parse::<u64>().ok()?;
            any = true;
        }
        any.then(|| ns as f64 / 1e6)
    }

    fn stat_ms(&self) -> Option<f64> {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // Fields after the command name (which may hold spaces) start at state (field 3).
        let rest = &s[s.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ut: u64 = f.get(11)?.parse().ok()?;
        let st: u64 = f.get(12)?.parse().ok()?;
        Some((ut + st) as f64 * 1000.0 / clk_tck() as f64)
    }

    /// (VmRSS, VmHWM) in KiB.
    pub fn mem_kb(&self) -> Option<(u64, u64)> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let get = |k: &str| -> Option<u64> {
            let l = s.lines().find(|l| l.starts_with(k))?;
            l.split_whitespace().nth(1)?.parse().ok()
        };
        Some((get("VmRSS:")?, get("VmHWM:")?))
    }

    /// Bytes this process caused to be sent to the storage layer (/proc/PID/io write_bytes).
    pub fn write_bytes(&self) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/io", self.pid)).ok()?;
        let l = s.lines().find(|l| l.starts_with("write_bytes:"))?;
        l.split_whitespace().nth(1)?.parse().ok()
    }
}
