//! Stream deframer for failover TCP connections (draft-12 §6.1: a message is its own 2-byte
//! length, then `length - 2` more bytes; there is no other delimiter).
//!
//! Contract: feed any split of the byte stream; whole messages come out in order as owned byte
//! vectors (still including the length field, ready for `Message::parse`). The internal buffer
//! never holds more than one partial message (≤ 2048 bytes). A length outside 12..=2048 is an
//! error (ISC drops the connection, digest §1.2); after an error the deframer stays failed and
//! the caller must close the connection. Never panics.

use super::{Error, MAX_LEN, MIN_LEN};

/// Reassembles failover messages from a TCP byte stream.
#[derive(Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
    failed: Option<Error>,
}

impl Deframer {
    pub fn new() -> Deframer {
        Deframer::default()
    }

    /// Bytes held of an incomplete message.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feeds bytes read from the stream and returns every message they complete.
    ///
    /// On a bad length the messages completed before it are lost with the connection; the
    /// error is returned now and on every later call.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let mut out = Vec::new();
        while !data.is_empty() {
            // Fill the length field first, then exactly up to the message end.
            let want = match self.message_len() {
                None => 2usize.saturating_sub(self.buf.len()),
                Some(Ok(n)) => n.saturating_sub(self.buf.len()),
                Some(Err(e)) => return Err(self.fail(e)),
            };
            let n = want.min(data.len());
            let (head, tail) = data.split_at_checked(n).unwrap_or((data, &[]));
            self.buf.extend_from_slice(head);
            data = tail;
            match self.message_len() {
                Some(Err(e)) => return Err(self.fail(e)),
                Some(Ok(n)) if self.buf.len() == n => out.push(std::mem::take(&mut self.buf)),
                _ => {}
            }
        }
        Ok(out)
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e);
        self.buf = Vec::new();
        e
    }

    /// The announced length once two bytes are in, checked against draft-12 §6.1.
    fn message_len(&self) -> Option<Result<usize, Error>> {
        let hdr: [u8; 2] = self.buf.get(..2)?.try_into().ok()?;
        let n = u16::from_be_bytes(hdr) as usize;
        Some(if (MIN_LEN..=MAX_LEN).contains(&n) {
            Ok(n)
        } else {
            Err(Error::Malformed("message length"))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::{Message, MessageType};
    use super::*;

    fn msg(xid: u32) -> Vec<u8> {
        Message::new(MessageType::Contact, 5, xid).emit().unwrap()
    }

    #[test]
    fn byte_by_byte_and_batched() {
        let mut stream = Vec::new();
        for x in 0..5 {
            stream.extend(msg(x));
        }
        let mut d = Deframer::new();
        let mut got = Vec::new();
        for b in &stream {
            got.extend(d.feed(std::slice::from_ref(b)).unwrap());
        }
        assert_eq!(got.len(), 5);
        assert_eq!(Message::parse(&got[4]).unwrap().xid, 4);
        let mut d = Deframer::new();
        assert_eq!(d.feed(&stream).unwrap().len(), 5);
        assert_eq!(d.buffered(), 0);
        let got = d.feed(&stream[..13]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(d.buffered(), 1);
    }

    #[test]
    fn bad_length_poisons() {
        let mut d = Deframer::new();
        assert!(d.feed(&[0x00]).unwrap().is_empty());
        assert!(d.feed(&[0x0b]).is_err());
        assert!(d.feed(&msg(1)).is_err());
        let mut d = Deframer::new();
        assert!(d.feed(&[0x08, 0x01]).is_err());
    }
}
