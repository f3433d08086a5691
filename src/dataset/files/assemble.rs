//! Reader output → `Workload`: prompts made in parallel, sessions laid out contiguously.

use std::path::Path;

use rayon::prelude::*;

use super::hash_text::HashText;
use super::{FilesError, PromptSource};
use crate::dataset::{SessionSpan, TurnLinks, Workload, WorkloadEntry};
use crate::media::MediaPart;

/// What a turn sends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Content {
    /// The user's own text, sent as written.
    Text(String),
    /// Synthetic text of exactly `input_length` tokens; from `hash_ids` blocks when given.
    Tokens {
        /// Prompt length in tokens.
        input_length: u32,
        /// One id per block; empty = plain synthetic text.
        hash_ids: Vec<u64>,
    },
}

/// One turn as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TurnSpec {
    /// 1-based line the turn came from (for errors).
    pub line: usize,
    /// What to send.
    pub content: Content,
    /// `max_tokens`.
    pub max_tokens: Option<u32>,
    /// Trace time in ms.
    pub timestamp_ms: Option<u64>,
    /// Think time before this turn, ms.
    pub delay_ms: u64,
    /// The line's own images, audio and videos (`media.rs`), after the text.
    pub media: Vec<MediaPart>,
}

/// One session as read from the file: turns in order, each after the previous one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SessionSpec {
    /// The file's session id; `None` gets a generated `session_NNNNNN`.
    pub id: Option<String>,
    /// Turns in order.
    pub turns: Vec<TurnSpec>,
    /// Whether turn k is sent after turn k-1's conversation (multi-turn chat) or alone
    /// (ordered but independent requests, AIPerf's `single_turn` with `session_id`).
    pub history: bool,
}

impl SessionSpec {
    /// A one-turn session with no file session id.
    pub(crate) fn lone(turn: TurnSpec) -> Self {
        SessionSpec {
            id: None,
            turns: vec![turn],
            history: false,
        }
    }
}

/// Groups `(session_id, turn)` rows into sessions in order of first appearance; rows without
/// an id stand alone.
pub(crate) fn group(rows: Vec<(Option<String>, TurnSpec)>, history: bool) -> Vec<SessionSpec> {
    let mut sessions: Vec<SessionSpec> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    for (id, turn) in rows {
        match id {
            Some(id) => match index.get(&id) {
                Some(&at) => sessions[at].turns.push(turn),
                None => {
                    index.insert(id.clone(), sessions.len());
                    sessions.push(SessionSpec {
                        id: Some(id),
                        turns: vec![turn],
                        history,
                    });
                }
            },
            None => sessions.push(SessionSpec::lone(turn)),
        }
    }
    sessions
}

/// Makes every prompt and lays the sessions out. The workload is single-turn (no spans) when
/// every session is one turn with no file session id.
pub(crate) fn assemble(
    path: &Path,
    sessions: Vec<SessionSpec>,
    block_size: u32,
    source: PromptSource<'_>,
) -> Result<Workload, FilesError> {
    let hash_ids = sessions
        .iter()
        .flat_map(|s| &s.turns)
        .filter_map(|t| match &t.content {
            Content::Tokens { hash_ids, .. } => Some(hash_ids.iter().copied()),
            Content::Text(_) => None,
        })
        .flatten();
    let blocks = HashText::build(hash_ids, block_size, source)?;
    let multi = sessions.iter().any(|s| s.id.is_some() || s.turns.len() > 1);
    // Media move to their entries (encoded files can be large; they are not copied).
    let mut sessions = sessions;
    let media: Vec<Vec<MediaPart>> = sessions
        .iter_mut()
        .flat_map(|s| s.turns.iter_mut())
        .map(|t| std::mem::take(&mut t.media))
        .collect();

    let flat: Vec<(usize, &SessionSpec, usize, &TurnSpec)> = sessions
        .iter()
        .enumerate()
        .flat_map(|(si, s)| s.turns.iter().enumerate().map(move |(k, t)| (si, s, k, t)))
        .collect();
    let built: Vec<Result<WorkloadEntry, FilesError>> = flat
        .par_iter()
        .enumerate()
        .map(|(index, &(si, session, k, turn))| {
            let (prompt, input_tokens) = prompt(path, turn, index as u64, &blocks, source)?;
            let links = if k == 0 {
                TurnLinks {
                    parents: Vec::new(),
                    history: None,
                    delay_ms: turn.delay_ms,
                }
            } else {
                let parent = u16::try_from(k - 1).map_err(|_| {
                    FilesError::field(
                        path,
                        turn.line,
                        "turns",
                        "a session may have at most 65,536 turns",
                    )
                })?;
                TurnLinks {
                    parents: vec![parent],
                    history: session.history.then_some(parent),
                    delay_ms: turn.delay_ms,
                }
            };
            Ok(WorkloadEntry {
                session_id: session
                    .id
                    .clone()
                    .unwrap_or_else(|| format!("session_{si:06}")),
                prompt,
                input_tokens,
                max_tokens: turn.max_tokens,
                turn: links,
                timestamp_ms: turn.timestamp_ms,
                media: Vec::new(),
                passages: Vec::new(),
            })
        })
        .collect();
    // Scanned in order so the error reported is the first line's whatever the thread count.
    let mut entries = built.into_iter().collect::<Result<Vec<_>, _>>()?;
    for (entry, parts) in entries.iter_mut().zip(media) {
        entry.media = parts;
    }
    if !multi {
        return Ok(Workload::single_turn(entries));
    }
    let mut spans = Vec::with_capacity(sessions.len());
    let mut first = 0u32;
    for session in &sessions {
        let turns = session.turns.len() as u32;
        spans.push(SessionSpan { first, turns });
        first += turns;
    }
    Ok(Workload {
        entries,
        sessions: spans,
    })
}

/// Turn `index`'s prompt and its exact token count.
fn prompt(
    path: &Path,
    turn: &TurnSpec,
    index: u64,
    blocks: &HashText,
    source: PromptSource<'_>,
) -> Result<(String, u32), FilesError> {
    let tok_err = |source| FilesError::Tokenizer {
        path: path.to_path_buf(),
        line: turn.line,
        source,
    };
    match &turn.content {
        Content::Text(text) => {
            let count = source.tokenizer.count(text).map_err(tok_err)?;
            Ok((text.clone(), count))
        }
        Content::Tokens {
            input_length,
            hash_ids,
        } if hash_ids.is_empty() => {
            let text = source
                .generator
                .prompt(*input_length, &mut source.root.stream("file-prompt", index))
                .map_err(tok_err)?;
            Ok((text, *input_length))
        }
        Content::Tokens {
            input_length,
            hash_ids,
        } => {
            let text = blocks
                .prompt(hash_ids, *input_length, source.tokenizer)
                .map_err(tok_err)?;
            Ok((text, *input_length))
        }
    }
}
