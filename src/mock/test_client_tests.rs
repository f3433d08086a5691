//! A tiny HTTP/1.1 client written by hand for the in-process tests: raw bytes in, so tests
//! see exactly what the server framed (chunked or not, terminated or cut).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
    /// False when a chunked body ended without its terminating chunk.
    pub complete: bool,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The `data:` payloads of an SSE body.
    pub(crate) fn events(&self) -> Vec<String> {
        let text = String::from_utf8(self.body.clone()).unwrap();
        text.split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.strip_prefix("data: ")
                    .unwrap_or_else(|| panic!("bad event {e:?}"))
                    .to_owned()
            })
            .collect()
    }

    /// Concatenated content of chat deltas / completion texts, and the content event count.
    pub(crate) fn content(&self) -> (String, usize) {
        let mut text = String::new();
        let mut events = 0;
        for ev in self.events().iter().filter(|e| *e != "[DONE]") {
            let v: Value = serde_json::from_str(ev).unwrap();
            let choice = &v["choices"][0];
            let piece = choice["delta"]["content"]
                .as_str()
                .or(choice["text"].as_str());
            if let Some(piece) = piece.filter(|p| !p.is_empty()) {
                text.push_str(piece);
                events += 1;
            }
        }
        (text, events)
    }

    pub(crate) fn usage(&self) -> Value {
        let last = self
            .events()
            .into_iter()
            .rev()
            .find(|e| e.contains("\"usage\""));
        serde_json::from_str::<Value>(&last.expect("a usage event")).unwrap()["usage"].clone()
    }
}

pub(crate) fn send(addr: SocketAddr, method: &str, path: &str, body: &str) -> (TcpStream, Instant) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let sent = Instant::now();
    stream.write_all(request.as_bytes()).unwrap();
    (stream, sent)
}

pub(crate) fn call(addr: SocketAddr, method: &str, path: &str, body: &str) -> Reply {
    let (mut stream, _) = send(addr, method, path, body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_reply(&raw)
}

pub(crate) fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let status = head[9..12].parse().unwrap();
    let rest = &raw[split + 4..];
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    if !chunked {
        return Reply {
            status,
            head,
            body: rest.to_vec(),
            complete: true,
        };
    }
    let (mut body, mut i) = (Vec::new(), 0);
    loop {
        let Some(eol) = rest[i..].windows(2).position(|w| w == b"\r\n") else {
            return Reply {
                status,
                head,
                body,
                complete: false,
            };
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[i..i + eol]).unwrap(), 16).unwrap();
        i += eol + 2;
        if size == 0 {
            return Reply {
                status,
                head,
                body,
                complete: true,
            };
        }
        if rest.len() < i + size + 2 {
            body.extend_from_slice(&rest[i..]);
            return Reply {
                status,
                head,
                body,
                complete: false,
            };
        }
        body.extend_from_slice(&rest[i..i + size]);
        i += size + 2;
    }
}
