//! The record layer against rustls's own server: each protocol version and AEAD, bodies of
//! many records both ways, session tickets, and a server-initiated key update.

use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::ring::{cipher_suite, default_provider};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{ServerUrl, TlsPlan};
use crate::engine::client::{connect, Connection, ReadError, Target};
use crate::engine::tls::{Stream, TlsClient};

fn server_config(
    suite: SupportedCipherSuite,
    version: &'static SupportedProtocolVersion,
) -> Arc<ServerConfig> {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let provider = CryptoProvider {
        cipher_suites: vec![suite],
        ..default_provider()
    };
    let config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
    Arc::new(config)
}

/// One TLS connection: each request's body is sent back as the response body; with
/// `key_update`, the server rolls its keys after every response.
async fn echo_server(config: Arc<ServerConfig>, key_update: bool) -> u16 {
    echo_server_for(config, key_update, usize::MAX).await
}

/// [`echo_server`] that drops the connection (no close_notify, as llama.cpp does) after
/// `responses` responses, although each advertised keep-alive.
async fn echo_server_for(config: Arc<ServerConfig>, key_update: bool, responses: usize) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = tokio_rustls::TlsAcceptor::from(config)
            .accept(tcp)
            .await
            .unwrap();
        for _ in 0..responses {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if tls.read(&mut byte).await.unwrap_or(0) == 0 {
                    return;
                }
                head.push(byte[0]);
            }
            let head = String::from_utf8(head).unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let mut body = vec![0u8; length];
            tls.read_exact(&mut body).await.unwrap();
            let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n");
            tls.write_all(reply.as_bytes()).await.unwrap();
            tls.write_all(&body).await.unwrap();
            tls.flush().await.unwrap();
            if key_update {
                tls.get_mut().1.refresh_traffic_keys().unwrap();
                tls.flush().await.unwrap();
            }
        }
    });
    port
}

async fn exchange(conn: &mut Connection, target: &Target, body: &[u8]) -> Vec<u8> {
    let (head, _) = conn.exchange(target, body).await.unwrap();
    assert_eq!(head.status, 200);
    let mut framing = head.framing;
    let mut got = Vec::new();
    while let Some((range, _)) = conn.next_body(&mut framing).await.unwrap() {
        got.extend_from_slice(conn.bytes(range));
    }
    assert!(conn.reusable_after(&head));
    got
}

fn insecure_target(port: u16) -> Target {
    let url = ServerUrl::parse(&format!("https://localhost:{port}")).unwrap();
    let chat = crate::config::EndpointType::Chat;
    let mut target = Target::new(&url, chat, chat.path(), false, None, &[]).unwrap();
    let client = TlsClient::new(&TlsPlan {
        ca_cert: None,
        insecure: true,
    })
    .unwrap();
    target.use_tls(&client);
    target
}

async fn round_trips(
    suite: SupportedCipherSuite,
    version: &'static SupportedProtocolVersion,
    key_update: bool,
) {
    let port = echo_server(server_config(suite, version), key_update).await;
    let target = insecure_target(port);
    let mut conn = connect(&target, Duration::from_secs(5)).await.unwrap();
    for (i, size) in [10usize, 100_000, 1, 40_000].into_iter().enumerate() {
        let body: Vec<u8> = (0..size).map(|j| (i * 7 + j) as u8).collect();
        assert_eq!(
            exchange(&mut conn, &target, &body).await,
            body,
            "request {i}"
        );
        // Session tickets and key updates arrive between requests: taken in, not a close.
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(!conn.peer_closed(), "request {i}");
        if key_update && i == 1 {
            // As when a server asks for our update: it goes out before the next request.
            let Stream::Tls(session) = conn.stream_mut() else {
                panic!("a TLS connection")
            };
            session.key_update_owed = true;
        }
    }
}

#[tokio::test]
async fn tls13_aes_gcm_with_tickets() {
    round_trips(
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        &rustls::version::TLS13,
        false,
    )
    .await;
}

#[tokio::test]
async fn tls13_chacha20_with_key_updates_from_either_side() {
    round_trips(
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        &rustls::version::TLS13,
        true,
    )
    .await;
}

#[tokio::test]
async fn tls12_aes_gcm_explicit_nonces() {
    round_trips(
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        &rustls::version::TLS12,
        false,
    )
    .await;
}

#[tokio::test]
async fn tls12_chacha20() {
    round_trips(
        cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        &rustls::version::TLS12,
        false,
    )
    .await;
}

/// An HTTP/2-only server refuses ALPN `http/1.1`: the handshake fails in one line that says
/// gauntlet does not speak HTTP/2.
#[tokio::test]
async fn an_h2_only_server_is_told_apart() {
    let mut config = Arc::unwrap_or_clone(server_config(
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        &rustls::version::TLS13,
    ));
    config.alpn_protocols = vec![b"h2".to_vec()];
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = tokio_rustls::TlsAcceptor::from(Arc::new(config))
            .accept(tcp)
            .await;
    });
    let target = insecure_target(port);
    let err = connect(&target, Duration::from_secs(5))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err,
        format!(
            "TLS: localhost:{port} refused the handshake: it speaks no HTTP/1.1 over TLS \
             (ALPN http/1.1); gauntlet does not speak HTTP/2"
        )
    );
}

/// A kept-alive connection the server has dropped fails its next request before any byte
/// of a response: the worker's stale-connection retry sends it again on a fresh connection.
#[tokio::test]
async fn a_dropped_kept_alive_connection_reads_as_nothing_received() {
    let config = server_config(
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        &rustls::version::TLS13,
    );
    let port = echo_server_for(config, false, 1).await;
    let target = insecure_target(port);
    let mut conn = connect(&target, Duration::from_secs(5)).await.unwrap();
    assert_eq!(exchange(&mut conn, &target, b"one").await, b"one");
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Skip the idle probe (it would see the close): this is the race it cannot win.
    match conn.exchange(&target, b"two").await {
        Err(ReadError::NothingReceived(_)) => {}
        other => panic!("{other:?}"),
    }
}
