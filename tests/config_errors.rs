//! Every config error names its file and line, and says what was expected or what is wrong.
//! Each case is a small broken config, the line the error must point at, and a piece of the
//! message that must appear. Also: every shipped `etc/*.conf` must parse.

use duodhcp::config::parse;

/// A scope that is valid on its own; cases append or prepend lines to it.
const LAN_OPEN: &str = "scope lan {\n    subnet 198.18.0.0/24\n";

struct Case {
    name: &'static str,
    text: String,
    line: usize,
    msg: &'static str,
}

fn case(name: &'static str, text: &str, line: usize, msg: &'static str) -> Case {
    Case {
        name,
        text: text.to_string(),
        line,
        msg,
    }
}

/// `body` inside scope lan (body starts at line 3).
fn in_lan(name: &'static str, body: &str, line: usize, msg: &'static str) -> Case {
    Case {
        name,
        text: format!("{LAN_OPEN}{body}}}\n"),
        line,
        msg,
    }
}

fn cases() -> Vec<Case> {
    vec![
        // Structure.
        case("unknown top-level keyword", "\n\nfrobnicate 1\n", 3, "expected one of: server {, scope NAME {, failover NAME {, option"),
        case("unknown server keyword", "server {\n  journl /x\n}\n", 2, "found `journl`"),
        in_lan("unknown scope keyword", "    ranges 198.18.0.10 198.18.0.20\n", 3, "expected one of: subnet, range"),
        case("stray closing brace", "server {\n}\n}\n", 3, "no block is open"),
        case("unterminated server block", "# c\nserver {\n  interface a\n", 2, "expected `}` to close the `server` block"),
        case("unterminated scope", "scope lan {\n  subnet 198.18.0.0/24\n\n", 1, "expected `}` to close scope lan"),
        case(
            "unterminated reservation reports the reservation",
            "scope lan {\n  subnet 198.18.0.0/24\n  reservation r {\n    address 198.18.0.5\n",
            3,
            "expected `}` to close reservation r",
        ),
        case("brace not at end of line", "server { interface a }\n", 1, "expected `{` at the end of the line"),
        case("scope without a name", "scope {\n}\n", 1, "expected a name after `scope`"),
        case("scope without brace", "scope lan\n", 1, "expected `scope NAME {`"),
        case("trailing garbage after closing brace", "server {\n} x\n", 2, "expected end of line after `}`"),
        case("duplicate server block", "server {\n}\nserver {\n}\n", 3, "duplicate `server` block (first opened at line 1)"),
        // Server values.
        case("missing value", "server {\n  journal\n}\n", 2, "expected a file path after `journal`"),
        case("trailing garbage after value", "server {\n  journal /a /b\n}\n", 2, "expected end of line after the value of `journal`, found `/b`"),
        case("bad durability word", "server {\n  durability fast\n}\n", 2, "expected sync, batch or none after `durability`, found `fast`"),
        case("bad on-corruption word", "server {\n  on-corruption ignore\n}\n", 2, "expected skip or refuse"),
        case("bad boolean", "server {\n  dynamic-bootp maybe\n}\n", 2, "expected on or off"),
        case("percentage too large", "server {\n  low-address-warning 101\n}\n", 2, "out of range: expected a percentage 1..100"),
        case("percentage zero", "server {\n  low-address-warning 0\n}\n", 2, "out of range"),
        case("percentage not a number", "server {\n  low-address-warning lots\n}\n", 2, "expected a percentage 1..100"),
        case("bad server-id", "server {\n  server-id 198.18.0.256\n}\n", 2, "expected an IPv4 address after `server-id`"),
        case("bad duration", "server {\n  offer-hold 5y\n}\n", 2, "expected a duration"),
        case("duplicate single-valued statement", "server {\n  journal /a\n  journal /b\n}\n", 3, "duplicate `journal` in the server block (first given at line 2)"),
        case("interface listed twice", "server {\n  interface a\n  interface a\n}\n", 3, "interface a is listed twice"),
        case("interface name too long", "server {\n  interface abcdefghijklmnop\n}\n", 2, "IFNAMSIZ"),
        case("compact ratio too small", "server {\n  compact-ratio 1\n}\n", 2, "expected at least 2"),
        case("receive buffer too small", "server {\n  receive-buffer-kb 8\n}\n", 2, "receive-buffer-kb 8 is out of range: expected 16..65536"),
        case("unterminated quote", "server {\n  journal \"/var/x\n}\n", 2, "expected a closing `\"`"),
        case("bad escape", "server {\n  journal \"a\\n\"\n}\n", 2, "expected `\\\"` or `\\\\`"),
        // Subnets and ranges.
        case("missing subnet reports the scope line", "\nscope lan {\n  range 198.18.0.10 198.18.0.20\n}\n", 2, "scope lan: expected a `subnet` statement"),
        case("subnet syntax", "scope lan {\n  subnet 198.18.0.0\n}\n", 2, "expected a subnet like 198.18.0.0/24"),
        case("subnet host bits", "scope lan {\n  subnet 198.18.0.1/24\n}\n", 2, "has host bits set; the network address is 198.18.0.0/24"),
        case("prefix too long", "scope lan {\n  subnet 198.18.0.0/31\n}\n", 2, "prefix length /31 is out of range; expected 8..30"),
        case("prefix too short", "scope lan {\n  subnet 198.0.0.0/7\n}\n", 2, "expected 8..30"),
        in_lan("range start after end", "    range 198.18.0.10 198.18.0.5\n", 3, "range 198.18.0.10 198.18.0.5: start is after end"),
        in_lan("range outside subnet", "    range 198.18.0.10 198.18.1.5\n", 3, "address 198.18.1.5 is outside subnet 198.18.0.0/24 of scope lan"),
        in_lan("range includes network address", "    range 198.18.0.0 198.18.0.5\n", 3, "includes the network address 198.18.0.0"),
        in_lan("range includes broadcast address", "    range 198.18.0.200 198.18.0.255\n", 3, "includes the broadcast address 198.18.0.255"),
        in_lan("range missing end", "    range 198.18.0.10\n", 3, "the end address is missing"),
        in_lan(
            "overlapping ranges report the later line",
            "    range 198.18.0.50 198.18.0.60\n    lease-time 600\n    range 198.18.0.10 198.18.0.50\n",
            5,
            "range 198.18.0.10 198.18.0.50 overlaps range 198.18.0.50 198.18.0.60 (line 3)",
        ),
        in_lan("exclusion outside subnet", "    exclude 198.18.2.1\n", 3, "address 198.18.2.1 is outside subnet"),
        in_lan("exclusion trailing garbage", "    exclude 198.18.0.1 198.18.0.2 198.18.0.3\n", 3, "found `198.18.0.3`"),
        case(
            "overlapping scopes report the later scope",
            "scope a {\n  subnet 198.18.0.0/16\n}\nscope b {\n  subnet 198.18.4.0/24\n}\n",
            4,
            "subnet 198.18.4.0/24 of scope b overlaps subnet 198.18.0.0/16 of scope a (line 1)",
        ),
        case(
            "duplicate scope name",
            "scope a {\n  subnet 198.18.0.0/24\n}\nscope a {\n  subnet 198.18.1.0/24\n}\n",
            4,
            "duplicate scope name a (first at line 1)",
        ),
        in_lan("duplicate subnet", "    subnet 198.18.0.0/24\n", 3, "duplicate `subnet` in scope lan (first given at line 2)"),
        // Times.
        in_lan("lease time too short", "    lease-time 59\n", 3, "lease-time 59 is too short: expected at least 60"),
        in_lan("T1 not below lease time", "    lease-time 1h\n    renewal-time 1h\n", 4, "renewal-time 3600 must be less than lease-time 3600"),
        in_lan("T2 not above T1", "    renewal-time 600\n    rebinding-time 600\n", 4, "rebinding-time 600 must be greater than renewal-time 600"),
        in_lan("T2 not below lease time", "    lease-time 600\n    rebinding-time 700\n", 4, "must be less than lease-time 600"),
        // Reservations.
        in_lan(
            "reservation outside subnet reports the address line",
            "    reservation r {\n        hardware-address 02:00:00:00:00:01\n        address 198.18.1.5\n    }\n",
            5,
            "address 198.18.1.5 of reservation r is outside subnet 198.18.0.0/24 of scope lan",
        ),
        in_lan(
            "reservation on broadcast address",
            "    reservation r {\n        hardware-address 02:00:00:00:00:01\n        address 198.18.0.255\n    }\n",
            5,
            "is the broadcast address",
        ),
        in_lan(
            "reservation without address",
            "    reservation r {\n        hardware-address 02:00:00:00:00:01\n    }\n",
            3,
            "reservation r: expected an `address` statement",
        ),
        in_lan(
            "reservation without key",
            "    reservation r {\n        address 198.18.0.5\n    }\n",
            3,
            "expected a `hardware-address` or `client-id` statement",
        ),
        in_lan(
            "reservation with two keys",
            "    reservation r {\n        hardware-address 02:00:00:00:00:01\n        client-id \"x\"\n    }\n",
            5,
            "already has its `hardware-address`/key at line 4",
        ),
        in_lan("bad MAC", "    reservation r {\n        hardware-address 02:00:00:00:01\n", 4, "expected a MAC address"),
        in_lan(
            "duplicate reservation address",
            "    reservation a {\n        hardware-address 02:00:00:00:00:01\n        address 198.18.0.5\n    }\n    reservation b {\n        hardware-address 02:00:00:00:00:02\n        address 198.18.0.5\n    }\n",
            9,
            "address 198.18.0.5 of reservation b is already reserved by reservation a (line 3)",
        ),
        in_lan(
            "duplicate reservation key in one scope",
            "    reservation a {\n        client-id 01:02\n        address 198.18.0.5\n    }\n    reservation b {\n        client-id 0x0102\n        address 198.18.0.6\n    }\n",
            7,
            "client-id 01:02 of reservation b is already used by reservation a (line 3)",
        ),
        case(
            "duplicate reservation key across scopes",
            "scope a {\n  subnet 198.18.0.0/24\n  reservation x {\n    hardware-address 02:00:00:00:00:09\n    address 198.18.0.9\n  }\n}\nscope b {\n  subnet 198.18.1.0/24\n  reservation y {\n    hardware-address 02-00-00-00-00-09\n    address 198.18.1.9\n  }\n}\n",
            10,
            "is already used by reservation x of scope a (line 3)",
        ),
        // Options.
        in_lan("option value type", "    option routers 198.18.0.1, gateway\n", 3, "expected an IPv4 address list for option routers, found `gateway`"),
        in_lan("unknown option name", "    option routerz 198.18.0.1\n", 3, "expected an option name or number (1..254), found `routerz`"),
        in_lan("managed option by code", "    option 51 0x00000e10\n", 3, "option dhcp-lease-time (code 51) is managed by the server"),
        in_lan("managed option by name", "    option server-identifier 198.18.0.1\n", 3, "use `server-id`"),
        case("option code out of range", "option 256 0x00\n", 1, "option code 256 is out of range"),
        in_lan("option without value", "    option domain-name\n", 3, "expected a value after `option domain-name`"),
        in_lan("option u8 range", "    option default-ip-ttl 300\n", 3, "expected an integer 0..255 for option default-ip-ttl"),
        in_lan("option by number without quotes", "    option 200 http://x y\n", 3, "expected a quoted string or hex bytes"),
        in_lan("option twice", "    option routers 198.18.0.1\n    option routers 198.18.0.2\n", 4, "option 3 is set twice at this level (first at line 3)"),
        in_lan("classless route host bits", "    option classless-static-routes 198.18.5.1/24 198.18.0.1\n", 3, "has host bits set"),
        in_lan("boolean option", "    option ip-forwarding perhaps\n", 3, "expected on or off for option ip-forwarding"),
        // Failover relationships (after a valid scope lan, lines 1-3).
        case("failover without role", &format!("{LAN_OPEN}}}\nfailover f {{\n  address 198.18.0.1\n  peer-address 198.18.0.2\n  scope lan\n}}\n"), 4, "expected `role primary|secondary` in failover f"),
        case("failover bad role", &format!("{LAN_OPEN}}}\nfailover f {{\n  role boss\n}}\n"), 5, "expected primary or secondary after `role`, found `boss`"),
        case("failover unknown scope", &format!("{LAN_OPEN}}}\nfailover f {{\n  role primary\n  address 198.18.0.1\n  peer-address 198.18.0.2\n  scope wan\n}}\n"), 4, "names scope wan, which is not defined"),
        case("failover bad mode", &format!("{LAN_OPEN}}}\nfailover f {{\n  mode round-robin\n}}\n"), 5, "expected `load-balance [PERCENT]` or `hot-standby [RESERVE-PERCENT]`"),
        case("failover percent out of range", &format!("{LAN_OPEN}}}\nfailover f {{\n  mode load-balance 150\n}}\n"), 5, "expected a load-balance percentage 0..100, found `150`"),
        case("failover port zero", &format!("{LAN_OPEN}}}\nfailover f {{\n  port 0\n}}\n"), 5, "port 0 after `port` is out of range"),
        case("failover unterminated", &format!("{LAN_OPEN}}}\nfailover f {{\n  role primary\n"), 4, "expected `}` to close failover f"),
        case("scope in two relationships", &format!("{LAN_OPEN}}}\nfailover f {{\n  role primary\n  address 198.18.0.1\n  peer-address 198.18.0.2\n  scope lan\n}}\nfailover g {{\n  role primary\n  address 198.18.0.1\n  port 648\n  peer-address 198.18.0.3\n  scope lan\n}}\n"), 10, "scope lan is already in failover f (line 4)"),
    ]
}

#[test]
fn every_broken_config_reports_its_line_and_reason() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        match parse(&c.text, "broken.conf") {
            Ok(_) => failures.push(format!("{}: parsed without error", c.name)),
            Err(e) => {
                if e.file != "broken.conf" || e.line != c.line || !e.msg.contains(c.msg) {
                    failures.push(format!(
                        "{}: got `{e}`, want line {} containing `{}`",
                        c.name, c.line, c.msg
                    ));
                }
                let shown = e.to_string();
                assert!(
                    shown.starts_with(&format!("broken.conf:{}: ", e.line)),
                    "{shown}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_shipped_config_parses() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/etc");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("etc/ exists") {
        let path = entry.expect("readable dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("conf") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable config");
        let name = path.display().to_string();
        let cfg = parse(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        // Shipped configs serve only the demo interface, in the benchmarking range.
        assert_eq!(cfg.server.interfaces, ["dh-demo0"], "{name}");
        for s in &cfg.scopes {
            assert_eq!(
                u32::from(s.subnet) >> 17,
                u32::from(std::net::Ipv4Addr::new(198, 18, 0, 0)) >> 17,
                "{name}"
            );
        }
        seen += 1;
    }
    assert!(
        seen >= 2,
        "expected at least duodhcp.conf and demo.conf in etc/, found {seen}"
    );
}
