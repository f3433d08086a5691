//! What a reply says beyond text and token counts: `usage`'s details (cached, reasoning and
//! audio tokens) and reasoning text, read with the allocation-free key scanner on the record
//! processor thread.

use std::sync::LazyLock;

use crate::json_scan::{find_object, value_kind, Key, ValueKind};

static PROMPT_DETAILS: LazyLock<Key> = LazyLock::new(|| Key::new("prompt_tokens_details"));
static INPUT_DETAILS: LazyLock<Key> = LazyLock::new(|| Key::new("input_tokens_details"));
static COMPLETION_DETAILS: LazyLock<Key> = LazyLock::new(|| Key::new("completion_tokens_details"));
static OUTPUT_DETAILS: LazyLock<Key> = LazyLock::new(|| Key::new("output_tokens_details"));
static CACHED_TOKENS: LazyLock<Key> = LazyLock::new(|| Key::new("cached_tokens"));
static CACHE_READ_INPUT_TOKENS: LazyLock<Key> =
    LazyLock::new(|| Key::new("cache_read_input_tokens"));
static AUDIO_TOKENS: LazyLock<Key> = LazyLock::new(|| Key::new("audio_tokens"));
static REASONING_TOKENS: LazyLock<Key> = LazyLock::new(|| Key::new("reasoning_tokens"));
static REASONING_CONTENT: LazyLock<Key> = LazyLock::new(|| Key::new("reasoning_content"));
static REASONING: LazyLock<Key> = LazyLock::new(|| Key::new("reasoning"));

/// `usage`'s details: `prompt_tokens_details` / `completion_tokens_details` (chat), their
/// `input_`/`output_` forms (Responses), `cache_read_input_tokens` (Messages).
#[derive(Default, Clone, Copy)]
pub(super) struct UsageDetails {
    /// `reasoning_tokens`.
    pub reasoning: Option<u64>,
    /// `cached_tokens` / `cache_read_input_tokens`.
    pub cache_read: Option<u64>,
    /// The prompt details' `audio_tokens`.
    pub prompt_audio: Option<u64>,
    /// The completion details' `audio_tokens`.
    pub completion_audio: Option<u64>,
}

/// Reads the details of one `usage` object; a later usage's values replace earlier ones, a
/// detail it leaves out keeps the earlier value (Messages sends input and output apart).
pub(super) fn read_details(usage: &[u8], details: &mut UsageDetails) {
    let prompt = find_object(usage, &PROMPT_DETAILS).or_else(|| find_object(usage, &INPUT_DETAILS));
    let completion =
        find_object(usage, &COMPLETION_DETAILS).or_else(|| find_object(usage, &OUTPUT_DETAILS));
    if let Some(p) = prompt {
        details.cache_read = CACHED_TOKENS.find_u64(p).or(details.cache_read);
        details.prompt_audio = AUDIO_TOKENS.find_u64(p).or(details.prompt_audio);
    }
    if let Some(n) = CACHE_READ_INPUT_TOKENS.find_u64(usage) {
        details.cache_read = Some(n);
    }
    if let Some(c) = completion {
        details.reasoning = REASONING_TOKENS.find_u64(c).or(details.reasoning);
        details.completion_audio = AUDIO_TOKENS.find_u64(c).or(details.completion_audio);
    }
}

/// The reasoning text of a chat or completions event or body (`reasoning_content`, or a
/// `reasoning` string).
pub(super) fn reasoning_of(payload: &[u8]) -> Option<&[u8]> {
    [&*REASONING_CONTENT, &*REASONING]
        .into_iter()
        .find_map(|key| {
            key.find(payload)
                .filter(|v| value_kind(v) == ValueKind::String)
        })
}
