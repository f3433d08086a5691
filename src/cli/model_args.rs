//! Model flags beside `--model` (AIPerf's names): the selection strategy for several models,
//! the custom request path, and the readiness wait before the clock starts.

use clap::{Args, ValueEnum};

use crate::config::settings::{flag, Settings};
use crate::config::{ModelSelection, WaitMode};

/// Flags of model selection, the request path and the readiness wait.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Endpoint")]
pub struct ModelArgs {
    /// How each request gets one of several --model names: round_robin (entry n gets model
    /// n mod count) or random (drawn from --random-seed); a multi-turn session keeps its
    /// model for every turn [default: round_robin].
    #[arg(long, value_enum, value_name = "STRATEGY")]
    pub model_selection_strategy: Option<SelectionArg>,

    /// Request path under each --url, replacing the endpoint type's own (e.g. /v2/generate);
    /// must start with '/'.
    #[arg(long, visible_alias = "endpoint", value_name = "PATH")]
    pub custom_endpoint: Option<String>,

    /// Before the clock starts, wait up to SECONDS for every --url to serve the model
    /// (0 = no wait) [default: 0].
    #[arg(long, value_name = "SECONDS")]
    pub wait_for_model_timeout: Option<f64>,

    /// What the wait checks: models (GET /v1/models lists the model), inference (a one-token
    /// request succeeds) or both, models first [default: inference].
    #[arg(long, value_enum, value_name = "MODE")]
    pub wait_for_model_mode: Option<WaitModeArg>,

    /// Seconds between two readiness attempts [default: 5].
    #[arg(long, value_name = "SECONDS")]
    pub wait_for_model_interval: Option<f64>,
}

/// `--model-selection-strategy` values (AIPerf's spelling; `round-robin` also accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SelectionArg {
    /// Entry n gets model n mod count.
    #[value(name = "round_robin", alias = "round-robin")]
    RoundRobin,
    /// Uniformly at random from the seed.
    Random,
}

/// `--wait-for-model-mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WaitModeArg {
    /// GET /v1/models until the model is listed.
    Models,
    /// A one-token inference request until it succeeds.
    Inference,
    /// Models, then inference.
    Both,
}

impl ModelArgs {
    /// Fills the model settings of `settings` from the flags; config resolves them.
    pub fn fill(&self, settings: &mut Settings) {
        settings.model_selection = flag(
            "--model-selection-strategy",
            self.model_selection_strategy.map(|s| match s {
                SelectionArg::RoundRobin => ModelSelection::RoundRobin,
                SelectionArg::Random => ModelSelection::Random,
            }),
        );
        settings.custom_endpoint = flag("--custom-endpoint", self.custom_endpoint.clone());
        settings.wait_for_model_timeout =
            flag("--wait-for-model-timeout", self.wait_for_model_timeout);
        settings.wait_for_model_mode = flag(
            "--wait-for-model-mode",
            self.wait_for_model_mode.map(|m| match m {
                WaitModeArg::Models => WaitMode::Models,
                WaitModeArg::Inference => WaitMode::Inference,
                WaitModeArg::Both => WaitMode::Both,
            }),
        );
        settings.wait_for_model_interval =
            flag("--wait-for-model-interval", self.wait_for_model_interval);
    }
}
