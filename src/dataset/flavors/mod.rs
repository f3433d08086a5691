//! Veeksha's trace flavors as Workload readers: request logs, timed synthetic sessions,
//! ShareGPT-style conversations, shared-prefix (hash id) traces and RAG traces.
//!
//! Each flavor file only parses rows into session templates (lengths, real text or hash ids,
//! turn links, delays, trace times). The shared steps are here and in `wrap` / `render`:
//! timestamps are made relative to the trace start, `wrap_mode` loops the sessions (reshuffled
//! with a seeded stream on every pass after the first, times shifted by the trace's period),
//! and prompts are made in parallel with entry `i` drawing from the `("flavor_prompt", i)`
//! stream only, so the Workload is byte-identical on any thread count. See
//! `docs/trace-flavors.md`.

mod conversation;
mod error;
mod rag;
mod render;
mod request_log;
mod rows;
mod shared_prefix;
#[cfg(test)]
mod test_support;
mod timed_session;
mod wrap;

use std::path::Path;

pub use error::{FlavorError, Loc};

use super::Workload;
use crate::config::TraceFlavor;
use crate::rng::RngRoot;
use crate::tokenizer::{PromptGenerator, Tokenizer};
use rows::Row;

/// Knobs of the flavors; the defaults are Veeksha's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlavorOptions {
    /// Loop the trace (Veeksha's `wrap_mode`) until `target_sessions` sessions exist.
    pub wrap: bool,
    /// With `wrap`: exactly this many sessions (single-turn flavors: requests), looping or
    /// cutting the trace; `None` keeps one pass. Ignored without `wrap`.
    pub target_sessions: Option<u32>,
    /// Tokens per `hash_ids` block (shared_prefix), used when a row has no `input_length`.
    pub block_size: u32,
    /// The conversation column (untimed_content_multi_turn); `None` tries `conversations`
    /// then `messages`.
    pub conversation_column: Option<String>,
    /// Document length in tokens for rag rows without a `doc_length` column; 0 sends the
    /// row's prompt without a document.
    pub rag_document_tokens: u32,
    /// rag: keep only rows of the most frequent documents (Veeksha's `num_documents`).
    pub rag_num_documents: Option<u32>,
}

impl Default for FlavorOptions {
    fn default() -> Self {
        Self {
            wrap: true,
            target_sessions: None,
            block_size: 512,
            conversation_column: None,
            rag_document_tokens: 512,
            rag_num_documents: None,
        }
    }
}

/// Turns a row's `hash_ids` into prompt text; the block cache implements it so equal ids give
/// equal text across sessions (the point of a shared-prefix trace). `Sync` because prompts are
/// rendered in parallel.
pub trait BlockText: Sync {
    /// Text for these blocks, meant to be `input_length` tokens long (the last block may be
    /// partial); the caller counts the result with the tokenizer.
    fn prompt_from_hash_ids(&self, hash_ids: &[u64], input_length: u32) -> Result<String, String>;
}

/// Reads `path` as `flavor` and builds the Workload. `tokenizer` must be the one `generator`
/// cuts prompts with: real text (conversations, rag queries, block text) is counted with it so
/// `input_tokens` is exact.
pub fn build(
    flavor: TraceFlavor,
    path: &Path,
    opts: &FlavorOptions,
    root: &RngRoot,
    generator: &PromptGenerator,
    tokenizer: &Tokenizer,
    block_text: &dyn BlockText,
) -> Result<Workload, FlavorError> {
    let rows = rows::read_rows(path)?;
    if rows.is_empty() {
        return Err(FlavorError::Empty {
            path: path.to_path_buf(),
            flavor: flavor.name(),
        });
    }
    let mut trace = match flavor {
        TraceFlavor::RequestLog => request_log::parse(rows)?,
        TraceFlavor::TimedSyntheticSession => timed_session::parse(rows)?,
        TraceFlavor::UntimedContentMultiTurn => conversation::parse(rows, opts, tokenizer)?,
        TraceFlavor::SharedPrefix => shared_prefix::parse(rows, opts)?,
        TraceFlavor::Rag => rag::parse(rows, opts)?,
    };
    if trace.sessions.is_empty() {
        return Err(FlavorError::Empty {
            path: path.to_path_buf(),
            flavor: flavor.name(),
        });
    }
    make_times_relative(&mut trace, flavor.name())?;
    let placements = wrap::plan(&trace, opts, root);
    let passes = placements.iter().map(|p| p.pass + 1).max().unwrap_or(1);
    let remaps = shared_prefix::remaps(&trace, passes, root);
    let tools = render::Tools {
        root,
        generator,
        tokenizer,
        block_text,
    };
    render::render(&trace, &placements, &remaps, &tools)
}

/// A trace parsed into templates, before looping and prompt making.
#[derive(Debug, Clone)]
pub(crate) struct Trace {
    /// Sessions in file order (of their first row).
    pub sessions: Vec<SessionTemplate>,
    /// rag documents, by ordinal of first appearance.
    pub documents: Vec<Document>,
    /// Whether turns form sessions (`false`: every template is one single-turn request).
    pub grouped: bool,
}

/// One session's turns, in dependency order.
#[derive(Debug, Clone)]
pub(crate) struct SessionTemplate {
    /// The turns; links are positions in this list.
    pub turns: Vec<TurnTemplate>,
}

/// One request before its prompt exists.
#[derive(Debug, Clone)]
pub(crate) struct TurnTemplate {
    /// The row it came from, for error messages.
    pub at: Loc,
    /// What the prompt is made of.
    pub content: Content,
    /// `output_length`, or the recorded reply's token count.
    pub max_tokens: Option<u32>,
    /// Parent positions.
    pub parents: Vec<u16>,
    /// History parent position.
    pub history: Option<u16>,
    /// Think time after the parents finish.
    pub delay_ms: u64,
    /// Trace time in ms (absolute until `make_times_relative`).
    pub timestamp_ms: Option<f64>,
}

/// The source of a turn's prompt.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// Corpus text of exactly this many tokens.
    Synthetic(u32),
    /// Real text, already counted.
    Text { text: String, tokens: u32 },
    /// Shared blocks through [`BlockText`].
    Blocks {
        hash_ids: Vec<u64>,
        input_length: u32,
    },
    /// Document `document` of [`Trace::documents`], then the query.
    Rag { document: usize, query: Query },
}

/// A rag query: the row's text, or corpus text of a length.
#[derive(Debug, Clone)]
pub(crate) enum Query {
    Text(String),
    Synthetic(u32),
}

/// A rag document: its length, fixed by its first row.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    /// The first row naming it.
    pub at: Loc,
    /// Its length in tokens (0: no document text).
    pub tokens: u32,
}

/// Links of turn `index` in a linear chain: the previous turn is both parent and history.
pub(crate) fn linear_links(index: usize) -> (Vec<u16>, Option<u16>) {
    match index.checked_sub(1) {
        Some(prev) => (vec![prev as u16], Some(prev as u16)),
        None => (Vec::new(), None),
    }
}

/// Sessions are addressed by `u16` positions; a longer one cannot be linked.
pub(crate) fn check_turn_count(session: &str, rows: &[Row]) -> Result<(), FlavorError> {
    match rows.first() {
        Some(first) if rows.len() > usize::from(u16::MAX) => Err(FlavorError::Topology {
            at: first.at.clone(),
            session: session.to_string(),
            reason: format!("{} turns; at most {} are supported", rows.len(), u16::MAX),
        }),
        _ => Ok(()),
    }
}

/// Trace time of a row in ms: `timestamp` (ms, as in mooncake traces) or `arrived_at`
/// (seconds, as in Vidur / Veeksha request logs).
pub(crate) fn row_time_ms(row: &Row) -> Result<Option<f64>, FlavorError> {
    if let Some(ms) = row.opt_f64("timestamp")? {
        return Ok(Some(ms));
    }
    Ok(row.opt_f64("arrived_at")?.map(|s| s * 1000.0))
}

/// A seconds column as whole milliseconds (0 when absent).
pub(crate) fn seconds_as_ms(row: &Row, key: &str) -> Result<u64, FlavorError> {
    Ok(row.opt_f64(key)?.map_or(0, |s| (s * 1000.0).round() as u64))
}

/// A required whole-number column.
pub(crate) fn required_u32(
    row: &Row,
    key: &str,
    flavor: &'static str,
    needs: &'static str,
) -> Result<u32, FlavorError> {
    row.opt_u32(key)?.ok_or_else(|| FlavorError::MissingColumn {
        at: row.at.clone(),
        key: key.to_string(),
        flavor,
        needs,
    })
}

/// Shifts trace times so the earliest is 0; a trace that times some rows must time all, or
/// `--fixed-schedule` would silently send the untimed ones at 0.
fn make_times_relative(trace: &mut Trace, flavor: &'static str) -> Result<(), FlavorError> {
    let turns = || trace.sessions.iter().flat_map(|s| s.turns.iter());
    let timed = turns().filter(|t| t.timestamp_ms.is_some()).count();
    if timed == 0 {
        return Ok(());
    }
    if let Some(untimed) = turns().find(|t| t.timestamp_ms.is_none()) {
        return Err(FlavorError::MissingColumn {
            at: untimed.at.clone(),
            key: "timestamp".to_string(),
            flavor,
            needs: "'timestamp' (ms) or 'arrived_at' (s) on every row once any row has one",
        });
    }
    let start = turns()
        .filter_map(|t| t.timestamp_ms)
        .fold(f64::INFINITY, f64::min);
    for turn in trace.sessions.iter_mut().flat_map(|s| s.turns.iter_mut()) {
        turn.timestamp_ms = turn.timestamp_ms.map(|t| t - start);
    }
    Ok(())
}
