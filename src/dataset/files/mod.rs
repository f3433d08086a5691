//! Workloads from user files: AIPerf's `single_turn`, `multi_turn`, `random_pool` and
//! `mooncake_trace` JSONL formats, and CSV traces. See `docs/input-files.md`. The public
//! traces `burst_gpt_trace` (BurstGPT's CSV) and `bailian_trace` (Alibaba Bailian's JSONL)
//! become the same trace rows (`docs/traces.md`).
//!
//! Every reader turns its file into [`assemble::SessionSpec`]s (what to send, in which
//! session, when); [`assemble`] then makes the prompts in parallel, each from the seed and its
//! position only, so the workload is byte-identical on any thread count. Trace rows with
//! `hash_ids` get their text from [`hash_text`], where equal ids give equal text.

mod assemble;
mod bailian;
mod burst_gpt;
mod csv;
pub mod deferred;
mod fields;
pub mod hash_text;
mod media;
mod mooncake;
mod multi_turn;
mod plan;
mod random_pool;
mod single_turn;

use std::path::{Path, PathBuf};

pub use crate::config::detect_format;

use super::synthesis::SynthesisError;
use super::Workload;
use crate::config::{InputFilePlan, InputFormat, MAX_LINE_BYTES};
use crate::rng::RngRoot;
use crate::tokenizer::{PromptGenerator, Tokenizer, TokenizerError};

/// Why an input file could not become a workload. Messages start with `file:line:` and name
/// the key, so the user can go straight to the problem.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// A Veeksha trace flavor could not be read.
    #[error(transparent)]
    Flavor(#[from] crate::dataset::flavors::FlavorError),
    /// The file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line (or CSV row) has a missing, malformed or unsupported field.
    #[error("{path}:{line}: {key}: {message}")]
    Field {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The key (dotted for nested keys, e.g. `turns[1].text`).
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error(
        "{path}:{line}: the line is {bytes} bytes; a line may have at most {max} bytes \
         (gauntlet's cap, docs/reliability.md)",
        max = MAX_LINE_BYTES
    )]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The line's length in bytes.
        bytes: usize,
    },
    /// The file has no entries.
    #[error("{path}: no entries; expected {expected}")]
    Empty {
        /// The file.
        path: PathBuf,
        /// What a line should look like.
        expected: &'static str,
    },
    /// A prompt could not be made or counted.
    #[error("{path}:{line}: {source}")]
    Tokenizer {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The tokenizer layer's error.
        source: TokenizerError,
    },
    /// A `hash_ids` block could not be made (not tied to one line: blocks are shared).
    #[error("hash_ids block {id} ({block_size} tokens): {source}")]
    Block {
        /// The hash id.
        id: u64,
        /// Tokens per block.
        block_size: u32,
        /// The tokenizer layer's error.
        source: TokenizerError,
    },
    /// Trace synthesis failed.
    #[error(transparent)]
    Synthesis(#[from] SynthesisError),
}

impl FilesError {
    /// A field error at `path:line`.
    pub(crate) fn field(
        path: &Path,
        line: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FilesError::Field {
            path: path.to_path_buf(),
            line,
            key: key.into(),
            message: message.into(),
        }
    }
}

/// What prompt making needs: the run's tokenizer, corpus and seed.
#[derive(Debug, Clone, Copy)]
pub struct PromptSource<'a> {
    /// Counts user text and cuts synthetic text.
    pub tokenizer: &'a Tokenizer,
    /// Synthetic text for rows that give only a length.
    pub generator: &'a PromptGenerator<'a>,
    /// The run's seed.
    pub root: &'a RngRoot,
}

/// Reads `plan.path` in `plan.format` and builds the workload.
pub fn build(plan: &InputFilePlan, source: PromptSource<'_>) -> Result<Workload, FilesError> {
    match build_streamable(plan, source, None)? {
        Built::Whole(workload) => Ok(workload),
        Built::Deferred(..) => unreachable!("nothing is deferred without a threshold"),
    }
}

/// What [`build_streamable`] made.
#[derive(Debug)]
pub enum Built {
    /// Every prompt made.
    Whole(Workload),
    /// Entries without their prompt text, and what makes it when it is about to be sent.
    Deferred(Workload, deferred::DeferredPrompts),
}

/// Bytes of prompt text a token stands for when a workload's size is estimated.
pub const BYTES_PER_TOKEN_ESTIMATE: u64 = 4;

/// Reads `plan.path` and builds the workload, deferring the prompts of a single-turn workload
/// whose prompt text would pass `defer_above` bytes (see [`deferred`]).
pub fn build_streamable(
    plan: &InputFilePlan,
    source: PromptSource<'_>,
    defer_above: Option<u64>,
) -> Result<Built, FilesError> {
    let path = plan.path.as_path();
    let sessions = match plan.format {
        InputFormat::SingleTurn => single_turn::read(path, plan.endpoint)?,
        InputFormat::MultiTurn => multi_turn::read(path, plan.endpoint)?,
        InputFormat::RandomPool => {
            random_pool::read(path, plan.pool_entries, source.root, plan.endpoint)?
        }
        InputFormat::MooncakeTrace => {
            let rows = mooncake::read(path, plan.block_size)?;
            mooncake::into_sessions(path, rows, plan, source.root)?
        }
        InputFormat::CsvTrace => {
            let rows = csv::read(path)?;
            mooncake::into_sessions(path, rows, plan, source.root)?
        }
        InputFormat::BurstGptTrace => {
            let read = burst_gpt::read(path)?;
            if read.failed > 0 {
                eprintln!(
                    "{}: {} with Response tokens 0 (failed requests in the log) left out",
                    path.display(),
                    if read.failed == 1 {
                        "1 row".to_string()
                    } else {
                        format!("{} rows", read.failed)
                    }
                );
            }
            mooncake::into_sessions(path, read.rows, plan, source.root)?
        }
        InputFormat::BailianTrace => {
            let rows = bailian::read(path, plan.block_size)?;
            bailian::into_conversations(path, rows, plan, source.root)?
        }
        InputFormat::Flavor {
            flavor,
            target_sessions,
        } => {
            let opts = crate::dataset::flavors::FlavorOptions {
                wrap: target_sessions.is_some(),
                target_sessions,
                block_size: plan.block_size,
                ..Default::default()
            };
            let blocks = hash_text::OnDemandBlocks {
                block_size: plan.block_size,
                source,
            };
            return Ok(Built::Whole(crate::dataset::flavors::build(
                flavor,
                path,
                &opts,
                source.root,
                source.generator,
                source.tokenizer,
                &blocks,
            )?));
        }
    };
    let mut sessions = sessions;
    if let Some((lo, hi)) = plan.window_ms {
        sessions.retain(|s| {
            s.turns
                .first()
                .and_then(|t| t.timestamp_ms)
                .is_none_or(|ts| ts >= lo && ts <= hi)
        });
    }
    let single_turn = sessions
        .iter()
        .all(|s| s.id.is_none() && s.turns.len() == 1);
    if single_turn && defer_above.is_some_and(|limit| estimated_bytes(&sessions) > limit) {
        let (workload, prompts) = deferred::defer(path, sessions, plan.block_size, source)?;
        return Ok(Built::Deferred(workload, prompts));
    }
    Ok(Built::Whole(assemble::assemble(
        path,
        sessions,
        plan.block_size,
        source,
    )?))
}

/// Prompt text the sessions would hold, estimated from their token counts.
fn estimated_bytes(sessions: &[assemble::SessionSpec]) -> u64 {
    sessions
        .iter()
        .flat_map(|s| &s.turns)
        .map(|t| match &t.content {
            assemble::Content::Text(text) => text.len() as u64,
            assemble::Content::Tokens { input_length, .. } => {
                u64::from(*input_length) * BYTES_PER_TOKEN_ESTIMATE
            }
        })
        .sum()
}

/// Reads a whole line-oriented file (JSONL, CSV), naming it in the error; a line longer than
/// [`MAX_LINE_BYTES`] is refused before it is parsed or tokenized.
pub(crate) fn read_text(path: &Path) -> Result<String, FilesError> {
    let text = std::fs::read_to_string(path).map_err(|source| FilesError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some((line, bytes)) = super::long_line(&text) {
        return Err(FilesError::LineTooLong {
            path: path.to_path_buf(),
            line,
            bytes,
        });
    }
    Ok(text)
}

/// The non-blank lines of `text` with their 1-based numbers.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Small input files for the readers' tests.
    use std::io::Write;

    /// A temporary file holding `text`.
    pub fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }
}

#[cfg(test)]
mod workload_tests;
