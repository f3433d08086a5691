//! One HTTP/1.1 keep-alive connection per worker and target, with TCP_NODELAY on.
//!
//! hyper's pooled client leaves Nagle's algorithm on, which delays small writes and skews
//! latency; owning the connections also means a request never waits on a shared pool.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::clock::now_ns;
use crate::config::{EndpointType, ServerUrl};

/// Where a request goes and the headers it carries, built once per run.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host to connect to.
    pub host: String,
    /// Port to connect to.
    pub port: u16,
    /// Origin-form request target (base path + endpoint path).
    pub path: Uri,
    /// Headers shared by every request to this target (Host, Content-Type, auth, user headers).
    pub headers: HeaderMap,
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
    /// Builds the target for one server URL.
    pub fn new(
        url: &ServerUrl,
        endpoint: EndpointType,
        streaming: bool,
        api_key: Option<&str>,
        extra_headers: &[(String, String)],
    ) -> Result<Self, TargetError> {
        let path: Uri = format!("{}{}", url.base_path, endpoint.path())
            .parse()
            .map_err(|e: http::uri::InvalidUri| TargetError::BadPath {
                url: url.original.clone(),
                reason: e.to_string(),
            })?;
        let mut headers = HeaderMap::new();
        let host = if url.port == 80 {
            url.host.clone()
        } else {
            format!("{}:{}", url.host, url.port)
        };
        headers.insert(HOST, header_value("Host", &host)?);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if streaming && endpoint.produces_tokens() {
            headers.insert(
                http::header::ACCEPT,
                HeaderValue::from_static("text/event-stream"),
            );
        }
        if let Some(key) = api_key {
            let mut value = header_value("Authorization", &format!("Bearer {key}"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
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
        Ok(Self {
            host: url.host.clone(),
            port: url.port,
            path,
            headers,
        })
    }

    /// A POST request carrying `body`.
    #[inline]
    pub fn request(&self, body: Bytes) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = self.path.clone();
        *req.headers_mut() = self.headers.clone();
        req
    }
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, TargetError> {
    HeaderValue::from_str(value).map_err(|_| TargetError::BadHeader {
        name: name.to_string(),
        reason: "the value has characters HTTP headers cannot carry".into(),
    })
}

/// A live connection and how long it took to open.
pub struct Connection {
    /// hyper's request handle for the connection.
    pub sender: SendRequest<Full<Bytes>>,
    /// Nanoseconds spent in TCP connect + handshake.
    pub connect_ns: u64,
    /// Requests sent on this connection so far.
    pub uses: u64,
}

/// Opens a connection to `target`, giving up after `timeout`.
pub async fn connect(target: &Target, timeout: Duration) -> Result<Connection, String> {
    let start = now_ns();
    let stream = tokio::time::timeout(
        timeout,
        TcpStream::connect((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| format!("connect to {}:{} timed out", target.host, target.port))?
    .map_err(|e| format!("connect to {}:{}: {e}", target.host, target.port))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("set TCP_NODELAY: {e}"))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {}:{}: {e}", target.host, target.port))?;
    tokio::spawn(async move {
        // The connection's own errors surface on the request that was using it.
        let _ = conn.await;
    });
    Ok(Connection {
        sender,
        connect_ns: now_ns() - start,
        uses: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> ServerUrl {
        ServerUrl {
            original: "http://h:8000/base".into(),
            host: "h".into(),
            port: 8000,
            base_path: "/base".into(),
        }
    }

    #[test]
    fn target_carries_path_host_and_secret_headers() {
        let t = Target::new(
            &url(),
            EndpointType::Chat,
            true,
            Some("sk-secret"),
            &[("X-Team".into(), "a".into())],
        )
        .unwrap();
        assert_eq!(t.path, "/base/v1/chat/completions");
        assert_eq!(t.headers[HOST], "h:8000");
        assert!(t.headers[AUTHORIZATION].is_sensitive());
        assert!(!format!("{:?}", t.headers).contains("sk-secret"));
        let req = t.request(Bytes::from_static(b"{}"));
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.headers()["x-team"], "a");
    }

    #[test]
    fn bad_header_names_the_header() {
        let err = Target::new(
            &url(),
            EndpointType::Chat,
            false,
            None,
            &[("Bad Name".into(), "v".into())],
        )
        .unwrap_err();
        assert!(err.to_string().contains("--header 'Bad Name'"), "{err}");
    }
}
