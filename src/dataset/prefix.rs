//! Shared prompt prefixes for root requests, and the output-length hint, with exact token
//! counts.
//!
//! Two ways to make root prompts share a start, so a server's prefix (KV) cache is exercised on
//! purpose (see docs/datasets.md):
//!
//! * **Prefix pool** (AIPerf's `--prefix-prompt-length L --prefix-prompt-pool-size P`): P
//!   distinct texts of exactly L tokens; each root prompt is one of them, drawn uniformly, then
//!   its own text. The sampled ISL is the length of the entry's *own* text, so the prompt is
//!   L + ISL tokens. That is AIPerf's meaning (its docs: the prefix is "prepended to input
//!   prompts", and the total "may be off by one" at the seam); keeping it means an AIPerf
//!   command line sends the same lengths here, only without the off-by-one.
//! * **Shared prefix** (Veeksha's `shared_prefix_ratio` / `shared_prefix_probability`): one
//!   text for the whole run; with the given probability a root prompt of ISL tokens starts with
//!   its first round(ratio × ISL) tokens and is ISL tokens in total.
//!
//! Joining two texts can merge tokens at the seam, so every joined prompt is re-counted; a miss
//! is corrected by asking for a longer or shorter continuation from a fresh corpus start.
//! `input_tokens` is always the re-counted length of the exact text sent.

use rand::Rng;
use rayon::prelude::*;

use super::DatasetError;
use crate::config::{PrefixPlan, PromptPlan};
use crate::rng::RngRoot;
use crate::tokenizer::{PromptGenerator, Tokenizer, TokenizerError};

/// Continuations tried to land a joined prompt on its target count.
const MAX_SEAM_TRIES: u32 = 8;
/// Cut points tried to make a shared-text prefix re-encode to the wanted count.
const MAX_CUT_TRIES: u32 = 6;
/// Redraws of a pool prefix that duplicates an earlier one (only a tiny corpus repeats).
const MAX_DISTINCT_TRIES: u32 = 16;

/// A finished prompt and its exact token count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapedPrompt {
    /// The text to send.
    pub text: String,
    /// Tokens of `text` with the run's tokenizer (no special tokens).
    pub tokens: u32,
}

/// The prefixes a run's root prompts draw from.
#[derive(Debug, Clone)]
enum Prefixes {
    None,
    /// Distinct texts with their (exact) token counts.
    Pool(Vec<ShapedPrompt>),
    /// Token ids of the one shared text.
    Shared {
        ids: Vec<u32>,
        ratio: f64,
        probability: f64,
    },
}

/// Makes root prompts (prefix + own text + optional hint) of exact, known length. Built once
/// per run; `root_prompt` depends only on `(seed, index)`, so entries can be made in parallel.
#[derive(Debug, Clone)]
pub struct PromptShaper<'a> {
    generator: PromptGenerator<'a>,
    root: RngRoot,
    prefixes: Prefixes,
    osl_hint: bool,
}

impl<'a> PromptShaper<'a> {
    /// Generates the prefix pool or the shared text. `max_isl` is the longest ISL any root
    /// prompt will ask for: the shared text is made just long enough for it.
    pub fn new(
        plan: &PromptPlan,
        root: &RngRoot,
        generator: PromptGenerator<'a>,
        max_isl: u32,
    ) -> Result<Self, DatasetError> {
        let prefixes =
            match plan.prefix {
                PrefixPlan::None => Prefixes::None,
                PrefixPlan::Pool { length, pool_size } => {
                    Prefixes::Pool(pool(root, &generator, length, pool_size)?)
                }
                PrefixPlan::Shared { ratio, probability } => {
                    let tokens = shared_len(ratio, max_isl);
                    let text = generator
                        .prompt(tokens, &mut root.stream("shared-prefix-text", 0))
                        .map_err(|source| DatasetError::Prompt {
                            index: 0,
                            tokens,
                            source,
                        })?;
                    let ids = generator.tokenizer().encode(&text).map_err(|source| {
                        DatasetError::Prompt {
                            index: 0,
                            tokens,
                            source,
                        }
                    })?;
                    Prefixes::Shared {
                        ids,
                        ratio,
                        probability,
                    }
                }
            };
        Ok(Self {
            generator,
            root: *root,
            prefixes,
            osl_hint: plan.osl_prompt_hint,
        })
    }

    /// The pool's prefixes (empty unless the plan asks for a pool), for tests and reports.
    pub fn pool(&self) -> &[ShapedPrompt] {
        match &self.prefixes {
            Prefixes::Pool(pool) => pool,
            _ => &[],
        }
    }

    /// Root prompt of entry `index` with `isl` sampled input tokens (see the module doc for
    /// what ISL means in each mode), plus the output-length hint when `max_tokens` is set and
    /// the plan asks for it. Draws only from entry `index`'s streams.
    pub fn root_prompt(
        &self,
        index: u32,
        isl: u32,
        max_tokens: Option<u32>,
    ) -> Result<ShapedPrompt, DatasetError> {
        let err = |source| DatasetError::Prompt {
            index,
            tokens: isl,
            source,
        };
        let at = u64::from(index);
        let mut body_rng = self.root.stream("prompt", at);
        let shaped = match &self.prefixes {
            Prefixes::None => self.plain(isl, &mut body_rng).map_err(err)?,
            Prefixes::Pool(pool) => {
                let pick = self
                    .root
                    .stream("prefix-pick", at)
                    .random_range(0..pool.len());
                self.join(&pool[pick], isl, &mut body_rng).map_err(err)?
            }
            Prefixes::Shared {
                ids,
                ratio,
                probability,
            } => {
                let uses = self.root.stream("shared-prefix-use", at).random::<f64>() < *probability;
                let wanted = shared_len(*ratio, isl);
                if uses && wanted > 0 {
                    let prefix = self.shared_cut(ids, wanted).map_err(err)?;
                    let rest = isl.saturating_sub(prefix.tokens);
                    self.join(&prefix, rest, &mut body_rng).map_err(err)?
                } else {
                    self.plain(isl, &mut body_rng).map_err(err)?
                }
            }
        };
        match max_tokens {
            Some(n) if self.osl_hint => self.with_osl_hint(shaped.text, n).map_err(err),
            _ => Ok(shaped),
        }
    }

    /// The prompt of a later session turn (one with parents): no prefix, since the
    /// conversation it follows already starts with one, but the output-length hint if asked.
    pub fn turn_prompt(
        &self,
        index: u32,
        isl: u32,
        max_tokens: Option<u32>,
    ) -> Result<ShapedPrompt, DatasetError> {
        let err = |source| DatasetError::Prompt {
            index,
            tokens: isl,
            source,
        };
        let shaped = self
            .plain(isl, &mut self.root.stream("prompt", u64::from(index)))
            .map_err(err)?;
        match max_tokens {
            Some(n) if self.osl_hint => self.with_osl_hint(shaped.text, n).map_err(err),
            _ => Ok(shaped),
        }
    }

    /// `prompt` with the "Generate exactly N tokens." instruction appended, re-counted. For
    /// servers that honour neither `min_tokens` nor `ignore_eos`; multi-turn sources call it
    /// for every turn.
    pub fn with_osl_hint(
        &self,
        mut prompt: String,
        max_tokens: u32,
    ) -> Result<ShapedPrompt, TokenizerError> {
        prompt.push_str(&osl_hint_text(max_tokens));
        let tokens = self.tokenizer().count(&prompt)?;
        Ok(ShapedPrompt {
            text: prompt,
            tokens,
        })
    }

    fn tokenizer(&self) -> &'a Tokenizer {
        self.generator.tokenizer()
    }

    fn plain(&self, isl: u32, rng: &mut impl Rng) -> Result<ShapedPrompt, TokenizerError> {
        Ok(ShapedPrompt {
            text: self.generator.prompt(isl, rng)?,
            tokens: isl,
        })
    }

    /// `prefix` followed by a continuation, aiming at `prefix.tokens + body` tokens in total.
    /// When the seam merges tokens the continuation is redrawn from a fresh start with its
    /// length corrected by the miss; if every try misses, the last text is returned with its
    /// true count, so the count is exact either way.
    fn join(
        &self,
        prefix: &ShapedPrompt,
        body: u32,
        rng: &mut impl Rng,
    ) -> Result<ShapedPrompt, TokenizerError> {
        if body == 0 {
            return Ok(prefix.clone());
        }
        let target = prefix.tokens + body;
        let mut ask = body;
        let mut last = None;
        for _ in 0..MAX_SEAM_TRIES {
            let mut text = String::with_capacity(prefix.text.len() + ask as usize * 5);
            text.push_str(&prefix.text);
            text.push_str(&self.generator.prompt(ask, rng)?);
            let tokens = self.tokenizer().count(&text)?;
            if tokens == target {
                return Ok(ShapedPrompt { text, tokens });
            }
            ask = (i64::from(ask) + i64::from(target) - i64::from(tokens))
                .clamp(1, i64::from(target)) as u32;
            last = Some(ShapedPrompt { text, tokens });
        }
        Ok(last.unwrap_or_else(|| prefix.clone()))
    }

    /// The start of the shared text that re-encodes to `wanted` tokens: cut at `wanted` ids,
    /// and where the cut re-encodes differently (a split character or merge), move the cut by
    /// the miss. Every candidate is a text prefix of the shared text, so prompts still share
    /// their first tokens; the count returned is the cut's true count.
    fn shared_cut(&self, ids: &[u32], wanted: u32) -> Result<ShapedPrompt, TokenizerError> {
        let wanted = wanted.min(ids.len() as u32);
        let mut cut = wanted;
        let mut best: Option<ShapedPrompt> = None;
        for _ in 0..MAX_CUT_TRIES {
            let text = self.tokenizer().decode(&ids[..cut as usize])?;
            let text = text.trim_end_matches('\u{FFFD}').to_string();
            let tokens = self.tokenizer().count(&text)?;
            let miss = i64::from(wanted) - i64::from(tokens);
            let closer = match &best {
                None => true,
                Some(b) => miss.abs() < (i64::from(wanted) - i64::from(b.tokens)).abs(),
            };
            if closer {
                best = Some(ShapedPrompt { text, tokens });
            }
            if miss == 0 {
                break;
            }
            let next = (i64::from(cut) + miss).clamp(1, ids.len() as i64) as u32;
            if next == cut {
                break;
            }
            cut = next;
        }
        Ok(best.unwrap_or(ShapedPrompt {
            text: String::new(),
            tokens: 0,
        }))
    }
}

/// The instruction `--osl-prompt-hint` appends; a blank line keeps it apart from the text.
pub fn osl_hint_text(max_tokens: u32) -> String {
    format!("\n\nGenerate exactly {max_tokens} tokens.")
}

/// round(ratio × isl), never more than `isl`.
fn shared_len(ratio: f64, isl: u32) -> u32 {
    ((ratio * f64::from(isl)).round() as u32).min(isl)
}

/// `pool_size` distinct prefixes of exactly `length` tokens, prefix `p` from stream
/// `("prefix-pool", p)`. Made in parallel, then de-duplicated in order, so the pool is the
/// same on any thread count.
fn pool(
    root: &RngRoot,
    generator: &PromptGenerator<'_>,
    length: u32,
    pool_size: u32,
) -> Result<Vec<ShapedPrompt>, DatasetError> {
    let err = |index| {
        move |source| DatasetError::Prompt {
            index,
            tokens: length,
            source,
        }
    };
    let drawn: Vec<Result<String, DatasetError>> = (0..pool_size)
        .into_par_iter()
        .map(|p| {
            generator
                .prompt(length, &mut root.stream("prefix-pool", u64::from(p)))
                .map_err(err(p))
        })
        .collect();
    let mut seen = std::collections::HashSet::with_capacity(pool_size as usize);
    let mut pool = Vec::with_capacity(pool_size as usize);
    for (p, text) in (0u32..).zip(drawn) {
        let mut text = text?;
        // A repeat is redrawn from the prefix's own follow-up stream; a corpus too small to
        // hold `pool_size` distinct texts keeps the repeat rather than failing the run.
        let mut again = root.stream("prefix-pool-redraw", u64::from(p));
        for _ in 0..MAX_DISTINCT_TRIES {
            if !seen.contains(&text) {
                break;
            }
            text = generator.prompt(length, &mut again).map_err(err(p))?;
        }
        seen.insert(text.clone());
        pool.push(ShapedPrompt {
            text,
            tokens: length,
        });
    }
    Ok(pool)
}

#[cfg(test)]
#[path = "prefix_tests.rs"]
mod tests;
