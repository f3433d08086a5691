//! The HTTP/1.1 wire format of a benchmark request: a pre-rendered request head, and response
//! heads and bodies decoded in place from the connection's read buffer.
//!
//! hyper's client puts a connection task, an unbounded channel (two 9 KB blocks per connection)
//! and an 8 KB header write buffer between the worker and its socket, plus a request, a header
//! map clone, a response and a `Bytes` per frame for every request. A benchmark client sends one
//! fixed request shape on connections it owns, so it needs none of that: the worker writes
//! `head + length + body` with one `writev` and decodes the response straight out of one read
//! buffer. Nothing here allocates per request.

use std::ops::Range;

/// Largest response head accepted.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest chunk-size or trailer line accepted.
const MAX_LINE_BYTES: usize = 4 * 1024;
/// Headers parsed per response head.
const MAX_HEADERS: usize = 64;

/// What the response head says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// Whether the body is `text/event-stream`.
    pub is_sse: bool,
    /// Whether the connection may carry another request after this response.
    pub keep_alive: bool,
    /// How the body's end is found.
    pub framing: Framing,
    /// The body's `Content-Encoding`.
    pub coding: ContentCoding,
}

/// A response's `Content-Encoding`. Requests ask for `identity` (see `client::Target`): the
/// engine keeps replies as they arrived, so a compressed one is reported, never measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentCoding {
    /// No header, or `identity`.
    #[default]
    Identity,
    /// `gzip` (or `x-gzip`).
    Gzip,
    /// `deflate`.
    Deflate,
    /// `br`.
    Brotli,
    /// `zstd`.
    Zstd,
    /// Anything else.
    Other,
}

impl ContentCoding {
    fn parse(value: &[u8]) -> Self {
        // With several codings the last one applied is what the body is in first.
        let last = trim(value.rsplit(|&b| b == b',').next().unwrap_or_default());
        let is = |name: &str| last.eq_ignore_ascii_case(name.as_bytes());
        if last.is_empty() || is("identity") {
            ContentCoding::Identity
        } else if is("gzip") || is("x-gzip") {
            ContentCoding::Gzip
        } else if is("deflate") {
            ContentCoding::Deflate
        } else if is("br") {
            ContentCoding::Brotli
        } else if is("zstd") {
            ContentCoding::Zstd
        } else {
            ContentCoding::Other
        }
    }

    /// The coding's name, as in the header.
    pub fn name(self) -> &'static str {
        match self {
            ContentCoding::Identity => "identity",
            ContentCoding::Gzip => "gzip",
            ContentCoding::Deflate => "deflate",
            ContentCoding::Brotli => "br",
            ContentCoding::Zstd => "zstd",
            ContentCoding::Other => "an unknown coding",
        }
    }
}

/// How a response body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length`: this many bytes are left.
    Length(u64),
    /// `Transfer-Encoding: chunked`, at this point of the chunk grammar.
    Chunked(ChunkState),
    /// Neither: the body ends when the server closes the connection.
    UntilClose,
}

/// Where a chunked body's decoder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkState {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data with this many bytes left.
    Data(u64),
    /// Expecting the CRLF that ends a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines up to an empty line.
    Trailer,
}

/// One decoding step over the unread bytes of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Body bytes at this range of the input; everything before its end is consumed.
    Data(Range<usize>),
    /// This many framing bytes were consumed; more input is needed.
    More(usize),
    /// The body is complete after this many bytes.
    Done(usize),
}

/// A response the server framed wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The response head does not parse.
    #[error("malformed response head: {0}")]
    Head(String),
    /// A chunk-size line does not parse.
    #[error("malformed chunk size line {0:?}")]
    ChunkSize(String),
    /// Chunk data is not followed by CRLF.
    #[error("chunk data not followed by CRLF")]
    ChunkEnd,
    /// A framing line grew past its limit.
    #[error("a chunk framing line is longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong,
}

/// Renders the fixed part of every request to one target: the request line and the headers,
/// ending with `Content-Length: ` so that only the length and the body vary per request.
pub fn request_head_prefix<'a>(
    path: &str,
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Vec<u8> {
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(b"POST ");
    head.extend_from_slice(path.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"Content-Length: ");
    head
}

/// Room for the end of a request head: the `Content-Length` digits, a session header of up
/// to [`crate::config::MAX_SESSION_HEADER_LEN`] characters with its id, and the blank line.
pub const HEAD_TAIL_BYTES: usize = 128;

/// Writes `len` followed by the blank line that ends the head into `out`; returns its length.
pub fn content_length_line(len: usize, out: &mut [u8; HEAD_TAIL_BYTES]) -> usize {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(len).as_bytes();
    out[..digits.len()].copy_from_slice(digits);
    out[digits.len()..digits.len() + 4].copy_from_slice(b"\r\n\r\n");
    digits.len() + 4
}

/// Writes `len`, then a header line `name_colon` (`Name: `, at most
/// [`crate::config::MAX_SESSION_HEADER_LEN`] + 2 bytes) with `id` as its value, then the
/// blank line that ends the head; returns its length.
pub fn content_length_and_header(
    len: usize,
    name_colon: &[u8],
    id: u64,
    out: &mut [u8; HEAD_TAIL_BYTES],
) -> usize {
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        out[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(itoa::Buffer::new().format(len).as_bytes());
    put(b"\r\n");
    put(name_colon);
    put(itoa::Buffer::new().format(id).as_bytes());
    put(b"\r\n\r\n");
    at
}

/// Parses a response head from the start of `input`: `Ok(None)` if it is not complete yet,
/// else the head and its length. Informational (1xx) heads are returned too; the caller
/// skips them.
pub fn parse_head(input: &[u8]) -> Result<Option<(ResponseHead, usize)>, WireError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let used = match response.parse(input) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(WireError::Head(e.to_string())),
    };
    let status = response.code.unwrap_or(0);
    let http10 = response.version == Some(0);
    let mut keep_alive = !http10;
    let mut is_sse = false;
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut transfer_encoded = false;
    let mut coding = ContentCoding::Identity;
    for header in response.headers.iter() {
        let name = header.name;
        let value = header.value;
        if name.eq_ignore_ascii_case("content-length") {
            let parsed = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    WireError::Head(format!(
                        "Content-Length {:?} is not a number",
                        String::from_utf8_lossy(value)
                    ))
                })?;
            if length.is_some_and(|l| l != parsed) {
                return Err(WireError::Head(
                    "two different Content-Length headers".into(),
                ));
            }
            length = Some(parsed);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoded = true;
            // Only the last coding decides whether the body is chunked.
            chunked = value
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|last| trim(last).eq_ignore_ascii_case(b"chunked"));
            // A compressing transfer coding under the chunks changes the body like a
            // Content-Encoding does.
            let compressed = value
                .split(|&b| b == b',')
                .map(ContentCoding::parse)
                .find(|c| !matches!(c, ContentCoding::Identity | ContentCoding::Other));
            if let Some(compressed) = compressed {
                coding = compressed;
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(|&b| b == b',').map(trim) {
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("content-encoding") {
            coding = ContentCoding::parse(value);
        } else if name.eq_ignore_ascii_case("content-type") {
            is_sse = value.len() >= 17 && value[..17].eq_ignore_ascii_case(b"text/event-stream");
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked(ChunkState::Size)
    } else if transfer_encoded {
        keep_alive = false;
        Framing::UntilClose
    } else if let Some(length) = length {
        Framing::Length(length)
    } else {
        keep_alive = false;
        Framing::UntilClose
    };
    Ok(Some((
        ResponseHead {
            status,
            is_sse,
            keep_alive,
            framing,
            coding,
        },
        used,
    )))
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &bytes[start..end.max(start)]
}

impl Framing {
    /// Decodes as much of `input` as it can: the next piece of body data, or how many framing
    /// bytes it consumed before it needs more, or where the body ends. `UntilClose` bodies
    /// end at end of stream, which the caller sees, not this function.
    pub fn step(&mut self, input: &[u8]) -> Result<Step, WireError> {
        match self {
            Framing::Length(0) => Ok(Step::Done(0)),
            Framing::Length(left) => {
                if input.is_empty() {
                    return Ok(Step::More(0));
                }
                let n = (*left).min(input.len() as u64);
                *left -= n;
                Ok(Step::Data(0..n as usize))
            }
            Framing::UntilClose => Ok(if input.is_empty() {
                Step::More(0)
            } else {
                Step::Data(0..input.len())
            }),
            Framing::Chunked(state) => step_chunked(state, input),
        }
    }

    /// Whether the body needs no more bytes.
    pub fn is_done(&self) -> bool {
        matches!(self, Framing::Length(0))
    }
}

fn step_chunked(state: &mut ChunkState, input: &[u8]) -> Result<Step, WireError> {
    let mut pos = 0;
    loop {
        match *state {
            ChunkState::Size => {
                let Some(line) = take_line(input, pos)? else {
                    return Ok(Step::More(pos));
                };
                let size = parse_chunk_size(&input[pos..line.start + line.len])?;
                pos = line.next;
                *state = if size == 0 {
                    ChunkState::Trailer
                } else {
                    ChunkState::Data(size)
                };
            }
            ChunkState::Data(left) => {
                if pos == input.len() {
                    return Ok(Step::More(pos));
                }
                let n = left.min((input.len() - pos) as u64);
                *state = if n == left {
                    ChunkState::DataEnd
                } else {
                    ChunkState::Data(left - n)
                };
                return Ok(Step::Data(pos..pos + n as usize));
            }
            ChunkState::DataEnd => match input.get(pos..).unwrap_or_default() {
                [] | [b'\r'] => return Ok(Step::More(pos)),
                [b'\r', b'\n', ..] => {
                    pos += 2;
                    *state = ChunkState::Size;
                }
                [b'\n', ..] => {
                    pos += 1;
                    *state = ChunkState::Size;
                }
                _ => return Err(WireError::ChunkEnd),
            },
            ChunkState::Trailer => {
                let Some(line) = take_line(input, pos)? else {
                    return Ok(Step::More(pos));
                };
                pos = line.next;
                if line.len == 0 {
                    // Park the state so a second call reports the end again.
                    *state = ChunkState::Trailer;
                    return Ok(Step::Done(pos));
                }
            }
        }
    }
}

/// A line found at `start` of the input: its length without CR LF, and where the next begins.
struct Line {
    start: usize,
    len: usize,
    next: usize,
}

fn take_line(input: &[u8], start: usize) -> Result<Option<Line>, WireError> {
    let rest = &input[start..];
    match memchr::memchr(b'\n', rest) {
        Some(nl) => {
            let len = if nl > 0 && rest[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            Ok(Some(Line {
                start,
                len,
                next: start + nl + 1,
            }))
        }
        None if rest.len() > MAX_LINE_BYTES => Err(WireError::LineTooLong),
        None => Ok(None),
    }
}

fn parse_chunk_size(line: &[u8]) -> Result<u64, WireError> {
    // Extensions after ';' are allowed and ignored.
    let digits = trim(line.split(|&b| b == b';').next().unwrap_or_default());
    let bad = || WireError::ChunkSize(String::from_utf8_lossy(line).into_owned());
    if digits.is_empty() || digits.len() > 15 {
        return Err(bad());
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let digit = (b as char).to_digit(16).ok_or_else(bad)?;
        Ok(acc * 16 + u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `wire` fed in pieces cut at `cuts`, the way reads would deliver it, keeping
    /// unconsumed bytes for the next round like the connection's buffer does.
    fn decode_in_pieces(
        mut framing: Framing,
        wire: &[u8],
        cuts: &[usize],
    ) -> Result<(Vec<u8>, usize), WireError> {
        let mut body = Vec::new();
        let mut buffer: Vec<u8> = Vec::new();
        let mut fed = 0;
        let mut bounds: Vec<usize> = cuts.to_vec();
        bounds.push(wire.len());
        let mut bounds = bounds.into_iter();
        loop {
            match framing.step(&buffer)? {
                Step::Data(range) => {
                    body.extend_from_slice(&buffer[range.clone()]);
                    buffer.drain(..range.end);
                }
                Step::Done(used) => {
                    buffer.drain(..used);
                    return Ok((body, buffer.len() + wire.len() - fed));
                }
                Step::More(used) => {
                    buffer.drain(..used);
                    match bounds.next() {
                        Some(end) => {
                            buffer.extend_from_slice(&wire[fed..end]);
                            fed = end;
                        }
                        None => return Ok((body, usize::MAX)),
                    }
                }
            }
        }
    }

    fn chunked(wire: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, usize), WireError> {
        decode_in_pieces(Framing::Chunked(ChunkState::Size), wire, cuts)
    }

    #[test]
    fn chunked_bodies_decode_the_same_at_every_split() {
        let wire = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
        for a in 0..wire.len() {
            for b in a..wire.len() {
                let (body, left) = chunked(wire, &[a, b]).unwrap();
                assert_eq!(body, b"hello, world", "cut at {a},{b}");
                assert_eq!(left, 0, "cut at {a},{b}");
            }
        }
    }

    #[test]
    fn chunked_accepts_bare_lf_and_upper_hex() {
        let wire = b"A\nabcdefghij\n0\n\n";
        let (body, left) = chunked(wire, &[]).unwrap();
        assert_eq!(body, b"abcdefghij");
        assert_eq!(left, 0);
    }

    #[test]
    fn chunked_reports_bytes_after_the_body() {
        let wire = b"1\r\na\r\n0\r\n\r\nHTTP/1.1";
        let (body, left) = chunked(wire, &[]).unwrap();
        assert_eq!(body, b"a");
        assert_eq!(left, 8);
    }

    #[test]
    fn bad_chunk_framing_is_an_error_naming_it() {
        let err = chunked(b"zz\r\n", &[]).unwrap_err();
        assert_eq!(err.to_string(), "malformed chunk size line \"zz\"");
        let err = chunked(b"1\r\nab\r\n", &[]).unwrap_err();
        assert_eq!(err, WireError::ChunkEnd);
        let long = vec![b'1'; MAX_LINE_BYTES + 10];
        let err = chunked(&long, &[]).unwrap_err();
        assert_eq!(err, WireError::LineTooLong);
        let huge = b"fffffffffffffffff\r\n";
        assert!(chunked(huge, &[]).is_err());
    }

    #[test]
    fn truncated_bodies_ask_for_more() {
        let (body, left) = chunked(b"5\r\nhel", &[]).unwrap();
        assert_eq!(body, b"hel");
        assert_eq!(left, usize::MAX, "needs more input");
        let (body, left) = decode_in_pieces(Framing::Length(10), b"12345", &[2]).unwrap();
        assert_eq!(body, b"12345");
        assert_eq!(left, usize::MAX);
    }

    #[test]
    fn length_bodies_stop_at_their_length() {
        let (body, left) = decode_in_pieces(Framing::Length(5), b"12345678", &[3]).unwrap();
        assert_eq!(body, b"12345");
        assert_eq!(left, 3);
    }

    #[test]
    fn heads_name_their_content_coding() {
        let coding = |wire: &[u8]| parse_head(wire).unwrap().unwrap().0.coding;
        assert_eq!(
            coding(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            ContentCoding::Identity
        );
        assert_eq!(
            coding(b"HTTP/1.1 200 OK\r\nContent-Encoding: Identity\r\n\r\n"),
            ContentCoding::Identity
        );
        assert_eq!(
            coding(b"HTTP/1.1 200 OK\r\nContent-Encoding: GZIP\r\n\r\n"),
            ContentCoding::Gzip
        );
        assert_eq!(
            coding(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip, deflate\r\n\r\n"),
            ContentCoding::Deflate
        );
        assert_eq!(
            coding(b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n").name(),
            "br"
        );
        assert_eq!(
            coding(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ContentCoding::Identity
        );
    }

    #[test]
    fn heads_give_status_type_framing_and_reuse() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n\
              Transfer-Encoding: gzip, chunked\r\n\r\nbody";
        let (head, used) = parse_head(wire).unwrap().unwrap();
        assert_eq!(&wire[used..], b"body");
        assert_eq!(
            head,
            ResponseHead {
                status: 200,
                is_sse: true,
                keep_alive: true,
                framing: Framing::Chunked(ChunkState::Size),
                coding: ContentCoding::Gzip,
            }
        );
        let (head, _) = parse_head(
            b"HTTP/1.1 500 Oops\r\nContent-Length: 12\r\nConnection: keep-alive, Close\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.status, 500);
        assert!(!head.is_sse);
        assert!(!head.keep_alive);
        assert_eq!(head.framing, Framing::Length(12));
        let (head, _) = parse_head(b"HTTP/1.0 200 OK\r\n\r\n").unwrap().unwrap();
        assert_eq!(head.framing, Framing::UntilClose);
        assert!(!head.keep_alive);
        let (head, _) = parse_head(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(head.framing.is_done());
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap(), None);
    }

    #[test]
    fn bad_heads_are_errors_that_say_why() {
        let err = parse_head(b"SMTP ready\r\n\r\n").unwrap_err();
        assert!(
            err.to_string().starts_with("malformed response head"),
            "{err}"
        );
        let err = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n").unwrap_err();
        assert!(err.to_string().contains("\"ten\" is not a number"), "{err}");
        let err = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
            .unwrap_err();
        assert!(err.to_string().contains("two different"), "{err}");
    }

    #[test]
    fn request_heads_end_in_the_length() {
        let head = request_head_prefix(
            "/v1/chat/completions",
            [
                ("host", &b"h:1"[..]),
                ("content-type", &b"application/json"[..]),
            ]
            .into_iter(),
        );
        let mut line = [0u8; HEAD_TAIL_BYTES];
        let n = content_length_line(1234, &mut line);
        let mut all = head;
        all.extend_from_slice(&line[..n]);
        assert_eq!(
            all,
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: h:1\r\ncontent-type: application/json\r\n\
              Content-Length: 1234\r\n\r\n"
        );
        assert_eq!(content_length_line(0, &mut line), 5);
        assert_eq!(&line[..5], b"0\r\n\r\n");
        let n = content_length_line(usize::MAX, &mut line);
        assert_eq!(&line[..n - 4], usize::MAX.to_string().as_bytes());
    }

    #[test]
    fn a_session_header_follows_the_length_and_the_longest_fits() {
        let mut line = [0u8; HEAD_TAIL_BYTES];
        let n = content_length_and_header(12, b"X-Session-ID: ", 7, &mut line);
        assert_eq!(&line[..n], b"12\r\nX-Session-ID: 7\r\n\r\n");
        let name = format!("{}: ", "x".repeat(crate::config::MAX_SESSION_HEADER_LEN));
        let n = content_length_and_header(usize::MAX, name.as_bytes(), u64::MAX, &mut line);
        assert!(line[..n].ends_with(format!("{}\r\n\r\n", u64::MAX).as_bytes()));
    }
}
