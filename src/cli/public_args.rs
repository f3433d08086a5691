//! `--public-dataset` and its companions: benchmark prompts from a published dataset
//! (SPEED-Bench, ShareGPT) instead of synthetic ones. See docs/datasets.md and
//! docs/speed-bench.md.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::Args;

use crate::config::settings::PublicSettings;
use crate::config::SamplingStrategy;

/// Flags that build the workload from a public dataset.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Public datasets")]
pub struct PublicDatasetArgs {
    /// A public dataset to send: sharegpt (prompts with their recorded replies' lengths as
    /// max_tokens); aimo, aimo_aime, aimo_numina_cot, aimo_numina_1_5, spec_bench,
    /// instruct_coder, blazedit_5k, blazedit_10k; speed_bench_qualitative, speed_bench_<category> (coding,
    /// humanities, math, multilingual, qa, rag, reasoning, roleplay, stem, summarization,
    /// writing), speed_bench_throughput_{1k,2k,8k,16k,32k}[_low_entropy|_mixed|_high_entropy].
    /// Vision sets (each question with its image or video; docs/datasets.md): mmstar, mmvu,
    /// vision_arena, llava_onevision.
    #[arg(long, value_name = "NAME", conflicts_with = "input_file")]
    pub public_dataset: Option<String>,

    /// The dataset's file, or a folder of its files in the hub layout (parquet, JSON or
    /// JSONL, as the set is published; see docs/datasets.md) [default: the Hugging Face
    /// cache, downloading when the network allows].
    #[arg(long, value_name = "FILE_OR_DIR")]
    pub dataset_path: Option<PathBuf>,

    /// Send all user turns of multi-turn rows as one conversation (otherwise the first;
    /// sharegpt: every human/gpt pair).
    #[arg(long)]
    pub public_dataset_multi_turn: bool,

    /// max_tokens of every public-dataset request; 0 lets the server decide [default:
    /// speed_bench_*: 4096; sharegpt: each recorded reply's token count; others: none].
    #[arg(long, value_name = "N")]
    pub public_dataset_max_tokens: Option<u32>,

    /// Order the entries of --input-file or --public-dataset are sent in (sessions, when
    /// multi-turn): sequential (file order, wrapping to the start), random (uniform, with
    /// replacement), shuffle (a permutation, reshuffled after each pass); seeded by
    /// --random-seed [default: sequential].
    #[arg(
        long,
        value_name = "STRATEGY",
        value_parser = clap::builder::PossibleValuesParser::new(["random", "sequential", "shuffle"])
            .map(|s| SamplingStrategy::parse(&s).unwrap_or(SamplingStrategy::Sequential))
    )]
    pub dataset_sampling_strategy: Option<SamplingStrategy>,
}

impl PublicDatasetArgs {
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> PublicSettings {
        PublicSettings {
            public_dataset: self.public_dataset.clone(),
            dataset_path: self.dataset_path.clone(),
            public_dataset_multi_turn: self.public_dataset_multi_turn,
            public_dataset_max_tokens: self.public_dataset_max_tokens,
            dataset_sampling_strategy: self.dataset_sampling_strategy,
        }
    }
}

/// AIPerf lists every SPEED-Bench variant among `--custom-dataset-type`'s choices too, as a
/// second spelling of `--public-dataset speed_bench_*`: the command line is read with that
/// spelling turned into ours, so every check of `--public-dataset` applies to it.
pub fn aiperf_spellings<I: IntoIterator<Item = OsString>>(args: I) -> Vec<OsString> {
    const FLAG: &str = "--custom-dataset-type";
    let is_variant = |v: &str| v.trim().to_ascii_lowercase().starts_with("speed_bench_");
    let mut out: Vec<OsString> = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some(FLAG) => {
                if let Some(value) = args
                    .peek()
                    .and_then(|v| v.to_str())
                    .filter(|v| is_variant(v))
                {
                    out.push("--public-dataset".into());
                    out.push(value.into());
                    args.next();
                    continue;
                }
            }
            Some(a) => {
                if let Some(value) = a.strip_prefix(FLAG).and_then(|r| r.strip_prefix('=')) {
                    if is_variant(value) {
                        out.push(format!("--public-dataset={value}").into());
                        continue;
                    }
                }
            }
            None => {}
        }
        out.push(arg);
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::{PublicDataset, PublicDatasetPlan, SpeedBenchVariant};

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
        assert_eq!(
            plan.variant,
            PublicDataset::SpeedBench(SpeedBenchVariant::Category("coding"))
        );
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

    #[test]
    fn custom_dataset_type_speed_bench_is_public_dataset() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            aiperf_spellings(args(&[
                "g",
                "profile",
                "--custom-dataset-type",
                "speed_bench_math",
                "-m",
                "x"
            ])),
            args(&[
                "g",
                "profile",
                "--public-dataset",
                "speed_bench_math",
                "-m",
                "x"
            ])
        );
        assert_eq!(
            aiperf_spellings(args(&[
                "g",
                "--custom-dataset-type=speed_bench_throughput_1k"
            ])),
            args(&["g", "--public-dataset=speed_bench_throughput_1k"])
        );
        let kept = args(&[
            "g",
            "--custom-dataset-type",
            "single_turn",
            "--input-file",
            "a.jsonl",
        ]);
        assert_eq!(aiperf_spellings(kept.clone()), kept);
        let plan = resolve(&["--public-dataset", "speed_bench_math"])
            .unwrap()
            .unwrap();
        assert_eq!(plan.variant.name(), "speed_bench_math");
    }
}
