//! Prompts of an exact token count, cut from the corpus.
//!
//! Decoding `n` corpus tokens and re-encoding the text does not always give `n` back: merges
//! change at the cut edges and a cut through a multi-byte character decodes to U+FFFD. So the
//! slice length is corrected by the difference and retried; if that oscillates, characters are
//! trimmed off an over-long text by bisection; if even that cannot hit the count, another
//! random start is tried. Only a text that re-encodes to exactly `tokens` is ever returned.

use rand::Rng;

use super::{Corpus, Tokenizer, TokenizerError};
use crate::config::MAX_PROMPT_TOKENS;

/// Refuses a prompt length over [`MAX_PROMPT_TOKENS`] (before any memory is taken for it).
pub fn check_prompt_tokens(tokens: u64) -> Result<(), TokenizerError> {
    if tokens > u64::from(MAX_PROMPT_TOKENS) {
        return Err(TokenizerError::PromptTooLong {
            tokens,
            max: MAX_PROMPT_TOKENS,
        });
    }
    Ok(())
}

/// Random starts tried before giving up on one prompt.
const MAX_STARTS: u32 = 32;
/// Length corrections tried from one start before falling back to trimming.
const MAX_CORRECTIONS: usize = 6;
/// Tokens a start may move forward to land on a word boundary.
const MAX_SNAP: usize = 32;

/// Cuts exact-length prompts from a tokenized corpus; borrows both, so it is cheap to make and
/// can be shared by every worker thread.
#[derive(Debug, Clone, Copy)]
pub struct PromptGenerator<'a> {
    tokenizer: &'a Tokenizer,
    corpus: &'a Corpus,
}

impl<'a> PromptGenerator<'a> {
    /// A generator over `corpus`, which must have been tokenized with `tokenizer`.
    pub fn new(tokenizer: &'a Tokenizer, corpus: &'a Corpus) -> Self {
        PromptGenerator { tokenizer, corpus }
    }

    /// The tokenizer prompts are counted with, for callers that join or extend prompts and
    /// must re-count the result.
    pub fn tokenizer(&self) -> &'a Tokenizer {
        self.tokenizer
    }

    /// Text that re-encodes (no special tokens) to exactly `tokens` tokens, from a random
    /// place in the corpus; lengths beyond the corpus wrap around to its start.
    pub fn prompt(&self, tokens: u32, rng: &mut impl Rng) -> Result<String, TokenizerError> {
        if tokens == 0 {
            return Ok(String::new());
        }
        check_prompt_tokens(u64::from(tokens))?;
        for _ in 0..MAX_STARTS {
            let start = self.word_start(rng.random_range(0..self.corpus.len()))?;
            if let Some(text) = self.exact_from(start, tokens as usize)? {
                return Ok(text);
            }
        }
        Err(TokenizerError::PromptNotExact {
            tokens,
            corpus: self.corpus.name().to_string(),
            attempts: MAX_STARTS,
        })
    }

    /// Moves `start` forward to a token that begins a word or a line, so prompts do not open
    /// with half a word; gives up quietly after `MAX_SNAP` tokens.
    fn word_start(&self, start: usize) -> Result<usize, TokenizerError> {
        let ids = self.corpus.ids();
        let mut previous_ends_line = match start.checked_sub(1) {
            Some(prev) => self.tokenizer.token_edges(ids[prev])?.1,
            None => return Ok(start),
        };
        for offset in 0..MAX_SNAP {
            let at = (start + offset) % ids.len();
            let (starts_with_space, ends_line) = self.tokenizer.token_edges(ids[at])?;
            if previous_ends_line || starts_with_space {
                return Ok(at);
            }
            previous_ends_line = ends_line;
        }
        Ok(start)
    }

    fn exact_from(&self, start: usize, target: usize) -> Result<Option<String>, TokenizerError> {
        let mut span = target;
        let mut tried = Vec::with_capacity(MAX_CORRECTIONS);
        let mut shortest_over: Option<(usize, String)> = None;
        for _ in 0..MAX_CORRECTIONS {
            let text = self.decode_span(start, span)?;
            let count = self.tokenizer.count(&text)? as usize;
            if count == target {
                return Ok(Some(text));
            }
            if count > target && !matches!(&shortest_over, Some((s, _)) if *s <= span) {
                shortest_over = Some((span, text));
            }
            tried.push(span);
            let next = (span + target).saturating_sub(count).max(1);
            if tried.contains(&next) {
                break;
            }
            span = next;
        }
        match shortest_over {
            Some((_, text)) => self.trim_to(&text, target),
            None => Ok(None),
        }
    }

    /// A piece of `text` with exactly `target` tokens, cut by characters: first the longest
    /// prefix with at most `target` tokens, then the longest suffix. Token counts of prefixes
    /// and suffixes grow almost monotonically, so bisection finds the edge in a few encodes;
    /// trying both ends rescues cuts where one end sits on a character that splits into
    /// several byte tokens.
    fn trim_to(&self, text: &str, target: usize) -> Result<Option<String>, TokenizerError> {
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let chars = bounds.len() - 1;
        for from_end in [true, false] {
            // `keep` chars survive: a prefix when trimming the end, a suffix otherwise.
            let piece = |keep: usize| {
                if from_end {
                    &text[..bounds[keep]]
                } else {
                    &text[bounds[chars - keep]..]
                }
            };
            // Invariant: keeping `lo` chars gives <= target tokens; keeping `hi` gives more.
            let (mut lo, mut hi) = (0usize, chars);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if (self.tokenizer.count(piece(mid))? as usize) <= target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let candidate = piece(lo).trim_matches('\u{FFFD}');
            if self.tokenizer.count(candidate)? as usize == target {
                return Ok(Some(candidate.to_string()));
            }
        }
        Ok(None)
    }

    /// Text of `span` corpus tokens from `start`, wrapping past the end, without the U+FFFD a
    /// cut through a multi-byte character leaves at either edge.
    fn decode_span(&self, start: usize, span: usize) -> Result<String, TokenizerError> {
        let ids = self.corpus.ids();
        let text = if start + span <= ids.len() {
            self.tokenizer.decode(&ids[start..start + span])?
        } else {
            let wrapped: Vec<u32> = ids[start..]
                .iter()
                .chain(ids.iter().cycle())
                .take(span)
                .copied()
                .collect();
            self.tokenizer.decode(&wrapped)?
        };
        Ok(text.trim_matches('\u{FFFD}').to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngRoot;
    use crate::tokenizer::test_support::{builtin, builtin_corpus};

    #[test]
    fn thousand_random_lengths_are_all_exact() {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let root = RngRoot::new(42);
        let mut lengths = root.stream("test-lengths", 0);
        for i in 0..1_000u64 {
            let tokens = lengths.random_range(1..=2_000u32);
            let text = generator
                .prompt(tokens, &mut root.stream("test-prompt", i))
                .unwrap();
            assert_eq!(
                builtin().count(&text).unwrap(),
                tokens,
                "prompt {i}: {text:?}"
            );
        }
    }

    #[test]
    fn zero_is_empty_and_same_rng_gives_same_text() {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let root = RngRoot::new(1);
        assert_eq!(generator.prompt(0, &mut root.stream("p", 0)).unwrap(), "");
        let a = generator.prompt(50, &mut root.stream("p", 1)).unwrap();
        let b = generator.prompt(50, &mut root.stream("p", 1)).unwrap();
        let c = generator.prompt(50, &mut root.stream("p", 2)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn lengths_beyond_the_corpus_wrap_around() {
        let tok = builtin();
        let corpus =
            Corpus::from_text(tok, "Now is the winter of our discontent.\n", "tiny").unwrap();
        let generator = PromptGenerator::new(tok, &corpus);
        let mut rng = RngRoot::new(3).stream("p", 0);
        for tokens in [1, 7, 100, 1_000] {
            let text = generator.prompt(tokens, &mut rng).unwrap();
            assert_eq!(tok.count(&text).unwrap(), tokens, "{text:?}");
        }
    }

    #[test]
    fn multibyte_cuts_still_come_out_exact() {
        let tok = builtin();
        let text = "Ça m'a été très agréable — 東京で会いましょう。 Ελληνικά κείμενα! 🎭🎭 done\n";
        let corpus = Corpus::from_text(tok, &text.repeat(20), "multibyte").unwrap();
        let generator = PromptGenerator::new(tok, &corpus);
        let root = RngRoot::new(9);
        for i in 0..200u64 {
            let tokens = 1 + (i as u32 % 40);
            let prompt = generator.prompt(tokens, &mut root.stream("p", i)).unwrap();
            assert_eq!(tok.count(&prompt).unwrap(), tokens, "{prompt:?}");
            assert!(!prompt.contains('\u{FFFD}'), "{prompt:?}");
        }
    }

    #[test]
    fn corrections_rescue_starts_where_the_naive_cut_is_off() {
        let tok = builtin();
        let text = "Ça m'a été très agréable — 東京で会いましょう。\n\n  Ελληνικά!! 🎭🎭 x.\n";
        let corpus = Corpus::from_text(tok, &text.repeat(8), "multibyte").unwrap();
        let generator = PromptGenerator::new(tok, &corpus);
        let (mut naive_misses, mut rescued) = (0, 0);
        for start in 0..corpus.len() {
            for target in [1usize, 2, 5, 13, 40] {
                let naive = generator.decode_span(start, target).unwrap();
                if tok.count(&naive).unwrap() as usize != target {
                    naive_misses += 1;
                    if let Some(exact) = generator.exact_from(start, target).unwrap() {
                        assert_eq!(tok.count(&exact).unwrap() as usize, target, "{exact:?}");
                        rescued += 1;
                    }
                }
            }
        }
        // Without misses this test would not exercise the correction path at all.
        assert!(naive_misses > 20, "only {naive_misses} naive misses");
        // The rest are left to the next random start; most must succeed from this one.
        assert!(
            rescued * 10 >= naive_misses * 9,
            "{rescued} of {naive_misses}"
        );
    }

    #[test]
    fn trimming_finds_exact_pieces() {
        let tok = builtin();
        let generator = PromptGenerator::new(tok, builtin_corpus());
        let text = "To-morrow, and to-morrow, and to-morrow, creeps in this petty pace 🎭 été.";
        let total = tok.count(text).unwrap() as usize;
        let mut found = 0;
        for target in 1..total {
            if let Some(prefix) = generator.trim_to(text, target).unwrap() {
                assert_eq!(tok.count(&prefix).unwrap() as usize, target, "{prefix:?}");
                assert!(text.starts_with(&prefix) || text.ends_with(&prefix));
                found += 1;
            }
        }
        assert!(found * 10 >= (total - 1) * 9, "{found} of {}", total - 1);
    }
}
