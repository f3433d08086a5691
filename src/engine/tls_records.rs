//! The TLS record layer after the handshake, on buffers the connection owns.
//!
//! rustls does the handshake (and keeps the session state: tickets, key updates) and then hands
//! over the traffic keys (`dangerous_into_kernel_connection`, the kTLS interface). Its own
//! buffered I/O allocates a vector per record in each direction (rustls 0.23: received
//! plaintext is queued as owned chunks, every encrypted record is a new vector), which over a
//! stream of one SSE event per record is an allocation per token. Here records are decrypted in
//! place in one read buffer and encrypted into one write buffer, both kept for the
//! connection's life, with ring's AEADs (the same code rustls's ring provider runs): nothing is
//! allocated per request.

use std::io;
use std::ops::Range;

use std::sync::Arc;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};
use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::kernel::KernelConnection;
use rustls::pki_types::ServerName;
use rustls::unbuffered::{ConnectionState, EncodeError, UnbufferedStatus};
use rustls::{ClientConfig, ConnectionTrafficSecrets, ProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Plaintext bytes one record carries at most (RFC 8446 §5.1).
const MAX_PLAINTEXT: usize = 16 * 1024;
/// Header, then at most 2^14 + 256 bytes of protected payload in TLS 1.3 (RFC 8446 §5.2),
/// 2^14 + 2048 in TLS 1.2 (RFC 5246 §6.2.3).
const HEADER: usize = 5;
const MAX_RECORD: usize = HEADER + MAX_PLAINTEXT + 2048;
/// AEAD tag length (AES-GCM and ChaCha20-Poly1305 alike).
const TAG: usize = 16;
/// TLS 1.2 AES-GCM's per-record explicit nonce.
const EXPLICIT_NONCE: usize = 8;
/// Records encrypted before one socket write.
const RECORDS_PER_WRITE: usize = 4;
/// Records one key protects before the connection is retired (AES-GCM's confidentiality
/// limit is 2^24.5 records; a fresh connection gets fresh keys).
const RECORD_LIMIT: u64 = 1 << 24;

const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;
const NEW_SESSION_TICKET: u8 = 4;
const KEY_UPDATE: u8 = 24;

/// One direction's key, IV and record sequence number.
struct Direction {
    key: LessSafeKey,
    iv: [u8; NONCE_LEN],
    seq: u64,
}

impl Direction {
    fn new(seq: u64, secrets: ConnectionTrafficSecrets) -> io::Result<Self> {
        let (algorithm, key, iv) = match &secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (&ring::aead::AES_128_GCM, key, iv),
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (&ring::aead::AES_256_GCM, key, iv),
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
                (&ring::aead::CHACHA20_POLY1305, key, iv)
            }
            _ => return Err(io::Error::other("TLS: an unsupported cipher suite")),
        };
        let key = UnboundKey::new(algorithm, key.as_ref())
            .map_err(|_| io::Error::other("TLS: a traffic key of the wrong length"))?;
        let iv: [u8; NONCE_LEN] = iv
            .as_ref()
            .try_into()
            .map_err(|_| io::Error::other("TLS: an IV of the wrong length"))?;
        Ok(Self {
            key: LessSafeKey::new(key),
            iv,
            seq,
        })
    }

    /// The IV with the sequence number XORed into its last 8 bytes.
    fn nonce(&self) -> [u8; NONCE_LEN] {
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    /// TLS 1.2's additional data: sequence number, type, version, plaintext length.
    fn aad12(&self, typ: u8, len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&self.seq.to_be_bytes());
        aad[8] = typ;
        aad[9..11].copy_from_slice(&[3, 3]);
        aad[11..].copy_from_slice(&(len as u16).to_be_bytes());
        aad
    }
}

/// A TLS connection after its handshake.
pub struct TlsSession {
    tcp: TcpStream,
    kernel: KernelConnection<ClientConnectionData>,
    tls13: bool,
    /// TLS 1.2 AES-GCM: records carry an explicit nonce.
    explicit_nonce: bool,
    rx: Direction,
    tx: Direction,
    /// Received bytes; `start..end` are not processed yet.
    inbound: Box<[u8]>,
    start: usize,
    end: usize,
    /// Decrypted application data in `inbound` not handed out yet.
    plain: Range<usize>,
    /// The server sent close_notify.
    closed: bool,
    /// The server asked for a key update: ours goes out before the next request.
    key_update_owed: bool,
    outbound: Vec<u8>,
}

/// Why a handshake failed.
#[derive(Debug)]
pub enum HandshakeError {
    /// rustls refused: a certificate, an alert, a protocol error.
    Tls(rustls::Error),
    /// The socket failed or the server closed it.
    Io(io::Error),
}

impl From<io::Error> for HandshakeError {
    fn from(e: io::Error) -> Self {
        HandshakeError::Io(e)
    }
}

impl From<rustls::Error> for HandshakeError {
    fn from(e: rustls::Error) -> Self {
        HandshakeError::Tls(e)
    }
}

/// Runs rustls's handshake over `tcp` (its unbuffered interface, on our buffers), then takes
/// the record layer over. `config` must allow secret extraction.
pub async fn handshake(
    mut tcp: TcpStream,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
) -> Result<TlsSession, HandshakeError> {
    let mut conn = UnbufferedClientConnection::new(config, name)?;
    // A server's first flight (certificate chain included) can pass one record's size.
    let mut incoming = vec![0u8; MAX_RECORD];
    let mut used = 0;
    let mut outgoing = vec![0u8; 4096];
    let mut pending = 0;
    loop {
        let UnbufferedStatus { discard, state } = conn.process_tls_records(&mut incoming[..used]);
        let mut need_bytes = false;
        let mut done = false;
        match state? {
            ConnectionState::EncodeTlsData(mut encode) => loop {
                match encode.encode(&mut outgoing[pending..]) {
                    Ok(n) => {
                        pending += n;
                        break;
                    }
                    Err(EncodeError::InsufficientSize(e)) => {
                        outgoing.resize(pending + e.required_size, 0);
                    }
                    Err(e) => return Err(io::Error::other(format!("TLS: {e}")).into()),
                }
            },
            ConnectionState::TransmitTlsData(transmit) => {
                tcp.write_all(&outgoing[..pending]).await?;
                pending = 0;
                transmit.done();
            }
            ConnectionState::BlockedHandshake => need_bytes = true,
            ConnectionState::WriteTraffic(_) => done = true,
            ConnectionState::PeerClosed | ConnectionState::Closed => {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed").into())
            }
            _ => {
                return Err(io::Error::other(
                    "TLS: the server sent data before the handshake ended",
                )
                .into())
            }
        }
        if discard > 0 {
            incoming.copy_within(discard..used, 0);
            used -= discard;
        }
        if done {
            break;
        }
        if need_bytes {
            if used == incoming.len() {
                incoming.resize(incoming.len() * 2, 0);
            }
            let n = tcp.read(&mut incoming[used..]).await?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed").into());
            }
            used += n;
        }
    }
    if pending > 0 {
        tcp.write_all(&outgoing[..pending]).await?;
    }
    let tls13 = conn.protocol_version() == Some(ProtocolVersion::TLSv1_3);
    let (secrets, kernel) = conn.dangerous_into_kernel_connection()?;
    let mut session = TlsSession::new(tcp, kernel, tls13, secrets)?;
    // Bytes that came after the handshake's last record are the first records of the stream.
    let leftover = &incoming[..used];
    if leftover.len() > session.inbound.len() {
        return Err(io::Error::other("TLS: too much data right after the handshake").into());
    }
    session.inbound[..leftover.len()].copy_from_slice(leftover);
    session.end = leftover.len();
    Ok(session)
}

impl TlsSession {
    fn new(
        tcp: TcpStream,
        kernel: KernelConnection<ClientConnectionData>,
        tls13: bool,
        secrets: rustls::ExtractedSecrets,
    ) -> io::Result<Self> {
        let explicit_nonce = !tls13
            && !matches!(
                secrets.tx.1,
                ConnectionTrafficSecrets::Chacha20Poly1305 { .. }
            );
        Ok(Self {
            tcp,
            kernel,
            tls13,
            explicit_nonce,
            tx: Direction::new(secrets.tx.0, secrets.tx.1)?,
            rx: Direction::new(secrets.rx.0, secrets.rx.1)?,
            inbound: vec![0; MAX_RECORD].into_boxed_slice(),
            start: 0,
            end: 0,
            plain: 0..0,
            closed: false,
            key_update_owed: false,
            outbound: Vec::new(),
        })
    }

    /// Reads decrypted application data into `buf`; 0 at the end of the stream.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if !self.plain.is_empty() {
                let n = self.plain.len().min(buf.len());
                let from = self.plain.start;
                buf[..n].copy_from_slice(&self.inbound[from..from + n]);
                self.plain.start += n;
                return Ok(n);
            }
            if self.closed {
                return Ok(0);
            }
            if self.open_record()? {
                continue;
            }
            self.compact();
            let n = self.tcp.read(&mut self.inbound[self.end..]).await?;
            if n == 0 {
                if self.start == self.end {
                    return Ok(0);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the connection closed in the middle of a TLS record",
                ));
            }
            self.end += n;
        }
    }

    /// Whether this idle connection is no longer usable: the server closed it, sent data
    /// nobody asked for, or its keys are near their limit. Session tickets and key updates
    /// that arrived meanwhile are taken in. Never waits.
    pub fn peer_closed(&mut self) -> bool {
        if !self.plain.is_empty() || self.closed || self.tx.seq > RECORD_LIMIT {
            return true;
        }
        loop {
            match self.open_record() {
                Ok(true) if !self.plain.is_empty() || self.closed => return true,
                Ok(true) => continue,
                Ok(false) => {}
                Err(_) => return true,
            }
            self.compact();
            match self.tcp.try_read(&mut self.inbound[self.end..]) {
                Ok(0) => return true,
                Ok(n) => self.end += n,
                Err(e) => return e.kind() != io::ErrorKind::WouldBlock,
            }
        }
    }

    /// Encrypts `parts` (one request: head, length line, body) into records and sends them.
    pub async fn write_parts(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        if self.key_update_owed {
            self.key_update_owed = false;
            // KeyUpdate(update_not_requested), under the old key; then the new one.
            self.outbound.clear();
            self.seal(HANDSHAKE, &[&[KEY_UPDATE, 0, 0, 1, 0]], 5)?;
            let (seq, secrets) = self
                .kernel
                .update_tx_secret()
                .map_err(|e| io::Error::other(format!("TLS key update: {e}")))?;
            self.tcp.write_all(&self.outbound).await?;
            self.tx = Direction::new(seq, secrets)?;
        }
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let mut done = 0;
        while done < total {
            self.outbound.clear();
            for _ in 0..RECORDS_PER_WRITE {
                if done == total {
                    break;
                }
                let len = (total - done).min(MAX_PLAINTEXT);
                let mut skip = done;
                let mut pieces: [&[u8]; 3] = [&[]; 3];
                let mut count = 0;
                let mut left = len;
                for part in parts {
                    if left == 0 {
                        break;
                    }
                    if skip >= part.len() {
                        skip -= part.len();
                        continue;
                    }
                    let take = (part.len() - skip).min(left);
                    pieces[count] = &part[skip..skip + take];
                    count += 1;
                    left -= take;
                    skip = 0;
                }
                self.seal(APPLICATION_DATA, &pieces[..count], len)?;
                done += len;
            }
            self.tcp.write_all(&self.outbound).await?;
        }
        Ok(())
    }

    /// Appends one record of type `typ` holding `pieces` (`len` bytes) to `outbound`.
    fn seal(&mut self, typ: u8, pieces: &[&[u8]], len: usize) -> io::Result<()> {
        let inner = if self.tls13 { len + 1 } else { len };
        let explicit = if self.explicit_nonce {
            EXPLICIT_NONCE
        } else {
            0
        };
        let record_len = explicit + inner + TAG;
        let outer = if self.tls13 { APPLICATION_DATA } else { typ };
        let at = self.outbound.len();
        self.outbound.extend_from_slice(&[outer, 3, 3]);
        self.outbound
            .extend_from_slice(&(record_len as u16).to_be_bytes());
        let nonce = self.tx.nonce();
        if self.explicit_nonce {
            self.outbound.extend_from_slice(&nonce[4..]);
        }
        let body = self.outbound.len();
        for piece in pieces {
            self.outbound.extend_from_slice(piece);
        }
        if self.tls13 {
            self.outbound.push(typ);
        }
        let mut header = [0u8; HEADER];
        header.copy_from_slice(&self.outbound[at..at + HEADER]);
        let aad12 = self.tx.aad12(typ, len);
        let aad: &[u8] = if self.tls13 { &header } else { &aad12 };
        let tag = self
            .tx
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut self.outbound[body..],
            )
            .map_err(|_| io::Error::other("TLS: a record could not be encrypted"))?;
        self.outbound.extend_from_slice(tag.as_ref());
        self.tx.seq += 1;
        Ok(())
    }

    /// Moves unprocessed bytes to the front of the read buffer (only when no decrypted data
    /// is waiting there).
    fn compact(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 {
            self.inbound.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Decrypts the next record if it has arrived whole. Application data is left in
    /// `plain`; alerts, tickets and key updates are handled. Returns whether a record was
    /// consumed.
    fn open_record(&mut self) -> io::Result<bool> {
        let available = &self.inbound[self.start..self.end];
        if available.len() < HEADER {
            return Ok(false);
        }
        let outer = available[0];
        let len = usize::from(u16::from_be_bytes([available[3], available[4]]));
        if len > MAX_RECORD - HEADER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("TLS: a record of {len} bytes, longer than TLS allows"),
            ));
        }
        if available.len() < HEADER + len {
            return Ok(false);
        }
        let record = self.start..self.start + HEADER + len;
        self.start = record.end;
        if outer == CHANGE_CIPHER_SPEC && self.tls13 {
            // Middlebox compatibility (RFC 8446 §5): not protected, ignored.
            return Ok(true);
        }
        let mut header = [0u8; HEADER];
        header.copy_from_slice(&self.inbound[record.start..record.start + HEADER]);
        let mut payload = record.start + HEADER..record.end;
        let nonce = if self.explicit_nonce {
            if payload.len() < EXPLICIT_NONCE + TAG {
                return Err(bad_record());
            }
            let mut nonce = self.rx.iv;
            nonce[4..].copy_from_slice(&self.inbound[payload.start..payload.start + 8]);
            payload.start += EXPLICIT_NONCE;
            nonce
        } else {
            self.rx.nonce()
        };
        if payload.len() < TAG {
            return Err(bad_record());
        }
        let aad12 = self.rx.aad12(outer, payload.len() - TAG);
        let aad: &[u8] = if self.tls13 { &header } else { &aad12 };
        let plain_len = self
            .rx
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut self.inbound[payload.clone()],
            )
            .map_err(|_| bad_record())?
            .len();
        self.rx.seq += 1;
        let mut content = payload.start..payload.start + plain_len;
        let typ = if self.tls13 {
            // The inner plaintext: content, its type, then zero padding.
            let inner = &self.inbound[content.clone()];
            let Some(at) = inner.iter().rposition(|&b| b != 0) else {
                return Err(bad_record());
            };
            content.end = content.start + at;
            inner[at]
        } else {
            outer
        };
        match typ {
            APPLICATION_DATA => self.plain = content,
            ALERT => {
                let alert = &self.inbound[content];
                match alert {
                    [_, 0] => self.closed = true,
                    [_, description] => {
                        return Err(io::Error::other(format!(
                            "the server sent the TLS alert {:?}",
                            rustls::AlertDescription::from(*description)
                        )))
                    }
                    _ => return Err(bad_record()),
                }
            }
            HANDSHAKE => self.handshake_messages(content)?,
            _ => return Err(bad_record()),
        }
        Ok(true)
    }

    /// Post-handshake messages: TLS 1.3 session tickets (kept for resumption) and key
    /// updates; anything else (a TLS 1.2 renegotiation request) is ignored.
    fn handshake_messages(&mut self, mut content: Range<usize>) -> io::Result<()> {
        while content.len() >= 4 {
            let head = &self.inbound[content.start..content.start + 4];
            let (typ, len) = (
                head[0],
                usize::from(head[1]) << 16 | usize::from(head[2]) << 8 | usize::from(head[3]),
            );
            let body = content.start + 4..(content.start + 4 + len).min(content.end);
            match typ {
                NEW_SESSION_TICKET if self.tls13 => {
                    // A ticket that does not parse only costs a later resumption.
                    let _ = self
                        .kernel
                        .handle_new_session_ticket(&self.inbound[body.clone()]);
                }
                KEY_UPDATE if self.tls13 => {
                    let requested = self.inbound.get(body.start) == Some(&1);
                    let (seq, secrets) = self
                        .kernel
                        .update_rx_secret()
                        .map_err(|e| io::Error::other(format!("TLS key update: {e}")))?;
                    self.rx = Direction::new(seq, secrets)?;
                    self.key_update_owed |= requested;
                }
                _ => {}
            }
            content.start = body.end;
        }
        Ok(())
    }
}

fn bad_record() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "TLS: a record from the server failed to decrypt or is malformed",
    )
}

#[cfg(test)]
#[path = "tls_records_tests.rs"]
mod tests;
