//! The pieces every route shares: reading a body, answering JSON, errors in the OpenAI/vLLM
//! shape, and `fail_every`. Apart from `handler.rs` so the routes in `extra_routes.rs` use them
//! without importing the router that calls them.

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::body::MockBody;
use super::config::MockConfig;
use super::stats::MockStats;

/// Largest request body read; bigger ones get a 413 instead of filling memory.
const MAX_BODY_BYTES: usize = 256 << 20;

pub(super) const JSON: &str = "application/json";

/// What a route reads of the server it runs in.
#[derive(Clone, Copy)]
pub(super) struct Served<'a> {
    pub config: &'a MockConfig,
    pub stats: &'a MockStats,
    /// The served model name as a JSON string literal.
    pub model_json: &'a [u8],
}

/// Reads the whole request body. A body that arrives as one frame (the usual case) is used
/// as is, without the copy and list `collect` would make.
pub(super) async fn read_body(req: Request<Incoming>) -> Result<Bytes, Response<MockBody>> {
    let mut body = req.into_body();
    let mut first = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(error_response(
                StatusCode::BAD_REQUEST,
                "request body could not be read",
                "BadRequestError",
            ));
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing the mock needs
        };
        total += data.len();
        if total > MAX_BODY_BYTES {
            return Err(error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large for the mock server",
                "BadRequestError",
            ));
        }
        if joined.is_none() && first.is_empty() {
            first = data;
        } else {
            joined
                .get_or_insert_with(|| BytesMut::from(&first[..]))
                .extend_from_slice(&data);
        }
    }
    Ok(joined.map_or(first, BytesMut::freeze))
}

/// Numbers an inference request (from 1, across all connections); `None` when `fail_every`
/// says this one answers 500.
pub(super) fn inference_seq(config: &MockConfig, stats: &MockStats) -> Option<u64> {
    let seq = stats.next_inference_seq();
    if matches!(config.fail_every, Some(n) if n > 0 && seq.is_multiple_of(n)) {
        stats.record_failed();
        return None;
    }
    Some(seq)
}

pub(super) fn injected_500() -> Response<MockBody> {
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "mock failure (fail_every)",
        "InternalServerError",
    )
}

pub(super) fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: MockBody,
) -> Response<MockBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

pub(super) fn bad_request(stats: &MockStats, message: &str) -> Response<MockBody> {
    stats.count_bad_request();
    error_response(StatusCode::BAD_REQUEST, message, "BadRequestError")
}

/// `{"error":{"message":…,"type":…,"code":…}}`, the OpenAI/vLLM error shape.
pub(crate) fn error_response(status: StatusCode, message: &str, kind: &str) -> Response<MockBody> {
    // Rendered by hand to keep vLLM's key order (message, type, code).
    let message = serde_json::to_string(message).unwrap_or_else(|_| "\"error\"".to_owned());
    let kind = serde_json::to_string(kind).unwrap_or_else(|_| "\"error\"".to_owned());
    let bytes = format!(
        r#"{{"error":{{"message":{message},"type":{kind},"code":{}}}}}"#,
        status.as_u16()
    );
    respond(status, JSON, MockBody::full(bytes, None))
}
