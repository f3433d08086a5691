//! `gauntlet profile`: AIPerf's flag names, resolved into a validated `Plan`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::values::{parse_extra_input, parse_header, parse_url, tokenizer_spec};
use crate::config::{
    Arrival, ArrivalPattern, EndpointType, LengthPlan, Phase, PhaseKind, Plan, StopRule,
    SyntheticPlan, TokenizerSpec,
};
use crate::dist::{DistSpec, SeqDist, Shape};

/// Flags of `gauntlet profile`. Names follow AIPerf's for the same concepts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Endpoint")]
pub struct ProfileArgs {
    /// Model name sent in each request.
    #[arg(short = 'm', long, visible_alias = "model-names")]
    pub model: String,

    /// Server base URL; repeat for several servers, used round-robin.
    #[arg(short = 'u', long = "url", default_value = "http://localhost:8000")]
    pub urls: Vec<String>,

    /// API to call.
    #[arg(long, value_enum, default_value_t = EndpointArg::Chat)]
    pub endpoint_type: EndpointArg,

    /// Ask for SSE streaming (needed for TTFT and ITL).
    #[arg(long)]
    pub streaming: bool,

    /// Extra HTTP header "Name: value" (or "Name:value"); repeatable. Values never reach logs
    /// or artifacts.
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,

    /// API key, sent as "Authorization: Bearer KEY". Never written to logs or artifacts.
    #[arg(long, env = "GAUNTLET_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// Extra request field "key:value" (value parsed as JSON when it is JSON) or a JSON
    /// object; repeatable.
    #[arg(long = "extra-inputs", value_name = "KEY:VALUE")]
    pub extra_inputs: Vec<String>,

    /// Per-request time limit in seconds.
    #[arg(long, default_value_t = 600.0)]
    pub request_timeout_seconds: f64,

    /// Requests in flight at once (closed loop). With --request-rate, caps the open loop.
    #[arg(long, help_heading = "Load")]
    pub concurrency: Option<u32>,

    /// Requests per second (open loop).
    #[arg(long, help_heading = "Load")]
    pub request_rate: Option<f64>,

    /// Gap distribution for --request-rate.
    #[arg(long, value_enum, default_value_t = PatternArg::Poisson, help_heading = "Load")]
    pub arrival_pattern: PatternArg,

    /// Gamma shape for --arrival-pattern gamma (1 = Poisson, larger = more regular).
    #[arg(long, default_value_t = 1.0, help_heading = "Load")]
    pub arrival_smoothness: f64,

    /// Requests to send in the profiling phase [default: 10 when no duration is given].
    #[arg(long, visible_alias = "num-requests", help_heading = "Load")]
    pub request_count: Option<u64>,

    /// Profile for this many seconds instead of a request count.
    #[arg(long, help_heading = "Load", conflicts_with = "request_count")]
    pub benchmark_duration: Option<f64>,

    /// Seconds in-flight requests may run on after --benchmark-duration before being cancelled.
    #[arg(long, default_value_t = 30.0, help_heading = "Load")]
    pub benchmark_grace_period: f64,

    /// Requests sent before profiling starts; excluded from results.
    #[arg(long, default_value_t = 0, help_heading = "Load")]
    pub warmup_request_count: u64,

    /// Mean prompt length in tokens (exact for every prompt when stddev is 0).
    #[arg(
        long,
        visible_alias = "isl",
        default_value_t = 550.0,
        help_heading = "Workload"
    )]
    pub synthetic_input_tokens_mean: f64,

    /// Standard deviation of the prompt length.
    #[arg(
        long,
        visible_alias = "isl-stddev",
        default_value_t = 0.0,
        help_heading = "Workload"
    )]
    pub synthetic_input_tokens_stddev: f64,

    /// Mean output length in tokens, sent as max_tokens [default: the server decides].
    #[arg(long, visible_alias = "osl", help_heading = "Workload")]
    pub output_tokens_mean: Option<f64>,

    /// Standard deviation of the output length.
    #[arg(
        long,
        visible_alias = "osl-stddev",
        default_value_t = 0.0,
        help_heading = "Workload"
    )]
    pub output_tokens_stddev: f64,

    /// Paired ISL/OSL mixture "ISL,OSL:PERCENT;…" (optional "|stddev" after a value), e.g.
    /// "128,64:50;512,128:50". Replaces the ISL/OSL flags.
    #[arg(
        long,
        visible_alias = "sequence-distribution",
        help_heading = "Workload"
    )]
    pub seq_dist: Option<String>,

    /// Distinct prompts to generate; requests cycle through them.
    #[arg(
        long,
        visible_alias = "num-conversations",
        default_value_t = 100,
        help_heading = "Workload"
    )]
    pub num_dataset_entries: u32,

    /// Seed for every random choice; the same seed gives a byte-identical workload.
    #[arg(long, default_value_t = 0, help_heading = "Workload")]
    pub random_seed: u64,

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

    /// Failed-request percentage still treated as success for the exit code.
    #[arg(long, default_value_t = 0.0, help_heading = "Output")]
    pub tolerated_error_rate: f64,

    /// Client runtime threads [default: the number of cores].
    #[arg(long, help_heading = "Engine")]
    pub client_threads: Option<usize>,
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
}

/// `--arrival-pattern` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PatternArg {
    /// Exponential gaps.
    Poisson,
    /// Equal gaps.
    Constant,
    /// Gamma gaps shaped by --arrival-smoothness.
    Gamma,
}

/// A flag value that cannot make a valid plan.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{flag}: {message}")]
pub struct FlagError {
    /// The flag, as the user typed it.
    pub flag: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

pub(super) fn flag_err(flag: &'static str, message: impl Into<String>) -> FlagError {
    FlagError {
        flag,
        message: message.into(),
    }
}

impl ProfileArgs {
    /// Resolves and validates the flags into a `Plan`.
    pub fn into_plan(self, cli_command: String) -> Result<Plan, FlagError> {
        let urls = self
            .urls
            .iter()
            .map(|u| parse_url(u))
            .collect::<Result<Vec<_>, _>>()?;
        let endpoint = match self.endpoint_type {
            EndpointArg::Chat => EndpointType::Chat,
            EndpointArg::Completions => EndpointType::Completions,
            EndpointArg::Embeddings => EndpointType::Embeddings,
        };
        if let Some(c) = self.concurrency {
            if c == 0 {
                return Err(flag_err("--concurrency", "must be at least 1"));
            }
        }
        if let Some(rate) = self.request_rate {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(flag_err(
                    "--request-rate",
                    format!("must be a positive number, got {rate}"),
                ));
            }
        }
        if !(self.arrival_smoothness.is_finite() && self.arrival_smoothness > 0.0) {
            return Err(flag_err(
                "--arrival-smoothness",
                "must be a positive number",
            ));
        }
        let pattern = match self.arrival_pattern {
            PatternArg::Poisson => ArrivalPattern::Poisson,
            PatternArg::Constant => ArrivalPattern::Constant,
            PatternArg::Gamma => ArrivalPattern::Gamma {
                smoothness: self.arrival_smoothness,
            },
        };
        let concurrency = match (self.concurrency, self.request_rate) {
            (None, None) => Some(1),
            (c, _) => c,
        };
        let arrival = Arrival {
            concurrency,
            request_rate: self.request_rate,
            pattern,
        };
        let stop = match (self.request_count, self.benchmark_duration) {
            (Some(0), _) => return Err(flag_err("--request-count", "must be at least 1")),
            (Some(n), _) => StopRule::Count { requests: n },
            (None, Some(secs)) => StopRule::Duration {
                duration: positive_secs("--benchmark-duration", secs)?,
                grace: non_negative_secs("--benchmark-grace-period", self.benchmark_grace_period)?,
            },
            (None, None) => StopRule::Count { requests: 10 },
        };
        let mut phases = Vec::new();
        if self.warmup_request_count > 0 {
            phases.push(Phase {
                name: "warmup".into(),
                kind: PhaseKind::Warmup,
                arrival,
                stop: StopRule::Count {
                    requests: self.warmup_request_count,
                },
            });
        }
        phases.push(Phase {
            name: "profiling".into(),
            kind: PhaseKind::Profiling,
            arrival,
            stop,
        });
        let lengths = match &self.seq_dist {
            Some(text) => LengthPlan::Paired {
                seq_dist: SeqDist::parse(text, "--seq-dist")
                    .map_err(|e| flag_err("--seq-dist", e.to_string()))?,
            },
            None => {
                let isl = length(
                    "--synthetic-input-tokens-mean",
                    self.synthetic_input_tokens_mean,
                    self.synthetic_input_tokens_stddev,
                )?;
                let osl = self
                    .output_tokens_mean
                    .map(|mean| length("--output-tokens-mean", mean, self.output_tokens_stddev))
                    .transpose()?;
                LengthPlan::Independent { isl, osl }
            }
        };
        if self.num_dataset_entries == 0 {
            return Err(flag_err("--num-dataset-entries", "must be at least 1"));
        }
        let extra_inputs = self
            .extra_inputs
            .iter()
            .map(|s| parse_extra_input(s))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        let headers = self
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        let tokenizer = match self.tokenizer {
            None => TokenizerSpec::Builtin,
            Some(t) => tokenizer_spec(&t),
        };
        let request_timeout =
            positive_secs("--request-timeout-seconds", self.request_timeout_seconds)?;
        if !(0.0..=100.0).contains(&self.tolerated_error_rate) {
            return Err(flag_err(
                "--tolerated-error-rate",
                "must be a percentage between 0 and 100",
            ));
        }
        if self.client_threads == Some(0) {
            return Err(flag_err("--client-threads", "must be at least 1"));
        }
        let artifact_dir = self.output_artifact_dir.unwrap_or_else(|| {
            let load = match (arrival.request_rate, arrival.concurrency) {
                (Some(r), _) => format!("request_rate{r}"),
                (None, c) => format!("concurrency{}", c.unwrap_or(1)),
            };
            let model = self.model.replace(['/', '\\', ' '], "_");
            PathBuf::from("artifacts")
                .join(format!("{model}-openai-{}-{load}", endpoint_name(endpoint)))
        });
        Ok(Plan {
            model: self.model,
            urls,
            endpoint,
            streaming: self.streaming,
            phases,
            synthetic: SyntheticPlan {
                lengths,
                entries: self.num_dataset_entries,
            },
            tokenizer,
            corpus: self.corpus,
            random_seed: self.random_seed,
            extra_inputs,
            headers,
            api_key: self.api_key,
            request_timeout,
            artifact_dir,
            tolerated_error_rate_pct: self.tolerated_error_rate,
            cli_command,
            client_threads: self
                .client_threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        })
    }
}

fn endpoint_name(endpoint: EndpointType) -> &'static str {
    match endpoint {
        EndpointType::Chat => "chat",
        EndpointType::Completions => "completions",
        EndpointType::Embeddings => "embeddings",
    }
}

/// A normal length distribution (AIPerf's mean/stddev flags), at least 1 token.
fn length(flag: &'static str, mean: f64, stddev: f64) -> Result<DistSpec, FlagError> {
    if !(mean.is_finite() && mean >= 1.0) {
        return Err(flag_err(flag, format!("must be at least 1, got {mean}")));
    }
    if !(stddev.is_finite() && stddev >= 0.0) {
        return Err(flag_err(
            flag,
            format!("the stddev must be finite and ≥ 0, got {stddev}"),
        ));
    }
    let shape = if stddev == 0.0 {
        Shape::Fixed { value: mean }
    } else {
        Shape::Normal { mean, stddev }
    };
    DistSpec::new(shape, None, None, flag).map_err(|e| flag_err(flag, e.to_string()))
}

fn positive_secs(flag: &'static str, secs: f64) -> Result<Duration, FlagError> {
    if secs.is_finite() && secs > 0.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(flag_err(
            flag,
            format!("must be a positive number of seconds, got {secs}"),
        ))
    }
}

fn non_negative_secs(flag: &'static str, secs: f64) -> Result<Duration, FlagError> {
    if secs.is_finite() && secs >= 0.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(flag_err(
            flag,
            format!("must be zero or a positive number of seconds, got {secs}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ProfileArgs,
    }

    fn plan(args: &[&str]) -> Result<Plan, FlagError> {
        let mut full = vec!["profile", "--model", "m"];
        full.extend_from_slice(args);
        Wrapper::try_parse_from(full)
            .unwrap()
            .args
            .into_plan(String::new())
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
        assert_eq!(err.flag, "--seq-dist");
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
            plan(&["--concurrency", "0"]).unwrap_err().flag,
            "--concurrency"
        );
        assert_eq!(
            plan(&["--request-rate=-3"]).unwrap_err().flag,
            "--request-rate"
        );
        assert_eq!(
            plan(&["--request-count", "0"]).unwrap_err().flag,
            "--request-count"
        );
        assert_eq!(
            plan(&["--benchmark-duration", "0"]).unwrap_err().flag,
            "--benchmark-duration"
        );
        assert_eq!(
            plan(&["--extra-inputs", "nocolon"]).unwrap_err().flag,
            "--extra-inputs"
        );
        assert_eq!(plan(&["--header", "nocolon"]).unwrap_err().flag, "--header");
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
