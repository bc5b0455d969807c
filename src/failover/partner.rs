//! One failover relationship: connection handshake, state machine, binding-update flow and
//! timers, sans-IO (style.md §4: the boringtun two-peer shape).
//!
//! Call protocol for the integrator:
//! - TCP up (either direction): `connected(now)`; then every whole message from the
//!   `Deframer`: `receive(now, bytes)`; TCP gone: `disconnected(now)`.
//! - After every call: write `take_output()` in order, obey `take_close()` (drop the TCP and
//!   then call `disconnected`), journal `take_persist()`, act on `take_inbound()`.
//! - Timers: call `on_timeout(now)` when `poll_at()` is reached (earlier is harmless).
//! - BNDUPD received → `Inbound::Binding` → apply `accept_update`, store, then `ack(xid, ...)`.
//! - UPDREQ/UPDREQALL → `Inbound::SendAll` → `queue_update` each binding before the next
//!   `take_output`; the UPDDONE goes out once all of them are acked (digest §12).

use core::net::Ipv4Addr;

use log::{debug, info, warn};

use super::binding::{decode_bndupd, encode_bndupd, prefer_local, reason, Reject};
use super::loadbal::{bucket, Hba};
use super::state::{
    can_force_partner_down, on_comm_failed, on_partner_state, on_upd_done, Action, ServerState,
};
use super::update::{UpdateQueue, QUEUE_CAP};
use super::{auth, Inbound, Role, Service, Settings};
use crate::events::{self, id};
use crate::journal::FailoverStateRec;
use crate::lease::Lease;
use crate::time::{secs, Millis, Secs};
use crate::wire::failover::{code, Message, MessageType};

/// ISC stays 15 s in STARTUP unless the partner speaks first (digest §4.2).
const STARTUP_MS: Millis = 15_000;
/// Receive timer assumed when the partner did not send one (ISC's default, digest §9).
const DEFAULT_PARTNER_RT: u32 = 20;

/// Per-connection state; dropped with the TCP connection.
#[derive(Debug)]
struct Conn {
    /// CONNECT/CONNECTACK exchanged.
    established: bool,
    /// We asked the integrator to close; ignore further input.
    closing: bool,
    next_xid: u32,
    last_recv: Millis,
    last_send: Millis,
    partner_max_unacked: u32,
    partner_rt: u32,
    /// A partner STATE arrived on this connection (its state is current).
    got_state: bool,
    /// Our outstanding UPDREQ/UPDREQALL.
    update_req: Option<u32>,
    /// The partner's UPDREQ/UPDREQALL xid we owe an UPDDONE for.
    upddone_owed: Option<u32>,
    /// BNDUPD xids received and not yet acked (acks only go on their own connection).
    acks_owed: Vec<u32>,
    pool_req: Option<u32>,
}

impl Conn {
    fn new(now: Millis) -> Conn {
        Conn {
            established: false,
            closing: false,
            next_xid: 0,
            last_recv: now,
            last_send: now,
            partner_max_unacked: 1,
            partner_rt: DEFAULT_PARTNER_RT,
            got_state: false,
            update_req: None,
            upddone_owed: None,
            acks_owed: Vec::new(),
            pool_req: None,
        }
    }

    /// ISC starts every connection's xids at 0 (digest §1.2).
    fn xid(&mut self) -> u32 {
        let x = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1);
        x
    }

    /// CONTACT when nothing was sent for a third of the partner's receive timer (digest §9).
    fn contact_at(&self) -> Millis {
        self.last_send + (u64::from(self.partner_rt) * 1000 / 3).max(1000)
    }
}

/// One failover relationship (see the module docs for the call protocol).
#[derive(Debug)]
pub struct Partner {
    s: Settings,
    label: String,
    state: ServerState,
    /// State to resume after STARTUP (ISC's saved state) and when we entered it.
    prev: ServerState,
    prev_stos: Secs,
    stos: Secs,
    startup_until: Millis,
    partner_state: Option<ServerState>,
    partner_stos: Secs,
    partner_last_up: Secs,
    mclt: u32,
    hba: Hba,
    conn: Option<Conn>,
    updates: UpdateQueue,
    recover_wait_until: Option<Secs>,
    now: Millis,
    output: Vec<Vec<u8>>,
    close: Option<String>,
    persist: bool,
    inbound: Vec<Inbound>,
    skew: Option<i64>,
    last_contact: Option<Millis>,
    resync_needed: bool,
    /// Updates the full queue pushed out since start (each is resent by the resync); the
    /// event is logged once per overflow episode, so operators read the count here.
    dropped_updates: u64,
    /// The core is still feeding a requested resend (UPDREQ/UPDREQALL or our own resync)
    /// into the queue as room frees up: UPDDONE must wait for the end of it.
    resend_pending: bool,
}

impl Partner {
    /// Starts in STARTUP; the state to resume is the saved one, or RECOVER if we never talked
    /// to this partner (draft-12 §9.3.2, ISC `confpars.c`).
    pub fn new(s: Settings, saved: Option<&FailoverStateRec>, now: Millis) -> Partner {
        let prev = saved
            .and_then(|r| ServerState::from_u8(r.local_state))
            .filter(|s| *s != ServerState::Startup)
            .unwrap_or(ServerState::Recover);
        let hba = s.mode.hba();
        // A secondary resumes the primary's MCLT it had learned; the primary's is its own.
        let mclt = match (s.role, saved.map_or(0, |r| r.mclt)) {
            (Role::Secondary, m) if m > 0 => m,
            _ => s.mclt,
        };
        let p = Partner {
            label: "partner".to_string(),
            state: ServerState::Startup,
            prev,
            prev_stos: saved.map_or(secs(now), |r| r.since),
            stos: secs(now),
            startup_until: now + STARTUP_MS,
            partner_state: saved.and_then(|r| ServerState::from_u8(r.partner_state)),
            partner_stos: 0,
            partner_last_up: saved.map_or(0, |r| r.partner_last_up),
            mclt,
            hba,
            conn: None,
            updates: UpdateQueue::new(QUEUE_CAP),
            recover_wait_until: None,
            now,
            output: Vec::new(),
            close: None,
            persist: false,
            inbound: Vec::new(),
            skew: None,
            last_contact: None,
            resync_needed: false,
            dropped_updates: 0,
            resend_pending: false,
            s,
        };
        if saved.is_none() {
            events::emit(
                log::Level::Info,
                id::DHCPV4_CHANGE_FAILOVER_RELATION_STATE_NO_PREV_STATE,
                &[&p.s.role.name(), &p.s.name, &ServerState::Startup],
            );
        }
        p
    }

    /// How the partner is named in events (its address, set by the integrator).
    pub fn set_partner_label(&mut self, label: &str) {
        self.label = label.to_string();
    }

    // ----- connection edges -------------------------------------------------------------

    /// TCP connection up (either direction). The primary sends CONNECT on it, the secondary
    /// waits for one (ISC, digest §1.1).
    pub fn connected(&mut self, now: Millis) {
        self.now = now;
        if self.conn.is_some() {
            self.disconnected(now);
        }
        self.close = None;
        self.conn = Some(Conn::new(now));
        if self.s.role == Role::Primary {
            let xid = self.next_xid();
            let mut m = self.msg(MessageType::Connect, xid);
            // Exactly the 8 options ISC sends, in its order (digest §1.3, §2).
            m.set_bytes(code::RELATIONSHIP_NAME, self.s.name.as_bytes())
                .set_u32(code::MAX_UNACKED_BNDUPD, self.s.max_unacked)
                .set_u32(code::RECEIVE_TIMER, self.s.max_response_delay)
                .set_bytes(code::VENDOR_CLASS_IDENTIFIER, self.s.vendor.as_bytes())
                .set_u8(code::PROTOCOL_VERSION, 1)
                .set_u8(code::TLS_REQUEST, 0)
                .set_u32(code::MCLT, self.mclt)
                .set_bytes(code::HASH_BUCKET_ASSIGNMENT, &self.hba.0);
            self.send(m);
        }
    }

    /// TCP connection gone: the communications-failure transition (digest §4.3); un-acked
    /// BNDUPDs are kept and resent on the next connection.
    pub fn disconnected(&mut self, now: Millis) {
        self.now = now;
        let Some(conn) = self.conn.take() else {
            return;
        };
        if conn.established {
            self.partner_last_up = secs(now);
            events::emit(
                log::Level::Warn,
                id::DHCPV4_FAILOVER_COMM_DOWN,
                &[&self.label, &self.s.name],
            );
        }
        self.updates.requeue_in_flight();
        if self.state != ServerState::Startup {
            self.set_state(on_comm_failed(self.state));
        }
    }

    // ----- input --------------------------------------------------------------------------

    /// One whole framed message. Returns the work it produced (plus any from timers).
    pub fn receive(&mut self, now: Millis, bytes: &[u8]) -> Vec<Inbound> {
        self.now = now;
        let Some(conn) = self.conn.as_mut() else {
            return self.take_inbound();
        };
        if conn.closing {
            return self.take_inbound();
        }
        conn.last_recv = now;
        self.last_contact = Some(now);
        let msg = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.close_with(format!("malformed message: {e}"));
                return self.take_inbound();
            }
        };
        if !self.authentic(&msg, bytes) || !self.in_time(&msg) {
            return self.take_inbound();
        }
        let established = self.conn.as_ref().is_some_and(|c| c.established);
        debug!(
            "failover {}: received {} xid {}",
            self.s.name, msg.msg_type, msg.xid
        );
        match msg.msg_type {
            MessageType::Connect => self.on_connect(&msg),
            MessageType::ConnectAck => self.on_connect_ack(&msg),
            MessageType::Unknown(t) if t >= 128 => {
                debug!(
                    "failover {}: ignoring optional message type {t}",
                    self.s.name
                )
            }
            // draft-12 §6.1: unknown mandatory types close the connection.
            MessageType::Unknown(t) => self.close_with(format!("unknown message type {t}")),
            t if !established => self.close_with(format!("{t} before CONNECT/CONNECTACK")),
            MessageType::State => self.on_state(&msg),
            MessageType::Contact => {}
            MessageType::UpdReqAll | MessageType::UpdReq => {
                let all = msg.msg_type == MessageType::UpdReqAll;
                if let Some(c) = self.conn.as_mut() {
                    c.upddone_owed = Some(msg.xid);
                }
                self.inbound.push(Inbound::SendAll { all });
            }
            MessageType::UpdDone => self.on_upd_done(&msg),
            MessageType::BndUpd => self.on_bndupd(&msg),
            MessageType::BndAck => self.on_bndack(&msg),
            MessageType::PoolReq => self.on_pool_req(&msg),
            MessageType::PoolResp => info!(
                "failover {}: partner transferred {} addresses",
                self.s.name,
                msg.u32(code::ADDRESSES_TRANSFERRED).unwrap_or(0)
            ),
            MessageType::Disconnect => {
                let r = msg.u8(code::REJECT_REASON).unwrap_or(0);
                let text = text(&msg);
                self.close_with(format!("partner disconnected: reason {r} {text}"));
            }
        }
        self.pump();
        self.take_inbound()
    }

    /// Message authentication (digest §10): any failure closes the connection.
    fn authentic(&mut self, msg: &Message, bytes: &[u8]) -> bool {
        let v = auth::verify(bytes, self.s.secret.as_deref());
        if v == auth::Verdict::Ok {
            return true;
        }
        if let Some(ev) = auth::event_id(msg.msg_type, v) {
            events::emit(log::Level::Error, ev, &[&self.label, &self.s.name]);
        }
        self.close_with(format!("{} rejected: message digest {v:?}", msg.msg_type));
        false
    }

    /// Time skew (digest §10, Microsoft: checked on every message; ISC: CONNECT reject 4).
    fn in_time(&mut self, msg: &Message) -> bool {
        let skew = i64::from(msg.time) - secs(self.now) as i64;
        self.skew = Some(skew);
        if self.s.max_skew == 0 || skew.unsigned_abs() <= u64::from(self.s.max_skew) {
            return true;
        }
        events::emit(
            log::Level::Error,
            id::DHCPV4_FAILOVER_SERVER_TIME_SYNC,
            &[&self.label, &self.s.name, &skew.unsigned_abs()],
        );
        if msg.msg_type == MessageType::Connect && self.s.role == Role::Secondary {
            self.connect_reject(msg.xid, reason::TIME_MISMATCH, "time mismatch too great");
        }
        self.close_with(format!("clocks differ by {skew} s"));
        false
    }

    /// CONNECT on the secondary (draft-12 §7.8; ISC checks, digest §12).
    fn on_connect(&mut self, m: &Message) {
        let rej = |r, t: &str| Some((r, t.to_string()));
        let duplicate = self.conn.as_ref().is_some_and(|c| c.established);
        let hba = m
            .get(code::HASH_BUCKET_ASSIGNMENT)
            .and_then(Hba::from_bytes);
        let mclt = m.u32(code::MCLT).filter(|&v| v > 0);
        let problem = if self.s.role == Role::Primary {
            rej(reason::INVALID_PARTNER, "both servers are primary")
        } else if duplicate {
            rej(reason::DUPLICATE_CONNECTION, "duplicate connection")
        } else if m.get(code::RELATIONSHIP_NAME) != Some(self.s.name.as_bytes()) {
            rej(reason::INVALID_PARTNER, "unknown relationship name")
        } else if m.u8(code::PROTOCOL_VERSION).is_some_and(|v| v != 1) {
            rej(reason::VERSION_MISMATCH, "protocol version mismatch")
        } else if mclt.is_none() {
            rej(reason::INVALID_MCLT, "missing MCLT")
        } else if hba.is_none() {
            rej(
                reason::HBA_CONFLICT,
                "hash bucket assignment must be 32 bytes",
            )
        } else {
            None
        };
        if let Some((r, text)) = problem {
            self.connect_reject(m.xid, r, &text);
            self.close_with(format!("CONNECT rejected: {text} (reason {r})"));
            return;
        }
        // ISC secondary adopts MCLT and HBA from the primary (digest §6, §7).
        let learned = mclt.unwrap_or(self.mclt);
        if learned != self.mclt {
            self.mclt = learned;
            self.persist = true;
        }
        self.hba = hba.unwrap_or(self.hba);
        self.learn_partner(m);
        let mut ack = self.msg(MessageType::ConnectAck, m.xid);
        ack.set_bytes(code::RELATIONSHIP_NAME, self.s.name.as_bytes())
            .set_u32(code::MAX_UNACKED_BNDUPD, self.s.max_unacked)
            .set_u32(code::RECEIVE_TIMER, self.s.max_response_delay)
            .set_bytes(code::VENDOR_CLASS_IDENTIFIER, self.s.vendor.as_bytes())
            .set_u8(code::PROTOCOL_VERSION, 1)
            .set_u8(code::TLS_REPLY, 0);
        self.send(ack);
        self.established();
    }

    fn connect_reject(&mut self, xid: u32, r: u8, text: &str) {
        let mut ack = self.msg(MessageType::ConnectAck, xid);
        ack.set_bytes(code::RELATIONSHIP_NAME, self.s.name.as_bytes())
            .set_u8(code::PROTOCOL_VERSION, 1)
            .set_u8(code::TLS_REPLY, 0)
            .set_u8(code::REJECT_REASON, r)
            .set_bytes(code::MESSAGE, text.as_bytes());
        self.send(ack);
    }

    /// CONNECTACK on the primary; problems answered with DISCONNECT (ISC, digest §12).
    fn on_connect_ack(&mut self, m: &Message) {
        if self.s.role == Role::Secondary {
            self.close_with("CONNECTACK received by the secondary".to_string());
            return;
        }
        if let Some(r) = m.u8(code::REJECT_REASON) {
            let text = text(m);
            self.close_with(format!("CONNECT rejected by partner: reason {r} {text}"));
            return;
        }
        let problem = if self.conn.as_ref().is_some_and(|c| c.established) {
            Some((reason::DUPLICATE_CONNECTION, "duplicate connection"))
        } else if m.get(code::RELATIONSHIP_NAME) != Some(self.s.name.as_bytes()) {
            Some((reason::INVALID_PARTNER, "unknown relationship name"))
        } else {
            None
        };
        if let Some((r, text)) = problem {
            let mut d = self.msg(MessageType::Disconnect, m.xid);
            d.set_u8(code::REJECT_REASON, r)
                .set_bytes(code::MESSAGE, text.as_bytes());
            self.send(d);
            self.close_with(format!("CONNECTACK refused: {text} (reason {r})"));
            return;
        }
        self.learn_partner(m);
        self.established();
    }

    fn learn_partner(&mut self, m: &Message) {
        if let Some(c) = self.conn.as_mut() {
            c.partner_max_unacked = m.u32(code::MAX_UNACKED_BNDUPD).unwrap_or(1).max(1);
            c.partner_rt = m
                .u32(code::RECEIVE_TIMER)
                .filter(|&t| t > 0)
                .unwrap_or(DEFAULT_PARTNER_RT);
        }
    }

    /// Handshake done: announce our state (STARTUP: the saved state with the STARTUP flag).
    fn established(&mut self) {
        if let Some(c) = self.conn.as_mut() {
            c.established = true;
        }
        events::emit(
            log::Level::Info,
            id::DHCPV4_FAILOVER_COMM_UP,
            &[&self.label, &self.s.name],
        );
        self.inbound.push(Inbound::Connected);
        self.send_state();
    }

    /// Partner STATE (digest §4.4).
    fn on_state(&mut self, m: &Message) {
        let flags = m.u8(code::SERVER_FLAGS).unwrap_or(0);
        let startup = flags & 1 != 0;
        let Some(p) = m
            .u8(code::SERVER_STATE)
            .and_then(ServerState::from_u8)
            .filter(|s| *s != ServerState::Startup)
        else {
            // ISC goes to SHUTDOWN on an invalid state code (digest §4.5).
            self.invalid_transition(ServerState::Shutdown);
            return;
        };
        if let Some(c) = self.conn.as_mut() {
            c.got_state = true;
        }
        let before = self.partner_state;
        if before != Some(p) {
            info!(
                "failover {}: peer moves from {} to {}{}",
                self.s.name,
                before.map_or("unknown-state", ServerState::name),
                p,
                if startup { " (startup)" } else { "" }
            );
            self.persist = true;
        }
        self.partner_state = Some(p);
        self.partner_stos = m.u32(code::START_TIME_OF_STATE).map_or(0, Secs::from);
        self.partner_last_up = secs(self.now);
        let from_startup = self.state == ServerState::Startup;
        // ISC leaves STARTUP on the first partner STATE, into the saved state, and applies
        // the table from there. Only the final state is announced: a passing NORMAL would
        // look like a conflict to a PARTNER-DOWN partner.
        let me = if from_startup { self.prev } else { self.state };
        let r = on_partner_state(me, p, startup, from_startup);
        if r.invalid {
            self.invalid_transition(r.next);
        } else {
            self.set_state(r.next);
        }
        if from_startup && self.state == self.prev {
            self.stos = self.prev_stos;
        }
        match r.action {
            Action::UpdReqAll => self.send_update_request(true),
            Action::UpdReq => self.send_update_request(false),
            Action::None => {}
        }
    }

    fn invalid_transition(&mut self, to: ServerState) {
        events::emit(
            log::Level::Error,
            id::DHCPV4_CHANGE_FAILOVER_RELATION_STATE_ERROR,
            &[&self.s.role.name(), &self.s.name, &self.state, &to],
        );
        self.set_state(to);
    }

    fn on_upd_done(&mut self, m: &Message) {
        let outstanding = self.conn.as_mut().and_then(|c| c.update_req.take());
        if outstanding != Some(m.xid) {
            debug!(
                "failover {}: UPDDONE xid {} (asked {:?})",
                self.s.name, m.xid, outstanding
            );
        }
        let wait_until = self.stos + u64::from(self.mclt);
        let wait_over = secs(self.now) >= wait_until;
        if let Some(next) = on_upd_done(self.state, self.s.role, self.partner_state, wait_over) {
            if next == ServerState::RecoverWait {
                self.recover_wait_until = Some(wait_until);
            }
            self.set_state(next);
        }
    }

    fn on_bndupd(&mut self, m: &Message) {
        let lease = match decode_bndupd(m) {
            Ok(l) => l,
            Err((addr, rej)) => {
                self.send_ack(m.xid, addr.unwrap_or(Ipv4Addr::UNSPECIFIED), Some(&rej));
                return;
            }
        };
        // Duelling updates (digest §5.5 step 3).
        if let Some(mine) = self.updates.find(lease.addr) {
            if prefer_local(mine, &lease, self.s.role) {
                let rej = Reject::new(
                    reason::LESS_CRITICAL,
                    format!("{}: less critical binding information", lease.addr),
                );
                self.send_ack(m.xid, lease.addr, Some(&rej));
                return;
            }
        }
        self.updates.drop_pending(lease.addr);
        if let Some(c) = self.conn.as_mut() {
            c.acks_owed.push(m.xid);
        }
        self.inbound.push(Inbound::Binding { xid: m.xid, lease });
    }

    fn on_bndack(&mut self, m: &Message) {
        let Some(lease) = self.updates.acked(m.xid) else {
            debug!("failover {}: BNDACK for unknown xid {}", self.s.name, m.xid);
            return;
        };
        let addr = lease.addr;
        if m.ip(code::ASSIGNED_IP_ADDRESS).is_some_and(|a| a != addr) {
            warn!(
                "failover {}: BNDACK xid {} names another address than {addr}",
                self.s.name, m.xid
            );
        }
        let rejected = m.u8(code::REJECT_REASON).map(|r| (r, text(m)));
        if let Some((r, t)) = &rejected {
            events::emit(
                log::Level::Warn,
                id::DHCPV4_RECV_BND_ACK_MESSAGE_REJECT_REASON,
                &[
                    &m.xid,
                    &addr,
                    &format!("{r} {t}"),
                    &self.label,
                    &self.s.name,
                ],
            );
        }
        self.inbound.push(Inbound::Acked { addr, rejected });
        if self.resync_needed
            && !self.resend_pending
            && self.updates.is_empty()
            && self.state == ServerState::Normal
        {
            // The queue overflowed earlier and has drained: resend what the partner has not
            // acknowledged, so a burst never leaves it behind for good.
            self.resync_needed = false;
            self.inbound.push(Inbound::SendAll { all: false });
        }
        self.check_upddone();
    }

    fn on_pool_req(&mut self, m: &Message) {
        if self.s.role == Role::Primary {
            if let Some(c) = self.conn.as_mut() {
                c.pool_req = Some(m.xid);
            }
            self.inbound.push(Inbound::PoolRequest);
        } else {
            debug!("failover {}: POOLREQ ignored by the secondary", self.s.name);
        }
    }

    // ----- integrator calls -----------------------------------------------------------------

    /// Acknowledge a BNDUPD received as `Inbound::Binding` (after storing it durably).
    pub fn ack(&mut self, xid: u32, addr: Ipv4Addr, reject: Option<(u8, String)>) {
        let owed = self
            .conn
            .as_mut()
            .filter(|c| c.established && !c.closing)
            .and_then(|c| {
                let i = c.acks_owed.iter().position(|&x| x == xid)?;
                Some(c.acks_owed.remove(i))
            });
        if owed.is_none() {
            // The connection it came on is gone; the partner will resend it.
            debug!("failover {}: dropping ack for xid {xid}", self.s.name);
            return;
        }
        let rej = reject.map(|(r, t)| Reject::new(r, t));
        self.send_ack(xid, addr, rej.as_ref());
    }

    fn send_ack(&mut self, xid: u32, addr: Ipv4Addr, rej: Option<&Reject>) {
        let mut m = self.msg(MessageType::BndAck, xid);
        m.set_ip(code::ASSIGNED_IP_ADDRESS, addr);
        if let Some(r) = rej {
            m.set_u8(code::REJECT_REASON, r.reason)
                .set_bytes(code::MESSAGE, r.message.as_bytes());
            events::emit(
                log::Level::Warn,
                id::DHCPV4_SEND_BND_ACK_MESSAGE_REJECT_REASON,
                &[
                    &xid,
                    &addr,
                    &format!("{} {}", r.reason, r.message),
                    &self.label,
                    &self.s.name,
                ],
            );
        }
        self.send(m);
    }

    /// A lease changed locally: queue a BNDUPD (one binding per message, ISC digest §1.3).
    pub fn queue_update(&mut self, lease: &Lease, now: Millis) {
        self.now = now;
        if let Some(dropped) = self.updates.push(lease.clone()) {
            self.dropped_updates += 1;
            // Once per overflow episode: under overload one line per dropped update would
            // cost more than the updates themselves. The resync after it covers them all.
            if !self.resync_needed {
                events::emit(
                    log::Level::Error,
                    id::DHCPV4_FAILOVER_CLIENT_LEASE_DROPPED,
                    &[&dropped.addr, &self.label, &self.s.name],
                );
            }
            self.resync_needed = true;
        }
        self.pump();
    }

    /// Answer the partner's POOLREQ with how many addresses we gave it.
    pub fn pool_response(&mut self, transferred: u32) {
        let Some(xid) = self.conn.as_mut().and_then(|c| c.pool_req.take()) else {
            return;
        };
        let mut m = self.msg(MessageType::PoolResp, xid);
        m.set_u32(code::ADDRESSES_TRANSFERRED, transferred);
        self.send(m);
    }

    /// Secondary: ask the primary for addresses (draft-12 §7.6).
    pub fn pool_request(&mut self) {
        if self.s.role == Role::Secondary && self.can_send_updates() {
            let xid = self.next_xid();
            let m = self.msg(MessageType::PoolReq, xid);
            self.send(m);
        }
    }

    /// Timers: receive timer, CONTACT, STARTUP, RECOVER-WAIT, automatic partner-down.
    pub fn on_timeout(&mut self, now: Millis) {
        self.now = now;
        if self.state == ServerState::Startup && now >= self.startup_until {
            // No partner STATE in time: the stored state through the comm-failed map.
            let to = on_comm_failed(self.prev);
            self.set_state(to);
            if to == self.prev {
                self.stos = self.prev_stos;
            }
        }
        let mrd = u64::from(self.s.max_response_delay.max(1)) * 1000;
        let mut contact = false;
        let mut silent = false;
        if let Some(c) = self.conn.as_ref().filter(|c| !c.closing) {
            silent = now >= c.last_recv + mrd;
            contact = c.established && now >= c.contact_at();
        }
        if silent {
            // ISC just closes (no DISCONNECT 17, digest §13).
            self.close_with(format!(
                "no message from partner within {} s",
                self.s.max_response_delay
            ));
        } else if contact {
            let xid = self.next_xid();
            let m = self.msg(MessageType::Contact, xid);
            self.send(m);
        }
        if self.state == ServerState::RecoverWait
            && self.recover_wait_until.is_some_and(|t| secs(now) >= t)
        {
            self.set_state(ServerState::RecoverDone);
        }
        if let Some(t) = self.auto_partner_down_at() {
            if secs(now) >= t {
                self.set_state(ServerState::PartnerDown);
            }
        }
    }

    /// STOS is whole seconds rounded down: one more second guarantees the full interval.
    fn auto_partner_down_at(&self) -> Option<Secs> {
        (self.state == ServerState::CommunicationsInterrupted && self.s.auto_partner_down > 0)
            .then(|| self.stos + u64::from(self.s.auto_partner_down) + 1)
    }

    /// The earliest time `on_timeout` has something to do.
    pub fn poll_at(&self) -> Option<Millis> {
        let mut at: Option<Millis> = None;
        let mut min = |t: Millis| at = Some(at.map_or(t, |a| a.min(t)));
        if self.state == ServerState::Startup {
            min(self.startup_until);
        }
        if let Some(c) = self.conn.as_ref().filter(|c| !c.closing) {
            min(c.last_recv + u64::from(self.s.max_response_delay.max(1)) * 1000);
            if c.established {
                min(c.contact_at());
            }
        }
        if self.state == ServerState::RecoverWait {
            if let Some(t) = self.recover_wait_until {
                min(t * 1000);
            }
        }
        if let Some(t) = self.auto_partner_down_at() {
            min(t * 1000);
        }
        at
    }

    /// Encoded messages to write, in order. Sends a due UPDDONE first (see module docs).
    pub fn take_output(&mut self) -> Vec<Vec<u8>> {
        self.check_upddone();
        std::mem::take(&mut self.output)
    }

    /// The connection must be dropped (reason for the log); then call `disconnected`.
    pub fn take_close(&mut self) -> Option<String> {
        self.close.take()
    }

    /// The relationship state changed: journal this record.
    pub fn take_persist(&mut self) -> Option<FailoverStateRec> {
        std::mem::take(&mut self.persist).then(|| self.state_record())
    }

    /// The record that resumes this relationship after a restart (also written by
    /// compaction, which rewrites the journal from the live state).
    pub fn state_record(&self) -> FailoverStateRec {
        let (local, since) = if self.state == ServerState::Startup {
            (self.prev, self.prev_stos)
        } else {
            (self.state, self.stos)
        };
        FailoverStateRec {
            relationship: self.s.name.clone(),
            local_state: local.to_u8(),
            partner_state: self.partner_state.map_or(0, ServerState::to_u8),
            since,
            partner_last_up: self.partner_last_up,
            mclt: self.mclt,
        }
    }

    /// Work produced outside `receive` (timers, disconnects, operator).
    pub fn take_inbound(&mut self) -> Vec<Inbound> {
        std::mem::take(&mut self.inbound)
    }

    /// Operator command: the partner is down (digest §4.5).
    pub fn force_partner_down(&mut self, now: Millis) {
        self.now = now;
        if can_force_partner_down(self.state) {
            self.set_state(ServerState::PartnerDown);
        } else {
            self.invalid_transition_refused(ServerState::PartnerDown);
        }
    }

    fn invalid_transition_refused(&self, to: ServerState) {
        events::emit(
            log::Level::Warn,
            id::DHCPV4_CHANGE_FAILOVER_RELATION_STATE_ERROR,
            &[&self.s.role.name(), &self.s.name, &self.state, &to],
        );
    }

    // ----- queries ------------------------------------------------------------------------------

    pub fn state(&self) -> ServerState {
        self.state
    }
    pub fn partner_state(&self) -> Option<ServerState> {
        self.partner_state
    }
    /// When we entered the current state (start-time-of-state), Unix seconds.
    pub fn since(&self) -> Secs {
        self.stos
    }
    pub fn mclt(&self) -> u32 {
        self.mclt
    }
    pub fn hba(&self) -> Hba {
        self.hba
    }
    /// Updates that can still be queued without overflowing (the core feeds a resend in
    /// steps of this size, so a resend of more bindings than the queue holds drops none).
    pub fn queue_room(&self) -> usize {
        self.updates.room()
    }

    /// The core starts (true) or finishes (false) feeding a resend; finishing may complete
    /// an owed UPDDONE.
    pub fn set_resend_pending(&mut self, on: bool) {
        self.resend_pending = on;
        if !on {
            self.check_upddone();
        }
    }

    pub fn dropped_updates(&self) -> u64 {
        self.dropped_updates
    }

    /// Queued plus un-acked BNDUPDs.
    pub fn queue_len(&self) -> usize {
        self.updates.len()
    }

    /// Updates wait behind a full max-unacked window: replication is behind.
    pub fn updates_waiting(&self) -> bool {
        self.updates.waiting() > 0
    }
    pub fn last_contact(&self) -> Option<Millis> {
        self.last_contact
    }
    /// Partner clock minus ours, s, from the last message.
    pub fn skew(&self) -> Option<i64> {
        self.skew
    }
    pub fn role(&self) -> Role {
        self.s.role
    }
    pub fn name(&self) -> &str {
        &self.s.name
    }
    pub fn settings(&self) -> &Settings {
        &self.s
    }
    /// CONNECT/CONNECTACK done on the current connection.
    pub fn is_connected(&self) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.established && !c.closing)
    }
    /// Updates were dropped on overflow: a full resync is requested on the next NORMAL.
    pub fn resync_needed(&self) -> bool {
        self.resync_needed
    }

    /// Replication is behind beyond the queue: a resync is due after an overflow, or a
    /// requested resend is still being fed into the queue.
    pub fn catching_up(&self) -> bool {
        self.resync_needed || self.resend_pending
    }

    /// May we answer a new client with this key (option 61, else chaddr)? NORMAL: its hash
    /// bucket is ours per the HBA (hot standby: the primary's); COMM-INT / PARTNER-DOWN: yes.
    pub fn serves_new_client(&self, key: &[u8]) -> bool {
        match self.state {
            ServerState::Normal => {
                let p = self.hba.primary_serves(bucket(key));
                p == (self.s.role == Role::Primary)
            }
            ServerState::CommunicationsInterrupted | ServerState::PartnerDown => true,
            _ => false,
        }
    }

    /// `serves_new_client` for a DISCOVER with `secs`: past `load_balance_max_secs` the
    /// partner is presumed not answering and we serve anyway (ISC, digest §7).
    pub fn serves_discover(&self, key: &[u8], secs_field: u16) -> bool {
        let lbms = self.s.load_balance_max_secs;
        if self.state == ServerState::Normal && lbms > 0 && secs_field > lbms {
            return true;
        }
        self.serves_new_client(key)
    }

    pub fn serving(&self) -> Service {
        match self.state {
            ServerState::Normal => Service::Normal,
            ServerState::CommunicationsInterrupted => Service::CommInterrupted,
            ServerState::PartnerDown => Service::PartnerDown { since: self.stos },
            _ => Service::None,
        }
    }

    // ----- internals --------------------------------------------------------------------------

    fn next_xid(&mut self) -> u32 {
        self.conn.as_mut().map_or(0, Conn::xid)
    }

    fn msg(&self, t: MessageType, xid: u32) -> Message {
        Message::new(t, u32::try_from(secs(self.now)).unwrap_or(u32::MAX), xid)
    }

    fn send(&mut self, m: Message) {
        let Some(c) = self.conn.as_mut().filter(|c| !c.closing) else {
            return;
        };
        match auth::encode(&m, self.s.secret.as_deref()) {
            Ok(b) => {
                c.last_send = self.now;
                self.output.push(b);
            }
            // Only a binding with an absurd client id can get here; drop that message.
            Err(e) => warn!(
                "failover {}: cannot encode {}: {e}",
                self.s.name, m.msg_type
            ),
        }
    }

    fn close_with(&mut self, why: String) {
        if let Some(c) = self.conn.as_mut() {
            if c.closing {
                return;
            }
            c.closing = true;
        }
        warn!("failover {}: closing connection: {why}", self.s.name);
        self.close.get_or_insert(why);
    }

    fn send_state(&mut self) {
        let (st, flags, stos) = if self.state == ServerState::Startup {
            // draft-12 §9.3.1: in STARTUP send the previous state with the STARTUP flag.
            (self.prev, 1, self.prev_stos)
        } else {
            (self.state, 0, self.stos)
        };
        let xid = self.next_xid();
        let mut m = self.msg(MessageType::State, xid);
        m.set_u8(code::SERVER_STATE, st.to_u8())
            .set_u8(code::SERVER_FLAGS, flags)
            .set_u32(code::START_TIME_OF_STATE, u32::try_from(stos).unwrap_or(0));
        self.send(m);
    }

    fn send_update_request(&mut self, all: bool) {
        let Some(c) = self.conn.as_mut() else { return };
        if !c.established || c.update_req.is_some() {
            return;
        }
        let xid = c.xid();
        c.update_req = Some(xid);
        let t = if all {
            MessageType::UpdReqAll
        } else {
            MessageType::UpdReq
        };
        let m = self.msg(t, xid);
        self.send(m);
    }

    /// Partner state is known and current on an established connection.
    fn partner_current(&self) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.established && !c.closing && c.got_state)
    }

    fn can_send_updates(&self) -> bool {
        self.partner_current() && self.state != ServerState::Startup
    }

    /// Sends queued BNDUPDs within the partner's max-unacked window (draft-12 §7.1).
    fn pump(&mut self) {
        if !self.can_send_updates() {
            return;
        }
        let window = self
            .conn
            .as_ref()
            .map_or(1, |c| c.partner_max_unacked as usize);
        while let Some(l) = self.updates.next_to_send(window) {
            // ISC never uses xid 0 for a BNDUPD (digest §1.2).
            let mut xid = self.next_xid();
            if xid == 0 {
                xid = self.next_xid();
            }
            let m = encode_bndupd(&l, u32::try_from(secs(self.now)).unwrap_or(u32::MAX), xid);
            self.send(m);
            self.updates.sent(xid, l);
        }
    }

    /// UPDDONE once everything queued since the request is acked.
    fn check_upddone(&mut self) {
        self.pump();
        if self.resend_pending || !self.updates.is_empty() || !self.partner_current() {
            return;
        }
        if let Some(xid) = self.conn.as_mut().and_then(|c| c.upddone_owed.take()) {
            let m = self.msg(MessageType::UpdDone, xid);
            self.send(m);
        }
    }

    /// Enters `to` (event 20251, journal, STATE to the partner) and runs its entry actions.
    fn set_state(&mut self, to: ServerState) {
        if to == self.state {
            return;
        }
        let from = self.state;
        events::emit(
            log::Level::Info,
            id::DHCPV4_CHANGE_FAILOVER_RELATION_STATE,
            &[&self.s.role.name(), &self.s.name, &from, &to],
        );
        self.state = to;
        self.stos = secs(self.now);
        self.persist = true;
        if to != ServerState::RecoverWait {
            self.recover_wait_until = None;
        }
        self.inbound.push(Inbound::StateChanged { from, to });
        if self
            .conn
            .as_ref()
            .is_some_and(|c| c.established && !c.closing)
        {
            self.send_state();
        }
        if !self.partner_current() {
            return;
        }
        let partner = self.partner_state;
        match to {
            // ISC always asks for everything in RECOVER (digest §4.5).
            ServerState::Recover => self.send_update_request(true),
            ServerState::PotentialConflict
                if self.s.role == Role::Primary || partner == Some(ServerState::ConflictDone) =>
            {
                self.send_update_request(false);
            }
            ServerState::RecoverDone
                if matches!(
                    partner,
                    Some(ServerState::RecoverDone) | Some(ServerState::Normal)
                ) =>
            {
                self.set_state(ServerState::Normal);
            }
            ServerState::Normal => {
                if std::mem::take(&mut self.resync_needed) {
                    self.inbound.push(Inbound::SendAll { all: true });
                }
                self.pump();
            }
            _ => {}
        }
    }
}

/// The message option as text (lossy), for logs.
fn text(m: &Message) -> String {
    m.get(code::MESSAGE)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}
