//! The model settings resolved: the model list and its selection strategy, the custom request
//! path, and the readiness wait (AIPerf's semantics: a timeout of 0 means no wait, and the mode
//! or interval without a positive timeout is refused).

use std::time::Duration;

use super::resolve::{origin, positive_secs, value};
use super::{SettingError, Settings};
use crate::config::{
    check_custom_endpoint, ModelPlan, WaitForModel, WaitMode, DEFAULT_WAIT_FOR_MODEL_INTERVAL_SECS,
};

impl Settings {
    /// `--model` (a comma list or repeated) and `--model-selection-strategy`.
    pub(super) fn model_plan(&self) -> Result<ModelPlan, SettingError> {
        let Some(given) = &self.model else {
            return Err(SettingError::flag(
                "--model",
                "required: pass --model NAME, set benchmark.model in a --config file, or leave both out in `gauntlet profile` to use the server's first /v1/models entry",
            ));
        };
        let names: Vec<String> = given
            .value
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        if names.is_empty() {
            return Err(SettingError::new(
                &given.from,
                "is empty; give a model name (or a comma list of names)",
            ));
        }
        Ok(ModelPlan {
            names,
            selection: value(&self.model_selection).unwrap_or_default(),
        })
    }

    /// `--custom-endpoint`.
    pub(super) fn custom_endpoint(&self) -> Result<Option<String>, SettingError> {
        self.custom_endpoint
            .as_ref()
            .map(|g| check_custom_endpoint(&g.value).map_err(|m| SettingError::new(&g.from, m)))
            .transpose()
    }

    /// `--wait-for-model-timeout`, `-mode`, `-interval`.
    pub(super) fn wait_for_model(&self) -> Result<Option<WaitForModel>, SettingError> {
        let timeout = match &self.wait_for_model_timeout {
            Some(g) if g.value == 0.0 => None,
            Some(g) => Some(positive_secs(&g.from, g.value)?),
            None => None,
        };
        let interval = match &self.wait_for_model_interval {
            Some(g) => positive_secs(&g.from, g.value)?,
            None => Duration::from_secs_f64(DEFAULT_WAIT_FOR_MODEL_INTERVAL_SECS),
        };
        let Some(timeout) = timeout else {
            for (given, flag) in [
                (self.wait_for_model_mode.is_some(), "--wait-for-model-mode"),
                (
                    self.wait_for_model_interval.is_some(),
                    "--wait-for-model-interval",
                ),
            ] {
                if given {
                    let from = match flag {
                        "--wait-for-model-mode" => origin(&self.wait_for_model_mode, flag),
                        _ => origin(&self.wait_for_model_interval, flag),
                    };
                    return Err(SettingError::new(
                        &from,
                        "has no effect without a positive --wait-for-model-timeout SECONDS; set one to wait for the model",
                    ));
                }
            }
            return Ok(None);
        };
        Ok(Some(WaitForModel {
            timeout,
            mode: value(&self.wait_for_model_mode).unwrap_or(WaitMode::Inference),
            interval,
        }))
    }
}
