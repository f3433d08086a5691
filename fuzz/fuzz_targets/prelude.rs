//! What the file-reading targets share: the builtin tokenizer and corpus, loaded once, and a
//! scratch file the input is written to (the readers take paths, as a user's files are).

// Each target uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use gauntlet::config::TokenizerSpec;
use gauntlet::tokenizer::{Corpus, Tokenizer};

pub fn tokenizer() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| Tokenizer::load(&TokenizerSpec::Builtin).expect("builtin tokenizer"))
}

pub fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| Corpus::load(tokenizer(), None).expect("builtin corpus"))
}

/// Writes `data` to this process's scratch file named `name` and returns its path.
pub fn scratch(name: &str, data: &[u8]) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("scratch dir"));
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("scratch write");
    path
}
