//! Crash test with a real server (journal issue, acceptance 2): under load from a relay
//! client, kill -9 the server at random moments; after each restart every lease a client saw
//! ACKed is in the table with the same address and client. Runs in `batch` and `sync` modes.
//!
//! `CRASH_ROUNDS` (default 20 per mode) sets the number of kills; `make soak` raises it.

mod common;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use common::netns::{env_get, leases_json, prerequisites, wait_until, Link};
use duodhcp::wire::dhcpv4::{DhcpOption, MessageType, Repr};

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn packet(mac: [u8; 6], giaddr: Ipv4Addr, kind: MessageType, opts: Vec<DhcpOption>) -> Vec<u8> {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&mac);
    let mut options = vec![DhcpOption {
        code: 53,
        data: vec![kind.to_u8()].into(),
    }];
    options.extend(opts);
    // RFC 3527 link selection: puts the clients in a /16 scope, so every round brings
    // hundreds of new clients and the kill lands mid-stream.
    options.push(DhcpOption {
        code: 82,
        data: vec![5, 4, 198, 19, 0, 0].into(),
    });
    let r = Repr {
        op: 1,
        htype: 1,
        hlen: 6,
        hops: 1,
        xid: u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]),
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr,
        chaddr,
        sname: vec![],
        file: vec![],
        has_cookie: true,
        options,
    };
    r.emit(1500).expect("emit")
}

/// Drive DORA exchanges through the relay socket until `stop` or the socket goes quiet after
/// the server died; returns every ACK seen (mac -> address).
fn load(
    sock: &UdpSocket,
    server: SocketAddrV4,
    giaddr: Ipv4Addr,
    first: u32,
    n: u32,
    acked: &mut HashMap<[u8; 6], Ipv4Addr>,
) {
    let mac_of = |i: u32| {
        let b = i.to_be_bytes();
        [2, 0x42, b[0], b[1], b[2], b[3]]
    };
    let mut buf = [0u8; 1500];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut next = first;
    let mut inflight = 0u32;
    let mut quiet = 0;
    while Instant::now() < deadline && quiet < 3 {
        while inflight < 64 && next < first + n {
            let _ = sock.send_to(
                &packet(mac_of(next), giaddr, MessageType::Discover, vec![]),
                server,
            );
            next += 1;
            inflight += 1;
        }
        match sock.recv_from(&mut buf) {
            Ok((len, _)) => {
                quiet = 0;
                let Ok(r) = Repr::parse(&buf[..len]) else {
                    continue;
                };
                let mut mac = [0u8; 6];
                mac.copy_from_slice(&r.chaddr[..6]);
                match r.message_type() {
                    Some(MessageType::Offer) => {
                        let opts = vec![
                            DhcpOption {
                                code: 50,
                                data: r.yiaddr.octets().into(),
                            },
                            DhcpOption {
                                code: 54,
                                data: r.server_id().expect("server id").octets().into(),
                            },
                        ];
                        let _ =
                            sock.send_to(&packet(mac, giaddr, MessageType::Request, opts), server);
                    }
                    Some(MessageType::Ack) => {
                        acked.insert(mac, r.yiaddr);
                        inflight = inflight.saturating_sub(1);
                    }
                    _ => inflight = inflight.saturating_sub(1),
                }
            }
            Err(_) => {
                // Read timeout (200 ms): the server is gone or everything was answered.
                quiet += 1;
                inflight = 0;
                if next >= first + n {
                    break;
                }
            }
        }
    }
}

/// hwaddr -> addr of the active leases in a journal.
fn active_by_mac(journal: &Path) -> HashMap<String, String> {
    leases_json(journal)
        .iter()
        .filter(|l| env_get(l, "state") == Some("active"))
        .filter_map(|l| {
            Some((
                env_get(l, "hwaddr")?.to_string(),
                env_get(l, "addr")?.to_string(),
            ))
        })
        .collect()
}

fn crash_rounds(durability: &str) {
    if !prerequisites(&[]) {
        return;
    }
    let rounds: u32 = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let link = Link::new(&format!("crash-{durability}"));
    link.add_relay_addr();
    let bin = env!("CARGO_BIN_EXE_duodhcp");
    let journal_path = link.dir.join("leases.journal");
    let journal = journal_path.display().to_string();
    let p = link.prefix();
    let conf = link.dir.write(
        "server.conf",
        &format!(
            "server {{\n    interface {}\n    journal {journal}\n    durability {durability}\n}}\n\
             scope link {{\n    subnet {p}.0/24\n}}\n\
             scope crash {{\n    subnet 198.19.0.0/16\n    range 198.19.0.10 198.19.250.250\n    lease-time 3600\n}}\n",
            link.server_if
        ),
    );
    let conf = conf.display().to_string();
    let server = SocketAddrV4::new(link.server_ip(), 67);
    let sock = link.relay_socket();
    let mut acked: HashMap<[u8; 6], Ipv4Addr> = HashMap::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(std::process::id());
    for round in 0..rounds {
        let mut srv = link.spawn_server(
            &format!("duodhcp-{round}"),
            &[bin, "-c", &conf],
            &[("RUST_LOG", "info")],
        );
        assert!(
            srv.wait_for_output("event=1024", Duration::from_secs(10)),
            "server did not start:\n{}",
            srv.logs()
        );
        let first = round * 2000;
        // Kill at a random moment 0–60 ms into the load, from another thread, while the
        // relay keeps sending.
        let delay = Duration::from_millis(xorshift(&mut seed) % 60);
        let pid = srv.pid();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(delay);
            // SAFETY: kill(2) on the PID of a child we started and have not reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        });
        let before = acked.len();
        load(&sock, server, link.relay_ip(), first, 2000, &mut acked);
        eprintln!(
            "round {round}: {} ACKs before the kill",
            acked.len() - before
        );
        killer.join().expect("killer thread");
        srv.wait_exit(Duration::from_secs(5));
        let table = active_by_mac(&journal_path);
        for (mac, a) in &acked {
            let hw = mac
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":");
            assert_eq!(
                table.get(&hw).map(String::as_str),
                Some(a.to_string().as_str()),
                "round {round}: ACKed lease {hw} -> {a} lost ({durability})"
            );
        }
    }
    assert!(
        !acked.is_empty(),
        "no exchange completed in any round: the test proved nothing"
    );
    // A final clean start must still come up on the journal the kills left behind.
    let srv = link.spawn_server("duodhcp-final", &[bin, "-c", &conf], &[]);
    assert!(wait_until(
        Duration::from_secs(10),
        Duration::from_millis(50),
        || srv.logs().contains("event=1024")
    ));
    eprintln!(
        "{durability}: {} ACKed leases survived {rounds} kill -9 rounds",
        acked.len()
    );
}

#[test]
fn kill9_batch_loses_no_acked_lease() {
    crash_rounds("batch");
}

#[test]
fn kill9_sync_loses_no_acked_lease() {
    crash_rounds("sync");
}
