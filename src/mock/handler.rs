//! Routing one HTTP request to its answer.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::body::{MockBody, SseStream, Timing};
use super::config::{latency_rng, MockConfig, SseMode};
use super::embeddings::embeddings_response;
use super::media_scan::scan_media;
use super::rankings::RerankApi;
use super::render::{render_head, ResponsePlan, StreamFault, Wait};
use super::request::{parse_gen_request, FinishReason, GenKind};
use super::stats::{Endpoint, MockStats, RunningGuard};

/// Largest request body read; bigger ones get a 413 instead of filling memory.
const MAX_BODY_BYTES: usize = 256 << 20;

pub(super) const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream; charset=utf-8";
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What every connection shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: Arc<MockConfig>,
    pub stats: Arc<MockStats>,
    /// The served model name as a JSON string literal.
    model_json: Bytes,
    /// When the server started (for `MockConfig::ready_after`).
    started: std::time::Instant,
}

impl Shared {
    pub(crate) fn new(config: Arc<MockConfig>, stats: Arc<MockStats>) -> Self {
        let model_json = serde_json::to_vec(&config.model)
            .map(Bytes::from)
            .unwrap_or_else(|_| Bytes::from_static(b"\"mock-model\""));
        Self {
            config,
            stats,
            model_json,
            started: std::time::Instant::now(),
        }
    }

    /// The served model name as a JSON string literal.
    pub(super) fn model_json(&self) -> &[u8] {
        &self.model_json
    }
}

/// Answers one request; never fails (errors are HTTP answers).
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    seed: u64,
) -> Result<Response<MockBody>, Infallible> {
    let stats = &shared.stats;
    let post = req.method() == Method::POST;
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let loading = shared
        .config
        .ready_after
        .is_some_and(|after| shared.started.elapsed() < after);
    let response = match req.uri().path() {
        "/v1/chat/completions"
        | "/v1/completions"
        | "/v1/embeddings"
        | "/v1/models"
        | "/health"
            if loading =>
        {
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "the model is still loading",
                "ServiceUnavailableError",
            )
        }
        "/v1/chat/completions" if post => {
            stats.count_endpoint(Endpoint::Chat);
            generate(&shared, req, GenKind::Chat, seed).await
        }
        "/v1/completions" if post => {
            stats.count_endpoint(Endpoint::Completions);
            generate(&shared, req, GenKind::Completions, seed).await
        }
        "/v1/embeddings" if post => {
            stats.count_endpoint(Endpoint::Embeddings);
            match read_body(req).await {
                Err(resp) => resp,
                Ok(body) => match embeddings_response(&body, &shared.model_json) {
                    Err(msg) => bad_request(stats, &msg),
                    Ok(_) if inference_seq_unless_failed(&shared).is_none() => injected_500(),
                    Ok((json, prompt_tokens)) => {
                        stats.record_tokens(prompt_tokens, 0);
                        respond(StatusCode::OK, JSON, MockBody::full(json, None))
                    }
                },
            }
        }
        "/v1/ranking" if post => {
            stats.count_endpoint(Endpoint::NimRanking);
            super::extra_routes::rerank(&shared, req, RerankApi::Nim).await
        }
        "/v1/rerank" | "/v2/rerank" if post => {
            stats.count_endpoint(Endpoint::Rerank);
            super::extra_routes::rerank(&shared, req, RerankApi::Cohere).await
        }
        "/rerank" if post => {
            stats.count_endpoint(Endpoint::TeiRerank);
            super::extra_routes::rerank(&shared, req, RerankApi::Tei).await
        }
        "/v1/images/generations" if post => {
            stats.count_endpoint(Endpoint::Images);
            super::extra_routes::images(&shared, req).await
        }
        "/v1/models" if get => {
            stats.count_endpoint(Endpoint::Models);
            let config = &shared.config;
            let mut names = vec![config.model.as_str()];
            names.extend(config.more_models.iter().map(String::as_str));
            let body = super::embeddings::models_response(&names);
            respond(StatusCode::OK, JSON, MockBody::full(body, None))
        }
        "/health" if get => {
            stats.count_endpoint(Endpoint::Health);
            respond(StatusCode::OK, JSON, MockBody::full(Bytes::new(), None))
        }
        "/metrics" if get => {
            stats.count_endpoint(Endpoint::Metrics);
            let text = stats.render_prometheus(&shared.config);
            respond(StatusCode::OK, PROMETHEUS, MockBody::full(text, None))
        }
        "/v1/chat/completions"
        | "/v1/completions"
        | "/v1/embeddings"
        | "/v1/models"
        | "/health"
        | "/metrics"
        | "/v1/ranking"
        | "/v1/rerank"
        | "/v2/rerank"
        | "/rerank"
        | "/v1/images/generations" => {
            stats.count_endpoint(Endpoint::NotFound);
            error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                "MethodNotAllowedError",
            )
        }
        path => {
            stats.count_endpoint(Endpoint::NotFound);
            let msg = format!("Not Found: {path}");
            error_response(StatusCode::NOT_FOUND, &msg, "NotFoundError")
        }
    };
    Ok(response)
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
pub(super) fn inference_seq_unless_failed(shared: &Shared) -> Option<u64> {
    let seq = shared.stats.next_inference_seq();
    if matches!(shared.config.fail_every, Some(n) if n > 0 && seq % n == 0) {
        shared.stats.record_failed();
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

async fn generate(
    shared: &Shared,
    req: Request<Incoming>,
    kind: GenKind,
    seed: u64,
) -> Response<MockBody> {
    let config = &shared.config;
    let stats = &shared.stats;
    let body = match read_body(req).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    if config.capture_requests {
        stats.capture(&body);
    }
    let parsed = match parse_gen_request(&body, kind, config.default_output_tokens) {
        Ok(parsed) => parsed,
        Err(err) => return bad_request(stats, &err.to_string()),
    };
    if kind == GenKind::Chat {
        match scan_media(&body) {
            Ok(counts) => stats.record_media(counts),
            Err(err) => return bad_request(stats, &err.to_string()),
        }
    }
    if let Some(max) = parsed.requested_max {
        stats.record_max_tokens(max);
    }
    let Some(seq) = inference_seq_unless_failed(shared) else {
        return injected_500();
    };
    let fault = if parsed.stream {
        let sseq = stats.next_streaming_seq();
        let hit = |every: Option<u64>| matches!(every, Some(n) if n > 0 && sseq % n == 0);
        if hit(config.drop_every) {
            stats.record_dropped();
            StreamFault::Drop
        } else if hit(config.error_event_every) {
            stats.record_error_event();
            StreamFault::ErrorEvent
        } else {
            StreamFault::None
        }
    } else {
        StreamFault::None
    };
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let model_json = parsed.model.unwrap_or(&shared.model_json);
    let plan = ResponsePlan {
        kind,
        head: render_head(kind, parsed.stream, seq, created, model_json),
        output_tokens: parsed.output_tokens,
        tokens_per_chunk: config.tokens_per_chunk(),
        word_offset: seq as usize,
        include_usage: parsed.include_usage,
        prompt_tokens: parsed.prompt_tokens,
        finish: parsed.finish,
        fault,
    };
    stats.record_tokens(parsed.prompt_tokens, plan.delivered_tokens());
    if let Some(spec) = &config.spec_decode {
        let accepted = spec.accepted_per_step(&body);
        stats.record_spec(plan.delivered_tokens(), spec.k(), accepted);
    }
    if fault == StreamFault::None {
        stats.record_success(parsed.finish == FinishReason::Length);
    }
    let guard = RunningGuard::new(shared.stats.clone());
    let timing = config.has_latency().then(|| Timing {
        ttft: config.ttft,
        itl: config.itl,
        rng: latency_rng(seed),
    });

    if parsed.stream && (config.sse_mode == SseMode::Chunked || fault == StreamFault::Drop) {
        let stream = SseStream::new(plan, timing, guard);
        return respond(
            StatusCode::OK,
            EVENT_STREAM,
            MockBody::Stream(Box::new(stream)),
        );
    }
    if let Some(mut timing) = timing {
        let wait = whole_response_wait(&plan, &mut timing);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
    if parsed.stream {
        let data = plan.render_stream().freeze();
        respond(
            StatusCode::OK,
            EVENT_STREAM,
            MockBody::full(data, Some(guard)),
        )
    } else {
        let data = plan.render_full().freeze();
        respond(StatusCode::OK, JSON, MockBody::full(data, Some(guard)))
    }
}

/// TTFT + the ITL of every further content event: what the whole stream would take.
fn whole_response_wait(plan: &ResponsePlan, timing: &mut Timing) -> Duration {
    let mut total = timing.draw(Wait::Ttft);
    for _ in 1..plan.content_events() {
        total += timing.draw(Wait::Itl);
    }
    total
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
