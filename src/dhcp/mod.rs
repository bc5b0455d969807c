//! The DHCPv4 server core (RFC 2131 §4.3), pure: it takes `now`, the ingress facts and a
//! parsed request, mutates the lease table and returns an `Outcome` — the reply to send and
//! the journal records that must be durable before it leaves. It never touches a socket, a file
//! or the clock; the reactor does.

pub mod failover;
pub mod reply;

use core::net::{Ipv4Addr, SocketAddrV4};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use log::{debug, info, Level};

use crate::config::{Config, ReservationKey, Scope};
use crate::events::{self, id as ev};
use crate::journal::Record;
use crate::lease::pool::{reservation_matches, Pool};
use crate::lease::table::{holds_address, LeaseTable};
use crate::lease::{hex_colon, BindingState, ClientKey, HwAddr, Lease};
use crate::time::{secs, Millis, Secs};
use crate::wire::dhcpv4::{options as opt, relay, MessageType, Repr, OP_BOOTREQUEST};
use reply::{destination, max_len, OptionLayers};
pub use reply::{Dest, Reply};

/// What the reactor knows about a datagram besides its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Ingress<'a> {
    /// Name of the interface it arrived on (for logs).
    pub ifname: &'a str,
    /// IPv4 addresses and prefix lengths of that interface.
    pub addrs: &'a [(Ipv4Addr, u8)],
    /// Datagram source.
    pub src: SocketAddrV4,
    /// True when it was sent to a broadcast address rather than to us by unicast.
    pub broadcast: bool,
}

/// Result of handling one request.
#[derive(Debug, Default)]
pub struct Outcome {
    pub reply: Option<Reply>,
    /// Journal records that must be durable before `reply` is sent (RFC 2131 §4.3.1 "the
    /// server MUST commit the binding to persistent storage before sending the DHCPACK").
    pub records: Vec<Record>,
}

/// Counters for operators and tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub received: u64,
    pub malformed: u64,
    pub dropped: u64,
    pub offers: u64,
    pub acks: u64,
    pub naks: u64,
    pub declines: u64,
    pub releases: u64,
    pub informs: u64,
    pub bootp: u64,
}

impl Stats {
    /// Every counter with its name, for logs and the control socket.
    pub fn fields(&self) -> [(&'static str, u64); 10] {
        [
            ("received", self.received),
            ("malformed", self.malformed),
            ("dropped", self.dropped),
            ("offers", self.offers),
            ("acks", self.acks),
            ("naks", self.naks),
            ("declines", self.declines),
            ("releases", self.releases),
            ("informs", self.informs),
            ("bootp", self.bootp),
        ]
    }
}

/// `received=N malformed=N …` on one line.
impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (k, v)) in self.fields().iter().enumerate() {
            write!(f, "{}{k}={v}", if i == 0 { "" } else { " " })?;
        }
        Ok(())
    }
}

/// An offered address held for a client until it requests it or the hold ends.
#[derive(Clone, Debug)]
struct Hold {
    key: ClientKey,
    until: Millis,
}

struct ScopeState {
    pool: Pool,
    res_by_mac: HashMap<[u8; 6], usize>,
    res_by_cid: HashMap<Vec<u8>, usize>,
    low_warned: bool,
    full_warned: bool,
}

impl ScopeState {
    fn new(s: &Scope) -> ScopeState {
        let mut res_by_mac = HashMap::new();
        let mut res_by_cid = HashMap::new();
        for (i, r) in s.reservations.iter().enumerate() {
            match &r.key {
                ReservationKey::Mac(m) => {
                    res_by_mac.insert(*m, i);
                }
                ReservationKey::ClientId(c) => {
                    res_by_cid.insert(c.clone(), i);
                }
            }
        }
        ScopeState {
            pool: Pool::new(s),
            res_by_mac,
            res_by_cid,
            low_warned: false,
            full_warned: false,
        }
    }
}

/// Lease times far in the future stand for "infinite" (dynamic BOOTP, RFC 1533 0xffffffff).
pub const INFINITE: Secs = u32::MAX as Secs;

/// The request's client, as seen by every decision below.
struct Client<'a> {
    key: ClientKey,
    client_id: &'a [u8],
    htype: u8,
    chaddr: &'a [u8],
}

impl Client<'_> {
    fn mac(&self) -> String {
        hex_colon(self.chaddr)
    }
}

/// The DHCPv4 server state: configuration, pools, leases, offer holds, timers.
pub struct Server {
    cfg: Config,
    scopes: Vec<ScopeState>,
    leases: LeaseTable,
    holds: HashMap<Ipv4Addr, Hold>,
    hold_of: HashMap<ClientKey, Ipv4Addr>,
    /// (deadline, address): offer-hold ends and lease ends, checked lazily against state.
    /// About one entry per address, not one per renewal (see `arm`).
    timers: BinaryHeap<Reverse<(Millis, Ipv4Addr)>>,
    /// Heap size at which `dedup_timers` runs next.
    timers_dedup_at: usize,
    /// Addresses for the next `on_timeout` to look at now (a withdrawn offer goes back to the
    /// pool); kept out of `timers` so they never add entries there.
    recheck: Vec<Ipv4Addr>,
    unknown_seen: [u64; 4],
    /// Failover relationships and, per scope, the relationship it belongs to.
    rels: Vec<failover::FoRel>,
    scope_rel: Vec<Option<usize>>,
    pub stats: Stats,
}

impl Server {
    /// Build the server from a validated config and the journal's live leases.
    pub fn new(cfg: Config, leases: Vec<Lease>, now: Millis) -> Server {
        let mut s = Server {
            scopes: cfg.scopes.iter().map(ScopeState::new).collect(),
            cfg,
            leases: LeaseTable::new(),
            holds: HashMap::new(),
            hold_of: HashMap::new(),
            timers: BinaryHeap::new(),
            timers_dedup_at: 0,
            recheck: Vec::new(),
            unknown_seen: [0; 4],
            rels: Vec::new(),
            scope_rel: Vec::new(),
            stats: Stats::default(),
        };
        for l in leases {
            s.leases.upsert(l);
        }
        s.mark_pools(now);
        // The one place entries are pushed without `arm`: the heap starts empty.
        let now_s = secs(now);
        for l in s.leases.iter().filter(|l| holds_address(l, now_s)) {
            s.timers
                .push(Reverse((l.end().saturating_mul(1000), l.addr)));
        }
        s.timers_dedup_at = next_dedup(s.timers.len());
        s
    }

    /// Start the failover relationships, resuming their journaled states (after `new`;
    /// without it the server runs standalone).
    pub fn resume_failover(&mut self, saved: &[crate::journal::FailoverStateRec], now: Millis) {
        self.build_failover(saved, now);
    }

    /// Swap in a new validated config, keeping every lease and offer hold.
    pub fn reconfigure(&mut self, mut cfg: Config, now: Millis) {
        if cfg.relationships != self.cfg.relationships {
            log::warn!("reload: failover relationship changes take effect at the next restart");
            cfg.relationships = self.cfg.relationships.clone();
        }
        self.scopes = cfg.scopes.iter().map(ScopeState::new).collect();
        self.cfg = cfg;
        self.mark_pools(now);
        // Scope indexes may have moved: re-point the relationships, keeping their state.
        self.scope_rel = vec![None; self.cfg.scopes.len()];
        for (ri, rel) in self.rels.iter_mut().enumerate() {
            rel.scopes = rel
                .cfg
                .scopes
                .iter()
                .filter_map(|n| self.cfg.scopes.iter().position(|s| &s.name == n))
                .collect();
            for &si in &rel.scopes {
                if let Some(slot) = self.scope_rel.get_mut(si) {
                    *slot = Some(ri);
                }
            }
        }
        for ri in 0..self.rels.len() {
            self.sync_owner(ri, now);
        }
    }

    fn mark_pools(&mut self, now: Millis) {
        let now_s = secs(now);
        let mut taken = Vec::new();
        let backups: Vec<Ipv4Addr> = self
            .leases
            .iter()
            .filter(|l| l.state == BindingState::Backup)
            .map(|l| l.addr)
            .collect();
        for a in backups {
            if let Some(st) = self.scope_of(a).and_then(|si| self.scopes.get_mut(si)) {
                st.pool.set_backup(a, true);
            }
        }
        for l in self.leases.iter() {
            if holds_address(l, now_s) {
                taken.push(l.addr);
            }
        }
        taken.extend(self.holds.keys().copied());
        for a in taken {
            if let Some(si) = self.scope_of(a) {
                if let Some(st) = self.scopes.get_mut(si) {
                    st.pool.take(a);
                }
            }
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn leases(&self) -> &LeaseTable {
        &self.leases
    }

    /// Earliest instant `on_timeout` has work to do.
    pub fn poll_at(&self, now: Millis) -> Option<Millis> {
        let t = self.timers.peek().map(|Reverse((t, _))| *t);
        let recheck = (!self.recheck.is_empty()).then_some(now);
        [t, recheck, self.fo_poll_at(now)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Expire offer holds and leases whose time has come. Expiry is not journaled: on
    /// recovery an ACTIVE lease whose end has passed is free anyway, which saves flash writes.
    pub fn on_timeout(&mut self, now: Millis) -> Vec<Record> {
        let records = self.fo_on_timeout(now);
        let mut recheck = std::mem::take(&mut self.recheck);
        for a in recheck.drain(..) {
            self.look_at(a, now);
        }
        self.recheck = recheck;
        while let Some(Reverse((t, a))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            self.look_at(a, now);
            // Renewed meanwhile (or held again): this entry stood for the later deadline.
            if let Some(d) = self.deadline(a, now) {
                self.push_timer(d, a);
            }
        }
        shrink_sparse(&mut self.holds);
        shrink_sparse(&mut self.hold_of);
        records
    }

    /// End `a`'s offer hold if its time has passed, and if nothing keeps the address any
    /// more, expire its lease and give it back to the pool.
    fn look_at(&mut self, a: Ipv4Addr, now: Millis) {
        if let Some(h) = self.holds.get(&a) {
            if h.until <= now {
                let h = self.holds.remove(&a);
                if let Some(h) = h {
                    if self.hold_of.get(&h.key) == Some(&a) {
                        self.hold_of.remove(&h.key);
                    }
                }
            }
        }
        let now_s = secs(now);
        let lease_holds = self.leases.get(a).is_some_and(|l| holds_address(l, now_s));
        if lease_holds || self.holds.contains_key(&a) {
            return;
        }
        let in_failover = self
            .scope_of(a)
            .and_then(|si| self.rel_of_scope(si))
            .is_some();
        if let Some(l) = self.leases.get(a) {
            if l.state == BindingState::Active {
                let mut l = l.clone();
                l.state = BindingState::Expired;
                debug!("lease {} of {} expired", l.addr, hex_colon(&l.chaddr));
                if in_failover {
                    // Back to the pool only once the partner has acknowledged the
                    // expiry (draft-12 §5.11); see `fo_acked`.
                    self.fo_lease_changed(&l, now);
                    self.leases.upsert(l);
                    return;
                }
                self.leases.upsert(l);
            }
        }
        self.pool_give_back(a);
    }

    /// When `a` next needs `look_at`, from state alone: the end of its offer hold, and while
    /// its lease keeps the address, the end of the lease. Invariant: whenever this is
    /// `Some(d)`, `timers` holds an entry for `a` at or before `d`.
    fn deadline(&self, a: Ipv4Addr, now: Millis) -> Option<Millis> {
        let hold = self.holds.get(&a).map(|h| h.until).filter(|&u| u > now);
        let lease = self
            .leases
            .get(a)
            .filter(|l| holds_address(l, secs(now)))
            .map(|l| l.end().saturating_mul(1000));
        match (hold, lease) {
            (Some(h), Some(l)) => Some(h.min(l)),
            (h, l) => h.or(l),
        }
    }

    /// A state change gave `a` a deadline at `at`; `before` is `deadline(a, now)` from
    /// before the change. An entry at or before `before` is already queued (the invariant),
    /// so when `before <= at` there is nothing to push: that entry fires first and re-arms
    /// at the deadline of the day. A renewal thus pushes nothing, and the heap no longer
    /// grows with every packet.
    fn arm(&mut self, a: Ipv4Addr, at: Millis, before: Option<Millis>) {
        if before.is_some_and(|b| b <= at) {
            return;
        }
        self.push_timer(at, a);
    }

    fn push_timer(&mut self, at: Millis, a: Ipv4Addr) {
        self.timers.push(Reverse((at, a)));
        if self.timers.len() >= self.timers_dedup_at {
            self.dedup_timers();
        }
    }

    /// Keep only each address's earliest entry: a later one is redundant, as the earliest
    /// re-arms when it fires. Duplicates come from deadlines moved earlier (an offer to a
    /// bound client, a shorter lease) and from an entry outliving its lease (release, then a
    /// new binding). Running when the heap has grown by a quarter keeps it within 5/4 of the
    /// addresses with a pending look, at O(log n) amortized per push.
    fn dedup_timers(&mut self) {
        let mut v = std::mem::take(&mut self.timers).into_vec();
        v.sort_unstable_by_key(|Reverse((t, a))| (u32::from(*a), *t));
        v.dedup_by_key(|Reverse((_, a))| *a);
        self.timers = BinaryHeap::from(v);
        self.timers_dedup_at = next_dedup(self.timers.len());
    }

    fn scope_of(&self, a: Ipv4Addr) -> Option<usize> {
        self.cfg.scopes.iter().position(|s| s.contains(a))
    }

    fn pool_give_back(&mut self, a: Ipv4Addr) {
        if let Some(si) = self.scope_of(a) {
            if let Some(st) = self.scopes.get_mut(si) {
                st.pool.give_back(a);
                let (used, size) = (st.pool.dynamic_used(), st.pool.dynamic_size());
                st.full_warned &= used >= size;
                st.low_warned &= low(used, size, self.cfg.server.low_address_warning);
            }
        }
    }

    fn pool_take(&mut self, si: usize, a: Ipv4Addr) {
        let threshold = self.cfg.server.low_address_warning;
        let Some(st) = self.scopes.get_mut(si) else {
            return;
        };
        st.pool.take(a);
        let (used, size) = (st.pool.dynamic_used(), st.pool.dynamic_size());
        if !st.low_warned && low(used, size, threshold) {
            st.low_warned = true;
            let name = self
                .cfg
                .scopes
                .get(si)
                .map(|s| s.name.as_str())
                .unwrap_or("?");
            let pct = if size == 0 {
                100
            } else {
                u64::from(used) * 100 / u64::from(size)
            };
            events::emit(
                Level::Warn,
                ev::EVENT_SERVER_LOW_ADDRESS_WARNING,
                &[&name, &pct, &(size - used)],
            );
        }
    }

    /// Record a packet that failed to decode (the reactor calls this; the core never sees it).
    pub fn note_malformed(&mut self) {
        self.stats.received += 1;
        self.stats.malformed += 1;
    }

    /// Handle one decoded request.
    pub fn handle(&mut self, now: Millis, ing: &Ingress, req: &Repr) -> Outcome {
        self.stats.received += 1;
        if req.op != OP_BOOTREQUEST {
            return self.drop_("not a BOOTREQUEST");
        }
        self.note_unknown_options(req);
        let Some(si) = self.select_scope(ing, req) else {
            return self.drop_("no scope for this link");
        };
        let client = Client {
            key: ClientKey::of(req.client_id().unwrap_or(&[]), req.htype, req.hw_addr()),
            client_id: req.client_id().unwrap_or(&[]),
            htype: req.htype,
            chaddr: req.hw_addr(),
        };
        if client.chaddr.is_empty() && client.client_id.is_empty() {
            return self.drop_("no client identity");
        }
        let sid = self.server_id(si, ing);
        let kind = req.message_type();
        let key = failover::hash_key(client.client_id, client.chaddr);
        if let Err(why) = self.fo_may_serve(si, kind == Some(MessageType::Discover), key, req.secs)
        {
            // Draft-12 §9.2: a server that does not answer records nothing from the packet.
            return self.drop_(why);
        }
        match kind {
            None if req.has_cookie || req.options.is_empty() => {
                self.bootp(now, ing, req, si, &client, sid)
            }
            None => self.drop_("no message type"),
            Some(MessageType::Discover) => self.discover(now, ing, req, si, &client, sid),
            Some(MessageType::Request) => self.request(now, ing, req, si, &client, sid),
            Some(MessageType::Decline) => self.decline(now, ing, req, &client, sid),
            Some(MessageType::Release) => self.release(now, ing, req, &client, sid),
            Some(MessageType::Inform) => self.inform(ing, req, si, &client, sid),
            Some(_) => self.drop_("message type a server does not accept"),
        }
    }

    fn drop_(&mut self, why: &str) -> Outcome {
        self.stats.dropped += 1;
        debug!("dropped: {why}");
        Outcome::default()
    }

    /// Event 1000 once per unknown option code, so a chatty client cannot flood the log.
    fn note_unknown_options(&mut self, req: &Repr) {
        for o in &req.options {
            if opt::is_known(o.code) {
                continue;
            }
            let (w, b) = (usize::from(o.code / 64), o.code % 64);
            if let Some(word) = self.unknown_seen.get_mut(w) {
                if *word & (1 << b) == 0 {
                    *word |= 1 << b;
                    events::emit(
                        Level::Info,
                        ev::EVENT_SERVER_UNKNOWN_OPTION,
                        &[&o.code, &o.data.len()],
                    );
                }
            }
        }
    }

    /// Scope for a request: the relay's link-selection sub-option (RFC 3527) or the subnet
    /// selection option (RFC 3011), else giaddr, else the ingress interface's subnet.
    fn select_scope(&self, ing: &Ingress, req: &Repr) -> Option<usize> {
        let link = req
            .relay_agent_info()
            .and_then(relay::link_selection)
            .or_else(|| req.option(opt::SUBNET_SELECTION).and_then(ip4))
            .or_else(|| (!req.giaddr.is_unspecified()).then_some(req.giaddr));
        if let Some(a) = link {
            return self.scope_of(a);
        }
        ing.addrs.iter().find_map(|(a, _)| self.scope_of(*a))
    }

    /// Server identifier: configured, else our address inside the scope's subnet, else the
    /// interface's first address.
    fn server_id(&self, si: usize, ing: &Ingress) -> Ipv4Addr {
        if let Some(s) = self.cfg.server.server_id {
            return s;
        }
        let scope = self.cfg.scopes.get(si);
        ing.addrs
            .iter()
            .find(|(a, _)| scope.is_some_and(|s| s.contains(*a)))
            .or_else(|| ing.addrs.first())
            .map(|(a, _)| *a)
            .unwrap_or(Ipv4Addr::UNSPECIFIED)
    }

    fn reservation(&self, si: usize, c: &Client) -> Option<usize> {
        let st = self.scopes.get(si)?;
        if !c.client_id.is_empty() {
            if let Some(&i) = st.res_by_cid.get(c.client_id) {
                return Some(i);
            }
        }
        if c.htype == 1 {
            let mac: [u8; 6] = c.chaddr.try_into().ok()?;
            return st.res_by_mac.get(&mac).copied();
        }
        None
    }

    /// May `a` be bound to this client now? (RFC 2131 §4.3.2: not another client's, inside our
    /// pool or the client's reservation.)
    fn allowed(&self, now: Millis, si: usize, a: Ipv4Addr, c: &Client) -> bool {
        let (Some(scope), Some(st)) = (self.cfg.scopes.get(si), self.scopes.get(si)) else {
            return false;
        };
        if !scope.contains(a) {
            return false;
        }
        if let Some(ri) = st.pool.reservation_of(a) {
            return scope
                .reservations
                .get(ri)
                .is_some_and(|r| reservation_matches(&r.key, c.client_id, c.htype, c.chaddr));
        }
        if let Some(ri) = self.reservation(si, c) {
            // A client with a reservation gets that address and no other.
            return scope.reservations.get(ri).is_some_and(|r| r.addr == a);
        }
        if !st.pool.is_dynamic(a) {
            return false;
        }
        if let Some(h) = self.holds.get(&a) {
            if h.key != c.key && h.until > now {
                return false;
            }
        }
        match self.leases.get(a) {
            // Quarantined after a DECLINE: nobody gets it, the decliner least of all.
            Some(l) if l.state == BindingState::Abandoned && holds_address(l, secs(now)) => false,
            Some(l) if holds_address(l, secs(now)) => l.belongs_to(&c.key),
            _ => self.holds.get(&a).is_some_and(|h| h.key == c.key) || st.pool.is_available(a),
        }
    }

    /// RFC 2131 §4.3.1 address choice for an offer.
    fn choose(&mut self, now: Millis, si: usize, req: &Repr, c: &Client) -> Option<Ipv4Addr> {
        if let Some(ri) = self.reservation(si, c) {
            let a = self.cfg.scopes.get(si)?.reservations.get(ri)?.addr;
            return self.allowed(now, si, a, c).then_some(a);
        }
        let current = self
            .leases
            .of_client(&c.key)
            .map(|l| (l.addr, holds_address(l, secs(now))));
        if let Some((a, true)) = current {
            if self.allowed(now, si, a, c) {
                return Some(a);
            }
        }
        if let Some(&a) = self.hold_of.get(&c.key) {
            if self.allowed(now, si, a, c) {
                return Some(a);
            }
        }
        if let Some(a) = req.requested_ip() {
            if self.allowed(now, si, a, c) {
                return Some(a);
            }
        }
        if let Some((a, false)) = current {
            if self.allowed(now, si, a, c) {
                return Some(a);
            }
        }
        // The bitmap is authoritative, so the first free bit is usable; the bound only guards
        // against a bookkeeping bug turning into an endless loop.
        for _ in 0..4 {
            let Some(a) = self.scopes.get_mut(si)?.pool.next_free() else {
                break;
            };
            if self.allowed(now, si, a, c) {
                return Some(a);
            }
            self.scopes.get_mut(si)?.pool.take(a);
        }
        self.steal_oldest_hold(now, si, c)
    }

    /// Offers are soft: when only held addresses are left, a new client takes the one whose
    /// hold is oldest, so a burst of DISCOVERs from made-up MACs cannot lock the pool.
    fn steal_oldest_hold(&mut self, now: Millis, si: usize, c: &Client) -> Option<Ipv4Addr> {
        let scope = self.cfg.scopes.get(si)?;
        let (&a, h) = self
            .holds
            .iter()
            .filter(|(a, h)| h.key != c.key && scope.contains(**a))
            .min_by_key(|(_, h)| h.until)?;
        let key = h.key.clone();
        self.holds.remove(&a);
        self.hold_of.remove(&key);
        self.pool_give_back(a);
        debug!("pool exhausted: offer of {a} to another client withdrawn");
        Some(a).filter(|&a| self.allowed(now, si, a, c))
    }

    fn hold(&mut self, now: Millis, si: usize, a: Ipv4Addr, key: &ClientKey) {
        if let Some(old) = self.hold_of.get(key).copied() {
            if old != a {
                self.holds.remove(&old);
                self.recheck.push(old);
            }
        }
        let until = now + u64::from(self.cfg.server.offer_hold) * 1000;
        // The client's own lease keeps `a` past the hold: a hold would add nothing but work
        // (two map entries, a timer, and later a look) on every DISCOVER of a bound client,
        // the most common DISCOVER there is.
        // (An active lease ending at or after `until` holds its address: `holds_address`.)
        let own = self.leases.get(a).is_some_and(|l| {
            l.state == BindingState::Active
                && l.belongs_to(key)
                && l.end().saturating_mul(1000) >= until
        });
        if own {
            // Any earlier hold of this client's ends (another address's was withdrawn above).
            if let Some(old) = self.hold_of.remove(key) {
                self.holds.remove(&old);
            }
            return;
        }
        let before = self.deadline(a, now);
        self.holds.insert(
            a,
            Hold {
                key: key.clone(),
                until,
            },
        );
        self.hold_of.insert(key.clone(), a);
        self.arm(a, until, before);
        self.pool_take(si, a);
    }

    /// Withdraw the client's offer. Its address gets a look at the next `on_timeout` (back to
    /// the pool if nothing else keeps it), unless it is `taking`, the address the caller is
    /// about to bind or quarantine itself: then there is nothing to look at, and skipping it
    /// keeps `recheck` from growing with every ACK of a busy turn.
    fn drop_hold_of(&mut self, key: &ClientKey, taking: Option<Ipv4Addr>) {
        if let Some(a) = self.hold_of.remove(key) {
            self.holds.remove(&a);
            if taking != Some(a) {
                self.recheck.push(a);
            }
        }
    }

    fn discover(
        &mut self,
        now: Millis,
        ing: &Ingress,
        req: &Repr,
        si: usize,
        c: &Client,
        sid: Ipv4Addr,
    ) -> Outcome {
        let Some(a) = self.choose(now, si, req, c) else {
            return self.scope_full(si, ev::EVENT_SERVER_SCOPE_FULL, c);
        };
        self.hold(now, si, a, &c.key);
        self.stats.offers += 1;
        let (lt, _) = self.fo_lease_time(si, self.lease_time(si, req), a, &c.key, now);
        let reply = self.build(MessageType::Offer, req, si, a, Some(lt), sid, c);
        info!(
            "{}({}) {} {}",
            MessageType::Offer.name(),
            ing.ifname,
            a,
            c.mac()
        );
        Outcome {
            reply: Some(reply),
            records: Vec::new(),
        }
    }

    fn scope_full(&mut self, si: usize, id: u16, c: &Client) -> Outcome {
        let name = self
            .cfg
            .scopes
            .get(si)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        if let Some(st) = self.scopes.get_mut(si) {
            if !st.full_warned {
                st.full_warned = true;
                events::emit(Level::Warn, id, &[&name]);
            }
        }
        debug!("no address for {} in scope {name}", c.mac());
        self.drop_("scope full")
    }

    /// RFC 2131 §4.3.2: SELECTING (server id present), INIT-REBOOT (requested address, no
    /// ciaddr), RENEWING (ciaddr, unicast) or REBINDING (ciaddr, broadcast).
    fn request(
        &mut self,
        now: Millis,
        ing: &Ingress,
        req: &Repr,
        si: usize,
        c: &Client,
        sid: Ipv4Addr,
    ) -> Outcome {
        let (a, phase) = if let Some(s) = req.server_id() {
            if s != sid {
                // The client chose another server: our offer is free again.
                self.drop_hold_of(&c.key, None);
                return self.drop_("client selected another server");
            }
            match req
                .requested_ip()
                .or((!req.ciaddr.is_unspecified()).then_some(req.ciaddr))
            {
                Some(a) => (a, "selecting"),
                None => return self.drop_("SELECTING request without requested address"),
            }
        } else if let Some(a) = req.requested_ip().filter(|_| req.ciaddr.is_unspecified()) {
            (a, "init-reboot")
        } else if !req.ciaddr.is_unspecified() {
            (
                req.ciaddr,
                if ing.broadcast {
                    "rebinding"
                } else {
                    "renewing"
                },
            )
        } else {
            return self.drop_("REQUEST without an address");
        };

        let in_scope = self.cfg.scopes.get(si).is_some_and(|s| s.contains(a));
        if !in_scope {
            // Wrong network for this link: the client moved (RFC 2131 §4.3.2 INIT-REBOOT).
            return self.nak(ing, req, sid, c, a, "address not on this network");
        }
        if phase != "selecting" {
            // Outside SELECTING, only answer for bindings we know (RFC 2131 §4.3.2: "if the
            // server has no record of this client, then it MUST remain silent").
            let known = self.leases.get(a).is_some_and(|l| l.belongs_to(&c.key))
                || self.holds.get(&a).is_some_and(|h| h.key == c.key);
            if !known {
                let taken = self
                    .leases
                    .get(a)
                    .is_some_and(|l| holds_address(l, secs(now)));
                if taken || (self.cfg.server.authoritative && !self.allowed(now, si, a, c)) {
                    return self.nak(ing, req, sid, c, a, "address belongs to another client");
                }
                return self.drop_("no record of this client");
            }
        }
        if !self.allowed(now, si, a, c) {
            return self.nak(ing, req, sid, c, a, "address not available to this client");
        }
        let desired = self.lease_time(si, req);
        let records = self.bind(now, si, a, c, req, desired);
        // The time actually granted (MCLT may have shortened it).
        let lt = self.leases.get(a).map_or(desired, |l| {
            u32::try_from(l.end().saturating_sub(l.start())).unwrap_or(u32::MAX)
        });
        self.stats.acks += 1;
        let reply = self.build(MessageType::Ack, req, si, a, Some(lt), sid, c);
        info!(
            "{}({}) {} {} {}",
            MessageType::Ack.name(),
            ing.ifname,
            a,
            c.mac(),
            phase
        );
        Outcome {
            reply: Some(reply),
            records,
        }
    }

    fn lease_time(&self, si: usize, req: &Repr) -> u32 {
        let base = self
            .cfg
            .scopes
            .get(si)
            .map(|s| s.lease_time)
            .unwrap_or(3600);
        // A client may ask for a shorter lease (RFC 2131 §4.3.1), never a longer one.
        let asked = req
            .option(opt::LEASE_TIME)
            .and_then(|d| <[u8; 4]>::try_from(d).ok())
            .map(u32::from_be_bytes);
        asked.map_or(base, |x| x.clamp(60, base))
    }

    /// Bind `a` to the client, returning the journal records.
    fn bind(
        &mut self,
        now: Millis,
        si: usize,
        a: Ipv4Addr,
        c: &Client,
        req: &Repr,
        lt: u32,
    ) -> Vec<Record> {
        let now_s = secs(now);
        let before = self.deadline(a, now);
        let mut records = Vec::with_capacity(2);
        // One binding per client per scope: a client that moved gives its old address back.
        if let Some(old) = self.leases.of_client(&c.key) {
            if old.addr != a
                && old.state == BindingState::Active
                && self.scope_of(old.addr) == Some(si)
            {
                let mut o = old.clone();
                o.state = BindingState::Released;
                o.set_end(now_s);
                let oa = o.addr;
                records.push(Record::LeaseUpsert(o.clone()));
                self.leases.upsert(o);
                self.pool_give_back(oa);
            }
        }
        self.drop_hold_of(&c.key, Some(a));
        self.holds.remove(&a);
        let prev = self.leases.get(a).cloned();
        let mut l = prev.unwrap_or_else(|| Lease::free(a));
        l.state = BindingState::Active;
        l.set_ids(c.client_id, req.hostname().unwrap_or_default());
        l.htype = c.htype;
        l.chaddr = HwAddr::new(c.chaddr);
        let (given, pet) = self.fo_lease_time(si, lt, a, &c.key, now);
        l.set_start(now_s);
        l.set_end(if given == u32::MAX {
            INFINITE
        } else {
            now_s + u64::from(given)
        });
        l.set_cltt(now_s);
        if pet > 0 {
            l.set_sent_end(pet);
        }
        self.arm(a, l.end().saturating_mul(1000), before);
        self.pool_take(si, a);
        for r in &records {
            if let Record::LeaseUpsert(old) = r {
                self.fo_lease_changed(old, now);
            }
        }
        self.fo_lease_changed(&l, now);
        records.push(Record::LeaseUpsert(l.clone()));
        self.leases.upsert(l);
        records
    }

    fn nak(
        &mut self,
        ing: &Ingress,
        req: &Repr,
        sid: Ipv4Addr,
        c: &Client,
        a: Ipv4Addr,
        why: &str,
    ) -> Outcome {
        self.stats.naks += 1;
        events::emit(Level::Info, ev::EVENT_SERVER_LEASE_NACK, &[&a, &c.mac()]);
        info!(
            "{}({}) {} {} {why}",
            MessageType::Nak.name(),
            ing.ifname,
            a,
            c.mac()
        );
        let mut r = Repr::reply_to(req);
        r.set_option(opt::MESSAGE_TYPE, [MessageType::Nak.to_u8()]);
        r.set_option(opt::SERVER_ID, sid.octets());
        r.set_option(opt::MESSAGE, why.as_bytes());
        if !req.giaddr.is_unspecified() {
            // RFC 2131 §4.3.2: a NAK through a relay asks it to broadcast.
            r.flags |= crate::wire::dhcpv4::FLAG_BROADCAST;
        }
        if let Some(ri) = req.relay_agent_info() {
            r.set_option(opt::RELAY_AGENT_INFO, ri);
        }
        Outcome {
            reply: Some(Reply {
                dest: destination(req, Some(MessageType::Nak), Ipv4Addr::UNSPECIFIED),
                max_len: max_len(req),
                repr: r,
            }),
            records: Vec::new(),
        }
    }

    fn decline(
        &mut self,
        now: Millis,
        ing: &Ingress,
        req: &Repr,
        c: &Client,
        sid: Ipv4Addr,
    ) -> Outcome {
        if req.server_id().is_some_and(|s| s != sid) {
            return self.drop_("DECLINE for another server");
        }
        let Some(a) = req.requested_ip() else {
            return self.drop_("DECLINE without requested address");
        };
        let ours = self.leases.get(a).is_some_and(|l| l.belongs_to(&c.key))
            || self.holds.get(&a).is_some_and(|h| h.key == c.key);
        if !ours {
            return self.drop_("DECLINE for an address not bound to this client");
        }
        let now_s = secs(now);
        let before = self.deadline(a, now);
        self.drop_hold_of(&c.key, Some(a));
        let mut l = self
            .leases
            .get(a)
            .cloned()
            .unwrap_or_else(|| Lease::free(a));
        // Keep who declined it for the operator, but no client owns a quarantined address.
        l.state = BindingState::Abandoned;
        l.set_start(now_s);
        l.set_end(now_s + u64::from(self.cfg.server.decline_quarantine));
        l.set_cltt(now_s);
        l.set_client_id(&[]);
        l.chaddr = HwAddr::new(c.chaddr);
        l.htype = c.htype;
        self.arm(a, l.end().saturating_mul(1000), before);
        if let Some(si) = self.scope_of(a) {
            self.pool_take(si, a);
        }
        self.stats.declines += 1;
        events::emit(
            Level::Warn,
            ev::EVENT_SERVER_LEASE_DECLINED,
            &[&a, &c.mac()],
        );
        info!(
            "{}({}) {} {}",
            MessageType::Decline.name(),
            ing.ifname,
            a,
            c.mac()
        );
        let rec = Record::LeaseUpsert(l.clone());
        self.fo_lease_changed(&l, now);
        self.leases.upsert(l);
        Outcome {
            reply: None,
            records: vec![rec],
        }
    }

    fn release(
        &mut self,
        now: Millis,
        ing: &Ingress,
        req: &Repr,
        c: &Client,
        sid: Ipv4Addr,
    ) -> Outcome {
        if req.server_id().is_some_and(|s| s != sid) {
            return self.drop_("RELEASE for another server");
        }
        let a = req.ciaddr;
        let Some(l) = self
            .leases
            .get(a)
            .filter(|l| l.belongs_to(&c.key) && l.state == BindingState::Active)
        else {
            return self.drop_("RELEASE for an address not bound to this client");
        };
        let mut l = l.clone();
        let now_s = secs(now);
        l.state = BindingState::Released;
        l.set_end(now_s);
        l.set_cltt(now_s);
        self.stats.releases += 1;
        events::emit(Level::Info, ev::EVENT_SERVER_LEASE_RELEASE, &[&a, &c.mac()]);
        info!(
            "{}({}) {} {}",
            MessageType::Release.name(),
            ing.ifname,
            a,
            c.mac()
        );
        let rec = Record::LeaseUpsert(l.clone());
        let in_failover = self
            .scope_of(a)
            .and_then(|si| self.rel_of_scope(si))
            .is_some();
        self.fo_lease_changed(&l, now);
        self.leases.upsert(l);
        if !in_failover {
            // With a partner the address returns to the pool when the partner acknowledges
            // the release (draft-12 §5.11, `fo_acked`).
            self.pool_give_back(a);
        }
        Outcome {
            reply: None,
            records: vec![rec],
        }
    }

    /// RFC 2131 §4.3.5: configuration only, no lease, no yiaddr, no lease time.
    fn inform(
        &mut self,
        ing: &Ingress,
        req: &Repr,
        si: usize,
        c: &Client,
        sid: Ipv4Addr,
    ) -> Outcome {
        self.stats.informs += 1;
        let mut reply = self.build(
            MessageType::Ack,
            req,
            si,
            Ipv4Addr::UNSPECIFIED,
            None,
            sid,
            c,
        );
        reply.repr.ciaddr = req.ciaddr;
        if req.giaddr.is_unspecified() && req.ciaddr.is_unspecified() {
            reply.dest = Dest::Unicast(ing.src);
        }
        info!(
            "{}({}) {} {} inform",
            MessageType::Ack.name(),
            ing.ifname,
            req.ciaddr,
            c.mac()
        );
        Outcome {
            reply: Some(reply),
            records: Vec::new(),
        }
    }

    /// RFC 951 BOOTP: reservations always, dynamic clients only when `dynamic-bootp` is on,
    /// with an infinite lease (RFC 1534 §2).
    fn bootp(
        &mut self,
        now: Millis,
        ing: &Ingress,
        req: &Repr,
        si: usize,
        c: &Client,
        sid: Ipv4Addr,
    ) -> Outcome {
        let a = if let Some(ri) = self.reservation(si, c) {
            self.cfg
                .scopes
                .get(si)
                .and_then(|s| s.reservations.get(ri))
                .map(|r| r.addr)
        } else if self.cfg.server.dynamic_bootp {
            match self
                .leases
                .of_client(&c.key)
                .filter(|l| holds_address(l, secs(now)))
                .map(|l| l.addr)
            {
                Some(a) => Some(a),
                None => {
                    let Some(a) = self.choose(now, si, req, c) else {
                        return self.scope_full(si, ev::EVENT_SERVER_BOOTP_FULL, c);
                    };
                    Some(a)
                }
            }
        } else {
            None
        };
        let Some(a) = a else {
            return self.drop_("BOOTP client without reservation");
        };
        let records = self.bind(now, si, a, c, req, u32::MAX);
        self.stats.bootp += 1;
        let mut reply = self.build(MessageType::Other(0), req, si, a, None, sid, c);
        reply.repr.remove_option(opt::MESSAGE_TYPE);
        info!("BOOTREPLY({}) {} {}", ing.ifname, a, c.mac());
        Outcome {
            reply: Some(reply),
            records,
        }
    }

    /// OFFER/ACK (and BOOTREPLY) with options in layers server < scope < reservation.
    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        kind: MessageType,
        req: &Repr,
        si: usize,
        yiaddr: Ipv4Addr,
        lt: Option<u32>,
        sid: Ipv4Addr,
        c: &Client,
    ) -> Reply {
        let mut r = Repr::reply_to(req);
        r.yiaddr = yiaddr;
        if kind == MessageType::Ack {
            r.ciaddr = req.ciaddr;
        }
        r.set_option(opt::MESSAGE_TYPE, [kind.to_u8()]);
        r.set_option(opt::SERVER_ID, sid.octets());
        if let Some(lt) = lt {
            let scope = self.cfg.scopes.get(si);
            let t1 = scope.and_then(|s| s.t1).unwrap_or(lt / 2).min(lt);
            let t2 = scope
                .and_then(|s| s.t2)
                .unwrap_or((lt as u64 * 7 / 8) as u32)
                .min(lt);
            r.set_option(opt::LEASE_TIME, lt.to_be_bytes());
            r.set_option(opt::RENEWAL_TIME, t1.to_be_bytes());
            r.set_option(opt::REBINDING_TIME, t2.to_be_bytes());
        }
        let empty = Vec::new();
        let scope = self.cfg.scopes.get(si);
        let res = self
            .reservation(si, c)
            .and_then(|ri| scope?.reservations.get(ri));
        if let Some(s) = scope {
            r.siaddr = s.next_server.unwrap_or(Ipv4Addr::UNSPECIFIED);
            let file = res
                .and_then(|x| x.boot_file.as_ref())
                .or(s.boot_file.as_ref());
            if let Some(f) = file {
                r.file = f.as_bytes().to_vec();
            }
            let layers = OptionLayers {
                layers: [
                    &self.cfg.options,
                    &s.options,
                    res.map_or(&empty, |x| &x.options),
                ],
                netmask: s.netmask(),
            };
            let prl = if req.has_cookie {
                req.parameter_request_list()
            } else {
                &[]
            };
            layers.append_to(&mut r, prl);
        }
        if let Some(ri) = req.relay_agent_info() {
            // RFC 3046 §2.2: echo option 82 unchanged, last.
            r.set_option(opt::RELAY_AGENT_INFO, ri);
        }
        Reply {
            dest: destination(req, Some(kind), yiaddr),
            max_len: max_len(req),
            repr: r,
        }
    }
}

/// Give back most of a map's room once it is 7/8 empty: hash maps never shrink by
/// themselves, and a burst of offers nobody took up (a DISCOVER flood) would otherwise keep
/// its peak for good. The map is left at twice its size, so shrinking again takes another
/// fourfold drop: amortized against the inserts that filled it.
fn shrink_sparse<K: Eq + std::hash::Hash, V>(m: &mut HashMap<K, V>) {
    if m.capacity() > 256 && m.len() * 8 < m.capacity() {
        m.shrink_to(m.len() * 2);
    }
}

/// Heap size for the next `dedup_timers`: a quarter more than now, and not before a floor
/// (below which duplicates cost too little to bother).
fn next_dedup(len: usize) -> usize {
    len + len / 4 + 1024
}

fn low(used: u32, size: u32, threshold: u8) -> bool {
    size > 0 && u64::from(used) * 100 >= u64::from(size) * u64::from(threshold)
}

fn ip4(d: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(d).ok().map(Ipv4Addr::from)
}

#[cfg(test)]
mod tests;
