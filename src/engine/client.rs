//! One HTTP/1.1 keep-alive connection per worker and target, owned by the worker, with
//! TCP_NODELAY on, over TCP or TLS (`tls::Stream`).
//!
//! The worker writes each request and reads its response on its own task: no connection task,
//! no channel, no per-request allocation (see `http1` for why not hyper's client). Owning the
//! connections also means a request never waits on a shared pool.

use std::io::IoSlice;
use std::ops::Range;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use http::HeaderMap;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::http1::{self, Framing, ResponseHead, Step, WireError, MAX_HEAD_BYTES};
use super::tls::{looks_like_tls, Stream, TlsClient};
use crate::clock::now_ns;
use crate::config::{ConnectionPlan, ConnectionReuse, EndpointType, ServerUrl};

/// Where a request goes and the headers it carries, built once per run.
#[derive(Clone)]
pub struct Target {
    /// Host to connect to.
    pub host: String,
    /// Port to connect to.
    pub port: u16,
    /// Origin-form request target (base path + endpoint path).
    pub path: String,
    /// Headers shared by every request to this target (Host, Content-Type, auth, user headers).
    pub headers: HeaderMap,
    /// The request line and `headers` rendered once, up to `Content-Length: `. It holds the
    /// API key, so `Debug` leaves it out.
    head_prefix: Box<[u8]>,
    /// `https://`: connections speak TLS, with `tls`.
    pub https: bool,
    /// The run's TLS configuration, set by [`Target::use_tls`] for an `https://` target.
    tls: Option<TlsClient>,
    /// When connections to this target are closed (`--connection-reuse-strategy`).
    pub reuse: ConnectionReuse,
    /// `Name: ` of `--session-header`, rendered once; the id follows per request.
    session_header: Option<Box<[u8]>>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // HeaderMap's Debug prints sensitive values as `Sensitive`.
        f.debug_struct("Target")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("https", &self.https)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// A header the user gave that HTTP cannot carry.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Bad header name or value.
    #[error("--header '{name}': {reason}")]
    BadHeader {
        /// The header name as given.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The URL path does not form a valid request target.
    #[error("--url '{url}': invalid path: {reason}")]
    BadPath {
        /// The URL as given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl Target {
    /// Builds the target for one server URL; requests go to `endpoint_path` under its base
    /// path (the endpoint type's own path, or `--custom-endpoint`).
    pub fn new(
        url: &ServerUrl,
        endpoint: EndpointType,
        endpoint_path: &str,
        streaming: bool,
        api_key: Option<&str>,
        extra_headers: &[(String, String)],
    ) -> Result<Self, TargetError> {
        let path = format!("{}{}{}", url.base_path, endpoint_path, url.query);
        // The request line carries the path as is: it must be a valid origin-form target.
        path.parse::<http::uri::PathAndQuery>()
            .map_err(|e| TargetError::BadPath {
                url: url.original.clone(),
                reason: e.to_string(),
            })?;
        let mut headers = HeaderMap::new();
        let default_port = if url.tls { 443 } else { 80 };
        let host = if url.port == default_port {
            url.host.clone()
        } else {
            format!("{}:{}", url.host, url.port)
        };
        headers.insert(HOST, header_value("Host", &host)?);
        let content_type = match endpoint {
            EndpointType::ImageEdit => crate::payload::multipart::CONTENT_TYPE,
            _ => "application/json",
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        // Replies are kept and timed as they arrive: ask for them uncompressed (a reply that
        // comes compressed anyway fails as EncodedResponse). A user `--header` may override.
        headers.insert(
            http::header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        if streaming && endpoint.produces_tokens() {
            headers.insert(
                http::header::ACCEPT,
                HeaderValue::from_static("text/event-stream"),
            );
        }
        if let Some(basic) = &url.basic_auth {
            let mut value = header_value("Authorization", &basic.0)?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        if let Some(key) = api_key {
            if endpoint == EndpointType::Messages {
                // Anthropic's Messages API: the key in x-api-key, and the API version it needs.
                let mut value = header_value("x-api-key", key)?;
                value.set_sensitive(true);
                headers.insert(HeaderName::from_static("x-api-key"), value);
                headers.insert(
                    HeaderName::from_static("anthropic-version"),
                    HeaderValue::from_static("2023-06-01"),
                );
            } else {
                let mut value = header_value("Authorization", &format!("Bearer {key}"))?;
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
            }
        }
        for (name, value) in extra_headers {
            let header_name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|e| TargetError::BadHeader {
                    name: name.clone(),
                    reason: e.to_string(),
                })?;
            let mut header_value = header_value(name, value)?;
            header_value.set_sensitive(true);
            headers.insert(header_name, header_value);
        }
        let head_prefix = http1::request_head_prefix(
            &path,
            headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
        )
        .into_boxed_slice();
        Ok(Self {
            host: url.host.clone(),
            port: url.port,
            path,
            headers,
            head_prefix,
            https: url.tls,
            tls: None,
            reuse: ConnectionReuse::Pooled,
            session_header: None,
        })
    }

    /// Applies the run's connection plan: `never` asks the server to close each connection
    /// after its response (`Connection: close`, in the head rendered once), and a session
    /// header's name is rendered once so each request only adds its id.
    pub fn with_connection(mut self, plan: &ConnectionPlan) -> Self {
        self.reuse = plan.reuse;
        if plan.reuse == ConnectionReuse::Never {
            self.headers
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
            self.head_prefix = http1::request_head_prefix(
                &self.path,
                self.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())),
            )
            .into_boxed_slice();
        }
        self.session_header = plan
            .session_header
            .as_ref()
            .map(|name| format!("{name}: ").into_bytes().into_boxed_slice());
        self
    }

    /// A whole `GET path` request with this target's headers but no body (a video job's
    /// status poll or download). Rendered per call: polls come seconds apart.
    pub fn get_request(&self, path: &str) -> Vec<u8> {
        let mut head = Vec::with_capacity(256);
        head.extend_from_slice(b"GET ");
        head.extend_from_slice(path.as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in &self.headers {
            if name != CONTENT_TYPE {
                head.extend_from_slice(name.as_str().as_bytes());
                head.extend_from_slice(b": ");
                head.extend_from_slice(value.as_bytes());
                head.extend_from_slice(b"\r\n");
            }
        }
        head.extend_from_slice(b"\r\n");
        head
    }

    /// Gives an `https://` target the run's TLS configuration (built once per run).
    pub fn use_tls(&mut self, client: &TlsClient) {
        if self.https {
            self.tls = Some(client.clone());
        }
    }
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, TargetError> {
    HeaderValue::from_str(value).map_err(|_| TargetError::BadHeader {
        name: name.to_string(),
        reason: "the value has characters HTTP headers cannot carry".into(),
    })
}

/// Read buffer of a new connection; it doubles (up to [`READ_BUFFER_MAX`]) when one read fills
/// it, so only connections that get large responses hold large buffers.
const READ_BUFFER_START: usize = 4 * 1024;
const READ_BUFFER_MAX: usize = 64 * 1024;

/// A live connection, its read buffer and how long it took to open.
pub struct Connection {
    stream: Stream,
    /// Bytes read; `start..end` are not consumed yet.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// When the last read returned.
    read_ns: u64,
    /// Nanoseconds spent in TCP connect and, over TLS, the handshake (AIPerf's
    /// `http_req_connecting` covers both).
    pub connect_ns: u64,
    /// Requests sent on this connection so far.
    pub uses: u64,
}

/// Why a response could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The connection ended (closed, reset, or the write failed) before any byte of a response
    /// arrived: the server never answered, so the request may be sent again.
    NothingReceived(String),
    /// Anything else.
    Failed(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NothingReceived(m) | ReadError::Failed(m) => f.write_str(m),
        }
    }
}

impl From<WireError> for ReadError {
    fn from(e: WireError) -> Self {
        ReadError::Failed(e.to_string())
    }
}

impl Connection {
    /// Whether the server has closed (or written unasked to) this idle connection. Costs at
    /// most one non-blocking read, none when tokio already knows the socket has nothing.
    pub fn peer_closed(&mut self) -> bool {
        self.stream.peer_closed()
    }

    /// Sends one request: the target's head, the body's length, the body, in one `writev`
    /// when the socket takes it all.
    pub async fn send(&mut self, target: &Target, body: &[u8]) -> Result<(), ReadError> {
        self.send_in(target, body, 0).await
    }

    /// [`Connection::send`] for a request of session `session`: with `--session-header`,
    /// the header carries its id, written after `Content-Length` from a stack buffer.
    pub async fn send_in(
        &mut self,
        target: &Target,
        body: &[u8],
        session: u64,
    ) -> Result<(), ReadError> {
        let mut tail = [0u8; http1::HEAD_TAIL_BYTES];
        let tail_len = match &target.session_header {
            None => http1::content_length_line(body.len(), &mut tail),
            Some(name) => http1::content_length_and_header(body.len(), name, session, &mut tail),
        };
        self.write_parts(&[&target.head_prefix, &tail[..tail_len], body])
            .await
    }

    /// Sends a request rendered whole (a `GET` from [`Target::get_request`]).
    pub async fn send_rendered(&mut self, request: &[u8]) -> Result<(), ReadError> {
        self.write_parts(&[request]).await
    }

    /// Writes up to three parts of one request, in one `writev` when the socket takes them.
    async fn write_parts(&mut self, parts: &[&[u8]]) -> Result<(), ReadError> {
        self.start = 0;
        self.end = 0;
        let tcp = match &mut self.stream {
            Stream::Tcp(tcp) => tcp,
            Stream::Tls(tls) => {
                return tls
                    .write_parts(parts)
                    .await
                    .map_err(|e| ReadError::NothingReceived(format!("sending the request: {e}")))
            }
        };
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let mut written = 0;
        while written < total {
            // After a short write, send what is left of the three parts.
            let mut slices = [IoSlice::new(&[]); 3];
            let mut count = 0;
            let mut skip = written;
            for part in parts.iter().take(3) {
                if skip >= part.len() {
                    skip -= part.len();
                    continue;
                }
                slices[count] = IoSlice::new(&part[skip..]);
                skip = 0;
                count += 1;
            }
            match tcp.write_vectored(&slices[..count]).await {
                Ok(0) => {
                    return Err(ReadError::NothingReceived(
                        "the connection closed while the request was being sent".into(),
                    ))
                }
                Ok(n) => written += n,
                Err(e) => {
                    return Err(ReadError::NothingReceived(format!(
                        "sending the request: {e}"
                    )))
                }
            }
        }
        Ok(())
    }

    /// Sends one request and reads its response head. A server that rejects a request early
    /// (413, 431, 401) may answer and close before reading the whole body; the rest of our
    /// write then fails with a broken pipe or a reset while its answer is already waiting in
    /// the socket, so a failed send still looks for a response before it reports the failure.
    pub async fn exchange(
        &mut self,
        target: &Target,
        body: &[u8],
    ) -> Result<(ResponseHead, u64), ReadError> {
        self.exchange_in(target, body, 0).await
    }

    /// [`Connection::exchange`] for a request of session `session` (see
    /// [`Connection::send_in`]).
    pub async fn exchange_in(
        &mut self,
        target: &Target,
        body: &[u8],
        session: u64,
    ) -> Result<(ResponseHead, u64), ReadError> {
        if let Err(failed) = self.send_in(target, body, session).await {
            return self.read_head().await.map_err(|_| failed);
        }
        self.read_head().await
    }

    /// Reads the response head (skipping 1xx heads). Returns it with the time its last byte
    /// arrived.
    pub async fn read_head(&mut self) -> Result<(ResponseHead, u64), ReadError> {
        let mut received_any = false;
        loop {
            let parsed = http1::parse_head(&self.buf[self.start..self.end]);
            if parsed.is_err()
                && !self.stream.is_tls()
                && looks_like_tls(&self.buf[self.start..self.end])
            {
                return Err(ReadError::Failed(
                    "the server speaks TLS: use https:// in --url".into(),
                ));
            }
            if let Some((head, used)) = parsed? {
                self.start += used;
                if (100..200).contains(&head.status) && head.status != 101 {
                    continue;
                }
                return Ok((head, self.read_ns));
            }
            if self.end - self.start > MAX_HEAD_BYTES {
                return Err(ReadError::Failed(format!(
                    "the response head is longer than {} KiB",
                    MAX_HEAD_BYTES / 1024
                )));
            }
            let read = self.fill().await;
            match read {
                Ok(0) | Err(_) if !received_any => {
                    return Err(ReadError::NothingReceived(match read {
                        Err(e) => format!("the connection failed before a response: {e}"),
                        Ok(_) => "the server closed the connection without a response".into(),
                    }))
                }
                Ok(0) => {
                    return Err(ReadError::Failed(
                        "the server closed the connection in the middle of a response head".into(),
                    ))
                }
                Ok(_) => received_any = true,
                Err(e) => return Err(ReadError::Failed(format!("reading the response: {e}"))),
            }
        }
    }

    /// The next piece of the body, as a range of [`Connection::bytes`], with the time its
    /// read returned; `None` when the body is complete.
    pub async fn next_body(
        &mut self,
        framing: &mut Framing,
    ) -> Result<Option<(Range<usize>, u64)>, ReadError> {
        loop {
            match framing.step(&self.buf[self.start..self.end])? {
                Step::Data(range) => {
                    let piece = self.start + range.start..self.start + range.end;
                    self.start = piece.end;
                    return Ok(Some((piece, self.read_ns)));
                }
                Step::Done(used) => {
                    self.start += used;
                    return Ok(None);
                }
                Step::More(used) => {
                    self.start += used;
                    match self.fill().await {
                        Ok(0) if *framing == Framing::UntilClose => return Ok(None),
                        Ok(0) => {
                            return Err(ReadError::Failed(
                                "the server closed the response early: the connection closed \
                                 before the body was complete"
                                    .into(),
                            ))
                        }
                        Ok(_) => {}
                        Err(e) => {
                            return Err(ReadError::Failed(format!(
                                "the server closed the response early: {e}"
                            )))
                        }
                    }
                }
            }
        }
    }

    /// Bytes of the read buffer, for a range [`Connection::next_body`] returned.
    #[inline]
    pub fn bytes(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// The stream, for tests that reach into the TLS session.
    #[cfg(test)]
    pub(crate) fn stream_mut(&mut self) -> &mut Stream {
        &mut self.stream
    }

    /// Whether another request may follow the response just read with `head`.
    pub fn reusable_after(&self, head: &ResponseHead) -> bool {
        head.keep_alive && head.framing != Framing::UntilClose && self.start == self.end
    }

    /// One read into the free end of the buffer, compacting or growing it first when full.
    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        self.read_ns = now_ns();
        self.end += n;
        if self.end == self.buf.len() && self.buf.len() < READ_BUFFER_MAX {
            // A read that filled the buffer: the responses here are larger than it.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        Ok(n)
    }
}

/// Why a connection could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// TCP: refused, unreachable, timed out.
    Tcp(String),
    /// The TLS handshake failed: every connection to this target would fail the same way.
    Tls(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Tcp(m) | ConnectError::Tls(m) => f.write_str(m),
        }
    }
}

/// Opens a connection to `target`, giving up after `timeout`.
pub async fn connect(target: &Target, timeout: Duration) -> Result<Connection, String> {
    connect_checked(target, timeout)
        .await
        .map_err(|e| e.to_string())
}

/// [`connect`], telling a TLS failure from a TCP one.
pub async fn connect_checked(
    target: &Target,
    timeout: Duration,
) -> Result<Connection, ConnectError> {
    let start = now_ns();
    let (host, port) = (target.host.as_str(), target.port);
    let open = async {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| ConnectError::Tcp(format!("connect to {host}:{port}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| ConnectError::Tcp(format!("set TCP_NODELAY: {e}")))?;
        match (&target.tls, target.https) {
            (_, false) => Ok(Stream::Tcp(tcp)),
            (Some(tls), true) => tls
                .handshake(tcp, host, port)
                .await
                .map_err(ConnectError::Tls),
            (None, true) => Err(ConnectError::Tls(
                "an https:// target without a TLS configuration".into(),
            )),
        }
    };
    let stream = tokio::time::timeout(timeout, open)
        .await
        .map_err(|_| ConnectError::Tcp(format!("connect to {host}:{port} timed out")))??;
    Ok(Connection {
        stream,
        buf: vec![0; READ_BUFFER_START],
        start: 0,
        end: 0,
        read_ns: 0,
        connect_ns: now_ns() - start,
        uses: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> ServerUrl {
        ServerUrl {
            tls: false,
            original: "http://h:8000/base".into(),
            host: "h".into(),
            port: 8000,
            base_path: "/base".into(),
            query: String::new(),
            basic_auth: None,
        }
    }

    #[test]
    fn target_carries_path_host_and_secret_headers() {
        let t = Target::new(
            &url(),
            EndpointType::Chat,
            EndpointType::Chat.path(),
            true,
            Some("sk-secret"),
            &[("X-Team".into(), "a".into())],
        )
        .unwrap();
        assert_eq!(t.path, "/base/v1/chat/completions");
        assert_eq!(t.headers[HOST], "h:8000");
        assert!(t.headers[AUTHORIZATION].is_sensitive());
        assert!(!format!("{:?}", t.headers).contains("sk-secret"));
        assert!(!format!("{t:?}").contains("sk-secret"));
        let head = String::from_utf8(t.head_prefix.to_vec()).unwrap();
        assert!(
            head.starts_with("POST /base/v1/chat/completions HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nx-team: a\r\n"), "{head}");
        assert!(head.contains("\r\naccept-encoding: identity\r\n"), "{head}");
        assert!(
            head.contains("\r\nauthorization: Bearer sk-secret\r\n"),
            "{head}"
        );
        assert!(head.ends_with("\r\nContent-Length: "), "{head}");
    }

    #[test]
    fn messages_send_the_key_as_x_api_key_and_tgi_streams_from_its_own_route() {
        let t = Target::new(
            &url(),
            EndpointType::Messages,
            EndpointType::Messages.path(),
            true,
            Some("sk-ant"),
            &[],
        )
        .unwrap();
        assert_eq!(t.path, "/base/v1/messages");
        assert!(t.headers.get(AUTHORIZATION).is_none());
        assert!(t.headers["x-api-key"].is_sensitive());
        assert!(!format!("{t:?}").contains("sk-ant"));
        let head = String::from_utf8(t.head_prefix.to_vec()).unwrap();
        assert!(head.contains("\r\nx-api-key: sk-ant\r\n"), "{head}");
        assert!(
            head.contains("\r\nanthropic-version: 2023-06-01\r\n"),
            "{head}"
        );
        let tgi = EndpointType::HuggingfaceGenerate;
        assert_eq!(
            Target::new(&url(), tgi, tgi.path_for(true), true, None, &[])
                .unwrap()
                .path,
            "/base/generate_stream"
        );
        assert_eq!(
            Target::new(&url(), tgi, tgi.path_for(false), false, None, &[])
                .unwrap()
                .path,
            "/base/generate"
        );
        let responses = Target::new(
            &url(),
            EndpointType::Responses,
            EndpointType::Responses.path(),
            false,
            Some("k"),
            &[],
        );
        assert_eq!(responses.unwrap().path, "/base/v1/responses");
    }

    #[test]
    fn url_userinfo_is_sent_as_basic_auth_and_the_query_after_the_endpoint() {
        let url = ServerUrl::parse("http://user:PASSWORD@h:8000/base?api-version=2").unwrap();
        let t = Target::new(
            &url,
            EndpointType::Chat,
            EndpointType::Chat.path(),
            false,
            None,
            &[],
        )
        .unwrap();
        assert_eq!(t.path, "/base/v1/chat/completions?api-version=2");
        assert_eq!(t.headers[HOST], "h:8000");
        assert!(t.headers[AUTHORIZATION].is_sensitive());
        let head = String::from_utf8(t.head_prefix.to_vec()).unwrap();
        assert!(
            head.starts_with("POST /base/v1/chat/completions?api-version=2 HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(
            head.contains("\r\nauthorization: Basic dXNlcjpQQVNTV09SRA==\r\n"),
            "{head}"
        );
        assert!(!format!("{t:?}").contains("dXNlcjpQQVNTV09SRA"));
    }

    #[test]
    fn bad_header_names_the_header() {
        let err = Target::new(
            &url(),
            EndpointType::Chat,
            EndpointType::Chat.path(),
            false,
            None,
            &[("Bad Name".into(), "v".into())],
        )
        .unwrap_err();
        assert!(err.to_string().contains("--header 'Bad Name'"), "{err}");
    }

    /// A one-connection server on a thread: reads each request whole (head + Content-Length
    /// body) and answers with the next canned response, written in `piece`-byte writes.
    fn canned_server(
        responses: Vec<&'static [u8]>,
        piece: usize,
    ) -> (u16, std::thread::JoinHandle<Vec<usize>>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let thread = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.set_nodelay(true).unwrap();
            let mut bodies = Vec::new();
            for response in responses {
                let mut got = Vec::new();
                let mut byte = [0u8; 1];
                while !got.ends_with(b"\r\n\r\n") {
                    conn.read_exact(&mut byte).unwrap();
                    got.push(byte[0]);
                }
                let head = String::from_utf8(got).unwrap();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                let mut body = vec![0u8; length];
                conn.read_exact(&mut body).unwrap();
                assert!(body.iter().all(|&b| b == b'x'));
                bodies.push(length);
                for part in response.chunks(piece) {
                    conn.write_all(part).unwrap();
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
            bodies
        });
        (port, thread)
    }

    fn local_target(port: u16, streaming: bool) -> Target {
        let url = ServerUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        Target::new(
            &url,
            EndpointType::Chat,
            EndpointType::Chat.path(),
            streaming,
            None,
            &[],
        )
        .unwrap()
    }

    async fn body_of(conn: &mut Connection, framing: &mut Framing) -> (Vec<u8>, usize) {
        let mut body = Vec::new();
        let mut pieces = 0;
        while let Some((range, _)) = conn.next_body(framing).await.unwrap() {
            body.extend_from_slice(conn.bytes(range));
            pieces += 1;
        }
        (body, pieces)
    }

    #[tokio::test]
    async fn a_connection_sends_large_bodies_and_decodes_split_responses() {
        let (port, server) = canned_server(
            vec![
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                  Transfer-Encoding: chunked\r\n\r\n6\r\ndata: \r\n3\r\nhi\n\r\n0\r\n\r\n",
                b"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
            ],
            3,
        );
        let target = local_target(port, true);
        let mut conn = connect(&target, Duration::from_secs(5)).await.unwrap();
        // Far more than a socket buffer takes at once, so the write is short at least once.
        let big = vec![b'x'; 8 << 20];
        conn.send(&target, &big).await.unwrap();
        let (head, _) = conn.read_head().await.unwrap();
        assert_eq!(head.status, 200, "the 100 Continue head is skipped");
        assert!(head.is_sse);
        let mut framing = head.framing;
        let (body, pieces) = body_of(&mut conn, &mut framing).await;
        assert_eq!(body, b"data: hi\n");
        assert!(pieces >= 2, "{pieces}");
        assert!(conn.reusable_after(&head));
        conn.send(&target, b"xx").await.unwrap();
        let (head, _) = conn.read_head().await.unwrap();
        assert_eq!(head.status, 503);
        let mut framing = head.framing;
        assert_eq!(body_of(&mut conn, &mut framing).await.0, b"busy");
        assert!(!conn.reusable_after(&head), "Connection: close");
        assert_eq!(server.join().unwrap(), vec![8 << 20, 2]);
        // The server is gone: the next exchange fails before any response byte.
        match conn.send(&target, b"xx").await {
            Err(ReadError::NothingReceived(_)) => {}
            Ok(()) => match conn.read_head().await {
                Err(ReadError::NothingReceived(_)) => {}
                other => panic!("{other:?}"),
            },
            Err(other) => panic!("{other}"),
        }
    }

    #[tokio::test]
    async fn an_early_rejection_is_read_even_though_the_rest_of_the_body_cannot_be_sent() {
        // Read the head only, answer, and close with the body unread (a reset follows).
        let (addr, server) = crate::test_support::serve_once(
            b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large",
        );
        let target = local_target(addr.port(), false);
        let mut conn = connect(&target, Duration::from_secs(5)).await.unwrap();
        // Far more than the socket buffers hold, so the write is still going when the server
        // closes.
        let big = vec![b'x'; 64 << 20];
        let (head, _) = conn.exchange(&target, &big).await.unwrap();
        server.join().unwrap();
        assert_eq!(head.status, 413);
        let mut framing = head.framing;
        assert_eq!(body_of(&mut conn, &mut framing).await.0, b"too large");
        // A server that is simply gone is still reported as a failure to send.
        let err = conn.exchange(&target, &big).await.unwrap_err();
        assert!(matches!(err, ReadError::NothingReceived(_)), "{err}");
    }

    #[tokio::test]
    async fn a_body_cut_short_is_an_error_that_says_so() {
        let (port, server) = canned_server(
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"],
            64,
        );
        let target = local_target(port, false);
        let mut conn = connect(&target, Duration::from_secs(5)).await.unwrap();
        conn.send(&target, b"x").await.unwrap();
        let (head, _) = conn.read_head().await.unwrap();
        server.join().unwrap();
        let mut framing = head.framing;
        let mut result = Ok(None);
        for _ in 0..3 {
            result = conn.next_body(&mut framing).await;
            if !matches!(result, Ok(Some(_))) {
                break;
            }
        }
        let err = result.unwrap_err().to_string();
        assert!(
            err.starts_with("the server closed the response early"),
            "{err}"
        );
    }
}
