//! A tokenizer loaded on first use. A run whose workload came from the cache only needs one
//! to count the output tokens of responses that carry no usage, which many servers never do;
//! not loading it saves ~200 ms of start-up and tens of MB.

use std::sync::OnceLock;

use super::Tokenizer;
use crate::config::TokenizerSpec;

/// A [`Tokenizer`], already loaded or loaded on the first [`LazyTokenizer::get`].
#[derive(Debug)]
pub struct LazyTokenizer {
    spec: TokenizerSpec,
    cell: OnceLock<Option<Tokenizer>>,
}

impl LazyTokenizer {
    /// One that is already loaded.
    pub fn loaded(spec: TokenizerSpec, tokenizer: Tokenizer) -> Self {
        Self {
            spec,
            cell: OnceLock::from(Some(tokenizer)),
        }
    }

    /// One that loads `spec` when first asked.
    pub fn deferred(spec: TokenizerSpec) -> Self {
        Self {
            spec,
            cell: OnceLock::new(),
        }
    }

    /// Whether it has been loaded (or tried to).
    pub fn is_loaded(&self) -> bool {
        self.cell.get().is_some()
    }

    /// The tokenizer, loading it now if needed. A load that fails (the file went away since
    /// the run started) is said once on stderr and gives `None` from then on.
    pub fn get(&self) -> Option<&Tokenizer> {
        self.cell
            .get_or_init(|| match Tokenizer::load(&self.spec) {
                Ok(t) => Some(t),
                Err(e) => {
                    eprintln!(
                        "warning: output tokens of responses without usage are not counted: {e}"
                    );
                    None
                }
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferred_loads_on_first_use_and_a_missing_file_is_none() {
        let lazy = LazyTokenizer::deferred(TokenizerSpec::Builtin);
        assert!(!lazy.is_loaded());
        assert_eq!(lazy.get().unwrap().count("hello world").unwrap(), 2);
        assert!(lazy.is_loaded());
        let missing = LazyTokenizer::deferred(TokenizerSpec::Path("/nonexistent/tok.json".into()));
        assert!(missing.get().is_none());
        assert!(missing.is_loaded());
    }
}
