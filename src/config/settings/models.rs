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

#[cfg(test)]
mod tests {
    use super::super::{flag, Given};
    use super::*;
    use crate::config::{ConfigFile, ModelSelection, Plan};

    use super::super::tests::file_plan as file;

    fn flags(models: &[&str], more: Settings) -> Result<Plan, SettingError> {
        Settings {
            model: Some(Given::flag(
                "--model",
                models.iter().map(|m| m.to_string()).collect(),
            )),
            ..more
        }
        .resolve(String::new())
        .map(|r| r.plan)
    }

    #[test]
    fn models_split_on_commas_and_the_first_names_the_run() {
        let plan = flags(&["a,b", " c "], Settings::default()).unwrap();
        assert_eq!(plan.models.names, ["a", "b", "c"]);
        assert_eq!(plan.model, "a");
        assert_eq!(plan.models.selection, ModelSelection::RoundRobin);
        assert!(plan
            .artifact_dir
            .to_string_lossy()
            .contains("a-openai-chat"));
        let err = flags(&[","], Settings::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--model: is empty; give a model name (or a comma list of names)"
        );
    }

    #[test]
    fn the_wait_follows_aiperfs_rules() {
        let none = flags(&["m"], Settings::default()).unwrap();
        assert_eq!(none.wait_for_model, None);
        let zero = Settings {
            wait_for_model_timeout: flag("--wait-for-model-timeout", Some(0.0)),
            ..Settings::default()
        };
        assert_eq!(flags(&["m"], zero).unwrap().wait_for_model, None);
        let on = Settings {
            wait_for_model_timeout: flag("--wait-for-model-timeout", Some(30.0)),
            ..Settings::default()
        };
        let wait = flags(&["m"], on).unwrap().wait_for_model.unwrap();
        assert_eq!(wait.timeout, Duration::from_secs(30));
        assert_eq!(wait.mode, WaitMode::Inference);
        assert_eq!(wait.interval, Duration::from_secs(5));
        let alone = Settings {
            wait_for_model_interval: flag("--wait-for-model-interval", Some(1.0)),
            ..Settings::default()
        };
        let err = flags(&["m"], alone).unwrap_err();
        assert_eq!(err.name(), "--wait-for-model-interval");
        let negative = Settings {
            wait_for_model_timeout: flag("--wait-for-model-timeout", Some(-1.0)),
            ..Settings::default()
        };
        assert_eq!(
            flags(&["m"], negative).unwrap_err().name(),
            "--wait-for-model-timeout"
        );
    }

    #[test]
    fn a_yaml_file_sets_every_model_key() {
        let plan = file(
            "schemaVersion: \"2.0\"
benchmark:
  model: [a, b]
  model_selection_strategy: random
  endpoint:
    url: http://127.0.0.1:9000
    custom_endpoint: /v2/generate
    wait_for_model_timeout: 12
    wait_for_model_mode: both
    wait_for_model_interval: 0.5
",
        )
        .unwrap();
        assert_eq!(plan.models.names, ["a", "b"]);
        assert_eq!(plan.models.selection, ModelSelection::Random);
        assert_eq!(plan.request_path(), "/v2/generate");
        let wait = plan.wait_for_model.unwrap();
        assert_eq!(
            (wait.timeout, wait.mode, wait.interval),
            (
                Duration::from_secs(12),
                WaitMode::Both,
                Duration::from_millis(500)
            )
        );
    }

    #[test]
    fn yaml_errors_name_file_line_and_key() {
        let errors = ConfigFile::parse(
            "schemaVersion: \"2.0\"
benchmark:
  model: m
  endpoint:
    custom_endpoint: v1/x
    wait_for_model_mode: sometimes
",
            "bench.yaml",
        )
        .unwrap()
        .resolve()
        .unwrap_err()
        .to_string();
        assert!(
            errors.contains(
                "bench.yaml:5: benchmark.endpoint.custom_endpoint: 'v1/x' must start with '/'"
            ),
            "{errors}"
        );
        assert!(
            errors.contains(
                "bench.yaml:6: benchmark.endpoint.wait_for_model_mode: unknown mode 'sometimes'"
            ),
            "{errors}"
        );
        let err = file(
            "schemaVersion: \"2.0\"
benchmark:
  model: m
  endpoint:
    wait_for_model_mode: models
",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bench.yaml:5: benchmark.endpoint.wait_for_model_mode: has no effect without a positive --wait-for-model-timeout SECONDS; set one to wait for the model"
        );
    }
}
