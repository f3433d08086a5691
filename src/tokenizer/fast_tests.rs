//! The fast count and decode must equal `tokenizers`' own answers on every input; where they
//! do not apply they must step aside, never guess.

use proptest::prelude::*;
use rand::Rng;

use super::super::{Tokenizer, BUILTIN_TOKENIZER};
use super::*;
use crate::rng::RngRoot;
use crate::tokenizer::asset_path;
use crate::tokenizer::test_support::{builtin, builtin_corpus};

/// The builtin tokenizer.json with `edit` applied, loaded under a test name.
fn builtin_edited(edit: impl FnOnce(&mut Value)) -> Tokenizer {
    let bytes = std::fs::read(asset_path(BUILTIN_TOKENIZER).unwrap()).unwrap();
    let mut json: Value = serde_json::from_slice(&bytes).unwrap();
    edit(&mut json);
    Tokenizer::from_bytes(&serde_json::to_vec(&json).unwrap(), "edited").unwrap()
}

/// GPT-2's layout: no normalizer, byte-level splitting with its own pattern.
fn gpt2_style() -> &'static Tokenizer {
    static TOKENIZER: std::sync::OnceLock<Tokenizer> = std::sync::OnceLock::new();
    TOKENIZER.get_or_init(|| {
        builtin_edited(|json| {
            json["normalizer"] = Value::Null;
            json["pre_tokenizer"] = serde_json::json!({"type": "ByteLevel",
                "add_prefix_space": false, "trim_offsets": false, "use_regex": true});
        })
    })
}

fn assert_same_count(tok: &Tokenizer, text: &str) {
    assert_eq!(
        tok.count(text).unwrap(),
        tok.count_in_full(text).unwrap(),
        "{text:?}"
    );
}

const AWKWARD: &[&str] = &[
    "",
    " ",
    "   ",
    "\n",
    "\r\n\r\n",
    "a  b   c    ",
    "trailing spaces   ",
    "   leading",
    "\ttabs\t\tand\nnewlines \n \n",
    "I'LL say it's, don't you'D? they've we're",
    "numbers 1234567890 and 3.14159, 1,000,000",
    "punctuation!!! ... ??? --- ((())) [] {} <> ;;; :::",
    "mixed\r\nline endings\rand\n\nblank lines",
    "x",
    "<|endoftext|>",
    "before <|im_start|>user\nhi<|im_end|> after",
    "naïve café — 東京 😀 e\u{301}",
    "\u{301}combining first",
    "ｆｕｌｌｗｉｄｔｈ",
];

#[test]
fn the_builtin_tokenizer_takes_both_fast_paths() {
    let tok = builtin();
    assert!(tok.counts_fast());
    assert!(tok.decodes_fast());
    assert!(gpt2_style().counts_fast());
}

#[test]
fn awkward_texts_count_the_same() {
    for tok in [builtin(), gpt2_style()] {
        for text in AWKWARD {
            assert_same_count(tok, text);
        }
    }
}

#[test]
fn corpus_spans_decode_and_count_the_same() {
    let corpus = builtin_corpus();
    let ids = corpus.ids();
    let mut rng = RngRoot::new(7).stream("fast-spans", 0);
    for tok in [builtin(), gpt2_style()] {
        for _ in 0..1_500 {
            let start = rng.random_range(0..ids.len() - 700);
            let span = &ids[start..start + rng.random_range(1..700)];
            let text = tok.decode(span).unwrap();
            assert_eq!(text, tok.decode_in_full(span).unwrap(), "{span:?}");
            assert_same_count(tok, &text);
            // Cuts at arbitrary characters, through words and whitespace runs.
            let chars: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let from = chars[rng.random_range(0..chars.len())];
            assert_same_count(tok, &text[from..]);
        }
    }
}

#[test]
fn ids_that_cut_a_character_decode_the_same() {
    let tok = builtin();
    let ids = tok.encode("東京 😀 naïve").unwrap();
    for start in 0..ids.len() {
        for end in start..=ids.len() {
            assert_eq!(
                tok.decode(&ids[start..end]).unwrap(),
                tok.decode_in_full(&ids[start..end]).unwrap()
            );
        }
    }
    // Added tokens decode as their own text.
    let special = tok.encode("<|im_start|>hi").unwrap();
    assert_eq!(tok.decode(&special).unwrap(), "<|im_start|>hi");
}

#[test]
fn unsupported_pipelines_fall_back() {
    let prefix_space = builtin_edited(|json| {
        json["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = Value::Bool(true);
    });
    assert!(!prefix_space.counts_fast());
    let lowercase = builtin_edited(|json| {
        json["normalizer"] = serde_json::json!({"type": "Lowercase"});
    });
    assert!(!lowercase.counts_fast());
    assert_eq!(
        lowercase.count("ABC abc").unwrap(),
        lowercase.count_in_full("ABC abc").unwrap()
    );
    let dropout = builtin_edited(|json| {
        json["model"]["dropout"] = serde_json::json!(0.5);
    });
    assert!(!dropout.counts_fast());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_texts_count_the_same(text in "[a-zA-Z0-9 '\\n\\r\\t.,!?<>|_-]{0,80}|\\PC{0,40}") {
        for tok in [builtin(), gpt2_style()] {
            prop_assert_eq!(tok.count(&text).unwrap(), tok.count_in_full(&text).unwrap());
        }
    }
}

#[test]
fn token_edges_match_the_decoded_text() {
    let tok = builtin();
    // Past the vocabulary too: unknown ids decode to nothing either way.
    for id in (0..152_000).step_by(3) {
        let text = tok.decode_in_full(&[id]).unwrap();
        assert_eq!(
            tok.token_edges(id).unwrap(),
            (text.starts_with(' '), text.ends_with('\n')),
            "{id} {text:?}"
        );
    }
}
