//! `--public-dataset` and its companions: benchmark prompts from a published dataset
//! (SPEED-Bench) instead of synthetic ones. See docs/speed-bench.md.

use std::path::PathBuf;

use clap::Args;

use super::flag_error::{flag_err, FlagError};
use crate::config::{PublicDatasetPlan, SpeedBenchVariant, DEFAULT_MAX_TOKENS};

/// Flags that build the workload from a public dataset.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Public datasets")]
pub struct PublicDatasetArgs {
    /// A public dataset to send: speed_bench_qualitative, speed_bench_<category> (coding,
    /// humanities, math, multilingual, qa, rag, reasoning, roleplay, stem, summarization,
    /// writing), speed_bench_throughput_{1k,2k,8k,16k,32k}[_low_entropy|_mixed|_high_entropy].
    #[arg(long, value_name = "NAME", conflicts_with = "input_file")]
    pub public_dataset: Option<String>,

    /// The dataset's parquet file, or a folder of them (the hub layout or one config's
    /// files) [default: the Hugging Face cache, downloading when the network allows].
    #[arg(long, value_name = "FILE_OR_DIR", requires = "public_dataset")]
    pub dataset_path: Option<PathBuf>,

    /// Send all user turns of multi-turn rows as one conversation (otherwise the first).
    #[arg(long, requires = "public_dataset")]
    pub public_dataset_multi_turn: bool,

    /// max_tokens of every public-dataset request; 0 lets the server decide [default: 4096].
    #[arg(long, value_name = "N", requires = "public_dataset")]
    pub public_dataset_max_tokens: Option<u32>,
}

impl PublicDatasetArgs {
    /// The plan, `None` without `--public-dataset`.
    pub fn resolve(&self) -> Result<Option<PublicDatasetPlan>, FlagError> {
        let Some(name) = &self.public_dataset else {
            return Ok(None);
        };
        let variant = SpeedBenchVariant::parse(name).ok_or_else(|| {
            flag_err(
                "--public-dataset",
                format!(
                    "unknown dataset '{name}'; expected one of: {}",
                    SpeedBenchVariant::all()
                        .iter()
                        .map(|v| v.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let max_tokens = match self.public_dataset_max_tokens {
            Some(0) => None,
            Some(n) => Some(n),
            None => Some(DEFAULT_MAX_TOKENS),
        };
        Ok(Some(PublicDatasetPlan {
            variant,
            dataset_path: self.dataset_path.clone(),
            multi_turn: self.public_dataset_multi_turn,
            max_tokens,
        }))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        public: PublicDatasetArgs,
        #[arg(long)]
        input_file: Option<PathBuf>,
    }

    fn resolve(args: &[&str]) -> Result<Option<PublicDatasetPlan>, String> {
        let parsed = Wrapper::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        parsed.public.resolve().map_err(|e| e.to_string())
    }

    #[test]
    fn a_variant_resolves_with_the_speed_bench_defaults() {
        let plan = resolve(&["--public-dataset", "speed_bench_coding"])
            .unwrap()
            .unwrap();
        assert_eq!(plan.variant, SpeedBenchVariant::Category("coding"));
        assert_eq!(plan.max_tokens, Some(4_096));
        assert!(!plan.multi_turn);
        assert_eq!(resolve(&[]).unwrap(), None);
    }

    #[test]
    fn an_unknown_name_lists_the_choices() {
        let err = resolve(&["--public-dataset", "speed_bench_cooking"]).unwrap_err();
        assert!(err.contains("--public-dataset"), "{err}");
        assert!(
            err.contains("speed_bench_throughput_32k_high_entropy"),
            "{err}"
        );
    }

    #[test]
    fn companions_need_the_dataset_and_files_conflict() {
        assert!(resolve(&["--dataset-path", "x.parquet"]).is_err());
        assert!(resolve(&[
            "--public-dataset",
            "speed_bench_math",
            "--input-file",
            "a.jsonl"
        ])
        .is_err());
        let plan = resolve(&[
            "--public-dataset",
            "speed_bench_math",
            "--public-dataset-multi-turn",
            "--public-dataset-max-tokens",
            "0",
        ])
        .unwrap()
        .unwrap();
        assert!(plan.multi_turn);
        assert_eq!(plan.max_tokens, None);
    }
}
