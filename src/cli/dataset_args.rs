//! `profile`'s input-file flags (AIPerf's names): `--input-file`, `--custom-dataset-type`, the
//! hash block size and the `--synthesis-*` trace reshaping, resolved into `Plan::input`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::flag_error::{flag_err, FlagError};
use crate::config::{InputFilePlan, InputFormat, SynthesisPlan, TraceFlavor, DEFAULT_BLOCK_SIZE};
use crate::dataset::files::detect_format;

/// Flags that build the workload from a user file instead of synthetic prompts.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Input files")]
pub struct DatasetFileArgs {
    /// JSONL dataset or trace file (a folder for random_pool; .csv for CSV traces); see
    /// docs/input-files.md.
    #[arg(long, value_name = "PATH")]
    pub input_file: Option<PathBuf>,

    /// Format of --input-file [default: detected from the file].
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

    /// Tokens per hash_ids block of a mooncake trace [default: 512].
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
    /// The input plan, `None` without `--input-file`. `entries` is the resolved
    /// `--num-dataset-entries` (the conversations a random pool draws).
    pub fn resolve(&self, entries: u32) -> Result<Option<InputFilePlan>, FlagError> {
        let synthesis = self.synthesis()?;
        let Some(path) = &self.input_file else {
            if self.block_size.is_some() || synthesis.is_some() {
                return Err(flag_err(
                    "--input-file",
                    "the block size and --synthesis-* flags apply to an input trace; pass --input-file",
                ));
            }
            return Ok(None);
        };
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if self.trace_sessions == Some(0) {
            return Err(flag_err("--trace-sessions", "must be at least 1"));
        }
        let format = match (self.trace_flavor, self.custom_dataset_type) {
            (Some(flavor), _) => InputFormat::Flavor {
                flavor: flavor.into(),
                target_sessions: self.trace_sessions,
            },
            (None, Some(DatasetTypeArg::SingleTurn)) => InputFormat::SingleTurn,
            (None, Some(DatasetTypeArg::MultiTurn)) => InputFormat::MultiTurn,
            (None, Some(DatasetTypeArg::RandomPool)) => InputFormat::RandomPool,
            (None, Some(DatasetTypeArg::MooncakeTrace)) if is_csv => InputFormat::CsvTrace,
            (None, Some(DatasetTypeArg::MooncakeTrace)) => InputFormat::MooncakeTrace,
            (None, None) => detect_format(path).map_err(|m| flag_err("--input-file", m))?,
        };
        if !path.exists() {
            return Err(flag_err(
                "--input-file",
                format!("{} does not exist", path.display()),
            ));
        }
        if path.is_dir() && format != InputFormat::RandomPool {
            return Err(flag_err(
                "--input-file",
                "a folder is only accepted with --custom-dataset-type random_pool",
            ));
        }
        let is_trace = matches!(format, InputFormat::MooncakeTrace | InputFormat::CsvTrace);
        if synthesis.is_some() && !is_trace {
            return Err(flag_err(
                "--synthesis-speedup-ratio",
                format!(
                    "--synthesis-* flags need a mooncake_trace input, not {}",
                    format.flag_name()
                ),
            ));
        }
        let block_size = self.block_size.unwrap_or(DEFAULT_BLOCK_SIZE);
        if block_size == 0 {
            return Err(flag_err(
                "--prompt-input-tokens-block-size",
                "must be at least 1",
            ));
        }
        Ok(Some(InputFilePlan {
            path: path.clone(),
            format,
            block_size,
            pool_entries: entries,
            synthesis,
            window_ms: None,
        }))
    }

    /// The synthesis plan when any `--synthesis-*` flag differs from its default.
    fn synthesis(&self) -> Result<Option<SynthesisPlan>, FlagError> {
        let positive = |flag: &'static str, value: Option<f64>| match value {
            Some(v) if !(v.is_finite() && v > 0.0) => Err(flag_err(flag, "must be a number > 0")),
            _ => Ok(value.unwrap_or(1.0)),
        };
        let plan = SynthesisPlan {
            speedup_ratio: positive("--synthesis-speedup-ratio", self.synthesis_speedup_ratio)?,
            prefix_len_multiplier: positive(
                "--synthesis-prefix-len-multiplier",
                self.synthesis_prefix_len_multiplier,
            )?,
            prefix_root_multiplier: self.synthesis_prefix_root_multiplier.unwrap_or(1),
            prompt_len_multiplier: positive(
                "--synthesis-prompt-len-multiplier",
                self.synthesis_prompt_len_multiplier,
            )?,
            max_isl: self.synthesis_max_isl,
        };
        if plan.prefix_root_multiplier == 0 {
            return Err(flag_err(
                "--synthesis-prefix-root-multiplier",
                "must be at least 1",
            ));
        }
        if plan.max_isl == Some(0) {
            return Err(flag_err("--synthesis-max-isl", "must be at least 1"));
        }
        let identity = SynthesisPlan {
            speedup_ratio: 1.0,
            prefix_len_multiplier: 1.0,
            prefix_root_multiplier: 1,
            prompt_len_multiplier: 1.0,
            max_isl: None,
        };
        Ok((plan != identity).then_some(plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        files: DatasetFileArgs,
    }

    fn resolve(args: &[&str]) -> Result<Option<InputFilePlan>, FlagError> {
        let mut full = vec!["x"];
        full.extend_from_slice(args);
        Wrapper::try_parse_from(full).unwrap().files.resolve(7)
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
                "--synthesis-speedup-ratio",
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
            assert_eq!(resolve(args).unwrap_err().flag, flag, "{args:?}");
        }
    }
}
