//! The only I/O layer: a single-threaded mio reactor over slab-indexed sources (DHCP sockets
//! per interface, the signal pipe; the failover TCP listener/connections and the control socket
//! plug in as further `Source` kinds), with a deadline heap for timers.
//!
//! One turn: poll until the earliest deadline (not at all while a DHCP socket is still
//! readable); read each ready DHCP socket for at most a few batches, so a flood cannot starve
//! the other sources; hand each datagram to the pure core; append the core's records to the journal;
//! commit once (group commit, or per reply in `sync` mode); only then send the replies that
//! depended on those records; run due timers.

pub mod control;
pub mod fo;

pub mod iface;
pub mod signal;
pub mod udp;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use log::{debug, error, info, warn, Level};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::config::{self, Config, Durability};
use crate::dhcp::{Dest, Ingress, Reply, Server};
use crate::events::{self, id as ev};
use crate::journal::{self, Journal};
use crate::time::{secs, Millis};
use crate::wire::dhcpv4::Repr;

/// Datagrams read from one socket before the reactor commits and answers: bounds the latency a
/// burst on one interface can add to replies on the others.
const DHCP_PORT: u16 = 67;
const CLIENT_PORT: u16 = 68;
const RESCAN_MS: Millis = 10_000;
const COMPACT_CHECK_MS: Millis = 5_000;
/// A compaction stops the loop for 9-16 ms at 50k leases, long enough to queue 1,500
/// requests at 100k/s; so it waits for this much quiet on the DHCP sockets...
const COMPACT_QUIET_MS: Millis = 50;
/// ...looking again this often...
const COMPACT_RETRY_MS: Millis = 25;
/// ...unless the journal has grown to this many times the size that asked for it.
const COMPACT_FORCE_FACTOR: u32 = 2;
/// ACKs that make a group commit worth doing at once while the sockets are drained: the
/// window bounds latency at low rates and this at high ones.
const EARLY_COMMIT_REPLIES: usize = 64;
/// The bound while requests are still queued behind the ones just read. Committing every 64
/// ACKs there made a server that fell behind slower still (at 73k exchanges/s one fdatasync
/// per 64 ACKs is ~9 % of the core), so a burst tipped it into lasting overload: 72k/s lost
/// 24 % after an overloaded step, where it loses none with this bound. Behind, the window
/// (10 ms by default) is what bounds latency.
const MAX_WAITING_REPLIES: usize = 1024;
/// Encoded waiting replies kept allocated between windows (a full window at 1024 ACKs is
/// about 350 KB; that is given back).
const PENDING_BYTES_KEEP: usize = 128 * 1024;
/// recvmmsg batches one loop turn may read before it looks at the other sources again.
const MAX_BATCHES_PER_TURN: usize = 4;

/// Wall-clock now in ms. The only clock read in the program.
pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

enum Source {
    /// DHCP socket of interface N: its shared socket (slot 0) or relay socket slot-1.
    Dhcp(usize, usize),
    Signal,
    CtlListener,
    CtlClient(Box<control::Client>),
    /// Failover listener / connection of relationship N.
    FoListener(usize),
    FoConn(usize),
}

struct Iface {
    name: String,
    sock: Option<mio::net::UdpSocket>,
    token: Option<Token>,
    addrs: Vec<(Ipv4Addr, u8)>,
    relays: Vec<RelaySock>,
}

/// A socket of the interface connected to one relay agent (its address, port 67). Replies to
/// it leave by the socket's cached route instead of a route lookup per datagram, 3-5 % of the
/// server's CPU at 60k exchanges/s (sendto on an unconnected socket routes every datagram).
/// The kernel delivers the relay's requests to this socket (a connected socket is the better
/// match), so it is read like the shared one.
struct RelaySock {
    to: SocketAddrV4,
    sock: mio::net::UdpSocket,
    token: Token,
}

/// Relay sockets per interface. Sites have a handful of relays; past this, replies to further
/// relays leave by the shared socket as before (a flood of forged giaddrs cannot open more).
const MAX_RELAY_SOCKETS: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Rescan,
    CompactCheck,
    Backup,
}

/// An ACK waiting for the group commit, already encoded (into `Reactor::pending_bytes`): it
/// is encoded while the request is hot in cache, and a thousand waiting replies take their
/// wire size, not a decoded message each.
struct Pending {
    iface: usize,
    dest: Dest,
    start: usize,
    len: usize,
}

/// Process-level settings that do not come from the config file.
pub struct RunOptions {
    pub config_path: PathBuf,
}

pub struct Reactor {
    poll: Poll,
    sources: Slab<Source>,
    ifaces: Vec<Iface>,
    signals: signal::SignalPipe,
    server: Server,
    journal: Journal,
    timers: BinaryHeap<Reverse<(Millis, Timer)>>,
    pending: Vec<Pending>,
    pending_bytes: Vec<u8>,
    /// A DHCP socket still had requests queued after the last batch read from it.
    backlog: bool,
    opts: RunOptions,
    rx: udp::RecvBatch,
    out: Vec<u8>,
    stop: bool,
    ctl: Option<mio::net::UnixListener>,
    /// When the pending journal records must be committed (batch mode's group-commit window).
    commit_at: Option<Millis>,
    /// Failover TCP, one link per relationship (same index as in the server).
    links: Vec<fo::Link>,
    /// Failover messages waiting for the group commit, per link.
    fo_held: Vec<Vec<Vec<u8>>>,
    /// When a DHCP datagram was last read (compaction waits for a quiet moment).
    last_dhcp_at: Millis,
}

/// Why the server stopped other than by signal (exit status 74, sysexits EX_IOERR).
pub enum Exit {
    Io(String),
}

impl Reactor {
    /// Open the journal, recover the leases, open sockets. Emits the start-up events.
    pub fn new(cfg: Config, opts: RunOptions) -> Result<Reactor, Exit> {
        let now = now_ms();
        let jopts = journal::Options {
            durability: cfg.server.durability,
            on_corruption: cfg.server.on_corruption,
            compact_ratio: cfg.server.compact_ratio,
            expired_grace: cfg.server.expired_grace,
            force_write_path: false,
        };
        let path = PathBuf::from(&cfg.server.journal);
        let (journal, replay) = match Journal::open(&path, jopts, secs(now)) {
            Ok(x) => x,
            Err(e) => {
                events::emit(Level::Error, ev::EVENT_SERVER_INIT_DATABASE_FAILED, &[&e]);
                return Err(Exit::Io(e.to_string()));
            }
        };
        if let journal::Tail::Truncated { offset, reason } = replay.tail {
            warn!(
                "journal {}: torn tail truncated at offset {offset} ({reason})",
                path.display()
            );
        }
        for (off, why) in &replay.corrupt {
            events::emit(
                Level::Error,
                ev::EVENT_SERVER_INIT_DATABASE_FAILED,
                &[&format!("corrupt record at offset {off} skipped: {why}")],
            );
        }
        info!(
            "journal {}: {} records, {} leases, {} ({})",
            path.display(),
            replay.records,
            replay.leases.len(),
            journal.file_len(),
            if journal.uses_mmap() {
                "mmap"
            } else {
                "write+sync"
            }
        );
        let replay_failover = replay.failover;
        let server = Server::new(cfg, replay.leases, now);
        let poll = Poll::new().map_err(|e| Exit::Io(format!("poll: {e}")))?;
        let mut signals = signal::SignalPipe::install(&[
            libc::SIGTERM,
            libc::SIGINT,
            libc::SIGHUP,
            libc::SIGUSR1,
        ])
        .map_err(|e| Exit::Io(format!("signals: {e}")))?;
        let mut sources = Slab::new();
        let st = Token(sources.insert(Source::Signal));
        poll.registry()
            .register(&mut signals.rx, st, Interest::READABLE)
            .map_err(|e| Exit::Io(format!("register: {e}")))?;
        let mut r = Reactor {
            poll,
            sources,
            ifaces: Vec::new(),
            signals,
            server,
            journal,
            timers: BinaryHeap::new(),
            pending: Vec::new(),
            pending_bytes: Vec::new(),
            backlog: false,
            opts,
            rx: udp::RecvBatch::new(),
            out: Vec::with_capacity(1500),
            stop: false,
            ctl: None,
            commit_at: None,
            links: Vec::new(),
            fo_held: Vec::new(),
            last_dhcp_at: 0,
        };
        r.server.resume_failover(&replay_failover, now);
        r.open_failover();
        r.open_control();
        r.sync_interfaces();
        r.timers
            .push(Reverse((now + COMPACT_CHECK_MS, Timer::CompactCheck)));
        r.arm_backup(now);
        Ok(r)
    }

    fn arm_backup(&mut self, now: Millis) {
        let s = &self.server.config().server;
        if s.backup_dir.is_some() {
            self.timers.push(Reverse((
                now + u64::from(s.backup_interval.max(1)) * 1000,
                Timer::Backup,
            )));
        }
    }

    /// Open sockets for configured interfaces that exist, close those no longer configured.
    fn sync_interfaces(&mut self) {
        let wanted = self.server.config().server.interfaces.clone();
        // Close removed interfaces.
        let mut i = 0;
        while i < self.ifaces.len() {
            if wanted.contains(&self.ifaces[i].name) {
                i += 1;
                continue;
            }
            let mut gone = self.ifaces.remove(i);
            self.close_iface(&mut gone);
            info!("stopped serving {}", gone.name);
            // Indexes shifted: re-point the slab entries.
            for j in 0..self.ifaces.len() {
                self.repoint(j);
            }
        }
        let sys = iface::list();
        for name in &wanted {
            if !self.ifaces.iter().any(|f| &f.name == name) {
                self.ifaces.push(Iface {
                    name: name.clone(),
                    sock: None,
                    token: None,
                    addrs: Vec::new(),
                    relays: Vec::new(),
                });
            }
        }
        let mut missing = false;
        for idx in 0..self.ifaces.len() {
            let name = self.ifaces[idx].name.clone();
            let addrs = sys.get(&name).cloned().unwrap_or_default();
            if self.ifaces[idx].addrs != addrs {
                // A connected socket keeps the source address chosen when it connected.
                let relays = std::mem::take(&mut self.ifaces[idx].relays);
                self.close_relays(relays);
            }
            self.ifaces[idx].addrs = addrs.clone();
            if self.ifaces[idx].sock.is_some() {
                continue;
            }
            if !sys.contains_key(&name) {
                warn!(
                    "interface {name} does not exist (yet); retrying every {}s",
                    RESCAN_MS / 1000
                );
                missing = true;
                continue;
            }
            if addrs.is_empty() {
                events::emit(Level::Warn, ev::EVENT_SERVER_NEED_STATIC_IP, &[&name]);
                missing = true;
                continue;
            }
            let rcvbuf = self.server.config().server.receive_buffer_kb as usize * 1024;
            match udp::open(&name, DHCP_PORT, rcvbuf) {
                Ok(mut sock) => {
                    let Some(t) = self.register_dhcp(&mut sock, idx, 0) else {
                        continue;
                    };
                    info!(
                        "serving {name} ({})",
                        addrs
                            .iter()
                            .map(|(a, p)| format!("{a}/{p}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    self.ifaces[idx].sock = Some(sock);
                    self.ifaces[idx].token = Some(t);
                }
                Err(e) => {
                    events::emit(
                        Level::Error,
                        ev::EVENT_DHCP_PORT_UNAVAILABLE,
                        &[&format!("{name}: {e}")],
                    );
                    missing = true;
                }
            }
        }
        if self.ifaces.iter().all(|f| f.sock.is_none()) {
            events::emit(Level::Warn, ev::DHCP_ROGUE_EVENT_NO_NETWORK, &[]);
        }
        if missing {
            self.timers
                .push(Reverse((now_ms() + RESCAN_MS, Timer::Rescan)));
        }
    }

    fn close_iface(&mut self, f: &mut Iface) {
        if let (Some(mut s), Some(t)) = (f.sock.take(), f.token.take()) {
            let _ = self.poll.registry().deregister(&mut s);
            self.sources.try_remove(t.0);
        }
        self.close_relays(std::mem::take(&mut f.relays));
    }

    /// Register a DHCP socket of interface `i` (`slot` as in `Source::Dhcp`) for reading.
    fn register_dhcp(
        &mut self,
        sock: &mut mio::net::UdpSocket,
        i: usize,
        slot: usize,
    ) -> Option<Token> {
        let t = Token(self.sources.insert(Source::Dhcp(i, slot)));
        if let Err(e) = self.poll.registry().register(sock, t, Interest::READABLE) {
            let name = self.ifaces.get(i).map_or("?", |f| f.name.as_str());
            error!("register a DHCP socket of {name}: {e}");
            self.sources.remove(t.0);
            return None;
        }
        Some(t)
    }

    /// Point the slab entries of interface `i`'s sockets at its index and their slots again
    /// (after an interface or a relay socket before them went away).
    fn repoint(&mut self, i: usize) {
        let Some(f) = self.ifaces.get(i) else { return };
        let shared = f.token.iter().map(|t| (*t, 0));
        let relays = f.relays.iter().enumerate().map(|(k, r)| (r.token, k + 1));
        for (t, slot) in shared.chain(relays) {
            if let Some(s) = self.sources.get_mut(t.0) {
                *s = Source::Dhcp(i, slot);
            }
        }
    }

    /// Close relay sockets (each is reopened by the next reply to its relay).
    fn close_relays(&mut self, relays: Vec<RelaySock>) {
        for mut r in relays {
            let _ = self.poll.registry().deregister(&mut r.sock);
            self.sources.try_remove(r.token.0);
        }
    }

    /// Run until SIGTERM/SIGINT. Returns after the final journal commit.
    pub fn run(&mut self) -> Result<(), Exit> {
        events::emit(Level::Info, ev::EVENT_SERVER_INIT_AND_READY, &[]);
        let mut events = Events::with_capacity(64);
        // (interface, socket slot) pairs with datagrams left to read.
        let mut ready: Vec<(usize, usize)> = Vec::new();
        while !self.stop {
            let now = now_ms();
            let reconnect = self
                .links
                .iter()
                .filter(|l| l.conn.is_none() && l.connects_out)
                .filter_map(|l| l.reconnect_at)
                .min();
            let deadline = [
                self.server.poll_at(now),
                self.timers.peek().map(|Reverse((t, _))| *t),
                reconnect,
                self.commit_at,
            ]
            .into_iter()
            .flatten()
            .min();
            // Sockets left readable by the last turn's budget: look for other events without
            // sleeping, then go on reading them.
            let timeout = if ready.is_empty() {
                deadline.map(|d| Duration::from_millis(d.saturating_sub(now)))
            } else {
                Some(Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(Exit::Io(format!("poll: {e}")));
            }
            for e in events.iter() {
                match self.sources.get(e.token().0) {
                    Some(Source::Dhcp(i, slot)) => {
                        if !ready.contains(&(*i, *slot)) {
                            ready.push((*i, *slot));
                        }
                    }
                    Some(Source::Signal) => self.on_signals(),
                    Some(Source::CtlListener) => self.accept_control(),
                    Some(Source::CtlClient(_)) => self.serve_control(e.token()),
                    Some(Source::FoListener(r)) => {
                        let r = *r;
                        self.fo_accept(r);
                    }
                    Some(Source::FoConn(r)) => {
                        let r = *r;
                        self.fo_io(r);
                    }
                    None => debug!("stale token {:?}", e.token()),
                }
            }
            // Edge-triggered: a ready socket stays in `ready` until a short read says it is
            // drained, committing and answering after every batch. A turn reads at most
            // MAX_BATCHES_PER_TURN batches: under a flood the socket never drains, and without
            // the bound the failover link (its BNDACKs), the control socket, signals and timers
            // would wait for the flood to end (at 80k exchanges/s the partner's acks went
            // unread and the update queue overflowed).
            for _ in 0..MAX_BATCHES_PER_TURN {
                if ready.is_empty() {
                    break;
                }
                let now = now_ms();
                ready.retain(|&(i, slot)| self.read_batch(i, slot, now));
                self.backlog = !ready.is_empty();
                self.flush(false);
            }
            let now = now_ms();
            let records = self.server.on_timeout(now);
            self.append(&records);
            self.run_timers(now);
            self.fo_reconnect(now);
            self.flush(false);
        }
        self.flush(true);
        info!("stats: {}", self.server.stats);
        Ok(())
    }

    /// Read one recvmmsg batch from socket `slot` of interface `i` and handle it; true if it
    /// may have more.
    fn read_batch(&mut self, i: usize, slot: usize, now: Millis) -> bool {
        let sock = match slot {
            0 => self.ifaces.get(i).and_then(|f| f.sock.as_ref()),
            k => self
                .ifaces
                .get(i)
                .and_then(|f| f.relays.get(k - 1))
                .map(|r| &r.sock),
        };
        let Some(sock) = sock else {
            return false;
        };
        let n = match self.rx.recv(sock) {
            Ok(n) => {
                self.last_dhcp_at = now;
                n
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return true,
            // A relay socket reports an ICMP port unreachable from its relay this way; reading
            // it cleared it.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && slot > 0 => return true,
            Err(e) => {
                warn!("receive failed: {e}");
                return false;
            }
        };
        for k in 0..n {
            let Some(f) = self.ifaces.get(i) else {
                return false;
            };
            let (Some(meta), Some(&truncated)) =
                (self.rx.metas.get(k).copied(), self.rx.truncated.get(k))
            else {
                continue;
            };
            if truncated {
                self.server.note_malformed();
                debug!("{}: oversized datagram from {}", f.name, meta.src);
                continue;
            }
            let req = match Repr::parse(self.rx.data(k)) {
                Ok(r) => r,
                Err(e) => {
                    self.server.note_malformed();
                    debug!("{}: malformed packet from {}: {e}", f.name, meta.src);
                    continue;
                }
            };
            let broadcast = meta.dst.is_broadcast()
                || f.addrs
                    .iter()
                    .any(|(a, p)| subnet_broadcast(*a, *p) == meta.dst);
            let ing = Ingress {
                ifname: &f.name,
                addrs: &f.addrs,
                src: meta.src,
                broadcast,
            };
            let out = self.server.handle(now, &ing, &req);
            let durable = !out.records.is_empty();
            let mut failed = false;
            for r in &out.records {
                if let Err(e) = self.journal.append(r) {
                    events::emit(Level::Error, ev::EVENT_SERVER_DB_PATH_NOT_ACCESSIBLE, &[&e]);
                    failed = true;
                    break;
                }
            }
            if let Some(reply) = out.reply {
                if failed {
                    // The lease is not on disk: no ACK may promise it (the client will retry).
                    warn!("reply to {} withheld: journal append failed", meta.src);
                } else if durable {
                    let start = self.pending_bytes.len();
                    match reply.repr.emit_into(&mut self.pending_bytes, reply.max_len) {
                        Ok(()) => self.pending.push(Pending {
                            iface: i,
                            dest: reply.dest,
                            start,
                            len: self.pending_bytes.len() - start,
                        }),
                        Err(e) => warn!("{}: cannot encode reply: {e}", f.name),
                    }
                } else {
                    // Nothing to commit (an OFFER, a NAK): it leaves now, and the waiting
                    // list holds only ACKs, so a turn costs nothing per waiting reply.
                    self.send(i, &reply);
                }
            }
            if durable && self.server.config().server.durability == Durability::Sync {
                // `sync`: every reply waits for its own flush.
                self.flush(true);
            }
        }
        n == udp::BATCH
    }

    /// Commit the journal, then send what waited for it. In `batch` mode the commit may wait
    /// up to `commit-window-ms` so that one flush covers the ACKs of several turns (group
    /// commit); replies that change no lease go out at once either way. `force` commits now.
    fn flush(&mut self, force: bool) {
        // Failover output rides with the group commit: our BNDUPDs for a window's ACKs leave
        // together, so the partner stores and acknowledges them with one commit of its own.
        // A BNDACK vouches for a binding we stored (draft-12 §7.2): it waits for the commit,
        // which then happens at once, so a partner is never kept waiting for our window.
        for (r, held) in self.fo_held.iter_mut().enumerate() {
            held.extend(self.server.fo_take_output(r));
        }
        let acks_waiting = self.fo_held.iter().flatten().any(|m| is_bndack(m));
        let mut ok = true;
        if self.journal.has_pending() {
            let now = now_ms();
            // Only `batch` waits: `none` does not flush, so there is nothing to share.
            let window = match self.server.config().server.durability {
                Durability::Batch => u64::from(self.server.config().server.commit_window_ms),
                _ => 0,
            };
            let at = *self.commit_at.get_or_insert(now + window);
            let cap = if self.backlog {
                MAX_WAITING_REPLIES
            } else {
                EARLY_COMMIT_REPLIES
            };
            if !force && !acks_waiting && now < at && self.pending.len() < cap {
                if self.server.fo_backlogged() {
                    self.fo_send_early();
                }
                return;
            }
            if let Err(e) = self.journal.commit() {
                events::emit(Level::Error, ev::EVENT_SERVER_DB_PATH_NOT_ACCESSIBLE, &[&e]);
                ok = false;
            }
        }
        self.commit_at = None;
        let mut pending = std::mem::take(&mut self.pending);
        let mut bytes = std::mem::take(&mut self.pending_bytes);
        if ok {
            for p in &pending {
                if let Some(b) = bytes.get(p.start..p.start + p.len) {
                    self.transmit(p.iface, &p.dest, b);
                }
            }
        }
        pending.clear();
        bytes.clear();
        // Keep the buffers for the next window, unless a burst made them large.
        if bytes.capacity() <= PENDING_BYTES_KEEP {
            self.pending_bytes = bytes;
            self.pending = pending;
        }
        let held = std::mem::replace(&mut self.fo_held, vec![Vec::new(); self.links.len()]);
        for (r, out) in held.into_iter().enumerate() {
            self.fo_write(r, out, ok);
        }
    }

    /// Replication is behind: send our held messages up to the first BNDACK (which must wait
    /// for the commit) now. With BNDUPDs only leaving at commits, replication ran at one
    /// max-unacked window per commit: with the default window of 10 the update queue
    /// overflowed at 5k exchanges/s. A BNDUPD may precede our own commit (draft-12 allows
    /// it before the client's ACK): a partner holding a binding we then lose in a crash only
    /// keeps that address out of use, the safe side.
    fn fo_send_early(&mut self) {
        for r in 0..self.fo_held.len() {
            let Some(held) = self.fo_held.get_mut(r) else {
                continue;
            };
            let k = held.iter().position(|m| is_bndack(m)).unwrap_or(held.len());
            if k == 0 {
                continue;
            }
            let out: Vec<Vec<u8>> = held.drain(..k).collect();
            self.fo_write(r, out, true);
        }
    }

    /// Journal records produced outside a DHCP exchange (failover, timers, operator).
    fn append(&mut self, records: &[crate::journal::Record]) {
        for r in records {
            if let Err(e) = self.journal.append(r) {
                events::emit(Level::Error, ev::EVENT_SERVER_DB_PATH_NOT_ACCESSIBLE, &[&e]);
                return;
            }
        }
    }

    fn open_failover(&mut self) {
        for ri in 0..self.server.fo_count() {
            let Some(rc) = self.server.fo_config(ri) else {
                continue;
            };
            let local = SocketAddrV4::new(rc.address, rc.port);
            let peer = SocketAddrV4::new(rc.peer_address, rc.peer_port);
            let primary = rc.role == crate::config::FoRole::Primary;
            let name = rc.name.clone();
            let mut link = fo::Link::new(local, peer, primary);
            let t = Token(self.sources.insert(Source::FoListener(ri)));
            if let Err(e) = link.listen(self.poll.registry(), t) {
                self.sources.remove(t.0);
                // The primary still connects out; a secondary without a listener waits in vain.
                events::emit(
                    Level::Error,
                    ev::EVENT_SERVER_INIT_SOCK_FAILED,
                    &[&format!("failover {name}: listen on {local}: {e}")],
                );
            } else {
                info!("failover {name}: listening on {local}, partner {peer}");
            }
            self.links.push(link);
            self.fo_held.push(Vec::new());
        }
    }

    fn fo_accept(&mut self, r: usize) {
        let Some(link) = self.links.get_mut(r) else {
            return;
        };
        let sources = &mut self.sources;
        if link.accept(self.poll.registry(), || {
            Token(sources.insert(Source::FoConn(r)))
        }) {
            let records = self.server.fo_connected(r, now_ms());
            self.append(&records);
        }
    }

    fn fo_reconnect(&mut self, now: Millis) {
        for r in 0..self.links.len() {
            let due = self.links.get(r).is_some_and(|l| {
                l.connects_out && l.conn.is_none() && l.reconnect_at.is_some_and(|t| t <= now)
            });
            if !due {
                continue;
            }
            let t = Token(self.sources.insert(Source::FoConn(r)));
            let Some(link) = self.links.get_mut(r) else {
                continue;
            };
            if let Err(e) = link.connect(self.poll.registry(), t) {
                debug!("failover: connect to {}: {e}", link.peer);
                self.sources.remove(t.0);
                link.reconnect_at = Some(now + 5_000);
            } else {
                link.reconnect_at = None;
            }
        }
    }

    /// Readiness on a failover connection: finish a connect, read whole messages.
    fn fo_io(&mut self, r: usize) {
        let now = now_ms();
        let Some(conn) = self.links.get_mut(r).and_then(|l| l.conn.as_mut()) else {
            return;
        };
        if conn.connecting {
            match conn.finish_connect() {
                Ok(false) => return,
                Ok(true) => {
                    if let Some(l) = self.links.get(r) {
                        info!("failover: connected to partner {}", l.peer);
                    }
                    let records = self.server.fo_connected(r, now);
                    self.append(&records);
                }
                Err(e) => {
                    debug!("failover: connect failed: {e}");
                    self.fo_drop(r, now, None);
                    return;
                }
            }
        }
        let Some(conn) = self.links.get_mut(r).and_then(|l| l.conn.as_mut()) else {
            return;
        };
        match conn.read() {
            fo::ReadResult::Messages(msgs) => {
                for m in msgs {
                    let records = self.server.fo_receive(r, now, &m);
                    self.append(&records);
                }
            }
            fo::ReadResult::Closed(why) => self.fo_drop(r, now, Some(why)),
        }
    }

    /// Drop relationship `r`'s connection and tell the core.
    fn fo_drop(&mut self, r: usize, now: Millis, why: Option<String>) {
        let Some(link) = self.links.get_mut(r) else {
            return;
        };
        if let Some(t) = link.close(self.poll.registry(), now) {
            self.sources.try_remove(t.0);
        }
        if let Some(why) = why {
            info!("failover: connection to {} closed: {why}", link.peer);
        }
        let records = self.server.fo_disconnected(r, now);
        self.append(&records);
    }

    /// Write the core's messages (BNDACKs only once `committed`), honour its close requests.
    fn fo_write(&mut self, r: usize, out: Vec<Vec<u8>>, committed: bool) {
        let now = now_ms();
        let close = self.server.fo_take_close(r);
        let Some(link) = self.links.get_mut(r) else {
            return;
        };
        if !committed && out.iter().any(|m| is_bndack(m)) {
            // BNDACKs may not leave before their bindings are on disk: drop the link instead;
            // the partner resends un-acked updates on the next connection.
            self.fo_drop(r, now, Some("journal commit failed".into()));
            return;
        }
        let mut overflow = false;
        if let Some(conn) = link.conn.as_mut().filter(|c| !c.connecting) {
            for m in &out {
                if !conn.queue(m) {
                    overflow = true;
                    break;
                }
            }
            if !overflow {
                if let Err(e) = conn.write(self.poll.registry()) {
                    self.fo_drop(r, now, Some(format!("write: {e}")));
                    return;
                }
            }
        }
        if overflow {
            self.fo_drop(
                r,
                now,
                Some(format!(
                    "partner is not reading (over {} bytes queued)",
                    fo::OUT_CAP
                )),
            );
        } else if let Some(why) = close {
            self.fo_drop(r, now, Some(why));
        }
    }

    fn send(&mut self, i: usize, reply: &Reply) {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        match reply.repr.emit_into(&mut out, reply.max_len) {
            Ok(()) => self.transmit(i, &reply.dest, &out),
            Err(e) => warn!("cannot encode reply: {e}"),
        }
        self.out = out;
    }

    /// Send encoded reply `bytes` on interface `i` to `dest`.
    fn transmit(&mut self, i: usize, dest: &Dest, bytes: &[u8]) {
        if let Dest::Unicast(to) = dest {
            if to.port() == DHCP_PORT && self.send_relay(i, *to, bytes) {
                return;
            }
        }
        let Some(f) = self.ifaces.get(i) else { return };
        let Some(sock) = f.sock.as_ref() else { return };
        let bcast = SocketAddrV4::new(Ipv4Addr::BROADCAST, CLIENT_PORT);
        let to = match dest {
            Dest::Unicast(a) => *a,
            Dest::Broadcast => bcast,
            Dest::Hardware { ip, htype, chaddr } => {
                if udp::set_arp(sock, &f.name, *ip, *htype, chaddr) {
                    SocketAddrV4::new(*ip, CLIENT_PORT)
                } else {
                    bcast
                }
            }
        };
        if let Err(e) = sock.send_to(bytes, to.into()) {
            debug!("{}: send to {to} failed: {e}", f.name);
        }
    }

    /// Send to relay `to` by its connected socket, opening it on first use. False if there
    /// is none (the cap, or it could not be opened or used): the caller sends by the shared
    /// socket.
    fn send_relay(&mut self, i: usize, to: SocketAddrV4, bytes: &[u8]) -> bool {
        let Some(f) = self.ifaces.get(i) else {
            return false;
        };
        let k = match f.relays.iter().position(|r| r.to == to) {
            Some(k) => k,
            None => match self.open_relay(i, to) {
                Some(k) => k,
                None => return false,
            },
        };
        let Some(r) = self.ifaces.get(i).and_then(|f| f.relays.get(k)) else {
            return false;
        };
        // An ICMP error from the relay is reported once, by the next call: try again.
        for _ in 0..2 {
            match r.sock.send(bytes) {
                Ok(_) => return true,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) => {
                    debug!("relay socket to {to}: {e}; closing it");
                    break;
                }
            }
        }
        if let Some(f) = self.ifaces.get_mut(i) {
            if k < f.relays.len() {
                let r = f.relays.remove(k);
                self.close_relays(vec![r]);
                self.repoint(i);
            }
        }
        false
    }

    /// Open and register interface `i`'s socket connected to relay `to`; its index.
    fn open_relay(&mut self, i: usize, to: SocketAddrV4) -> Option<usize> {
        let f = self.ifaces.get(i)?;
        if f.sock.is_none() || f.relays.len() >= MAX_RELAY_SOCKETS {
            return None;
        }
        let rcvbuf = self.server.config().server.receive_buffer_kb as usize * 1024;
        let mut sock = match udp::open_connected(&f.name, DHCP_PORT, rcvbuf, to) {
            Ok(s) => s,
            Err(e) => {
                debug!("{}: no socket for relay {to}: {e}", f.name);
                return None;
            }
        };
        let k = f.relays.len();
        let t = self.register_dhcp(&mut sock, i, k + 1)?;
        debug!("relay {to}: connected socket opened");
        let f = self.ifaces.get_mut(i)?;
        f.relays.push(RelaySock { to, sock, token: t });
        Some(k)
    }

    fn open_control(&mut self) {
        let Some(path) = self.server.config().server.control_socket.clone() else {
            return;
        };
        match control::bind(Path::new(&path)) {
            Ok(mut l) => {
                let t = Token(self.sources.insert(Source::CtlListener));
                if self
                    .poll
                    .registry()
                    .register(&mut l, t, Interest::READABLE)
                    .is_ok()
                {
                    info!("control socket {path}");
                    self.ctl = Some(l);
                } else {
                    self.sources.remove(t.0);
                }
            }
            Err(e) => events::emit(
                Level::Error,
                ev::EVENT_SERVER_INIT_RPC_FAILED,
                &[&format!("{path}: {e}")],
            ),
        }
    }

    fn accept_control(&mut self) {
        let Some(l) = self.ctl.as_ref() else { return };
        loop {
            match l.accept() {
                Ok((mut s, _)) => {
                    let entry = self.sources.vacant_entry();
                    let t = Token(entry.key());
                    if self
                        .poll
                        .registry()
                        .register(&mut s, t, Interest::READABLE)
                        .is_ok()
                    {
                        entry.insert(Source::CtlClient(Box::new(control::Client::new(s))));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }

    fn serve_control(&mut self, t: Token) {
        let Some(Source::CtlClient(c)) = self.sources.get_mut(t.0) else {
            return;
        };
        let input = c.read();
        let mut done = false;
        match input {
            control::Input::Closed => done = true,
            control::Input::Lines(lines) => {
                for line in lines {
                    let resp = match crate::control::parse(&line) {
                        Ok(cmd) => {
                            let (text, records) =
                                crate::control::execute(&cmd, &mut self.server, now_ms());
                            self.append(&records);
                            text
                        }
                        Err(e) => crate::control::error_response(&e),
                    };
                    let Some(Source::CtlClient(c)) = self.sources.get_mut(t.0) else {
                        return;
                    };
                    // One request per connection keeps the client simple; short responses fit
                    // the socket buffer, so this does not block the loop.
                    c.respond(&resp);
                    done = true;
                }
            }
        }
        if done {
            if let Some(Source::CtlClient(mut c)) = self.sources.try_remove(t.0) {
                let _ = self.poll.registry().deregister(&mut c.stream);
            }
        }
    }

    fn on_signals(&mut self) {
        for s in self.signals.drain() {
            match s {
                libc::SIGTERM | libc::SIGINT => {
                    info!("signal {s}: flushing and exiting");
                    self.stop = true;
                }
                libc::SIGHUP => self.reload(),
                libc::SIGUSR1 => info!(
                    "stats: {} leases={} journal_bytes={}",
                    self.server.stats,
                    self.server.leases().len(),
                    self.journal.file_len()
                ),
                _ => {}
            }
        }
    }

    /// SIGHUP: validate the whole file, then swap; on error keep running on the old config.
    fn reload(&mut self) {
        let path = self.opts.config_path.clone();
        match load_config(&path) {
            Ok(cfg) => {
                if cfg.server.journal != self.server.config().server.journal {
                    warn!(
                        "reload: journal path change needs a restart; keeping {}",
                        self.server.config().server.journal
                    );
                }
                let mut cfg = cfg;
                cfg.server.journal = self.server.config().server.journal.clone();
                self.server.reconfigure(cfg, now_ms());
                self.sync_interfaces();
                info!("reloaded {}", path.display());
            }
            Err(e) => {
                events::emit(
                    Level::Error,
                    ev::EVENT_SERVER_INIT_CONFIG_FAILED,
                    &[&format!("reload rejected, keeping the running config: {e}")],
                );
            }
        }
    }

    fn run_timers(&mut self, now: Millis) {
        while let Some(Reverse((t, kind))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            match kind {
                Timer::Rescan => self.sync_interfaces(),
                Timer::CompactCheck => {
                    let next = if self.compact_if_needed(now) {
                        COMPACT_CHECK_MS
                    } else {
                        COMPACT_RETRY_MS
                    };
                    self.timers.push(Reverse((now + next, Timer::CompactCheck)));
                }
                Timer::Backup => {
                    self.backup(now);
                    self.arm_backup(now);
                }
            }
        }
    }

    /// Compact if the journal is due and the sockets are quiet (or it is overdue). False:
    /// due but deferred, look again soon.
    fn compact_if_needed(&mut self, now: Millis) -> bool {
        let live = self.server.leases().len();
        if !self.journal.should_compact(live, 1) {
            return true;
        }
        let quiet = now.saturating_sub(self.last_dhcp_at) >= COMPACT_QUIET_MS;
        if !quiet && !self.journal.should_compact(live, COMPACT_FORCE_FACTOR) {
            return false;
        }
        events::emit(Level::Info, ev::EVENT_SERVER_CLEANUP_STARTED, &[]);
        let fo_states = self.server.failover_records();
        let t0 = std::time::Instant::now();
        match self
            .journal
            .compact(self.server.leases().iter(), &fo_states, secs(now))
        {
            Ok(st) => {
                // 1038's text: %1 leases recovered (expired past grace, dropped), %2 records
                // removed from the database.
                events::emit(
                    Level::Info,
                    ev::EVENT_SERVER_IPCLEANUP_FINISHED,
                    &[
                        &st.dropped,
                        &st.records_before.saturating_sub(st.records_after),
                    ],
                );
                info!(
                    "journal compacted: {} bytes -> {}, {} leases kept, {} ms",
                    st.before,
                    st.after,
                    st.kept,
                    t0.elapsed().as_millis()
                );
            }
            Err(e) => events::emit(Level::Error, ev::EVENT_SERVER_DATABASE_CLEANUP, &[&e]),
        }
        true
    }

    fn backup(&mut self, now: Millis) {
        let Some(dir) = self.server.config().server.backup_dir.clone() else {
            return;
        };
        let dir = Path::new(&dir);
        if !dir.is_dir() {
            events::emit(
                Level::Error,
                ev::EVENT_SERVER_BACKUP_PATH_NOT_ACCESSIBLE,
                &[&dir.display()],
            );
            return;
        }
        match self.journal.backup(dir, secs(now)) {
            Ok(p) => info!("backup written to {}", p.display()),
            Err(e) => events::emit(Level::Error, ev::EVENT_SERVER_DATABASE_BACKUP, &[&e]),
        }
    }
}

/// Failover message type byte (draft-12 §6.1: after the 2-byte length) is BNDACK.
fn is_bndack(msg: &[u8]) -> bool {
    msg.get(2) == Some(&crate::wire::failover::MessageType::BndAck.to_u8())
}

fn subnet_broadcast(a: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let host = if prefix >= 32 { 0 } else { u32::MAX >> prefix };
    Ipv4Addr::from(u32::from(a) | host)
}

/// Read and parse a config file; errors already carry `file:line`.
pub fn load_config(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    config::parse(&text, &path.display().to_string()).map_err(|e| e.to_string())
}
