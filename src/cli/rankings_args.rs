//! AIPerf's `--rankings-*` flags: how many passages each rankings request carries and how long
//! the query and each passage are (docs/endpoints.md, "Rankings").

use clap::Args;

use crate::config::settings::{flag, RankingsSettings};

/// Query and passage shapes for `--endpoint-type nim_rankings|cohere_rankings|hf_tei_rankings`.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Rankings")]
pub struct RankingsArgs {
    /// Mean passages per rankings request (at least 1 is sent) [default: 1].
    #[arg(long, value_name = "N")]
    pub rankings_passages_mean: Option<f64>,

    /// Standard deviation of the passages per request; 0 sends the mean every time
    /// [default: 0].
    #[arg(long, value_name = "N")]
    pub rankings_passages_stddev: Option<f64>,

    /// Mean tokens of each passage, exact in the run's tokenizer [default: 550].
    #[arg(long, value_name = "TOKENS")]
    pub rankings_passages_prompt_token_mean: Option<f64>,

    /// Standard deviation of the passage lengths [default: 0].
    #[arg(long, value_name = "TOKENS")]
    pub rankings_passages_prompt_token_stddev: Option<f64>,

    /// Mean tokens of the query [default: 550].
    #[arg(long, value_name = "TOKENS")]
    pub rankings_query_prompt_token_mean: Option<f64>,

    /// Standard deviation of the query lengths [default: 0].
    #[arg(long, value_name = "TOKENS")]
    pub rankings_query_prompt_token_stddev: Option<f64>,
}

impl RankingsArgs {
    /// The flags as settings; config resolves them over the file's.
    pub fn settings(&self) -> RankingsSettings {
        RankingsSettings {
            passages_mean: flag("--rankings-passages-mean", self.rankings_passages_mean),
            passages_stddev: flag("--rankings-passages-stddev", self.rankings_passages_stddev),
            passage_tokens_mean: flag(
                "--rankings-passages-prompt-token-mean",
                self.rankings_passages_prompt_token_mean,
            ),
            passage_tokens_stddev: flag(
                "--rankings-passages-prompt-token-stddev",
                self.rankings_passages_prompt_token_stddev,
            ),
            query_tokens_mean: flag(
                "--rankings-query-prompt-token-mean",
                self.rankings_query_prompt_token_mean,
            ),
            query_tokens_stddev: flag(
                "--rankings-query-prompt-token-stddev",
                self.rankings_query_prompt_token_stddev,
            ),
            ..RankingsSettings::default()
        }
    }
}
