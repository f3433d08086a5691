//! Why `gauntlet merge` could not merge: each error names the folder or file.

use std::path::{Path, PathBuf};

use super::workers::WorkersError;

/// Why a merge could not be made; each names the folder or file.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The folders are not one run's workers.
    #[error(transparent)]
    Workers(#[from] WorkersError),
    /// A worker's export is missing or unreadable.
    #[error("{path}: {message}")]
    Read {
        /// The file (with `:line` for a bad JSONL line).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An output file could not be written.
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

pub(super) fn read_err(path: &Path, message: impl Into<String>) -> MergeError {
    MergeError::Read {
        path: path.display().to_string(),
        message: message.into(),
    }
}
