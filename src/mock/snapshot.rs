//! The plain copy of the mock's counters that tests read and `/metrics` renders from. It
//! lives apart from the counters themselves so the DCGM renderer (`gpu.rs`) can read it
//! without importing `stats.rs`, which calls that renderer.

/// A plain copy of [`MockStats`](super::MockStats) at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MockStatsSnapshot {
    /// `POST /v1/chat/completions` requests.
    pub chat_requests: u64,
    /// `POST /v1/completions` requests.
    pub completions_requests: u64,
    /// `POST /v1/embeddings` requests.
    pub embeddings_requests: u64,
    /// `GET /v1/models` requests.
    pub models_requests: u64,
    /// `GET /health` requests.
    pub health_requests: u64,
    /// `GET /metrics` requests.
    pub metrics_requests: u64,
    /// Requests to unknown paths or with the wrong method.
    pub not_found_requests: u64,
    /// Requests answered 400.
    pub bad_requests: u64,
    /// Generation requests with `"stream": true` (not failed with a 500).
    pub streaming_requests: u64,
    /// Sum of estimated prompt tokens over served generation and embedding requests.
    pub prompt_tokens: u64,
    /// Sum of generated tokens actually sent.
    pub generation_tokens: u64,
    /// Generation requests served to completion (no fault).
    pub successful_requests: u64,
    /// Requests answered 500 by `fail_every`.
    pub faults_failed: u64,
    /// Streams cut by `drop_every`.
    pub faults_dropped: u64,
    /// Streams that carried an error event (`error_event_every`).
    pub faults_error_events: u64,
    /// The last `max_tokens`/`max_completion_tokens` a request carried (0 if none yet).
    pub max_tokens_last: u64,
    /// Sum of `max_tokens` over the requests that carried one.
    pub max_tokens_sum: u64,
    /// Requests that carried `max_tokens`/`max_completion_tokens`.
    pub max_tokens_count: u64,
    /// Generation requests whose response has not finished yet.
    pub running: u64,
    /// `image_url` parts received in well-formed chat requests.
    pub media_image_parts: u64,
    /// `input_audio` parts received in well-formed chat requests.
    pub media_audio_parts: u64,
    /// `video_url` parts received in well-formed chat requests.
    pub media_video_parts: u64,
    /// `POST /v1/ranking`, `/v1/rerank` (and `/v2/rerank`) and `/rerank` requests.
    pub rankings_requests: u64,
    /// `POST /v1/images/generations` requests.
    pub image_generation_requests: u64,
    /// Images sent by `/v1/images/generations`.
    pub images_generated: u64,
    /// `POST /v1/responses` requests.
    pub responses_requests: u64,
    /// `POST /v1/messages` requests.
    pub messages_requests: u64,
    /// `POST /generate` and `POST /generate_stream` requests.
    pub generate_requests: u64,
    /// `POST /v1/infer` (image retrieval) requests; their images count in `media_image_parts`.
    pub image_retrieval_requests: u64,
    /// `POST /v1/images/edits` requests; the image each uploads counts in `media_image_parts`,
    /// the images each answers in `images_generated`.
    pub image_edit_requests: u64,
    /// `POST /v1/videos` requests (video jobs submitted).
    pub video_jobs: u64,
    /// `GET /v1/videos/{id}` requests (status polls).
    pub video_polls: u64,
    /// `GET /v1/videos/{id}/content` requests (videos downloaded).
    pub video_downloads: u64,
    /// Connections accepted (over TLS: handshakes completed).
    pub connections: u64,
}

impl MockStatsSnapshot {
    /// All injected faults together.
    pub fn faults_injected(&self) -> u64 {
        self.faults_failed + self.faults_dropped + self.faults_error_events
    }
}
