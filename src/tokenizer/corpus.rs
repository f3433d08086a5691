//! The corpus as one token stream, tokenized once and cached on disk.
//!
//! The text is cut into ~64 KiB chunks at fixed positions (the first newline run after each
//! 64 KiB mark) and the chunks are tokenized in parallel, then concatenated in order. The cut
//! points depend only on the text, never on the thread count, so the stream is identical on
//! any machine, which the cache and seeded prompts rely on.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::assets::{asset_path, BUILTIN_CORPUS};
use super::cache::{self, CachedTokens};
use super::{Tokenizer, TokenizerError};

/// Target chunk size in bytes before moving on to the next newline.
const CHUNK_BYTES: usize = 64 * 1024;

/// A corpus tokenized with one tokenizer: where synthetic prompts are cut from.
#[derive(Debug, Clone)]
pub struct Corpus {
    ids: Vec<u32>,
    chunk_starts: Vec<u32>,
    name: String,
    from_cache: bool,
}

impl Corpus {
    /// Loads `path` (or the shipped Shakespeare when `None`) tokenized with `tokenizer`,
    /// from the on-disk cache when the same tokenizer and text were seen before.
    pub fn load(tokenizer: &Tokenizer, path: Option<&Path>) -> Result<Corpus, TokenizerError> {
        load_in(tokenizer, path, cache::default_cache_dir().as_deref())
    }

    /// Tokenizes `text` directly, without the cache: for small or generated corpora, and for
    /// embedders that hold the text in memory.
    pub fn from_text(
        tokenizer: &Tokenizer,
        text: &str,
        name: &str,
    ) -> Result<Corpus, TokenizerError> {
        let tokens = tokenize(tokenizer, text, name)?;
        Corpus::from_tokens(tokens, name, false)
    }

    /// The token stream.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Number of tokens in the stream.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Always false for a loaded corpus (empty ones are refused); here for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Token index where each text chunk starts; each one begins a line, so a prompt that
    /// starts there does not start mid-word.
    pub fn chunk_starts(&self) -> &[u32] {
        &self.chunk_starts
    }

    /// The corpus path (or name) for reports and errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the tokens came from the disk cache (for start-up diagnostics).
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    fn from_tokens(
        tokens: CachedTokens,
        name: &str,
        from_cache: bool,
    ) -> Result<Corpus, TokenizerError> {
        if tokens.ids.is_empty() {
            return Err(TokenizerError::EmptyCorpus { name: name.into() });
        }
        if u32::try_from(tokens.ids.len()).is_err() {
            return Err(TokenizerError::CorpusTooLarge {
                name: name.into(),
                tokens: tokens.ids.len(),
            });
        }
        Ok(Corpus {
            ids: tokens.ids,
            chunk_starts: tokens.chunk_starts,
            name: name.into(),
            from_cache,
        })
    }
}

/// [`Corpus::load`] with the cache folder given explicitly (`None` = no caching), so tests
/// need no process-wide environment.
pub(crate) fn load_in(
    tokenizer: &Tokenizer,
    path: Option<&Path>,
    cache_dir: Option<&Path>,
) -> Result<Corpus, TokenizerError> {
    let path: PathBuf = match path {
        Some(path) => path.to_path_buf(),
        None => asset_path(BUILTIN_CORPUS)?,
    };
    let name = path.display().to_string();
    let bytes = std::fs::read(&path).map_err(|source| TokenizerError::Read {
        path: path.clone(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(TokenizerError::EmptyCorpus { name });
    }
    let key = cache::cache_key(&tokenizer.fingerprint(), blake3::hash(&bytes).as_bytes());
    let cache_path = cache_dir.map(|dir| cache::cache_file(dir, &key));
    if let Some(cached) = cache_path.as_deref().and_then(|p| cache::read(p, &key)) {
        return Corpus::from_tokens(cached, &name, true);
    }
    // Invalid UTF-8 becomes U+FFFD rather than an error: a corpus is only a source of
    // plausible text, and the replacement is deterministic.
    let text = String::from_utf8_lossy(&bytes);
    let tokens = tokenize(tokenizer, &text, &name)?;
    if let Some(cache_path) = &cache_path {
        if let Err(e) = cache::write(cache_path, &key, &tokens) {
            eprintln!("warning: corpus token cache not written ({e}); tokenizing on every start");
        }
    }
    Corpus::from_tokens(tokens, &name, false)
}

/// Byte offsets where chunks start: 0, then just past the first newline run at or after each
/// `CHUNK_BYTES` mark. Newlines are ASCII, so every cut is a character boundary.
fn chunk_bounds(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut from = 0;
    while from + CHUNK_BYTES < bytes.len() {
        let mark = from + CHUNK_BYTES;
        let Some(newline) = memchr::memchr(b'\n', &bytes[mark..]) else {
            break;
        };
        let mut cut = mark + newline;
        while cut < bytes.len() && matches!(bytes[cut], b'\n' | b'\r') {
            cut += 1;
        }
        if cut >= bytes.len() {
            break;
        }
        starts.push(cut);
        from = cut;
    }
    starts
}

fn tokenize(tokenizer: &Tokenizer, text: &str, name: &str) -> Result<CachedTokens, TokenizerError> {
    let bounds = chunk_bounds(text);
    let pieces: Vec<&str> = bounds
        .iter()
        .enumerate()
        .map(|(i, &start)| &text[start..bounds.get(i + 1).copied().unwrap_or(text.len())])
        .collect();
    let encoded: Vec<Result<Vec<u32>, TokenizerError>> = pieces
        .par_iter()
        .map(|piece| tokenizer.encode(piece))
        .collect();
    let mut ids = Vec::with_capacity(text.len() / 3);
    let mut chunk_starts = Vec::with_capacity(pieces.len());
    for piece in encoded {
        let start = u32::try_from(ids.len()).map_err(|_| TokenizerError::CorpusTooLarge {
            name: name.into(),
            tokens: ids.len(),
        })?;
        chunk_starts.push(start);
        ids.extend(piece?);
    }
    Ok(CachedTokens { chunk_starts, ids })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::test_support::{builtin, builtin_corpus};

    /// A few hundred KiB of the real corpus in a temp file: several chunks, fast to tokenize.
    fn small_corpus(dir: &Path) -> PathBuf {
        let text = std::fs::read_to_string(asset_path(BUILTIN_CORPUS).unwrap()).unwrap();
        let cut = text[..300_000].rfind('\n').unwrap();
        let path = dir.join("small.txt");
        std::fs::write(&path, &text[..cut]).unwrap();
        path
    }

    #[test]
    fn chunks_cut_after_newline_runs_at_fixed_positions() {
        let text = format!("{}\n\nabc{}", "x".repeat(CHUNK_BYTES + 10), "y".repeat(10));
        assert_eq!(chunk_bounds(&text), vec![0, CHUNK_BYTES + 12]);
        assert_eq!(chunk_bounds("short\ntext"), vec![0]);
    }

    #[test]
    fn cache_is_written_then_read_then_rebuilt_when_corrupt() {
        let tmp = tempfile::tempdir().unwrap();
        let cache_dir = tmp.path().join("cache");
        let corpus_path = small_corpus(tmp.path());
        let tok = builtin();

        let cold = load_in(tok, Some(&corpus_path), Some(&cache_dir)).unwrap();
        assert!(!cold.from_cache());
        assert!(cold.chunk_starts().len() >= 4, "{:?}", cold.chunk_starts());
        let files: Vec<_> = std::fs::read_dir(&cache_dir).unwrap().collect();
        assert_eq!(files.len(), 1);
        let cache_file = files[0].as_ref().unwrap().path();

        let warm = load_in(tok, Some(&corpus_path), Some(&cache_dir)).unwrap();
        assert!(warm.from_cache());
        assert_eq!(warm.ids(), cold.ids());
        assert_eq!(warm.chunk_starts(), cold.chunk_starts());

        let mut bytes = std::fs::read(&cache_file).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&cache_file, &bytes).unwrap();
        let rebuilt = load_in(tok, Some(&corpus_path), Some(&cache_dir)).unwrap();
        assert!(!rebuilt.from_cache());
        assert_eq!(rebuilt.ids(), cold.ids());
        assert!(load_in(tok, Some(&corpus_path), Some(&cache_dir))
            .unwrap()
            .from_cache());
    }

    #[test]
    fn chunked_stream_matches_the_text_and_is_thread_count_independent() {
        let tmp = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(small_corpus(tmp.path())).unwrap();
        let tok = builtin();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| tokenize(tok, &text, "small").unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(tok.decode(&one.ids).unwrap(), text);
    }

    #[test]
    fn unwritable_cache_dir_still_loads() {
        let tmp = tempfile::tempdir().unwrap();
        let corpus_path = tmp.path().join("c.txt");
        std::fs::write(&corpus_path, "To be, or not to be.\n").unwrap();
        // A regular file where the cache folder should be: create_dir_all fails.
        let blocker = tmp.path().join("blocker");
        std::fs::write(&blocker, "").unwrap();
        let corpus = load_in(builtin(), Some(&corpus_path), Some(&blocker.join("x"))).unwrap();
        assert!(corpus.len() > 3);
    }

    #[test]
    fn missing_and_empty_corpora_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("missing.txt");
        let err = load_in(builtin(), Some(&missing), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&missing.display().to_string()), "{err}");
        let empty = tmp.path().join("empty.txt");
        std::fs::write(&empty, "").unwrap();
        let err = load_in(builtin(), Some(&empty), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty.txt") && err.contains("empty"), "{err}");
    }

    #[test]
    fn builtin_corpus_loads_through_the_cache() {
        let corpus = builtin_corpus();
        assert!(corpus.len() > 1_000_000, "{}", corpus.len());
        assert!(corpus.name().ends_with("shakespeare.txt"));
        let start = corpus.chunk_starts()[1] as usize;
        let line = builtin().decode(&corpus.ids()[start..start + 20]).unwrap();
        assert!(!line.starts_with('\n'), "{line:?}");
    }
}
