//! Building the Workload: the prompts and output budgets a run sends, made before the clock
//! starts so nothing on the hot path tokenizes.

pub mod cache;
mod csv_line;
pub mod files;
pub mod flavors;
pub mod graph;
pub mod prefix;
pub mod public;
pub mod rankings;
pub mod raw;
pub mod sampling;
pub mod synthesis;
pub mod synthetic;

use crate::media::MediaPart;
use crate::tokenizer::TokenizerError;

/// One request of the workload: a single-turn prompt, or one turn (node) of a session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkloadEntry {
    /// Session label in AIPerf's style (`session_000042`), carried into records.
    pub session_id: String,
    /// The prompt text (for a session turn: this turn's new user message only).
    pub prompt: String,
    /// Exact token count of `prompt` with the run's tokenizer (no special tokens).
    pub input_tokens: u32,
    /// `max_tokens` to request; `None` lets the server decide.
    pub max_tokens: Option<u32>,
    /// Where this request sits in its session; the default is a lone single-turn request.
    pub turn: TurnLinks,
    /// Trace time of this request in ms from the trace's start, for `--fixed-schedule`.
    pub timestamp_ms: Option<u64>,
    /// Images, audio clips and videos sent with the prompt, in order.
    pub media: Vec<MediaPart>,
    /// The passages of a rankings request (whose query is `prompt`); empty for other types.
    /// `input_tokens` counts the query and every passage.
    pub passages: Vec<String>,
}

impl WorkloadEntry {
    /// A single-turn request with no trace time.
    pub fn single(
        session_id: String,
        prompt: String,
        input_tokens: u32,
        max_tokens: Option<u32>,
    ) -> Self {
        Self {
            session_id,
            prompt,
            input_tokens,
            max_tokens,
            turn: TurnLinks::default(),
            timestamp_ms: None,
            media: Vec::new(),
            passages: Vec::new(),
        }
    }
}

/// A turn's place in its session graph. Indices are positions within the session's entries,
/// which are stored in an order where every parent comes before its children.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TurnLinks {
    /// Turns that must finish before this one is sent (empty for a session's roots).
    pub parents: Vec<u16>,
    /// The parent whose conversation (its history, its prompt and the server's real reply)
    /// is sent before this turn's prompt; `None` starts a fresh conversation.
    pub history: Option<u16>,
    /// Think time after the last parent finishes (for roots: after the session starts).
    pub delay_ms: u64,
}

/// Contiguous entries that form one session, in dependency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionSpan {
    /// Index of the session's first entry.
    pub first: u32,
    /// Number of turns.
    pub turns: u32,
}

/// Everything a run will send, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Workload {
    /// The entries. Single-turn: request `i` uses entry `i % entries.len()`.
    pub entries: Vec<WorkloadEntry>,
    /// The sessions over `entries`; empty when every entry is its own single-turn request.
    pub sessions: Vec<SessionSpan>,
}

impl Workload {
    /// A workload of independent single-turn requests.
    pub fn single_turn(entries: Vec<WorkloadEntry>) -> Self {
        Self {
            entries,
            sessions: Vec::new(),
        }
    }

    /// Whether requests are grouped into sessions whose turns depend on each other.
    pub fn is_multi_turn(&self) -> bool {
        !self.sessions.is_empty()
    }

    /// The entry indices of the session roots (entries with no parent turn), which carry a
    /// run's synthetic media; later turns reply to what their root sent.
    pub fn session_roots(&self) -> Vec<usize> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.turn.parents.is_empty())
            .map(|(i, _)| i)
            .collect()
    }

    /// Appends `media[k]` to the media of entry `roots[k]`, after whatever it already carries.
    pub fn add_root_media(&mut self, roots: &[usize], media: Vec<Vec<MediaPart>>) {
        for (&entry, parts) in roots.iter().zip(media) {
            self.entries[entry].media.extend(parts);
        }
    }

    /// The turns of session `index`.
    pub fn session(&self, index: usize) -> &[WorkloadEntry] {
        let span = self.sessions[index];
        &self.entries[span.first as usize..(span.first + span.turns) as usize]
    }
}

/// Why a workload could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A prompt could not be made.
    #[error("synthetic entry {index} ({tokens} input tokens): {source}")]
    Prompt {
        /// The entry's index.
        index: u32,
        /// The length asked for.
        tokens: u32,
        /// The tokenizer layer's error.
        source: TokenizerError,
    },
    /// A user input file could not be read or turned into prompts.
    #[error(transparent)]
    Files(#[from] files::FilesError),
}

/// The first line (1-based) longer than [`crate::config::MAX_LINE_BYTES`], with its length.
pub(crate) fn long_line(text: &str) -> Option<(usize, usize)> {
    text.split('\n')
        .enumerate()
        .find(|(_, l)| l.len() > crate::config::MAX_LINE_BYTES)
        .map(|(i, l)| (i + 1, l.len()))
}
