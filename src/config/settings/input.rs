//! Input files (`--input-file`, `--custom-dataset-type`, `--trace-flavor`, `--synthesis-*`),
//! resolved into the plan's [`InputFilePlan`] (docs/input-files.md).

use std::path::PathBuf;

use super::SettingError;
use crate::config::{
    detect_format, EndpointType, InputFilePlan, InputFormat, SynthesisPlan, TraceFlavor,
    BAILIAN_BLOCK_SIZE,
    DEFAULT_BLOCK_SIZE, DEFAULT_SPEEDUP,
};

/// `--custom-dataset-type` values, as AIPerf names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomDatasetType {
    /// One request per line.
    SingleTurn,
    /// Sessions of turns.
    MultiTurn,
    /// A pool of rows (a file or a folder) drawn at random.
    RandomPool,
    /// Mooncake trace (JSONL, or CSV with a header row).
    MooncakeTrace,
    /// BurstGPT's CSV log (`Timestamp`, `Request tokens`, `Response tokens`, ...).
    BurstGptTrace,
    /// Alibaba Bailian's JSONL trace (`chat_id`, `parent_chat_id`, `turn`, `hash_ids`).
    BailianTrace,
}

/// Input file settings, from flags only.
#[derive(Debug, Clone, Default)]
pub struct InputSettings {
    /// `--input-file`.
    pub input_file: Option<PathBuf>,
    /// `--custom-dataset-type`.
    pub custom_dataset_type: Option<CustomDatasetType>,
    /// `--trace-flavor`.
    pub trace_flavor: Option<TraceFlavor>,
    /// `--trace-sessions`.
    pub trace_sessions: Option<u32>,
    /// `--prompt-input-tokens-block-size`.
    pub block_size: Option<u32>,
    /// `--synthesis-speedup-ratio`.
    pub synthesis_speedup_ratio: Option<f64>,
    /// `--synthesis-prefix-len-multiplier`.
    pub synthesis_prefix_len_multiplier: Option<f64>,
    /// `--synthesis-prefix-root-multiplier`.
    pub synthesis_prefix_root_multiplier: Option<u32>,
    /// `--synthesis-prompt-len-multiplier`.
    pub synthesis_prompt_len_multiplier: Option<f64>,
    /// `--synthesis-max-isl`.
    pub synthesis_max_isl: Option<u32>,
}

impl InputSettings {
    /// The input plan, `None` without `--input-file`. `entries` is the resolved
    /// `--num-dataset-entries` (the conversations a random pool draws); `endpoint` the run's
    /// endpoint type (media in the file need one that takes them).
    pub fn resolve(
        &self,
        entries: u32,
        endpoint: EndpointType,
    ) -> Result<Option<InputFilePlan>, SettingError> {
        let synthesis = self.synthesis()?;
        let Some(path) = &self.input_file else {
            if self.block_size.is_some() || synthesis.is_some() {
                return Err(SettingError::flag(
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
            return Err(SettingError::flag("--trace-sessions", "must be at least 1"));
        }
        let format = match (self.trace_flavor, self.custom_dataset_type) {
            (Some(flavor), _) => InputFormat::Flavor {
                flavor,
                target_sessions: self.trace_sessions,
            },
            (None, Some(CustomDatasetType::SingleTurn)) => InputFormat::SingleTurn,
            (None, Some(CustomDatasetType::MultiTurn)) => InputFormat::MultiTurn,
            (None, Some(CustomDatasetType::RandomPool)) => InputFormat::RandomPool,
            (None, Some(CustomDatasetType::MooncakeTrace)) if is_csv => InputFormat::CsvTrace,
            (None, Some(CustomDatasetType::MooncakeTrace)) => InputFormat::MooncakeTrace,
            (None, Some(CustomDatasetType::BurstGptTrace)) => InputFormat::BurstGptTrace,
            (None, Some(CustomDatasetType::BailianTrace)) => InputFormat::BailianTrace,
            (None, None) => {
                detect_format(path).map_err(|m| SettingError::flag("--input-file", m))?
            }
        };
        if !path.exists() {
            return Err(SettingError::flag(
                "--input-file",
                format!("{} does not exist", path.display()),
            ));
        }
        if path.is_dir() && format != InputFormat::RandomPool {
            return Err(SettingError::flag(
                "--input-file",
                "a folder is only accepted with --custom-dataset-type random_pool",
            ));
        }
        let is_trace = matches!(
            format,
            InputFormat::MooncakeTrace
                | InputFormat::CsvTrace
                | InputFormat::BurstGptTrace
                | InputFormat::BailianTrace
        );
        if synthesis.is_some() && !is_trace {
            return Err(SettingError::flag(
                "--synthesis-speedup-ratio",
                format!(
                    "--synthesis-* flags need a trace input (mooncake_trace, burst_gpt_trace, \
                     bailian_trace), not {}",
                    format.flag_name()
                ),
            ));
        }
        let block_size = self.block_size.unwrap_or(match format {
            // Bailian's hash_ids are 16-token blocks (the trace's file names say blksz_16).
            InputFormat::BailianTrace => BAILIAN_BLOCK_SIZE,
            _ => DEFAULT_BLOCK_SIZE,
        });
        if block_size == 0 {
            return Err(SettingError::flag(
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
            endpoint,
        }))
    }

    /// The synthesis plan when any `--synthesis-*` flag differs from its default.
    fn synthesis(&self) -> Result<Option<SynthesisPlan>, SettingError> {
        let positive = |flag: &'static str, value: Option<f64>| match value {
            Some(v) if !(v.is_finite() && v > 0.0) => {
                Err(SettingError::flag(flag, "must be a number > 0"))
            }
            _ => Ok(value.unwrap_or(DEFAULT_SPEEDUP)),
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
            return Err(SettingError::flag(
                "--synthesis-prefix-root-multiplier",
                "must be at least 1",
            ));
        }
        if plan.max_isl == Some(0) {
            return Err(SettingError::flag(
                "--synthesis-max-isl",
                "must be at least 1",
            ));
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
