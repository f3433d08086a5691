//! `profile`'s input-file flags (AIPerf's names): `--input-file`, `--custom-dataset-type`, the
//! hash block size and the `--synthesis-*` trace reshaping, resolved into `Plan::input`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::config::settings::{flag, CustomDatasetType, InputSettings};
use crate::config::TraceFlavor;

/// Flags that build the workload from a user file instead of synthetic prompts.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Input files")]
pub struct DatasetFileArgs {
    /// JSONL dataset or trace file (a folder for random_pool; .csv for CSV traces); lines
    /// may carry image/audio/video files, URLs or data URIs; see docs/input-files.md.
    #[arg(long, value_name = "PATH")]
    pub input_file: Option<PathBuf>,

    /// Format of --input-file [default: detected from the file]. AIPerf's spelling
    /// `--custom-dataset-type speed_bench_<variant>` is read as `--public-dataset`.
    #[arg(long, value_enum, requires = "input_file")]
    pub custom_dataset_type: Option<DatasetTypeArg>,

    /// Read --input-file as one of Veeksha's trace flavors (docs/trace-flavors.md) instead
    /// of an AIPerf format.
    #[arg(
        long,
        value_enum,
        requires = "input_file",
        conflicts_with = "custom_dataset_type"
    )]
    pub trace_flavor: Option<TraceFlavorArg>,

    /// With --trace-flavor: Veeksha's wrap_mode, looping the trace (sessions reshuffled on
    /// each pass, timestamps shifted on) or cutting it to exactly N sessions.
    #[arg(long, value_name = "N", requires = "trace_flavor")]
    pub trace_sessions: Option<u32>,

    /// Tokens per hash_ids block of a mooncake trace [default: 512; 16 for bailian_trace].
    #[arg(
        long = "prompt-input-tokens-block-size",
        visible_aliases = ["synthetic-input-tokens-block-size", "isl-block-size"]
    )]
    pub block_size: Option<u32>,

    /// Divide a mooncake trace's timestamps by this before replaying it [default: 1].
    #[arg(long)]
    pub synthesis_speedup_ratio: Option<f64>,

    /// Multiply a mooncake trace's shared-prefix lengths by this [default: 1].
    #[arg(long)]
    pub synthesis_prefix_len_multiplier: Option<f64>,

    /// Replicate a mooncake trace's shared-prefix tree this many times [default: 1].
    #[arg(long)]
    pub synthesis_prefix_root_multiplier: Option<u32>,

    /// Multiply a mooncake trace's unique prompt lengths by this [default: 1].
    #[arg(long)]
    pub synthesis_prompt_len_multiplier: Option<f64>,

    /// Cap a synthesized mooncake trace's input lengths at this many tokens.
    #[arg(long)]
    pub synthesis_max_isl: Option<u32>,
}

/// `--custom-dataset-type` values, spelled as AIPerf spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatasetTypeArg {
    /// One request per line.
    #[value(name = "single_turn", alias = "single-turn")]
    SingleTurn,
    /// One conversation per line.
    #[value(name = "multi_turn", alias = "multi-turn")]
    MultiTurn,
    /// Lines sampled with replacement.
    #[value(name = "random_pool", alias = "random-pool")]
    RandomPool,
    /// Mooncake trace (JSONL, or CSV with a header row).
    #[value(name = "mooncake_trace", alias = "mooncake-trace")]
    MooncakeTrace,
    /// BurstGPT's CSV log (Timestamp, Request tokens, Response tokens; docs/traces.md).
    #[value(name = "burst_gpt_trace", alias = "burst-gpt-trace")]
    BurstGptTrace,
    /// Alibaba Bailian's JSONL trace (chat_id chains, 16-token hash_ids; docs/traces.md).
    #[value(name = "bailian_trace", alias = "bailian-trace")]
    BailianTrace,
}

/// `--trace-flavor` values: the clap side of the plan's `TraceFlavor`, so library code never
/// sees clap. Names and help are the library enum's, in Veeksha's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum TraceFlavorArg {
    /// One request per row: `input_length`, `output_length`, optional time and `session_id`.
    RequestLog,
    /// Sessions of synthetic turns with think times (`wait_after_previous_response_s`).
    TimedSyntheticSession,
    /// Real conversations (ShareGPT `conversations` or OpenAI `messages`) replayed turn by turn.
    UntimedContentMultiTurn,
    /// Sessions whose first turn is built from `hash_ids` blocks shared across sessions.
    SharedPrefix,
    /// Single requests that put a per-`doc_id` document before the query.
    Rag,
}

impl From<TraceFlavorArg> for TraceFlavor {
    fn from(arg: TraceFlavorArg) -> Self {
        match arg {
            TraceFlavorArg::RequestLog => TraceFlavor::RequestLog,
            TraceFlavorArg::TimedSyntheticSession => TraceFlavor::TimedSyntheticSession,
            TraceFlavorArg::UntimedContentMultiTurn => TraceFlavor::UntimedContentMultiTurn,
            TraceFlavorArg::SharedPrefix => TraceFlavor::SharedPrefix,
            TraceFlavorArg::Rag => TraceFlavor::Rag,
        }
    }
}

impl DatasetFileArgs {
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> InputSettings {
        InputSettings {
            input_file: flag("--input-file", self.input_file.clone()),
            trace_sessions: self.trace_sessions,
            block_size: flag("--prompt-input-tokens-block-size", self.block_size),
            synthesis_speedup_ratio: flag(
                "--synthesis-speedup-ratio",
                self.synthesis_speedup_ratio,
            ),
            synthesis_prefix_len_multiplier: flag(
                "--synthesis-prefix-len-multiplier",
                self.synthesis_prefix_len_multiplier,
            ),
            synthesis_prefix_root_multiplier: flag(
                "--synthesis-prefix-root-multiplier",
                self.synthesis_prefix_root_multiplier,
            ),
            synthesis_prompt_len_multiplier: flag(
                "--synthesis-prompt-len-multiplier",
                self.synthesis_prompt_len_multiplier,
            ),
            synthesis_max_isl: flag("--synthesis-max-isl", self.synthesis_max_isl),
            custom_dataset_type: flag(
                "--custom-dataset-type",
                self.custom_dataset_type.map(|t| match t {
                    DatasetTypeArg::SingleTurn => CustomDatasetType::SingleTurn,
                    DatasetTypeArg::MultiTurn => CustomDatasetType::MultiTurn,
                    DatasetTypeArg::RandomPool => CustomDatasetType::RandomPool,
                    DatasetTypeArg::MooncakeTrace => CustomDatasetType::MooncakeTrace,
                    DatasetTypeArg::BurstGptTrace => CustomDatasetType::BurstGptTrace,
                    DatasetTypeArg::BailianTrace => CustomDatasetType::BailianTrace,
                }),
            ),
            trace_flavor: self.trace_flavor.map(TraceFlavor::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::flag_error::FlagError;
    use super::*;
    use crate::config::{InputFilePlan, InputFormat};
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        files: DatasetFileArgs,
    }

    fn resolve(args: &[&str]) -> Result<Option<InputFilePlan>, FlagError> {
        let mut full = vec!["x"];
        full.extend_from_slice(args);
        Wrapper::try_parse_from(full)
            .unwrap()
            .files
            .settings()
            .resolve(7, crate::config::EndpointType::Chat)
    }

    #[test]
    fn flags_resolve_into_an_input_plan() {
        use clap::CommandFactory;
        Wrapper::command().debug_assert();
        assert_eq!(resolve(&[]).unwrap(), None);
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("t.jsonl");
        std::fs::write(&trace, "{\"input_length\": 3}\n").unwrap();
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "input_length\n3\n").unwrap();
        let t = trace.to_str().unwrap();
        let plan = resolve(&["--input-file", t]).unwrap().unwrap();
        assert_eq!(
            (plan.format, plan.block_size, plan.pool_entries),
            (InputFormat::MooncakeTrace, 512, 7)
        );
        assert_eq!(plan.synthesis, None);
        let plan = resolve(&[
            "--input-file",
            t,
            "--isl-block-size",
            "64",
            "--synthesis-speedup-ratio",
            "2",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(plan.block_size, 64);
        assert_eq!(plan.synthesis.map(|s| s.speedup_ratio), Some(2.0));
        // Defaults given explicitly are still "no synthesis".
        let plan = resolve(&["--input-file", t, "--synthesis-prefix-len-multiplier", "1"])
            .unwrap()
            .unwrap();
        assert_eq!(plan.synthesis, None);
        let plan = resolve(&[
            "--input-file",
            csv.to_str().unwrap(),
            "--custom-dataset-type",
            "mooncake_trace",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(plan.format, InputFormat::CsvTrace);
        let plan = resolve(&["--input-file", t, "--custom-dataset-type", "single_turn"])
            .unwrap()
            .unwrap();
        assert_eq!(plan.format, InputFormat::SingleTurn);
    }

    #[test]
    fn bad_combinations_name_their_flag() {
        let dir = tempfile::tempdir().unwrap();
        let single = dir.path().join("s.jsonl");
        std::fs::write(&single, "{\"text\": \"a\"}\n").unwrap();
        let s = single.to_str().unwrap();
        let d = dir.path().to_str().unwrap();
        let missing = dir.path().join("nope.jsonl");
        let cases: [(&[&str], &str); 6] = [
            (&["--synthesis-speedup-ratio", "2"], "--input-file"),
            (
                &["--input-file", s, "--synthesis-max-isl", "100"],
                "--synthesis-max-isl",
            ),
            (
                &["--input-file", s, "--synthesis-speedup-ratio", "0"],
                "--synthesis-speedup-ratio",
            ),
            (
                &["--input-file", d, "--custom-dataset-type", "single_turn"],
                "--input-file",
            ),
            (
                &[
                    "--input-file",
                    missing.to_str().unwrap(),
                    "--custom-dataset-type",
                    "single_turn",
                ],
                "--input-file",
            ),
            (
                &["--input-file", s, "--isl-block-size", "0"],
                "--prompt-input-tokens-block-size",
            ),
        ];
        for (args, flag) in cases {
            assert_eq!(resolve(args).unwrap_err().name(), flag, "{args:?}");
        }
    }
}
