//! HF `tokenizers` wrapper, corpus tokenization and exact-length prompts.
//!
//! [`Tokenizer`] loads the tokenizer a plan names; [`Corpus`] turns a text corpus into one
//! token stream (cached on disk, keyed by both inputs' hashes); [`PromptGenerator`] cuts
//! prompts from it whose token count is exactly what was asked for. See `docs/tokenizer.md`.

mod ascii_split;
mod assets;
mod cache;
mod corpus;
mod error;
mod fast;
mod hub;
mod lazy;
mod load;
mod prompt;
mod text;

pub use assets::{asset_path, ASSETS_ENV, BUILTIN_CORPUS, BUILTIN_TOKENIZER};
pub(crate) use cache::default_cache_dir;
pub use corpus::Corpus;
pub use error::TokenizerError;
pub use hub::HubOptions;
pub(crate) use hub::{find_cached, RepoKind};
pub use lazy::LazyTokenizer;
pub use prompt::{check_prompt_tokens, PromptGenerator};
pub use text::{tokenizer_file_of, Tokenizer};

#[cfg(test)]
pub(crate) mod test_support {
    //! One builtin tokenizer and corpus per test process: parsing 7 MB of JSON per test adds up.
    use std::sync::OnceLock;

    use super::{Corpus, Tokenizer};
    use crate::config::TokenizerSpec;

    /// Whether a proxy variable is set: hf-hub's HTTP agent follows them (without NO_PROXY),
    /// which would send a "loopback" request off the machine, so hub tests skip.
    pub fn proxy_is_set() -> bool {
        ["ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some() || std::env::var_os(v.to_lowercase()).is_some())
    }

    pub fn builtin() -> &'static Tokenizer {
        static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
        TOKENIZER.get_or_init(|| Tokenizer::load(&TokenizerSpec::Builtin).unwrap())
    }

    /// The real Shakespeare corpus through the real cache (cold on the first run only).
    pub fn builtin_corpus() -> &'static Corpus {
        static CORPUS: OnceLock<Corpus> = OnceLock::new();
        CORPUS.get_or_init(|| Corpus::load(builtin(), None).unwrap())
    }
}
