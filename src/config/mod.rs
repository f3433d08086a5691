//! The run's configuration: the resolved [`Plan`] and its validation, AIPerf's YAML v2
//! config file ([`ConfigFile`] → [`FileSettings`]), whose errors name file, line and key, and
//! the one resolver ([`settings::Settings`], filled by flags and files alike → `Plan`).
//!
//! This is the contract between the front ends and the rest of the crate: every part of the
//! plan (sessions, input files, public datasets, telemetry, …) and every default
//! ([`defaults`]) is defined here, so a YAML file alone resolves to a `Plan`, and config
//! imports nothing downstream of it.

mod connection_plan;
mod controls_plan;
mod dataset;
pub mod defaults;
mod detect;
mod endpoint_kinds;
mod error;
mod file;
mod file_dataset;
mod file_models;
#[cfg(test)]
mod file_tests;
mod input_plan;
mod limits;
mod media_plan;
mod model_plan;
mod phase_shape;
mod phases;
mod plan;
mod public_plan;
mod public_sets;
mod results_plan;
mod sampling_plan;
mod scale_out;
mod schema_keys;
mod session_plan;
pub mod settings;
mod shape_plan;
mod sweep;
#[cfg(test)]
mod sweep_tests;
mod telemetry_plan;
pub mod template_plan;
pub mod template_vars;
mod tls_plan;
mod url;
mod variations;
mod video_plan;
mod vision_plan;
mod walk;
pub mod yaml;

pub use connection_plan::{
    check_session_header, ConnectionPlan, ConnectionReuse, UserCentric, MAX_SESSION_HEADER_LEN,
};
pub use controls_plan::{
    request_cancellation, CancellationField, FailureThreshold, RequestCancellation,
    RequestControls, FAILURE_RATIO_MIN_SAMPLE,
};
pub use dataset::DatasetSettings;
pub use defaults::*;
pub use detect::detect_format;
pub use endpoint_kinds::{refused_type_reason, RankingsPlan, ENDPOINT_TYPE_NAMES};
pub use error::{ConfigError, ConfigErrors};
pub use file::{ConfigFile, FileSettings};
pub use file_dataset::{FileKeys, PrefixKeys, VideoKeys};
pub use input_plan::{InputFilePlan, InputFormat, SynthesisPlan, TraceFlavor};
pub use limits::{MAX_LINE_BYTES, MAX_PROMPT_TOKENS};
pub use media_plan::{
    AudioFormat, AudioPlan, ImageFormatChoice, ImagePlan, MediaPlan, AUDIO_DEPTHS, MP3_RATES_HZ,
};
pub use media_plan::{ImageSource, SourceSampling};
pub use model_plan::{check_custom_endpoint, ModelPlan, ModelSelection, WaitForModel, WaitMode};
pub use plan::*;
pub use public_plan::{
    PublicDatasetPlan, SpeedBenchVariant, CATEGORIES, ENTROPY_TIERS, THROUGHPUT_ISLS,
};
pub use public_sets::{HubFile, PromptField, PublicDataset, TextSet, SHAREGPT_FILE, TEXT_SETS};
pub use results_plan::{parse_goodput, ResultsPlan, ResultsSettings, Slo};
pub use sampling_plan::SamplingStrategy;
pub use scale_out::{ScaleOut, StartAt, WorkerShare};
pub use schema_keys::REPEAT_KEYS;
pub use session_plan::{
    SessionGraphSpec, SessionPlan, SessionPlanError, SpecKeys, WaitSpec, MAX_TURNS,
};
pub use shape_plan::{ramp_secs, ramp_start_rate, LoadShape, RATE_RAMP_STEP_SECS};
pub use sweep::{Sweep, SweepKind, SweepParameter, MAX_VARIATIONS};
pub use telemetry_plan::TelemetryPlan;
pub use tls_plan::{read_ca_certs, TlsPlan};
pub use url::{redact_userinfo, HttpUrl};
pub use variations::FileVariation;
pub use video_plan::{SynthType, VideoCodec, VideoContainer, VideoPlan};
pub use vision_plan::{VisionDataset, VisionDatasetPlan};
