//! DHCP option codes (RFC 2132 and later RFCs) with their names.
//!
//! Option-82 sub-options (RFC 3046, RFC 3527) live in `super::relay`. Names follow the
//! ISC dhcp-options(5) spelling so logs and config read the same.

pub const PAD: u8 = 0;
pub const SUBNET_MASK: u8 = 1;
pub const TIME_OFFSET: u8 = 2;
pub const ROUTER: u8 = 3;
pub const TIME_SERVERS: u8 = 4;
pub const NAME_SERVERS: u8 = 5;
pub const DNS_SERVERS: u8 = 6;
pub const LOG_SERVERS: u8 = 7;
pub const HOST_NAME: u8 = 12;
pub const BOOT_SIZE: u8 = 13;
pub const DOMAIN_NAME: u8 = 15;
pub const ROOT_PATH: u8 = 17;
pub const IP_FORWARDING: u8 = 19;
pub const DEFAULT_IP_TTL: u8 = 23;
pub const INTERFACE_MTU: u8 = 26;
pub const BROADCAST_ADDR: u8 = 28;
pub const STATIC_ROUTES: u8 = 33;
pub const NIS_DOMAIN: u8 = 40;
pub const NIS_SERVERS: u8 = 41;
pub const NTP_SERVERS: u8 = 42;
pub const VENDOR_SPECIFIC: u8 = 43;
pub const NETBIOS_NAME_SERVERS: u8 = 44;
pub const NETBIOS_NODE_TYPE: u8 = 46;
pub const NETBIOS_SCOPE: u8 = 47;
pub const REQUESTED_IP: u8 = 50;
pub const LEASE_TIME: u8 = 51;
pub const OVERLOAD: u8 = 52;
pub const MESSAGE_TYPE: u8 = 53;
pub const SERVER_ID: u8 = 54;
pub const PARAMETER_REQUEST_LIST: u8 = 55;
pub const MESSAGE: u8 = 56;
pub const MAX_MESSAGE_SIZE: u8 = 57;
pub const RENEWAL_TIME: u8 = 58;
pub const REBINDING_TIME: u8 = 59;
pub const VENDOR_CLASS_ID: u8 = 60;
pub const CLIENT_ID: u8 = 61;
pub const TFTP_SERVER_NAME: u8 = 66;
pub const BOOTFILE_NAME: u8 = 67;
pub const USER_CLASS: u8 = 77;
pub const RAPID_COMMIT: u8 = 80;
pub const CLIENT_FQDN: u8 = 81;
pub const RELAY_AGENT_INFO: u8 = 82;
pub const CLIENT_ARCH: u8 = 93;
pub const CLIENT_NDI: u8 = 94;
pub const CLIENT_UUID: u8 = 97;
pub const IPV6_ONLY_PREFERRED: u8 = 108;
pub const CAPTIVE_PORTAL: u8 = 114;
pub const AUTO_CONFIG: u8 = 116;
pub const SUBNET_SELECTION: u8 = 118;
pub const DOMAIN_SEARCH: u8 = 119;
pub const SIP_SERVERS: u8 = 120;
pub const CLASSLESS_ROUTES: u8 = 121;
pub const VIVCO: u8 = 124;
pub const VIVSO: u8 = 125;
pub const FORCERENEW_NONCE_CAPABLE: u8 = 145;
pub const TFTP_SERVER_ADDRESS: u8 = 150;
pub const MS_CLASSLESS_ROUTES: u8 = 249;
pub const WPAD: u8 = 252;
pub const END: u8 = 255;

/// Name of an option code, for logs; `None` for codes we do not know.
///
/// Sources: RFC 2132 (0..=76 except 62/63 from RFC 2242), RFC 3004, 2610, 4039, 4702, 3046,
/// 4174, 2241, 4280, 3118, 4388, 4578, 3679, 2485, 4776, 4833, 8925, 8910, 2563, 2937, 3011,
/// 3397, 3361, 3442, 3495, 6225, 3925, 5192, 5223, 5417, 5678, 6011, 6153, 8572, 6704, 6731,
/// 5859, 6926, 7291, 7618, 8520, 5071, 5969, 5986, 6656, 6607. Two site-specific codes that
/// Windows clients request in every PRL (249, 252) are named too, so they do not raise the
/// unknown-option event on every packet.
pub fn name(code: u8) -> Option<&'static str> {
    let n = match code {
        0 => "pad",
        1 => "subnet-mask",
        2 => "time-offset",
        3 => "routers",
        4 => "time-servers",
        5 => "ien116-name-servers",
        6 => "domain-name-servers",
        7 => "log-servers",
        8 => "cookie-servers",
        9 => "lpr-servers",
        10 => "impress-servers",
        11 => "resource-location-servers",
        12 => "host-name",
        13 => "boot-size",
        14 => "merit-dump",
        15 => "domain-name",
        16 => "swap-server",
        17 => "root-path",
        18 => "extensions-path",
        19 => "ip-forwarding",
        20 => "non-local-source-routing",
        21 => "policy-filter",
        22 => "max-dgram-reassembly",
        23 => "default-ip-ttl",
        24 => "path-mtu-aging-timeout",
        25 => "path-mtu-plateau-table",
        26 => "interface-mtu",
        27 => "all-subnets-local",
        28 => "broadcast-address",
        29 => "perform-mask-discovery",
        30 => "mask-supplier",
        31 => "router-discovery",
        32 => "router-solicitation-address",
        33 => "static-routes",
        34 => "trailer-encapsulation",
        35 => "arp-cache-timeout",
        36 => "ieee802-3-encapsulation",
        37 => "default-tcp-ttl",
        38 => "tcp-keepalive-interval",
        39 => "tcp-keepalive-garbage",
        40 => "nis-domain",
        41 => "nis-servers",
        42 => "ntp-servers",
        43 => "vendor-encapsulated-options",
        44 => "netbios-name-servers",
        45 => "netbios-dd-server",
        46 => "netbios-node-type",
        47 => "netbios-scope",
        48 => "font-servers",
        49 => "x-display-manager",
        50 => "dhcp-requested-address",
        51 => "dhcp-lease-time",
        52 => "dhcp-option-overload",
        53 => "dhcp-message-type",
        54 => "dhcp-server-identifier",
        55 => "dhcp-parameter-request-list",
        56 => "dhcp-message",
        57 => "dhcp-max-message-size",
        58 => "dhcp-renewal-time",
        59 => "dhcp-rebinding-time",
        60 => "vendor-class-identifier",
        61 => "dhcp-client-identifier",
        62 => "nwip-domain",
        63 => "nwip-suboptions",
        64 => "nisplus-domain",
        65 => "nisplus-servers",
        66 => "tftp-server-name",
        67 => "bootfile-name",
        68 => "mobile-ip-home-agent",
        69 => "smtp-server",
        70 => "pop-server",
        71 => "nntp-server",
        72 => "www-server",
        73 => "finger-server",
        74 => "irc-server",
        75 => "streettalk-server",
        76 => "streettalk-directory-assistance-server",
        77 => "user-class",
        78 => "slp-directory-agent",
        79 => "slp-service-scope",
        80 => "rapid-commit",
        81 => "fqdn",
        82 => "relay-agent-information",
        83 => "isns",
        85 => "nds-servers",
        86 => "nds-tree-name",
        87 => "nds-context",
        88 => "bcms-controller-names",
        89 => "bcms-controller-address",
        90 => "authenticate",
        91 => "client-last-transaction-time",
        92 => "associated-ip",
        93 => "pxe-system-type",
        94 => "pxe-interface-id",
        95 => "ldap",
        97 => "pxe-client-id",
        98 => "uap-servers",
        99 => "geoconf-civic",
        100 => "pcode",
        101 => "tcode",
        108 => "v6-only-preferred",
        112 => "netinfo-server-address",
        113 => "netinfo-server-tag",
        114 => "default-url",
        116 => "auto-config",
        117 => "name-service-search",
        118 => "subnet-selection",
        119 => "domain-search",
        120 => "sip-servers",
        121 => "rfc3442-classless-static-routes",
        122 => "cablelabs-client-configuration",
        123 => "geoconf",
        124 => "vivco",
        125 => "vivso",
        136 => "pana-agent",
        137 => "v4-lost",
        138 => "capwap-ac-v4",
        139 => "ipv4-address-mos",
        140 => "ipv4-fqdn-mos",
        141 => "sip-ua-cs-domains",
        142 => "ipv4-address-andsf",
        143 => "sztp-redirect",
        144 => "geoloc",
        145 => "forcerenew-nonce-capable",
        146 => "rdnss-selection",
        150 => "tftp-server-address",
        151 => "status-code",
        152 => "base-time",
        153 => "start-time-of-state",
        154 => "query-start-time",
        155 => "query-end-time",
        156 => "dhcp-state",
        157 => "data-source",
        158 => "v4-pcp-server",
        159 => "v4-portparams",
        161 => "mud-url-v4",
        208 => "pxelinux-magic",
        209 => "pxelinux-configfile",
        210 => "pxelinux-pathprefix",
        211 => "pxelinux-reboottime",
        212 => "option-6rd",
        213 => "v4-access-domain",
        220 => "subnet-allocation",
        221 => "virtual-subnet-selection",
        249 => "ms-classless-static-routes",
        252 => "wpad",
        255 => "end",
        _ => return None,
    };
    Some(n)
}

/// True for codes defined by RFC 2132 or a later standards-track/informational RFC (plus the
/// two Windows codes noted on [`name`]). The server raises event 1000 for the others.
pub fn is_known(code: u8) -> bool {
    name(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_known() {
        assert_eq!(name(SUBNET_MASK), Some("subnet-mask"));
        assert_eq!(
            name(CLASSLESS_ROUTES),
            Some("rfc3442-classless-static-routes")
        );
        for c in [
            PAD,
            END,
            OVERLOAD,
            MESSAGE_TYPE,
            CLIENT_ID,
            RELAY_AGENT_INFO,
            SUBNET_SELECTION,
        ] {
            assert!(is_known(c), "{c}");
        }
        // Private-use range (RFC 3942 §4) and unassigned codes.
        for c in [84u8, 96, 102, 224, 230, 254] {
            assert!(!is_known(c), "{c}");
        }
    }
}
