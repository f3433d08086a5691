//! `https://`: the worker's connection as TCP or TLS (rustls, ring), the client configuration
//! built once per run, and handshake failures told in one line that names the cause and fix.
//!
//! The engine's own HTTP/1.1 codec (`http1`, `client`) runs unchanged over either stream.

use std::io;
use std::sync::Arc;

use super::tls_records::{handshake, HandshakeError, TlsSession};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::config::{read_ca_certs, TlsPlan};

/// The TLS side of a run: one rustls `ClientConfig` (trust store, ALPN `http/1.1`) shared by
/// every connection.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    /// CA certificates the system store gave (0: SSL_CERT_FILE/SSL_CERT_DIR point nowhere).
    system_roots: usize,
    insecure: bool,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("system_roots", &self.system_roots)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

/// The trust store could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The `--ca-cert` file is unreadable or holds no usable certificate.
    #[error("--ca-cert {0}")]
    CaFile(String),
    /// rustls refused the configuration.
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

impl TlsClient {
    /// The rustls configuration, for the blocking requests made before the clock (model
    /// discovery, the readiness wait).
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Builds the client configuration: the system store (honouring `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR`) plus `--ca-cert`'s certificates, or no verification with `--insecure`.
    pub fn new(plan: &TlsPlan) -> Result<Self, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let mut system_roots = 0;
        let mut config = if plan.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = rustls::RootCertStore::empty();
            // Unreadable entries of the system store are skipped, as curl does.
            let native = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(native.certs);
            system_roots = added;
            if let Some(path) = &plan.ca_cert {
                let display = path.display();
                for (i, cert) in read_ca_certs(path)
                    .map_err(TlsSetupError::CaFile)?
                    .into_iter()
                    .enumerate()
                {
                    roots.add(cert).map_err(|e| {
                        TlsSetupError::CaFile(format!(
                            "'{display}': certificate {} is not a usable CA certificate: {e}",
                            i + 1
                        ))
                    })?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // The record layer is ours after the handshake (`tls_records`).
        config.enable_secret_extraction = true;
        Ok(Self {
            config: Arc::new(config),
            system_roots,
            insecure: plan.insecure,
        })
    }

    /// Runs the handshake over `tcp` for `host`. The error is one line naming the cause and
    /// the fix.
    pub(super) async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
        port: u16,
    ) -> Result<Stream, String> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("TLS: '{host}' is not a valid server name: {e}"))?;
        match handshake(tcp, Arc::clone(&self.config), name).await {
            Ok(session) => Ok(Stream::Tls(Box::new(session))),
            Err(e) => Err(self.describe(&e, host, port)),
        }
    }

    /// One line for a failed handshake with `host:port`.
    fn describe(&self, err: &HandshakeError, host: &str, port: u16) -> String {
        let server = format!("{host}:{port}");
        match err {
            HandshakeError::Tls(tls) => describe_rustls(tls, &server, self.system_roots),
            HandshakeError::Io(e) => match e.kind() {
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => format!(
                    "TLS: {server} closed the connection during the TLS handshake: if it is a \
                     plain HTTP port, use http://"
                ),
                _ => format!("TLS handshake with {server}: {e}"),
            },
        }
    }
}

fn describe_rustls(err: &rustls::Error, server: &str, system_roots: usize) -> String {
    use rustls::Error as E;
    match err {
        E::InvalidCertificate(cert) => describe_certificate(cert, server, system_roots),
        E::AlertReceived(AlertDescription::NoApplicationProtocol) => format!(
            "TLS: {server} refused the handshake: it speaks no HTTP/1.1 over TLS (ALPN \
             http/1.1); gauntlet does not speak HTTP/2"
        ),
        E::AlertReceived(
            alert @ (AlertDescription::HandshakeFailure | AlertDescription::ProtocolVersion),
        ) => format!(
            "TLS: {server} refused the handshake ({alert:?}): no TLS version or cipher suite \
             in common (gauntlet offers TLS 1.2 and 1.3 with AES-GCM and ChaCha20)"
        ),
        E::AlertReceived(alert) => {
            format!("TLS: {server} refused the handshake with the alert {alert:?}")
        }
        E::InvalidMessage(_) => {
            format!("TLS: {server} answered in plain HTTP, not TLS: use http://")
        }
        E::PeerMisbehaved(rustls::PeerMisbehaved::SelectedUnofferedApplicationProtocol) => {
            format!(
                "TLS: {server} chose a protocol other than HTTP/1.1 (ALPN; HTTP/2?): gauntlet \
                 does not speak HTTP/2"
            )
        }
        other => format!("TLS handshake with {server} failed: {other}"),
    }
}

fn describe_certificate(cert: &CertificateError, server: &str, system_roots: usize) -> String {
    use CertificateError as C;
    match cert {
        C::UnknownIssuer => {
            let store = if system_roots == 0 {
                " (the system trust store is empty: set SSL_CERT_FILE to a CA bundle)"
            } else {
                ""
            };
            format!(
                "TLS: the certificate of {server} is signed by an unknown CA{store}: pass its CA \
                 with --ca-cert FILE (PEM), or skip verification with --insecure"
            )
        }
        C::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "TLS: the certificate of {server} is not valid for '{}': it names {}; use one of \
             those names in --url, or --insecure",
            expected.to_str(),
            if presented.is_empty() {
                "no host".to_string()
            } else {
                let names: Vec<&str> = presented.iter().map(|n| plain_name(n)).collect();
                names.join(", ")
            }
        ),
        C::NotValidForName => format!(
            "TLS: the certificate of {server} does not name the host in --url; use a name it \
             has, or --insecure"
        ),
        C::ExpiredContext { not_after, .. } => format!(
            "TLS: the certificate of {server} expired on {}: renew it on the server, or \
             --insecure",
            utc_date(*not_after)
        ),
        C::Expired => format!(
            "TLS: the certificate of {server} has expired: renew it on the server, or --insecure"
        ),
        C::NotValidYetContext { not_before, .. } => format!(
            "TLS: the certificate of {server} is not valid before {} (check both clocks), or \
             --insecure",
            utc_date(*not_before)
        ),
        other => format!("TLS: the certificate of {server} is refused: {other}; or --insecure"),
    }
}

/// A name as rustls presents it (`DnsName("a.example")`, `IpAddress(10.0.0.1)`), bare.
fn plain_name(presented: &str) -> &str {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(presented);
    inner.trim_matches('"')
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix time (the civil calendar from days since 1970).
fn utc_date(time: UnixTime) -> String {
    let secs = time.as_secs();
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's days_from_civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// `--insecure`: any certificate is accepted; the handshake's signatures are still checked,
/// so the connection is encrypted, only not authenticated.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A worker's connection: plain TCP, or TLS over TCP (boxed: its buffers and rustls's session
/// state are allocated once per connection, not per request).
pub enum Stream {
    /// `http://`.
    Tcp(TcpStream),
    /// `https://`.
    Tls(Box<TlsSession>),
}

impl Stream {
    /// Whether the peer has closed (or written unasked to) this idle connection, without
    /// waiting. Over TLS, records that carry no data (a TLS 1.3 session ticket) are taken in
    /// and do not count.
    pub(super) fn peer_closed(&mut self) -> bool {
        match self {
            Stream::Tcp(tcp) => {
                let mut probe = [0u8; 1];
                match tcp.try_read(&mut probe) {
                    Err(e) => e.kind() != io::ErrorKind::WouldBlock,
                    // End of stream, or bytes nobody asked for: either way not reusable.
                    Ok(_) => true,
                }
            }
            Stream::Tls(tls) => tls.peer_closed(),
        }
    }

    /// Whether this is a TLS connection.
    pub(super) fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Reads response bytes (decrypted over TLS); 0 at the end of the stream.
    pub(super) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(tcp) => tcp.read(buf).await,
            Stream::Tls(tls) => tls.read(buf).await,
        }
    }
}

/// The first bytes of a reply on a plain connection that are a TLS record (an alert or a
/// handshake message): the server speaks TLS.
pub(super) fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [0x15 | 0x16, 0x03, ..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        let at = |s| {
            utc_date(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                s,
            )))
        };
        assert_eq!(at(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(at(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(at(1_798_761_599), "2026-12-31 23:59:59 UTC");
    }

    #[test]
    fn each_certificate_failure_names_its_fix() {
        let unknown = describe_certificate(&CertificateError::UnknownIssuer, "h:1", 140);
        assert!(unknown.contains("--ca-cert FILE") && unknown.contains("--insecure"));
        assert!(!unknown.contains("SSL_CERT_FILE"));
        let empty = describe_certificate(&CertificateError::UnknownIssuer, "h:1", 0);
        assert!(empty.contains("SSL_CERT_FILE"), "{empty}");
        let name = describe_certificate(
            &CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("localhost").unwrap(),
                presented: vec![
                    "DnsName(\"a.example\")".into(),
                    "IpAddress(10.0.0.1)".into(),
                ],
            },
            "localhost:1",
            1,
        );
        assert!(
            name.contains("not valid for 'localhost': it names a.example, 10.0.0.1"),
            "{name}"
        );
        let alpn = describe_rustls(
            &rustls::Error::AlertReceived(AlertDescription::NoApplicationProtocol),
            "h:1",
            1,
        );
        assert!(alpn.contains("HTTP/2"), "{alpn}");
        assert!(looks_like_tls(&[0x15, 0x03, 0x03, 0, 2, 2, 50]));
        assert!(!looks_like_tls(b"HTTP/1.1 200 OK"));
    }
}
