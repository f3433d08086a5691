//! `hash_ids` → text: the same id always gives the same block of exactly `block_size` tokens,
//! blocks are concatenated, and the last block is cut so the prompt has exactly the trace's
//! `input_length` tokens. Equal id prefixes thus give equal text prefixes, which is what lets
//! a server's prefix cache hit the way the trace says it would.
//!
//! The seam: BPE can merge tokens across two concatenated texts, so `count(a + b)` need not be
//! `count(a) + count(b)`. Blocks are built to start with an ASCII letter and end with a
//! newline; byte-level BPE tokenizers (GPT-2 style pre-tokenizers: Qwen, Llama 3, GPT-4o …)
//! never join a newline with the letter after it, so counts add up and a block tokenizes the
//! same wherever it sits. That is checked once per tokenizer on real blocks; a tokenizer that
//! fails the check gets every prompt counted whole and its last piece corrected instead.

use std::collections::HashMap;

use rayon::prelude::*;

use super::{FilesError, PromptSource};
use crate::tokenizer::{Tokenizer, TokenizerError};

/// Smallest block that can start with a letter, carry text and end with a newline.
const MIN_SEAM_SAFE_BLOCK: u32 = 8;
/// Tries at one block before giving up.
const BLOCK_ATTEMPTS: u32 = 16;
/// Corrections of the last piece when the seam is not safe.
const SEAM_CORRECTIONS: usize = 6;

/// Veeksha's shared_prefix flavor reads its own rows, so its blocks are made per prompt.
/// Block `id` depends only on the seed and `id`, so a shared id still yields the same text in
/// every prompt; only the work is repeated.
pub struct OnDemandBlocks<'a> {
    /// Tokens per block.
    pub block_size: u32,
    /// Tokenizer, corpus and seed.
    pub source: PromptSource<'a>,
}

impl crate::dataset::flavors::BlockText for OnDemandBlocks<'_> {
    fn prompt_from_hash_ids(&self, hash_ids: &[u64], input_length: u32) -> Result<String, String> {
        let needed = input_length.div_ceil(self.block_size.max(1)) as usize;
        let ids = &hash_ids[..needed.min(hash_ids.len())];
        let text = HashText::build(ids.iter().copied(), self.block_size, self.source)
            .map_err(|e| e.to_string())?;
        text.prompt(ids, input_length, self.source.tokenizer)
            .map_err(|e| e.to_string())
    }
}

/// The text of every hash id a workload uses, made once (in parallel) and shared by prompts.
#[derive(Debug, Default)]
pub struct HashText {
    blocks: HashMap<u64, String>,
    block_size: u32,
    /// Whether concatenated blocks count as the sum of their parts with this tokenizer.
    seam_safe: bool,
}

impl HashText {
    /// Blocks for the distinct ids in `ids`. Block `id` depends only on the seed and `id`.
    pub fn build(
        ids: impl IntoIterator<Item = u64>,
        block_size: u32,
        source: PromptSource<'_>,
    ) -> Result<HashText, FilesError> {
        let mut distinct: Vec<u64> = ids.into_iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.is_empty() {
            return Ok(HashText::default());
        }
        let safe_shape = safe_shape(block_size);
        let blocks = distinct
            .par_iter()
            .map(|&id| {
                block(id, block_size, safe_shape, source)
                    .map(|text| (id, text))
                    .map_err(|source| FilesError::Block {
                        id,
                        block_size,
                        source,
                    })
            })
            .collect::<Result<HashMap<u64, String>, _>>()?;
        let mut text = HashText {
            blocks,
            block_size,
            seam_safe: false,
        };
        text.seam_safe = safe_shape
            && text
                .probe_seams(source.tokenizer, &distinct)
                .map_err(|source| FilesError::Block {
                    id: distinct[0],
                    block_size,
                    source,
                })?;
        Ok(text)
    }

    /// Whether concatenations are counted by addition (see the module docs).
    pub fn seam_safe(&self) -> bool {
        self.seam_safe
    }

    /// The cached text of block `id`, if the workload uses it.
    pub fn block(&self, id: u64) -> Option<&str> {
        self.blocks.get(&id).map(String::as_str)
    }

    /// A prompt of exactly `input_length` tokens from the blocks of `hash_ids` (the first
    /// `ceil(input_length / block_size)` of them; the caller checks there are enough).
    pub fn prompt(
        &self,
        hash_ids: &[u64],
        input_length: u32,
        tokenizer: &Tokenizer,
    ) -> Result<String, TokenizerError> {
        assemble_prompt(
            |id| self.block(id),
            self.block_size,
            self.seam_safe,
            hash_ids,
            input_length,
            tokenizer,
        )
    }

    /// Counts a few real concatenations: true when they add up exactly.
    fn probe_seams(&self, tokenizer: &Tokenizer, ids: &[u64]) -> Result<bool, TokenizerError> {
        let sample: Vec<&str> = ids
            .iter()
            .take(SEAM_PROBE_BLOCKS)
            .filter_map(|id| self.block(*id))
            .collect();
        seams_add_up(&sample, self.block_size, tokenizer)
    }
}

/// Blocks the seam check concatenates: the first of the workload's distinct ids, in order.
pub(crate) const SEAM_PROBE_BLOCKS: usize = 9;

/// Whether `blocks` (each `block_size` tokens) count as the sum of their parts when joined.
pub(crate) fn seams_add_up(
    blocks: &[&str],
    block_size: u32,
    tokenizer: &Tokenizer,
) -> Result<bool, TokenizerError> {
    let Some(first) = blocks.first() else {
        return Ok(false);
    };
    let joined: String = blocks.concat();
    let expected = block_size as usize * blocks.len();
    Ok(tokenizer.count(&joined)? as usize == expected
        && blocks
            .iter()
            .all(|b| tokenizer.count(&format!("{b}{first}")).ok() == Some(block_size * 2)))
}

/// Whether blocks of `block_size` tokens are made seam-safe (start with a letter, end with a
/// newline); smaller ones are plain corpus text.
pub(crate) fn safe_shape(block_size: u32) -> bool {
    block_size >= MIN_SEAM_SAFE_BLOCK
}

/// A prompt of exactly `input_length` tokens from the blocks `lookup` gives for `hash_ids`
/// (the first `ceil(input_length / block_size)`): every block but the last whole, the last
/// cut to the remaining length. With `seam_safe` the pieces' counts add up; otherwise the
/// whole is counted and the last piece corrected a few times.
pub(crate) fn assemble_prompt<'b>(
    lookup: impl Fn(u64) -> Option<&'b str>,
    block_size: u32,
    seam_safe: bool,
    hash_ids: &[u64],
    input_length: u32,
    tokenizer: &Tokenizer,
) -> Result<String, TokenizerError> {
    let not_exact = || TokenizerError::PromptNotExact {
        tokens: input_length,
        corpus: "hash_ids blocks".into(),
        attempts: 1,
    };
    crate::tokenizer::check_prompt_tokens(u64::from(input_length))?;
    let size = block_size.max(1);
    let needed = input_length.div_ceil(size) as usize;
    if needed == 0 || hash_ids.len() < needed {
        return Err(not_exact());
    }
    let block = |id: &u64| lookup(*id).ok_or_else(not_exact);
    let mut text = String::with_capacity(needed * size as usize * 5);
    for id in &hash_ids[..needed - 1] {
        text.push_str(block(id)?);
    }
    let last = block(&hash_ids[needed - 1])?;
    let head_tokens = (needed as u32 - 1) * size;
    let mut want = input_length - head_tokens;
    let head_len = text.len();
    for _ in 0..SEAM_CORRECTIONS {
        let piece = cut(last, want, tokenizer)?.ok_or_else(not_exact)?;
        text.truncate(head_len);
        text.push_str(&piece);
        if seam_safe {
            return Ok(text);
        }
        let count = tokenizer.count(&text)?;
        if count == input_length {
            return Ok(text);
        }
        let next = i64::from(want) + i64::from(input_length) - i64::from(count);
        if next < 1 || next > i64::from(size) * 2 || next == i64::from(want) {
            break;
        }
        want = next as u32;
    }
    Err(not_exact())
}

/// Block `id`: exactly `size` tokens from the corpus at a place chosen by `("hash-block",
/// id)`; when `safe_shape`, starting with an ASCII letter and ending with a newline.
pub(crate) fn block(
    id: u64,
    size: u32,
    safe_shape: bool,
    source: PromptSource<'_>,
) -> Result<String, TokenizerError> {
    let mut rng = source.root.stream("hash-block", id);
    if !safe_shape {
        return source.generator.prompt(size, &mut rng);
    }
    let mut core_tokens = size - 1;
    for _ in 0..BLOCK_ATTEMPTS {
        let core = source.generator.prompt(core_tokens, &mut rng)?;
        let core = core
            .trim_start_matches(|c: char| !c.is_ascii_alphabetic())
            .trim_end();
        if core.is_empty() {
            continue;
        }
        let text = format!("{core}\n");
        let count = source.tokenizer.count(&text)?;
        if count == size {
            return Ok(text);
        }
        let next = i64::from(core_tokens) + i64::from(size) - i64::from(count);
        core_tokens = next.clamp(1, i64::from(size) * 2) as u32;
    }
    Err(TokenizerError::PromptNotExact {
        tokens: size,
        corpus: "hash_ids blocks".into(),
        attempts: BLOCK_ATTEMPTS,
    })
}

/// The longest-looking prefix of `text` with exactly `tokens` tokens: the first `tokens` ids
/// decoded, else the longest character prefix that counts `tokens` (by bisection).
fn cut(text: &str, tokens: u32, tokenizer: &Tokenizer) -> Result<Option<String>, TokenizerError> {
    let ids = tokenizer.encode(text)?;
    if ids.len() as u32 == tokens {
        return Ok(Some(text.to_string()));
    }
    let take = (tokens as usize).min(ids.len());
    let decoded = tokenizer.decode(&ids[..take])?;
    let decoded = decoded.trim_end_matches('\u{FFFD}');
    if text.starts_with(decoded) && tokenizer.count(decoded)? == tokens {
        return Ok(Some(decoded.to_string()));
    }
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    // Invariant: a prefix of `lo` chars counts <= tokens; one of `hi` chars counts more.
    let (mut lo, mut hi) = (0usize, bounds.len() - 1);
    if tokenizer.count(text)? <= tokens {
        return Ok(None);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if tokenizer.count(&text[..bounds[mid]])? <= tokens {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let candidate = &text[..bounds[lo]];
    Ok((tokenizer.count(candidate)? == tokens).then(|| candidate.to_string()))
}
