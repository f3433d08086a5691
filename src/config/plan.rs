//! The validated, fully resolved description of a run. Library code sees only this, never
//! clap types or raw strings that should be enums.

use std::path::PathBuf;
use std::time::Duration;

use crate::dist::{DistSpec, SeqDist};

/// Which OpenAI-compatible API the requests target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    /// `/v1/chat/completions`
    Chat,
    /// `/v1/completions`
    Completions,
    /// `/v1/embeddings`
    Embeddings,
    /// NVIDIA NIM reranker, `/v1/ranking` (src/config/endpoint_kinds.rs).
    NimRankings,
    /// Cohere rerank, `/v1/rerank`.
    CohereRankings,
    /// Hugging Face TEI rerank, `/rerank`.
    HfTeiRankings,
    /// NIM embeddings, `/v1/embeddings` with `input_type`.
    NimEmbeddings,
    /// vLLM chat-style embeddings, `/v1/embeddings` with `messages`.
    ChatEmbeddings,
    /// OpenAI image generation, `/v1/images/generations`.
    ImageGeneration,
    /// `/v1/responses` (OpenAI Responses API)
    Responses,
    /// `/v1/messages` (Anthropic Messages API)
    Messages,
    /// `/generate`, `/generate_stream` when streaming (Hugging Face TGI)
    HuggingfaceGenerate,
    /// NIM image retrieval (object detection), `/v1/infer`
    ImageRetrieval,
    /// A user body template (`payload_template`), posted to the URL's own path
    /// (src/config/template_plan.rs).
    Template,
    /// Each line of `--input-file` sent as it is, to the URL's own path.
    Raw,
    /// OpenAI / SGLang image edit, `/v1/images/edits` (a `multipart/form-data` upload).
    ImageEdit,
    /// OpenAI / SGLang video generation, `/v1/videos`: a job, polled at `/v1/videos/{id}`
    /// until it is completed (src/engine/video_job.rs).
    VideoGeneration,
}

impl EndpointType {
    /// The request path under the server's base URL.
    pub fn path(self) -> &'static str {
        match self {
            EndpointType::Chat => "/v1/chat/completions",
            EndpointType::Completions => "/v1/completions",
            EndpointType::Embeddings => "/v1/embeddings",
            EndpointType::NimRankings => "/v1/ranking",
            EndpointType::CohereRankings => "/v1/rerank",
            EndpointType::HfTeiRankings => "/rerank",
            EndpointType::NimEmbeddings | EndpointType::ChatEmbeddings => "/v1/embeddings",
            EndpointType::ImageGeneration => "/v1/images/generations",
            EndpointType::Responses => "/v1/responses",
            EndpointType::Messages => "/v1/messages",
            EndpointType::HuggingfaceGenerate => "/generate",
            EndpointType::ImageRetrieval => "/v1/infer",
            // The URL's path as given (AIPerf's `--url http://host/custom-endpoint`).
            EndpointType::Template | EndpointType::Raw => "",
            EndpointType::ImageEdit => "/v1/images/edits",
            EndpointType::VideoGeneration => "/v1/videos",
        }
    }

    /// The request path when streaming or not: TGI streams from its own route.
    pub fn path_for(self, streaming: bool) -> &'static str {
        match self {
            EndpointType::HuggingfaceGenerate if streaming => "/generate_stream",
            _ => self.path(),
        }
    }

    /// Whether responses carry generated tokens (embeddings, rankings and images do not).
    pub fn produces_tokens(self) -> bool {
        !matches!(
            self,
            EndpointType::Embeddings
                | EndpointType::NimRankings
                | EndpointType::CohereRankings
                | EndpointType::HfTeiRankings
                | EndpointType::NimEmbeddings
                | EndpointType::ChatEmbeddings
                | EndpointType::ImageGeneration
                | EndpointType::ImageRetrieval
                | EndpointType::ImageEdit
                | EndpointType::VideoGeneration
        )
    }
}

/// A server address, split once so the engine never parses URLs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerUrl {
    /// `https://`: the connection speaks TLS (see [`TlsPlan`]).
    pub tls: bool,
    /// As the user wrote it (for labels).
    pub original: String,
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path prefix before the endpoint path (no trailing slash), e.g. "" or "/proxy".
    pub base_path: String,
    /// The URL's query with its `?` (e.g. `?api-version=1`), sent after the endpoint path;
    /// empty when there is none.
    pub query: String,
    /// `Authorization: Basic …` from the URL's `user:password@`, never serialized or printed.
    #[serde(skip)]
    pub basic_auth: Option<BasicAuth>,
}

/// The value of an `Authorization: Basic base64(user:password)` header taken from a URL's
/// userinfo. `Debug` prints `***`, so a plan printed for debugging holds no password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth(pub String);

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BasicAuth(***)")
    }
}

/// How inter-arrival gaps are drawn for a rate-driven phase.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ArrivalPattern {
    /// Exponential gaps (a Poisson process).
    Poisson,
    /// Equal gaps of 1/rate.
    Constant,
    /// Gamma-distributed gaps with mean 1/rate; `smoothness` is the shape (1 = Poisson,
    /// larger = more regular).
    Gamma {
        /// The gamma shape parameter.
        smoothness: f64,
    },
}

/// When requests are released.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Arrival {
    /// At most this many requests in flight (closed loop when no rate is set).
    pub concurrency: Option<u32>,
    /// Requests per second (open loop), capped by `concurrency` when both are set.
    pub request_rate: Option<f64>,
    /// Gap distribution for `request_rate`.
    pub pattern: ArrivalPattern,
}

/// When a phase stops issuing requests.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum StopRule {
    /// After this many requests have been sent (session turns, in a multi-turn run: the
    /// last sessions may be cut short).
    Count {
        /// Requests in the phase.
        requests: u64,
    },
    /// After this many whole sessions of a multi-turn workload (the dataset sent once, a
    /// replayed trace); a single-turn workload reads it as a request count.
    Sessions {
        /// Sessions in the phase.
        sessions: u64,
    },
    /// After this long; requests in flight then get `grace` to finish before being cancelled.
    Duration {
        /// Length of the phase.
        #[serde(with = "secs")]
        duration: Duration,
        /// How long in-flight requests may run on after `duration`.
        #[serde(with = "secs")]
        grace: Duration,
    },
}

/// What a phase is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    /// Warms the server up; excluded from results.
    Warmup,
    /// Measured.
    Profiling,
}

/// One phase of the run; phases run one after another.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Phase {
    /// Name used in records and reports ("warmup", "profiling").
    pub name: String,
    /// Warmup or profiling.
    pub kind: PhaseKind,
    /// Release rule.
    pub arrival: Arrival,
    /// Stop rule.
    pub stop: StopRule,
    /// Cancellation on purpose and the failed-request threshold (measured phases only).
    #[serde(flatten)]
    pub controls: super::RequestControls,
    /// Ramps and the prefill cap.
    #[serde(flatten)]
    pub shape: super::LoadShape,
}

impl Phase {
    /// Whether records from this phase are left out of the results.
    pub fn excluded_from_results(&self) -> bool {
        self.kind == PhaseKind::Warmup
    }
}

/// How prompt and output lengths are drawn.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum LengthPlan {
    /// ISL and OSL drawn independently.
    Independent {
        /// Input sequence length (prompt tokens).
        isl: DistSpec,
        /// Output sequence length, sent as `max_tokens`; `None` lets the server decide.
        osl: Option<DistSpec>,
    },
    /// (ISL, OSL) pairs drawn together from a `--seq-dist` mixture.
    Paired {
        /// The mixture.
        seq_dist: SeqDist,
    },
}

/// Synthetic prompt generation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SyntheticPlan {
    /// Prompt and output lengths.
    pub lengths: LengthPlan,
    /// Distinct prompts to generate; request `i` uses entry `i % entries`. With sessions:
    /// the number of sessions.
    pub entries: u32,
    /// Multi-turn sessions; `None` = independent single-turn requests.
    pub sessions: Option<super::SessionPlan>,
    /// Shared prefixes and the output-length hint (see docs/datasets.md).
    pub prompt: PromptPlan,
}

/// Which shared prefix root prompts start with, so a server's prefix (KV) cache can be
/// exercised on purpose. The two modes are exclusive: each defines the whole prompt's layout.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum PrefixPlan {
    /// Every prompt is its own text.
    #[default]
    None,
    /// AIPerf's prefix pool: `pool_size` distinct prefixes of exactly `length` tokens; each
    /// root prompt is one of them followed by its own text of the sampled ISL.
    Pool {
        /// Tokens in each prefix.
        length: u32,
        /// Distinct prefixes.
        pool_size: u32,
    },
    /// Veeksha's shared prefix: with probability `probability` a root prompt's first
    /// round(`ratio` × ISL) tokens are the start of one text shared by the whole run.
    Shared {
        /// Fraction of each prompt's tokens taken from the shared text, in 0..=1.
        ratio: f64,
        /// Probability that a root prompt uses the shared text at all, in 0..=1.
        probability: f64,
    },
}

/// How synthetic prompts are shaped beyond their lengths.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PromptPlan {
    /// Shared prefixes for root prompts.
    pub prefix: PrefixPlan,
    /// Append "Generate exactly N tokens." to prompts that have a `max_tokens`, for servers that
    /// honour neither `min_tokens` nor `ignore_eos`; the hint is counted in `input_tokens`.
    pub osl_prompt_hint: bool,
}

/// How each request asks the server for its output length.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutputLengthPlan {
    /// Body field that carries the output budget (`max_tokens`, `max_completion_tokens`, …).
    pub max_tokens_param: String,
    /// Also send `min_tokens` equal to the budget (vLLM and SGLang honour it).
    pub min_tokens: bool,
    /// Send `"ignore_eos": true`, so the model does not stop before the budget.
    pub ignore_eos: bool,
}

impl Default for OutputLengthPlan {
    fn default() -> Self {
        Self {
            max_tokens_param: "max_tokens".into(),
            min_tokens: false,
            ignore_eos: false,
        }
    }
}

/// Which tokenizer to load.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum TokenizerSpec {
    /// The Qwen2.5 tokenizer shipped in `assets/`.
    Builtin,
    /// A local `tokenizer.json`, or a folder holding one.
    Path(PathBuf),
    /// A Hugging Face hub model id (read from the local hub cache, else downloaded).
    Hub(String),
}

/// Which server a session's turns go to when there are several `--url`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionRouting {
    /// Every turn of a session goes to the same server, so its prefix cache can help.
    #[default]
    Sticky,
    /// Turns are spread round-robin by request index, like single-turn requests.
    RoundRobin,
}

/// Trace replay: requests leave at the workload's timestamps instead of a rate or a
/// concurrency (AIPerf's `--fixed-schedule`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FixedSchedule {
    /// Trace time (ms) of the first request to send; earlier requests are skipped.
    pub start_offset_ms: Option<u64>,
    /// Trace time (ms) after which requests are skipped.
    pub end_offset_ms: Option<u64>,
    /// Start the clock at the first kept request's timestamp rather than at trace time 0.
    pub auto_offset: bool,
    /// Replay this many times faster than the trace (2.0 halves every gap).
    pub speedup: f64,
}

/// Everything needed to run one benchmark.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Model name sent in every request.
    pub model: String,
    /// Servers, used round-robin by request index.
    pub urls: Vec<ServerUrl>,
    /// API flavour.
    pub endpoint: EndpointType,
    /// Whether to ask for SSE streaming.
    pub streaming: bool,
    /// Phases in order (a warmup phase first when requested).
    pub phases: Vec<Phase>,
    /// Prompt generation.
    pub synthetic: SyntheticPlan,
    /// Tokenizer for prompts and for counting output tokens when the server sends no usage.
    pub tokenizer: TokenizerSpec,
    /// Corpus for synthetic prompts; `None` = the shipped Shakespeare corpus.
    pub corpus: Option<PathBuf>,
    /// Root seed.
    pub random_seed: u64,
    /// Extra top-level fields merged into every request body.
    pub extra_inputs: Vec<(String, serde_json::Value)>,
    /// The body template and reply field of `--endpoint-type template`.
    pub template: Option<super::template_plan::TemplatePlan>,
    /// `raw`'s `--extra-inputs response_field:<JMESPath>`: where a reply's text is.
    pub raw_response_field: Option<String>,
    /// `--endpoint-type raw`: the `--input-file` whose lines are sent as the bodies.
    pub raw_payloads: Option<PathBuf>,
    /// No request count or duration was given: a multi-turn or file workload is sent once
    /// (every session or entry), as AIPerf does; synthetic single-turn runs keep the default
    /// count.
    pub send_dataset_once: bool,
    /// Measure the harness's overhead before the run and write `calibration.json`.
    pub calibrate: bool,
    /// Trace replay at the workload's timestamps, replacing the profiling phases' arrivals.
    pub fixed_schedule: Option<FixedSchedule>,
    /// Where the turns of a multi-turn session go when there are several servers.
    pub session_routing: SessionRouting,
    /// When connections are closed, and the session header (`--connection-reuse-strategy`,
    /// `--session-header`).
    pub connection: super::ConnectionPlan,
    /// AIPerf's user-centric rate, replacing the profiling phases' arrivals.
    pub user_centric: Option<super::UserCentric>,
    /// Extra HTTP headers (values are never written to artifacts).
    #[serde(serialize_with = "redact_headers")]
    pub headers: Vec<(String, String)>,
    /// Bearer token (never written to artifacts or logs).
    #[serde(serialize_with = "redact_secret")]
    pub api_key: Option<String>,
    /// Per-request time limit.
    #[serde(with = "secs")]
    pub request_timeout: Duration,
    /// Response body bytes one request may receive; past it the request fails
    /// (`ResponseTooLarge`) and its connection is dropped.
    pub max_response_bytes: u64,
    /// How `https://` URLs are trusted.
    pub tls: super::TlsPlan,
    /// How video jobs are followed (`video_generation` only; `None` for every other type).
    pub video_job: Option<VideoJobPlan>,
    /// Where artifacts go.
    pub artifact_dir: PathBuf,
    /// Highest failed-request percentage that still exits 0.
    pub tolerated_error_rate_pct: f64,
    /// The command line as typed, with secrets redacted (for `run_info`).
    pub cli_command: String,
    /// Threads of the client runtime.
    pub client_threads: usize,
    /// A user dataset file to build the workload from instead of synthetic prompts.
    pub input: Option<super::InputFilePlan>,
    /// How requests ask for their output length.
    pub output_length: OutputLengthPlan,
    /// A public dataset (`--public-dataset`, e.g. SPEED-Bench) to build the workload from.
    pub public_dataset: Option<super::PublicDatasetPlan>,
    /// A public vision dataset (`--public-dataset mmstar|mmvu|vision_arena|llava_onevision`):
    /// each row's question with its image(s) or video.
    pub vision_dataset: Option<super::VisionDatasetPlan>,
    /// Server metrics and GPU telemetry to collect during the run.
    pub telemetry: super::TelemetryPlan,
    /// Synthetic images and audio sent with each prompt (docs/media.md).
    pub media: super::MediaPlan,
    /// Synthetic videos attached to root requests; `None` = no video.
    pub video: Option<super::VideoPlan>,
    /// Every model requests name (`model` is the first) and how each request gets one.
    pub models: super::ModelPlan,
    /// `--custom-endpoint`: the request path instead of the endpoint type's own.
    pub custom_endpoint: Option<String>,
    /// `--wait-for-model-timeout` and friends: wait for the servers before the clock starts.
    pub wait_for_model: Option<super::WaitForModel>,
    /// Query and passage shapes for the rankings endpoint types; `None` for every other type.
    pub rankings: Option<super::RankingsPlan>,
    /// `--auto-plot`: charts and report.html written into the artifact folder after the other
    /// artifacts (a flag only; not part of the resolved config's JSON).
    #[serde(skip)]
    pub auto_plot: bool,
    /// `--export-inputs`: how much of the workload `inputs.json` holds (a flag only).
    #[serde(skip)]
    pub export_inputs: ExportInputs,
    /// `--goodput` objectives and `--slice-duration` time slices.
    pub results: super::ResultsPlan,
    /// `--worker-count`, `--worker-index`, `--start-at` (docs/scale-out.md; flags only).
    #[serde(skip)]
    pub scale_out: super::ScaleOut,
    /// `--dataset-sampling-strategy`: the order an input file's or public dataset's entries
    /// are sent in; `None` keeps the file order, wrapping (docs/datasets.md).
    pub dataset_sampling: Option<super::SamplingStrategy>,
}

impl Plan {
    /// The path requests go to under each server's base URL: `--custom-endpoint` when given,
    /// else the endpoint type's own (TGI's streaming route when streaming).
    pub fn request_path(&self) -> &str {
        let path = self
            .custom_endpoint
            .as_deref()
            .unwrap_or_else(|| self.endpoint.path_for(self.streaming));
        // A template or raw run to a bare `http://host:port` posts to `/`.
        if path.is_empty() && self.urls.iter().any(|u| u.base_path.is_empty()) {
            return "/";
        }
        path
    }
}

fn redact_headers<S: serde::Serializer>(
    headers: &[(String, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(headers.len()))?;
    for (name, _) in headers {
        map.serialize_entry(name, "<redacted>")?;
    }
    map.end()
}

fn redact_secret<S: serde::Serializer>(key: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match key {
        Some(_) => s.serialize_str("<redacted>"),
        None => s.serialize_none(),
    }
}

mod secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

/// How a `video_generation` request follows its job: the submit answers with a job id, which
/// is polled at `{path}/{id}` until its `status` is `completed` (or `failed`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct VideoJobPlan {
    /// Pause between two polls (`--video-poll-interval`).
    #[serde(with = "secs")]
    pub poll_interval: Duration,
    /// Download the finished video before the request counts as done
    /// (`--download-video-content`).
    pub download_content: bool,
}

/// How much of the workload `inputs.json` holds (`--export-inputs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportInputs {
    /// Every request body (AIPerf's only behaviour).
    #[default]
    Full,
    /// The bodies of the first [`ExportInputs::SAMPLE_SESSIONS`] sessions.
    Sample,
    /// No `inputs.json`.
    None,
}

impl ExportInputs {
    /// Sessions (single requests count as one each) `sample` keeps.
    pub const SAMPLE_SESSIONS: usize = 100;
}
