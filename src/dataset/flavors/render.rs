//! Templates + placements → the Workload, prompts made in parallel.
//!
//! Entry `i` of the output draws only from `("flavor_prompt", i)`, and rag document `d` only
//! from `("rag_document", d)`, so the result does not depend on how rayon splits the work.

use std::collections::HashMap;

use rayon::prelude::*;

use super::wrap::Placement;
use super::{BlockText, Content, FlavorError, Query, Trace, TurnTemplate};
use crate::dataset::{SessionSpan, TurnLinks, Workload, WorkloadEntry};
use crate::rng::RngRoot;
use crate::tokenizer::{PromptGenerator, Tokenizer};

/// What rendering needs from the caller.
pub(crate) struct Tools<'a> {
    pub root: &'a RngRoot,
    pub generator: &'a PromptGenerator<'a>,
    pub tokenizer: &'a Tokenizer,
    pub block_text: &'a dyn BlockText,
}

/// Builds every placed session's entries; `remaps[p]` renames hash ids on pass `p`.
pub(crate) fn render(
    trace: &Trace,
    placements: &[Placement],
    remaps: &[HashMap<u64, u64>],
    tools: &Tools<'_>,
) -> Result<Workload, FlavorError> {
    let documents: Vec<String> = trace
        .documents
        .par_iter()
        .enumerate()
        .map(|(d, doc)| {
            tools
                .generator
                .prompt(doc.tokens, &mut tools.root.stream("rag_document", d as u64))
                .map_err(|source| FlavorError::Prompt {
                    at: doc.at.clone(),
                    tokens: doc.tokens,
                    source,
                })
        })
        .collect::<Result<_, _>>()?;
    let mut firsts = Vec::with_capacity(placements.len());
    let mut next = 0u32;
    for p in placements {
        firsts.push(next);
        next += trace.sessions[p.template].turns.len() as u32;
    }
    let built: Vec<Result<Vec<WorkloadEntry>, FlavorError>> = placements
        .par_iter()
        .zip(firsts.par_iter())
        .enumerate()
        .map(|(ordinal, (placement, &first))| {
            let session_id = format!("session_{ordinal:06}");
            let remap = remaps.get(placement.pass as usize);
            trace.sessions[placement.template]
                .turns
                .iter()
                .enumerate()
                .map(|(k, turn)| {
                    let index = u64::from(first) + k as u64;
                    let (prompt, input_tokens) = prompt(turn, index, remap, &documents, tools)?;
                    Ok(WorkloadEntry {
                        session_id: session_id.clone(),
                        prompt,
                        input_tokens,
                        max_tokens: turn.max_tokens,
                        turn: TurnLinks {
                            parents: turn.parents.clone(),
                            history: turn.history,
                            delay_ms: turn.delay_ms,
                        },
                        timestamp_ms: turn
                            .timestamp_ms
                            .map(|t| (t + placement.shift_ms).max(0.0).round() as u64),
                        media: Vec::new(),
                        passages: Vec::new(),
                    })
                })
                .collect()
        })
        .collect();
    // Scanned in order so the reported error is the earliest one, whatever the thread count.
    let mut entries = Vec::with_capacity(next as usize);
    let mut sessions = Vec::with_capacity(placements.len());
    for session in built {
        let session = session?;
        sessions.push(SessionSpan {
            first: entries.len() as u32,
            turns: session.len() as u32,
        });
        entries.extend(session);
    }
    if !trace.grouped {
        sessions.clear();
    }
    Ok(Workload { entries, sessions })
}

/// The prompt text of one turn and its exact token count.
fn prompt(
    turn: &TurnTemplate,
    index: u64,
    remap: Option<&HashMap<u64, u64>>,
    documents: &[String],
    tools: &Tools<'_>,
) -> Result<(String, u32), FlavorError> {
    let synthetic = |tokens: u32| {
        tools
            .generator
            .prompt(tokens, &mut tools.root.stream("flavor_prompt", index))
            .map_err(|source| FlavorError::Prompt {
                at: turn.at.clone(),
                tokens,
                source,
            })
    };
    let count = |text: &str| {
        tools
            .tokenizer
            .count(text)
            .map_err(|source| FlavorError::Count {
                at: turn.at.clone(),
                source,
            })
    };
    match &turn.content {
        Content::Synthetic(tokens) => Ok((synthetic(*tokens)?, *tokens)),
        Content::Text { text, tokens } => Ok((text.clone(), *tokens)),
        Content::Blocks {
            hash_ids,
            input_length,
        } => {
            let ids: Vec<u64> = match remap {
                Some(map) => hash_ids
                    .iter()
                    .map(|id| *map.get(id).unwrap_or(id))
                    .collect(),
                None => hash_ids.clone(),
            };
            let text = tools
                .block_text
                .prompt_from_hash_ids(&ids, *input_length)
                .map_err(|reason| FlavorError::BlockText {
                    at: turn.at.clone(),
                    reason,
                })?;
            let tokens = count(&text)?;
            Ok((text, tokens))
        }
        Content::Rag { document, query } => {
            let query = match query {
                Query::Text(text) => text.clone(),
                Query::Synthetic(tokens) => synthetic(*tokens)?,
            };
            let document = &documents[*document];
            let text = if document.is_empty() {
                query
            } else {
                format!("{document}\n\n{query}")
            };
            let tokens = count(&text)?;
            Ok((text, tokens))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::load;
    use super::super::{FlavorOptions, TraceFlavor};

    #[test]
    fn workload_is_byte_identical_on_any_thread_count() {
        let opts = FlavorOptions {
            target_sessions: Some(9),
            rag_document_tokens: 40,
            ..FlavorOptions::default()
        };
        let cases = [
            (TraceFlavor::TimedSyntheticSession, "timed_session.jsonl"),
            (TraceFlavor::Rag, "rag.jsonl"),
        ];
        for (flavor, file) in cases {
            let on = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| load(flavor, file, &opts).unwrap())
            };
            let one = on(1);
            assert_eq!(one, on(4), "{file}");
            assert_eq!(
                one.sessions.len(),
                if flavor == TraceFlavor::Rag { 0 } else { 9 }
            );
        }
    }
}
