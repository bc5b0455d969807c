//! Control socket: a Unix stream socket, one request line per connection turn, answered from
//! the pure `control` layer. Non-blocking like everything else; lines are capped.

use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use mio::net::{UnixListener, UnixStream};

use crate::control::MAX_LINE;

pub struct Client {
    pub stream: UnixStream,
    inbuf: Vec<u8>,
    out: Vec<u8>,
}

pub fn bind(path: &Path) -> io::Result<UnixListener> {
    // A stale socket from a crashed run would make bind fail; a live server holds the
    // journal lock, so reaching this point means nobody else is serving it.
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path)?;
    // Operators only: the socket can force partner-down.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(l)
}

pub enum Input {
    /// Complete request lines.
    Lines(Vec<String>),
    /// Peer closed, or sent junk beyond the cap.
    Closed,
}

impl Client {
    pub fn new(stream: UnixStream) -> Client {
        Client {
            stream,
            inbuf: Vec::new(),
            out: Vec::new(),
        }
    }

    pub fn read(&mut self) -> Input {
        let mut buf = [0u8; 512];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    return if self.inbuf.is_empty() {
                        Input::Closed
                    } else {
                        self.lines()
                    }
                }
                Ok(n) => {
                    self.inbuf.extend_from_slice(buf.get(..n).unwrap_or(&[]));
                    if self.inbuf.len() > MAX_LINE * 4 {
                        return Input::Closed;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return self.lines(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Input::Closed,
            }
        }
    }

    fn lines(&mut self) -> Input {
        let mut out = Vec::new();
        while let Some(i) = self.inbuf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.inbuf.drain(..=i).collect();
            let line = &line[..line.len() - 1];
            if line.len() > MAX_LINE {
                return Input::Closed;
            }
            out.push(String::from_utf8_lossy(line).trim().to_string());
        }
        Input::Lines(out)
    }

    /// Queue a response and write what the socket takes; true when everything is out.
    pub fn respond(&mut self, text: &str) -> bool {
        self.out.extend_from_slice(text.as_bytes());
        self.flush()
    }

    pub fn flush(&mut self) -> bool {
        while !self.out.is_empty() {
            match self.stream.write(&self.out) {
                Ok(0) => return true,
                Ok(n) => {
                    self.out.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
        true
    }
}
