//! DHCP UDP sockets: one per served interface, bound to 0.0.0.0:67 and to the device, with
//! IP_PKTINFO so every datagram tells its destination address (unicast vs broadcast).

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, Socket, Type};

/// A received datagram's addressing facts.
#[derive(Clone, Copy, Debug)]
pub struct RecvMeta {
    pub len: usize,
    pub src: SocketAddrV4,
    /// Destination address in the IP header (IP_PKTINFO `ipi_addr`).
    pub dst: Ipv4Addr,
}

/// Open the DHCP server socket for `ifname`.
pub fn open(ifname: &str, port: u16, rcvbuf: usize) -> io::Result<mio::net::UdpSocket> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    // Several sockets share port 67, one per device (SO_BINDTODEVICE picks the device).
    s.set_reuse_address(true)?;
    s.set_broadcast(true)?;
    s.bind_device(Some(ifname.as_bytes()))?;
    s.set_nonblocking(true)?;
    setsockopt_int(&s, libc::IPPROTO_IP, libc::IP_PKTINFO, 1)?;
    set_rcvbuf(&s, rcvbuf);
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())?;
    let std_sock: std::net::UdpSocket = s.into();
    Ok(mio::net::UdpSocket::from_std(std_sock))
}

/// A socket like `open`'s, connected to relay agent `to` (see `RelaySock` in the reactor).
pub fn open_connected(
    ifname: &str,
    port: u16,
    rcvbuf: usize,
    to: SocketAddrV4,
) -> io::Result<mio::net::UdpSocket> {
    let s = open(ifname, port, rcvbuf)?;
    s.connect(to.into())?;
    Ok(s)
}

/// An integer socket option socket2 does not wrap.
fn setsockopt_int(
    s: &Socket,
    level: libc::c_int,
    name: libc::c_int,
    v: libc::c_int,
) -> io::Result<()> {
    // SAFETY: valid fd, option value is a c_int that lives across the call.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            &v as *const _ as *const libc::c_void,
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Ask for a receive buffer of `bytes`. The default (about 200 KiB, some 150 queued requests
/// on a veth) overflowed during a journal commit at 60k exchanges/s: every loss in the bench
/// was a RcvbufErrors drop. SO_RCVBUF is capped at net.core.rmem_max; as root SO_RCVBUFFORCE
/// is not. A smaller buffer than asked still works, so this only logs.
fn set_rcvbuf(s: &Socket, bytes: usize) {
    if s.set_recv_buffer_size(bytes).is_ok()
        // Linux reports twice what was asked (the doubling covers its bookkeeping).
        && s.recv_buffer_size().is_ok_and(|got| got >= bytes.saturating_mul(2))
    {
        return;
    }
    let v = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    if setsockopt_int(s, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, v).is_err() {
        log::info!(
            "receive buffer: asked for {} KiB, got {} KiB (raise net.core.rmem_max)",
            bytes / 1024,
            s.recv_buffer_size().unwrap_or(0) / 2048
        );
    }
}

/// Datagrams read per recvmmsg call.
pub const BATCH: usize = 32;
/// Largest datagram we read whole; longer ones are truncated and counted as malformed.
pub const MAX_DATAGRAM: usize = 1536;

/// Buffers for one recvmmsg call: reused for every call, so the hot path allocates nothing.
pub struct RecvBatch {
    bufs: Vec<[u8; MAX_DATAGRAM]>,
    names: Vec<libc::sockaddr_in>,
    cmsgs: Vec<[u64; 8]>,
    pub metas: Vec<RecvMeta>,
    /// Set for datagrams longer than MAX_DATAGRAM.
    pub truncated: Vec<bool>,
}

impl RecvBatch {
    pub fn new() -> RecvBatch {
        // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
        let zero_name: libc::sockaddr_in = unsafe { zeroed() };
        RecvBatch {
            bufs: vec![[0u8; MAX_DATAGRAM]; BATCH],
            names: vec![zero_name; BATCH],
            cmsgs: vec![[0u64; 8]; BATCH],
            metas: Vec::with_capacity(BATCH),
            truncated: Vec::with_capacity(BATCH),
        }
    }

    /// Payload of datagram `i` of the last `recv`.
    pub fn data(&self, i: usize) -> &[u8] {
        let len = self.metas.get(i).map_or(0, |m| m.len);
        self.bufs.get(i).and_then(|b| b.get(..len)).unwrap_or(&[])
    }

    /// recvmmsg with IP_PKTINFO: fills `metas` and returns how many datagrams were read.
    /// Fewer than BATCH means the socket was drained at that moment (so edge-triggered
    /// readiness will report anything newer); `WouldBlock` when there was nothing.
    pub fn recv(&mut self, sock: &mio::net::UdpSocket) -> io::Result<usize> {
        self.metas.clear();
        self.truncated.clear();
        // SAFETY: every pointer refers to buffers owned by self that outlive the call, and
        // each length is the size of the buffer it describes.
        let n = unsafe {
            let mut iovs: [libc::iovec; BATCH] = zeroed();
            let mut hdrs: [libc::mmsghdr; BATCH] = zeroed();
            for k in 0..BATCH {
                iovs[k] = libc::iovec {
                    iov_base: self.bufs[k].as_mut_ptr() as *mut libc::c_void,
                    iov_len: MAX_DATAGRAM,
                };
                let h = &mut hdrs[k].msg_hdr;
                h.msg_name = &mut self.names[k] as *mut _ as *mut libc::c_void;
                h.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
                h.msg_iov = &mut iovs[k];
                h.msg_iovlen = 1;
                h.msg_control = self.cmsgs[k].as_mut_ptr() as *mut libc::c_void;
                h.msg_controllen = size_of::<[u64; 8]>() as _;
            }
            let n = libc::recvmmsg(
                sock.as_raw_fd(),
                hdrs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            );
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            let n = n as usize;
            for h in hdrs.iter().take(n) {
                let msg = &h.msg_hdr;
                let mut dst = Ipv4Addr::UNSPECIFIED;
                let mut c = libc::CMSG_FIRSTHDR(msg);
                while !c.is_null() {
                    if (*c).cmsg_level == libc::IPPROTO_IP && (*c).cmsg_type == libc::IP_PKTINFO {
                        let info =
                            std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::in_pktinfo);
                        dst = Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr));
                    }
                    c = libc::CMSG_NXTHDR(msg, c);
                }
                let src = &*(msg.msg_name as *const libc::sockaddr_in);
                let src = SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(src.sin_addr.s_addr)),
                    u16::from_be(src.sin_port),
                );
                let len = (h.msg_len as usize).min(MAX_DATAGRAM);
                self.truncated.push(msg.msg_flags & libc::MSG_TRUNC != 0);
                self.metas.push(RecvMeta { len, src, dst });
            }
            n
        };
        Ok(n)
    }
}

impl Default for RecvBatch {
    fn default() -> Self {
        RecvBatch::new()
    }
}

/// Put `ip -> hw` in the kernel's ARP cache for `ifname`, so a reply can be unicast to a client
/// that has no address yet and cannot answer ARP (RFC 2131 §4.1). Returns false when the
/// kernel refuses (e.g. non-Ethernet), and the caller broadcasts instead.
pub fn set_arp(
    sock: &mio::net::UdpSocket,
    ifname: &str,
    ip: Ipv4Addr,
    htype: u8,
    hw: &[u8],
) -> bool {
    if htype != 1 || hw.len() != 6 || ifname.len() >= 16 {
        return false;
    }
    // SAFETY: arpreq is plain old data; every field written is within its bounds.
    unsafe {
        let mut req: libc::arpreq = zeroed();
        let pa = &mut req.arp_pa as *mut libc::sockaddr as *mut libc::sockaddr_in;
        (*pa).sin_family = libc::AF_INET as libc::sa_family_t;
        (*pa).sin_addr.s_addr = u32::from(ip).to_be();
        req.arp_ha.sa_family = libc::ARPHRD_ETHER;
        for (d, s) in req.arp_ha.sa_data.iter_mut().zip(hw) {
            *d = *s as libc::c_char;
        }
        req.arp_flags = libc::ATF_COM;
        for (d, s) in req.arp_dev.iter_mut().zip(ifname.as_bytes()) {
            *d = *s as libc::c_char;
        }
        libc::ioctl(sock.as_raw_fd(), libc::SIOCSARP, &req) == 0
    }
}
