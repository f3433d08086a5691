//! Every setting a run can be given, from the command line or a config file, each value with
//! where it came from ([`Origin`]: `--isl`, or `bench.yaml:12: benchmark.dataset.isl`), and the
//! one resolver that turns them into a validated [`Plan`](super::Plan).
//!
//! Both front ends fill a [`Settings`]: `cli` from the flags (each value's origin is its flag),
//! [`Settings::from_file`] from a config file. [`Settings::over`] lays the flags over the file,
//! and [`Settings::resolve`] applies every default ([`super::defaults`]) and every rule, so a
//! YAML file alone resolves to a plan and an error names the flag or the file line that gave
//! the value at fault. Groups only flags can set (public datasets, telemetry, trace replay, and
//! the flag-only members of the others) hold plain values: their origin is always their flag.

mod conflicts;
#[cfg(test)]
mod conflicts_tests;
mod connections;
#[cfg(test)]
mod file_keys_tests;
mod from_file;
mod input;
mod lengths;
mod media;
mod models;
mod phases;
mod prefix;
mod public;
mod public_vision;
mod rankings;
mod resolve;
mod schedule;
mod sessions;
mod shape;
#[cfg(test)]
mod shape_tests;
mod telemetry;
#[cfg(test)]
mod tests;
mod tls;
mod video;
mod video_job;

use std::fmt;
use std::path::PathBuf;

pub use connections::ConnectionSettings;
pub use input::{CustomDatasetType, InputSettings};
pub use media::MediaSettings;
pub use prefix::PrefixSettings;
pub use public::PublicSettings;
pub use rankings::RankingsSettings;
pub use resolve::Resolved;
pub use schedule::ScheduleSettings;
pub use sessions::SessionSettings;
pub use shape::{ShapeSettings, WarmupSettings, WARMUP_WAITS_FOR_EVERY_REPLY};
pub use telemetry::TelemetrySettings;
pub use video::VideoSettings;

use super::{EndpointType, ModelSelection, Phase, WaitMode};
use crate::dist::{DistSpec, SeqDist};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, as its long name (`--isl` is `--synthetic-input-tokens-mean`).
    Flag(&'static str),
    /// A config file key: the file as named, its line (0 when the value has none, e.g. one a
    /// sweep set) and the dotted key path.
    Key {
        /// The file as the user named it.
        file: String,
        /// 1-based line, or 0.
        line: usize,
        /// Dotted key path, e.g. `benchmark.dataset.isl`.
        path: String,
    },
}

impl Origin {
    /// The flag or the key path alone, for naming the other side of a conflict.
    pub fn name(&self) -> &str {
        match self {
            Origin::Flag(flag) => flag,
            Origin::Key { path, .. } => path,
        }
    }

    /// The flag, or the key with its file and line (`bench.yaml:12 benchmark.model`).
    pub fn described(&self) -> String {
        match self {
            Origin::Flag(flag) => (*flag).to_string(),
            Origin::Key { file, line, path } if *line > 0 => format!("{path} ({file}:{line})"),
            Origin::Key { file, path, .. } => format!("{path} ({file})"),
        }
    }
}

impl fmt::Display for Origin {
    /// `--flag`, or `file:line: key.path` (`file: key.path` without a line).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => f.write_str(flag),
            Origin::Key { file, line, path } if *line > 0 => write!(f, "{file}:{line}: {path}"),
            Origin::Key { file, path, .. } => write!(f, "{file}: {path}"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Given<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub from: Origin,
}

impl<T> Given<T> {
    /// `value` given by `flag`.
    pub fn flag(flag: &'static str, value: T) -> Self {
        Self {
            value,
            from: Origin::Flag(flag),
        }
    }
}

/// An optional setting with its origin.
pub type Opt<T> = Option<Given<T>>;

/// Wraps an optional flag value with its flag.
pub fn flag<T>(flag: &'static str, value: Option<T>) -> Opt<T> {
    value.map(|v| Given::flag(flag, v))
}

/// A setting whose value cannot make a valid plan: where it came from and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{from}: {message}")]
pub struct SettingError {
    /// The flag or file key that gave the value.
    pub from: Origin,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl SettingError {
    /// An error about the value `from` gave.
    pub fn new(from: &Origin, message: impl Into<String>) -> Self {
        Self {
            from: from.clone(),
            message: message.into(),
        }
    }

    /// An error about a flag's value.
    pub fn flag(flag: &'static str, message: impl Into<String>) -> Self {
        Self {
            from: Origin::Flag(flag),
            message: message.into(),
        }
    }

    /// The flag or key path at fault.
    pub fn name(&self) -> &str {
        self.from.name()
    }
}

/// A value of `--extra-inputs` or `benchmark.endpoint.extra_inputs`.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtraInput {
    /// `key:value` or a JSON object, as typed on the command line.
    Text(String),
    /// One field of the file's mapping.
    Field(String, serde_json::Value),
}

/// `--arrival-pattern` (or a phase's `smoothness`, which means gamma).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternChoice {
    /// Exponential gaps.
    Poisson,
    /// Equal gaps.
    Constant,
    /// Gamma gaps shaped by the smoothness.
    Gamma,
}

/// Every setting of a `profile` run; `None` (or empty) where nothing set it.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Model names in order (a comma list is split by the resolver); none given: the CLI asks
    /// the server's `/v1/models` before resolving.
    pub model: Opt<Vec<String>>,
    /// How a request gets one of several models.
    pub model_selection: Opt<ModelSelection>,
    /// Request path replacing the endpoint type's (`--custom-endpoint`).
    pub custom_endpoint: Opt<String>,
    /// Readiness wait, seconds (0 = no wait).
    pub wait_for_model_timeout: Opt<f64>,
    /// What the readiness wait checks.
    pub wait_for_model_mode: Opt<WaitMode>,
    /// Seconds between readiness attempts.
    pub wait_for_model_interval: Opt<f64>,
    /// Server URLs, as written.
    pub urls: Opt<Vec<String>>,
    /// API to call.
    pub endpoint: Opt<EndpointType>,
    /// SSE streaming.
    pub streaming: Opt<bool>,
    /// API key (a secret: never in a message).
    pub api_key: Opt<String>,
    /// Headers `Name: value` in order; a later one replaces an earlier one of the same name.
    pub headers: Vec<Given<String>>,
    /// Extra request fields in order; a later one replaces an earlier one of the same key.
    pub extra_inputs: Vec<Given<ExtraInput>>,
    /// Per-request time limit in seconds.
    pub request_timeout_s: Opt<f64>,
    /// Response body bytes one request may receive.
    pub max_response_bytes: Opt<u64>,
    /// A PEM file of CAs trusted for `https://` URLs, besides the system store.
    pub ca_cert: Opt<PathBuf>,
    /// Skip TLS certificate verification.
    pub insecure: Opt<bool>,
    /// Seconds between two polls of a video job's status.
    pub video_poll_interval_s: Opt<f64>,
    /// Download each completed video.
    pub download_video_content: Opt<bool>,
    /// Tokenizer: a path or a hub id.
    pub tokenizer: Option<String>,
    /// Text corpus for synthetic prompts.
    pub corpus: Option<PathBuf>,
    /// Where the artifacts go.
    pub artifact_dir: Option<PathBuf>,
    /// Failed-request percentage still a success.
    pub tolerated_error_rate: Opt<f64>,
    /// Client runtime threads.
    pub client_threads: Opt<usize>,
    /// `--calibrate`.
    pub calibrate: bool,
    /// The file's phases.
    pub phases: Opt<Vec<Phase>>,
    /// Closed-loop concurrency, applied to every measured phase.
    pub concurrency: Opt<u32>,
    /// Open-loop rate, applied to every measured phase.
    pub request_rate: Opt<f64>,
    /// Gap distribution.
    pub arrival_pattern: Opt<PatternChoice>,
    /// Gamma shape.
    pub arrival_smoothness: Opt<f64>,
    /// Requests of the profiling phase.
    pub request_count: Opt<u64>,
    /// Seconds of the profiling phase.
    pub benchmark_duration: Opt<f64>,
    /// Grace seconds after a duration.
    pub grace_period: Opt<f64>,
    /// Warmup requests.
    pub warmup_request_count: Opt<u64>,
    /// Percentage of measured requests to cancel on purpose (every measured phase).
    pub cancellation_rate: Opt<f64>,
    /// Seconds after a request is sent before it is cancelled.
    pub cancellation_delay: Opt<f64>,
    /// Failed-request threshold: a fraction below 1 or a whole count.
    pub failed_request_threshold: Opt<f64>,
    /// Runs of the same plan.
    pub num_profile_runs: Opt<u32>,
    /// Confidence level across runs.
    pub confidence_level: Opt<f64>,
    /// Pause between runs, seconds.
    pub cooldown_s: Opt<f64>,
    /// ISL mean (flag).
    pub isl_mean: Opt<f64>,
    /// ISL stddev (flag).
    pub isl_stddev: Opt<f64>,
    /// OSL mean (flag).
    pub osl_mean: Opt<f64>,
    /// OSL stddev (flag).
    pub osl_stddev: Opt<f64>,
    /// `--seq-dist` text.
    pub seq_dist_text: Opt<String>,
    /// The file's ISL distribution.
    pub isl: Opt<DistSpec>,
    /// The file's OSL distribution.
    pub osl: Opt<DistSpec>,
    /// The file's paired mixture.
    pub seq_dist: Opt<SeqDist>,
    /// Distinct prompts.
    pub entries: Opt<u32>,
    /// Root seed.
    pub random_seed: Opt<u64>,
    /// Multi-turn sessions.
    pub sessions: SessionSettings,
    /// Images and audio.
    pub media: MediaSettings,
    /// Video.
    pub video: VideoSettings,
    /// Prefixes and output length.
    pub prefix: PrefixSettings,
    /// Public datasets (flags only).
    pub public: PublicSettings,
    /// Telemetry (flags only).
    pub telemetry: TelemetrySettings,
    /// Trace replay and routing (flags only).
    pub schedule: ScheduleSettings,
    /// Input files.
    pub input: InputSettings,
    /// Rankings query and passages.
    pub rankings: RankingsSettings,
    /// `--goodput` and `--slice-duration` (flags only).
    pub results: super::ResultsSettings,
    /// Connection reuse, the session header and the user-centric rate (flags only).
    pub connections: ConnectionSettings,
    /// Ramps, the prefill cap and the warmup's shape (flags only).
    pub shape: ShapeSettings,
}

/// `a` where given, else `b`: the rule of every setting both sides can give.
fn pick<T>(a: Opt<T>, b: Opt<T>) -> Opt<T> {
    a.or(b)
}

impl Settings {
    /// These settings (the flags) laid over `file`'s: a value given here wins; headers and
    /// extra inputs are the file's followed by these (a later one of the same name wins).
    pub fn over(self, file: Settings) -> Settings {
        let mut headers = file.headers;
        headers.extend(self.headers);
        let mut extra_inputs = file.extra_inputs;
        extra_inputs.extend(self.extra_inputs);
        Settings {
            model: pick(self.model, file.model),
            model_selection: pick(self.model_selection, file.model_selection),
            custom_endpoint: pick(self.custom_endpoint, file.custom_endpoint),
            wait_for_model_timeout: pick(self.wait_for_model_timeout, file.wait_for_model_timeout),
            wait_for_model_mode: pick(self.wait_for_model_mode, file.wait_for_model_mode),
            wait_for_model_interval: pick(
                self.wait_for_model_interval,
                file.wait_for_model_interval,
            ),
            urls: pick(self.urls, file.urls),
            endpoint: pick(self.endpoint, file.endpoint),
            streaming: pick(self.streaming, file.streaming),
            api_key: pick(self.api_key, file.api_key),
            headers,
            extra_inputs,
            request_timeout_s: pick(self.request_timeout_s, file.request_timeout_s),
            max_response_bytes: pick(self.max_response_bytes, file.max_response_bytes),
            ca_cert: pick(self.ca_cert, file.ca_cert),
            insecure: pick(self.insecure, file.insecure),
            video_poll_interval_s: pick(self.video_poll_interval_s, file.video_poll_interval_s),
            download_video_content: pick(self.download_video_content, file.download_video_content),
            tokenizer: self.tokenizer.or(file.tokenizer),
            corpus: self.corpus.or(file.corpus),
            artifact_dir: self.artifact_dir.or(file.artifact_dir),
            tolerated_error_rate: pick(self.tolerated_error_rate, file.tolerated_error_rate),
            client_threads: pick(self.client_threads, file.client_threads),
            calibrate: self.calibrate || file.calibrate,
            phases: pick(self.phases, file.phases),
            concurrency: pick(self.concurrency, file.concurrency),
            request_rate: pick(self.request_rate, file.request_rate),
            arrival_pattern: pick(self.arrival_pattern, file.arrival_pattern),
            arrival_smoothness: pick(self.arrival_smoothness, file.arrival_smoothness),
            request_count: pick(self.request_count, file.request_count),
            benchmark_duration: pick(self.benchmark_duration, file.benchmark_duration),
            grace_period: pick(self.grace_period, file.grace_period),
            warmup_request_count: pick(self.warmup_request_count, file.warmup_request_count),
            cancellation_rate: pick(self.cancellation_rate, file.cancellation_rate),
            cancellation_delay: pick(self.cancellation_delay, file.cancellation_delay),
            failed_request_threshold: pick(
                self.failed_request_threshold,
                file.failed_request_threshold,
            ),
            num_profile_runs: pick(self.num_profile_runs, file.num_profile_runs),
            confidence_level: pick(self.confidence_level, file.confidence_level),
            cooldown_s: pick(self.cooldown_s, file.cooldown_s),
            isl_mean: pick(self.isl_mean, file.isl_mean),
            isl_stddev: pick(self.isl_stddev, file.isl_stddev),
            osl_mean: pick(self.osl_mean, file.osl_mean),
            osl_stddev: pick(self.osl_stddev, file.osl_stddev),
            seq_dist_text: pick(self.seq_dist_text, file.seq_dist_text),
            isl: pick(self.isl, file.isl),
            osl: pick(self.osl, file.osl),
            seq_dist: pick(self.seq_dist, file.seq_dist),
            entries: pick(self.entries, file.entries),
            random_seed: pick(self.random_seed, file.random_seed),
            sessions: self.sessions.over(file.sessions),
            media: self.media.over(file.media),
            video: self.video.over(file.video),
            prefix: self.prefix.over(file.prefix),
            public: self.public.over(file.public),
            telemetry: self.telemetry,
            schedule: self.schedule,
            connections: self.connections,
            input: self.input.over(file.input),
            rankings: self.rankings.over(file.rankings),
            results: self.results,
            shape: self.shape,
        }
    }
}
