//! Option names and value types for the config file.
//!
//! Contract: pure. [`encode`] turns the text after `option NAME` into the bytes that go on the
//! wire (RFC 2132 encodings unless noted), or a message starting with "expected …" that the
//! parser prefixes with the file and line. [`decode_display`] goes the other way for logs and
//! `duodhcp leases`; it never fails and never panics (unknown or malformed data prints as hex).
//!
//! Value syntax, shared by every type:
//! - words are separated by blanks; commas between list items are optional (`a, b` = `a b`);
//! - a quoted string `"…"` is one word and supports the escapes `\"` and `\\`;
//! - hex bytes are written `01:02:0a` (one or two digits per byte) or `0x01020a`.
//!
//! Codes the server fills in itself (0, 50-59, 61, 82, 255) are refused: setting them by hand
//! would contradict the lease state machine (RFC 2131 §4.3.1 table 3 says which are server
//! chosen).

use core::net::Ipv4Addr;

/// How an option's value is written in the config and laid out on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One IPv4 address (4 bytes).
    Ip,
    /// One or more IPv4 addresses.
    Ips,
    /// Pairs of IPv4 addresses (destination router), option 33.
    IpPairs,
    /// Text; quoted, or one bare word. Bytes as written (UTF-8).
    Text,
    /// Raw bytes: `01:02:0a` or `0x01020a`.
    Hex,
    /// `on|off|yes|no|true|false` → 1 / 0.
    Bool,
    U8,
    U16,
    U32,
    I32,
    /// RFC 1035 names, each encoded as labels ending with a zero byte (RFC 3397, uncompressed).
    DomainList,
    /// RFC 3442: `198.18.5.0/24 198.18.0.1, 0.0.0.0/0 198.18.0.1`.
    ClasslessRoutes,
}

/// One known option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionDef {
    pub name: &'static str,
    pub code: u8,
    pub kind: Kind,
}

const fn def(name: &'static str, code: u8, kind: Kind) -> OptionDef {
    OptionDef { name, code, kind }
}

/// The options that may be set in the config, by RFC 2132 name unless noted.
pub static TABLE: &[OptionDef] = &[
    def("subnet-mask", 1, Kind::Ip),
    def("time-offset", 2, Kind::I32),
    def("routers", 3, Kind::Ips),
    def("time-servers", 4, Kind::Ips),
    def("name-servers", 5, Kind::Ips),
    def("domain-name-servers", 6, Kind::Ips),
    def("log-servers", 7, Kind::Ips),
    def("lpr-servers", 9, Kind::Ips),
    def("host-name", 12, Kind::Text),
    def("boot-size", 13, Kind::U16),
    def("domain-name", 15, Kind::Text),
    def("swap-server", 16, Kind::Ip),
    def("root-path", 17, Kind::Text),
    def("ip-forwarding", 19, Kind::Bool),
    def("default-ip-ttl", 23, Kind::U8),
    def("interface-mtu", 26, Kind::U16),
    def("broadcast-address", 28, Kind::Ip),
    def("static-routes", 33, Kind::IpPairs),
    def("arp-cache-timeout", 35, Kind::U32),
    def("nis-domain", 40, Kind::Text),
    def("nis-servers", 41, Kind::Ips),
    def("ntp-servers", 42, Kind::Ips),
    def("vendor-encapsulated-options", 43, Kind::Hex),
    def("netbios-name-servers", 44, Kind::Ips),
    def("netbios-node-type", 46, Kind::U8),
    def("netbios-scope", 47, Kind::Text),
    def("tftp-server-name", 66, Kind::Text),
    def("bootfile-name", 67, Kind::Text),
    def("smtp-server", 69, Kind::Ips),
    def("pop-server", 70, Kind::Ips),
    def("domain-search", 119, Kind::DomainList),
    def("classless-static-routes", 121, Kind::ClasslessRoutes),
    // Not in an RFC: the WPAD draft's private-use code, used by every browser that does WPAD.
    def("wpad-url", 252, Kind::Text),
];

/// Codes the server manages, with the name an operator might try and what to use instead.
static MANAGED: &[(u8, &str, &str)] = &[
    (0, "pad", ""),
    (50, "requested-address", ""),
    (51, "dhcp-lease-time", "; use `lease-time` in the scope"),
    (52, "option-overload", ""),
    (53, "dhcp-message-type", ""),
    (
        54,
        "server-identifier",
        "; use `server-id` in the server block",
    ),
    (55, "parameter-request-list", ""),
    (56, "message", ""),
    (57, "max-message-size", ""),
    (58, "renewal-time", "; use `renewal-time` in the scope"),
    (59, "rebinding-time", "; use `rebinding-time` in the scope"),
    (
        61,
        "client-identifier",
        "; use `client-id` in a reservation",
    ),
    (82, "relay-agent-information", ""),
    (255, "end", ""),
];

/// The option named `name` (exact, lower case as in the table).
pub fn lookup(name: &str) -> Option<&'static OptionDef> {
    TABLE.iter().find(|d| d.name == name)
}

/// The option with code `code`, if it is in the table.
pub fn by_code(code: u8) -> Option<&'static OptionDef> {
    TABLE.iter().find(|d| d.code == code)
}

/// `Some(message)` when `code` is one the server sets itself.
pub fn managed(code: u8) -> Option<String> {
    MANAGED.iter().find(|m| m.0 == code).map(|&(c, name, hint)| {
        format!("option {name} (code {c}) is managed by the server and cannot be set in the config{hint}")
    })
}

/// Same as [`managed`], by the name an operator might have written.
pub fn managed_by_name(name: &str) -> Option<String> {
    MANAGED
        .iter()
        .find(|m| m.1 == name)
        .and_then(|m| managed(m.0))
}

/// Every name in the table, for "expected one of" messages.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|d| d.name)
}

/// One word of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Written in quotes (so never a keyword, a number or hex).
    pub quoted: bool,
}

/// Split a value into words: blanks and commas separate, `"…"` is one word with `\"` and `\\`
/// escapes. The only error is an unterminated or malformed quoted string.
pub fn words(s: &str) -> Result<Vec<Word>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(&c) = chars.peek() else {
            return Ok(out);
        };
        if c == '"' {
            chars.next();
            let mut text = String::new();
            loop {
                match chars.next() {
                    None => return Err("expected a closing `\"` before the end of the line".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(e @ ('"' | '\\')) => text.push(e),
                        Some(e) => {
                            return Err(format!(
                                "expected `\\\"` or `\\\\` in a quoted string, found `\\{e}`"
                            ))
                        }
                        None => {
                            return Err("expected a closing `\"` before the end of the line".into())
                        }
                    },
                    Some(o) => text.push(o),
                }
            }
            if chars
                .peek()
                .is_some_and(|c| !c.is_whitespace() && *c != ',')
            {
                return Err("expected a blank or a comma after a closing `\"`".into());
            }
            out.push(Word { text, quoted: true });
        } else {
            let mut text = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == ',' {
                    break;
                }
                if c == '"' {
                    return Err(format!("expected a blank before `\"` (after `{text}`)"));
                }
                text.push(c);
                chars.next();
            }
            out.push(Word {
                text,
                quoted: false,
            });
        }
    }
}

/// Parse hex bytes written `01:02:0a` (also `01-02-0a`) or `0x01020a`.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || h.len() % 2 != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return (0..h.len())
            .step_by(2)
            .map(|i| h.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
            .collect();
    }
    let sep = if s.contains(':') { ':' } else { '-' };
    if !s.contains(sep) {
        return None;
    }
    s.split(sep)
        .map(|p| {
            if (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_hexdigit()) {
                u8::from_str_radix(p, 16).ok()
            } else {
                None
            }
        })
        .collect()
}

/// Format bytes as `01:02:0a`.
pub fn hex(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len() * 3);
    for (i, b) in data.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Parse an IPv4 address in dotted-quad form only (no shorthand like `10.1`).
pub fn parse_ip(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// Parse a boolean word.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "on" | "yes" | "true" => Some(true),
        "off" | "no" | "false" => Some(false),
        _ => None,
    }
}

/// Encode the value text `args` of option `def` into wire bytes.
pub fn encode(def: &OptionDef, args: &str) -> Result<Vec<u8>, String> {
    let ws = words(args)?;
    let data = encode_words(def.kind, def.name, &ws)?;
    check_len(def.name, data)
}

/// Encode an option given by number (`option 252 …`): a quoted string, hex bytes, or, when the
/// code is in the table, anything that option's own type accepts.
pub fn encode_by_code(code: u8, args: &str) -> Result<Vec<u8>, String> {
    let label = code.to_string();
    let ws = words(args)?;
    if let [w] = ws.as_slice() {
        if w.quoted {
            return check_len(&label, w.text.clone().into_bytes());
        }
        if let Some(b) = parse_hex(&w.text) {
            return check_len(&label, b);
        }
    }
    match by_code(code) {
        Some(d) => encode_words(d.kind, &label, &ws).and_then(|b| check_len(&label, b)),
        None => Err(format!(
            "expected a quoted string or hex bytes (01:02:0a or 0x01020a) for option {code}"
        )),
    }
}

fn check_len(name: &str, data: Vec<u8>) -> Result<Vec<u8>, String> {
    // One option carries at most 255 bytes; we do not split long options (RFC 3396) from config.
    if data.len() > 255 {
        Err(format!(
            "the value of option {name} is {} bytes; at most 255 fit in one option",
            data.len()
        ))
    } else {
        Ok(data)
    }
}

fn one<'a>(ws: &'a [Word], what: &str, name: &str) -> Result<&'a Word, String> {
    match ws {
        [w] => Ok(w),
        [] => Err(format!("expected {what} for option {name}")),
        [_, extra, ..] => Err(format!(
            "expected end of line after the value of option {name}, found `{}`",
            extra.text
        )),
    }
}

fn int(ws: &[Word], name: &str, min: i64, max: i64) -> Result<i64, String> {
    let what = format!("an integer {min}..{max}");
    let w = one(ws, &what, name)?;
    match w.text.parse::<i64>() {
        Ok(v) if !w.quoted && (min..=max).contains(&v) => Ok(v),
        _ => Err(format!(
            "expected {what} for option {name}, found `{}`",
            w.text
        )),
    }
}

fn encode_words(kind: Kind, name: &str, ws: &[Word]) -> Result<Vec<u8>, String> {
    match kind {
        Kind::Ip => {
            let w = one(ws, "an IPv4 address", name)?;
            let a = parse_ip(&w.text).ok_or_else(|| {
                format!(
                    "expected an IPv4 address for option {name}, found `{}`",
                    w.text
                )
            })?;
            Ok(a.octets().to_vec())
        }
        Kind::Ips | Kind::IpPairs => {
            let what = if kind == Kind::Ips {
                "an IPv4 address list"
            } else {
                "pairs of IPv4 addresses (destination router)"
            };
            if ws.is_empty() {
                return Err(format!("expected {what} for option {name}"));
            }
            let mut out = Vec::with_capacity(ws.len() * 4);
            for w in ws {
                let a = parse_ip(&w.text).ok_or_else(|| {
                    format!("expected {what} for option {name}, found `{}`", w.text)
                })?;
                out.extend_from_slice(&a.octets());
            }
            if kind == Kind::IpPairs && ws.len() % 2 != 0 {
                return Err(format!(
                    "expected {what} for option {name}: the last destination has no router"
                ));
            }
            Ok(out)
        }
        Kind::Text => {
            let w = one(ws, "a string", name)?;
            if w.text.is_empty() {
                return Err(format!("expected a non-empty string for option {name}"));
            }
            Ok(w.text.clone().into_bytes())
        }
        Kind::Hex => {
            let w = one(ws, "hex bytes (01:02:0a or 0x01020a)", name)?;
            parse_hex(&w.text).filter(|_| !w.quoted).ok_or_else(|| {
                format!(
                    "expected hex bytes (01:02:0a or 0x01020a) for option {name}, found `{}`",
                    w.text
                )
            })
        }
        Kind::Bool => {
            let w = one(ws, "on or off", name)?;
            match parse_bool(&w.text) {
                Some(b) => Ok(vec![u8::from(b)]),
                None => Err(format!(
                    "expected on or off for option {name}, found `{}`",
                    w.text
                )),
            }
        }
        Kind::U8 => Ok(vec![int(ws, name, 0, 255)? as u8]),
        Kind::U16 => Ok((int(ws, name, 0, 65535)? as u16).to_be_bytes().to_vec()),
        Kind::U32 => Ok((int(ws, name, 0, u32::MAX.into())? as u32)
            .to_be_bytes()
            .to_vec()),
        Kind::I32 => Ok((int(ws, name, i32::MIN.into(), i32::MAX.into())? as i32)
            .to_be_bytes()
            .to_vec()),
        Kind::DomainList => {
            if ws.is_empty() {
                return Err(format!("expected a list of domain names for option {name}"));
            }
            let mut out = Vec::new();
            for w in ws {
                encode_name(&w.text, name, &mut out)?;
            }
            Ok(out)
        }
        Kind::ClasslessRoutes => {
            if ws.is_empty() || ws.len() % 2 != 0 {
                return Err(format!(
                    "expected routes written `198.18.5.0/24 198.18.0.1, 0.0.0.0/0 198.18.0.1` for option {name}"
                ));
            }
            let mut out = Vec::new();
            for pair in ws.chunks(2) {
                let (dest, router) = match pair {
                    [d, r] => (d, r),
                    _ => continue,
                };
                let (net, len) = parse_cidr(&dest.text).ok_or_else(|| {
                    format!(
                        "expected a destination like 198.18.5.0/24 for option {name}, found `{}`",
                        dest.text
                    )
                })?;
                let gw = parse_ip(&router.text).ok_or_else(|| {
                    format!(
                        "expected a router address after {} for option {name}, found `{}`",
                        dest.text, router.text
                    )
                })?;
                if u32::from(net) & !mask(len) != 0 {
                    return Err(format!(
                        "destination {} of option {name} has host bits set",
                        dest.text
                    ));
                }
                // RFC 3442 §2: width, then only the significant octets of the destination.
                out.push(len);
                let sig = usize::from(len).div_ceil(8);
                out.extend(net.octets().iter().take(sig));
                out.extend_from_slice(&gw.octets());
            }
            Ok(out)
        }
    }
}

/// Network mask of a prefix length 0..=32.
pub fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    }
}

/// Parse `a.b.c.d/len` (len 0..=32); host bits are not checked here.
pub fn parse_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (a, l) = s.split_once('/')?;
    if l.is_empty() || l.len() > 2 || !l.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len: u8 = l.parse().ok()?;
    if len > 32 {
        return None;
    }
    Some((parse_ip(a)?, len))
}

/// RFC 1035 §3.1 name encoding: length-prefixed labels, then a zero byte.
fn encode_name(dn: &str, opt: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let dn = dn.strip_suffix('.').unwrap_or(dn);
    if dn.is_empty() {
        return Err(format!(
            "expected a domain name for option {opt}, found an empty name"
        ));
    }
    let start = out.len();
    for label in dn.split('.') {
        if label.is_empty() {
            return Err(format!(
                "domain name `{dn}` in option {opt} has an empty label"
            ));
        }
        if label.len() > 63 {
            return Err(format!(
                "label `{label}` in option {opt} is {} bytes; at most 63 are allowed",
                label.len()
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "expected letters, digits, `-` or `_` in domain name `{dn}` of option {opt}"
            ));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    if out.len() - start > 255 {
        return Err(format!(
            "domain name `{dn}` in option {opt} is longer than 255 bytes"
        ));
    }
    Ok(())
}

fn show_text(data: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(data).ok()?;
    if s.chars().any(|c| c.is_control()) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

fn show_ips(data: &[u8], sep: &str) -> Option<String> {
    if data.is_empty() || data.len() % 4 != 0 {
        return None;
    }
    let v: Vec<String> = data
        .chunks(4)
        .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string())
        .collect();
    Some(v.join(sep))
}

fn show_names(data: &[u8]) -> Option<String> {
    let mut names = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        if len == 0 {
            names.push(cur.join("."));
            cur.clear();
            rest = tail;
            continue;
        }
        // Compression pointers (RFC 1035 §4.1.4) are not produced by us; show such data as hex.
        let (label, after) = tail
            .split_at_checked(usize::from(len))
            .filter(|_| len < 64)?;
        cur.push(String::from_utf8_lossy(label).into_owned());
        rest = after;
    }
    if !cur.is_empty() || names.is_empty() {
        return None;
    }
    Some(names.join(", "))
}

fn show_routes(data: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        if len > 32 {
            return None;
        }
        let sig = usize::from(len).div_ceil(8);
        let (dst, tail) = tail.split_at_checked(sig)?;
        let (gw, tail) = tail.split_at_checked(4)?;
        let mut d = [0u8; 4];
        d.iter_mut().zip(dst).for_each(|(o, i)| *o = *i);
        let g = Ipv4Addr::new(gw[0], gw[1], gw[2], gw[3]);
        out.push(format!("{}/{len} {g}", Ipv4Addr::from(d)));
        rest = tail;
    }
    if out.is_empty() {
        None
    } else {
        Some(out.join(", "))
    }
}

/// Human form of an option's data, as it would be written in the config where possible.
/// Unknown codes and data that do not fit the option's type print as hex.
pub fn decode_display(code: u8, data: &[u8]) -> String {
    let shown = by_code(code).and_then(|d| match d.kind {
        Kind::Ip => (data.len() == 4).then(|| show_ips(data, ", ")).flatten(),
        Kind::Ips => show_ips(data, ", "),
        Kind::IpPairs => (data.len() % 8 == 0).then(|| show_ips(data, " ")).flatten(),
        Kind::Text => show_text(data),
        Kind::Hex => None,
        Kind::Bool => match data {
            [0] => Some("off".into()),
            [1] => Some("on".into()),
            _ => None,
        },
        Kind::U8 => match data {
            [a] => Some(a.to_string()),
            _ => None,
        },
        Kind::U16 => <[u8; 2]>::try_from(data)
            .ok()
            .map(|b| u16::from_be_bytes(b).to_string()),
        Kind::U32 => <[u8; 4]>::try_from(data)
            .ok()
            .map(|b| u32::from_be_bytes(b).to_string()),
        Kind::I32 => <[u8; 4]>::try_from(data)
            .ok()
            .map(|b| i32::from_be_bytes(b).to_string()),
        Kind::DomainList => show_names(data),
        Kind::ClasslessRoutes => show_routes(data),
    });
    shown.unwrap_or_else(|| {
        if data.is_empty() {
            "(empty)".into()
        } else {
            hex(data)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(name: &str, args: &str) -> Result<Vec<u8>, String> {
        encode(lookup(name).unwrap(), args)
    }

    #[test]
    fn table_has_unique_names_and_codes_and_no_managed_codes() {
        for (i, a) in TABLE.iter().enumerate() {
            assert!(managed(a.code).is_none(), "{}", a.name);
            for b in &TABLE[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.code, b.code);
            }
        }
        assert_eq!(lookup("routers").unwrap().code, 3);
        assert_eq!(by_code(121).unwrap().name, "classless-static-routes");
        assert!(lookup("nope").is_none());
        assert!(by_code(200).is_none());
    }

    #[test]
    fn encodes_each_kind() {
        assert_eq!(
            enc("subnet-mask", "255.255.255.0").unwrap(),
            [255, 255, 255, 0]
        );
        assert_eq!(
            enc("routers", "198.18.0.1, 198.18.0.2").unwrap(),
            [198, 18, 0, 1, 198, 18, 0, 2]
        );
        assert_eq!(enc("routers", "198.18.0.1 198.18.0.2").unwrap().len(), 8);
        assert_eq!(
            enc("domain-name", "\"ex \\\"q\\\" \\\\\"").unwrap(),
            b"ex \"q\" \\"
        );
        assert_eq!(enc("domain-name", "example.test").unwrap(), b"example.test");
        assert_eq!(enc("ip-forwarding", "off").unwrap(), [0]);
        assert_eq!(enc("interface-mtu", "1500").unwrap(), [5, 220]);
        assert_eq!(
            enc("time-offset", "-3600").unwrap(),
            (-3600i32).to_be_bytes()
        );
        assert_eq!(enc("arp-cache-timeout", "60").unwrap(), [0, 0, 0, 60]);
        assert_eq!(
            enc("vendor-encapsulated-options", "01:02:0a").unwrap(),
            [1, 2, 10]
        );
        assert_eq!(
            enc("vendor-encapsulated-options", "0x01020a").unwrap(),
            [1, 2, 10]
        );
        assert_eq!(
            enc("static-routes", "198.18.9.0 198.18.0.1").unwrap().len(),
            8
        );
        assert_eq!(
            enc("domain-search", "example.test, b.c").unwrap(),
            b"\x07example\x04test\x00\x01b\x01c\x00"
        );
        assert_eq!(
            enc(
                "classless-static-routes",
                "198.18.5.0/24 198.18.0.1, 0.0.0.0/0 198.18.0.1"
            )
            .unwrap(),
            [24, 198, 18, 5, 198, 18, 0, 1, 0, 198, 18, 0, 1]
        );
        assert_eq!(
            encode_by_code(252, "\"http://w/x\"").unwrap(),
            b"http://w/x"
        );
        assert_eq!(encode_by_code(200, "0xff00").unwrap(), [255, 0]);
        assert_eq!(encode_by_code(3, "198.18.0.1").unwrap(), [198, 18, 0, 1]);
    }

    #[test]
    fn rejects_bad_values() {
        let e = enc("routers", "198.18.0.300").unwrap_err();
        assert!(
            e.starts_with("expected an IPv4 address list for option routers"),
            "{e}"
        );
        assert!(enc("routers", "").unwrap_err().starts_with("expected"));
        assert!(enc("default-ip-ttl", "256").unwrap_err().contains("0..255"));
        assert!(enc("subnet-mask", "1.2.3.4 5.6.7.8")
            .unwrap_err()
            .contains("found `5.6.7.8`"));
        assert!(enc("static-routes", "1.2.3.0 1.2.3.4 5.6.7.0")
            .unwrap_err()
            .contains("no router"));
        assert!(enc("classless-static-routes", "198.18.5.1/24 198.18.0.1")
            .unwrap_err()
            .contains("host bits"));
        assert!(enc("domain-name", "\"abc").unwrap_err().contains("closing"));
        assert!(enc("vendor-encapsulated-options", "0x123").is_err());
        assert!(enc("domain-search", "a..b")
            .unwrap_err()
            .contains("empty label"));
        assert!(encode_by_code(200, "hello world").is_err());
        assert!(encode_by_code(200, &format!("\"{}\"", "a".repeat(256)))
            .unwrap_err()
            .contains("256 bytes"));
        assert!(managed(53).unwrap().contains("managed by the server"));
        assert!(managed_by_name("dhcp-lease-time")
            .unwrap()
            .contains("lease-time"));
    }

    #[test]
    fn decode_display_round_trips_the_config_form() {
        let cases = [
            ("routers", "198.18.0.1, 198.18.0.2"),
            ("domain-name", "\"example.test\""),
            ("interface-mtu", "1500"),
            ("time-offset", "-3600"),
            ("ip-forwarding", "on"),
            ("domain-search", "example.test, b.c"),
            (
                "classless-static-routes",
                "198.18.5.0/24 198.18.0.1, 0.0.0.0/0 198.18.0.1",
            ),
            ("vendor-encapsulated-options", "01:02:0a"),
        ];
        for (name, text) in cases {
            let d = lookup(name).unwrap();
            let bytes = encode(d, text).unwrap();
            assert_eq!(decode_display(d.code, &bytes), text, "{name}");
        }
        assert_eq!(decode_display(200, &[1, 2]), "01:02");
        assert_eq!(decode_display(3, &[1, 2, 3]), "01:02:03");
        assert_eq!(decode_display(119, &[5, b'a']), "05:61");
        assert_eq!(decode_display(121, &[33]), "21");
    }
}
