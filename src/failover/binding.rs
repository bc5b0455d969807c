//! Binding updates: BNDUPD ⇄ `Lease`, the acceptance rules for a received update, and the
//! MCLT lease-time rule.
//!
//! Mapping (digest §3, §5.4, §6): assigned-IP → `addr`, binding-status → `state`,
//! client-identifier → `client_id` (absent = the client had none), client-hardware-address
//! (htype byte + address) → `htype`/`chaddr`, start-time-of-state → `start`,
//! lease-expiration-time → `end`, CLTT → `cltt`, potential-expiration-time → `partner_end` on
//! receipt (ISC's `tsfp`) and is taken from `sent_end` (ISC's `tstp`) when sending. IP-flags
//! are not kept (`Lease` has no field for them) and never sent.

use core::net::Ipv4Addr;

use super::state::ServerState;
use super::Role;
use crate::lease::{BindingState, HwAddr, Lease};
use crate::time::Secs;
use crate::wire::failover::{code, Message, MessageType};

/// A refused binding update: the BNDACK reject-reason (digest §8) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub reason: u8,
    pub message: String,
}

impl Reject {
    pub fn new(reason: u8, message: impl Into<String>) -> Reject {
        Reject {
            reason,
            message: message.into(),
        }
    }
}

/// draft-12 reject reasons used here (digest §8).
pub mod reason {
    pub const ILLEGAL_ADDRESS: u8 = 1;
    pub const FATAL_CONFLICT: u8 = 2;
    pub const MISSING_BINDING_INFO: u8 = 3;
    pub const TIME_MISMATCH: u8 = 4;
    pub const INVALID_MCLT: u8 = 5;
    pub const UNKNOWN: u8 = 6;
    pub const DUPLICATE_CONNECTION: u8 = 7;
    pub const INVALID_PARTNER: u8 = 8;
    pub const VERSION_MISMATCH: u8 = 14;
    pub const OUTDATED: u8 = 15;
    pub const LESS_CRITICAL: u8 = 16;
    pub const NO_TRAFFIC: u8 = 17;
    pub const HBA_CONFLICT: u8 = 18;
}

fn wire_time(t: Secs) -> u32 {
    u32::try_from(t).unwrap_or(u32::MAX)
}

/// The BNDUPD body for `lease`, in ISC's option order (digest §2, §5.4 "ISC differences"):
/// assigned-IP, binding-status, [client-id], [chaddr], lease-exp, PET, STOS, [CLTT].
/// ABANDONED carries no client data (ISC rejects it otherwise, reason 6).
pub fn encode_bndupd(lease: &Lease, time: u32, xid: u32) -> Message {
    let mut m = Message::new(MessageType::BndUpd, time, xid);
    m.set_ip(code::ASSIGNED_IP_ADDRESS, lease.addr)
        .set_u8(code::BINDING_STATUS, lease.state as u8);
    if lease.state != BindingState::Abandoned {
        if !lease.client_id().is_empty() {
            m.set_bytes(code::CLIENT_IDENTIFIER, lease.client_id());
        }
        if !lease.chaddr.is_empty() {
            let mut hw = Vec::with_capacity(1 + lease.chaddr.len());
            hw.push(lease.htype);
            hw.extend_from_slice(&lease.chaddr);
            m.set_bytes(code::CLIENT_HARDWARE_ADDRESS, &hw);
        }
    }
    // PET must not be before the lease end (draft-12 §7.1.5).
    let pet = if lease.state == BindingState::Active {
        lease.sent_end().max(lease.end())
    } else {
        lease.sent_end()
    };
    m.set_u32(code::LEASE_EXPIRATION_TIME, wire_time(lease.end()))
        .set_u32(code::POTENTIAL_EXPIRATION_TIME, wire_time(pet))
        .set_u32(code::START_TIME_OF_STATE, wire_time(lease.start()));
    if lease.cltt() != 0 {
        m.set_u32(code::CLIENT_LAST_TRANSACTION_TIME, wire_time(lease.cltt()));
    }
    m
}

/// Reads the binding in a BNDUPD. Missing assigned-IP or an unknown/missing binding-status is
/// reject 3 (ISC step 1, digest §5.5); the address (if any) is returned for the BNDACK.
pub fn decode_bndupd(m: &Message) -> Result<Lease, (Option<Ipv4Addr>, Reject)> {
    let addr = m.ip(code::ASSIGNED_IP_ADDRESS);
    let missing = |what: &str| (addr, Reject::new(reason::MISSING_BINDING_INFO, what));
    let addr_ok = addr.ok_or_else(|| missing("missing assigned IP address"))?;
    let state = m
        .u8(code::BINDING_STATUS)
        .and_then(BindingState::from_u8)
        .ok_or_else(|| missing("missing or unknown binding status"))?;
    let mut l = Lease::free(addr_ok);
    l.state = state;
    if let Some(id) = m.get(code::CLIENT_IDENTIFIER) {
        l.set_client_id(id);
    }
    if let Some((&htype, hw)) = m
        .get(code::CLIENT_HARDWARE_ADDRESS)
        .and_then(|h| h.split_first())
    {
        l.htype = htype;
        // chaddr is 16 bytes in DHCP; a longer value cannot belong to a real client.
        l.chaddr = HwAddr::new(hw.get(..hw.len().min(16)).unwrap_or_default());
    }
    let t = |c| m.u32(c).map_or(0, Secs::from);
    l.set_start(t(code::START_TIME_OF_STATE));
    l.set_end(t(code::LEASE_EXPIRATION_TIME));
    l.set_partner_end(t(code::POTENTIAL_EXPIRATION_TIME));
    l.set_cltt(t(code::CLIENT_LAST_TRANSACTION_TIME));
    l.fo_flags = state as u8;
    Ok(l)
}

/// Received binding states that are stored as FREE once accepted (draft-12 §5.11).
fn stored_state(s: BindingState) -> BindingState {
    match s {
        BindingState::Expired | BindingState::Released | BindingState::Reset => BindingState::Free,
        other => other,
    }
}

fn transition_reject(addr: Ipv4Addr, from: BindingState, to: BindingState) -> Reject {
    Reject::new(
        reason::FATAL_CONFLICT,
        format!(
            "{addr}: invalid state transition: {} to {}",
            from.name(),
            to.name()
        ),
    )
}

/// Decides what to store for a received BNDUPD (ISC 4.4.3 order, digest §5.5 steps 4–6).
///
/// `local` is our binding for the address (`None` = never used, treated as FREE). The caller
/// has already checked that the address belongs to this relationship (else reject 1) and the
/// Partner has settled duelling updates (reject 16). `role`/`my_state` pick ISC's NORMAL rule
/// or its conflict rule; `now` is Unix seconds. The result is the lease to store durably
/// before acknowledging; EXPIRED, RELEASED and RESET become FREE, `sent_end` and the host name
/// are kept from `local` (the host name only for the same client).
pub fn accept_update(
    local: Option<&Lease>,
    received: &Lease,
    role: Role,
    my_state: ServerState,
    now: Secs,
) -> Result<Lease, Reject> {
    use BindingState::*;
    let r = received.state;
    if matches!(r, Active | Expired | Released) && received.chaddr.is_empty() {
        return Err(Reject::new(
            reason::MISSING_BINDING_INFO,
            format!("{}: {} without hardware address", received.addr, r.name()),
        ));
    }
    if r == Abandoned && (!received.chaddr.is_empty() || !received.client_id().is_empty()) {
        return Err(Reject::new(
            reason::UNKNOWN,
            format!("{}: abandoned binding with client data", received.addr),
        ));
    }
    if let Some(l) = local {
        let pet_passed = received.partner_end() <= now;
        let exp_near = l.end().saturating_sub(65) <= now;
        let ok = if my_state == ServerState::Normal {
            match l.state {
                Active if role == Role::Primary => matches!(r, Released | Abandoned | Active),
                Active => match r {
                    Free | Backup => pet_passed,
                    Expired => exp_near,
                    _ => true,
                },
                Expired | Reset => !matches!(r, Free | Backup) || pet_passed,
                _ => true,
            }
        } else {
            match (l.state, r) {
                (Active, Free | Backup) => false,
                (Active, Expired) => exp_near,
                _ => true,
            }
        };
        if !ok {
            return Err(transition_reject(received.addr, l.state, r));
        }
    }
    let mut out = received.clone();
    out.state = stored_state(r);
    out.fo_flags = out.state as u8;
    if let Some(l) = local {
        out.set_sent_end(l.sent_end());
        if crate::lease::ClientKeyRef::of_lease(l) == crate::lease::ClientKeyRef::of_lease(received)
        {
            out.set_hostname(l.hostname());
        }
    }
    Ok(out)
}

/// Duelling updates (digest §5.5 step 3): we have our own un-acked BNDUPD `mine` for the same
/// address as `theirs`. True = keep ours and reject theirs with 16. ACTIVE beats non-ACTIVE;
/// two ACTIVEs: later CLTT wins, a tie goes to the primary; other pairs: the primary's wins.
pub fn prefer_local(mine: &Lease, theirs: &Lease, role: Role) -> bool {
    let a = |l: &Lease| l.state == BindingState::Active;
    match (a(mine), a(theirs)) {
        (true, false) => true,
        (false, true) => false,
        (true, true) if mine.cltt() != theirs.cltt() => mine.cltt() > theirs.cltt(),
        _ => role == Role::Primary,
    }
}

/// Lease time to give a client under the MCLT rule (ISC `dhcp.c`, digest §6): never more than
/// MCLT beyond what the partner knows (`tsfp` = the PET last exchanged with the partner).
pub fn lease_time(desired: u32, mclt: u32, tsfp: Secs, now: Secs) -> u32 {
    if desired <= mclt {
        return desired;
    }
    if tsfp <= now {
        return mclt;
    }
    let known = tsfp - now;
    if now.saturating_add(u64::from(desired)) > tsfp.saturating_add(u64::from(mclt)) {
        u32::try_from(known.saturating_add(u64::from(mclt))).unwrap_or(u32::MAX)
    } else {
        desired
    }
}

/// Potential expiration time to send with the BNDUPD for a lease of `given` seconds when the
/// configured time is `desired` (ISC: now + desired + given/2, digest §6).
pub fn pet(now: Secs, desired: u32, given: u32) -> Secs {
    now + u64::from(desired) + u64::from(given / 2)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn active(addr: [u8; 4], mac: u8, end: Secs, cltt: Secs) -> Lease {
        let mut l = Lease::free(Ipv4Addr::from(addr));
        l.state = BindingState::Active;
        l.chaddr = HwAddr::new(&[0, 0x11, 0x22, 0x33, 0x44, mac]);
        l.set_start(cltt);
        l.set_end(end);
        l.set_cltt(cltt);
        l.set_sent_end(end + 100);
        l
    }

    #[test]
    fn bndupd_roundtrip_and_isc_order() {
        let mut l = active([192, 0, 2, 10], 0x55, 2000, 1000);
        l.set_client_id(&[1, 0, 0x11, 0x22, 0x33, 0x44, 0x55]);
        let m = encode_bndupd(&l, 1000, 9);
        let codes: Vec<u16> = m.options.iter().map(|o| o.code).collect();
        assert_eq!(codes, [2, 3, 4, 5, 13, 18, 25, 6]);
        let bytes = m.emit().unwrap();
        let back = decode_bndupd(&Message::parse(&bytes).unwrap()).unwrap();
        assert_eq!(back.addr, l.addr);
        assert_eq!(back.state, BindingState::Active);
        assert_eq!((back.htype, back.chaddr), (1, l.chaddr));
        assert_eq!(back.client_id(), l.client_id());
        assert_eq!((back.start(), back.end(), back.cltt()), (1000, 2000, 1000));
        assert_eq!(back.partner_end(), 2100);
        // FREE never used: times 0, no CLTT; ABANDONED: no client data.
        let f = encode_bndupd(&Lease::free(l.addr), 0, 1);
        assert_eq!(
            f.options.iter().map(|o| o.code).collect::<Vec<_>>(),
            [2, 3, 13, 18, 25]
        );
        let mut ab = l.clone();
        ab.state = BindingState::Abandoned;
        assert!(!encode_bndupd(&ab, 0, 1).has(code::CLIENT_HARDWARE_ADDRESS));
    }

    #[test]
    fn decode_rejects_missing_info() {
        let mut m = Message::new(MessageType::BndUpd, 0, 1);
        assert_eq!(decode_bndupd(&m).unwrap_err().1.reason, 3);
        m.set_ip(code::ASSIGNED_IP_ADDRESS, Ipv4Addr::new(198, 18, 0, 9));
        let (ip, rej) = decode_bndupd(&m).unwrap_err();
        assert_eq!((ip, rej.reason), (Some(Ipv4Addr::new(198, 18, 0, 9)), 3));
        m.set_u8(code::BINDING_STATUS, 9);
        assert!(decode_bndupd(&m).is_err());
    }

    #[test]
    fn acceptance_rules() {
        let n = ServerState::Normal;
        let local = active([198, 18, 0, 9], 1, 5000, 1000);
        // Released from the partner is stored as FREE (client data kept for affinity).
        let mut rel = local.clone();
        rel.state = BindingState::Released;
        rel.set_cltt(1500);
        let s = accept_update(Some(&local), &rel, Role::Primary, n, 1500).unwrap();
        assert_eq!(s.state, BindingState::Free);
        assert_eq!(s.sent_end(), local.sent_end());
        // Primary with ACTIVE refuses FREE in NORMAL with reason 2 and ISC's message.
        let mut free = Lease::free(local.addr);
        free.set_partner_end(0);
        let e = accept_update(Some(&local), &free, Role::Primary, n, 1500).unwrap_err();
        assert_eq!(e.reason, 2);
        assert_eq!(
            e.message,
            "198.18.0.9: invalid state transition: active to free"
        );
        // Secondary accepts FREE only once the received PET passed.
        assert!(accept_update(Some(&local), &free, Role::Secondary, n, 1500).is_ok());
        free.set_partner_end(9000);
        assert!(accept_update(Some(&local), &free, Role::Secondary, n, 1500).is_err());
        // EXPIRED against local ACTIVE: only within 65 s of the local end.
        let mut exp = local.clone();
        exp.state = BindingState::Expired;
        assert!(accept_update(Some(&local), &exp, Role::Secondary, n, 4000).is_err());
        assert!(accept_update(Some(&local), &exp, Role::Secondary, n, 4940).is_ok());
        // Outside NORMAL: ACTIVE refuses FREE/BACKUP whatever the times.
        free.set_partner_end(0);
        let pc = ServerState::PotentialConflict;
        assert!(accept_update(Some(&local), &free, Role::Secondary, pc, 9999).is_err());
        // Client-data sanity.
        let mut bad = local.clone();
        bad.chaddr = HwAddr::default();
        assert_eq!(
            accept_update(None, &bad, Role::Primary, n, 0)
                .unwrap_err()
                .reason,
            3
        );
        let mut ab = local.clone();
        ab.state = BindingState::Abandoned;
        assert_eq!(
            accept_update(None, &ab, Role::Primary, n, 0)
                .unwrap_err()
                .reason,
            6
        );
        // Unknown locally: accepted as sent.
        let got = accept_update(None, &local, Role::Primary, n, 0).unwrap();
        assert_eq!(got.state, BindingState::Active);
    }

    #[test]
    fn duelling() {
        let a = active([198, 18, 0, 9], 1, 5000, 1000);
        let mut b = active([198, 18, 0, 9], 2, 5000, 1200);
        assert!(!prefer_local(&a, &b, Role::Primary));
        assert!(prefer_local(&b, &a, Role::Secondary));
        b.set_cltt(1000);
        assert!(prefer_local(&a, &b, Role::Primary));
        assert!(!prefer_local(&a, &b, Role::Secondary));
        let f = Lease::free(a.addr);
        assert!(prefer_local(&a, &f, Role::Secondary));
        assert!(!prefer_local(&f, &a, Role::Primary));
    }

    #[test]
    fn mclt_rule() {
        // Draft worked example: MCLT 1 h, desired 3 days, nothing known → 1 h.
        assert_eq!(lease_time(259_200, 3600, 0, 1000), 3600);
        assert_eq!(pet(1000, 259_200, 3600), 1000 + 259_200 + 1800);
        // Renewal after the partner acked that PET: full 3 days.
        assert_eq!(
            lease_time(259_200, 3600, 1000 + 259_200 + 1800, 1000 + 1800),
            259_200
        );
        // Partial knowledge: (tsfp - now) + MCLT.
        assert_eq!(lease_time(10_000, 3600, 1500, 1000), 500 + 3600);
        assert_eq!(lease_time(600, 3600, 0, 1000), 600);
    }
}
