//! The open-loop engine. One thread, pinned, never sleeping: each turn of the loop starts the
//! exchanges that are due by the clock, flushes them with one sendmmsg, drains replies with
//! recvmmsg, answers OFFERs with REQUESTs, and expires exchanges that took longer than the
//! timeout. Busy-polling matters on this VM: a generator that sleeps between packets makes the
//! kernel wake the server in a different way and inflates the server's CPU figure by 40-70 %.

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::time::Instant;

use crate::dhcp::{self, Req};
use crate::sys::{self, Proc, Socket, BATCH};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// DISCOVER → OFFER → REQUEST → ACK.
    Dora,
    /// REQUEST (ciaddr set, RENEWING state, RFC 2131 §4.3.2) → ACK, for bound clients.
    Renew,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum St {
    Idle,
    Discover,
    Request,
    Renew,
}

#[derive(Clone, Copy)]
struct Client {
    gen: u16,
    st: St,
    /// Address from the last ACK (0: none).
    ip: u32,
    /// Nanoseconds since the epoch of the run when the exchange started.
    t0: u64,
}

/// One measured step.
pub struct StepSpec {
    pub kind: Kind,
    pub rate: f64,
    pub secs: f64,
    /// Fill: one pass over the clients that have no address yet (at most `rate * secs` of
    /// them), then stop.
    pub fill: bool,
}

#[derive(Default, Clone)]
pub struct Step {
    pub rate: f64,
    pub started: u64,
    pub completed: u64,
    pub lost: u64,
    pub naks: u64,
    /// Replies to exchanges already given up (or duplicates).
    pub late: u64,
    /// Seconds spent starting the planned exchanges (`started / send_secs` = achieved rate).
    pub send_secs: f64,
    /// Exchange latencies in microseconds, sorted.
    pub lat_us: Vec<u32>,
    pub gen_cpu_ms: f64,
    pub srv_cpu_ms: Option<f64>,
    /// The failover partner's CPU over the step (`--partner-pid`), when there is one.
    pub partner_cpu_ms: Option<f64>,
    /// Lines the server logged during the step that hold the `--log-match` text.
    pub log_hits: Option<u64>,
}

impl Step {
    pub fn loss_pct(&self) -> f64 {
        if self.started == 0 {
            return 100.0;
        }
        (self.lost + self.naks) as f64 * 100.0 / self.started as f64
    }
    pub fn achieved(&self) -> f64 {
        if self.send_secs <= 0.0 {
            return 0.0;
        }
        self.started as f64 / self.send_secs
    }
    /// The generator could not start exchanges as fast as asked: the step says nothing
    /// about the server.
    pub fn gen_limited(&self) -> bool {
        self.achieved() < 0.97 * self.rate
    }
    pub fn ok(&self) -> bool {
        self.loss_pct() < 1.0 && !self.gen_limited()
    }
    pub fn pct(&self, p: f64) -> Option<u32> {
        if self.lat_us.is_empty() {
            return None;
        }
        let i = ((self.lat_us.len() as f64 * p / 100.0).ceil() as usize).saturating_sub(1);
        self.lat_us.get(i.min(self.lat_us.len() - 1)).copied()
    }
    pub fn per_1k(&self, ms: f64) -> f64 {
        if self.completed == 0 {
            return f64::NAN;
        }
        ms * 1000.0 / self.completed as f64
    }
    pub fn summary(&self, what: &str) -> String {
        format!(
            "# {what:<7} rate={:>7.0} achieved={:>7.0} started={:>7} done={:>7} lost={} nak={} late={} loss={:.2}% p50={}us p99={}us srv_cpu/1k={:.3}ms gen_cpu/1k={:.3}ms{}",
            self.rate,
            self.achieved(),
            self.started,
            self.completed,
            self.lost,
            self.naks,
            self.late,
            self.loss_pct(),
            self.pct(50.0).unwrap_or(0),
            self.pct(99.0).unwrap_or(0),
            self.srv_cpu_ms.map(|c| self.per_1k(c)).unwrap_or(f64::NAN),
            self.per_1k(self.gen_cpu_ms),
            if self.gen_limited() { " GEN-LIMITED" } else { "" }
        )
    }
}

/// Bounds of the `--settle-until` wait.
const SETTLE_UNTIL_MAX_MS: u64 = 20_000;
const SETTLE_UNTIL_POLL_MS: u64 = 50;

pub struct Gen {
    sock: Socket,
    clients: Vec<Client>,
    relay: u32,
    server_ip: u32,
    tag: u8,
    timeout_ns: u64,
    fifo: VecDeque<(u64, u32, u16)>,
    epoch: Instant,
    cursor: usize,
    ntx: usize,
    pub server: Option<Proc>,
    pub partner: Option<Proc>,
    /// A server log to watch (`--log`) and the text to count in it (`--log-match`).
    pub watch: Option<(String, String)>,
    cur: Step,
    rxq: Vec<dhcp::Reply>,
    /// `--settle-until`: a shell command that succeeds once the server has caught up (the
    /// failover row: its update queue drained); run after each step's settle.
    pub settle_until: Option<String>,
    /// Time spent waiting for `settle_until`, in ms, and how often it was still failing.
    pub settle_waited_ms: u64,
    pub settle_waits: u64,
}

impl Gen {
    /// `clients` real clients plus one probe client; xids carry the client number in their
    /// low 16 bits, hence the limit.
    pub fn new(
        relay: Ipv4Addr,
        server: Ipv4Addr,
        clients: usize,
        timeout_ms: u64,
        tag: u8,
    ) -> std::io::Result<Gen> {
        assert!(clients < 0xffff, "at most 65534 clients");
        Ok(Gen {
            sock: Socket::open(relay, server)?,
            clients: vec![
                Client {
                    gen: 0,
                    st: St::Idle,
                    ip: 0,
                    t0: 0
                };
                clients + 1
            ],
            relay: relay.into(),
            server_ip: server.into(),
            tag,
            timeout_ns: timeout_ms * 1_000_000,
            fifo: VecDeque::new(),
            epoch: Instant::now(),
            cursor: 0,
            ntx: 0,
            server: None,
            partner: None,
            watch: None,
            cur: Step::default(),
            settle_until: None,
            settle_waited_ms: 0,
            settle_waits: 0,
            rxq: Vec::with_capacity(BATCH),
        })
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn nclients(&self) -> usize {
        self.clients.len() - 1
    }

    pub fn bound(&self) -> usize {
        self.clients[..self.nclients()]
            .iter()
            .filter(|c| c.ip != 0)
            .count()
    }

    fn push(&mut self, r: Req) {
        if self.ntx == BATCH {
            self.flush_all();
        }
        dhcp::build(self.sock.tx_slot(self.ntx), &r);
        self.ntx += 1;
    }

    fn flush(&mut self) {
        if self.ntx > 0 {
            let s = self.sock.flush(self.ntx);
            self.ntx -= s;
        }
    }

    /// Flush until the queue is empty (bounded: gives up after 100k tries, i.e. a dead socket).
    fn flush_all(&mut self) {
        for _ in 0..100_000 {
            self.flush();
            if self.ntx == 0 {
                return;
            }
        }
        self.ntx = 0;
    }

    fn req(&self, kind: u8, idx: usize, ciaddr: u32, requested: u32, server_id: u32) -> Req {
        let c = &self.clients[idx];
        Req {
            kind,
            xid: (u32::from(c.gen) << 16) | idx as u32,
            chaddr: dhcp::chaddr(idx as u32, self.tag),
            giaddr: self.relay,
            ciaddr,
            requested,
            server_id,
        }
    }

    /// Start one exchange on the next eligible client. False when none is eligible.
    fn start(&mut self, kind: Kind, fill: bool, now: u64) -> bool {
        let n = self.nclients();
        for _ in 0..n {
            let idx = self.cursor % n;
            self.cursor += 1;
            let c = self.clients[idx];
            match kind {
                Kind::Dora if fill && c.ip != 0 => continue,
                Kind::Renew if c.ip == 0 => continue,
                _ => {}
            }
            if fill && c.st != St::Idle {
                continue;
            }
            if c.st != St::Idle {
                // Its turn came round again before it finished: that exchange is lost.
                self.cur.lost += 1;
            }
            let c = &mut self.clients[idx];
            c.gen = c.gen.wrapping_add(1);
            c.t0 = now;
            let r = match kind {
                Kind::Dora => {
                    c.st = St::Discover;
                    self.req(dhcp::DISCOVER, idx, 0, 0, 0)
                }
                Kind::Renew => {
                    c.st = St::Renew;
                    let ip = c.ip;
                    self.req(dhcp::REQUEST, idx, ip, 0, 0)
                }
            };
            let g = self.clients[idx].gen;
            self.fifo.push_back((now + self.timeout_ns, idx as u32, g));
            self.push(r);
            return true;
        }
        false
    }

    fn on_reply(&mut self, r: dhcp::Reply, now: u64) {
        let idx = (r.xid & 0xffff) as usize;
        let g = (r.xid >> 16) as u16;
        let Some(c) = self.clients.get(idx).copied() else {
            self.cur.late += 1;
            return;
        };
        if c.gen != g {
            self.cur.late += 1;
            return;
        }
        match (c.st, r.kind) {
            (St::Discover, dhcp::OFFER) => {
                self.clients[idx].st = St::Request;
                let sid = if r.server_id != 0 {
                    r.server_id
                } else {
                    self.server_ip
                };
                let q = self.req(dhcp::REQUEST, idx, 0, r.yiaddr, sid);
                self.push(q);
            }
            (St::Request | St::Renew, dhcp::ACK) => {
                let c = &mut self.clients[idx];
                c.st = St::Idle;
                c.ip = r.yiaddr;
                self.cur.completed += 1;
                let us = (now.saturating_sub(c.t0) / 1000).min(u64::from(u32::MAX)) as u32;
                self.cur.lat_us.push(us);
            }
            (St::Request | St::Renew, dhcp::NAK) => {
                let c = &mut self.clients[idx];
                c.st = St::Idle;
                c.ip = 0;
                self.cur.naks += 1;
            }
            _ => self.cur.late += 1,
        }
    }

    fn poll_rx(&mut self, now: u64) -> usize {
        // Reuse one buffer: this runs millions of times a second while idle.
        let mut got = std::mem::take(&mut self.rxq);
        let n = self.sock.recv_batch(|b| {
            if let Some(r) = dhcp::parse(b) {
                got.push(r);
            }
        });
        for r in got.drain(..) {
            self.on_reply(r, now);
        }
        self.rxq = got;
        n
    }

    fn expire(&mut self, now: u64) {
        while let Some(&(dl, idx, g)) = self.fifo.front() {
            if dl > now {
                break;
            }
            self.fifo.pop_front();
            let c = &mut self.clients[idx as usize];
            if c.gen == g && c.st != St::Idle {
                c.st = St::Idle;
                self.cur.lost += 1;
            }
        }
    }

    /// Spin for `ms`, reading and discarding whatever arrives (backlog of an overloaded
    /// server), so the next step starts from empty queues.
    pub fn settle(&mut self, ms: u64) {
        let end = self.now() + ms * 1_000_000;
        while self.now() < end {
            let now = self.now();
            self.poll_rx(now);
            self.expire(now);
        }
        self.cur = Step::default();
    }

    /// `settle`, then, with `--settle-until`, keep settling until its command succeeds (at
    /// most SETTLE_UNTIL_MAX_MS). An overloaded step overflows the failover pair's update
    /// queue and a resync follows; this makes sure no step starts while it runs. (Measured:
    /// the resync is over within the 300 ms settle, so the wait has not yet been needed;
    /// the report says how often it was.)
    pub fn settle_between(&mut self, ms: u64) {
        self.settle(ms);
        let Some(cmd) = self.settle_until.clone() else {
            return;
        };
        let t = Instant::now();
        let mut waited = false;
        for _ in 0..(SETTLE_UNTIL_MAX_MS / SETTLE_UNTIL_POLL_MS) {
            let ok = std::process::Command::new("sh")
                .args(["-c", &cmd])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                break;
            }
            waited = true;
            self.settle(SETTLE_UNTIL_POLL_MS);
        }
        if waited {
            self.settle_waits += 1;
            self.settle_waited_ms += t.elapsed().as_millis() as u64;
        }
    }

    pub fn step(&mut self, spec: &StepSpec) -> Step {
        self.cur = Step {
            rate: spec.rate,
            ..Step::default()
        };
        if spec.fill {
            self.cursor = 0;
        }
        let planned: u64 = if spec.fill {
            // A pass covers the clients without an address, capped to `secs` at `rate` so a
            // server that cannot take the rate (fsync per lease) does not stretch the run.
            let todo = (self.nclients() - self.bound()) as u64;
            todo.min((spec.rate * spec.secs).ceil().max(1.0) as u64)
        } else {
            (spec.rate * spec.secs).round() as u64
        };
        self.cur.lat_us.reserve(planned as usize);
        let srv0 = self.server.and_then(|p| p.cpu_ms());
        let peer0 = self.partner.and_then(|p| p.cpu_ms());
        let log0 = self
            .watch
            .as_ref()
            .and_then(|(f, _)| std::fs::metadata(f).ok())
            .map(|m| m.len());
        let cpu0 = sys::self_cpu_ns();
        let t0 = self.now();
        let mut planned = planned;
        let mut started: u64 = 0;
        let mut send_end = t0;
        // Hard bound on the step: the sending time plus twice the timeout plus slack.
        let hard_end =
            t0 + ((planned as f64 / spec.rate) * 1e9) as u64 + 2 * self.timeout_ns + 1_000_000_000;
        loop {
            let now = self.now();
            if started < planned {
                let due = ((now - t0) as f64 * spec.rate / 1e9) as u64 + 1;
                let due = due.min(planned);
                while started < due && self.ntx < BATCH {
                    if !self.start(spec.kind, spec.fill, now) {
                        planned = started;
                        break;
                    }
                    started += 1;
                }
                if started >= planned {
                    send_end = now;
                }
            }
            self.flush();
            self.poll_rx(now);
            self.expire(now);
            let c = &self.cur;
            let resolved = c.completed + c.lost + c.naks;
            if started >= planned && resolved >= started && self.ntx == 0 {
                break;
            }
            if now > hard_end {
                break;
            }
        }
        let mut s = std::mem::take(&mut self.cur);
        s.started = started;
        s.send_secs = (send_end.saturating_sub(t0)) as f64 / 1e9;
        if started > 0 && s.send_secs == 0.0 {
            s.send_secs = 1.0 / spec.rate;
        }
        s.gen_cpu_ms = (sys::self_cpu_ns() - cpu0) as f64 / 1e6;
        s.srv_cpu_ms = match (srv0, self.server.and_then(|p| p.cpu_ms())) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        s.partner_cpu_ms = match (peer0, self.partner.and_then(|p| p.cpu_ms())) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        if let (Some((f, pat)), Some(off)) = (&self.watch, log0) {
            s.log_hits = count_from(f, off, pat);
        }
        s.lat_us.sort_unstable();
        s
    }

    /// One DORA with the probe client, retried every 5 ms until an ACK or `deadline_ms`.
    /// Returns the milliseconds it took, or None.
    pub fn probe(&mut self, deadline_ms: u64) -> Option<f64> {
        let t0 = self.now();
        let end = t0 + deadline_ms * 1_000_000;
        let idx = self.nclients();
        let mut next_send = t0;
        while self.now() < end {
            let now = self.now();
            if now >= next_send {
                let c = &mut self.clients[idx];
                c.gen = c.gen.wrapping_add(1);
                c.t0 = now;
                c.st = St::Discover;
                let r = self.req(dhcp::DISCOVER, idx, 0, 0, 0);
                self.push(r);
                next_send = now + 5_000_000;
            }
            self.flush();
            self.poll_rx(now);
            if self.clients[idx].st == St::Idle && self.clients[idx].ip != 0 {
                self.cur = Step::default();
                return Some((self.now() - t0) as f64 / 1e6);
            }
        }
        self.cur = Step::default();
        None
    }
}

/// Lines holding `pat` in `file` from byte `off` on (the part written during a step).
fn count_from(file: &str, off: u64, pat: &str) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file).ok()?;
    f.seek(SeekFrom::Start(off)).ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    Some(text.lines().filter(|l| l.contains(pat)).count() as u64)
}
