//! `--public-dataset` and its companions: benchmark prompts from a published dataset
//! (SPEED-Bench) instead of synthetic ones. See docs/speed-bench.md.

use std::path::PathBuf;

use super::SettingError;
use crate::config::{PublicDatasetPlan, SpeedBenchVariant, DEFAULT_MAX_TOKENS};

/// Public dataset settings, from flags only.
#[derive(Debug, Clone, Default)]
pub struct PublicSettings {
    /// `--public-dataset`.
    pub public_dataset: Option<String>,
    /// `--dataset-path`.
    pub dataset_path: Option<PathBuf>,
    /// `--public-dataset-multi-turn`.
    pub public_dataset_multi_turn: bool,
    /// `--public-dataset-max-tokens`.
    pub public_dataset_max_tokens: Option<u32>,
}

impl PublicSettings {
    /// The plan, `None` without `--public-dataset`.
    pub fn resolve(&self) -> Result<Option<PublicDatasetPlan>, SettingError> {
        let Some(name) = &self.public_dataset else {
            return Ok(None);
        };
        if crate::config::VisionDataset::parse(name).is_some() {
            return Ok(None); // `resolve_vision` (public_vision.rs) takes it.
        }
        let variant = SpeedBenchVariant::parse(name).ok_or_else(|| {
            SettingError::flag(
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
