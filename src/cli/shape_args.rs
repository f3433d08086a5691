//! AIPerf's ramp, prefill and warmup flags (its Load Generator and Warmup groups) as
//! settings; config lays them over the phases (docs/profile.md, "Ramps, prefill, warmup").

use clap::{Args, ValueEnum};

use crate::config::settings::{flag, PatternChoice, ShapeSettings, WarmupSettings};

/// Ramps, the prefill cap, and the warmup phase's own stop rule and shape.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Load shape")]
pub struct ShapeArgs {
    /// Seconds over which concurrency rises from 1 to --concurrency, one request at a time
    /// at even steps; the requests sent meanwhile are marked `in_ramp` in the JSONL.
    #[arg(long, value_name = "SECONDS")]
    pub concurrency_ramp_duration: Option<f64>,

    /// Seconds over which the request rate rises on a line to --request-rate, from
    /// rate × 0.1 s / duration (AIPerf's start); the requests sent meanwhile are marked
    /// `in_ramp` in the JSONL.
    #[arg(long, value_name = "SECONDS")]
    pub request_rate_ramp_duration: Option<f64>,

    /// At most this many requests sent and still waiting for their first token (the first
    /// event of the streamed reply); the others wait to be sent. Needs --streaming; at most
    /// --concurrency.
    #[arg(long, value_name = "N")]
    pub prefill_concurrency: Option<u32>,

    /// Seconds over which the --prefill-concurrency cap rises from 1.
    #[arg(long, value_name = "SECONDS")]
    pub prefill_concurrency_ramp_duration: Option<f64>,

    /// Warm up for this many seconds (instead of --warmup-request-count); excluded from
    /// results.
    #[arg(long, value_name = "SECONDS")]
    pub warmup_duration: Option<f64>,

    /// Warm up with this many whole multi-turn sessions (instead of a request count).
    #[arg(long, value_name = "N")]
    pub num_warmup_sessions: Option<u64>,

    /// Seconds the --warmup-duration phase's requests may run on after it ends [default:
    /// every reply is waited for].
    #[arg(long, value_name = "SECONDS")]
    pub warmup_grace_period: Option<f64>,

    /// Concurrency of the warmup phase [default: --concurrency].
    #[arg(long, value_name = "N")]
    pub warmup_concurrency: Option<u32>,

    /// Request rate of the warmup phase [default: --request-rate].
    #[arg(long, value_name = "PER_SECOND")]
    pub warmup_request_rate: Option<f64>,

    /// Gap distribution of the warmup phase [default: --arrival-pattern].
    #[arg(long, value_enum)]
    pub warmup_arrival_pattern: Option<PatternArg>,

    /// Prefill cap of the warmup phase [default: --prefill-concurrency].
    #[arg(long, value_name = "N")]
    pub warmup_prefill_concurrency: Option<u32>,

    /// Concurrency ramp of the warmup phase [default: --concurrency-ramp-duration].
    #[arg(long, value_name = "SECONDS")]
    pub warmup_concurrency_ramp_duration: Option<f64>,

    /// Rate ramp of the warmup phase [default: --request-rate-ramp-duration].
    #[arg(long, value_name = "SECONDS")]
    pub warmup_request_rate_ramp_duration: Option<f64>,

    /// Prefill-cap ramp of the warmup phase [default: --prefill-concurrency-ramp-duration].
    #[arg(long, value_name = "SECONDS")]
    pub warmup_prefill_concurrency_ramp_duration: Option<f64>,
}

impl ShapeArgs {
    /// The flags as settings, each with its flag as origin.
    pub fn settings(&self) -> ShapeSettings {
        ShapeSettings {
            concurrency_ramp: flag(
                "--concurrency-ramp-duration",
                self.concurrency_ramp_duration,
            ),
            rate_ramp: flag(
                "--request-rate-ramp-duration",
                self.request_rate_ramp_duration,
            ),
            prefill_concurrency: flag("--prefill-concurrency", self.prefill_concurrency),
            prefill_ramp: flag(
                "--prefill-concurrency-ramp-duration",
                self.prefill_concurrency_ramp_duration,
            ),
            warmup: WarmupSettings {
                duration: flag("--warmup-duration", self.warmup_duration),
                sessions: flag("--num-warmup-sessions", self.num_warmup_sessions),
                grace_period: flag("--warmup-grace-period", self.warmup_grace_period),
                concurrency: flag("--warmup-concurrency", self.warmup_concurrency),
                request_rate: flag("--warmup-request-rate", self.warmup_request_rate),
                arrival_pattern: flag(
                    "--warmup-arrival-pattern",
                    self.warmup_arrival_pattern.map(pattern),
                ),
                prefill_concurrency: flag(
                    "--warmup-prefill-concurrency",
                    self.warmup_prefill_concurrency,
                ),
                concurrency_ramp: flag(
                    "--warmup-concurrency-ramp-duration",
                    self.warmup_concurrency_ramp_duration,
                ),
                rate_ramp: flag(
                    "--warmup-request-rate-ramp-duration",
                    self.warmup_request_rate_ramp_duration,
                ),
                prefill_ramp: flag(
                    "--warmup-prefill-concurrency-ramp-duration",
                    self.warmup_prefill_concurrency_ramp_duration,
                ),
            },
        }
    }
}

/// `--arrival-pattern` and `--warmup-arrival-pattern` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PatternArg {
    /// Exponential gaps.
    Poisson,
    /// Equal gaps.
    Constant,
    /// Gamma gaps shaped by --arrival-smoothness.
    Gamma,
}

/// `--arrival-pattern`'s value as the settings' choice.
pub fn pattern(p: PatternArg) -> PatternChoice {
    match p {
        PatternArg::Poisson => PatternChoice::Poisson,
        PatternArg::Constant => PatternChoice::Constant,
        PatternArg::Gamma => PatternChoice::Gamma,
    }
}
