//! Interface discovery (getifaddrs): names, IPv4 addresses and prefix lengths.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::net::Ipv4Addr;

/// name -> IPv4 addresses with prefix length.
pub type Interfaces = BTreeMap<String, Vec<(Ipv4Addr, u8)>>;

/// Every interface that exists, with its IPv4 addresses (possibly none).
pub fn list() -> Interfaces {
    let mut out = Interfaces::new();
    // SAFETY: getifaddrs allocates a list we walk read-only and free once.
    unsafe {
        let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
        if libc::getifaddrs(&mut head) != 0 {
            return out;
        }
        let mut p = head;
        while !p.is_null() {
            let ifa = &*p;
            p = ifa.ifa_next;
            if ifa.ifa_name.is_null() {
                continue;
            }
            let name = CStr::from_ptr(ifa.ifa_name).to_string_lossy().into_owned();
            let entry = out.entry(name).or_default();
            if ifa.ifa_addr.is_null() || i32::from((*ifa.ifa_addr).sa_family) != libc::AF_INET {
                continue;
            }
            let a = &*(ifa.ifa_addr as *const libc::sockaddr_in);
            let addr = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            let prefix = if ifa.ifa_netmask.is_null() {
                32
            } else {
                let m = &*(ifa.ifa_netmask as *const libc::sockaddr_in);
                u32::from_be(m.sin_addr.s_addr).count_ones() as u8
            };
            entry.push((addr, prefix));
        }
        libc::freeifaddrs(head);
    }
    out
}
