//! Building the Workload: the prompts and output budgets a run sends, made before the clock
//! starts so nothing on the hot path tokenizes.

pub mod synthesis;
pub mod synthetic;

use crate::tokenizer::TokenizerError;

/// One prompt of the workload; request `i` uses entry `i % entries.len()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadEntry {
    /// Session label in AIPerf's style (`session_000042`), carried into records.
    pub session_id: String,
    /// The prompt text.
    pub prompt: String,
    /// Exact token count of `prompt` with the run's tokenizer (no special tokens).
    pub input_tokens: u32,
    /// `max_tokens` to request; `None` lets the server decide.
    pub max_tokens: Option<u32>,
}

/// Everything a run will send, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workload {
    /// The entries, indexed by request number modulo their count.
    pub entries: Vec<WorkloadEntry>,
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
}
