//! The one error type of the tokenizer layer. Every variant names the input that failed (a
//! path, a hub id, a token count) so the message is actionable without a backtrace.

use std::path::PathBuf;

/// Why loading a tokenizer or corpus, or making a prompt, failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// Neither the `GAUNTLET_ASSETS` override nor the build-time assets folder holds the file.
    #[error(
        "builtin asset '{file}' not found; looked in {}; set GAUNTLET_ASSETS to the folder holding \
         tokenizer.json and shakespeare.txt",
        tried.iter().map(|p| format!("'{}'", p.display())).collect::<Vec<_>>().join(" and ")
    )]
    AssetMissing {
        /// The asset's file name.
        file: &'static str,
        /// Every full path that was tried, in order.
        tried: Vec<PathBuf>,
    },
    /// A tokenizer path that does not exist, or a folder without a `tokenizer.json`.
    #[error("tokenizer file '{}' not found; pass a tokenizer.json or a folder containing one", path.display())]
    NotFound {
        /// The path that was looked for.
        path: PathBuf,
    },
    /// A file exists but could not be read.
    #[error("cannot read '{}': {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A `tokenizer.json` that the `tokenizers` crate rejects.
    #[error("'{}' is not a valid tokenizer.json: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A hub model id that is neither in the local cache nor downloadable.
    #[error(
        "cannot fetch tokenizer '{id}' from the Hugging Face hub ({reason}); offline? pass \
         --tokenizer /path/to/tokenizer.json or a folder containing it"
    )]
    Hub {
        /// The model id as given.
        id: String,
        /// Why the cache and the download both failed.
        reason: String,
    },
    /// The tokenizer failed to encode text (rare: bad normalizer or regex in the file).
    #[error("tokenizer '{tokenizer}' failed to encode {chars} characters: {reason}")]
    Encode {
        /// The tokenizer's name.
        tokenizer: String,
        /// Length of the input, to tell a prompt from a corpus chunk.
        chars: usize,
        /// What the tokenizer said.
        reason: String,
    },
    /// The tokenizer failed to decode ids (an id outside its vocabulary).
    #[error("tokenizer '{tokenizer}' failed to decode {ids} ids: {reason}")]
    Decode {
        /// The tokenizer's name.
        tokenizer: String,
        /// How many ids were given.
        ids: usize,
        /// What the tokenizer said.
        reason: String,
    },
    /// A corpus with no text, or one that tokenizes to nothing.
    #[error("corpus '{name}' is empty; synthetic prompts need some text")]
    EmptyCorpus {
        /// The corpus path or name.
        name: String,
    },
    /// A corpus too large to index with 32-bit token positions.
    #[error("corpus '{name}' has {tokens} tokens; at most 4,294,967,295 are supported")]
    CorpusTooLarge {
        /// The corpus path or name.
        name: String,
        /// Its token count.
        tokens: usize,
    },
    /// No slice of the corpus could be cut to exactly the requested length.
    #[error(
        "could not cut a prompt of exactly {tokens} tokens from corpus '{corpus}' after {attempts} \
         starts; try a larger or more varied corpus"
    )]
    PromptNotExact {
        /// The requested length.
        tokens: u32,
        /// The corpus name.
        corpus: String,
        /// How many random starts were tried.
        attempts: u32,
    },
    /// A prompt longer than gauntlet makes (see [`crate::config::MAX_PROMPT_TOKENS`]).
    #[error(
        "a prompt of {tokens} tokens was asked for; one prompt may have at most {max} tokens \
         (gauntlet's cap, docs/reliability.md)"
    )]
    PromptTooLong {
        /// The requested (or counted) length.
        tokens: u64,
        /// The cap.
        max: u32,
    },
}
