//! Message authentication between partners (Microsoft's model, digest §10).
//!
//! With a shared secret every message carries option 17 (message-digest) = type byte 2
//! (Microsoft's HMAC-SHA-256 marker, per Wireshark) + 32 bytes of HMAC-SHA-256. Recipe (draft-12
//! §11.1, which MS-DHCPF leaves unspecified): the digest option is placed in the message with
//! its digest bytes zeroed, the HMAC is computed over the whole encoded message (length field
//! included), and then written into those bytes. `sign` always puts the option last; `verify`
//! accepts it anywhere, zeroing it where it lies. Without a secret on either side (ISC) no
//! digest is sent, and a received one is an error ("not configured", as Windows does).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::events::id;
use crate::wire::failover::{code, find_option, Message, MessageType};
use crate::wire::Error;

/// Option 17 type byte for HMAC-SHA-256 (Microsoft, digest §3/§10).
pub const DIGEST_TYPE_HMAC_SHA256: u8 = 2;
/// Type byte + 32-byte digest.
pub const DIGEST_OPTION_LEN: usize = 33;

type HmacSha256 = Hmac<Sha256>;

/// Outcome of checking a received message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Digest valid, or no secret and no digest.
    Ok,
    /// Digest present but wrong (or of an unknown type/length): reject reason 20.
    Mismatch,
    /// Digest present, no local secret: reject reason 13.
    NotConfigured,
    /// Secret configured, digest missing: reject reason 21.
    NotPresent,
}

impl Verdict {
    /// draft-12 reject reason for the failure (digest §8).
    pub fn reject_reason(self) -> Option<u8> {
        match self {
            Verdict::Ok => None,
            Verdict::Mismatch => Some(20),
            Verdict::NotConfigured => Some(13),
            Verdict::NotPresent => Some(21),
        }
    }
}

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; the error arm exists only for fixed-key MACs.
    match <HmacSha256 as Mac>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable_key(),
    }
}

#[cold]
fn unreachable_key() -> HmacSha256 {
    // Hmac<Sha256> accepts every key length (RFC 2104 §3 hashes long keys), so this is never
    // reached; fall back to an empty key rather than panic.
    <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default())
}

/// Encodes `msg` with a digest computed with `secret` (replacing any digest option it had).
pub fn sign(msg: &Message, secret: &[u8]) -> Result<Vec<u8>, Error> {
    let mut m = msg.clone();
    m.remove(code::MESSAGE_DIGEST);
    let mut zero = [0u8; DIGEST_OPTION_LEN];
    zero[0] = DIGEST_TYPE_HMAC_SHA256;
    m.set_bytes(code::MESSAGE_DIGEST, &zero);
    let mut out = m.emit()?;
    let mut h = mac(secret);
    h.update(&out);
    let tag = h.finalize().into_bytes();
    // The digest option is last, so its 32 digest bytes end the message.
    let at = out.len().saturating_sub(tag.len());
    if let Some(dst) = out.get_mut(at..) {
        dst.copy_from_slice(&tag);
    }
    Ok(out)
}

/// Encodes `msg`, signed when a secret is configured.
pub fn encode(msg: &Message, secret: Option<&[u8]>) -> Result<Vec<u8>, Error> {
    match secret {
        Some(s) => sign(msg, s),
        None => msg.emit(),
    }
}

/// Checks the received bytes `raw` (one whole message) against the local `secret`.
pub fn verify(raw: &[u8], secret: Option<&[u8]>) -> Verdict {
    let found = find_option(raw, code::MESSAGE_DIGEST);
    let (secret, (at, len)) = match (secret, found) {
        (None, None) => return Verdict::Ok,
        (None, Some(_)) => return Verdict::NotConfigured,
        (Some(_), None) => return Verdict::NotPresent,
        (Some(s), Some(f)) => (s, f),
    };
    if len != DIGEST_OPTION_LEN || raw.get(at) != Some(&DIGEST_TYPE_HMAC_SHA256) {
        return Verdict::Mismatch;
    }
    let digest_at = at + 1;
    let (Some(before), Some(got), Some(after)) = (
        raw.get(..digest_at),
        raw.get(digest_at..at + len),
        raw.get(at + len..),
    ) else {
        return Verdict::Mismatch;
    };
    let mut h = mac(secret);
    h.update(before);
    h.update(&[0u8; DIGEST_OPTION_LEN - 1]);
    h.update(after);
    // Constant-time comparison.
    match h.verify_slice(got) {
        Ok(()) => Verdict::Ok,
        Err(_) => Verdict::Mismatch,
    }
}

/// Windows event ids for an authentication failure on a message type (digest §10): `None` for
/// types without an event (POOLREQ, POOLRESP, DISCONNECT, unknown).
pub fn event_id(t: MessageType, v: Verdict) -> Option<u16> {
    let base = match t {
        MessageType::BndUpd => id::DHCPV4_AUTH_FAILED_BND_UPD_MSG_DIGEST_FAILED_TO_COMPARE,
        MessageType::BndAck => id::DHCPV4_AUTH_FAILED_BND_ACK_MSG_DIGEST_FAILED_TO_COMPARE,
        MessageType::Connect => id::DHCPV4_AUTH_FAILED_CONNECT_MSG_DIGEST_FAILED_TO_COMPARE,
        MessageType::ConnectAck => id::DHCPV4_AUTH_FAILED_CONNECT_ACK_MSG_DIGEST_FAILED_TO_COMPARE,
        MessageType::UpdReqAll => id::DHCPV4_AUTH_FAILED_UPD_REQ_ALL_MSG_DIGEST_FAILED_TO_COMPARE,
        MessageType::UpdDone => id::DHCPV4_AUTH_FAILED_UPD_DONE_MSG_DIGEST_FAILED_TO_COMPARE,
        MessageType::UpdReq => id::DHCPV4_AUTH_FAILED_UPD_REQ_MSG_DIGEST_FAILED_TO_COMPARE,
        MessageType::State => id::DHCPV4_AUTH_FAILED_STATE_MSG_DIGEST_FAILED_TO_COMPARE,
        MessageType::Contact => id::DHCPV4_AUTH_FAILED_CONTACT_MSG_DIGEST_FAILED_TO_COMPARE,
        _ => return None,
    };
    // Each triple is compare, not configured, not present (checked by a test below).
    match v {
        Verdict::Ok => None,
        Verdict::Mismatch => Some(base),
        Verdict::NotConfigured => Some(base + 1),
        Verdict::NotPresent => Some(base + 2),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn msg() -> Message {
        let mut m = Message::new(MessageType::State, 1_700_000_000, 3);
        m.set_u8(code::SERVER_STATE, 2);
        m
    }

    #[test]
    fn sign_verify() {
        let b = sign(&msg(), b"s3cret").unwrap();
        let parsed = Message::parse(&b).unwrap();
        assert_eq!(parsed.options.last().unwrap().code, code::MESSAGE_DIGEST);
        assert_eq!(parsed.get(code::MESSAGE_DIGEST).unwrap()[0], 2);
        assert_eq!(verify(&b, Some(b"s3cret")), Verdict::Ok);
        assert_eq!(verify(&b, Some(b"other")), Verdict::Mismatch);
        assert_eq!(verify(&b, None), Verdict::NotConfigured);
        let plain = msg().emit().unwrap();
        assert_eq!(verify(&plain, Some(b"s3cret")), Verdict::NotPresent);
        assert_eq!(verify(&plain, None), Verdict::Ok);
        // Any changed byte breaks it.
        for i in [4usize, 8, 16, 20, b.len() - 1] {
            let mut t = b.clone();
            t[i] ^= 1;
            assert_eq!(verify(&t, Some(b"s3cret")), Verdict::Mismatch, "byte {i}");
        }
        // Re-signing is idempotent and independent of a stale digest.
        assert_eq!(sign(&parsed, b"s3cret").unwrap(), b);
    }

    #[test]
    fn known_answer() {
        // RFC 4231 test case 2 pins our HMAC-SHA-256 to the standard.
        let mut h = mac(b"Jefe");
        h.update(b"what do ya want for nothing?");
        let t = h.finalize().into_bytes();
        assert_eq!(
            t[..8],
            [0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e],
            "{t:02x?}"
        );
    }

    #[test]
    fn event_ids() {
        assert_eq!(
            event_id(MessageType::BndUpd, Verdict::Mismatch),
            Some(20256)
        );
        assert_eq!(
            event_id(MessageType::BndAck, Verdict::NotPresent),
            Some(20263)
        );
        assert_eq!(
            event_id(MessageType::Connect, Verdict::NotConfigured),
            Some(20265)
        );
        assert_eq!(
            event_id(MessageType::ConnectAck, Verdict::Mismatch),
            Some(20267)
        );
        assert_eq!(
            event_id(MessageType::UpdReqAll, Verdict::NotPresent),
            Some(20272)
        );
        assert_eq!(
            event_id(MessageType::UpdDone, Verdict::Mismatch),
            Some(20273)
        );
        assert_eq!(
            event_id(MessageType::UpdReq, Verdict::NotPresent),
            Some(20278)
        );
        assert_eq!(
            event_id(MessageType::State, Verdict::NotConfigured),
            Some(20280)
        );
        assert_eq!(
            event_id(MessageType::Contact, Verdict::NotPresent),
            Some(20284)
        );
        assert_eq!(event_id(MessageType::PoolReq, Verdict::Mismatch), None);
        assert_eq!(event_id(MessageType::Contact, Verdict::Ok), None);
        assert_eq!(
            id::DHCPV4_AUTH_FAILED_CONTACT_MSG_DIGEST_NOT_PRESENT,
            id::DHCPV4_AUTH_FAILED_CONTACT_MSG_DIGEST_FAILED_TO_COMPARE + 2
        );
    }
}
