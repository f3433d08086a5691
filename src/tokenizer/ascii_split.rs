//! The three pre-tokenizer patterns most byte-level tokenizers ship (GPT-2's, Llama 3's and
//! Qwen2's), as hand-written scanners over ASCII text.
//!
//! onig spends ~200 ns setting up each search, and a 100-token prompt has ~85 pieces, so the
//! regex was most of a fast count. On ASCII the patterns' classes are plain: `\p{L}` is
//! `[A-Za-z]`, `\p{N}` is `[0-9]`, `\s` is `[\t\n\v\f\r ]`, and every byte is one of those or
//! "other". Each scanner tries the pattern's alternatives in order at the current position,
//! exactly as the backtracking engine does, and returns where the match ends. The tests hold
//! every scanner to onig's own answer on random ASCII; any other pattern or any non-ASCII
//! text goes through onig.

/// A pattern with a hand-written ASCII scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AsciiSplitter {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    Gpt2,
    /// [`QWEN2`] with digits in runs of up to three (`\p{N}{1,3}`).
    Llama3,
    /// [`QWEN2`]: case-insensitive contractions, one leading non-letter before a word, single
    /// digits, punctuation that swallows the line break after it.
    Qwen2,
}

pub(super) const GPT2: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
pub(super) const LLAMA3: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
pub(super) const QWEN2: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

fn letter(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

fn digit(b: u8) -> bool {
    b.is_ascii_digit()
}

fn space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

fn line_break(b: u8) -> bool {
    matches!(b, b'\r' | b'\n')
}

/// Neither whitespace, a letter nor a digit: `[^\s\p{L}\p{N}]`.
fn other(b: u8) -> bool {
    !space(b) && !letter(b) && !digit(b)
}

/// The end of the run of bytes from `at` that satisfy `class`.
fn run_end(t: &[u8], at: usize, class: fn(u8) -> bool) -> usize {
    at + t[at..].iter().take_while(|&&b| class(b)).count()
}

fn class_at(t: &[u8], at: usize, class: fn(u8) -> bool) -> bool {
    t.get(at).is_some_and(|&b| class(b))
}

impl AsciiSplitter {
    /// The scanner for `pattern`, when it is one of the three.
    pub(super) fn for_pattern(pattern: &str) -> Option<AsciiSplitter> {
        match pattern {
            GPT2 => Some(AsciiSplitter::Gpt2),
            LLAMA3 => Some(AsciiSplitter::Llama3),
            QWEN2 => Some(AsciiSplitter::Qwen2),
            _ => None,
        }
    }

    /// Calls `piece(start, end)` for each piece of the ASCII `text`, in order; every byte is
    /// in exactly one piece (on ASCII these patterns match at every position). Stops at the
    /// first `None` from `piece` and returns it.
    pub(super) fn split(
        self,
        text: &[u8],
        mut piece: impl FnMut(usize, usize) -> Option<()>,
    ) -> Option<()> {
        let mut at = 0;
        while at < text.len() {
            let end = self.match_at(text, at);
            piece(at, end)?;
            at = end;
        }
        Some(())
    }

    /// Where the match starting at `p` ends (always past `p`).
    fn match_at(self, t: &[u8], p: usize) -> usize {
        let b = t[p];
        let gpt2 = self == AsciiSplitter::Gpt2;
        if b == b'\'' {
            if let Some(len) = contraction(&t[p + 1..], !gpt2) {
                return p + 1 + len;
            }
        }
        if gpt2 {
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run.
            let from = if b == b' ' { p + 1 } else { p };
            for class in [letter as fn(u8) -> bool, digit, other] {
                if class_at(t, from, class) {
                    return run_end(t, from, class);
                }
            }
        } else {
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !line_break(b) && !letter(b) && !digit(b) && class_at(t, p + 1, letter) {
                return run_end(t, p + 1, letter);
            }
            if letter(b) {
                return run_end(t, p, letter);
            }
            if digit(b) {
                let most = if self == AsciiSplitter::Llama3 { 3 } else { 1 };
                return p + t[p..].iter().take(most).take_while(|&&b| digit(b)).count();
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let from = if b == b' ' { p + 1 } else { p };
            if class_at(t, from, other) {
                return run_end(t, run_end(t, from, other), line_break);
            }
        }
        // Whitespace from here on; `q` ends its run.
        let q = run_end(t, p, space);
        if !gpt2 {
            // `\s*[\r\n]+`: backtracking gives the longest prefix ending at a line break.
            if let Some(last) = t[p..q].iter().rposition(|&b| line_break(b)) {
                return p + last + 1;
            }
        }
        // `\s+(?!\S)`: all of it at the end of the text, else all but the last space (when
        // that leaves one); then `\s+`.
        if q == t.len() || q - p < 2 {
            q
        } else {
            q - 1
        }
    }
}

/// The length of `'s|'t|'re|'ve|'m|'ll|'d` after the apostrophe in `rest`, if one matches.
fn contraction(rest: &[u8], any_case: bool) -> Option<usize> {
    let fold = |b: u8| if any_case { b.to_ascii_lowercase() } else { b };
    let first = fold(*rest.first()?);
    let second = rest.get(1).map(|&b| fold(b));
    match (first, second) {
        (b's' | b't' | b'm' | b'd', _) => Some(1),
        (b'r' | b'v', Some(b'e')) | (b'l', Some(b'l')) => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// onig's pieces of `text`: matches and the gaps between them, empty ones dropped.
    fn onig_pieces(pattern: &str, text: &str) -> Vec<(usize, usize)> {
        let regex = onig::Regex::new(pattern).unwrap();
        let mut pieces = Vec::new();
        let mut done = 0;
        for (start, end) in regex.find_iter(text) {
            if start > done {
                pieces.push((done, start));
            }
            if end > start {
                pieces.push((start, end));
            }
            done = end;
        }
        if done < text.len() {
            pieces.push((done, text.len()));
        }
        pieces
    }

    fn scanner_pieces(splitter: AsciiSplitter, text: &str) -> Vec<(usize, usize)> {
        let mut pieces = Vec::new();
        splitter.split(text.as_bytes(), |start, end| {
            pieces.push((start, end));
            Some(())
        });
        pieces
    }

    const ALL: [(AsciiSplitter, &str); 3] = [
        (AsciiSplitter::Gpt2, GPT2),
        (AsciiSplitter::Llama3, LLAMA3),
        (AsciiSplitter::Qwen2, QWEN2),
    ];

    #[test]
    fn only_the_three_patterns_have_scanners() {
        for (splitter, pattern) in ALL {
            assert_eq!(AsciiSplitter::for_pattern(pattern), Some(splitter));
        }
        assert_eq!(AsciiSplitter::for_pattern(r"\s+|\S+"), None);
    }

    #[test]
    fn awkward_texts_split_as_onig_does() {
        let texts = [
            "",
            "Hello, world! It's 2024: I'LL pay $1,234.56 (maybe).\n",
            "  two\n\n  spaces \t\r\n\r\nthen 12345 digits 'Re 'rE 'VE 'll 'x' '",
            "end with spaces   ",
            "end with newline\n",
            " \n \n ",
            "a\x0Bb\x0Cc\x00d\x1Fe\x7F",
            "...\n\n!!\r\n?? x\n",
            "don't won'T y'all I'd",
        ];
        for (splitter, pattern) in ALL {
            for text in texts {
                assert_eq!(
                    scanner_pieces(splitter, text),
                    onig_pieces(pattern, text),
                    "{splitter:?} {text:?}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn every_ascii_text_splits_as_onig_does(
            text in "[\\x00-\\x7F]{0,48}|[ \\t\\n\\r\\x0B\\x0C'sStTrReEvVmMlLdDx0-9.,!-]{0,48}"
        ) {
            for (splitter, pattern) in ALL {
                prop_assert_eq!(
                    scanner_pieces(splitter, &text),
                    onig_pieces(pattern, &text),
                    "{:?}", splitter
                );
            }
        }
    }
}
