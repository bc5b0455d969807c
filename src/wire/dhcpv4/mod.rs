//! DHCPv4 / BOOTP message codec (RFC 2131 §2, RFC 2132, RFC 3396, RFC 951).
//!
//! `Repr::parse` accepts any byte slice and either returns an owned representation or an
//! `Error`; it never panics. Options are kept in order of first appearance; an option that
//! appears several times (RFC 3396 long option) or is split across the options field and the
//! overloaded `file`/`sname` fields (option 52) is concatenated into one entry. Unknown
//! option codes are kept verbatim and re-emitted byte-exact.
//!
//! Parse contract:
//! - fewer than 236 bytes is `Truncated`; `op` other than 1/2 or `hlen` > 16 is `Malformed`;
//! - fewer than 240 bytes, or no magic cookie: plain BOOTP (RFC 951), the vendor area is
//!   ignored and `options` is empty;
//! - PAD is skipped, END stops an area, a missing END at the end of an area is tolerated, an
//!   option whose length runs past its area is `Truncated`;
//! - option 52 (RFC 2132 §9.3) must be one byte 1, 2 or 3 (else `Malformed`); the overloaded
//!   fields are read after the options field, `file` before `sname` (RFC 2131 §4.1), each as
//!   its own area, and are then left empty in the `Repr`; option 52 itself is not kept, and
//!   an option 52 found inside `file`/`sname` is ignored;
//! - `sname`/`file` that are not overloaded are kept without their trailing NULs.
//!
//! Emit contract: the result is at most `max(max_len, 300)` bytes and at least 300 (RFC 1542
//! §3.3 folklore: relays and BOOTP clients drop shorter replies). Options longer than 255 bytes
//! are split into consecutive 255-byte instances (RFC 3396 §5). When the options do not fit in
//! the options field, trailing options move into `file` and then `sname` (only fields that are
//! empty in the `Repr`) and option 52 is added; if they still do not fit, `TooLong`. A `Repr`
//! with `has_cookie == false` is emitted as plain BOOTP: the header and a zero 64-byte vendor
//! area, options are not written.

mod optdata;
pub mod options;
pub mod relay;

pub use optdata::OptData;

use core::net::Ipv4Addr;

use super::cursor::{Reader, Writer};
use super::Error;

/// The BOOTP fixed header is 236 bytes, followed by the 4-byte magic cookie.
pub const HEADER_LEN: usize = 236;
/// RFC 2131 §3: magic cookie 99.130.83.99.
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// RFC 1542 §3.3 / folklore: many BOOTP relays and clients drop replies shorter than 300 bytes.
pub const BOOTP_MIN_LEN: usize = 300;
/// RFC 2131 §2: every client must accept 576-byte IP datagrams, i.e. 548 bytes of DHCP.
pub const DEFAULT_MAX_MESSAGE: usize = 576 - 28;

pub const OP_BOOTREQUEST: u8 = 1;
pub const OP_BOOTREPLY: u8 = 2;
/// RFC 2131 §2 flags: broadcast bit.
pub const FLAG_BROADCAST: u16 = 0x8000;

/// DHCP message type (option 53), RFC 2132 §9.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageType {
    Discover,
    Offer,
    Request,
    Decline,
    Ack,
    Nak,
    Release,
    Inform,
    Other(u8),
}

impl MessageType {
    pub fn from_u8(v: u8) -> MessageType {
        match v {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            x => MessageType::Other(x),
        }
    }

    pub fn to_u8(self) -> u8 {
        match self {
            MessageType::Discover => 1,
            MessageType::Offer => 2,
            MessageType::Request => 3,
            MessageType::Decline => 4,
            MessageType::Ack => 5,
            MessageType::Nak => 6,
            MessageType::Release => 7,
            MessageType::Inform => 8,
            MessageType::Other(x) => x,
        }
    }

    /// Upper-case name as in RFC 2131 and in tshark/dnsmasq logs.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Discover => "DHCPDISCOVER",
            MessageType::Offer => "DHCPOFFER",
            MessageType::Request => "DHCPREQUEST",
            MessageType::Decline => "DHCPDECLINE",
            MessageType::Ack => "DHCPACK",
            MessageType::Nak => "DHCPNAK",
            MessageType::Release => "DHCPRELEASE",
            MessageType::Inform => "DHCPINFORM",
            MessageType::Other(_) => "DHCP?",
        }
    }
}

/// One option: code and its (possibly concatenated, RFC 3396) data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpOption {
    pub code: u8,
    pub data: OptData,
}

/// Owned, parsed DHCPv4/BOOTP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repr {
    pub op: u8,
    pub htype: u8,
    pub hlen: u8,
    pub hops: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    /// Client IP address (filled by a client in BOUND/RENEW/REBINDING).
    pub ciaddr: Ipv4Addr,
    /// "Your" (client) IP address, set by the server.
    pub yiaddr: Ipv4Addr,
    /// Next server (TFTP) address.
    pub siaddr: Ipv4Addr,
    /// Relay agent IP address.
    pub giaddr: Ipv4Addr,
    /// Client hardware address, all 16 bytes as on the wire.
    pub chaddr: [u8; 16],
    /// Server host name field (64 bytes on the wire), without trailing zeros; empty when the
    /// field was overloaded with options.
    pub sname: Vec<u8>,
    /// Boot file name field (128 bytes on the wire), without trailing zeros; empty when the
    /// field was overloaded with options.
    pub file: Vec<u8>,
    /// False for a plain BOOTP message (no magic cookie / no options area).
    pub has_cookie: bool,
    /// Options in order of first appearance, excluding PAD, END and overload (52).
    pub options: Vec<DhcpOption>,
}

/// Size of the `sname` field.
const SNAME_LEN: usize = 64;
/// Size of the `file` field.
const FILE_LEN: usize = 128;
/// RFC 951: the BOOTP vendor area is 64 bytes.
const VEND_LEN: usize = 64;
/// Offset of the options field (header + cookie).
const OPTIONS_OFFSET: usize = HEADER_LEN + MAGIC_COOKIE.len();

impl DhcpOption {
    pub fn new(code: u8, data: impl Into<OptData>) -> DhcpOption {
        DhcpOption {
            code,
            data: data.into(),
        }
    }
}

/// Drops trailing NUL bytes (C string padding of `sname`/`file`).
fn trim_nuls(field: &[u8]) -> Vec<u8> {
    let end = field.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    field.get(..end).unwrap_or_default().to_vec()
}

/// Appends `data` to option `code`, creating it at the end if absent (RFC 3396 §6:
/// instances are concatenated in the order they appear).
fn push_or_extend(options: &mut Vec<DhcpOption>, code: u8, data: &[u8]) {
    match options.iter_mut().find(|o| o.code == code) {
        Some(o) => o.data.extend_from_slice(data),
        None => options.push(DhcpOption::new(code, data)),
    }
}

/// Parses one option area (options field, or an overloaded `file`/`sname`).
/// Option 52 data is collected in `overload` (the caller ignores it outside the options field).
fn parse_area(
    area: &[u8],
    options: &mut Vec<DhcpOption>,
    overload: &mut Option<Vec<u8>>,
) -> Result<(), Error> {
    let mut r = Reader::new(area);
    while let Some(code) = r.u8() {
        match code {
            options::PAD => continue,
            options::END => break,
            _ => {}
        }
        let len = r.u8().ok_or(Error::Truncated("option length"))?;
        let data = r
            .take(usize::from(len))
            .ok_or(Error::Truncated("option data"))?;
        if code == options::OVERLOAD {
            overload
                .get_or_insert_with(Vec::new)
                .extend_from_slice(data);
        } else {
            push_or_extend(options, code, data);
        }
    }
    Ok(())
}

/// Writes `chunks` followed by END into a fixed-size field padded with zeros.
fn fill_area(out: &mut Vec<u8>, chunks: &[(u8, &[u8])], size: usize) {
    let start = out.len();
    for (code, data) in chunks {
        put_chunk(out, *code, data);
    }
    out.put_u8(options::END);
    let used = out.len().saturating_sub(start);
    out.put_zeros(size.saturating_sub(used));
}

fn put_chunk(out: &mut Vec<u8>, code: u8, data: &[u8]) {
    out.put_u8(code);
    // Chunks are cut at 255 bytes by `Repr::chunks`, so this never saturates.
    out.put_u8(u8::try_from(data.len()).unwrap_or(u8::MAX));
    out.put_slice(data);
}

/// Writes a fixed-size text field padded with zeros.
fn put_field(out: &mut Vec<u8>, value: &[u8], size: usize) {
    out.put_slice(value);
    out.put_zeros(size.saturating_sub(value.len()));
}

impl Repr {
    /// Decodes a DHCP or BOOTP message (see the module contract).
    pub fn parse(buf: &[u8]) -> Result<Repr, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated("header"));
        }
        let mut r = Reader::new(buf);
        let t = Error::Truncated;
        let op = r.u8().ok_or(t("op"))?;
        if op != OP_BOOTREQUEST && op != OP_BOOTREPLY {
            return Err(Error::Malformed("op"));
        }
        let htype = r.u8().ok_or(t("htype"))?;
        let hlen = r.u8().ok_or(t("hlen"))?;
        // RFC 2131 §2: chaddr is 16 bytes, so a longer hardware address cannot be carried.
        if usize::from(hlen) > 16 {
            return Err(Error::Malformed("hlen"));
        }
        let hops = r.u8().ok_or(t("hops"))?;
        let xid = r.u32().ok_or(t("xid"))?;
        let secs = r.u16().ok_or(t("secs"))?;
        let flags = r.u16().ok_or(t("flags"))?;
        let ciaddr = r.ipv4().ok_or(t("ciaddr"))?;
        let yiaddr = r.ipv4().ok_or(t("yiaddr"))?;
        let siaddr = r.ipv4().ok_or(t("siaddr"))?;
        let giaddr = r.ipv4().ok_or(t("giaddr"))?;
        let chaddr = r.array::<16>().ok_or(t("chaddr"))?;
        let sname_raw = r.take(SNAME_LEN).ok_or(t("sname"))?;
        let file_raw = r.take(FILE_LEN).ok_or(t("file"))?;

        let mut repr = Repr {
            op,
            htype,
            hlen,
            hops,
            xid,
            secs,
            flags,
            ciaddr,
            yiaddr,
            siaddr,
            giaddr,
            chaddr,
            sname: Vec::new(),
            file: Vec::new(),
            has_cookie: false,
            options: Vec::with_capacity(8),
        };

        let cookie = r.array::<4>();
        if cookie != Some(MAGIC_COOKIE) {
            // RFC 951 vendor area without the RFC 1048 cookie: opaque, ignored.
            repr.sname = trim_nuls(sname_raw);
            repr.file = trim_nuls(file_raw);
            return Ok(repr);
        }
        repr.has_cookie = true;

        let mut overload = None;
        parse_area(r.rest(), &mut repr.options, &mut overload)?;
        let (use_file, use_sname) = match overload.as_deref() {
            None => (false, false),
            Some([1]) => (true, false),
            Some([2]) => (false, true),
            Some([3]) => (true, true),
            Some(_) => return Err(Error::Malformed("option overload")),
        };
        // RFC 2131 §4.1: options field first, then `file`, then `sname`.
        if use_file {
            parse_area(file_raw, &mut repr.options, &mut None)?;
        } else {
            repr.file = trim_nuls(file_raw);
        }
        if use_sname {
            parse_area(sname_raw, &mut repr.options, &mut None)?;
        } else {
            repr.sname = trim_nuls(sname_raw);
        }
        Ok(repr)
    }

    /// Encodes into a new buffer; see [`Repr::emit_into`].
    pub fn emit(&self, max_len: usize) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(max_len.clamp(BOOTP_MIN_LEN, 1500));
        self.emit_into(&mut out, max_len)?;
        Ok(out)
    }

    /// Appends the encoded message to `out`. `max_len` is the largest DHCP message the peer
    /// accepts (option 57 or [`DEFAULT_MAX_MESSAGE`], chosen by the caller); values below 300
    /// are raised to 300. On error `out` is left as it was.
    pub fn emit_into(&self, out: &mut Vec<u8>, max_len: usize) -> Result<(), Error> {
        let start = out.len();
        let res = self.emit_inner(out, max_len.max(BOOTP_MIN_LEN));
        if res.is_err() {
            out.truncate(start);
        }
        res
    }

    /// Options cut into wire instances of at most 255 bytes (RFC 3396 §5).
    fn chunks(&self) -> Result<Vec<(u8, &[u8])>, Error> {
        let mut v = Vec::with_capacity(self.options.len());
        for o in &self.options {
            if matches!(o.code, options::PAD | options::END | options::OVERLOAD) {
                // PAD/END have no length byte; 52 is chosen by the encoder.
                return Err(Error::Malformed("option code"));
            }
            if o.data.is_empty() {
                v.push((o.code, &[][..]));
            }
            for c in o.data.chunks(255) {
                v.push((o.code, c));
            }
        }
        Ok(v)
    }

    fn emit_header(&self, out: &mut Vec<u8>) {
        out.put_u8(self.op);
        out.put_u8(self.htype);
        out.put_u8(self.hlen);
        out.put_u8(self.hops);
        out.put_u32(self.xid);
        out.put_u16(self.secs);
        out.put_u16(self.flags);
        out.put_ipv4(self.ciaddr);
        out.put_ipv4(self.yiaddr);
        out.put_ipv4(self.siaddr);
        out.put_ipv4(self.giaddr);
        out.put_slice(&self.chaddr);
    }

    fn emit_inner(&self, out: &mut Vec<u8>, max_len: usize) -> Result<(), Error> {
        if self.sname.len() > SNAME_LEN {
            return Err(Error::TooLong("sname"));
        }
        if self.file.len() > FILE_LEN {
            return Err(Error::TooLong("file"));
        }
        let start = out.len();
        self.emit_header(out);

        if !self.has_cookie {
            put_field(out, &self.sname, SNAME_LEN);
            put_field(out, &self.file, FILE_LEN);
            out.put_zeros(VEND_LEN);
            return Ok(());
        }

        let chunks = self.chunks()?;
        let opt_bytes: usize = chunks.iter().map(|(_, d)| 2 + d.len()).sum();
        // +1 for END.
        let split = if OPTIONS_OFFSET + opt_bytes < max_len {
            None
        } else {
            Some(self.place_overloaded(&chunks, max_len)?)
        };

        match split {
            None => {
                put_field(out, &self.sname, SNAME_LEN);
                put_field(out, &self.file, FILE_LEN);
                out.put_slice(&MAGIC_COOKIE);
                for (code, data) in &chunks {
                    put_chunk(out, *code, data);
                }
            }
            Some([main, file, sname]) => {
                let (main_c, rest) = chunks.split_at_checked(main).unwrap_or((&chunks, &[]));
                let (file_c, rest) = rest.split_at_checked(file).unwrap_or((rest, &[]));
                let (sname_c, _) = rest.split_at_checked(sname).unwrap_or((rest, &[]));
                if sname_c.is_empty() {
                    put_field(out, &self.sname, SNAME_LEN);
                } else {
                    fill_area(out, sname_c, SNAME_LEN);
                }
                if file_c.is_empty() {
                    put_field(out, &self.file, FILE_LEN);
                } else {
                    fill_area(out, file_c, FILE_LEN);
                }
                out.put_slice(&MAGIC_COOKIE);
                for (code, data) in main_c {
                    put_chunk(out, *code, data);
                }
                let value = u8::from(!file_c.is_empty()) | (u8::from(!sname_c.is_empty()) << 1);
                if value != 0 {
                    put_chunk(out, options::OVERLOAD, &[value]);
                }
            }
        }
        out.put_u8(options::END);
        let len = out.len().saturating_sub(start);
        out.put_zeros(BOOTP_MIN_LEN.saturating_sub(len));
        Ok(())
    }

    /// Decides how many leading chunks go in the options field, then in `file`, then in
    /// `sname` (RFC 2131 §4.1 order; option order is kept so concatenation is unchanged).
    /// Only fields that are empty in the `Repr` are used; each keeps room for its END.
    fn place_overloaded(
        &self,
        chunks: &[(u8, &[u8])],
        max_len: usize,
    ) -> Result<[usize; 3], Error> {
        // Options field: room for option 52 (3 bytes) and END.
        let main_cap = max_len.saturating_sub(OPTIONS_OFFSET + 3 + 1);
        let file_cap = if self.file.is_empty() {
            FILE_LEN - 1
        } else {
            0
        };
        let sname_cap = if self.sname.is_empty() {
            SNAME_LEN - 1
        } else {
            0
        };
        let mut room = [main_cap, file_cap, sname_cap];
        let mut count = [0usize; 3];
        let mut area = 0usize;
        for (_, data) in chunks {
            let need = 2 + data.len();
            loop {
                match room.get_mut(area) {
                    None => return Err(Error::TooLong("options")),
                    Some(r) if *r >= need => {
                        *r -= need;
                        if let Some(c) = count.get_mut(area) {
                            *c += 1;
                        }
                        break;
                    }
                    Some(_) => area += 1,
                }
            }
        }
        Ok(count)
    }

    /// A reply skeleton for `req` (RFC 2131 §4.3.1 table 3): op BOOTREPLY, the request's
    /// htype/hlen/xid/flags/giaddr/chaddr, everything else zero or empty.
    pub fn reply_to(req: &Repr) -> Repr {
        Repr {
            op: OP_BOOTREPLY,
            htype: req.htype,
            hlen: req.hlen,
            hops: 0,
            xid: req.xid,
            secs: 0,
            flags: req.flags,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: req.giaddr,
            chaddr: req.chaddr,
            sname: Vec::new(),
            file: Vec::new(),
            has_cookie: req.has_cookie,
            // Room for a typical reply without regrowing (type, server id, times, mask, router, DNS...).
            options: Vec::with_capacity(12),
        }
    }

    /// Option 53, if present and exactly one byte.
    pub fn message_type(&self) -> Option<MessageType> {
        match self.option(options::MESSAGE_TYPE)? {
            [t] => Some(MessageType::from_u8(*t)),
            _ => None,
        }
    }

    /// Sets option 53.
    pub fn set_message_type(&mut self, t: MessageType) {
        self.set_option(options::MESSAGE_TYPE, vec![t.to_u8()]);
    }

    /// Data of option `code` (all instances concatenated).
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.data.as_slice())
    }

    /// Replaces option `code` in place, or appends it.
    /// Takes anything byte-like; a slice or array up to 22 bytes is stored without a heap
    /// allocation.
    pub fn set_option(&mut self, code: u8, data: impl Into<OptData>) {
        let data = data.into();
        match self.options.iter_mut().find(|o| o.code == code) {
            Some(o) => o.data = data,
            None => self.options.push(DhcpOption::new(code, data)),
        }
    }

    /// Removes option `code` if present.
    pub fn remove_option(&mut self, code: u8) {
        self.options.retain(|o| o.code != code);
    }

    fn option_ipv4(&self, code: u8) -> Option<Ipv4Addr> {
        let b: [u8; 4] = self.option(code)?.try_into().ok()?;
        Some(Ipv4Addr::from(b))
    }

    /// Option 50, requested IP address (exactly 4 bytes).
    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.option_ipv4(options::REQUESTED_IP)
    }

    /// Option 54, server identifier (exactly 4 bytes).
    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.option_ipv4(options::SERVER_ID)
    }

    /// Option 61, client identifier; RFC 2132 §9.14 requires at least 2 bytes but we only
    /// refuse an empty one, which cannot identify anything.
    pub fn client_id(&self) -> Option<&[u8]> {
        self.option(options::CLIENT_ID).filter(|d| !d.is_empty())
    }

    /// Option 57, maximum DHCP message size (exactly 2 bytes). The caller applies the
    /// RFC 2132 §9.10 floor of 576.
    pub fn max_message_size(&self) -> Option<u16> {
        let b: [u8; 2] = self.option(options::MAX_MESSAGE_SIZE)?.try_into().ok()?;
        Some(u16::from_be_bytes(b))
    }

    /// Option 55, empty when absent.
    pub fn parameter_request_list(&self) -> &[u8] {
        self.option(options::PARAMETER_REQUEST_LIST)
            .unwrap_or_default()
    }

    /// Option 12.
    pub fn hostname(&self) -> Option<&[u8]> {
        self.option(options::HOST_NAME)
    }

    /// Option 82 raw data; decode with [`relay::parse_suboptions`].
    pub fn relay_agent_info(&self) -> Option<&[u8]> {
        self.option(options::RELAY_AGENT_INFO)
    }

    /// The meaningful part of `chaddr`: its first `hlen` bytes (at most 16).
    pub fn hw_addr(&self) -> &[u8] {
        let n = usize::from(self.hlen).min(self.chaddr.len());
        self.chaddr.get(..n).unwrap_or_default()
    }

    /// RFC 2131 §4.1: the client asked for broadcast replies.
    pub fn is_broadcast(&self) -> bool {
        self.flags & FLAG_BROADCAST != 0
    }
}
