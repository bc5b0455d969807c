//! Failover inside the DHCP core (pure): which scopes belong to which relationship, what the
//! current failover state lets us serve, MCLT-capped lease times, binding updates in both
//! directions and the primary's pool balancing. The `Partner` state machine lives in
//! `crate::failover`; this is the glue between it and the lease table.

use core::net::Ipv4Addr;

use log::{debug, info};

use super::Server;
use crate::config::{FoMode, FoRole, Relationship};
use crate::failover::binding::{self, accept_update, reason};
use crate::failover::state::ServerState;
use crate::failover::{Inbound, Mode, Partner, Role, Service, Settings};
use crate::journal::{FailoverStateRec, Record};
use crate::lease::pool::Owner;
use crate::lease::table::holds_address;
use crate::lease::{BindingState, ClientKey, Lease};
use crate::time::{secs, Millis, Secs};

/// Addresses handed to the secondary in one balancing pass (the rest follow on the next).
const BALANCE_BATCH: usize = 1000;
/// Pool balancing period (ISC: between min-balance 60 s and max-balance 3600 s); a pass that
/// moved a full batch comes back sooner.
const BALANCE_EVERY_MS: Millis = 60_000;
const BALANCE_AGAIN_MS: Millis = 2_000;

/// Update-queue places a resend leaves to live lease changes.
const RESEND_HEADROOM: usize = 1024;

/// One relationship: its config, its state machine and the scopes it covers.
pub struct FoRel {
    pub cfg: Relationship,
    pub partner: Partner,
    /// Indexes into the config's scopes.
    pub scopes: Vec<usize>,
    /// Next pool-balancing pass (primary in NORMAL).
    next_balance: Millis,
    /// A resend in progress: addresses still to offer to the queue (popped from the end) and
    /// whether every binding goes (UPDREQALL) or only the ones the partner lacks.
    resend: Vec<Ipv4Addr>,
    resend_all: bool,
    /// Set from the request until the list is used up (an empty list finishes at once).
    resending: bool,
}

/// The core's settings for a configured relationship.
pub fn settings(r: &Relationship) -> Settings {
    let role = match r.role {
        FoRole::Primary => Role::Primary,
        FoRole::Secondary => Role::Secondary,
    };
    let mut s = Settings::new(&r.name, role);
    s.mode = match r.mode {
        FoMode::LoadBalance { percent } => Mode::LoadBalance { percent },
        FoMode::HotStandby { reserve_percent } => Mode::HotStandby { reserve_percent },
    };
    s.mclt = r.mclt;
    s.max_response_delay = r.max_response_delay;
    s.max_unacked = r.max_unacked_updates;
    s.auto_partner_down = r.auto_partner_down;
    s.secret = r.shared_secret.clone();
    s.load_balance_max_secs = r.load_balance_max_secs;
    s
}

/// The hash key of RFC 3074: client identifier if sent, else chaddr (hlen bytes).
pub fn hash_key<'a>(client_id: &'a [u8], chaddr: &'a [u8]) -> &'a [u8] {
    if client_id.is_empty() {
        chaddr
    } else {
        client_id
    }
}

impl Server {
    /// Create the relationships' state machines, resuming their journaled states.
    pub(super) fn build_failover(&mut self, saved: &[FailoverStateRec], now: Millis) {
        self.rels.clear();
        self.scope_rel = vec![None; self.cfg.scopes.len()];
        for (ri, r) in self.cfg.relationships.iter().enumerate() {
            let scopes: Vec<usize> = r
                .scopes
                .iter()
                .filter_map(|n| self.cfg.scopes.iter().position(|s| &s.name == n))
                .collect();
            for &si in &scopes {
                if let Some(slot) = self.scope_rel.get_mut(si) {
                    *slot = Some(ri);
                }
            }
            let rec = saved.iter().find(|f| f.relationship == r.name);
            let mut partner = Partner::new(settings(r), rec, now);
            partner.set_partner_label(&r.peer_address.to_string());
            self.rels.push(FoRel {
                cfg: r.clone(),
                partner,
                scopes,
                next_balance: now + BALANCE_EVERY_MS,
                resend: Vec::new(),
                resend_all: false,
                resending: false,
            });
        }
        for ri in 0..self.rels.len() {
            self.sync_owner(ri, now);
        }
    }

    pub fn fo_count(&self) -> usize {
        self.rels.len()
    }

    pub fn fo_config(&self, ri: usize) -> Option<&Relationship> {
        self.rels.get(ri).map(|r| &r.cfg)
    }

    /// The relationship of scope `si`, if any.
    pub(super) fn rel_of_scope(&self, si: usize) -> Option<usize> {
        self.scope_rel.get(si).copied().flatten()
    }

    /// The failover check before serving a request in scope `si`: `Err(why)` = stay silent.
    pub(super) fn fo_may_serve(
        &self,
        si: usize,
        discover: bool,
        key: &[u8],
        secs_field: u16,
    ) -> Result<(), &'static str> {
        let Some(rel) = self.rel_of_scope(si).and_then(|r| self.rels.get(r)) else {
            return Ok(());
        };
        let p = &rel.partner;
        match p.serving() {
            Service::None | Service::RenewOnly => Err("failover state serves no clients"),
            _ if discover && !p.serves_discover(key, secs_field) => {
                Err("load balanced to the partner")
            }
            _ => Ok(()),
        }
    }

    /// Lease time and the potential expiration time to tell the partner (draft-12 §7.1.5,
    /// ISC's MCLT rule): at most MCLT beyond what the partner has acknowledged.
    pub(super) fn fo_lease_time(
        &self,
        si: usize,
        desired: u32,
        a: Ipv4Addr,
        key: &ClientKey,
        now: Millis,
    ) -> (u32, Secs) {
        let Some(rel) = self.rel_of_scope(si).and_then(|r| self.rels.get(r)) else {
            return (desired, 0);
        };
        if desired == u32::MAX {
            // BOOTP's infinite lease: the partner must know it before anything else happens,
            // so the MCLT still bounds what we promise.
            return (
                rel.partner.mclt(),
                secs(now) + u64::from(rel.partner.mclt()),
            );
        }
        let now_s = secs(now);
        let tsfp = self
            .leases
            .get(a)
            .filter(|l| l.belongs_to(key))
            .map_or(0, |l| l.partner_end());
        let given = binding::lease_time(desired, rel.partner.mclt(), tsfp, now_s);
        (given, binding::pet(now_s, desired, given))
    }

    /// A lease in scope `si` changed: tell the partner.
    pub(super) fn fo_lease_changed(&mut self, lease: &Lease, now: Millis) {
        let Some(si) = self.scope_of(lease.addr) else {
            return;
        };
        let Some(ri) = self.rel_of_scope(si) else {
            return;
        };
        if let Some(rel) = self.rels.get_mut(ri) {
            rel.partner.queue_update(lease, now);
        }
    }

    /// Pool ownership follows the state: our own free addresses, or everything once the
    /// partner has been down for an MCLT (draft-12 §5.10). STOS is whole seconds, rounded
    /// down, so "more than since + MCLT" guarantees the full MCLT has passed.
    pub(super) fn sync_owner(&mut self, ri: usize, now: Millis) {
        let Some(rel) = self.rels.get(ri) else { return };
        let mine = match rel.partner.role() {
            Role::Primary => Owner::Primary,
            Role::Secondary => Owner::Secondary,
        };
        let owner = match rel.partner.serving() {
            Service::PartnerDown { since } if secs(now) > since + u64::from(rel.partner.mclt()) => {
                Owner::All
            }
            _ => mine,
        };
        let scopes = rel.scopes.clone();
        for si in scopes {
            if let Some(st) = self.scopes.get_mut(si) {
                st.pool.set_owner(owner);
            }
        }
    }

    /// Earliest failover deadline (timers of every relationship, and the PARTNER-DOWN + MCLT
    /// takeover moment).
    pub(super) fn fo_poll_at(&self, now: Millis) -> Option<Millis> {
        self.rels
            .iter()
            .flat_map(|r| {
                let takeover = match r.partner.serving() {
                    Service::PartnerDown { since } => {
                        Some((since + u64::from(r.partner.mclt()) + 1) * 1000).filter(|t| *t > now)
                    }
                    _ => None,
                };
                let primary_normal =
                    r.partner.role() == Role::Primary && r.partner.state() == ServerState::Normal;
                [
                    r.partner.poll_at(),
                    takeover,
                    primary_normal.then_some(r.next_balance),
                ]
            })
            .flatten()
            .min()
    }

    /// Failover timers; returns journal records.
    pub(super) fn fo_on_timeout(&mut self, now: Millis) -> Vec<Record> {
        let mut records = Vec::new();
        for ri in 0..self.rels.len() {
            if let Some(rel) = self.rels.get_mut(ri) {
                rel.partner.on_timeout(now);
            }
            self.fo_drain(ri, now, Vec::new(), &mut records);
            if self.rels.get(ri).is_some_and(|r| r.next_balance <= now) {
                let moved = self.balance(ri, now, &mut records);
                if let Some(rel) = self.rels.get_mut(ri) {
                    let full = moved as usize >= BALANCE_BATCH;
                    rel.next_balance = now
                        + if full {
                            BALANCE_AGAIN_MS
                        } else {
                            BALANCE_EVERY_MS
                        };
                }
            }
        }
        records
    }

    /// TCP to the partner is up.
    pub fn fo_connected(&mut self, ri: usize, now: Millis) -> Vec<Record> {
        let mut records = Vec::new();
        if let Some(rel) = self.rels.get_mut(ri) {
            rel.partner.connected(now);
        }
        self.fo_drain(ri, now, Vec::new(), &mut records);
        records
    }

    /// TCP to the partner is gone.
    pub fn fo_disconnected(&mut self, ri: usize, now: Millis) -> Vec<Record> {
        let mut records = Vec::new();
        if let Some(rel) = self.rels.get_mut(ri) {
            rel.partner.disconnected(now);
        }
        self.fo_drain(ri, now, Vec::new(), &mut records);
        records
    }

    /// One whole framed message from the partner; returns the records to journal before any
    /// of the resulting output (BNDACKs) is written.
    pub fn fo_receive(&mut self, ri: usize, now: Millis, bytes: &[u8]) -> Vec<Record> {
        let mut records = Vec::new();
        let inbound = match self.rels.get_mut(ri) {
            Some(rel) => rel.partner.receive(now, bytes),
            None => return records,
        };
        self.fo_drain(ri, now, inbound, &mut records);
        records
    }

    /// Messages to write to the partner (after the journal commit).
    pub fn fo_take_output(&mut self, ri: usize) -> Vec<Vec<u8>> {
        self.rels
            .get_mut(ri)
            .map(|r| r.partner.take_output())
            .unwrap_or_default()
    }

    /// Some relationship has updates waiting behind a full window (or a resend under way):
    /// its BNDUPDs should leave as soon as the window opens, not with the next commit.
    pub fn fo_backlogged(&self) -> bool {
        self.rels
            .iter()
            .any(|r| r.resending || r.partner.updates_waiting())
    }

    /// The core wants the connection dropped.
    pub fn fo_take_close(&mut self, ri: usize) -> Option<String> {
        self.rels.get_mut(ri).and_then(|r| r.partner.take_close())
    }

    /// Work everything the partner produced until it is quiet.
    fn fo_drain(
        &mut self,
        ri: usize,
        now: Millis,
        mut inbound: Vec<Inbound>,
        records: &mut Vec<Record>,
    ) {
        // Bounded: each round handles what the previous produced; a few rounds suffice.
        for _ in 0..8 {
            if let Some(rel) = self.rels.get_mut(ri) {
                inbound.extend(rel.partner.take_inbound());
            }
            if inbound.is_empty() {
                break;
            }
            for ev in std::mem::take(&mut inbound) {
                self.fo_handle(ri, now, ev, records);
            }
        }
        self.fo_feed(ri, now);
        if let Some(rel) = self.rels.get_mut(ri) {
            if let Some(p) = rel.partner.take_persist() {
                records.push(Record::FailoverState(p));
            }
        }
        self.sync_owner(ri, now);
    }

    /// Moves the next part of a resend into the update queue, as far as it has room.
    fn fo_feed(&mut self, ri: usize, now: Millis) {
        let Some(rel) = self.rels.get_mut(ri) else {
            return;
        };
        if !rel.resending {
            return;
        }
        // Bounded by the list; each step either queues one update or skips one address. The
        // last RESEND_HEADROOM places stay free for the updates live traffic makes meanwhile.
        while rel.partner.queue_room() > RESEND_HEADROOM {
            let Some(a) = rel.resend.pop() else { break };
            let Some(l) = self.leases.get(a) else {
                continue;
            };
            if rel.resend_all || l.partner_end() < l.sent_end() || l.fo_flags != l.state as u8 {
                rel.partner.queue_update(l, now);
            }
        }
        if rel.resend.is_empty() {
            rel.resend = Vec::new();
            rel.resend_all = false;
            rel.resending = false;
            rel.partner.set_resend_pending(false);
        }
    }

    fn fo_handle(&mut self, ri: usize, now: Millis, ev: Inbound, records: &mut Vec<Record>) {
        match ev {
            Inbound::Binding { xid, lease } => self.fo_binding(ri, now, xid, lease, records),
            Inbound::Acked {
                addr,
                rejected: None,
            } => self.fo_acked(addr, records),
            Inbound::Acked {
                addr,
                rejected: Some((r, m)),
            } => debug!("partner rejected our update for {addr}: {r} {m}"),
            Inbound::SendAll { all } => {
                // Only the addresses are listed now; each binding is read and judged when its
                // turn comes (fo_feed), as the queue has room: a resend of more bindings than
                // the queue holds (UPDREQALL at 50k leases) used to overflow it and drop most.
                let Some(rel) = self.rels.get(ri) else { return };
                let scopes = rel.scopes.clone();
                let mut list: Vec<Ipv4Addr> = self
                    .leases
                    .iter()
                    .filter(|l| self.scope_of(l.addr).is_some_and(|s| scopes.contains(&s)))
                    .map(|l| l.addr)
                    .collect();
                list.sort_unstable_by(|a, b| b.cmp(a));
                info!(
                    "failover {}: resending {} bindings ({})",
                    rel.cfg.name,
                    list.len(),
                    if all {
                        "all"
                    } else {
                        "those the partner lacks"
                    }
                );
                if let Some(rel) = self.rels.get_mut(ri) {
                    // A request for everything widens one already under way.
                    rel.resend_all = all || (rel.resend_all && !rel.resend.is_empty());
                    rel.resend = list;
                    rel.resending = true;
                    rel.partner.set_resend_pending(true);
                }
                self.fo_feed(ri, now);
            }
            Inbound::PoolRequest => {
                let n = self.balance(ri, now, records);
                if let Some(rel) = self.rels.get_mut(ri) {
                    rel.partner.pool_response(n);
                }
            }
            Inbound::StateChanged { to, .. } => {
                self.sync_owner(ri, now);
                if to == ServerState::Normal {
                    self.balance(ri, now, records);
                }
            }
            Inbound::Connected => {}
        }
    }

    /// Apply a partner's BNDUPD (draft-12 §7.1.3 acceptance rules), then acknowledge it.
    fn fo_binding(
        &mut self,
        ri: usize,
        now: Millis,
        xid: u32,
        lease: Lease,
        records: &mut Vec<Record>,
    ) {
        let a = lease.addr;
        let in_rel = self
            .scope_of(a)
            .is_some_and(|si| self.rel_of_scope(si) == Some(ri));
        let Some(rel) = self.rels.get(ri) else { return };
        let verdict = if !in_rel {
            Err(binding::Reject::new(
                reason::ILLEGAL_ADDRESS,
                format!("{a}: not in a pool of this relationship"),
            ))
        } else {
            accept_update(
                self.leases.get(a),
                &lease,
                rel.partner.role(),
                rel.partner.state(),
                secs(now),
            )
        };
        let reject = match verdict {
            Ok(store) => {
                self.store_partner_binding(store, now, records);
                None
            }
            Err(r) => Some((r.reason, r.message)),
        };
        if let Some(rel) = self.rels.get_mut(ri) {
            rel.partner.ack(xid, a, reject);
        }
    }

    fn store_partner_binding(&mut self, store: Lease, now: Millis, records: &mut Vec<Record>) {
        let a = store.addr;
        let before = self.deadline(a, now);
        // Our offer of this address is void: the partner bound it.
        if let Some(h) = self.holds.remove(&a) {
            self.hold_of.remove(&h.key);
        }
        let si = self.scope_of(a);
        if let Some(st) = si.and_then(|si| self.scopes.get_mut(si)) {
            st.pool.set_backup(a, store.state == BindingState::Backup);
        }
        if holds_address(&store, secs(now)) {
            if let Some(si) = si {
                self.pool_take(si, a);
            }
            self.arm(a, store.end().saturating_mul(1000), before);
        } else {
            self.pool_give_back(a);
        }
        records.push(Record::LeaseUpsert(store.clone()));
        self.leases.upsert(store);
    }

    /// The partner acknowledged our update: it now knows the PET we sent, and a released or
    /// expired address returns to the free pool (draft-12 §5.11).
    fn fo_acked(&mut self, a: Ipv4Addr, records: &mut Vec<Record>) {
        let Some(l) = self.leases.get(a) else { return };
        let mut l = l.clone();
        l.set_partner_end(l.partner_end().max(l.sent_end()));
        l.fo_flags = l.state as u8;
        if matches!(
            l.state,
            BindingState::Expired | BindingState::Released | BindingState::Reset
        ) {
            l.state = BindingState::Free;
            l.fo_flags = BindingState::Free as u8;
            records.push(Record::LeaseUpsert(l.clone()));
            self.leases.upsert(l);
            self.pool_give_back(a);
            return;
        }
        // Not journaled: a lower `partner_end` after a restart only shortens the next lease.
        self.leases.upsert(l);
    }

    /// Primary in NORMAL: give the secondary its share of free addresses as BACKUP
    /// (draft-12 §5.4 pool balancing; the share is the mode's). Returns how many moved.
    fn balance(&mut self, ri: usize, now: Millis, records: &mut Vec<Record>) -> u32 {
        let Some(rel) = self.rels.get(ri) else {
            return 0;
        };
        if rel.partner.role() != Role::Primary || rel.partner.state() != ServerState::Normal {
            return 0;
        }
        let mode = rel.partner.settings().mode;
        let scopes = rel.scopes.clone();
        let now_s = secs(now);
        let mut moved = 0u32;
        for si in scopes {
            let Some(st) = self.scopes.get(si) else {
                continue;
            };
            let (free, backup) = st.pool.free_split();
            let target = mode.secondary_share((free + backup) as usize);
            let want = target.saturating_sub(backup as usize).min(BALANCE_BATCH);
            if want == 0 {
                continue;
            }
            let give = st.pool.free_not_backup(want);
            for a in give {
                if self.holds.contains_key(&a) {
                    continue;
                }
                let mut l = self
                    .leases
                    .get(a)
                    .cloned()
                    .unwrap_or_else(|| Lease::free(a));
                l.state = BindingState::Backup;
                l.set_start(now_s);
                l.set_end(0);
                if let Some(st) = self.scopes.get_mut(si) {
                    st.pool.set_backup(a, true);
                }
                records.push(Record::LeaseUpsert(l.clone()));
                if let Some(rel) = self.rels.get_mut(ri) {
                    rel.partner.queue_update(&l, now);
                }
                self.leases.upsert(l);
                moved += 1;
            }
        }
        if moved > 0 {
            info!(
                "failover {}: gave {moved} addresses to the secondary",
                self.rels.get(ri).map_or("", |r| r.cfg.name.as_str())
            );
        }
        moved
    }

    /// Every relationship's current state, for compaction (which rewrites the journal from
    /// the live state and must not forget where failover stood).
    pub fn failover_records(&self) -> Vec<FailoverStateRec> {
        self.rels.iter().map(|r| r.partner.state_record()).collect()
    }

    /// Operator view (control socket).
    pub fn failover_status(&self, now: Millis) -> Option<String> {
        if self.rels.is_empty() {
            return None;
        }
        let mut out = String::new();
        for r in &self.rels {
            let p = &r.partner;
            let ago = |t: Option<Millis>| {
                t.map_or("never".to_string(), |t| {
                    format!("{}s ago", now.saturating_sub(t) / 1000)
                })
            };
            out.push_str(&format!(
                "{} role={} local={} since={} partner={} connected={} queue={} dropped={} last-contact={} skew={} mclt={} resync={}\n",
                r.cfg.name,
                p.role().name(),
                p.state(),
                p.since(),
                p.partner_state().map_or("unknown".to_string(), |s| s.to_string()),
                p.is_connected(),
                p.queue_len(),
                p.dropped_updates(),
                ago(p.last_contact()),
                p.skew().map_or("-".to_string(), |s| format!("{s}s")),
                p.mclt(),
                if p.catching_up() { "yes" } else { "no" },
            ));
        }
        Some(out)
    }

    /// Operator command: declare the partner of relationship `name` down.
    pub fn force_partner_down(&mut self, name: &str, now: Millis) -> Result<Vec<Record>, String> {
        let ri = self
            .rels
            .iter()
            .position(|r| r.cfg.name == name)
            .ok_or_else(|| format!("no failover relationship named {name}"))?;
        if let Some(rel) = self.rels.get_mut(ri) {
            rel.partner.force_partner_down(now);
        }
        let mut records = Vec::new();
        self.fo_drain(ri, now, Vec::new(), &mut records);
        Ok(records)
    }
}
