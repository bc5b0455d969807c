//! DHCP UDP sockets: one per served interface, bound to 0.0.0.0:67 and to the device, with
//! IP_PKTINFO so every datagram tells its destination address (unicast vs broadcast).

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, Socket, Type};

/// A received datagram's addressing facts.
pub struct RecvMeta {
    pub len: usize,
    pub src: SocketAddrV4,
    /// Destination address in the IP header (IP_PKTINFO `ipi_addr`).
    pub dst: Ipv4Addr,
}

/// Open the DHCP server socket for `ifname`.
pub fn open(ifname: &str, port: u16) -> io::Result<mio::net::UdpSocket> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    // Several sockets share port 67, one per device (SO_BINDTODEVICE picks the device).
    s.set_reuse_address(true)?;
    s.set_broadcast(true)?;
    s.bind_device(Some(ifname.as_bytes()))?;
    s.set_nonblocking(true)?;
    let on: libc::c_int = 1;
    // SAFETY: valid fd, option value is a c_int that lives across the call.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_PKTINFO,
            &on as *const _ as *const libc::c_void,
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())?;
    let std_sock: std::net::UdpSocket = s.into();
    Ok(mio::net::UdpSocket::from_std(std_sock))
}

/// recvmsg with IP_PKTINFO. `WouldBlock` when drained.
pub fn recv(sock: &mio::net::UdpSocket, buf: &mut [u8]) -> io::Result<RecvMeta> {
    // SAFETY: all pointers refer to locals that outlive the call; sizes are theirs.
    unsafe {
        let mut src: libc::sockaddr_in = zeroed();
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr() as *mut libc::c_void,
            iov_len: buf.len(),
        };
        let mut cbuf = [0u64; 8];
        let mut msg: libc::msghdr = zeroed();
        msg.msg_name = &mut src as *mut _ as *mut libc::c_void;
        msg.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = size_of::<[u64; 8]>() as _;
        let n = libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut dst = Ipv4Addr::UNSPECIFIED;
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::IPPROTO_IP && (*c).cmsg_type == libc::IP_PKTINFO {
                let info = libc::CMSG_DATA(c) as *const libc::in_pktinfo;
                let info = std::ptr::read_unaligned(info);
                dst = Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr));
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
        let src = SocketAddrV4::new(
            Ipv4Addr::from(u32::from_be(src.sin_addr.s_addr)),
            u16::from_be(src.sin_port),
        );
        if msg.msg_flags & libc::MSG_TRUNC != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "datagram larger than buffer",
            ));
        }
        Ok(RecvMeta {
            len: n as usize,
            src,
            dst,
        })
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
