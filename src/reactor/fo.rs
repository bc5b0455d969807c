//! Failover TCP (draft-12 §8.2, port 647): per relationship one listener that accepts only the
//! configured partner address, outbound connects with back-off (primary only), and at most one
//! live connection. Bytes in are deframed and handed to the pure core; bytes out are queued
//! with a cap, so a slow or dead partner can never stall DHCP serving.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, SocketAddrV4};

use log::{debug, info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol, Socket, Type};

use crate::time::Millis;
use crate::wire::failover::Deframer;

/// A connection whose unsent output exceeds this is dropped: the partner is not reading.
pub const OUT_CAP: usize = 1 << 20;
/// Reconnect delays: 5 s after a drop, growing to 60 s while the partner stays away.
const BACKOFF_MIN_MS: Millis = 5_000;
const BACKOFF_MAX_MS: Millis = 60_000;

pub struct Conn {
    pub stream: TcpStream,
    pub token: Token,
    /// Outbound connect still in progress (waiting for writability).
    pub connecting: bool,
    deframer: Deframer,
    out: Vec<u8>,
    out_pos: usize,
    writable_registered: bool,
}

/// The I/O side of one relationship.
pub struct Link {
    pub local: SocketAddrV4,
    pub peer: SocketAddrV4,
    /// Only the primary connects out; the secondary waits (ISC's primary sends CONNECT on
    /// whichever connection comes up, so one direction is enough and never races).
    pub connects_out: bool,
    pub listener: Option<(TcpListener, Token)>,
    pub conn: Option<Conn>,
    pub reconnect_at: Option<Millis>,
    backoff: Millis,
}

/// What a read produced.
pub enum ReadResult {
    /// Whole messages (each with its 2-byte length prefix), in order.
    Messages(Vec<Vec<u8>>),
    /// The connection ended or broke; the reason is for the log.
    Closed(String),
}

impl Link {
    pub fn new(local: SocketAddrV4, peer: SocketAddrV4, connects_out: bool) -> Link {
        Link { local, peer, connects_out, listener: None, conn: None, reconnect_at: Some(0), backoff: BACKOFF_MIN_MS }
    }

    pub fn listen(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
        s.set_reuse_address(true)?;
        s.set_nonblocking(true)?;
        s.bind(&SocketAddr::V4(self.local).into())?;
        s.listen(4)?;
        let mut l = TcpListener::from_std(s.into());
        registry.register(&mut l, token, Interest::READABLE)?;
        self.listener = Some((l, token));
        Ok(())
    }

    /// Start a non-blocking connect from our address to the partner.
    pub fn connect(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
        s.set_nonblocking(true)?;
        s.set_nodelay(true)?;
        // Source address = our configured address: the partner accepts only that one.
        s.bind(&SocketAddr::V4(SocketAddrV4::new(*self.local.ip(), 0)).into())?;
        match s.connect(&SocketAddr::V4(self.peer).into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        let mut stream = TcpStream::from_std(s.into());
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        self.conn = Some(Conn::new(stream, token, true));
        Ok(())
    }

    /// Accept pending connections; returns true when one became the live connection.
    pub fn accept(&mut self, registry: &Registry, token: impl FnOnce() -> Token) -> bool {
        let Some((l, _)) = self.listener.as_ref() else { return false };
        let mut adopted = false;
        let mut token = Some(token);
        loop {
            match l.accept() {
                Ok((mut s, from)) => {
                    let ok_peer = matches!(from, SocketAddr::V4(a) if a.ip() == self.peer.ip());
                    if !ok_peer {
                        warn!("failover: refused connection from {from}: not the configured partner {}", self.peer.ip());
                        let _ = s.shutdown(Shutdown::Both);
                        continue;
                    }
                    if self.conn.is_some() {
                        // One connection per relationship (ISC rejects duplicates too).
                        debug!("failover: second connection from {from} closed, one is already up");
                        let _ = s.shutdown(Shutdown::Both);
                        continue;
                    }
                    let Some(t) = token.take().map(|f| f()) else { continue };
                    let _ = s.set_nodelay(true);
                    if registry.register(&mut s, t, Interest::READABLE).is_err() {
                        continue;
                    }
                    info!("failover: partner connected from {from}");
                    self.conn = Some(Conn::new(s, t, false));
                    adopted = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("failover: accept on {}: {e}", self.local);
                    break;
                }
            }
        }
        adopted
    }

    /// Drop the connection (if any) and schedule the next connect attempt.
    pub fn close(&mut self, registry: &Registry, now: Millis) -> Option<Token> {
        let mut c = self.conn.take()?;
        let _ = registry.deregister(&mut c.stream);
        let _ = c.stream.shutdown(Shutdown::Both);
        if self.connects_out {
            self.reconnect_at = Some(now + self.backoff);
            self.backoff = (self.backoff * 2).min(BACKOFF_MAX_MS);
        }
        Some(c.token)
    }

    /// A connection reached the protocol level: reset the back-off.
    pub fn established(&mut self) {
        self.backoff = BACKOFF_MIN_MS;
    }
}

impl Conn {
    fn new(stream: TcpStream, token: Token, connecting: bool) -> Conn {
        Conn { stream, token, connecting, deframer: Deframer::new(), out: Vec::new(), out_pos: 0, writable_registered: connecting }
    }

    /// For an outbound connect: did it complete? Err = it failed.
    pub fn finish_connect(&mut self) -> io::Result<bool> {
        if let Some(e) = self.stream.take_error()? {
            return Err(e);
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.connecting = false;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected || e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Read to WouldBlock, returning whole messages.
    pub fn read(&mut self) -> ReadResult {
        let mut msgs = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return ReadResult::Closed("partner closed the connection".into()),
                Ok(n) => {
                    let Some(chunk) = buf.get(..n) else { break };
                    self.deframer.push(chunk);
                    loop {
                        match self.deframer.next_message() {
                            Ok(Some(m)) => msgs.push(m),
                            Ok(None) => break,
                            Err(e) => return ReadResult::Closed(format!("bad framing: {e}")),
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return ReadResult::Closed(format!("read: {e}")),
            }
        }
        ReadResult::Messages(msgs)
    }

    /// Queue encoded messages; false when the cap is exceeded (the caller drops the link).
    pub fn queue(&mut self, msg: &[u8]) -> bool {
        if self.out.len() - self.out_pos + msg.len() > OUT_CAP {
            return false;
        }
        self.out.extend_from_slice(msg);
        true
    }

    /// Write as much as the socket takes; keeps WRITABLE interest only while output remains.
    pub fn write(&mut self, registry: &Registry) -> io::Result<()> {
        while self.out_pos < self.out.len() {
            let Some(pending) = self.out.get(self.out_pos..) else { break };
            match self.stream.write(pending) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "partner stopped reading")),
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        let want = self.out_pos < self.out.len() || self.connecting;
        if want != self.writable_registered {
            let interest = if want { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
            registry.reregister(&mut self.stream, self.token, interest)?;
            self.writable_registered = want;
        }
        Ok(())
    }
}
