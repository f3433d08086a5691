//! Shared prompt prefixes and output-length control (see docs/datasets.md, "Prefixes and
//! output length").

use super::resolve::origin;
use super::{Opt, Origin, SettingError};
use crate::config::{OutputLengthPlan, PrefixPlan, PromptPlan, DEFAULT_SHARED_PREFIX_PROBABILITY};

/// Shared prefixes (AIPerf's prefix pool or Veeksha's shared prefix) and how requests ask for
/// their output length. The pool's two values also come from a file's
/// `dataset.prefix_prompts`; the rest from flags only.
#[derive(Debug, Clone, Default)]
pub struct PrefixSettings {
    /// `--prefix-prompt-length` or `dataset.prefix_prompts.length`.
    pub prefix_prompt_length: Opt<u32>,
    /// `--prefix-prompt-pool-size` or `dataset.prefix_prompts.pool_size`.
    pub prefix_prompt_pool_size: Opt<u32>,
    /// `--shared-prefix-ratio`.
    pub shared_prefix_ratio: Option<f64>,
    /// `--shared-prefix-probability`.
    pub shared_prefix_probability: Option<f64>,
    /// `--max-tokens-param`.
    pub max_tokens_param: Option<String>,
    /// `--min-tokens`.
    pub min_tokens: bool,
    /// `--ignore-eos`.
    pub ignore_eos: bool,
    /// `--osl-prompt-hint`.
    pub osl_prompt_hint: bool,
}

impl PrefixSettings {
    /// These settings (the flags) over the file's prefix pool: a flag given wins.
    pub fn over(self, file: PrefixSettings) -> PrefixSettings {
        PrefixSettings {
            prefix_prompt_length: self.prefix_prompt_length.or(file.prefix_prompt_length),
            prefix_prompt_pool_size: self
                .prefix_prompt_pool_size
                .or(file.prefix_prompt_pool_size),
            ..self
        }
    }

    /// The prompt shaping: the prefix mode (pool, shared or none) and the output hint.
    pub fn prompt_plan(&self) -> Result<PromptPlan, SettingError> {
        Ok(PromptPlan {
            prefix: self.prefix_plan()?,
            osl_prompt_hint: self.osl_prompt_hint,
        })
    }

    /// How requests ask for their output length.
    pub fn output_length(&self) -> Result<OutputLengthPlan, SettingError> {
        let mut plan = OutputLengthPlan {
            min_tokens: self.min_tokens,
            ignore_eos: self.ignore_eos,
            ..OutputLengthPlan::default()
        };
        if let Some(name) = &self.max_tokens_param {
            let name = name.trim();
            if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '"') {
                return Err(SettingError::flag(
                    "--max-tokens-param",
                    format!(
                        "must be a JSON field name such as max_completion_tokens, got {name:?}"
                    ),
                ));
            }
            plan.max_tokens_param = name.to_string();
        }
        Ok(plan)
    }

    fn prefix_plan(&self) -> Result<PrefixPlan, SettingError> {
        let pool_from = origin(&self.prefix_prompt_pool_size, "--prefix-prompt-pool-size");
        // A missing length is named where its pool size was: the flag, or the file's
        // `prefix_prompts.length` at the pool size's line.
        let length_from = match (&self.prefix_prompt_length, &pool_from) {
            (Some(g), _) => g.from.clone(),
            (None, Origin::Key { file, line, path }) => Origin::Key {
                file: file.clone(),
                line: *line,
                path: path
                    .strip_suffix("pool_size")
                    .map_or_else(|| path.clone(), |p| format!("{p}length")),
            },
            (None, Origin::Flag(_)) => Origin::Flag("--prefix-prompt-length"),
        };
        let length = self.prefix_prompt_length.as_ref().map(|g| g.value);
        let pool_size = self.prefix_prompt_pool_size.as_ref().map_or(0, |g| g.value);
        let ratio = self
            .shared_prefix_ratio
            .map(|r| fraction("--shared-prefix-ratio", r))
            .transpose()?;
        let probability = self
            .shared_prefix_probability
            .map(|p| fraction("--shared-prefix-probability", p))
            .transpose()?;
        if pool_size > 0 && ratio.is_some() {
            return Err(SettingError::flag(
                "--shared-prefix-ratio",
                format!(
                    "cannot be combined with {}: both decide how every root prompt starts; \
                     pick the prefix pool (AIPerf) or the shared prefix (Veeksha)",
                    pool_from.name()
                ),
            ));
        }
        if pool_size > 0 {
            let length = match length {
                Some(0) | None => {
                    return Err(SettingError::new(
                        &length_from,
                        format!("must be at least 1 when {} is set", pool_from.name()),
                    ))
                }
                Some(length) => length,
            };
            return Ok(PrefixPlan::Pool { length, pool_size });
        }
        if length.is_some_and(|l| l > 0) {
            return Err(SettingError::new(
                &length_from,
                "needs a pool size: --prefix-prompt-pool-size or dataset.prefix_prompts.pool_size \
                 (how many distinct prefixes to make)",
            ));
        }
        match (ratio, probability) {
            (Some(ratio), probability) if ratio > 0.0 => Ok(PrefixPlan::Shared {
                ratio,
                probability: probability.unwrap_or(DEFAULT_SHARED_PREFIX_PROBABILITY),
            }),
            (None, Some(_)) => Err(SettingError::flag(
                "--shared-prefix-probability",
                "needs --shared-prefix-ratio (the fraction of each prompt that is shared)",
            )),
            _ => Ok(PrefixPlan::None),
        }
    }
}

/// `value` if it is a number in 0..=1.
fn fraction(flag: &'static str, value: f64) -> Result<f64, SettingError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(SettingError::flag(
            flag,
            format!("must be a number between 0 and 1, got {value}"),
        ))
    }
}
