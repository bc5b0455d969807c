//! Server (endpoint) states and the transition tables, as pure functions.
//!
//! Codes are the draft-12 §4.1 `server-state` values plus ISC's 254 for RECOVER-WAIT (digest
//! §4.1). Transitions follow ISC 4.4.3 where it differs from the draft (digest §4.3–§4.5).

use std::fmt;

use super::Role;

/// A failover endpoint state (draft-12 §9, digest §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerState {
    Startup,
    Normal,
    CommunicationsInterrupted,
    PartnerDown,
    PotentialConflict,
    Recover,
    Paused,
    Shutdown,
    RecoverDone,
    ResolutionInterrupted,
    ConflictDone,
    /// Not in draft-12; ISC sends 254 (digest §4.1).
    RecoverWait,
}

impl ServerState {
    pub fn from_u8(v: u8) -> Option<ServerState> {
        Some(match v {
            1 => ServerState::Startup,
            2 => ServerState::Normal,
            3 => ServerState::CommunicationsInterrupted,
            4 => ServerState::PartnerDown,
            5 => ServerState::PotentialConflict,
            6 => ServerState::Recover,
            7 => ServerState::Paused,
            8 => ServerState::Shutdown,
            9 => ServerState::RecoverDone,
            10 => ServerState::ResolutionInterrupted,
            11 => ServerState::ConflictDone,
            254 => ServerState::RecoverWait,
            _ => return None,
        })
    }

    pub fn to_u8(self) -> u8 {
        match self {
            ServerState::Startup => 1,
            ServerState::Normal => 2,
            ServerState::CommunicationsInterrupted => 3,
            ServerState::PartnerDown => 4,
            ServerState::PotentialConflict => 5,
            ServerState::Recover => 6,
            ServerState::Paused => 7,
            ServerState::Shutdown => 8,
            ServerState::RecoverDone => 9,
            ServerState::ResolutionInterrupted => 10,
            ServerState::ConflictDone => 11,
            ServerState::RecoverWait => 254,
        }
    }

    /// ISC's log spelling ("I move from recover-done to normal").
    pub fn name(self) -> &'static str {
        match self {
            ServerState::Startup => "startup",
            ServerState::Normal => "normal",
            ServerState::CommunicationsInterrupted => "communications-interrupted",
            ServerState::PartnerDown => "partner-down",
            ServerState::PotentialConflict => "potential-conflict",
            ServerState::Recover => "recover",
            ServerState::Paused => "paused",
            ServerState::Shutdown => "shutdown",
            ServerState::RecoverDone => "recover-done",
            ServerState::ResolutionInterrupted => "resolution-interrupted",
            ServerState::ConflictDone => "conflict-done",
            ServerState::RecoverWait => "recover-wait",
        }
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Communications failure: TCP lost or receive timer expired (digest §4.3, same in draft and
/// ISC). Also maps a stored state at the end of STARTUP (draft-12 §9.3.2).
pub fn on_comm_failed(me: ServerState) -> ServerState {
    match me {
        ServerState::Normal => ServerState::CommunicationsInterrupted,
        ServerState::PotentialConflict => ServerState::ResolutionInterrupted,
        other => other,
    }
}

/// What to send besides a STATE announcing a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    /// (Re)send UPDREQALL (ISC always asks for everything in RECOVER, digest §4.4).
    UpdReqAll,
    /// Send UPDREQ (POTENTIAL-CONFLICT resolution, digest §4.5).
    UpdReq,
}

/// The result of a table lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reaction {
    pub next: ServerState,
    pub action: Action,
    /// The partner's state was illegal from ours (event 20252).
    pub invalid: bool,
}

fn go(next: ServerState) -> Reaction {
    Reaction {
        next,
        action: Action::None,
        invalid: false,
    }
}

/// Partner STATE received while communicating (ISC 4.4.3 table, digest §4.4).
///
/// `partner_startup` is the STARTUP server-flag; `me_from_startup` says we left STARTUP
/// because of this very message (NORMAL + partner PARTNER-DOWN then means RECOVER).
pub fn on_partner_state(
    me: ServerState,
    partner: ServerState,
    partner_startup: bool,
    me_from_startup: bool,
) -> Reaction {
    use ServerState::*;
    let stay = go(me);
    let illegal = |next| Reaction {
        next,
        action: Action::None,
        invalid: true,
    };
    match me {
        Normal => match partner {
            PartnerDown if me_from_startup => go(Recover),
            PartnerDown => go(PotentialConflict),
            Recover | Shutdown => go(PartnerDown),
            Paused => go(CommunicationsInterrupted),
            PotentialConflict | ResolutionInterrupted | ConflictDone => illegal(Shutdown),
            _ => stay,
        },
        CommunicationsInterrupted => match partner {
            Normal | CommunicationsInterrupted | RecoverDone | RecoverWait => go(Normal),
            // Draft: stay; ISC takes over because the partner lost its data.
            Recover | Shutdown => go(PartnerDown),
            PartnerDown | PotentialConflict | ResolutionInterrupted | ConflictDone => {
                go(PotentialConflict)
            }
            _ => stay,
        },
        PartnerDown => {
            if partner_startup {
                return stay;
            }
            match partner {
                RecoverDone => go(Normal),
                Normal
                | CommunicationsInterrupted
                | PartnerDown
                | PotentialConflict
                | ResolutionInterrupted
                | ConflictDone => go(PotentialConflict),
                _ => stay,
            }
        }
        Recover => match partner {
            Recover | PartnerDown | CommunicationsInterrupted => Reaction {
                next: Recover,
                action: Action::UpdReqAll,
                invalid: false,
            },
            Normal | PotentialConflict | ResolutionInterrupted | ConflictDone => {
                go(PotentialConflict)
            }
            Shutdown => go(PartnerDown),
            _ => stay,
        },
        RecoverDone => match partner {
            RecoverDone | Normal => go(Normal),
            Shutdown => go(PartnerDown),
            _ => stay,
        },
        PotentialConflict => match partner {
            ConflictDone => Reaction {
                next: PotentialConflict,
                action: Action::UpdReq,
                invalid: false,
            },
            Recover => go(Recover),
            Shutdown => go(PartnerDown),
            Normal => illegal(Shutdown),
            _ => stay,
        },
        ResolutionInterrupted => match partner {
            Shutdown => go(PartnerDown),
            Startup | Paused => stay,
            _ => go(PotentialConflict),
        },
        ConflictDone => match partner {
            Normal => go(Normal),
            Shutdown => go(Shutdown),
            PotentialConflict | ResolutionInterrupted => stay,
            // ISC exits here (log_fatal); we stay and report it.
            _ => illegal(ConflictDone),
        },
        RecoverWait | Paused | Shutdown | Startup => stay,
    }
}

/// UPDDONE received for our update request (digest §4.5). `None`: no change.
///
/// RECOVER: wait until our STOS + MCLT unless the partner itself is fresh (RECOVER or
/// RECOVER-DONE: there is nothing it could have handed out that we don't know). POTENTIAL-
/// CONFLICT: the primary is done resolving (CONFLICT-DONE); the secondary, answered by a
/// CONFLICT-DONE primary, is NORMAL.
pub fn on_upd_done(
    me: ServerState,
    role: Role,
    partner: Option<ServerState>,
    wait_over: bool,
) -> Option<ServerState> {
    match me {
        ServerState::Recover => {
            let fresh = matches!(
                partner,
                Some(ServerState::Recover) | Some(ServerState::RecoverDone)
            );
            Some(if wait_over || fresh {
                ServerState::RecoverDone
            } else {
                ServerState::RecoverWait
            })
        }
        ServerState::PotentialConflict => Some(match role {
            Role::Primary => ServerState::ConflictDone,
            Role::Secondary => ServerState::Normal,
        }),
        _ => None,
    }
}

/// Operator "partner down" (digest §4.5): allowed where the partner may really be gone.
pub fn can_force_partner_down(me: ServerState) -> bool {
    matches!(
        me,
        ServerState::Startup
            | ServerState::Normal
            | ServerState::CommunicationsInterrupted
            | ServerState::ResolutionInterrupted
            | ServerState::PotentialConflict
            | ServerState::Paused
    )
}

#[cfg(test)]
mod tests {
    use super::ServerState::*;
    use super::*;

    const ALL: [ServerState; 12] = [
        Startup,
        Normal,
        CommunicationsInterrupted,
        PartnerDown,
        PotentialConflict,
        Recover,
        Paused,
        Shutdown,
        RecoverDone,
        ResolutionInterrupted,
        ConflictDone,
        RecoverWait,
    ];

    #[test]
    fn codes_roundtrip_and_names() {
        for s in ALL {
            assert_eq!(ServerState::from_u8(s.to_u8()), Some(s));
        }
        assert_eq!(ServerState::from_u8(0), None);
        assert_eq!(ServerState::from_u8(12), None);
        assert_eq!(RecoverWait.to_u8(), 254);
        assert_eq!(
            CommunicationsInterrupted.to_string(),
            "communications-interrupted"
        );
    }

    #[test]
    fn comm_failure() {
        assert_eq!(on_comm_failed(Normal), CommunicationsInterrupted);
        assert_eq!(on_comm_failed(PotentialConflict), ResolutionInterrupted);
        for s in [ConflictDone, PartnerDown, Recover, RecoverDone, Paused] {
            assert_eq!(on_comm_failed(s), s);
        }
    }

    #[test]
    fn isc_rows() {
        let t = |me, p| on_partner_state(me, p, false, false).next;
        assert_eq!(t(Normal, Recover), PartnerDown);
        assert_eq!(t(Normal, PartnerDown), PotentialConflict);
        assert_eq!(
            on_partner_state(Normal, PartnerDown, false, true).next,
            Recover
        );
        assert!(on_partner_state(Normal, ConflictDone, false, false).invalid);
        assert_eq!(
            t(CommunicationsInterrupted, CommunicationsInterrupted),
            Normal
        );
        assert_eq!(t(CommunicationsInterrupted, Recover), PartnerDown);
        assert_eq!(t(CommunicationsInterrupted, PartnerDown), PotentialConflict);
        assert_eq!(t(PartnerDown, RecoverDone), Normal);
        assert_eq!(t(PartnerDown, Recover), PartnerDown);
        assert_eq!(
            on_partner_state(PartnerDown, Normal, true, false).next,
            PartnerDown
        );
        assert_eq!(t(PartnerDown, Normal), PotentialConflict);
        assert_eq!(
            on_partner_state(Recover, Recover, false, false).action,
            Action::UpdReqAll
        );
        assert_eq!(t(Recover, Normal), PotentialConflict);
        assert_eq!(t(RecoverDone, Normal), Normal);
        assert_eq!(t(RecoverDone, Recover), RecoverDone);
        assert_eq!(
            on_partner_state(PotentialConflict, ConflictDone, false, false).action,
            Action::UpdReq
        );
        assert_eq!(t(ResolutionInterrupted, Normal), PotentialConflict);
        assert_eq!(t(ConflictDone, Normal), Normal);
        assert_eq!(t(RecoverWait, Normal), RecoverWait);
    }

    #[test]
    fn upd_done() {
        let p = Role::Primary;
        assert_eq!(
            on_upd_done(Recover, p, Some(Recover), false),
            Some(RecoverDone)
        );
        assert_eq!(
            on_upd_done(Recover, p, Some(PartnerDown), false),
            Some(RecoverWait)
        );
        assert_eq!(
            on_upd_done(Recover, p, Some(PartnerDown), true),
            Some(RecoverDone)
        );
        assert_eq!(
            on_upd_done(PotentialConflict, p, None, false),
            Some(ConflictDone)
        );
        assert_eq!(
            on_upd_done(PotentialConflict, Role::Secondary, None, false),
            Some(Normal)
        );
        assert_eq!(on_upd_done(Normal, p, None, false), None);
    }
}
