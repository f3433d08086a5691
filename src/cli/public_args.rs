//! `--public-dataset` and its companions: benchmark prompts from a published dataset
//! (SPEED-Bench) instead of synthetic ones. See docs/speed-bench.md.

use std::path::PathBuf;

use clap::Args;

use crate::config::settings::PublicSettings;

/// Flags that build the workload from a public dataset.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Public datasets")]
pub struct PublicDatasetArgs {
    /// A public dataset to send: speed_bench_qualitative, speed_bench_<category> (coding,
    /// humanities, math, multilingual, qa, rag, reasoning, roleplay, stem, summarization,
    /// writing), speed_bench_throughput_{1k,2k,8k,16k,32k}[_low_entropy|_mixed|_high_entropy].
    /// Vision sets (each question with its image or video; docs/datasets.md): mmstar, mmvu,
    /// vision_arena, llava_onevision.
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
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> PublicSettings {
        PublicSettings {
            public_dataset: self.public_dataset.clone(),
            dataset_path: self.dataset_path.clone(),
            public_dataset_multi_turn: self.public_dataset_multi_turn,
            public_dataset_max_tokens: self.public_dataset_max_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::{PublicDatasetPlan, SpeedBenchVariant};

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
        parsed
            .public
            .settings()
            .resolve()
            .map_err(|e| e.to_string())
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
