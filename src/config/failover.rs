//! The `failover NAME { … }` block: one relationship with its partner.
//!
//! ```text
//! failover NAME {                  # NAME travels in CONNECT: identical on both partners
//!     role primary|secondary       # required
//!     address IPV4                 # required: our listener and source address
//!     port N                       # default 647
//!     peer-address IPV4            # required: only this address may connect to us
//!     peer-port N                  # default 647
//!     mode load-balance [PERCENT]  # default load-balance 50 (share of the primary)
//!     mode hot-standby [RESERVE]   # the primary serves; standby keeps RESERVE % (default 5)
//!     mclt DURATION                # default 1h
//!     max-response-delay DURATION  # default 30
//!     max-unacked-updates N        # default 10
//!     auto-partner-down DURATION|off   # default off
//!     load-balance-max-seconds N   # default 3
//!     shared-secret "TEXT"         # optional; HMAC-SHA-256 digests (duodhcp partners only)
//!     scope NAME                   # repeatable; at least one
//! }
//! ```

use core::net::Ipv4Addr;

use super::parse::{duration_arg, ip_arg, number, single, unknown, words, Seen, R};
use super::{FoMode, FoRole, Relationship, Scope};

const WORDS: &[&str] = &[
    "role",
    "address",
    "port",
    "peer-address",
    "peer-port",
    "mode",
    "mclt",
    "max-response-delay",
    "max-unacked-updates",
    "auto-partner-down",
    "load-balance-max-seconds",
    "shared-secret",
    "scope",
];

/// A relationship while its block is open.
pub(super) struct Draft {
    pub name: String,
    pub line: usize,
    role: Option<FoRole>,
    address: Option<Ipv4Addr>,
    port: u16,
    peer_address: Option<Ipv4Addr>,
    peer_port: u16,
    mode: FoMode,
    mclt: u32,
    max_response_delay: u32,
    max_unacked_updates: u32,
    auto_partner_down: u32,
    load_balance_max_secs: u16,
    shared_secret: Option<Vec<u8>>,
    scopes: Vec<(String, usize)>,
    seen: Seen,
}

impl Draft {
    pub fn new(name: String, line: usize) -> Draft {
        Draft {
            name,
            line,
            role: None,
            address: None,
            port: 647,
            peer_address: None,
            peer_port: 647,
            mode: FoMode::LoadBalance { percent: 50 },
            mclt: 3600,
            max_response_delay: 30,
            max_unacked_updates: 10,
            auto_partner_down: 0,
            load_balance_max_secs: 3,
            shared_secret: None,
            scopes: Vec::new(),
            seen: Seen::default(),
        }
    }
}

fn port(rest: &str, kw: &str) -> Result<u16, String> {
    let v = number(rest, kw)?;
    u16::try_from(v)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("port {v} after `{kw}` is out of range: expected 1..65535"))
}

fn percent(w: Option<&str>, default: u8, what: &str) -> Result<u8, String> {
    match w {
        None => Ok(default),
        Some(w) => {
            let d = w.strip_suffix('%').unwrap_or(w);
            d.parse::<u8>()
                .ok()
                .filter(|v| *v <= 100)
                .ok_or_else(|| format!("expected a {what} percentage 0..100, found `{w}`"))
        }
    }
}

/// One statement inside the block.
pub(super) fn stmt(d: &mut Draft, line: usize, kw: &str, rest: &str) -> R<()> {
    let Some(&kws) = WORDS.iter().find(|w| **w == kw) else {
        return Err((line, unknown(kw, WORDS, "in a failover block")));
    };
    if kws != "scope" {
        d.seen.once(kws, line, "this failover block")?;
    }
    let e = |m: String| (line, m);
    match kws {
        "role" => {
            d.role = Some(
                match single(rest, kws, "primary or secondary")
                    .map_err(e)?
                    .as_str()
                {
                    "primary" => FoRole::Primary,
                    "secondary" => FoRole::Secondary,
                    o => {
                        return Err((
                            line,
                            format!("expected primary or secondary after `role`, found `{o}`"),
                        ))
                    }
                },
            )
        }
        "address" => d.address = Some(ip_arg(rest, kws).map_err(e)?),
        "peer-address" => d.peer_address = Some(ip_arg(rest, kws).map_err(e)?),
        "port" => d.port = port(rest, kws).map_err(e)?,
        "peer-port" => d.peer_port = port(rest, kws).map_err(e)?,
        "mode" => {
            let ws: Vec<String> = words(rest)
                .map_err(e)?
                .into_iter()
                .map(|w| w.text)
                .collect();
            d.mode = match ws.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["load-balance", rest @ ..] if rest.len() <= 1 => FoMode::LoadBalance { percent: percent(rest.first().copied(), 50, "load-balance").map_err(e)? },
                ["hot-standby", rest @ ..] if rest.len() <= 1 => FoMode::HotStandby { reserve_percent: percent(rest.first().copied(), 5, "reserve").map_err(e)? },
                _ => return Err((line, format!("expected `load-balance [PERCENT]` or `hot-standby [RESERVE-PERCENT]` after `mode`, found `{}`", rest.trim()))),
            }
        }
        "mclt" => {
            let v = duration_arg(rest, kws).map_err(e)?;
            if v == 0 {
                return Err((line, "mclt 0 would let a partner extend leases without bound: expected at least 1 second".into()));
            }
            d.mclt = v;
        }
        "max-response-delay" => {
            let v = duration_arg(rest, kws).map_err(e)?;
            if v < 3 {
                return Err((line, format!("max-response-delay {v} is too short: expected at least 3 seconds (CONTACT goes every third of it)")));
            }
            d.max_response_delay = v;
        }
        "max-unacked-updates" => {
            let v = number(rest, kws).map_err(e)?;
            if v == 0 {
                return Err((
                    line,
                    "max-unacked-updates 0 would never send an update: expected at least 1".into(),
                ));
            }
            d.max_unacked_updates = v;
        }
        "auto-partner-down" => {
            let w = single(rest, kws, "a duration or off").map_err(e)?;
            d.auto_partner_down = if w == "off" {
                0
            } else {
                duration_arg(rest, kws).map_err(e)?
            };
        }
        "load-balance-max-seconds" => {
            let v = number(rest, kws).map_err(e)?;
            d.load_balance_max_secs = u16::try_from(v).map_err(|_| {
                (
                    line,
                    format!("load-balance-max-seconds {v} is out of range: expected 0..65535"),
                )
            })?;
        }
        "shared-secret" => {
            let w = single(rest, kws, "a quoted secret").map_err(e)?;
            if w.is_empty() {
                return Err((
                    line,
                    "expected a non-empty secret after `shared-secret`".into(),
                ));
            }
            d.shared_secret = Some(w.into_bytes());
        }
        "scope" => {
            let name = single(rest, kws, "a scope name").map_err(e)?;
            if d.scopes.iter().any(|(n, _)| *n == name) {
                return Err((
                    line,
                    format!("scope {name} is listed twice in failover {}", d.name),
                ));
            }
            d.scopes.push((name, line));
        }
        _ => return Err((line, unknown(kw, WORDS, "in a failover block"))),
    }
    Ok(())
}

/// Close the block: required statements present.
pub(super) fn finish(d: Draft) -> R<Relationship> {
    let missing = |what: &str| {
        (
            d.line,
            format!(
                "expected `{what}` in failover {} (block opened here)",
                d.name
            ),
        )
    };
    let role = d.role.ok_or_else(|| missing("role primary|secondary"))?;
    let address = d.address.ok_or_else(|| missing("address IPV4"))?;
    let peer_address = d.peer_address.ok_or_else(|| missing("peer-address IPV4"))?;
    if d.scopes.is_empty() {
        return Err(missing("scope NAME"));
    }
    if d.name.len() > 126 {
        return Err((
            d.line,
            format!(
                "failover name {} is too long: expected at most 126 bytes",
                d.name
            ),
        ));
    }
    Ok(Relationship {
        name: d.name,
        role,
        address,
        port: d.port,
        peer_address,
        peer_port: d.peer_port,
        mode: d.mode,
        mclt: d.mclt,
        max_response_delay: d.max_response_delay,
        max_unacked_updates: d.max_unacked_updates,
        auto_partner_down: d.auto_partner_down,
        load_balance_max_secs: d.load_balance_max_secs,
        shared_secret: d.shared_secret,
        scopes: d.scopes.into_iter().map(|(n, _)| n).collect(),
        line: d.line,
    })
}

/// Across the file: every named scope exists, a scope is in one relationship only, names and
/// listeners are unique.
pub(super) fn check(rels: &[Relationship], scopes: &[Scope]) -> R<()> {
    for (i, r) in rels.iter().enumerate() {
        for s in &r.scopes {
            if !scopes.iter().any(|x| &x.name == s) {
                return Err((
                    r.line,
                    format!("failover {} names scope {s}, which is not defined", r.name),
                ));
            }
            if let Some(o) = rels.iter().take(i).find(|o| o.scopes.contains(s)) {
                return Err((
                    r.line,
                    format!(
                        "scope {s} is already in failover {} (line {}): a scope has one partner",
                        o.name, o.line
                    ),
                ));
            }
        }
        if let Some(o) = rels.iter().take(i).find(|o| o.name == r.name) {
            return Err((
                r.line,
                format!(
                    "duplicate failover name {} (first at line {})",
                    r.name, o.line
                ),
            ));
        }
        if let Some(o) = rels
            .iter()
            .take(i)
            .find(|o| o.address == r.address && o.port == r.port)
        {
            return Err((r.line, format!("failover {} listens on {}:{} like failover {} (line {}): expected a distinct port", r.name, r.address, r.port, o.name, o.line)));
        }
    }
    Ok(())
}
