//! Prompts made when they are about to be sent, not all before the clock: a large trace
//! (a Mooncake replay holds prompts of up to 120k tokens) is read, counted and checked up
//! front, and its prompt text is made a chunk at a time by the run's rendering thread.
//!
//! Prompt `i` is the same text the whole build makes (`assemble`): its blocks depend only
//! on the seed and their id, the seam check looks at the same first distinct ids, and
//! hash-less rows draw from the same `("file-prompt", i)` stream. The block cache keeps a
//! block while a recent chunk used it and drops it after; a block needed again later is
//! made again, identically, so memory stays bounded however long the replay runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::assemble::{Content, SessionSpec};
use super::hash_text::{self, assemble_prompt, SEAM_PROBE_BLOCKS};
use super::{FilesError, PromptSource};
use crate::dataset::{Workload, WorkloadEntry};

/// Chunks a block outlives its last use in before it is dropped.
const KEEP_CHUNKS: u64 = 4;

/// One entry's recipe: what the whole build would have turned into its prompt.
#[derive(Debug)]
struct Recipe {
    line: usize,
    content: Content,
}

/// The prompts of a single-turn workload whose entries were built without them.
#[derive(Debug)]
pub struct DeferredPrompts {
    path: PathBuf,
    recipes: Vec<Recipe>,
    block_size: u32,
    seam_safe: bool,
    /// Block text by id, with the chunk that last used it.
    cache: HashMap<u64, (String, u64)>,
    chunk: u64,
    /// The most blocks the cache held after a chunk (for tests and docs).
    peak_blocks: usize,
}

impl DeferredPrompts {
    /// Entries in the workload.
    pub fn len(&self) -> usize {
        self.recipes.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.recipes.is_empty()
    }

    /// The prompts of `entries` (indices into the workload, any order, repeats allowed),
    /// made in parallel. Blocks missing from the cache are made first; blocks no recent chunk
    /// used are dropped after.
    pub fn prompts(
        &mut self,
        entries: &[usize],
        source: PromptSource<'_>,
    ) -> Result<Vec<String>, FilesError> {
        self.chunk += 1;
        let chunk = self.chunk;
        let mut missing: Vec<u64> = Vec::new();
        for &i in entries {
            if let Content::Tokens {
                input_length,
                hash_ids,
            } = &self.recipes[i].content
            {
                let needed = input_length.div_ceil(self.block_size.max(1)) as usize;
                for id in &hash_ids[..needed.min(hash_ids.len())] {
                    match self.cache.get_mut(id) {
                        Some((_, used)) => *used = chunk,
                        None => missing.push(*id),
                    }
                }
            }
        }
        missing.sort_unstable();
        missing.dedup();
        let shape = hash_text::safe_shape(self.block_size);
        let block_size = self.block_size;
        let made = missing
            .par_iter()
            .map(|&id| {
                hash_text::block(id, block_size, shape, source)
                    .map(|text| (id, (text, chunk)))
                    .map_err(|source| FilesError::Block {
                        id,
                        block_size,
                        source,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.cache.extend(made);
        let prompts = {
            let this = &*self;
            entries
                .par_iter()
                .map(|&i| this.prompt(i, source))
                .collect::<Vec<_>>()
        };
        self.peak_blocks = self.peak_blocks.max(self.cache.len());
        self.cache
            .retain(|_, (_, used)| *used + KEEP_CHUNKS > chunk);
        // Scanned in order so the error reported is the first entry's whatever the threads.
        prompts.into_iter().collect()
    }

    /// The most blocks held at once so far.
    pub fn peak_blocks(&self) -> usize {
        self.peak_blocks
    }

    fn prompt(&self, index: usize, source: PromptSource<'_>) -> Result<String, FilesError> {
        let recipe = &self.recipes[index];
        let tok_err = |source| FilesError::Tokenizer {
            path: self.path.clone(),
            line: recipe.line,
            source,
        };
        match &recipe.content {
            Content::Text(text) => Ok(text.clone()),
            Content::Tokens {
                input_length,
                hash_ids,
            } if hash_ids.is_empty() => source
                .generator
                .prompt(
                    *input_length,
                    &mut source.root.stream("file-prompt", index as u64),
                )
                .map_err(tok_err),
            Content::Tokens {
                input_length,
                hash_ids,
            } => assemble_prompt(
                |id| self.cache.get(&id).map(|(text, _)| text.as_str()),
                self.block_size,
                self.seam_safe,
                hash_ids,
                *input_length,
                source.tokenizer,
            )
            .map_err(tok_err),
        }
    }
}

/// The single-turn workload of `sessions` (each one turn, no file session id) with empty
/// prompts, and what makes them later. User text is counted now, as the whole build does.
pub(crate) fn defer(
    path: &Path,
    sessions: Vec<SessionSpec>,
    block_size: u32,
    source: PromptSource<'_>,
) -> Result<(Workload, DeferredPrompts), FilesError> {
    debug_assert!(sessions
        .iter()
        .all(|s| s.id.is_none() && s.turns.len() == 1));
    let mut distinct: Vec<u64> = sessions
        .iter()
        .flat_map(|s| &s.turns)
        .filter_map(|t| match &t.content {
            Content::Tokens { hash_ids, .. } => Some(hash_ids.iter().copied()),
            Content::Text(_) => None,
        })
        .flatten()
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let seam_safe = seam_check(&distinct, block_size, source)?;
    // Everything the whole build would refuse before the clock is refused here too: user text
    // that cannot be counted, and lengths past the cap (checked now, not when made).
    let counted = sessions
        .par_iter()
        .map(|s| {
            let turn = &s.turns[0];
            let tok_err = |source| FilesError::Tokenizer {
                path: path.to_path_buf(),
                line: turn.line,
                source,
            };
            match &turn.content {
                Content::Text(text) => source.tokenizer.count(text).map_err(tok_err),
                Content::Tokens { input_length, .. } => {
                    crate::tokenizer::check_prompt_tokens(u64::from(*input_length))
                        .map_err(tok_err)?;
                    Ok(*input_length)
                }
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<u32>, _>>()?;
    let mut entries = Vec::with_capacity(sessions.len());
    let mut recipes = Vec::with_capacity(sessions.len());
    for (si, (session, input_tokens)) in sessions.into_iter().zip(counted).enumerate() {
        let turn = session.turns.into_iter().next().expect("one turn");
        let mut entry = WorkloadEntry::single(
            format!("session_{si:06}"),
            String::new(),
            input_tokens,
            turn.max_tokens,
        );
        entry.timestamp_ms = turn.timestamp_ms;
        entry.turn.delay_ms = turn.delay_ms;
        entry.media = turn.media;
        entries.push(entry);
        recipes.push(Recipe {
            line: turn.line,
            content: turn.content,
        });
    }
    Ok((
        Workload::single_turn(entries),
        DeferredPrompts {
            path: path.to_path_buf(),
            recipes,
            block_size,
            seam_safe,
            cache: HashMap::new(),
            chunk: 0,
            peak_blocks: 0,
        },
    ))
}

/// The whole build's seam decision: the first distinct ids' blocks, joined and counted.
fn seam_check(
    distinct: &[u64],
    block_size: u32,
    source: PromptSource<'_>,
) -> Result<bool, FilesError> {
    if distinct.is_empty() || !hash_text::safe_shape(block_size) {
        return Ok(false);
    }
    let probe = &distinct[..distinct.len().min(SEAM_PROBE_BLOCKS)];
    let blocks = probe
        .par_iter()
        .map(|&id| {
            hash_text::block(id, block_size, true, source).map_err(|source| FilesError::Block {
                id,
                block_size,
                source,
            })
        })
        .collect::<Result<Vec<String>, _>>()?;
    let texts: Vec<&str> = blocks.iter().map(String::as_str).collect();
    hash_text::seams_add_up(&texts, block_size, source.tokenizer).map_err(|source| {
        FilesError::Block {
            id: distinct[0],
            block_size,
            source,
        }
    })
}
