//! Routing one HTTP request to its answer.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use super::body::{MockBody, SseStream, Timing};
use super::config::{latency_rng, MockConfig, SseMode};
use super::media_scan::scan_media;
use super::rankings::RerankApi;
use super::render::{render_head, ResponsePlan, StreamFault, Wait};
use super::reply::{
    bad_request, error_response, inference_seq, injected_500, read_body, respond, Served, JSON,
};
use super::request::{parse_gen_request, FinishReason, GenKind};
use super::stats::{Endpoint, MockStats, RunningGuard};

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

    /// What the routes of [`super::extra_routes`] need.
    fn parts(&self) -> Served<'_> {
        Served {
            config: &self.config,
            stats: &self.stats,
            model_json: &self.model_json,
        }
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
            super::extra_routes::embeddings(shared.parts(), req).await
        }
        "/v1/ranking" if post => {
            stats.count_endpoint(Endpoint::NimRanking);
            super::extra_routes::rerank(shared.parts(), req, RerankApi::Nim).await
        }
        "/v1/rerank" | "/v2/rerank" if post => {
            stats.count_endpoint(Endpoint::Rerank);
            super::extra_routes::rerank(shared.parts(), req, RerankApi::Cohere).await
        }
        "/rerank" if post => {
            stats.count_endpoint(Endpoint::TeiRerank);
            super::extra_routes::rerank(shared.parts(), req, RerankApi::Tei).await
        }
        "/v1/images/generations" if post => {
            stats.count_endpoint(Endpoint::Images);
            super::extra_routes::images(shared.parts(), req).await
        }
        "/v1/responses" if post => {
            stats.count_endpoint(Endpoint::Responses);
            generate(&shared, req, GenKind::Responses, seed).await
        }
        "/v1/messages" if post => {
            stats.count_endpoint(Endpoint::Messages);
            generate(&shared, req, GenKind::Messages, seed).await
        }
        "/generate" if post => {
            stats.count_endpoint(Endpoint::Generate);
            generate(&shared, req, GenKind::Generate, seed).await
        }
        "/v1/images/edits" if post => {
            stats.count_endpoint(Endpoint::ImageEdits);
            super::extra_routes::image_edits(shared.parts(), req).await
        }
        "/v1/videos" if post => {
            stats.count_endpoint(Endpoint::VideoSubmit);
            super::extra_routes::video_submit(shared.parts(), req, shared.started).await
        }
        path if get && path.starts_with("/v1/videos/") => {
            let job = &path["/v1/videos/".len()..];
            let (job, content) = match job.strip_suffix("/content") {
                Some(job) => (job, true),
                None => (job, false),
            };
            stats.count_endpoint(if content {
                Endpoint::VideoContent
            } else {
                Endpoint::VideoPoll
            });
            super::videos::job_answer(job, content, &shared.config, shared.started)
        }
        "/v1/infer" if post => {
            stats.count_endpoint(Endpoint::Infer);
            super::extra_routes::infer(shared.parts(), req).await
        }
        "/generate_stream" if post => {
            stats.count_endpoint(Endpoint::GenerateStream);
            generate(&shared, req, GenKind::GenerateStream, seed).await
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
        | "/v1/images/generations"
        | "/v1/responses"
        | "/v1/messages"
        | "/generate"
        | "/generate_stream"
        | "/v1/videos"
        | "/v1/infer" => {
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

async fn generate(
    shared: &Shared,
    req: Request<Incoming>,
    kind: GenKind,
    seed: u64,
) -> Response<MockBody> {
    let config = &shared.config;
    let stats = &shared.stats;
    if config.capture_requests {
        stats.capture_headers(req.headers());
    }
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
        let hit = |every: Option<u64>| matches!(every, Some(n) if n > 0 && sseq.is_multiple_of(n));
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

/// [`inference_seq`] for this server.
fn inference_seq_unless_failed(shared: &Shared) -> Option<u64> {
    inference_seq(&shared.config, &shared.stats)
}
