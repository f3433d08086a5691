//! `gauntlet profile`: AIPerf's flag names, resolved into a validated `Plan`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::flag_error::FlagError;
use crate::config::{ConfigError, ConfigErrors, ConfigFile, Plan};

/// Flags of `gauntlet profile`. Names follow AIPerf's for the same concepts.
///
/// Values a `--config` file can also set are `Option`s with no clap default (the default is in
/// the help text and `config::defaults`), so "given on the command line" is known. The flags
/// become `config::settings::Settings` (each value's origin its flag); config's resolver lays
/// them over the file's and applies the defaults and every rule.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Endpoint")]
pub struct ProfileArgs {
    /// AIPerf YAML v2 config file; flags given beside it override its values
    /// (see docs/config.md).
    #[arg(
        short = 'f',
        long = "config",
        value_name = "FILE.yaml",
        help_heading = "Config"
    )]
    pub config: Option<PathBuf>,

    /// Model name sent in each request; a comma list (or the flag repeated) gives several,
    /// shared out by --model-selection-strategy. Left out (here and in --config), the server's
    /// first GET /v1/models entry is used.
    #[arg(
        short = 'm',
        long,
        visible_alias = "model-names",
        value_delimiter = ','
    )]
    pub model: Vec<String>,

    /// Server base URL; repeat for several servers, used round-robin
    /// [default: http://localhost:8000].
    #[arg(short = 'u', long = "url")]
    pub urls: Vec<String>,

    /// API to call [default: chat].
    #[arg(long, value_enum)]
    pub endpoint_type: Option<EndpointArg>,

    /// Ask for SSE streaming (needed for TTFT and ITL).
    #[arg(long)]
    pub streaming: bool,

    /// Extra HTTP header "Name: value" (or "Name:value"); repeatable. Values never reach logs
    /// or artifacts.
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,

    /// API key, sent as "Authorization: Bearer KEY" ("x-api-key: KEY" with "anthropic-version:
    /// 2023-06-01" for --endpoint-type messages). Never written to logs or artifacts.
    #[arg(long, env = "GAUNTLET_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// Extra request field "key:value" (value parsed as JSON when it is JSON) or a JSON
    /// object; repeatable.
    #[arg(long = "extra-inputs", value_name = "KEY:VALUE")]
    pub extra_inputs: Vec<String>,

    /// Model selection, the request path and the readiness wait.
    #[command(flatten)]
    pub models: super::model_args::ModelArgs,

    /// Trace replay and multi-turn routing.
    #[command(flatten)]
    pub schedule: super::schedule_args::ScheduleArgs,

    /// Connection reuse, the session header and the user-centric rate.
    #[command(flatten)]
    pub connections: super::connection_args::ConnectionArgs,

    /// `--calibrate`.
    #[command(flatten)]
    pub calibrate: super::calibrate::CalibrateFlag,

    /// Per-request time limit in seconds [default: 600].
    #[arg(long)]
    pub request_timeout_seconds: Option<f64>,

    /// Response body bytes one request may receive; past it the request fails as
    /// ResponseTooLarge and its connection is dropped [default: 67108864 (64 MiB)].
    #[arg(long, value_name = "BYTES")]
    pub max_response_bytes: Option<u64>,

    /// A PEM file of CA certificates to trust for https:// URLs, besides the system store
    /// (which SSL_CERT_FILE / SSL_CERT_DIR replace). For a server with a self-signed or
    /// private-CA certificate, e.g. `mock-server --tls`'s.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<std::path::PathBuf>,

    /// Do not verify the server's TLS certificate (any certificate, any name, expired or not).
    /// For test servers only; gauntlet says so once on stderr.
    #[arg(long)]
    pub insecure: bool,

    /// video_generation: seconds between two polls of a job's status (GET /v1/videos/{id})
    /// [default: 0.1, as AIPerf's AIPERF_HTTP_VIDEO_POLL_INTERVAL].
    #[arg(long, value_name = "SECONDS")]
    pub video_poll_interval: Option<f64>,

    /// video_generation: once a job is completed, download the video (its `url`, or
    /// /v1/videos/{id}/content) and count it in the request's latency and bytes.
    #[arg(long)]
    pub download_video_content: bool,

    /// Requests in flight at once (closed loop). With --request-rate, caps the open loop
    /// [default: 1 when no rate is given]. A comma list (8,16,32) is a sweep: one run each.
    #[arg(long, help_heading = "Load", value_delimiter = ',', num_args = 1)]
    pub concurrency: Vec<u32>,

    /// Requests per second (open loop). A comma list (1,2,4) is a sweep: one run each.
    #[arg(long, help_heading = "Load", value_delimiter = ',', num_args = 1)]
    pub request_rate: Vec<f64>,

    /// Runs of the same plan; with more than one, every metric is reported with its mean and
    /// confidence interval across runs [default: 1].
    #[arg(long, help_heading = "Load")]
    pub num_profile_runs: Option<u32>,

    /// Confidence level of the across-runs intervals [default: 0.95].
    #[arg(long, help_heading = "Load")]
    pub confidence_level: Option<f64>,

    /// Seconds to pause between repeated runs [default: 0].
    #[arg(long, help_heading = "Load")]
    pub profile_run_cooldown_seconds: Option<f64>,

    /// Gap distribution for --request-rate [default: poisson].
    #[arg(long, value_enum, help_heading = "Load")]
    pub arrival_pattern: Option<PatternArg>,

    /// Gamma shape for --arrival-pattern gamma (1 = Poisson, larger = more regular)
    /// [default: 1].
    #[arg(long, help_heading = "Load")]
    pub arrival_smoothness: Option<f64>,

    /// Requests to send in the profiling phase; with multi-turn sessions each turn is one
    /// request, and the last sessions are cut short at the count [default: 10 when no
    /// duration is given; with sessions or an input file, the dataset once]. A comma list is
    /// a sweep.
    #[arg(
        long,
        visible_alias = "num-requests",
        help_heading = "Load",
        value_delimiter = ',',
        num_args = 1
    )]
    pub request_count: Vec<u64>,

    /// Profile for this many seconds instead of a request count. A comma list is a sweep.
    #[arg(
        long,
        help_heading = "Load",
        conflicts_with = "request_count",
        value_delimiter = ',',
        num_args = 1
    )]
    pub benchmark_duration: Vec<f64>,

    /// How the comma lists of several flags combine: grid (every combination) or zip (the
    /// i-th values together; the lists have the same length) [default: grid].
    #[arg(long, value_enum, help_heading = "Load")]
    pub sweep_type: Option<super::sweep_type::SweepTypeArg>,

    /// Seconds in-flight requests may run on after --benchmark-duration before being
    /// cancelled [default: 30].
    #[arg(long, help_heading = "Load")]
    pub benchmark_grace_period: Option<f64>,

    /// Requests sent before profiling starts; excluded from results [default: 0].
    #[arg(long, visible_alias = "num-warmup-requests", help_heading = "Load")]
    pub warmup_request_count: Option<u64>,

    /// Percentage (0-100) of the measured requests to cancel on purpose: each is sent in
    /// full, then its connection is dropped --request-cancellation-delay seconds later unless
    /// it has finished. Which requests follows from --random-seed. Counted as cancelled, apart
    /// from errors, and left out of the latency statistics.
    #[arg(long, help_heading = "Load")]
    pub request_cancellation_rate: Option<f64>,

    /// Seconds after a request is sent before it is cancelled (0 = send it, then disconnect
    /// at once); needs --request-cancellation-rate [default: 0].
    #[arg(long, help_heading = "Load")]
    pub request_cancellation_delay: Option<f64>,

    /// Stop the run, like Ctrl-C, once requests fail: a fraction below 1 (AIPerf's form: more
    /// than that share of the finished requests failed, checked once max(concurrency, 10)
    /// have finished) or a whole count of failed requests. Exits 4.
    #[arg(long, help_heading = "Load")]
    pub failed_request_threshold: Option<f64>,

    /// Mean prompt length in tokens (exact for every prompt when stddev is 0) [default: 550].
    /// A comma list is a sweep.
    #[arg(
        long,
        visible_alias = "isl",
        help_heading = "Workload",
        value_delimiter = ',',
        num_args = 1
    )]
    pub synthetic_input_tokens_mean: Vec<f64>,

    /// Standard deviation of the prompt length [default: 0]. A comma list is a sweep.
    #[arg(
        long,
        visible_alias = "isl-stddev",
        help_heading = "Workload",
        value_delimiter = ',',
        num_args = 1
    )]
    pub synthetic_input_tokens_stddev: Vec<f64>,

    /// Mean output length in tokens, sent as max_tokens [default: the server decides]. A
    /// comma list is a sweep.
    #[arg(
        long,
        visible_alias = "osl",
        help_heading = "Workload",
        value_delimiter = ',',
        num_args = 1
    )]
    pub output_tokens_mean: Vec<f64>,

    /// Standard deviation of the output length [default: 0]. A comma list is a sweep.
    #[arg(
        long,
        visible_alias = "osl-stddev",
        help_heading = "Workload",
        value_delimiter = ',',
        num_args = 1
    )]
    pub output_tokens_stddev: Vec<f64>,

    /// Paired ISL/OSL mixture "ISL,OSL:PERCENT;…" (optional "|stddev" after a value), e.g.
    /// "128,64:50;512,128:50". Replaces the ISL/OSL flags.
    #[arg(
        long,
        visible_alias = "sequence-distribution",
        help_heading = "Workload"
    )]
    pub seq_dist: Option<String>,

    /// Distinct prompts to generate; requests cycle through them [default: 100].
    #[arg(long, visible_alias = "num-conversations", help_heading = "Workload")]
    pub num_dataset_entries: Option<u32>,

    /// Seed for every random choice; the same seed gives a byte-identical workload
    /// [default: 0].
    #[arg(long, help_heading = "Workload")]
    pub random_seed: Option<u64>,

    /// Tokenizer: a tokenizer.json, a folder holding one, or a Hugging Face model id
    /// [default: the shipped Qwen2.5 tokenizer].
    #[arg(long, help_heading = "Workload")]
    pub tokenizer: Option<String>,

    /// Text corpus for synthetic prompts [default: the shipped Shakespeare corpus].
    #[arg(long, help_heading = "Workload")]
    pub corpus: Option<PathBuf>,

    /// Where to write the artifacts [default: artifacts/<model>-openai-<endpoint>-<load>].
    #[arg(long, help_heading = "Output")]
    pub output_artifact_dir: Option<PathBuf>,

    /// Failed-request percentage still treated as success for the exit code [default: 0].
    #[arg(long, help_heading = "Output")]
    pub tolerated_error_rate: Option<f64>,

    /// Client runtime threads [default: the number of cores].
    #[arg(long, help_heading = "Engine")]
    pub client_threads: Option<usize>,

    /// Multi-turn sessions (docs/sessions.md).
    #[command(flatten)]
    pub sessions: super::session_args::SessionArgs,

    /// Ramps, the prefill cap and the warmup's shape (src/cli/shape_args.rs).
    #[command(flatten)]
    pub shape: super::shape_args::ShapeArgs,

    /// Input-file flags (`--input-file`, `--custom-dataset-type`, `--synthesis-*`).
    #[command(flatten)]
    pub files: super::dataset_args::DatasetFileArgs,

    /// Shared prefixes and output-length control (src/cli/prefix_args.rs).
    #[command(flatten)]
    pub prefix: super::prefix_args::PrefixArgs,

    /// Public datasets (`--public-dataset`, docs/speed-bench.md).
    #[command(flatten)]
    pub public: super::public_args::PublicDatasetArgs,

    /// Server metrics and GPU telemetry (docs/telemetry.md).
    #[command(flatten)]
    pub telemetry: super::telemetry_args::TelemetryArgs,

    /// Synthetic images and audio (src/cli/media_args.rs).
    #[command(flatten)]
    pub media: super::media_args::MediaArgs,

    /// Synthetic video (src/cli/video_args.rs).
    #[command(flatten)]
    pub video: super::video_args::VideoArgs,

    /// Worker mode and the common start (docs/scale-out.md).
    #[command(flatten)]
    pub scale_out: super::scale_out_args::ScaleOutArgs,

    /// Rankings query and passages (src/cli/rankings_args.rs).
    #[command(flatten)]
    pub rankings: super::rankings_args::RankingsArgs,

    /// After the run, draw its charts into <artifact dir>/plots/ and write
    /// <artifact dir>/report.html (a sweep: in the sweep's folder), as `gauntlet plot` does
    /// (docs/plots.md). A chart that cannot be written is reported like any artifact.
    #[arg(long, help_heading = "Output")]
    pub auto_plot: bool,

    /// How much of the workload inputs.json holds: every request body (full), the first 100
    /// sessions' (sample), or no file (none) — a replay of a 100 GB trace need not write
    /// 100 GB [default: full].
    #[arg(long, value_enum, value_name = "WHICH", help_heading = "Output")]
    pub export_inputs: Option<ExportInputsArg>,
    /// Goodput and time slices (src/cli/results_args.rs).
    #[command(flatten)]
    pub results: super::results_args::ResultsArgs,
    /// What the run shows on stderr while it runs: `simple`, the progress line with the
    /// achieved rate, requests in flight, errors and running p50 TTFT; `dashboard`, a
    /// full-screen terminal view (docs/dashboard.md); `none`, nothing. Both views need stderr
    /// to be a terminal [default: simple].
    #[arg(long, visible_alias = "ui", value_enum, help_heading = "Output")]
    pub ui_type: Option<UiArg>,
}

/// `--ui-type` values (AIPerf's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UiArg {
    /// A full-screen dashboard: latency percentiles, throughput over time, errors, telemetry.
    Dashboard,
    /// The progress line.
    Simple,
    /// No progress display.
    None,
}

impl From<UiArg> for crate::run::live::UiType {
    fn from(arg: UiArg) -> Self {
        match arg {
            UiArg::Dashboard => Self::Dashboard,
            UiArg::Simple => Self::Simple,
            UiArg::None => Self::None,
        }
    }
}

/// `--endpoint-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EndpointArg {
    /// /v1/chat/completions
    Chat,
    /// /v1/completions
    Completions,
    /// /v1/embeddings
    Embeddings,
    /// NVIDIA NIM reranker, /v1/ranking (query + passages; --rankings-*)
    #[value(name = "nim_rankings")]
    NimRankings,
    /// Cohere rerank, /v1/rerank (llama-server --reranking, vLLM)
    #[value(name = "cohere_rankings")]
    CohereRankings,
    /// Hugging Face TEI rerank, /rerank
    #[value(name = "hf_tei_rankings")]
    HfTeiRankings,
    /// NIM embeddings, /v1/embeddings with input_type
    #[value(name = "nim_embeddings")]
    NimEmbeddings,
    /// vLLM chat-style embeddings, /v1/embeddings with messages (media allowed)
    #[value(name = "chat_embeddings")]
    ChatEmbeddings,
    /// OpenAI image generation, /v1/images/generations
    #[value(name = "image_generation")]
    ImageGeneration,
    /// /v1/responses (OpenAI Responses API)
    Responses,
    /// /v1/messages (Anthropic Messages API; --api-key is sent as x-api-key)
    Messages,
    /// /generate, /generate_stream when streaming (Hugging Face TGI)
    #[value(name = "huggingface_generate")]
    HuggingfaceGenerate,
    /// NIM image retrieval (object detection), /v1/infer; needs --image-width/height-mean
    #[value(name = "image_retrieval")]
    ImageRetrieval,
    /// AIPerf's SOLIDO RAG: refused in one line (its API is not public)
    #[value(name = "solido_rag", hide = true)]
    SolidoRag,
    /// OpenAI / SGLang video generation, /v1/videos: a job polled at /v1/videos/{id} until
    /// completed (--video-poll-interval, --download-video-content)
    #[value(name = "video_generation")]
    VideoGeneration,
    /// A body from a Jinja2 template (--extra-inputs payload_template:…), posted to the
    /// --url's own path; response_field:<JMESPath> says where the reply's text is
    Template,
    /// Each --input-file line sent as the body, as it is, to the --url's own path
    Raw,
    /// OpenAI / SGLang image edit, /v1/images/edits: a multipart/form-data upload of one of
    /// the workload's images with the prompt; needs --image-width/height-mean
    #[value(name = "image_edit")]
    ImageEdit,
}

pub use super::shape_args::PatternArg;

/// Why `profile` (or `config validate`) could not make a plan.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A flag value is invalid.
    #[error(transparent)]
    Flag(#[from] FlagError),
    /// The config file has problems (every one of them, with file, line and key).
    #[error(transparent)]
    Config(#[from] ConfigErrors),
}

impl ProfileArgs {
    /// Reads the `--config` file (if any) and resolves it with the flags into a `Plan`,
    /// refusing files that ask for features not implemented yet.
    pub fn into_plan(self, cli_command: String) -> Result<Plan, ProfileError> {
        let (plan, unsupported) = self.load(cli_command)?;
        if unsupported.is_empty() {
            Ok(plan)
        } else {
            Err(ConfigErrors(unsupported).into())
        }
    }

    /// Like [`ProfileArgs::into_plan`], but returns the keys that ask for unsupported
    /// features beside the plan instead of failing (what `config validate` reports).
    pub fn load(self, cli_command: String) -> Result<(Plan, Vec<ConfigError>), ProfileError> {
        let settings = match &self.config {
            Some(path) => Some(ConfigFile::read(path)?.resolve()?),
            None => None,
        };
        let unsupported = settings
            .as_ref()
            .map(|s| s.unsupported.clone())
            .unwrap_or_default();
        let plan = self.resolve(settings, cli_command)?;
        Ok((plan, unsupported))
    }
}

/// Resolves a YAML v2 config given as text (JSON, being YAML, too) into a `Plan`, as
/// `profile --config FILE` with no other flag would: the same parser, resolver and refusals.
/// `name` stands for the file in messages; `artifact_dir` is `--output-artifact-dir`'s (`None`:
/// the CLI's default folder). A file with `sweep:` is refused (it is many runs). For
/// embedders (the C ABI in `ffi/`).
pub fn plan_from_text(
    text: &str,
    name: &str,
    artifact_dir: Option<PathBuf>,
) -> Result<Plan, ProfileError> {
    let file = ConfigFile::parse(text, name)?;
    if file.variations()?.is_some() {
        return Err(ConfigErrors(vec![ConfigError::at(
            name,
            0,
            "sweep",
            "a sweep is many runs; give one variation's config (run sweeps with `gauntlet profile --config`)".to_string(),
        )])
        .into());
    }
    let settings = file.resolve()?;
    if !settings.unsupported.is_empty() {
        return Err(ConfigErrors(settings.unsupported.clone()).into());
    }
    let args = ProfileArgs {
        output_artifact_dir: artifact_dir,
        ..ProfileArgs::default()
    };
    Ok(args.resolve(Some(settings), format!("(embedded) {name}"))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LengthPlan, PhaseKind, StopRule};
    use crate::dist::DistSpec;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ProfileArgs,
    }

    #[test]
    fn plan_from_text_is_the_config_loader() {
        let yaml = "schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  endpoint: {url: \"http://127.0.0.1:9\"}\n  phases:\n    - {type: concurrency, concurrency: 3, requests: 7}\n";
        let json = r#"{"schemaVersion": "2.0", "benchmark": {"model": "m", "endpoint": {"url": "http://127.0.0.1:9"}, "phases": [{"type": "concurrency", "concurrency": 3, "requests": 7}]}}"#;
        let dir = PathBuf::from("/tmp/x");
        let value = |p: &Plan| serde_json::to_value(p).unwrap();
        let from_yaml = plan_from_text(yaml, "a", Some(dir.clone())).unwrap();
        let from_json = plan_from_text(json, "a", Some(dir.clone())).unwrap();
        let cli = Wrapper::parse_from(["p", "--output-artifact-dir", "/tmp/x"]).args;
        let file = ConfigFile::parse(yaml, "a").unwrap().resolve().unwrap();
        let as_cli = cli.resolve(Some(file), "(embedded) a".to_string()).unwrap();
        assert_eq!(value(&from_yaml), value(&as_cli));
        assert_eq!(value(&from_yaml), value(&from_json));
        assert_eq!(from_yaml.artifact_dir, dir);
        assert_eq!(from_yaml.phases[0].arrival.concurrency, Some(3));
        let sweep =
            format!("{yaml}sweep:\n  parameters:\n    benchmark.phases[0].concurrency: [1, 2]\n");
        let err = plan_from_text(&sweep, "s.yaml", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("s.yaml") && err.contains("sweep"), "{err}");
        let err = plan_from_text(
            "schemaVersion: \"2.0\"\nbenchmark:\n  modle: m\n",
            "b.yaml",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("b.yaml:3: benchmark.modle"), "{err}");
    }

    fn plan(args: &[&str]) -> Result<Plan, FlagError> {
        // The resolver is config's; these tests hold that the flags reach it.
        let mut full = vec!["profile", "--model", "m"];
        full.extend_from_slice(args);
        Wrapper::try_parse_from(full)
            .unwrap()
            .args
            .resolve(None, String::new())
    }

    #[test]
    fn defaults_are_aiperf_like() {
        let p = plan(&[]).unwrap();
        assert_eq!(p.urls[0].host, "localhost");
        assert_eq!(p.urls[0].port, 8000);
        assert_eq!(p.phases.len(), 1);
        assert_eq!(p.phases[0].stop, StopRule::Count { requests: 10 });
        assert_eq!(p.phases[0].arrival.concurrency, Some(1));
        assert_eq!(
            p.synthetic.lengths,
            LengthPlan::Independent {
                isl: DistSpec::fixed(550.0, "x").unwrap(),
                osl: None
            }
        );
    }

    #[test]
    fn aliases_and_warmup_make_phases() {
        let p = plan(&[
            "--isl",
            "100",
            "--osl",
            "16",
            "--warmup-request-count",
            "5",
            "--request-count",
            "50",
            "--concurrency",
            "8",
        ])
        .unwrap();
        assert_eq!(p.phases.len(), 2);
        assert_eq!(p.phases[0].kind, PhaseKind::Warmup);
        assert_eq!(p.phases[0].stop, StopRule::Count { requests: 5 });
        assert_eq!(p.phases[1].stop, StopRule::Count { requests: 50 });
        assert_eq!(
            p.synthetic.lengths,
            LengthPlan::Independent {
                isl: DistSpec::fixed(100.0, "x").unwrap(),
                osl: Some(DistSpec::fixed(16.0, "x").unwrap())
            }
        );
    }

    #[test]
    fn seq_dist_replaces_the_length_flags() {
        let p = plan(&["--seq-dist", "128,64:50;512,128:50"]).unwrap();
        assert!(matches!(p.synthetic.lengths, LengthPlan::Paired { .. }));
        let err = plan(&["--seq-dist", "128,64:50;512,128:40"]).unwrap_err();
        assert_eq!(err.name(), "--seq-dist");
        assert!(err.message.contains("100"), "{err}");
        let p = plan(&["--isl", "100", "--isl-stddev", "10"]).unwrap();
        match p.synthetic.lengths {
            LengthPlan::Independent { isl, .. } => {
                assert_eq!(isl.to_string(), "normal(mean=100, stddev=10)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_values_name_their_flag() {
        assert_eq!(
            plan(&["--concurrency", "0"]).unwrap_err().name(),
            "--concurrency"
        );
        assert_eq!(
            plan(&["--request-rate=-3"]).unwrap_err().name(),
            "--request-rate"
        );
        assert_eq!(
            plan(&["--request-count", "0"]).unwrap_err().name(),
            "--request-count"
        );
        assert_eq!(
            plan(&["--benchmark-duration", "0"]).unwrap_err().name(),
            "--benchmark-duration"
        );
        assert_eq!(
            plan(&["--extra-inputs", "nocolon"]).unwrap_err().name(),
            "--extra-inputs"
        );
        assert_eq!(
            plan(&["--header", "nocolon"]).unwrap_err().name(),
            "--header"
        );
    }

    #[test]
    fn extra_inputs_parse_json_values_and_objects() {
        let p = plan(&[
            "--extra-inputs",
            "temperature:0.5",
            "--extra-inputs",
            "stop:end",
            "--extra-inputs",
            "{\"top_p\":0.9,\"n\":1}",
        ])
        .unwrap();
        let map: std::collections::HashMap<_, _> = p.extra_inputs.into_iter().collect();
        assert_eq!(map["temperature"], serde_json::json!(0.5));
        assert_eq!(map["stop"], serde_json::json!("end"));
        assert_eq!(map["top_p"], serde_json::json!(0.9));
        assert_eq!(map["n"], serde_json::json!(1));
    }

    #[test]
    fn header_errors_do_not_echo_secrets() {
        let err = plan(&["--header", "Bearer-sk-very-secret-token"]).unwrap_err();
        assert!(!err.to_string().contains("very-secret"), "{err}");
    }
}

/// `--export-inputs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportInputsArg {
    /// Every request body.
    Full,
    /// The first 100 sessions' bodies.
    Sample,
    /// No inputs.json.
    None,
}
