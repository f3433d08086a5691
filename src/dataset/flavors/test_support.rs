//! Shared pieces of the flavor tests: fixtures, a fake block cache and a one-call build.

use std::path::PathBuf;

use super::{
    build, BlockText, Content, FlavorError, FlavorOptions, Loc, TraceFlavor, TurnTemplate,
};
use crate::dataset::Workload;
use crate::rng::RngRoot;
use crate::tokenizer::test_support::{builtin, builtin_corpus};
use crate::tokenizer::PromptGenerator;

/// Block text that names its ids, so tests can see which blocks a prompt was made of.
pub struct NamedBlocks;

impl BlockText for NamedBlocks {
    fn prompt_from_hash_ids(&self, hash_ids: &[u64], input_length: u32) -> Result<String, String> {
        if hash_ids.contains(&666) {
            return Err("block 666 is cursed".to_string());
        }
        let names: Vec<String> = hash_ids.iter().map(|id| format!("block{id}")).collect();
        Ok(format!("{} ({input_length} tokens)", names.join(" ")))
    }
}

/// `tests/fixtures/flavors/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flavors")
        .join(name)
}

/// Builds a fixture with the builtin tokenizer and corpus and seed 42.
pub fn load(
    flavor: TraceFlavor,
    name: &str,
    opts: &FlavorOptions,
) -> Result<Workload, FlavorError> {
    let generator = PromptGenerator::new(builtin(), builtin_corpus());
    build(
        flavor,
        &fixture(name),
        opts,
        &RngRoot::new(42),
        &generator,
        builtin(),
        &NamedBlocks,
    )
}

/// A trace file written to a temp dir, for malformed inputs that need no fixture of their own.
pub fn temp_trace(name: &str, body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    (dir, path)
}

/// Builds a file at `path` (see [`load`]).
pub fn load_path(
    flavor: TraceFlavor,
    path: &std::path::Path,
    opts: &FlavorOptions,
) -> Result<Workload, FlavorError> {
    let generator = PromptGenerator::new(builtin(), builtin_corpus());
    build(
        flavor,
        path,
        opts,
        &RngRoot::new(42),
        &generator,
        builtin(),
        &NamedBlocks,
    )
}

/// The error message of a build that must fail.
pub fn error_of(flavor: TraceFlavor, path: &std::path::Path) -> String {
    match load_path(flavor, path, &FlavorOptions::default()) {
        Ok(w) => panic!("expected an error, built {} entries", w.entries.len()),
        Err(e) => e.to_string(),
    }
}

/// A 1-token synthetic root turn at trace time `ts`.
pub fn turn(ts: Option<f64>) -> TurnTemplate {
    TurnTemplate {
        at: Loc {
            path: PathBuf::from("t.jsonl"),
            line: 1,
            element: false,
        },
        content: Content::Synthetic(1),
        max_tokens: None,
        parents: Vec::new(),
        history: None,
        delay_ms: 0,
        timestamp_ms: ts,
    }
}

/// The exact token count of `text` with the builtin tokenizer.
pub fn count(text: &str) -> u32 {
    builtin().count(text).unwrap()
}
