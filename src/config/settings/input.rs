//! Input files (`--input-file`, `--custom-dataset-type`, `--trace-flavor`, `--synthesis-*`),
//! resolved into the plan's [`InputFilePlan`] (docs/input-files.md).

use std::path::PathBuf;

use super::resolve::origin;
use super::{Opt, Origin, SettingError};
use crate::config::{
    detect_format, EndpointType, InputFilePlan, InputFormat, SynthesisPlan, TraceFlavor,
    BAILIAN_BLOCK_SIZE, DEFAULT_BLOCK_SIZE, DEFAULT_SPEEDUP,
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

impl CustomDatasetType {
    /// The type AIPerf calls `name` (`single_turn`, …), as a file dataset's `format` says.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "single_turn" => CustomDatasetType::SingleTurn,
            "multi_turn" => CustomDatasetType::MultiTurn,
            "random_pool" => CustomDatasetType::RandomPool,
            "mooncake_trace" => CustomDatasetType::MooncakeTrace,
            _ => return None,
        })
    }
}

/// Input file settings: flags over a file's `type: file` dataset (`path`, `format`,
/// `block_size`, `synthesis`); the Veeksha trace flavors are flags only.
#[derive(Debug, Clone, Default)]
pub struct InputSettings {
    /// `--input-file` or `dataset.path`.
    pub input_file: Opt<PathBuf>,
    /// `--custom-dataset-type` or `dataset.format`.
    pub custom_dataset_type: Opt<CustomDatasetType>,
    /// `--trace-flavor`.
    pub trace_flavor: Option<TraceFlavor>,
    /// `--trace-sessions`.
    pub trace_sessions: Option<u32>,
    /// `--prompt-input-tokens-block-size` or `dataset.block_size`.
    pub block_size: Opt<u32>,
    /// `--synthesis-speedup-ratio` or `dataset.synthesis.speedup_ratio`.
    pub synthesis_speedup_ratio: Opt<f64>,
    /// `--synthesis-prefix-len-multiplier` or `dataset.synthesis.prefix_len_multiplier`.
    pub synthesis_prefix_len_multiplier: Opt<f64>,
    /// `--synthesis-prefix-root-multiplier` or `dataset.synthesis.prefix_root_multiplier`.
    pub synthesis_prefix_root_multiplier: Opt<u32>,
    /// `--synthesis-prompt-len-multiplier` or `dataset.synthesis.prompt_len_multiplier`.
    pub synthesis_prompt_len_multiplier: Opt<f64>,
    /// `--synthesis-max-isl` or `dataset.synthesis.max_isl`.
    pub synthesis_max_isl: Opt<u32>,
}

impl InputSettings {
    /// These settings (the flags) over the file's: a flag given wins, one by one.
    pub fn over(self, file: InputSettings) -> InputSettings {
        InputSettings {
            input_file: self.input_file.or(file.input_file),
            custom_dataset_type: self.custom_dataset_type.or(file.custom_dataset_type),
            trace_flavor: self.trace_flavor.or(file.trace_flavor),
            trace_sessions: self.trace_sessions.or(file.trace_sessions),
            block_size: self.block_size.or(file.block_size),
            synthesis_speedup_ratio: self
                .synthesis_speedup_ratio
                .or(file.synthesis_speedup_ratio),
            synthesis_prefix_len_multiplier: self
                .synthesis_prefix_len_multiplier
                .or(file.synthesis_prefix_len_multiplier),
            synthesis_prefix_root_multiplier: self
                .synthesis_prefix_root_multiplier
                .or(file.synthesis_prefix_root_multiplier),
            synthesis_prompt_len_multiplier: self
                .synthesis_prompt_len_multiplier
                .or(file.synthesis_prompt_len_multiplier),
            synthesis_max_isl: self.synthesis_max_isl.or(file.synthesis_max_isl),
        }
    }

    /// Where the input file was named (`--input-file` or the file's `dataset.path`).
    pub fn input_origin(&self) -> Origin {
        origin(&self.input_file, "--input-file")
    }

    /// The input plan, `None` without `--input-file`. `entries` is the resolved
    /// `--num-dataset-entries` (the conversations a random pool draws); `endpoint` the run's
    /// endpoint type (media in the file need one that takes them).
    pub fn resolve(
        &self,
        entries: u32,
        endpoint: EndpointType,
    ) -> Result<Option<InputFilePlan>, SettingError> {
        let synthesis = self.synthesis()?;
        let Some(given) = &self.input_file else {
            if self.block_size.is_some() || synthesis.is_some() {
                return Err(SettingError::flag(
                    "--input-file",
                    "the block size and --synthesis-* flags apply to an input trace; pass --input-file",
                ));
            }
            return Ok(None);
        };
        let (path, path_from) = (&given.value, &given.from);
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let custom = self.custom_dataset_type.as_ref().map(|g| g.value);
        if self.trace_sessions == Some(0) {
            return Err(SettingError::flag("--trace-sessions", "must be at least 1"));
        }
        let format = match (self.trace_flavor, custom) {
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
            (None, None) => detect_format(path).map_err(|m| SettingError::new(path_from, m))?,
        };
        if !path.exists() {
            return Err(SettingError::new(
                path_from,
                format!("{} does not exist", path.display()),
            ));
        }
        if path.is_dir() && format != InputFormat::RandomPool {
            return Err(SettingError::new(
                path_from,
                "a folder is only accepted with --custom-dataset-type random_pool (format: random_pool)",
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
            return Err(SettingError::new(
                &self.first_synthesis_origin(),
                format!(
                    "trace synthesis needs a trace input (mooncake_trace, burst_gpt_trace, \
                     bailian_trace), not {}",
                    format.flag_name()
                ),
            ));
        }
        let block_size = self.block_size.as_ref().map_or(
            match format {
                // Bailian's hash_ids are 16-token blocks (the trace's file names say blksz_16).
                InputFormat::BailianTrace => BAILIAN_BLOCK_SIZE,
                _ => DEFAULT_BLOCK_SIZE,
            },
            |g| g.value,
        );
        if block_size == 0 {
            return Err(SettingError::new(
                &origin(&self.block_size, "--prompt-input-tokens-block-size"),
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

    /// Where the first synthesis value came from (`--synthesis-speedup-ratio` when none).
    fn first_synthesis_origin(&self) -> Origin {
        [
            self.synthesis_speedup_ratio.as_ref().map(|g| &g.from),
            self.synthesis_prefix_len_multiplier
                .as_ref()
                .map(|g| &g.from),
            self.synthesis_prefix_root_multiplier
                .as_ref()
                .map(|g| &g.from),
            self.synthesis_prompt_len_multiplier
                .as_ref()
                .map(|g| &g.from),
            self.synthesis_max_isl.as_ref().map(|g| &g.from),
        ]
        .into_iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or(Origin::Flag("--synthesis-speedup-ratio"))
    }

    /// The synthesis plan when any synthesis value differs from its default.
    fn synthesis(&self) -> Result<Option<SynthesisPlan>, SettingError> {
        let positive = |value: &Opt<f64>| match value {
            Some(g) if !(g.value.is_finite() && g.value > 0.0) => {
                Err(SettingError::new(&g.from, "must be a number > 0"))
            }
            _ => Ok(value.as_ref().map_or(DEFAULT_SPEEDUP, |g| g.value)),
        };
        let plan = SynthesisPlan {
            speedup_ratio: positive(&self.synthesis_speedup_ratio)?,
            prefix_len_multiplier: positive(&self.synthesis_prefix_len_multiplier)?,
            prefix_root_multiplier: self
                .synthesis_prefix_root_multiplier
                .as_ref()
                .map_or(1, |g| g.value),
            prompt_len_multiplier: positive(&self.synthesis_prompt_len_multiplier)?,
            max_isl: self.synthesis_max_isl.as_ref().map(|g| g.value),
        };
        if plan.prefix_root_multiplier == 0 {
            return Err(SettingError::new(
                &origin(
                    &self.synthesis_prefix_root_multiplier,
                    "--synthesis-prefix-root-multiplier",
                ),
                "must be at least 1",
            ));
        }
        if plan.max_isl == Some(0) {
            return Err(SettingError::new(
                &origin(&self.synthesis_max_isl, "--synthesis-max-isl"),
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
