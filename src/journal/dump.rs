//! Human and machine dumps of a lease set (pure), for `duodhcp leases --journal FILE`.
//!
//! Contract: never fails and never panics; every byte string from disk (hostname, ids) is
//! escaped, so a hostile hostname cannot break the line or the JSON document.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fmt::Write;

use crate::lease::{hex_colon, Lease};
use crate::time::Secs;

/// UTC calendar fields of a Unix time: (year, month, day, hour, minute, second).
pub fn utc(secs: Secs) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let sod = secs % 86_400;
    // Days-to-civil conversion on the proleptic Gregorian calendar (era = 400 years).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (sod / 3600) as u32,
        (sod % 3600 / 60) as u32,
        (sod % 60) as u32,
    )
}

/// `2024-01-02T03:04:05Z`, or `-` for 0 (never set).
pub fn iso(secs: Secs) -> String {
    if secs == 0 {
        return "-".into();
    }
    let (y, mo, d, h, mi, s) = utc(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Printable text of a byte string: ASCII graphic kept, everything else `\xNN`.
fn text_escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        if c.is_ascii_graphic() && c != b'\\' {
            s.push(char::from(c));
        } else {
            let _ = write!(s, "\\x{c:02x}");
        }
    }
    s
}

fn or_dash(s: String) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s
    }
}

/// One line per lease: address, state, client id, MAC, hostname, start, end (+ remaining).
pub fn to_text(leases: &[Lease], now: Secs) -> String {
    let mut out = String::new();
    for l in leases {
        let left = if l.end() > now {
            format!("{}s left", l.end() - now)
        } else {
            "ended".into()
        };
        let _ = writeln!(
            out,
            "{} {} owner={} id={} hw={} host={} start={} end={} ({})",
            l.addr,
            l.state.name(),
            l.state.owner(),
            or_dash(hex_colon(l.client_id())),
            or_dash(hex_colon(&l.chaddr)),
            or_dash(text_escape(l.hostname())),
            iso(l.start()),
            iso(l.end()),
            left
        );
    }
    out
}

/// JSON string literal of arbitrary bytes (invalid UTF-8 replaced, controls escaped).
fn json_str(out: &mut String, b: &[u8]) {
    out.push('"');
    for c in String::from_utf8_lossy(b).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// JSON array of objects, one per lease (keys documented in the journal issue).
pub fn to_json(leases: &[Lease]) -> String {
    let mut out = String::from("[");
    for (i, l) in leases.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("\n  {\"addr\":");
        json_str(&mut out, l.addr.to_string().as_bytes());
        out.push_str(",\"state\":");
        json_str(&mut out, l.state.name().as_bytes());
        out.push_str(",\"owner\":");
        json_str(&mut out, l.state.owner().as_bytes());
        out.push_str(",\"client_id\":");
        json_str(&mut out, hex_colon(l.client_id()).as_bytes());
        out.push_str(",\"hwaddr\":");
        json_str(&mut out, hex_colon(&l.chaddr).as_bytes());
        let _ = write!(out, ",\"htype\":{}", l.htype);
        out.push_str(",\"hostname\":");
        json_str(&mut out, l.hostname());
        let _ = write!(
            out,
            ",\"start\":{},\"end\":{},\"cltt\":{},\"partner_end\":{},\"sent_end\":{}}}",
            l.start(),
            l.end(),
            l.cltt(),
            l.partner_end(),
            l.sent_end()
        );
    }
    if !leases.is_empty() {
        out.push('\n');
    }
    out.push_str("]\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::lease::{BindingState, HwAddr};
    use core::net::Ipv4Addr;

    fn lease() -> Lease {
        let mut l = Lease::free(Ipv4Addr::new(198, 18, 1, 5));
        l.state = BindingState::Active;
        l.set_ids(&[1, 0xaa, 0xbb], b"a\"b\\c\n\x01\xff");
        l.chaddr = HwAddr::new(&[0xaa, 0xbb, 0xcc, 0, 1, 2]);
        l.set_start(1_704_164_645); // 2024-01-02T03:04:05Z
        l.set_end(1_704_168_245);
        l
    }

    #[test]
    fn utc_known_dates() {
        assert_eq!(iso(1_704_164_645), "2024-01-02T03:04:05Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso(1), "1970-01-01T00:00:01Z");
        assert_eq!(iso(0), "-");
    }

    #[test]
    fn text_line() {
        let t = to_text(&[lease()], 1_704_164_645);
        assert_eq!(
            t,
            "198.18.1.5 active owner=client id=01:aa:bb hw=aa:bb:cc:00:01:02 host=a\"b\\x5cc\\x0a\\x01\\xff \
             start=2024-01-02T03:04:05Z end=2024-01-02T04:04:05Z (3600s left)\n"
        );
        assert_eq!(t.lines().count(), 1);
    }

    #[test]
    fn json_escapes() {
        let j = to_json(&[lease()]);
        assert!(j.contains(r#""hostname":"a\"b\\c\n\u0001�""#), "{j}");
        assert!(j.contains(r#""client_id":"01:aa:bb","hwaddr":"aa:bb:cc:00:01:02","htype":1"#));
        assert!(j.contains(r#""start":1704164645,"end":1704168245,"cltt":0"#));
        assert_eq!(to_json(&[]), "[]\n");
    }
}
