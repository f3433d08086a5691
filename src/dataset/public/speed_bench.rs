//! SPEED-Bench rows → Workload: the variant's filter, placeholder rows set aside, exact input
//! lengths, and multi-turn rows as linear sessions when multi-turn is on.

use std::path::Path;

use super::rows::SpeedBenchRow;
use super::{PublicDatasetError, PublicDatasetPlan, SpeedBenchVariant};
use crate::dataset::{SessionSpan, TurnLinks, Workload, WorkloadEntry};
use crate::tokenizer::Tokenizer;

/// The published rows whose sources may not be redistributed hold this text instead of the
/// prompt (SPEED-Bench's own wording, matched case-insensitively); sending it would benchmark
/// the placeholder, not the task.
const PLACEHOLDER_MARKERS: [&str; 2] = ["should be fetched from the source", "using specdec_bench"];

/// Whether `text` is a stand-in telling the user to fetch the real data from its source.
pub fn is_placeholder(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m))
}

/// What building the workload found besides the entries themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Rows of the variant that were placeholders and were not sent.
    pub placeholder_rows: usize,
    /// Rows the variant kept (before placeholders were set aside).
    pub matched_rows: usize,
    /// The category of each session (multi-turn) or entry (single-turn), in order.
    pub categories: Vec<String>,
    /// A line for the user about what the loader kept (sets with filters), if any.
    pub note: Option<String>,
}

impl BuildReport {
    /// The one line a run prints about rows set aside: the loader's note (what a set's filters
    /// kept), else SPEED-Bench's placeholder rows; `None` when there is nothing to say.
    pub fn placeholder_line(&self, variant: &str) -> Option<String> {
        if self.note.is_some() {
            return self.note.clone();
        }
        (self.placeholder_rows > 0).then(|| {
            format!(
                "{variant}: {} of {} rows are placeholders that point at the original source \
                 (fetch and resolve them with SPEED-Bench's specdec_bench tooling); they were not sent",
                self.placeholder_rows, self.matched_rows
            )
        })
    }
}

/// Builds the workload from `rows` (read from `source`, named in errors).
///
/// Session ids carry the row's category: `coding/session_000001`, so per-request records can
/// be grouped by category without a side table; the index counts sent rows from 1.
pub fn build(
    plan: &PublicDatasetPlan,
    variant: SpeedBenchVariant,
    rows: &[(SpeedBenchRow, &Path, usize)],
    tokenizer: &Tokenizer,
) -> Result<(Workload, BuildReport), PublicDatasetError> {
    let mut report = BuildReport::default();
    let mut kept: Vec<(&SpeedBenchRow, &Path, usize)> = Vec::new();
    for (row, path, number) in rows {
        if !variant.keeps(&row.category) {
            continue;
        }
        report.matched_rows += 1;
        let used = if plan.multi_turn {
            &row.turns[..]
        } else {
            &row.turns[..row.turns.len().min(1)]
        };
        if used.is_empty() {
            continue;
        }
        if used.iter().any(|t| is_placeholder(t)) {
            report.placeholder_rows += 1;
            continue;
        }
        kept.push((row, path, *number));
    }
    let sessions_needed = plan.multi_turn && kept.iter().any(|(row, ..)| row.turns.len() > 1);
    let mut entries = Vec::new();
    let mut sessions = Vec::new();
    for (index, (row, path, number)) in kept.iter().enumerate() {
        let session_id = format!(
            "{}/session_{:06}",
            row.category.trim().to_ascii_lowercase(),
            index + 1
        );
        let turns = if plan.multi_turn {
            &row.turns[..]
        } else {
            &row.turns[..1]
        };
        let first = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        for (t, text) in turns.iter().enumerate() {
            let input_tokens =
                tokenizer
                    .count(text)
                    .map_err(|source| PublicDatasetError::Tokenizer {
                        path: path.to_path_buf(),
                        row: *number,
                        question_id: row.question_id.clone(),
                        source,
                    })?;
            let mut entry = WorkloadEntry::single(
                session_id.clone(),
                text.clone(),
                input_tokens,
                plan.max_tokens,
            );
            if t > 0 {
                // A linear conversation: each turn waits for the previous one and is sent
                // after its history (the earlier prompts and the server's real replies).
                let previous = u16::try_from(t - 1).unwrap_or(u16::MAX);
                entry.turn = TurnLinks {
                    parents: vec![previous],
                    history: Some(previous),
                    delay_ms: 0,
                };
            }
            entries.push(entry);
        }
        if sessions_needed {
            sessions.push(SessionSpan {
                first,
                turns: u32::try_from(turns.len()).unwrap_or(u32::MAX),
            });
        }
        report.categories.push(row.category.clone());
    }
    Ok((Workload { entries, sessions }, report))
}
