//! `--public-dataset` and its companions: benchmark prompts from a published dataset
//! (SPEED-Bench) instead of synthetic ones. See docs/speed-bench.md.

use std::path::PathBuf;

use super::SettingError;
use crate::config::{PublicDataset, PublicDatasetPlan, SamplingStrategy};

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
    /// `--dataset-sampling-strategy` (input files too).
    pub dataset_sampling_strategy: Option<SamplingStrategy>,
}

impl PublicSettings {
    /// Flags over the config file's `benchmark.dataset` (`type: public` with `dataset`,
    /// `sampling`): a flag given wins.
    pub fn over(self, file: PublicSettings) -> PublicSettings {
        PublicSettings {
            public_dataset: self.public_dataset.or(file.public_dataset),
            dataset_sampling_strategy: self
                .dataset_sampling_strategy
                .or(file.dataset_sampling_strategy),
            ..self
        }
    }

    /// The plan, `None` without `--public-dataset`.
    pub fn resolve(&self) -> Result<Option<PublicDatasetPlan>, SettingError> {
        let Some(name) = &self.public_dataset else {
            // The companions need a dataset (a flag, or `type: public` in the config file).
            let companion = [
                (self.dataset_path.is_some(), "--dataset-path"),
                (
                    self.public_dataset_multi_turn,
                    "--public-dataset-multi-turn",
                ),
                (
                    self.public_dataset_max_tokens.is_some(),
                    "--public-dataset-max-tokens",
                ),
            ]
            .into_iter()
            .find(|(given, _)| *given);
            if let Some((_, flag)) = companion {
                return Err(SettingError::flag(
                    flag,
                    "applies to a public dataset; add --public-dataset NAME (or `type: public` \
                     with `dataset: NAME` under benchmark.dataset in the config file)",
                ));
            }
            return Ok(None);
        };
        if crate::config::VisionDataset::parse(name).is_some() {
            return Ok(None); // `resolve_vision` (public_vision.rs) takes it.
        }
        let variant = PublicDataset::parse(name).ok_or_else(|| {
            SettingError::flag(
                "--public-dataset",
                format!(
                    "unknown dataset '{name}'; expected one of: {}",
                    PublicDataset::all_names().join(", ")
                ),
            )
        })?;
        let reply_lengths = variant.has_reply_lengths() && self.public_dataset_max_tokens.is_none();
        let max_tokens = match self.public_dataset_max_tokens {
            Some(0) => None,
            Some(n) => Some(n),
            None => variant.default_max_tokens(),
        };
        Ok(Some(PublicDatasetPlan {
            variant,
            dataset_path: self.dataset_path.clone(),
            multi_turn: self.public_dataset_multi_turn,
            max_tokens,
            reply_lengths,
        }))
    }
}

/// `--dataset-sampling-strategy` orders an input file or public dataset; a fixed schedule or
/// a trace sends in time order and a random pool draws its own rows, so those are refused;
/// synthetic prompts are ignored with a warning (each entry is drawn fresh already).
pub(super) fn check_sampling(
    plan: &crate::config::Plan,
    warnings: &mut Vec<String>,
) -> Result<(), SettingError> {
    use crate::config::InputFormat;
    const FLAG: &str = "--dataset-sampling-strategy";
    let Some(strategy) = plan.dataset_sampling else {
        return Ok(());
    };
    if plan.fixed_schedule.is_some() {
        return Err(SettingError::flag(
            FLAG,
            "a fixed schedule sends the trace in its time order; drop one of the two",
        ));
    }
    if let Some(input) = &plan.input {
        let refused = match input.format {
            InputFormat::RandomPool => Some("random_pool draws its own rows at random"),
            InputFormat::MooncakeTrace
            | InputFormat::CsvTrace
            | InputFormat::BurstGptTrace
            | InputFormat::BailianTrace
            | InputFormat::Flavor { .. } => Some("a trace is sent in its recorded order"),
            InputFormat::SingleTurn | InputFormat::MultiTurn => None,
        };
        if let Some(why) = refused {
            return Err(SettingError::flag(
                FLAG,
                format!(
                    "{} is not accepted with a {} input: {why}",
                    strategy.name(),
                    input.format.flag_name()
                ),
            ));
        }
    } else if plan.public_dataset.is_none() && plan.raw_payloads.is_none() {
        warnings.push(format!(
            "{FLAG} is ignored: it orders --input-file and --public-dataset entries; synthetic prompts are each drawn fresh"
        ));
    } else if plan.raw_payloads.is_some() {
        return Err(SettingError::flag(
            FLAG,
            "--endpoint-type raw sends the file's bodies in file order",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::file_plan;
    use crate::config::{PublicDataset, SamplingStrategy};

    const BASE: &str = "schemaVersion: \"2.0\"
benchmark:
  model: m
  endpoint:
    url: http://127.0.0.1:9000
  phases:
    - {name: profiling, type: concurrency, concurrency: 2, requests: 10}
  dataset:
";

    fn plan(dataset: &str) -> Result<crate::config::Plan, String> {
        file_plan(&format!("{BASE}{dataset}")).map_err(|e| e.to_string())
    }

    #[test]
    fn yaml_public_dataset_and_sampling_resolve() {
        let p = plan("    type: public\n    dataset: sharegpt\n    sampling: shuffle\n").unwrap();
        let public = p.public_dataset.unwrap();
        assert_eq!(public.variant, PublicDataset::ShareGpt);
        assert!(public.reply_lengths);
        assert_eq!(p.dataset_sampling, Some(SamplingStrategy::Shuffle));
        let p = plan("    type: public\n    dataset: speed_bench_math\n").unwrap();
        assert_eq!(p.public_dataset.unwrap().variant.name(), "speed_bench_math");
        assert_eq!(p.dataset_sampling, None);
    }

    /// The config file's own refusal of `dataset`.
    fn refusal(dataset: &str) -> String {
        crate::config::ConfigFile::parse(&format!("{BASE}{dataset}"), "bench.yaml")
            .unwrap()
            .resolve()
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn yaml_mistakes_name_the_key_and_line() {
        let err = refusal("    type: public\n    dataset: sharegpt5\n");
        assert!(err.contains("benchmark.dataset.dataset"), "{err}");
        assert!(err.contains("unknown public dataset 'sharegpt5'"), "{err}");
        let err = refusal("    type: public\n");
        assert!(err.contains("needs `dataset: NAME`"), "{err}");
        let err = refusal("    dataset: sharegpt\n");
        assert!(err.contains("add `type: public`"), "{err}");
        let err = refusal("    type: public\n    dataset: sharegpt\n    sampling: roundrobin\n");
        assert_eq!(
            err,
            "bench.yaml:11: benchmark.dataset.sampling: unknown sampling 'roundrobin'; \
             expected sequential, random or shuffle"
        );
    }
}
