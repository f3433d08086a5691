//! Flags for shared prompt prefixes and output-length control, and their resolution into the
//! `Plan` (see docs/datasets.md, "Prefixes and output length").

use clap::Args;

use super::flag_error::{flag_err, FlagError};
use crate::config::{OutputLengthPlan, PrefixPlan, PromptPlan};

/// Shared prefixes (AIPerf's prefix pool or Veeksha's shared prefix) and how requests ask for
/// their output length.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Prefix and output length")]
pub struct PrefixArgs {
    /// Tokens in each pooled prefix (AIPerf's flag). Each root prompt is one prefix followed by
    /// its own --isl tokens, so it is exactly this many tokens longer. Needs
    /// --prefix-prompt-pool-size.
    #[arg(long, visible_alias = "prompt-prefix-length", value_name = "TOKENS")]
    pub prefix_prompt_length: Option<u32>,

    /// Distinct prefixes in the pool; each root prompt draws one uniformly. 0 (the default)
    /// turns the pool off.
    #[arg(
        long,
        visible_aliases = ["prompt-prefix-pool-size", "num-prefix-prompts"],
        value_name = "COUNT"
    )]
    pub prefix_prompt_pool_size: Option<u32>,

    /// Fraction (0..=1) of each root prompt's tokens taken from the start of one text shared by
    /// the whole run (Veeksha's shared_prefix_ratio); the prompt stays --isl tokens long.
    /// Not combinable with the prefix pool [default: 0, off].
    #[arg(long, value_name = "RATIO")]
    pub shared_prefix_ratio: Option<f64>,

    /// Probability (0..=1) that a root prompt uses the shared prefix at all; the others are
    /// wholly their own text. Needs --shared-prefix-ratio [default: 1].
    #[arg(long, value_name = "P")]
    pub shared_prefix_probability: Option<f64>,

    /// Body field that carries the output budget, e.g. max_completion_tokens
    /// [default: max_tokens].
    #[arg(long, value_name = "NAME")]
    pub max_tokens_param: Option<String>,

    /// Also send min_tokens equal to the output budget (vLLM and SGLang honour it), so
    /// responses are exactly --osl tokens long.
    #[arg(long)]
    pub min_tokens: bool,

    /// Send "ignore_eos": true, so the model does not stop before the output budget.
    #[arg(long)]
    pub ignore_eos: bool,

    /// Append "Generate exactly N tokens." to each prompt that has an output budget, for
    /// servers without min_tokens or ignore_eos. The hint's tokens are counted in the input
    /// length.
    #[arg(long)]
    pub osl_prompt_hint: bool,
}

impl PrefixArgs {
    /// The prompt shaping: the prefix mode (pool, shared or none) and the output hint.
    pub(super) fn prompt_plan(&self) -> Result<PromptPlan, FlagError> {
        Ok(PromptPlan {
            prefix: self.prefix_plan()?,
            osl_prompt_hint: self.osl_prompt_hint,
        })
    }

    /// How requests ask for their output length.
    pub(super) fn output_length(&self) -> Result<OutputLengthPlan, FlagError> {
        let mut plan = OutputLengthPlan {
            min_tokens: self.min_tokens,
            ignore_eos: self.ignore_eos,
            ..OutputLengthPlan::default()
        };
        if let Some(name) = &self.max_tokens_param {
            let name = name.trim();
            if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '"') {
                return Err(flag_err(
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

    fn prefix_plan(&self) -> Result<PrefixPlan, FlagError> {
        let pool_size = self.prefix_prompt_pool_size.unwrap_or(0);
        let ratio = self
            .shared_prefix_ratio
            .map(|r| fraction("--shared-prefix-ratio", r))
            .transpose()?;
        let probability = self
            .shared_prefix_probability
            .map(|p| fraction("--shared-prefix-probability", p))
            .transpose()?;
        if pool_size > 0 && ratio.is_some() {
            return Err(flag_err(
                "--shared-prefix-ratio",
                "cannot be combined with --prefix-prompt-pool-size: both decide how every root \
                 prompt starts; pick the prefix pool (AIPerf) or the shared prefix (Veeksha)",
            ));
        }
        if pool_size > 0 {
            let length = match self.prefix_prompt_length {
                Some(0) | None => {
                    return Err(flag_err(
                        "--prefix-prompt-length",
                        "must be at least 1 when --prefix-prompt-pool-size is set",
                    ))
                }
                Some(length) => length,
            };
            return Ok(PrefixPlan::Pool { length, pool_size });
        }
        if self.prefix_prompt_length.is_some_and(|l| l > 0) {
            return Err(flag_err(
                "--prefix-prompt-length",
                "needs --prefix-prompt-pool-size (how many distinct prefixes to make)",
            ));
        }
        match (ratio, probability) {
            (Some(ratio), probability) if ratio > 0.0 => Ok(PrefixPlan::Shared {
                ratio,
                probability: probability.unwrap_or(1.0),
            }),
            (None, Some(_)) => Err(flag_err(
                "--shared-prefix-probability",
                "needs --shared-prefix-ratio (the fraction of each prompt that is shared)",
            )),
            _ => Ok(PrefixPlan::None),
        }
    }
}

/// `value` if it is a number in 0..=1.
fn fraction(flag: &'static str, value: f64) -> Result<f64, FlagError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(flag_err(
            flag,
            format!("must be a number between 0 and 1, got {value}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: PrefixArgs,
    }

    fn args(flags: &[&str]) -> PrefixArgs {
        let mut full = vec!["x"];
        full.extend_from_slice(flags);
        Wrapper::try_parse_from(full).unwrap().args
    }

    fn prefix(flags: &[&str]) -> Result<PrefixPlan, FlagError> {
        args(flags).prompt_plan().map(|p| p.prefix)
    }

    #[test]
    fn defaults_change_nothing() {
        let a = args(&[]);
        assert_eq!(a.prompt_plan().unwrap(), PromptPlan::default());
        assert_eq!(a.output_length().unwrap(), OutputLengthPlan::default());
        assert_eq!(OutputLengthPlan::default().max_tokens_param, "max_tokens");
    }

    #[test]
    fn pool_flags_and_aiperf_aliases() {
        let want = PrefixPlan::Pool {
            length: 64,
            pool_size: 4,
        };
        let long = [
            "--prefix-prompt-length",
            "64",
            "--prefix-prompt-pool-size",
            "4",
        ];
        assert_eq!(prefix(&long).unwrap(), want);
        let alias = ["--prompt-prefix-length", "64", "--num-prefix-prompts", "4"];
        assert_eq!(prefix(&alias).unwrap(), want);
        // AIPerf's "pool size 0 = off".
        let off = [
            "--prefix-prompt-length",
            "0",
            "--prefix-prompt-pool-size",
            "0",
        ];
        assert_eq!(prefix(&off).unwrap(), PrefixPlan::None);
    }

    #[test]
    fn shared_prefix_flags() {
        assert_eq!(
            prefix(&["--shared-prefix-ratio", "0.5"]).unwrap(),
            PrefixPlan::Shared {
                ratio: 0.5,
                probability: 1.0
            }
        );
        assert_eq!(
            prefix(&[
                "--shared-prefix-ratio",
                "0.25",
                "--shared-prefix-probability",
                "0.3"
            ])
            .unwrap(),
            PrefixPlan::Shared {
                ratio: 0.25,
                probability: 0.3
            }
        );
        assert_eq!(
            prefix(&["--shared-prefix-ratio", "0"]).unwrap(),
            PrefixPlan::None
        );
    }

    #[test]
    fn bad_values_name_their_flag() {
        let cases: [(&[&str], &str); 7] = [
            (&["--shared-prefix-ratio", "1.5"], "--shared-prefix-ratio"),
            (&["--shared-prefix-ratio=-0.1"], "--shared-prefix-ratio"),
            (&["--shared-prefix-ratio", "NaN"], "--shared-prefix-ratio"),
            (
                &[
                    "--shared-prefix-ratio",
                    "0.5",
                    "--shared-prefix-probability",
                    "2",
                ],
                "--shared-prefix-probability",
            ),
            (
                &["--shared-prefix-probability", "0.5"],
                "--shared-prefix-probability",
            ),
            (&["--prefix-prompt-length", "10"], "--prefix-prompt-length"),
            (
                &["--prefix-prompt-pool-size", "3"],
                "--prefix-prompt-length",
            ),
        ];
        for (flags, flag) in cases {
            let err = prefix(flags).unwrap_err();
            assert_eq!(err.flag, flag, "{flags:?}: {err}");
        }
        let both = [
            "--prefix-prompt-length",
            "10",
            "--prefix-prompt-pool-size",
            "3",
            "--shared-prefix-ratio",
            "0.5",
        ];
        let err = prefix(&both).unwrap_err().to_string();
        assert!(err.contains("cannot be combined"), "{err}");
        let err = args(&["--max-tokens-param", " "])
            .output_length()
            .unwrap_err();
        assert_eq!(err.flag, "--max-tokens-param");
    }

    #[test]
    fn output_length_flags() {
        let plan = args(&[
            "--max-tokens-param",
            "max_completion_tokens",
            "--min-tokens",
            "--ignore-eos",
            "--osl-prompt-hint",
        ]);
        assert_eq!(
            plan.output_length().unwrap(),
            OutputLengthPlan {
                max_tokens_param: "max_completion_tokens".into(),
                min_tokens: true,
                ignore_eos: true,
            }
        );
        assert!(plan.prompt_plan().unwrap().osl_prompt_hint);
    }
}
