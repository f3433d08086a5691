//! A small blocking HTTP/1.1 GET for scrapes, on the scraper's own thread.
//!
//! Scrapes are one short GET every few hundred milliseconds; a blocking socket with a
//! deadline keeps them off the client runtime entirely, so they can never delay a request.
//! Only `http://` is spoken (metrics endpoints are plain HTTP in practice).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Largest body read, so a misbehaving endpoint cannot fill memory.
const MAX_BODY: usize = 64 << 20;

/// A scrape target, split once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTarget {
    /// `host:port` to connect to.
    pub authority: String,
    /// Path and query.
    pub path: String,
}

impl HttpTarget {
    /// Parses `http://host:port/path` (scheme optional, port 80 by default).
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = match url.split_once("://") {
            Some(("http", rest)) => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "{url}: only http:// metrics endpoints are supported, not {scheme}://"
                ))
            }
            None => url,
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/metrics"),
        };
        if authority.is_empty() {
            return Err(format!("{url}: no host"));
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.contains(']'))
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Self {
            authority,
            path: path.to_owned(),
        })
    }
}

/// GETs the target within `timeout` and returns the body of a 2xx answer.
pub fn get(target: &HttpTarget, timeout: Duration) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("timed out after {} ms", timeout.as_millis()))
    };
    let addr = target
        .authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", target.authority))?
        .next()
        .ok_or_else(|| format!("cannot resolve {}", target.authority))?;
    let mut stream = TcpStream::connect_timeout(&addr, left()?).map_err(|e| io_msg(&e, timeout))?;
    let _ = stream.set_nodelay(true);
    stream
        .set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/plain;version=0.0.4\r\nConnection: close\r\n\r\n",
        target.path, target.authority
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| io_msg(&e, timeout))?;
    let mut raw = Vec::with_capacity(16 << 10);
    let mut buf = [0u8; 16 << 10];
    loop {
        stream
            .set_read_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_msg(&e, timeout)),
        }
        if raw.len() > MAX_BODY {
            return Err(format!("answer larger than {} MiB", MAX_BODY >> 20));
        }
        if complete(&raw) {
            break;
        }
    }
    parse_response(&raw)
}

fn io_msg(e: &std::io::Error, timeout: Duration) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("timed out after {} ms", timeout.as_millis())
        }
        _ => e.to_string(),
    }
}

/// Whether a Content-Length answer has fully arrived (so a server that keeps the connection
/// open anyway does not cost a timeout).
fn complete(raw: &[u8]) -> bool {
    let Some(head_end) = find(raw, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|len| raw.len() >= head_end + 4 + len)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits status, headers and body; decodes chunked bodies.
fn parse_response(raw: &[u8]) -> Result<String, String> {
    let head_end = find(raw, b"\r\n\r\n").ok_or("incomplete HTTP answer")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line `{status_line}`"))?;
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("transfer-encoding:") {
            chunked = v.contains("chunked");
        } else if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let body = &raw[head_end + 4..];
    let body = if chunked {
        dechunk(body)?
    } else {
        match length {
            Some(n) if body.len() < n => return Err("answer cut short".into()),
            Some(n) => body[..n].to_vec(),
            None => body.to_vec(),
        }
    };
    String::from_utf8(body).map_err(|_| "answer is not UTF-8".to_owned())
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(body.len());
    loop {
        let line_end = find(body, b"\r\n").ok_or("bad chunked encoding")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size `{size_text}`"))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 {
            return Err("answer cut short".into());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(answer: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(answer);
            }
        });
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
            .contains("https"));
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
    fn errors_name_the_status_and_the_closed_port() {
        let url = serve_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        let t = HttpTarget::parse(&url).unwrap();
        assert_eq!(get(&t, Duration::from_secs(5)).unwrap_err(), "HTTP 404");
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let t = HttpTarget::parse(&format!("http://{closed}/metrics")).unwrap();
        let err = get(&t, Duration::from_secs(5)).unwrap_err();
        assert!(err.to_lowercase().contains("refused"), "{err}");
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
