//! A small blocking HTTP/1.1 client: GETs for scrapes, on the scraper's own thread, and the
//! one-off requests of model discovery and the readiness wait, before the clock starts.
//!
//! Scrapes are one short GET every few hundred milliseconds; a blocking socket with a
//! deadline keeps them off the client runtime entirely, so they can never delay a request.
//! Scrapes speak `http://` (metrics endpoints are plain HTTP in practice); discovery and the
//! readiness wait also speak `https://`, over rustls with the run's TLS configuration. The URL is split
//! by config's [`HttpUrl`] and the answer decoded by the engine's HTTP/1.1 codec
//! ([`crate::engine::http1`]); this file only owns the blocking socket and the deadline.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::HttpUrl;
use crate::engine::http1::{parse_head, Framing, Step};

/// Largest body read, so a misbehaving endpoint cannot fill memory.
const MAX_BODY: usize = 64 << 20;

/// A scrape target, split once.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    /// `host:port` to connect to.
    pub authority: String,
    /// Path and query.
    pub path: String,
    /// `https://`: the TLS configuration it is spoken with.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl HttpTarget {
    /// Parses `http://host:port/path[?query]` (scheme optional, any case, port 80 by
    /// default, `/metrics` when no path is given). Credentials are refused: the URL is stored
    /// in the exports as written. An `https://` URL needs [`HttpTarget::parse_with_tls`].
    pub fn parse(url: &str) -> Result<Self, String> {
        Self::parse_with_tls(url, None)
    }

    /// [`HttpTarget::parse`], with the TLS configuration an `https://` URL is spoken with
    /// (the run's: `--ca-cert`, `--insecure`, the system store).
    pub fn parse_with_tls(
        url: &str,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Self, String> {
        let (parsed, path) = HttpUrl::parse_metrics(url)?;
        let tls = match (parsed.tls, tls) {
            (false, _) => None,
            (true, Some(config)) => Some(config.clone()),
            (true, None) => {
                return Err(format!(
                    "'{}': https needs the run's TLS configuration",
                    crate::config::redact_userinfo(url)
                ))
            }
        };
        Ok(Self {
            authority: parsed.authority(),
            path,
            tls,
        })
    }
}

/// GETs the target within `timeout` and returns the body of a 2xx answer.
pub fn get(target: &HttpTarget, timeout: Duration) -> Result<String, String> {
    let headers = [("Accept".to_string(), "text/plain;version=0.0.4".to_string())];
    let request = Request {
        method: "GET",
        authority: &target.authority,
        path: &target.path,
        headers: &headers,
        body: &[],
        tls: target.tls.as_ref(),
    };
    let reply = send(&request, timeout)?;
    if !(200..300).contains(&reply.status) {
        return Err(format!("HTTP {}", reply.status));
    }
    String::from_utf8(reply.body).map_err(|_| "answer is not UTF-8".to_owned())
}

/// One blocking HTTP/1.1 request (the connection is closed after it).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// `host:port` to connect to (also the `Host` header).
    pub authority: &'a str,
    /// Origin-form path and query.
    pub path: &'a str,
    /// More header lines, `(name, value)`; values may be secrets and are never in an error.
    pub headers: &'a [(String, String)],
    /// The body; a non-empty one is sent with its `Content-Length`.
    pub body: &'a [u8],
    /// `https://`: the TLS configuration to speak it with (the server name is the
    /// authority's host); `None` speaks plain HTTP.
    pub tls: Option<&'a Arc<rustls::ClientConfig>>,
}

/// A whole answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The decoded body.
    pub body: Vec<u8>,
}

/// Sends `request` within `timeout` and reads the whole answer (any status).
pub fn send(request: &Request<'_>, timeout: Duration) -> Result<Reply, String> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("timed out after {} ms", timeout.as_millis()))
    };
    let addr = request
        .authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", request.authority))?
        .next()
        .ok_or_else(|| format!("cannot resolve {}", request.authority))?;
    let stream = TcpStream::connect_timeout(&addr, left()?).map_err(|e| io_msg(&e, timeout))?;
    let _ = stream.set_nodelay(true);
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        request.method, request.path, request.authority
    );
    for (name, value) in request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !request.body.is_empty() || request.method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
    }
    head.push_str("\r\n");
    let mut wire = head.into_bytes();
    wire.extend_from_slice(request.body);
    let Some(config) = request.tls else {
        let mut plain = stream.try_clone().map_err(|e| e.to_string())?;
        return exchange(&mut plain, &stream, &wire, &left, timeout);
    };
    let host = request
        .authority
        .rsplit_once(':')
        .map_or(request.authority, |(host, _)| host)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| format!("TLS: '{host}' is not a valid server name: {e}"))?;
    let connection =
        rustls::ClientConnection::new(config.clone(), name).map_err(|e| format!("TLS: {e}"))?;
    let socket = stream.try_clone().map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(connection, socket);
    exchange(&mut tls, &stream, &wire, &left, timeout).map_err(|e| {
        if e.starts_with("timed out") || e.starts_with("TLS") {
            e
        } else {
            format!("TLS: {e}")
        }
    })
}

/// Writes `wire` on `io` (plain or TLS over `socket`) and reads the whole answer, every
/// read under what is left of the deadline.
fn exchange(
    io: &mut (impl Read + Write),
    socket: &TcpStream,
    wire: &[u8],
    left: &dyn Fn() -> Result<Duration, String>,
    timeout: Duration,
) -> Result<Reply, String> {
    socket
        .set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    io.write_all(wire).map_err(|e| io_msg(&e, timeout))?;
    io.flush().map_err(|e| io_msg(&e, timeout))?;
    let mut answer = Answer::default();
    let mut buf = [0u8; 16 << 10];
    loop {
        socket
            .set_read_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
        match io.read(&mut buf) {
            Ok(0) => return answer.closed(),
            Ok(n) => {
                if answer.feed(&buf[..n])? {
                    return Ok(answer.reply());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A TLS server may close without close_notify once the answer is whole.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return answer.closed(),
            Err(e) => return Err(io_msg(&e, timeout)),
        }
    }
}

fn io_msg(e: &std::io::Error, timeout: Duration) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("timed out after {} ms", timeout.as_millis())
        }
        _ => e.to_string(),
    }
}

/// A GET's answer decoded as it arrives, with the engine's HTTP/1.1 codec: the head, then
/// the body by its framing (Content-Length, chunked, or until the server closes), so a server
/// that keeps the connection open anyway does not cost a timeout.
#[derive(Default)]
struct Answer {
    /// Bytes read and not decoded yet.
    unread: Vec<u8>,
    /// The body's framing, once the head has arrived.
    framing: Option<Framing>,
    /// The decoded body so far.
    body: Vec<u8>,
    /// The status of the final (non-1xx) head.
    status: u16,
}

impl Answer {
    /// Takes the next bytes read; `Ok(true)` once the body is complete.
    fn feed(&mut self, bytes: &[u8]) -> Result<bool, String> {
        self.unread.extend_from_slice(bytes);
        if self.unread.len() + self.body.len() > MAX_BODY {
            return Err(format!("answer larger than {} MiB", MAX_BODY >> 20));
        }
        let framing = loop {
            if let Some(framing) = self.framing.as_mut() {
                break framing;
            }
            let Some((head, used)) = parse_head(&self.unread).map_err(|e| e.to_string())? else {
                return Ok(false);
            };
            self.unread.drain(..used);
            // An informational (1xx) head comes before the real one.
            if (100..200).contains(&head.status) {
                continue;
            }
            self.status = head.status;
            self.framing = Some(head.framing);
        };
        loop {
            match framing.step(&self.unread).map_err(|e| e.to_string())? {
                Step::Data(range) => {
                    self.body.extend_from_slice(&self.unread[range.clone()]);
                    self.unread.drain(..range.end);
                }
                Step::More(used) => {
                    self.unread.drain(..used);
                    return Ok(false);
                }
                Step::Done(_) => return Ok(true),
            }
        }
    }

    /// The server closed the connection: the answer if its framing allows that.
    fn closed(self) -> Result<Reply, String> {
        match self.framing {
            None => Err("incomplete HTTP answer".into()),
            Some(Framing::UntilClose) => Ok(self.reply()),
            Some(framing) if framing.is_done() => Ok(self.reply()),
            Some(_) => Err("answer cut short".into()),
        }
    }

    fn reply(self) -> Reply {
        Reply {
            status: self.status,
            body: self.body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{self, closed_port};
    use std::net::TcpListener;

    fn serve_once(answer: &'static [u8]) -> String {
        let (addr, _) = test_support::serve_once(answer);
        format!("http://{addr}/metrics")
    }

    #[test]
    fn parses_urls_with_and_without_scheme_and_path() {
        let t = HttpTarget::parse("localhost:9400").unwrap();
        assert_eq!(
            (t.authority.as_str(), t.path.as_str()),
            ("localhost:9400", "/metrics")
        );
        let t = HttpTarget::parse("http://h/x/metrics").unwrap();
        assert_eq!(
            (t.authority.as_str(), t.path.as_str()),
            ("h:80", "/x/metrics")
        );
        assert!(HttpTarget::parse("https://h/metrics")
            .unwrap_err()
            .contains("https needs the run's TLS configuration"));
    }

    #[test]
    fn reads_content_length_and_chunked_bodies() {
        let url = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nx 1\n");
        let t = HttpTarget::parse(&url).unwrap();
        assert_eq!(get(&t, Duration::from_secs(5)).unwrap(), "x 1\n");
        let url = serve_once(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nx \r\n2\r\n1\n\r\n0\r\n\r\n",
        );
        let t = HttpTarget::parse(&url).unwrap();
        assert_eq!(get(&t, Duration::from_secs(5)).unwrap(), "x 1\n");
    }

    #[test]
    fn answers_decode_the_same_however_they_arrive() {
        let decode = |wire: &[u8], cut: usize| {
            let mut answer = Answer::default();
            let reply = if answer.feed(&wire[..cut])? || answer.feed(&wire[cut..])? {
                answer.reply()
            } else {
                answer.closed()?
            };
            Ok::<_, String>(String::from_utf8(reply.body).unwrap())
        };
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nx \r\n2\r\n1\n\r\n0\r\n\r\n";
        let until_close = b"HTTP/1.0 200 OK\r\n\r\nx 1\n";
        for wire in [&chunked[..], &until_close[..]] {
            for cut in 0..wire.len() {
                assert_eq!(decode(wire, cut).unwrap(), "x 1\n", "cut at {cut}");
            }
        }
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nx 1\n";
        assert_eq!(decode(short, 3).unwrap_err(), "answer cut short");
        assert_eq!(
            decode(b"HTTP/1.1 200", 3).unwrap_err(),
            "incomplete HTTP answer"
        );
    }

    #[test]
    fn errors_name_the_status_and_the_closed_port() {
        let url = serve_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        let t = HttpTarget::parse(&url).unwrap();
        assert_eq!(get(&t, Duration::from_secs(5)).unwrap_err(), "HTTP 404");
        let closed = format!("127.0.0.1:{}", closed_port());
        let t = HttpTarget::parse(&format!("http://{closed}/metrics")).unwrap();
        let err = get(&t, Duration::from_secs(5)).unwrap_err();
        assert!(err.to_lowercase().contains("refused"), "{err}");
    }

    #[test]
    fn send_returns_any_status_with_its_body() {
        let (addr, server) = test_support::serve_once(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 7\r\n\r\nloading",
        );
        let authority = addr.to_string();
        let headers = [("Authorization".to_string(), "Bearer k".to_string())];
        let request = Request {
            method: "POST",
            authority: &authority,
            path: "/v1/chat/completions",
            headers: &headers,
            body: b"{}",
            tls: None,
        };
        let reply = send(&request, Duration::from_secs(5)).unwrap();
        server.join().unwrap();
        assert_eq!(
            reply,
            Reply {
                status: 503,
                body: b"loading".to_vec()
            }
        );
    }

    #[test]
    fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let t = HttpTarget::parse(&format!("http://{addr}/metrics")).unwrap();
        let err = get(&t, Duration::from_millis(50)).unwrap_err();
        assert!(err.contains("timed out"), "{err}");
        drop(listener);
    }
}
