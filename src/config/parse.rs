//! Hand-written parser for the config text format.
//!
//! Contract: pure (text and file name in, [`Config`] or the first [`Error`] out); never panics.
//! Every error carries the 1-based line it was found on; its message starts with "expected …" or
//! states exactly what is wrong. Checks that need the whole block (ranges against the subnet,
//! missing `subnet`) run when the block closes and point at the offending statement's own line,
//! or at the block's opening line when something is missing.
//!
//! # Format
//!
//! ```text
//! # A comment runs from `#` (outside quotes) to the end of the line. Blank lines are ignored.
//! # One statement per line: KEYWORD VALUE… A block opens with `NAME {` at the end of a line
//! # and closes with `}` alone on its line.
//!
//! server {                        # at most one; every statement optional
//!     interface NAME              # repeatable; the only interfaces ever served (none → event 1041)
//!     journal PATH                # default /var/lib/duodhcp/leases.journal
//!     durability sync|batch|none  # default batch (group commit)
//!     commit-window-ms N          # batch: max ms an ACK waits for its group commit; default 10
//!     on-corruption skip|refuse   # default skip
//!     compact-ratio N             # default 4; at least 2
//!     expired-grace DURATION      # default 3600
//!     backup-dir PATH|none        # default none (no periodic backup)
//!     backup-interval DURATION    # default 3600
//!     server-id IPV4              # default: the ingress interface's address
//!     offer-hold DURATION         # default 30
//!     decline-quarantine DURATION # default 600
//!     low-address-warning PERCENT # 1..100, `%` optional; default 90
//!     dynamic-bootp BOOL          # default off
//!     authoritative BOOL          # default on
//!     control-socket PATH|none    # default none
//!     pid-file PATH|none          # default none
//!     option NAME VALUE           # same as at top level
//! }
//! option NAME|CODE VALUE          # server-wide option, applies to every scope
//! scope NAME {                    # repeatable; NAME is letters, digits, `-`, `_`, `.`
//!     subnet A.B.C.D/LEN          # required; LEN 8..30, host bits zero
//!     range START END             # repeatable; inside the subnet, not network/broadcast
//!     exclude START [END]         # repeatable; never handed out dynamically
//!     lease-time DURATION         # default 86400; at least 60
//!     renewal-time DURATION       # T1, optional (default 1/2 lease-time)
//!     rebinding-time DURATION     # T2, optional (default 7/8 lease-time)
//!     option NAME|CODE VALUE      # repeatable; overrides the server-wide value
//!     boot-file NAME              # BOOTP/PXE `file` field
//!     next-server IPV4            # BOOTP/PXE `siaddr`
//!     reservation NAME {          # repeatable
//!         hardware-address 02:00:00:00:00:01   # or: client-id HEX | client-id "TEXT"
//!         address IPV4            # required; inside the scope's subnet
//!         option NAME|CODE VALUE  # repeatable
//!         boot-file NAME
//!     }
//! }
//! ```
//!
//! Values: a DURATION is seconds, or a number with `s`, `m`, `h`, `d` or `w`. A BOOL is
//! `on|off|yes|no|true|false`. PATH and NAME values may be quoted (`"…"`, escapes `\"` and
//! `\\`). Option values are described in [`super::options`]. Single-valued statements may
//! appear once per block; an option code may appear once per level.

use core::net::Ipv4Addr;

use super::failover as fo;
use super::options::{self, Word};
use super::{
    Config, CorruptionPolicy, Durability, Error, OptionList, Reservation, ReservationKey, Scope,
    Server,
};

/// Lease time when a scope does not say (one day: long enough to survive a weekend router
/// reboot cycle, short enough to recycle guest devices).
pub const DEFAULT_LEASE_TIME: u32 = 86_400;

const SERVER_WORDS: &[&str] = &[
    "interface",
    "journal",
    "durability",
    "commit-window-ms",
    "receive-buffer-kb",
    "on-corruption",
    "compact-ratio",
    "expired-grace",
    "backup-dir",
    "backup-interval",
    "server-id",
    "offer-hold",
    "decline-quarantine",
    "low-address-warning",
    "dynamic-bootp",
    "authoritative",
    "control-socket",
    "pid-file",
    "option",
];
const TOP_WORDS: &[&str] = &["server {", "scope NAME {", "failover NAME {", "option"];
const SCOPE_WORDS: &[&str] = &[
    "subnet",
    "range",
    "exclude",
    "lease-time",
    "renewal-time",
    "rebinding-time",
    "option",
    "boot-file",
    "next-server",
    "reservation NAME {",
];
const RES_WORDS: &[&str] = &[
    "hardware-address",
    "client-id",
    "address",
    "option",
    "boot-file",
];

/// Parse and validate a whole config file. `file` is used in error messages only.
pub fn parse(text: &str, file: &str) -> Result<Config, Error> {
    let mut p = Parser {
        cfg: Config::default(),
        server_line: None,
    };
    p.run(text).map_err(|(line, msg)| Error {
        file: file.into(),
        line,
        msg,
    })?;
    Ok(p.cfg)
}

pub(super) type R<T> = Result<T, (usize, String)>;

/// A scope while its block is open: values plus the lines they came from, for later checks.
struct ScopeDraft {
    name: String,
    line: usize,
    subnet: Option<(Ipv4Addr, u8, usize)>,
    ranges: Vec<(Ipv4Addr, Ipv4Addr, usize)>,
    exclusions: Vec<(Ipv4Addr, Ipv4Addr, usize)>,
    /// Each reservation with the line of its `address` statement.
    reservations: Vec<(Reservation, usize)>,
    lease_time: Option<(u32, usize)>,
    t1: Option<(u32, usize)>,
    t2: Option<(u32, usize)>,
    options: Options,
    boot_file: Option<String>,
    next_server: Option<Ipv4Addr>,
    seen: Seen,
}

struct ResDraft {
    name: String,
    line: usize,
    key: Option<ReservationKey>,
    addr: Option<(Ipv4Addr, usize)>,
    options: Options,
    boot_file: Option<String>,
    seen: Seen,
}

/// Which block the next line belongs to.
enum Ctx {
    Top,
    Server(Seen),
    Scope(Box<ScopeDraft>),
    Res(Box<ScopeDraft>, ResDraft),
    Failover(Box<fo::Draft>),
}

/// Single-valued keywords already seen in a block, with their lines.
#[derive(Default)]
pub(super) struct Seen(Vec<(&'static str, usize)>);

impl Seen {
    pub(super) fn once(&mut self, kw: &'static str, line: usize, block: &str) -> R<()> {
        if let Some(&(_, first)) = self.0.iter().find(|(k, _)| *k == kw) {
            return Err((
                line,
                format!("duplicate `{kw}` in {block} (first given at line {first})"),
            ));
        }
        self.0.push((kw, line));
        Ok(())
    }
}

/// Options of one level, with the line each code was set on (to report duplicates).
#[derive(Default)]
struct Options {
    list: OptionList,
    lines: Vec<usize>,
}

impl Options {
    fn add(&mut self, line: usize, args: &str) -> R<()> {
        let (code, data) = parse_option(args).map_err(|m| (line, m))?;
        if let Some(i) = self.list.iter().position(|(c, _)| *c == code) {
            let first = self.lines.get(i).copied().unwrap_or(0);
            return Err((
                line,
                format!("option {code} is set twice at this level (first at line {first})"),
            ));
        }
        self.list.push((code, data));
        self.lines.push(line);
        Ok(())
    }
}

struct Parser {
    cfg: Config,
    server_line: Option<usize>,
}

impl Parser {
    fn run(&mut self, text: &str) -> R<()> {
        let mut ctx = Ctx::Top;
        let mut top_options = Options::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let stmt = strip_comment(raw).trim();
            if stmt.is_empty() {
                continue;
            }
            let (kw, rest) = split_keyword(stmt);
            if kw == "}" {
                if !rest.is_empty() {
                    return Err((
                        line,
                        format!("expected end of line after `}}`, found `{rest}`"),
                    ));
                }
                ctx = self.close(ctx, line)?;
                continue;
            }
            // A block opener ends with `{`; the `{` must be the last thing on the line.
            let opener = rest == "{" || rest.ends_with(" {") || rest.ends_with("\t{");
            if stmt.contains('{') && !opener && !stmt.contains('"') {
                return Err((
                    line,
                    "expected `{` at the end of the line (one statement per line)".into(),
                ));
            }
            ctx = match ctx {
                Ctx::Top => self.top(line, kw, rest, opener, &mut top_options)?,
                Ctx::Server(mut seen) => {
                    self.server(line, kw, rest, opener, &mut seen, &mut top_options)?;
                    Ctx::Server(seen)
                }
                Ctx::Scope(mut s) => {
                    if kw == "reservation" {
                        let name = block_name(line, "reservation", rest, opener)?;
                        let r = ResDraft {
                            name,
                            line,
                            key: None,
                            addr: None,
                            options: Options::default(),
                            boot_file: None,
                            seen: Seen::default(),
                        };
                        Ctx::Res(s, r)
                    } else {
                        no_block(line, kw, opener)?;
                        scope_stmt(&mut s, line, kw, rest)?;
                        Ctx::Scope(s)
                    }
                }
                Ctx::Res(s, mut r) => {
                    no_block(line, kw, opener)?;
                    res_stmt(&mut r, line, kw, rest)?;
                    Ctx::Res(s, r)
                }
                Ctx::Failover(mut d) => {
                    no_block(line, kw, opener)?;
                    fo::stmt(&mut d, line, kw, rest)?;
                    Ctx::Failover(d)
                }
            };
        }
        match ctx {
            Ctx::Top => {}
            Ctx::Server(_) => {
                let l = self.server_line.unwrap_or(0);
                return Err((
                    l,
                    "expected `}` to close the `server` block opened here".into(),
                ));
            }
            Ctx::Scope(s) => {
                return Err((
                    s.line,
                    format!("expected `}}` to close scope {} opened here", s.name),
                ));
            }
            Ctx::Res(_, r) => {
                return Err((
                    r.line,
                    format!("expected `}}` to close reservation {} opened here", r.name),
                ));
            }
            Ctx::Failover(d) => {
                return Err((
                    d.line,
                    format!("expected `}}` to close failover {} opened here", d.name),
                ));
            }
        }
        self.cfg.options = top_options.list;
        check_scopes(&self.cfg.scopes)?;
        fo::check(&self.cfg.relationships, &self.cfg.scopes)
    }

    fn top(
        &mut self,
        line: usize,
        kw: &str,
        rest: &str,
        opener: bool,
        top: &mut Options,
    ) -> R<Ctx> {
        match kw {
            "server" => {
                if rest != "{" {
                    return Err((
                        line,
                        "expected `server {` (the server block takes no name)".into(),
                    ));
                }
                if let Some(first) = self.server_line {
                    return Err((
                        line,
                        format!("duplicate `server` block (first opened at line {first})"),
                    ));
                }
                self.server_line = Some(line);
                Ok(Ctx::Server(Seen::default()))
            }
            "scope" => {
                let name = block_name(line, "scope", rest, opener)?;
                if let Some(s) = self.cfg.scopes.iter().find(|s| s.name == name) {
                    return Err((
                        line,
                        format!("duplicate scope name {name} (first at line {})", s.line),
                    ));
                }
                Ok(Ctx::Scope(Box::new(ScopeDraft {
                    name,
                    line,
                    subnet: None,
                    ranges: Vec::new(),
                    exclusions: Vec::new(),
                    reservations: Vec::new(),
                    lease_time: None,
                    t1: None,
                    t2: None,
                    options: Options::default(),
                    boot_file: None,
                    next_server: None,
                    seen: Seen::default(),
                })))
            }
            "option" => {
                no_block(line, kw, opener)?;
                top.add(line, rest)?;
                Ok(Ctx::Top)
            }
            "failover" => {
                let name = block_name(line, "failover", rest, opener)?;
                Ok(Ctx::Failover(Box::new(fo::Draft::new(name, line))))
            }
            _ => Err((line, unknown(kw, TOP_WORDS, "at top level"))),
        }
    }

    fn server(
        &mut self,
        line: usize,
        kw: &str,
        rest: &str,
        opener: bool,
        seen: &mut Seen,
        top: &mut Options,
    ) -> R<()> {
        no_block(line, kw, opener)?;
        let Some(&kws) = SERVER_WORDS.iter().find(|w| **w == kw) else {
            return Err((line, unknown(kw, SERVER_WORDS, "in the server block")));
        };
        if kws == "option" {
            return top.add(line, rest);
        }
        if kws != "interface" {
            seen.once(kws, line, "the server block")?;
        }
        let s: &mut Server = &mut self.cfg.server;
        let e = |m: String| (line, m);
        match kws {
            "interface" => {
                let name = single(rest, kws, "an interface name").map_err(e)?;
                if name.is_empty()
                    || name.len() > 15
                    || name.contains('/')
                    || name.contains(char::is_whitespace)
                {
                    return Err((line, format!("interface name `{name}` is not valid: expected 1..15 bytes without `/` or blanks (IFNAMSIZ)")));
                }
                if s.interfaces.contains(&name) {
                    return Err((line, format!("interface {name} is listed twice")));
                }
                s.interfaces.push(name);
            }
            "journal" => s.journal = single(rest, kws, "a file path").map_err(e)?,
            "durability" => {
                s.durability = match single(rest, kws, "sync, batch or none")
                    .map_err(e)?
                    .as_str()
                {
                    "sync" => Durability::Sync,
                    "batch" => Durability::Batch,
                    "none" => Durability::None,
                    o => {
                        return Err((
                            line,
                            format!("expected sync, batch or none after `durability`, found `{o}`"),
                        ))
                    }
                }
            }
            "on-corruption" => {
                s.on_corruption = match single(rest, kws, "skip or refuse").map_err(e)?.as_str() {
                    "skip" => CorruptionPolicy::Skip,
                    "refuse" => CorruptionPolicy::Refuse,
                    o => {
                        return Err((
                            line,
                            format!("expected skip or refuse after `on-corruption`, found `{o}`"),
                        ))
                    }
                }
            }
            "commit-window-ms" => {
                let v = number(rest, kws).map_err(e)?;
                if v > 1000 {
                    return Err((line, format!("commit-window-ms {v} is too long: expected 0..1000 (clients retransmit after about a second)")));
                }
                s.commit_window_ms = v;
            }
            "receive-buffer-kb" => {
                let v = number(rest, kws).map_err(e)?;
                if !(16..=65536).contains(&v) {
                    return Err((line, format!("receive-buffer-kb {v} is out of range: expected 16..65536 (KiB per interface socket)")));
                }
                s.receive_buffer_kb = v;
            }
            "compact-ratio" => {
                let v = number(rest, kws).map_err(e)?;
                if v < 2 {
                    return Err((
                        line,
                        format!("compact-ratio {v} is too small: expected at least 2"),
                    ));
                }
                s.compact_ratio = v;
            }
            "expired-grace" => s.expired_grace = duration_arg(rest, kws).map_err(e)?,
            "backup-dir" => s.backup_dir = optional_path(rest, kws).map_err(e)?,
            "backup-interval" => {
                let v = duration_arg(rest, kws).map_err(e)?;
                if v == 0 {
                    return Err((line, "backup-interval 0 would back up continuously: expected at least 1 second (use `backup-dir none` to disable)".into()));
                }
                s.backup_interval = v;
            }
            "server-id" => s.server_id = Some(ip_arg(rest, kws).map_err(e)?),
            "offer-hold" => s.offer_hold = duration_arg(rest, kws).map_err(e)?,
            "decline-quarantine" => s.decline_quarantine = duration_arg(rest, kws).map_err(e)?,
            "low-address-warning" => {
                let w = single(rest, kws, "a percentage 1..100").map_err(e)?;
                let digits = w.strip_suffix('%').unwrap_or(&w);
                match digits.parse::<u8>() {
                    Ok(v) if (1..=100).contains(&v) => s.low_address_warning = v,
                    Ok(_) | Err(_) if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() => {
                        return Err((line, format!("low-address-warning {w} is out of range: expected a percentage 1..100")))
                    }
                    _ => return Err((line, format!("expected a percentage 1..100 after `low-address-warning`, found `{w}`"))),
                }
            }
            "dynamic-bootp" => s.dynamic_bootp = bool_arg(rest, kws).map_err(e)?,
            "authoritative" => s.authoritative = bool_arg(rest, kws).map_err(e)?,
            "control-socket" => s.control_socket = optional_path(rest, kws).map_err(e)?,
            "pid-file" => s.pid_file = optional_path(rest, kws).map_err(e)?,
            _ => return Err((line, unknown(kw, SERVER_WORDS, "in the server block"))),
        }
        Ok(())
    }

    fn close(&mut self, ctx: Ctx, line: usize) -> R<Ctx> {
        match ctx {
            Ctx::Top => Err((line, "unexpected `}`: no block is open".into())),
            Ctx::Server(_) => Ok(Ctx::Top),
            Ctx::Res(mut s, r) => {
                let res = finish_reservation(r)?;
                s.reservations.push(res);
                Ok(Ctx::Scope(s))
            }
            Ctx::Scope(s) => {
                let scope = finish_scope(*s)?;
                self.cfg.scopes.push(scope);
                Ok(Ctx::Top)
            }
            Ctx::Failover(d) => {
                self.cfg.relationships.push(fo::finish(*d)?);
                Ok(Ctx::Top)
            }
        }
    }
}

fn scope_stmt(s: &mut ScopeDraft, line: usize, kw: &str, rest: &str) -> R<()> {
    let Some(&kws) = SCOPE_WORDS.iter().find(|w| **w == kw) else {
        return Err((
            line,
            unknown(kw, SCOPE_WORDS, &format!("in scope {}", s.name)),
        ));
    };
    let block = format!("scope {}", s.name);
    let e = |m: String| (line, m);
    match kws {
        "range" | "exclude" | "option" => {}
        _ => s.seen.once(kws, line, &block)?,
    }
    match kws {
        "subnet" => {
            let w = single(rest, kws, "a subnet like 198.18.0.0/24").map_err(e)?;
            let (net, len) = options::parse_cidr(&w).ok_or_else(|| {
                (
                    line,
                    format!("expected a subnet like 198.18.0.0/24 after `subnet`, found `{w}`"),
                )
            })?;
            if !(8..=30).contains(&len) {
                return Err((
                    line,
                    format!("subnet {w}: prefix length /{len} is out of range; expected 8..30"),
                ));
            }
            let m = options::mask(len);
            if u32::from(net) & !m != 0 {
                let n = Ipv4Addr::from(u32::from(net) & m);
                return Err((
                    line,
                    format!("subnet {w} has host bits set; the network address is {n}/{len}"),
                ));
            }
            s.subnet = Some((net, len, line));
        }
        "range" | "exclude" => {
            let ws = words(rest).map_err(e)?;
            let what = "an address range START END";
            let (a, b) = match ws.as_slice() {
                [] => return Err((line, format!("expected {what} after `{kws}`"))),
                [a] if kws == "exclude" => {
                    (ip_word(a, kws).map_err(e)?, ip_word(a, kws).map_err(e)?)
                }
                [_] => {
                    return Err((
                        line,
                        format!("expected {what} after `range`: the end address is missing"),
                    ))
                }
                [a, b] => (ip_word(a, kws).map_err(e)?, ip_word(b, kws).map_err(e)?),
                [_, _, x, ..] => {
                    return Err((
                        line,
                        format!(
                            "expected end of line after the value of `{kws}`, found `{}`",
                            x.text
                        ),
                    ))
                }
            };
            if u32::from(a) > u32::from(b) {
                return Err((line, format!("{kws} {a} {b}: start is after end")));
            }
            if kws == "range" {
                s.ranges.push((a, b, line));
            } else {
                s.exclusions.push((a, b, line));
            }
        }
        "lease-time" => s.lease_time = Some((duration_arg(rest, kws).map_err(e)?, line)),
        "renewal-time" => s.t1 = Some((duration_arg(rest, kws).map_err(e)?, line)),
        "rebinding-time" => s.t2 = Some((duration_arg(rest, kws).map_err(e)?, line)),
        "option" => s.options.add(line, rest)?,
        "boot-file" => s.boot_file = Some(boot_file(rest).map_err(e)?),
        "next-server" => s.next_server = Some(ip_arg(rest, kws).map_err(e)?),
        _ => {
            return Err((
                line,
                unknown(kw, SCOPE_WORDS, &format!("in scope {}", s.name)),
            ))
        }
    }
    Ok(())
}

fn res_stmt(r: &mut ResDraft, line: usize, kw: &str, rest: &str) -> R<()> {
    let Some(&kws) = RES_WORDS.iter().find(|w| **w == kw) else {
        return Err((
            line,
            unknown(kw, RES_WORDS, &format!("in reservation {}", r.name)),
        ));
    };
    let block = format!("reservation {}", r.name);
    let e = |m: String| (line, m);
    if kws != "option" {
        // hardware-address and client-id are two spellings of the one key.
        let slot = if kws == "client-id" {
            "hardware-address"
        } else {
            kws
        };
        if let Some(&(_, first)) = r.seen.0.iter().find(|(k, _)| *k == slot) {
            return Err((line, format!("{block} already has its `{slot}`/key at line {first}; expected one key and one address")));
        }
        r.seen.0.push((slot, line));
    }
    match kws {
        "hardware-address" => {
            let w = single(rest, kws, "a MAC address like 02:00:00:00:00:01").map_err(e)?;
            let mac = options::parse_hex(&w)
                .and_then(|b| <[u8; 6]>::try_from(b).ok())
                .filter(|_| !w.starts_with("0x"))
                .ok_or_else(|| (line, format!("expected a MAC address like 02:00:00:00:00:01 after `hardware-address`, found `{w}`")))?;
            r.key = Some(ReservationKey::Mac(mac));
        }
        "client-id" => {
            let ws = words(rest).map_err(e)?;
            let what = "client-id bytes (01:02:00:00:00:00:01, 0x0102… or \"text\")";
            let w = match ws.as_slice() {
                [w] => w,
                [] => return Err((line, format!("expected {what}"))),
                [_, x, ..] => {
                    return Err((
                        line,
                        format!(
                            "expected end of line after the value of `client-id`, found `{}`",
                            x.text
                        ),
                    ))
                }
            };
            let bytes = if w.quoted {
                Some(w.text.clone().into_bytes())
            } else {
                options::parse_hex(&w.text)
            };
            match bytes {
                Some(b) if !b.is_empty() && b.len() <= 255 => {
                    r.key = Some(ReservationKey::ClientId(b))
                }
                _ => return Err((line, format!("expected {what}, found `{}`", w.text))),
            }
        }
        "address" => r.addr = Some((ip_arg(rest, kws).map_err(e)?, line)),
        "option" => r.options.add(line, rest)?,
        "boot-file" => r.boot_file = Some(boot_file(rest).map_err(e)?),
        _ => return Err((line, unknown(kw, RES_WORDS, &block))),
    }
    Ok(())
}

fn finish_reservation(r: ResDraft) -> R<(Reservation, usize)> {
    let Some(key) = r.key else {
        return Err((
            r.line,
            format!(
                "reservation {}: expected a `hardware-address` or `client-id` statement",
                r.name
            ),
        ));
    };
    let Some((addr, addr_line)) = r.addr else {
        return Err((
            r.line,
            format!("reservation {}: expected an `address` statement", r.name),
        ));
    };
    let res = Reservation {
        name: r.name,
        key,
        addr,
        options: r.options.list,
        boot_file: r.boot_file,
        line: r.line,
    };
    Ok((res, addr_line))
}

fn finish_scope(s: ScopeDraft) -> R<Scope> {
    let Some((net, len, _)) = s.subnet else {
        return Err((
            s.line,
            format!("scope {}: expected a `subnet` statement", s.name),
        ));
    };
    let m = options::mask(len);
    let netn = u32::from(net);
    let bcast = netn | !m;
    let inside = |a: Ipv4Addr| u32::from(a) & m == netn;
    let sn = format!("subnet {net}/{len} of scope {}", s.name);
    let mut ranges: Vec<(Ipv4Addr, Ipv4Addr, usize)> = s.ranges.clone();
    for &(a, b, line) in &s.ranges {
        for x in [a, b] {
            if !inside(x) {
                return Err((line, format!("address {x} is outside {sn}")));
            }
        }
        if u32::from(a) == netn {
            return Err((
                line,
                format!("range {a} {b} includes the network address {a} of {sn}"),
            ));
        }
        if u32::from(b) == bcast {
            return Err((
                line,
                format!("range {a} {b} includes the broadcast address {b} of {sn}"),
            ));
        }
    }
    ranges.sort_by_key(|r| u32::from(r.0));
    for w in ranges.windows(2) {
        if let [x, y] = w {
            if u32::from(y.0) <= u32::from(x.1) {
                let (later, earlier) = if y.2 > x.2 { (y, x) } else { (x, y) };
                return Err((
                    later.2,
                    format!(
                        "range {} {} overlaps range {} {} (line {}) in scope {}",
                        later.0, later.1, earlier.0, earlier.1, earlier.2, s.name
                    ),
                ));
            }
        }
    }
    for &(a, b, line) in &s.exclusions {
        for x in [a, b] {
            if !inside(x) {
                return Err((line, format!("address {x} is outside {sn}")));
            }
        }
    }
    let mut reservations = Vec::with_capacity(s.reservations.len());
    for (r, addr_line) in &s.reservations {
        let a = r.addr;
        if !inside(a) {
            return Err((
                *addr_line,
                format!("address {a} of reservation {} is outside {sn}", r.name),
            ));
        }
        if u32::from(a) == netn || u32::from(a) == bcast {
            let which = if u32::from(a) == netn {
                "network"
            } else {
                "broadcast"
            };
            return Err((
                *addr_line,
                format!(
                    "address {a} of reservation {} is the {which} address of {sn}",
                    r.name
                ),
            ));
        }
        if let Some(o) = reservations
            .iter()
            .find(|o: &&Reservation| o.name == r.name)
        {
            return Err((
                r.line,
                format!(
                    "duplicate reservation name {} in scope {} (first at line {})",
                    r.name, s.name, o.line
                ),
            ));
        }
        if let Some(o) = reservations.iter().find(|o: &&Reservation| o.addr == a) {
            return Err((
                *addr_line,
                format!(
                    "address {a} of reservation {} is already reserved by reservation {} (line {})",
                    r.name, o.name, o.line
                ),
            ));
        }
        if let Some(o) = reservations.iter().find(|o: &&Reservation| o.key == r.key) {
            return Err((
                r.line,
                format!(
                    "{} of reservation {} is already used by reservation {} (line {})",
                    show_key(&r.key),
                    r.name,
                    o.name,
                    o.line
                ),
            ));
        }
        reservations.push(r.clone());
    }
    let (lease_time, lt_line) = s.lease_time.unwrap_or((DEFAULT_LEASE_TIME, s.line));
    if lease_time < 60 {
        return Err((
            lt_line,
            format!("lease-time {lease_time} is too short: expected at least 60 seconds"),
        ));
    }
    for (t, name) in [(s.t1, "renewal-time"), (s.t2, "rebinding-time")] {
        if let Some((v, line)) = t {
            if v >= lease_time {
                return Err((
                    line,
                    format!("{name} {v} must be less than lease-time {lease_time}"),
                ));
            }
        }
    }
    if let (Some((t1, _)), Some((t2, line))) = (s.t1, s.t2) {
        if t1 >= t2 {
            return Err((
                line,
                format!("rebinding-time {t2} must be greater than renewal-time {t1}"),
            ));
        }
    }
    Ok(Scope {
        name: s.name,
        subnet: net,
        prefix_len: len,
        ranges: s.ranges.iter().map(|r| (r.0, r.1)).collect(),
        exclusions: s.exclusions.iter().map(|r| (r.0, r.1)).collect(),
        reservations,
        lease_time,
        t1: s.t1.map(|t| t.0),
        t2: s.t2.map(|t| t.0),
        options: s.options.list,
        boot_file: s.boot_file,
        next_server: s.next_server,
        line: s.line,
    })
}

fn show_key(k: &ReservationKey) -> String {
    match k {
        ReservationKey::Mac(m) => format!("hardware-address {}", options::hex(m)),
        ReservationKey::ClientId(c) => format!("client-id {}", options::hex(c)),
    }
}

/// Checks across scopes: subnets must not overlap (a client would match two scopes), and a
/// reservation key may exist only once (the same client cannot be pinned in two places).
fn check_scopes(scopes: &[Scope]) -> R<()> {
    for (i, b) in scopes.iter().enumerate() {
        for a in scopes.iter().take(i) {
            let m = options::mask(a.prefix_len.min(b.prefix_len));
            if u32::from(a.subnet) & m == u32::from(b.subnet) & m {
                return Err((
                    b.line,
                    format!(
                        "subnet {}/{} of scope {} overlaps subnet {}/{} of scope {} (line {})",
                        b.subnet, b.prefix_len, b.name, a.subnet, a.prefix_len, a.name, a.line
                    ),
                ));
            }
            for rb in &b.reservations {
                if let Some(ra) = a.reservations.iter().find(|ra| ra.key == rb.key) {
                    return Err((
                        rb.line,
                        format!(
                            "{} of reservation {} is already used by reservation {} of scope {} (line {})",
                            show_key(&rb.key),
                            rb.name,
                            ra.name,
                            a.name,
                            ra.line
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

pub(super) fn unknown(kw: &str, allowed: &[&str], place: &str) -> String {
    let hint = if kw == "option" {
        String::new()
    } else if kw == "{" {
        " (a block needs a name before `{`)".into()
    } else {
        String::new()
    };
    format!(
        "expected one of: {} {place}; found `{kw}`{hint}",
        allowed.join(", ")
    )
}

/// Everything before a `#` that is not inside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '#' if !quoted => return line.get(..i).unwrap_or(""),
            _ => {}
        }
    }
    line
}

fn split_keyword(stmt: &str) -> (&str, &str) {
    match stmt.find(char::is_whitespace) {
        Some(i) => (
            stmt.get(..i).unwrap_or(""),
            stmt.get(i..).unwrap_or("").trim(),
        ),
        None => (stmt, ""),
    }
}

pub(super) fn no_block(line: usize, kw: &str, opener: bool) -> R<()> {
    if opener {
        Err((
            line,
            format!("expected a value after `{kw}`: `{kw}` does not open a block"),
        ))
    } else {
        Ok(())
    }
}

/// `NAME {` after `scope`/`reservation`.
pub(super) fn block_name(line: usize, kw: &str, rest: &str, opener: bool) -> R<String> {
    if !opener {
        return Err((
            line,
            format!("expected `{kw} NAME {{` with `{{` at the end of the line"),
        ));
    }
    let name = rest.trim_end_matches('{').trim();
    if name.is_empty() {
        return Err((line, format!("expected a name after `{kw}`")));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err((
            line,
            format!("{kw} name `{name}` is not valid: expected letters, digits, `-`, `_` or `.`"),
        ));
    }
    Ok(name.to_string())
}

pub(super) fn words(rest: &str) -> Result<Vec<Word>, String> {
    options::words(rest)
}

/// Exactly one word after `kw`.
pub(super) fn single(rest: &str, kw: &str, what: &str) -> Result<String, String> {
    let ws = words(rest)?;
    match ws.as_slice() {
        [w] => Ok(w.text.clone()),
        [] => Err(format!("expected {what} after `{kw}`")),
        [_, x, ..] => Err(format!(
            "expected end of line after the value of `{kw}`, found `{}`",
            x.text
        )),
    }
}

pub(super) fn ip_arg(rest: &str, kw: &str) -> Result<Ipv4Addr, String> {
    let w = single(rest, kw, "an IPv4 address")?;
    options::parse_ip(&w)
        .ok_or_else(|| format!("expected an IPv4 address after `{kw}`, found `{w}`"))
}

fn ip_word(w: &Word, kw: &str) -> Result<Ipv4Addr, String> {
    options::parse_ip(&w.text)
        .ok_or_else(|| format!("expected an IPv4 address after `{kw}`, found `{}`", w.text))
}

fn bool_arg(rest: &str, kw: &str) -> Result<bool, String> {
    let w = single(rest, kw, "on or off")?;
    options::parse_bool(&w)
        .ok_or_else(|| format!("expected on or off (yes/no, true/false) after `{kw}`, found `{w}`"))
}

pub(super) fn number(rest: &str, kw: &str) -> Result<u32, String> {
    let w = single(rest, kw, "a number")?;
    w.parse()
        .map_err(|_| format!("expected a whole number after `{kw}`, found `{w}`"))
}

pub(super) fn duration_arg(rest: &str, kw: &str) -> Result<u32, String> {
    let w = single(rest, kw, "a duration (seconds, or 30m, 1h, 2d, 1w)")?;
    parse_duration(&w).ok_or_else(|| {
        format!("expected a duration (seconds, or 30m, 1h, 2d, 1w) after `{kw}`, found `{w}`")
    })
}

/// Seconds, or a number with one of the suffixes s, m, h, d, w. `None` on syntax or overflow.
pub fn parse_duration(s: &str) -> Option<u32> {
    let (digits, unit) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (s.get(..i)?, c),
        _ => (s, 's'),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    digits.parse::<u32>().ok()?.checked_mul(mult)
}

fn optional_path(rest: &str, kw: &str) -> Result<Option<String>, String> {
    let ws = words(rest)?;
    match ws.as_slice() {
        [w] if !w.quoted && w.text == "none" => Ok(None),
        [w] if w.text.is_empty() => Err(format!("expected a path or none after `{kw}`")),
        [w] => Ok(Some(w.text.clone())),
        [] => Err(format!("expected a path or none after `{kw}`")),
        [_, x, ..] => Err(format!(
            "expected end of line after the value of `{kw}`, found `{}`",
            x.text
        )),
    }
}

fn boot_file(rest: &str) -> Result<String, String> {
    let f = single(rest, "boot-file", "a file name")?;
    // The BOOTP `file` field is 128 bytes including the terminating zero (RFC 951).
    if f.is_empty() || f.len() > 127 {
        return Err(format!(
            "boot-file name is {} bytes: expected 1..127 (the BOOTP `file` field)",
            f.len()
        ));
    }
    Ok(f)
}

/// `NAME VALUE…` or `CODE VALUE…` after `option`.
fn parse_option(args: &str) -> Result<(u8, Vec<u8>), String> {
    let (name, value) = split_keyword(args);
    if name.is_empty() {
        return Err("expected an option name or number after `option`".into());
    }
    if value.is_empty() {
        return Err(format!("expected a value after `option {name}`"));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        let code: u8 = name
            .parse()
            .map_err(|_| format!("option code {name} is out of range: expected 1..254"))?;
        if let Some(m) = options::managed(code) {
            return Err(m);
        }
        return Ok((code, options::encode_by_code(code, value)?));
    }
    if let Some(m) = options::managed_by_name(name) {
        return Err(m);
    }
    let Some(def) = options::lookup(name) else {
        let all: Vec<&str> = options::names().collect();
        return Err(format!(
            "expected an option name or number (1..254), found `{name}`; known names: {}",
            all.join(", ")
        ));
    };
    Ok((def.code, options::encode(def, value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
# sample
server {
    interface demo0              # first
    interface demo1
    journal "/var/lib/duodhcp/leases #1.journal"
    durability sync
    on-corruption refuse
    compact-ratio 8
    expired-grace 2h
    backup-dir /var/lib/duodhcp/backup
    backup-interval 1d
    server-id 198.18.0.1
    offer-hold 45
    decline-quarantine 10m
    low-address-warning 80%
    dynamic-bootp yes
    authoritative off
    control-socket /run/duodhcp.sock
    pid-file none
}
option domain-name-servers 198.18.0.1, 198.18.0.2
scope lan {
    subnet 198.18.0.0/24
    range 198.18.0.100 198.18.0.149
    range 198.18.0.160 198.18.0.200
    exclude 198.18.0.120
    exclude 198.18.0.150 198.18.0.155
    lease-time 1h
    renewal-time 1800
    rebinding-time 50m
    option routers 198.18.0.1
    option domain-name "example.test"
    option 252 "http://wpad.example.test/wpad.dat"
    boot-file pxelinux.0
    next-server 198.18.0.1
    reservation printer {
        hardware-address 02:00:00:00:00:01
        address 198.18.0.50
        option host-name "printer"
        boot-file special.0
    }
    reservation cam {
        client-id "cam-1"
        address 198.18.0.51
    }
}
scope lab {
    subnet 198.19.0.0/16
    reservation x {
        client-id 01:02:00:00:00:00:01
        address 198.19.1.1
    }
}
"#;

    #[test]
    fn parses_the_sample() {
        let c = parse(SAMPLE, "t.conf").unwrap();
        let s = &c.server;
        assert_eq!(s.interfaces, ["demo0", "demo1"]);
        assert_eq!(s.journal, "/var/lib/duodhcp/leases #1.journal");
        assert_eq!(s.durability, Durability::Sync);
        assert_eq!(s.on_corruption, CorruptionPolicy::Refuse);
        assert_eq!(s.compact_ratio, 8);
        assert_eq!(s.expired_grace, 7200);
        assert_eq!(s.backup_dir.as_deref(), Some("/var/lib/duodhcp/backup"));
        assert_eq!(s.backup_interval, 86_400);
        assert_eq!(s.server_id, Some(Ipv4Addr::new(198, 18, 0, 1)));
        assert_eq!(s.offer_hold, 45);
        assert_eq!(s.decline_quarantine, 600);
        assert_eq!(s.low_address_warning, 80);
        assert!(s.dynamic_bootp);
        assert!(!s.authoritative);
        assert_eq!(s.control_socket.as_deref(), Some("/run/duodhcp.sock"));
        assert_eq!(s.pid_file, None);
        assert_eq!(c.options, vec![(6, vec![198, 18, 0, 1, 198, 18, 0, 2])]);

        assert_eq!(c.scopes.len(), 2);
        let lan = &c.scopes[0];
        assert_eq!(lan.name, "lan");
        assert_eq!(lan.line, 23);
        assert_eq!(
            (lan.subnet, lan.prefix_len),
            (Ipv4Addr::new(198, 18, 0, 0), 24)
        );
        assert_eq!(lan.ranges.len(), 2);
        assert_eq!(
            lan.exclusions[0],
            (
                Ipv4Addr::new(198, 18, 0, 120),
                Ipv4Addr::new(198, 18, 0, 120)
            )
        );
        assert_eq!(
            (lan.lease_time, lan.t1, lan.t2),
            (3600, Some(1800), Some(3000))
        );
        assert_eq!(lan.options[0], (3, vec![198, 18, 0, 1]));
        assert_eq!(lan.options[1], (15, b"example.test".to_vec()));
        assert_eq!(
            lan.options[2],
            (252, b"http://wpad.example.test/wpad.dat".to_vec())
        );
        assert_eq!(lan.boot_file.as_deref(), Some("pxelinux.0"));
        assert_eq!(lan.next_server, Some(Ipv4Addr::new(198, 18, 0, 1)));
        let p = &lan.reservations[0];
        assert_eq!(p.name, "printer");
        assert_eq!(p.key, ReservationKey::Mac([2, 0, 0, 0, 0, 1]));
        assert_eq!(p.addr, Ipv4Addr::new(198, 18, 0, 50));
        assert_eq!(p.options, vec![(12, b"printer".to_vec())]);
        assert_eq!(p.boot_file.as_deref(), Some("special.0"));
        assert_eq!(p.line, 37);
        assert_eq!(
            lan.reservations[1].key,
            ReservationKey::ClientId(b"cam-1".to_vec())
        );
        let lab = &c.scopes[1];
        assert_eq!(lab.prefix_len, 16);
        assert_eq!(lab.lease_time, DEFAULT_LEASE_TIME);
        assert_eq!(lab.t1, None);
        assert_eq!(
            lab.reservations[0].key,
            ReservationKey::ClientId(vec![1, 2, 0, 0, 0, 0, 1])
        );
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = parse("# nothing\n\n", "e.conf").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.server, Server::default());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("1h"), Some(3600));
        assert_eq!(parse_duration("2d"), Some(172_800));
        assert_eq!(parse_duration("1w"), Some(604_800));
        assert_eq!(parse_duration("1y"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration("999999w"), None);
    }

    #[test]
    fn comment_stripping_respects_quotes() {
        assert_eq!(strip_comment("a \"b # c\" # d"), "a \"b # c\" ");
        assert_eq!(strip_comment("a \"b \\\" # c\" # d"), "a \"b \\\" # c\" ");
        assert_eq!(strip_comment("# all"), "");
    }

    #[test]
    fn never_panics_on_truncated_or_mangled_input() {
        // Every prefix of the sample, and the sample with each line dropped: must return, not panic.
        for (i, _) in SAMPLE.char_indices() {
            let _ = parse(&SAMPLE[..i], "t");
        }
        let lines: Vec<&str> = SAMPLE.lines().collect();
        for skip in 0..lines.len() {
            let text: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            let _ = parse(&text.join("\n"), "t");
        }
        for code in 0..=255u8 {
            for len in 0..12usize {
                let data: Vec<u8> = (0..len)
                    .map(|i| (i as u8).wrapping_mul(37).wrapping_add(code))
                    .collect();
                let _ = options::decode_display(code, &data);
            }
        }
    }

    #[test]
    fn error_display_has_file_and_line() {
        let e = parse("server {\n  bogus 1\n}\n", "x.conf").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.to_string().starts_with("x.conf:2: expected one of:"),
            "{e}"
        );
    }
}
