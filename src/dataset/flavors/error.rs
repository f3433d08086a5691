//! The one error type of the trace flavors. Every variant names where in the file it happened
//! (path and line, or array element) and the key involved, so a bad trace is fixed without a
//! debugger.

use std::fmt;
use std::path::PathBuf;

use crate::tokenizer::TokenizerError;

/// A place in a trace file: a line of JSONL or CSV, or an element of a JSON array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The trace file.
    pub path: PathBuf,
    /// 1-based line number, or 1-based element number when `element` is set.
    pub line: usize,
    /// Whether `line` counts elements of a top-level JSON array rather than lines.
    pub element: bool,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.element {
            write!(f, "{} element {}", self.path.display(), self.line)
        } else {
            write!(f, "{}:{}", self.path.display(), self.line)
        }
    }
}

/// Why a trace could not be turned into a Workload.
#[derive(Debug, thiserror::Error)]
pub enum FlavorError {
    /// The file could not be read.
    #[error("cannot read trace '{}': {source}", path.display())]
    Io {
        /// The trace file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The file holds no rows at all.
    #[error("trace '{}' has no rows; a {flavor} trace needs at least one", path.display())]
    Empty {
        /// The trace file.
        path: PathBuf,
        /// The flavor that was asked for.
        flavor: &'static str,
    },
    /// A line (or the whole file) is not valid JSON, or a CSV line is malformed.
    #[error("{at}: {reason}")]
    Syntax {
        /// Where.
        at: Loc,
        /// What the parser said.
        reason: String,
    },
    /// A column the flavor needs is absent (or null / empty) on a row.
    #[error("{at}: missing column '{key}' (the {flavor} flavor needs: {needs})")]
    MissingColumn {
        /// Where.
        at: Loc,
        /// The column.
        key: String,
        /// The flavor being read.
        flavor: &'static str,
        /// Every column the flavor needs, to fix the file in one go.
        needs: &'static str,
    },
    /// A column holds a value of the wrong kind.
    #[error("{at}: column '{key}' should be {expected}, found {found}")]
    WrongType {
        /// Where.
        at: Loc,
        /// The column.
        key: String,
        /// What was expected.
        expected: &'static str,
        /// What was there, as written.
        found: String,
    },
    /// A conversation message with a role that is neither the user's nor the assistant's.
    #[error(
        "{at}: message {index} has unknown {key} role '{role}'; expected human/user, \
         gpt/assistant/chatgpt/model, or system (skipped)"
    )]
    UnknownRole {
        /// Where.
        at: Loc,
        /// 0-based message index within the conversation.
        index: usize,
        /// The role key (`from` or `role`).
        key: &'static str,
        /// The role as written.
        role: String,
    },
    /// A conversation with no user message followed by an assistant reply.
    #[error(
        "{at}: empty conversation: no user message is followed by an assistant reply, so \
         there is no turn to send"
    )]
    EmptyConversation {
        /// Where.
        at: Loc,
    },
    /// Session topology that cannot be replayed (unknown parent, cycle, duplicate node, …).
    #[error("{at}: session '{session}': {reason}")]
    Topology {
        /// The session's first row.
        at: Loc,
        /// The session id as written.
        session: String,
        /// What is wrong.
        reason: String,
    },
    /// A prompt could not be cut from the corpus.
    #[error("{at}: prompt of {tokens} tokens: {source}")]
    Prompt {
        /// The row the prompt is for.
        at: Loc,
        /// The length asked for.
        tokens: u32,
        /// The tokenizer layer's error.
        source: TokenizerError,
    },
    /// Counting a prompt's tokens failed.
    #[error("{at}: counting tokens: {source}")]
    Count {
        /// The row.
        at: Loc,
        /// The tokenizer layer's error.
        source: TokenizerError,
    },
    /// The block-text hook could not make text for a row's `hash_ids`.
    #[error("{at}: text for hash_ids: {reason}")]
    BlockText {
        /// The row.
        at: Loc,
        /// What the hook said.
        reason: String,
    },
}
