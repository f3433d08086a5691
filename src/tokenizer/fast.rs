//! The same token counts and decodes as `tokenizers`, without its per-call machinery, for the
//! byte-level BPE setup most chat models use (GPT-2, Llama 3, Qwen, DeepSeek, Mistral Nemo).
//!
//! Cutting a prompt encodes it at least once to prove its length. Through
//! `tokenizers::Tokenizer::encode_fast` a 100-token prompt costs ~130 µs here, nearly all of it
//! building `NormalizedString` alignments (its regex splitter reserves a slot per input byte)
//! and one `String` per token that a count never reads. [`FastCount`] computes the same
//! function directly: split the text with the tokenizer's own pattern (the same onig regex, so
//! the same pieces) and add up, per piece, how many tokens the tokenizer's own model makes of
//! its byte-level form, remembered per thread. It is used only where every other stage of the
//! pipeline is provably the identity for the text at hand (see [`FastCount::new`] and
//! [`FastCount::count`]); anything else goes through `tokenizers` as before.
//!
//! [`ByteDecoder`] is the byte-level decoder as a table: each id's bytes, joined, then one
//! lossy UTF-8 conversion, which is what `tokenizers` does one `String` per token at a time.

use std::cell::RefCell;
use std::sync::{LazyLock, RwLock};

use thread_local::ThreadLocal;

use aho_corasick::AhoCorasick;

use super::ascii_split::{self, AsciiSplitter};
use foldhash::HashMap as FxHashMap;
use rayon::prelude::*;
use serde_json::Value;
use tokenizers::models::ModelWrapper;
use tokenizers::Model;

/// Pieces remembered per thread and tokenizer; past this, new pieces are counted every time,
/// so a huge corpus cannot grow the cache without bound.
const PIECE_CACHE_MAX: usize = 1 << 16;

/// The byte-level alphabet: byte `b` is written as `BYTE_CHARS[b]` before the model sees it.
/// Printable Latin-1 bytes stand for themselves; the other 68 take the code points from 256 up,
/// in byte order (GPT-2's `bytes_to_unicode`).
static BYTE_CHARS: LazyLock<[char; 256]> = LazyLock::new(|| {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut chars = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..=255u8 {
        chars[b as usize] = if printable(b) {
            char::from(b)
        } else {
            next += 1;
            char::from_u32(next - 1).unwrap_or(char::REPLACEMENT_CHARACTER)
        };
    }
    chars
});

/// The inverse of [`BYTE_CHARS`], indexed by code point (all of them are below 324).
static CHAR_BYTES: LazyLock<Vec<Option<u8>>> = LazyLock::new(|| {
    let mut bytes = vec![None; 324];
    for (b, c) in BYTE_CHARS.iter().enumerate() {
        bytes[*c as usize] = Some(b as u8);
    }
    bytes
});

/// Ids per parallel task when building a [`ByteDecoder`].
const DECODE_BLOCK: usize = 8192;

/// Token counts by pieces of text.
type PieceCache = FxHashMap<Box<str>, u32>;

/// Token counts for tokenizers whose pipeline is: an optional Unicode normalization, a regex
/// split into isolated pieces, byte-level mapping, and a deterministic model.
#[derive(Debug)]
pub(super) struct FastCount {
    splitter: onig::Regex,
    /// The same split without onig, for ASCII text, when the pattern is a well-known one.
    ascii: Option<AsciiSplitter>,
    /// With an NFC/NFKC/NFD/NFKD normalizer, only ASCII text is known to pass unchanged.
    ascii_only: bool,
    /// The added tokens' contents: a text holding one is split around it by `tokenizers`.
    added: Option<AhoCorasick>,
    /// Pieces any thread has counted, read when a thread's own cache misses: each new piece
    /// costs the BPE model ~3 µs, and without this every rayon thread paid it once more.
    shared: RwLock<PieceCache>,
    /// Each thread's own pieces, read without a lock; freed with the tokenizer.
    local: ThreadLocal<RefCell<PieceCache>>,
}

impl FastCount {
    /// The fast count for `inner`, or `None` when its pipeline has a stage this module does
    /// not reproduce exactly (another pre-tokenizer, a prefix space, merge dropout, a
    /// normalizer that changes ASCII, an unknown post-processor).
    pub(super) fn new(inner: &tokenizers::Tokenizer) -> Option<FastCount> {
        let pattern = split_pattern(&serde_json::to_value(inner.get_pre_tokenizer()?).ok()?)?;
        // Only Unicode normalization, which is the identity on ASCII text, is allowed.
        let ascii_only = match inner.get_normalizer() {
            None => false,
            Some(normalizer) => {
                let normalizer = serde_json::to_value(normalizer).ok()?;
                only_types(&normalizer, UNICODE_NORMALIZERS, "normalizers").then_some(true)?
            }
        };
        if let Some(processor) = inner.get_post_processor() {
            let processor = serde_json::to_value(processor).ok()?;
            only_types(&processor, SILENT_POST_PROCESSORS, "processors").then_some(())?;
        }
        if let ModelWrapper::BPE(bpe) = inner.get_model() {
            if bpe.dropout.is_some_and(|p| p > 0.0) {
                return None;
            }
        }
        let contents: Vec<String> = inner
            .get_added_tokens_decoder()
            .into_values()
            .map(|token| token.content)
            .collect();
        if contents.iter().any(String::is_empty) {
            return None;
        }
        let added = if contents.is_empty() {
            None
        } else {
            Some(AhoCorasick::new(&contents).ok()?)
        };
        Some(FastCount {
            splitter: onig::Regex::new(&pattern).ok()?,
            ascii: AsciiSplitter::for_pattern(&pattern),
            shared: RwLock::default(),
            local: ThreadLocal::new(),
            ascii_only,
            added,
        })
    }

    /// The number of tokens `inner.encode_fast(text, false)` gives, or `None` when `text`
    /// needs the full pipeline (non-ASCII under a normalizer, an added token inside it, or a
    /// model error, which the full pipeline then reports).
    pub(super) fn count(&self, inner: &tokenizers::Tokenizer, text: &str) -> Option<u32> {
        let ascii = text.is_ascii();
        if self.ascii_only && !ascii {
            return None;
        }
        if self
            .added
            .as_ref()
            .is_some_and(|added| added.is_match(text))
        {
            return None;
        }
        let model = inner.get_model();
        {
            let mut cache = self.local.get_or_default().borrow_mut();
            let cache = &mut *cache;
            let mut mapped = String::new();
            let mut total = 0u32;
            let mut add = |start: usize, end: usize| {
                let piece = &text[start..end];
                total += match cache.get(piece) {
                    Some(count) => *count,
                    None => self.count_new_piece(model, piece, cache, &mut mapped)?,
                };
                Some(())
            };
            match self.ascii.filter(|_| ascii) {
                Some(splitter) => splitter.split(text.as_bytes(), add)?,
                None => {
                    // Isolated pieces: every match and every gap between matches, empty ones
                    // dropped.
                    let mut done = 0;
                    for (start, end) in self.splitter.find_iter(text) {
                        if start > done {
                            add(done, start)?;
                        }
                        if end > start {
                            add(start, end)?;
                        }
                        done = end;
                    }
                    if done < text.len() {
                        add(done, text.len())?;
                    }
                }
            }
            Some(total)
        }
    }
}

impl FastCount {
    /// A piece this thread has not seen: from the shared cache, else from the model.
    fn count_new_piece(
        &self,
        model: &ModelWrapper,
        piece: &str,
        cache: &mut PieceCache,
        mapped: &mut String,
    ) -> Option<u32> {
        let known = self.shared.read().ok()?.get(piece).copied();
        let count = match known {
            Some(count) => count,
            None => {
                mapped.clear();
                mapped.extend(piece.bytes().map(|b| BYTE_CHARS[b as usize]));
                let count = u32::try_from(model.tokenize(mapped).ok()?.len()).ok()?;
                let mut shared = self.shared.write().ok()?;
                if shared.len() < PIECE_CACHE_MAX {
                    shared.insert(piece.into(), count);
                }
                count
            }
        };
        if cache.len() < PIECE_CACHE_MAX {
            cache.insert(piece.into(), count);
        }
        Some(count)
    }
}

/// The regex a supported pre-tokenizer splits with: byte-level with GPT-2's pattern, or a
/// regex `Split` (isolated, not inverted) followed by byte-level mapping without a regex.
fn split_pattern(pre_tokenizer: &Value) -> Option<String> {
    let is = |v: &Value, kind: &str| v.get("type").and_then(Value::as_str) == Some(kind);
    let flag = |v: &Value, key: &str| v.get(key).and_then(Value::as_bool);
    let plain_byte_level = |v: &Value, use_regex: bool| {
        is(v, "ByteLevel")
            && flag(v, "add_prefix_space") == Some(false)
            && flag(v, "use_regex").unwrap_or(true) == use_regex
    };
    if plain_byte_level(pre_tokenizer, true) {
        return Some(ascii_split::GPT2.to_string());
    }
    if !is(pre_tokenizer, "Sequence") {
        return None;
    }
    match pre_tokenizer.get("pretokenizers")?.as_array()?.as_slice() {
        [split, byte_level]
            if is(split, "Split")
                && split.get("behavior").and_then(Value::as_str) == Some("Isolated")
                && flag(split, "invert") == Some(false)
                && plain_byte_level(byte_level, false) =>
        {
            Some(split.get("pattern")?.get("Regex")?.as_str()?.to_string())
        }
        _ => None,
    }
}

/// Normalizers that leave ASCII text as it is.
const UNICODE_NORMALIZERS: &[&str] = &["NFC", "NFD", "NFKC", "NFKD"];

/// Post-processors that add no tokens when asked for no special tokens: they only trim
/// offsets or insert special tokens.
const SILENT_POST_PROCESSORS: &[&str] = &[
    "ByteLevel",
    "TemplateProcessing",
    "RobertaProcessing",
    "BertProcessing",
];

/// Whether a serialized pipeline component is one of the `allowed` types, or a `Sequence`
/// (its members under `members`) made only of them.
fn only_types(component: &Value, allowed: &[&str], members: &str) -> bool {
    match component.get("type").and_then(Value::as_str) {
        Some("Sequence") => component
            .get(members)
            .and_then(Value::as_array)
            .is_some_and(|all| all.iter().all(|c| only_types(c, allowed, members))),
        Some(kind) => allowed.contains(&kind),
        None => false,
    }
}

/// The byte-level decoder as one table of every id's bytes.
#[derive(Debug)]
pub(super) struct ByteDecoder {
    bytes: Vec<u8>,
    /// `bytes[ends[id - 1]..ends[id]]` are id's bytes (from 0 for id 0).
    ends: Vec<u32>,
}

impl ByteDecoder {
    /// The table for `inner`, or `None` when its decoder is not plain byte-level.
    pub(super) fn new(inner: &tokenizers::Tokenizer) -> Option<ByteDecoder> {
        let decoder = serde_json::to_value(inner.get_decoder()?).ok()?;
        if decoder.get("type").and_then(Value::as_str) != Some("ByteLevel") {
            return None;
        }
        let added_end = inner
            .get_added_tokens_decoder()
            .into_keys()
            .max()
            .map_or(0, |id| id as usize + 1);
        let ids = inner.get_model().get_vocab_size().max(added_end);
        // In parallel blocks: ~150k `id_to_token` calls, each returning a new `String`, took
        // ~40 ms on one core, on the way to the first prompt.
        let blocks: Vec<(Vec<u8>, Vec<usize>)> = (0..ids.div_ceil(DECODE_BLOCK))
            .into_par_iter()
            .map(|block| {
                let range = block * DECODE_BLOCK..((block + 1) * DECODE_BLOCK).min(ids);
                let mut bytes = Vec::with_capacity(range.len() * 8);
                let mut lens = Vec::with_capacity(range.len());
                for id in range {
                    let start = bytes.len();
                    if let Some(token) = inner.id_to_token(id as u32) {
                        // A token written entirely in the byte alphabet stands for those bytes;
                        // any other (an added token such as "<|im_start|>") for its own UTF-8.
                        for c in token.chars() {
                            match CHAR_BYTES.get(c as usize).copied().flatten() {
                                Some(b) => bytes.push(b),
                                None => {
                                    bytes.truncate(start);
                                    bytes.extend_from_slice(token.as_bytes());
                                    break;
                                }
                            }
                        }
                    }
                    lens.push(bytes.len() - start);
                }
                (bytes, lens)
            })
            .collect();
        let mut bytes = Vec::with_capacity(blocks.iter().map(|(b, _)| b.len()).sum());
        let mut ends = Vec::with_capacity(ids);
        for (block, lens) in blocks {
            let mut end = bytes.len();
            for len in lens {
                end += len;
                ends.push(u32::try_from(end).ok()?);
            }
            bytes.extend_from_slice(&block);
        }
        Some(ByteDecoder { bytes, ends })
    }

    /// The bytes `id` decodes to, or `None` when it is beyond the table.
    pub(super) fn bytes_of(&self, id: u32) -> Option<&[u8]> {
        let id = id as usize;
        let end = *self.ends.get(id)? as usize;
        let start = if id == 0 {
            0
        } else {
            self.ends[id - 1] as usize
        };
        Some(&self.bytes[start..end])
    }

    /// What `inner.decode(ids, false)` gives, or `None` when an id is beyond the table.
    pub(super) fn decode(&self, ids: &[u32]) -> Option<String> {
        let mut joined = Vec::with_capacity(ids.len() * 6);
        for &id in ids {
            joined.extend_from_slice(self.bytes_of(id)?);
        }
        Some(match String::from_utf8(joined) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
