//! Flags for shared prompt prefixes and output-length control, and their resolution into the
//! `Plan` (see docs/datasets.md, "Prefixes and output length").

use clap::Args;

use crate::config::settings::{flag, PrefixSettings};

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
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> PrefixSettings {
        PrefixSettings {
            prefix_prompt_length: flag("--prefix-prompt-length", self.prefix_prompt_length),
            prefix_prompt_pool_size: flag(
                "--prefix-prompt-pool-size",
                self.prefix_prompt_pool_size,
            ),
            shared_prefix_ratio: self.shared_prefix_ratio,
            shared_prefix_probability: self.shared_prefix_probability,
            max_tokens_param: self.max_tokens_param.clone(),
            min_tokens: self.min_tokens,
            ignore_eos: self.ignore_eos,
            osl_prompt_hint: self.osl_prompt_hint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::flag_error::FlagError;
    use super::*;
    use crate::config::{OutputLengthPlan, PrefixPlan, PromptPlan};
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
        args(flags).settings().prompt_plan().map(|p| p.prefix)
    }

    #[test]
    fn defaults_change_nothing() {
        let a = args(&[]);
        assert_eq!(a.settings().prompt_plan().unwrap(), PromptPlan::default());
        assert_eq!(
            a.settings().output_length().unwrap(),
            OutputLengthPlan::default()
        );
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
            assert_eq!(err.name(), flag, "{flags:?}: {err}");
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
            .settings()
            .output_length()
            .unwrap_err();
        assert_eq!(err.name(), "--max-tokens-param");
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
            plan.settings().output_length().unwrap(),
            OutputLengthPlan {
                max_tokens_param: "max_completion_tokens".into(),
                min_tokens: true,
                ignore_eos: true,
            }
        );
        assert!(plan.settings().prompt_plan().unwrap().osl_prompt_hint);
    }
}
