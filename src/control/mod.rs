//! Operator control protocol (pure). One request line in, one response out:
//! `<code> <text>` on the first line (0 ok, 1 error, 2 unsupported, 3 not found, 4 conflict —
//! Kea's result codes), then body lines, then an empty line. No sockets here: the reactor owns
//! the Unix socket and calls `execute`.

use crate::dhcp::Server;
use crate::journal::Record;
use crate::time::Millis;

/// Requests are short; a longer line is refused before it is parsed.
pub const MAX_LINE: usize = 512;

pub const OK: u8 = 0;
pub const ERROR: u8 = 1;
pub const UNSUPPORTED: u8 = 2;
pub const NOT_FOUND: u8 = 3;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Counters.
    Stats,
    /// Each relationship: local and partner state, since when, queue, last contact, skew.
    Failover,
    /// Operator declares the partner down (draft-12 §9.4 administrative action).
    PartnerDown(String),
}

pub fn parse(line: &str) -> Result<Command, String> {
    let mut w = line.split_whitespace();
    let cmd = w.next().unwrap_or("");
    let arg = w.next();
    let extra = w.next();
    let c = match (cmd, arg) {
        ("stats", None) => Command::Stats,
        ("failover", None) => Command::Failover,
        ("partner-down", Some(name)) => Command::PartnerDown(name.to_string()),
        ("partner-down", None) => {
            return Err("expected a relationship name after partner-down".into())
        }
        ("", _) => return Err("empty command".into()),
        _ => {
            return Err(format!(
                "unknown command `{line}`: expected stats, failover or partner-down NAME"
            ))
        }
    };
    if extra.is_some() {
        return Err(format!("unexpected words after `{cmd}`"));
    }
    Ok(c)
}

/// Run a command; returns the whole response text and the journal records it produced.
pub fn execute(cmd: &Command, server: &mut Server, now: Millis) -> (String, Vec<Record>) {
    let mut records = Vec::new();
    let (code, body) = match cmd {
        Command::Stats => {
            let mut body: String = server
                .stats
                .fields()
                .iter()
                .map(|(k, v)| format!("{k} {v}\n"))
                .collect();
            body.push_str(&format!("leases {}\n", server.leases().len()));
            (OK, body)
        }
        Command::Failover => match server.failover_status(now) {
            Some(text) => (OK, text),
            None => (NOT_FOUND, "no failover relationship configured\n".into()),
        },
        Command::PartnerDown(name) => match server.force_partner_down(name, now) {
            Ok(r) => {
                records = r;
                (OK, format!("{name}: partner-down requested\n"))
            }
            Err(e) => (NOT_FOUND, format!("{e}\n")),
        },
    };
    let head = if code == OK { "ok" } else { "error" };
    (format!("{code} {head}\n{body}\n"), records)
}

/// Response for a line that did not parse.
pub fn error_response(msg: &str) -> String {
    format!("{ERROR} error\n{msg}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_rejects_junk() {
        assert_eq!(parse("stats"), Ok(Command::Stats));
        assert_eq!(parse("failover\r"), Ok(Command::Failover));
        assert_eq!(
            parse("partner-down fo-test"),
            Ok(Command::PartnerDown("fo-test".into()))
        );
        assert!(parse("partner-down").is_err());
        assert!(parse("stats now").is_err());
        assert!(parse("reboot").unwrap_err().contains("expected stats"));
        assert!(parse("").is_err());
    }
}
