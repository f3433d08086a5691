//! ShareGPT (`ShareGPT_V3_unfiltered_cleaned_split.json`) → Workload, the way AIPerf and vLLM's
//! benchmarks read it: a JSON array of `{"id", "conversations": [{"from", "value"}, ...]}`;
//! each `human` message followed by a `gpt` message is a (prompt, reply) pair. A conversation
//! with fewer than two messages is skipped. Single-turn runs send each conversation's first
//! pair; `--public-dataset-multi-turn` sends every pair as a turn of one session (AIPerf's
//! current loader). A pair is kept when its prompt has 4..=1024 tokens, its reply at least 4
//! (unless the output length is fixed by `--public-dataset-max-tokens`) and both together at
//! most 2048; a multi-turn conversation with one pair out of bounds is dropped whole.
//! `max_tokens` is the reply's token count with the run's tokenizer.

use std::path::Path;

use rayon::prelude::*;

use super::{PublicDatasetError, PublicDatasetPlan};
use crate::dataset::{SessionSpan, TurnLinks, Workload, WorkloadEntry};
use crate::tokenizer::Tokenizer;

/// AIPerf's (and vLLM's) length filter: prompt and reply at least this many tokens.
pub const MIN_SEQ_LEN: u32 = 4;
/// ... a prompt at most this many.
pub const MAX_PROMPT_LEN: u32 = 1024;
/// ... and prompt + reply at most this many.
pub const MAX_TOTAL_LEN: u32 = 2048;

/// One message of a conversation; fields of other types read as absent.
#[derive(Debug, Default, serde::Deserialize)]
struct Message {
    #[serde(default, deserialize_with = "text_or_none")]
    from: Option<String>,
    #[serde(default, deserialize_with = "text_or_none")]
    value: Option<String>,
}

/// One row of the file.
#[derive(Debug, Default, serde::Deserialize)]
struct Row {
    #[serde(default, deserialize_with = "text_or_none")]
    id: Option<String>,
    #[serde(default)]
    conversations: Option<Vec<Message>>,
}

fn text_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde::Deserialize::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

/// A conversation's (prompt, reply) pairs, with the row it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// 1-based row number (array index, or line number of a JSONL file).
    pub row: usize,
    /// The row's `id`, else `row_<n>`.
    pub id: String,
    /// (prompt, reply) pairs in order.
    pub pairs: Vec<(String, String)>,
}

/// What building found besides the entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShareGptReport {
    /// Rows in the file.
    pub rows: usize,
    /// Conversations sent.
    pub kept: usize,
}

impl ShareGptReport {
    /// The line a run prints about the filters.
    pub fn line(&self) -> String {
        format!(
            "sharegpt: {} of {} conversations kept (prompt {MIN_SEQ_LEN}..={MAX_PROMPT_LEN} tokens, \
             reply >= {MIN_SEQ_LEN}, both <= {MAX_TOTAL_LEN})",
            self.kept, self.rows
        )
    }
}

/// Reads `path`: a JSON array of rows, or one row per line (JSONL).
pub fn read(path: &Path) -> Result<Vec<Conversation>, PublicDatasetError> {
    let json_err = |reason: String| PublicDatasetError::Json {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| json_err(e.to_string()))?;
    let rows: Vec<(usize, Row)> = if text.trim_start().starts_with('[') {
        let rows: Vec<Row> = serde_json::from_str(&text).map_err(|e| {
            json_err(format!(
                "{e} (expected ShareGPT's JSON array of {{\"conversations\": [{{\"from\", \"value\"}}]}})"
            ))
        })?;
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .collect()
    } else {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let row: Row = serde_json::from_str(line).map_err(|e| PublicDatasetError::Row {
                path: path.to_path_buf(),
                row: i + 1,
                message: format!("not a ShareGPT row: {e}"),
            })?;
            rows.push((i + 1, row));
        }
        rows
    };
    Ok(rows
        .into_iter()
        .map(|(row, r)| Conversation {
            row,
            id: r.id.unwrap_or_else(|| format!("row_{row}")),
            pairs: pairs(r.conversations.unwrap_or_default()),
        })
        .collect())
}

/// AIPerf's pairing: with `from` roles, each `human` message directly followed by a `gpt`
/// message (both non-empty) is a pair; without roles, the first two values are one pair.
fn pairs(messages: Vec<Message>) -> Vec<(String, String)> {
    if messages.len() < 2 {
        return Vec::new();
    }
    let is_role = |m: &Message| matches!(m.from.as_deref(), Some("human" | "gpt"));
    if !messages.iter().any(is_role) {
        let mut it = messages.into_iter();
        let (Some(p), Some(c)) = (it.next(), it.next()) else {
            return Vec::new();
        };
        return match (p.value, c.value) {
            (Some(p), Some(c)) if !p.is_empty() && !c.is_empty() => vec![(p, c)],
            _ => Vec::new(),
        };
    }
    let roles: Vec<Message> = messages.into_iter().filter(is_role).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < roles.len() {
        if roles[i].from.as_deref() == Some("human") && roles[i + 1].from.as_deref() == Some("gpt")
        {
            if let (Some(p), Some(c)) = (&roles[i].value, &roles[i + 1].value) {
                if !p.is_empty() && !c.is_empty() {
                    out.push((p.clone(), c.clone()));
                }
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// Builds the workload from the conversations of `path`.
pub fn build(
    plan: &PublicDatasetPlan,
    path: &Path,
    conversations: Vec<Conversation>,
    tokenizer: &Tokenizer,
) -> Result<(Workload, ShareGptReport), PublicDatasetError> {
    let rows = conversations.len();
    let used: Vec<Conversation> = conversations
        .into_iter()
        .filter(|c| !c.pairs.is_empty())
        .map(|mut c| {
            if !plan.multi_turn {
                c.pairs.truncate(1);
            }
            c
        })
        .collect();
    // Counting is the slow part: every prompt and reply, in parallel, in file order.
    let lengths: Vec<Vec<(u32, u32)>> = used
        .par_iter()
        .map(|c| {
            c.pairs
                .iter()
                .map(|(p, r)| {
                    let prompt = tokenizer.count(p)?;
                    // A prompt out of bounds drops its pair whatever the reply: the reply
                    // (the longer text) is not counted then.
                    let reply = if (MIN_SEQ_LEN..=MAX_PROMPT_LEN).contains(&prompt) {
                        tokenizer.count(r)?
                    } else {
                        u32::MAX
                    };
                    Ok((prompt, reply))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| PublicDatasetError::Tokenizer {
                    path: path.to_path_buf(),
                    row: c.row,
                    question_id: c.id.clone(),
                    source,
                })
        })
        .collect::<Result<_, _>>()?;
    let check_output = plan.reply_lengths;
    let valid = |(prompt, reply): (u32, u32)| {
        (MIN_SEQ_LEN..=MAX_PROMPT_LEN).contains(&prompt)
            && (!check_output || reply >= MIN_SEQ_LEN)
            && prompt.saturating_add(reply) <= MAX_TOTAL_LEN
    };
    let mut entries = Vec::new();
    let mut sessions = Vec::new();
    let mut kept = 0usize;
    for (conversation, lengths) in used.into_iter().zip(lengths) {
        if !lengths.iter().all(|l| valid(*l)) {
            continue;
        }
        kept += 1;
        let session_id = format!("session_{kept:06}");
        let first = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let turns = conversation.pairs.len();
        for (t, ((prompt, _), (input_tokens, reply_tokens))) in
            conversation.pairs.into_iter().zip(lengths).enumerate()
        {
            let max_tokens = if plan.reply_lengths {
                Some(reply_tokens)
            } else {
                plan.max_tokens
            };
            let mut entry =
                WorkloadEntry::single(session_id.clone(), prompt, input_tokens, max_tokens);
            if t > 0 {
                let previous = u16::try_from(t - 1).unwrap_or(u16::MAX);
                entry.turn = TurnLinks {
                    parents: vec![previous],
                    history: Some(previous),
                    delay_ms: 0,
                };
            }
            entries.push(entry);
        }
        sessions.push(SessionSpan {
            first,
            turns: u32::try_from(turns).unwrap_or(u32::MAX),
        });
    }
    if !sessions.iter().any(|s| s.turns > 1) {
        sessions.clear();
    }
    Ok((
        Workload { entries, sessions },
        ShareGptReport { rows, kept },
    ))
}

#[cfg(test)]
#[path = "sharegpt_tests.rs"]
mod tests;
