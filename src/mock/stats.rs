//! Counters the mock keeps: for in-process tests (`snapshot`) and for `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use super::media_scan::{MediaCounts, MediaKind};
use super::snapshot::MockStatsSnapshot;

/// How many endpoints the mock counts.
const ENDPOINTS: usize = 20;

/// Endpoints the mock counts requests for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Chat,
    Completions,
    Embeddings,
    Models,
    Health,
    Metrics,
    NotFound,
    NimRanking,
    Rerank,
    TeiRerank,
    Images,
    Responses,
    Messages,
    Generate,
    GenerateStream,
    /// `POST /v1/infer` (NIM image retrieval)
    Infer,
    /// `POST /v1/images/edits` (a multipart form)
    ImageEdits,
    /// `POST /v1/videos` (a video job submitted)
    VideoSubmit,
    /// `GET /v1/videos/{id}` (a video job's status)
    VideoPoll,
    /// `GET /v1/videos/{id}/content` (a finished video)
    VideoContent,
}

impl Endpoint {
    const ALL: [Endpoint; ENDPOINTS] = [
        Endpoint::Chat,
        Endpoint::Completions,
        Endpoint::Embeddings,
        Endpoint::Models,
        Endpoint::Health,
        Endpoint::Metrics,
        Endpoint::NotFound,
        Endpoint::NimRanking,
        Endpoint::Rerank,
        Endpoint::TeiRerank,
        Endpoint::Images,
        Endpoint::Responses,
        Endpoint::Messages,
        Endpoint::Generate,
        Endpoint::GenerateStream,
        Endpoint::Infer,
        Endpoint::ImageEdits,
        Endpoint::VideoSubmit,
        Endpoint::VideoPoll,
        Endpoint::VideoContent,
    ];

    fn label(self) -> &'static str {
        match self {
            Endpoint::Chat => "/v1/chat/completions",
            Endpoint::Completions => "/v1/completions",
            Endpoint::Embeddings => "/v1/embeddings",
            Endpoint::Models => "/v1/models",
            Endpoint::Health => "/health",
            Endpoint::Metrics => "/metrics",
            Endpoint::NotFound => "other",
            Endpoint::NimRanking => "/v1/ranking",
            Endpoint::Rerank => "/v1/rerank",
            Endpoint::TeiRerank => "/rerank",
            Endpoint::Images => "/v1/images/generations",
            Endpoint::Responses => "/v1/responses",
            Endpoint::Messages => "/v1/messages",
            Endpoint::Generate => "/generate",
            Endpoint::GenerateStream => "/generate_stream",
            Endpoint::Infer => "/v1/infer",
            Endpoint::ImageEdits => "/v1/images/edits",
            Endpoint::VideoSubmit => "/v1/videos",
            Endpoint::VideoPoll => "/v1/videos/{id}",
            Endpoint::VideoContent => "/v1/videos/{id}/content",
        }
    }
}

/// Request-sized blocks in the mock's pretend KV cache (`vllm:kv_cache_usage_perc`).
const MOCK_KV_SLOTS: f64 = 64.0;

/// Live counters of one mock server, shared with whoever started it.
///
/// Tests assert on what the server saw (`max_tokens` sent, tokens generated, faults injected)
/// instead of trusting the client under test. All counters are relaxed atomics: each is exact,
/// but a snapshot taken while requests are in flight is not one consistent instant.
#[derive(Debug, Default)]
pub struct MockStats {
    by_endpoint: [AtomicU64; ENDPOINTS],
    /// Images sent by `/v1/images/generations`.
    images_generated: AtomicU64,
    bad_requests: AtomicU64,
    streaming: AtomicU64,
    prompt_tokens: AtomicU64,
    generation_tokens: AtomicU64,
    success_length: AtomicU64,
    success_stop: AtomicU64,
    faults_failed: AtomicU64,
    faults_dropped: AtomicU64,
    faults_error_events: AtomicU64,
    max_tokens_last: AtomicU64,
    max_tokens_sum: AtomicU64,
    max_tokens_count: AtomicU64,
    running: AtomicU64,
    /// Generation response lifetimes (vLLM's `e2e_request_latency_seconds`).
    e2e_latency: super::histogram::LatencyHistogram,
    inference_seq: AtomicU64,
    streaming_seq: AtomicU64,
    /// Media parts received, by `MediaKind as usize`.
    media_parts: [AtomicU64; 3],
    /// Speculative-decoding counters, touched only when `MockConfig::spec_decode` is set.
    spec: super::spec::SpecStats,
    /// Request bodies, kept only when `MockConfig::capture_requests` is on.
    captured: std::sync::Mutex<Vec<bytes::Bytes>>,
    /// The headers of the captured requests, in the same order.
    captured_headers: std::sync::Mutex<Vec<http::HeaderMap>>,
    /// Connections accepted (over TLS: handshakes completed).
    connections: AtomicU64,
}

impl MockStats {
    /// Fresh zeroed counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps a request body (only called when capturing is on: tests, not load runs).
    pub(crate) fn capture(&self, body: &bytes::Bytes) {
        if let Ok(mut captured) = self.captured.lock() {
            captured.push(body.clone());
        }
    }

    /// Keeps a request's headers beside its body (only when capturing is on).
    pub(crate) fn capture_headers(&self, headers: &http::HeaderMap) {
        if let Ok(mut captured) = self.captured_headers.lock() {
            captured.push(headers.clone());
        }
    }

    /// The headers of the captured generation requests, in arrival order (a session header,
    /// `Connection: close`, …).
    pub fn captured_request_headers(&self) -> Vec<http::HeaderMap> {
        self.captured_headers
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// Counts one accepted connection (over TLS, once its handshake completed).
    pub(crate) fn connection_opened(&self) {
        self.connections.fetch_add(1, Relaxed);
    }

    /// Connections accepted so far (over TLS: handshakes completed): with keep-alive, far
    /// fewer than requests.
    pub fn connections(&self) -> u64 {
        self.connections.load(Relaxed)
    }

    /// The captured request bodies, in arrival order.
    pub fn captured_requests(&self) -> Vec<bytes::Bytes> {
        self.captured.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> MockStatsSnapshot {
        let e = |ep: Endpoint| self.by_endpoint[ep as usize].load(Relaxed);
        MockStatsSnapshot {
            chat_requests: e(Endpoint::Chat),
            completions_requests: e(Endpoint::Completions),
            embeddings_requests: e(Endpoint::Embeddings),
            models_requests: e(Endpoint::Models),
            health_requests: e(Endpoint::Health),
            metrics_requests: e(Endpoint::Metrics),
            not_found_requests: e(Endpoint::NotFound),
            responses_requests: e(Endpoint::Responses),
            messages_requests: e(Endpoint::Messages),
            generate_requests: e(Endpoint::Generate) + e(Endpoint::GenerateStream),
            bad_requests: self.bad_requests.load(Relaxed),
            streaming_requests: self.streaming.load(Relaxed),
            prompt_tokens: self.prompt_tokens.load(Relaxed),
            generation_tokens: self.generation_tokens.load(Relaxed),
            successful_requests: self.success_length.load(Relaxed)
                + self.success_stop.load(Relaxed),
            faults_failed: self.faults_failed.load(Relaxed),
            faults_dropped: self.faults_dropped.load(Relaxed),
            faults_error_events: self.faults_error_events.load(Relaxed),
            max_tokens_last: self.max_tokens_last.load(Relaxed),
            max_tokens_sum: self.max_tokens_sum.load(Relaxed),
            max_tokens_count: self.max_tokens_count.load(Relaxed),
            running: self.running.load(Relaxed),
            media_image_parts: self.media_parts[MediaKind::Image as usize].load(Relaxed),
            media_audio_parts: self.media_parts[MediaKind::Audio as usize].load(Relaxed),
            media_video_parts: self.media_parts[MediaKind::Video as usize].load(Relaxed),
            rankings_requests: e(Endpoint::NimRanking)
                + e(Endpoint::Rerank)
                + e(Endpoint::TeiRerank),
            image_generation_requests: e(Endpoint::Images),
            images_generated: self.images_generated.load(Relaxed),
            image_retrieval_requests: e(Endpoint::Infer),
            image_edit_requests: e(Endpoint::ImageEdits),
            video_jobs: e(Endpoint::VideoSubmit),
            video_polls: e(Endpoint::VideoPoll),
            video_downloads: e(Endpoint::VideoContent),
            connections: self.connections.load(Relaxed),
        }
    }

    pub(crate) fn count_endpoint(&self, ep: Endpoint) {
        self.by_endpoint[ep as usize].fetch_add(1, Relaxed);
    }

    pub(crate) fn record_images(&self, n: u64) {
        self.images_generated.fetch_add(n, Relaxed);
    }

    pub(crate) fn count_bad_request(&self) {
        self.bad_requests.fetch_add(1, Relaxed);
    }

    /// The 1-based number of this inference request, for `fail_every`.
    pub(crate) fn next_inference_seq(&self) -> u64 {
        self.inference_seq.fetch_add(1, Relaxed) + 1
    }

    /// The 1-based number of this streaming request, for `drop_every`/`error_event_every`.
    pub(crate) fn next_streaming_seq(&self) -> u64 {
        self.streaming.fetch_add(1, Relaxed);
        self.streaming_seq.fetch_add(1, Relaxed) + 1
    }

    pub(crate) fn record_max_tokens(&self, n: u64) {
        self.max_tokens_last.store(n, Relaxed);
        self.max_tokens_sum.fetch_add(n, Relaxed);
        self.max_tokens_count.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_tokens(&self, prompt: u64, generated: u64) {
        self.prompt_tokens.fetch_add(prompt, Relaxed);
        self.generation_tokens.fetch_add(generated, Relaxed);
    }

    pub(crate) fn record_success(&self, length: bool) {
        let counter = if length {
            &self.success_length
        } else {
            &self.success_stop
        };
        counter.fetch_add(1, Relaxed);
    }

    /// Adds one body's media parts (skipping the atomics for the usual text-only body).
    pub(crate) fn record_media(&self, counts: MediaCounts) {
        for kind in MediaKind::ALL {
            let n = counts.get(kind);
            if n > 0 {
                self.media_parts[kind as usize].fetch_add(n, Relaxed);
            }
        }
    }

    pub(crate) fn record_failed(&self) {
        self.faults_failed.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_dropped(&self) {
        self.faults_dropped.fetch_add(1, Relaxed);
    }

    pub(crate) fn record_error_event(&self) {
        self.faults_error_events.fetch_add(1, Relaxed);
    }

    /// Adds one response's speculative-decoding steps (`tokens` at `accepted_per_step` of `k`).
    pub(crate) fn record_spec(&self, tokens: u64, k: u32, accepted_per_step: u32) {
        self.spec.record(tokens, k, accepted_per_step);
    }

    /// `(drafts, draft_tokens, accepted_tokens)` counted so far (0s without spec decode).
    pub fn spec_decode_totals(&self) -> (u64, u64, u64) {
        self.spec.totals()
    }

    /// Renders the Prometheus text exposition, with vLLM's metric names where the concept
    /// matches, so the telemetry scraper can be tested against the mock; spec-decode and DCGM
    /// series only when `config` turns them on.
    pub(crate) fn render_prometheus(&self, config: &super::config::MockConfig) -> String {
        let model = config.model.replace('\\', "\\\\").replace('"', "\\\"");
        let s = self.snapshot();
        let mut out = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        };
        let m = format!("model_name=\"{model}\"");
        metric(
            "vllm:num_requests_running",
            "gauge",
            "Number of requests currently being generated.",
            &[(m.clone(), s.running)],
        );
        metric(
            "mock:connections_total",
            "counter",
            "Connections the mock accepted (over TLS: handshakes completed).",
            &[(m.clone(), s.connections)],
        );
        metric(
            "vllm:num_requests_waiting",
            "gauge",
            "Number of requests waiting to be processed (always 0 in the mock).",
            &[(m.clone(), 0)],
        );
        metric(
            "vllm:prompt_tokens_total",
            "counter",
            "Number of prefill tokens processed (whitespace-word estimate).",
            &[(m.clone(), s.prompt_tokens)],
        );
        metric(
            "vllm:generation_tokens_total",
            "counter",
            "Number of generation tokens sent.",
            &[(m.clone(), s.generation_tokens)],
        );
        metric(
            "vllm:request_success_total",
            "counter",
            "Count of successfully processed requests.",
            &[
                (
                    format!("finished_reason=\"length\",{m}"),
                    self.success_length.load(Relaxed),
                ),
                (
                    format!("finished_reason=\"stop\",{m}"),
                    self.success_stop.load(Relaxed),
                ),
            ],
        );
        let by_endpoint: Vec<(String, u64)> = Endpoint::ALL
            .iter()
            .map(|&ep| {
                let n = self.by_endpoint[ep as usize].load(Relaxed);
                (format!("endpoint=\"{}\"", ep.label()), n)
            })
            .collect();
        metric(
            "gauntlet_mock_requests_total",
            "counter",
            "HTTP requests received, by endpoint.",
            &by_endpoint,
        );
        self.e2e_latency.render(
            &mut out,
            "vllm:e2e_request_latency_seconds",
            "Histogram of end to end request latency in seconds.",
            &m,
        );
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        };
        metric(
            "gauntlet_mock_images_generated_total",
            "counter",
            "Images sent by /v1/images/generations.",
            &[(m.clone(), s.images_generated)],
        );
        metric(
            "gauntlet_mock_faults_total",
            "counter",
            "Faults injected, by kind.",
            &[
                ("kind=\"http_500\"".to_owned(), s.faults_failed),
                ("kind=\"drop\"".to_owned(), s.faults_dropped),
                ("kind=\"error_event\"".to_owned(), s.faults_error_events),
            ],
        );
        let media: Vec<(String, u64)> = MediaKind::ALL
            .iter()
            .map(|&k| {
                let n = self.media_parts[k as usize].load(Relaxed);
                (format!("kind=\"{}\"", k.label()), n)
            })
            .collect();
        metric(
            "gauntlet_mock_media_parts_total",
            "counter",
            "Media content parts received in well-formed chat requests, by kind.",
            &media,
        );
        if let Some(spec) = &config.spec_decode {
            self.spec.render(&mut out, &m, spec.k());
        }
        if config.gpu_metrics {
            super::gpu::render_dcgm(&mut out, &s);
        }
        // A mock KV cache of MOCK_KV_SLOTS request-sized blocks: each running request holds
        // one, so the gauge follows the load the way a real server's does.
        let kv = (s.running as f64 / MOCK_KV_SLOTS).min(1.0);
        let _ = writeln!(
            out,
            "# HELP vllm:kv_cache_usage_perc KV-cache usage, 1 = full (the mock: running requests / {MOCK_KV_SLOTS}).\n# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc{{{m}}} {kv}"
        );
        out
    }
}

/// Keeps `running` up while a response is being produced; decrements on drop, so an aborted
/// connection is accounted for too.
#[derive(Debug)]
pub(crate) struct RunningGuard {
    stats: Arc<MockStats>,
    started: std::time::Instant,
}

impl RunningGuard {
    pub(crate) fn new(stats: Arc<MockStats>) -> Self {
        stats.running.fetch_add(1, Relaxed);
        Self {
            stats,
            started: std::time::Instant::now(),
        }
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.stats.running.fetch_sub(1, Relaxed);
        self.stats.e2e_latency.observe(self.started.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_in_snapshot_and_prometheus() {
        let stats = Arc::new(MockStats::new());
        stats.count_endpoint(Endpoint::Chat);
        stats.record_tokens(10, 16);
        stats.record_success(true);
        stats.record_max_tokens(16);
        stats.record_max_tokens(8);
        let guard = RunningGuard::new(stats.clone());
        let s = stats.snapshot();
        assert_eq!(s.chat_requests, 1);
        assert_eq!(
            (s.max_tokens_last, s.max_tokens_sum, s.max_tokens_count),
            (8, 24, 2)
        );
        assert_eq!(s.running, 1);
        let config = crate::mock::MockConfig {
            model: "m\"1".into(),
            ..Default::default()
        };
        let text = stats.render_prometheus(&config);
        assert!(!text.contains("spec_decode") && !text.contains("DCGM"));
        assert!(text.contains("vllm:prompt_tokens_total{model_name=\"m\\\"1\"} 10\n"));
        assert!(text.contains("vllm:generation_tokens_total{model_name=\"m\\\"1\"} 16\n"));
        assert!(text.contains("vllm:num_requests_running{model_name=\"m\\\"1\"} 1\n"));
        // One running request of the mock's 64 KV-cache slots.
        assert!(text.contains("vllm:kv_cache_usage_perc{model_name=\"m\\\"1\"} 0.015625\n"));
        assert!(text.contains(
            "vllm:request_success_total{finished_reason=\"length\",model_name=\"m\\\"1\"} 1\n"
        ));
        assert!(text.contains("# TYPE vllm:generation_tokens_total counter\n"));
        assert!(
            text.contains("gauntlet_mock_requests_total{endpoint=\"/v1/chat/completions\"} 1\n")
        );
        drop(guard);
        assert_eq!(stats.snapshot().running, 0);
        assert!(text.contains("gauntlet_mock_media_parts_total{kind=\"video\"} 0\n"));
        stats.record_media(MediaCounts([2, 1, 0]));
        stats.record_media(MediaCounts([2, 0, 3]));
        let s = stats.snapshot();
        assert_eq!(
            (
                s.media_image_parts,
                s.media_audio_parts,
                s.media_video_parts
            ),
            (4, 1, 3)
        );
        let text = stats.render_prometheus(&super::super::config::MockConfig::default());
        assert!(text.contains("# TYPE gauntlet_mock_media_parts_total counter\n"));
        assert!(text.contains("gauntlet_mock_media_parts_total{kind=\"image\"} 4\n"));
        assert!(text.contains("gauntlet_mock_media_parts_total{kind=\"audio\"} 1\n"));
    }

    #[test]
    fn sequences_count_from_one() {
        let stats = MockStats::new();
        assert_eq!(stats.next_inference_seq(), 1);
        assert_eq!(stats.next_inference_seq(), 2);
        assert_eq!(stats.next_streaming_seq(), 1);
        assert_eq!(stats.snapshot().streaming_requests, 1);
    }
}
