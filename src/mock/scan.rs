//! Cheap scanning of request bodies: a few keys' values and a prompt-length estimate.
//!
//! The keys are found with [`crate::json_scan`]'s prebuilt searchers (one per key, built
//! once: building a searcher costs more than scanning a typical 1 KB body, and the mock scans
//! every request for six to eight keys). Values come back unparsed, for
//! [`crate::json_scan::parse_u64`].

use std::sync::LazyLock;

use crate::json_scan::{self, scalar_at, skip_whitespace as skip_ws};

/// The keys the mock reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Stream,
    IncludeUsage,
    MaxTokens,
    MaxCompletionTokens,
    MinTokens,
    Model,
    Content,
    Text,
    Prompt,
    Input,
    Inputs,
    MaxOutputTokens,
    MaxNewTokens,
}

impl Key {
    const ALL: [Key; 13] = [
        Key::Stream,
        Key::IncludeUsage,
        Key::MaxTokens,
        Key::MaxCompletionTokens,
        Key::MinTokens,
        Key::Model,
        Key::Content,
        Key::Text,
        Key::Prompt,
        Key::Input,
        Key::Inputs,
        Key::MaxOutputTokens,
        Key::MaxNewTokens,
    ];

    /// The JSON key, for error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Key::Stream => "stream",
            Key::IncludeUsage => "include_usage",
            Key::MaxTokens => "max_tokens",
            Key::MaxCompletionTokens => "max_completion_tokens",
            Key::MinTokens => "min_tokens",
            Key::Model => "model",
            Key::Content => "content",
            Key::Text => "text",
            Key::Prompt => "prompt",
            Key::Input => "input",
            Key::Inputs => "inputs",
            Key::MaxOutputTokens => "max_output_tokens",
            Key::MaxNewTokens => "max_new_tokens",
        }
    }
}

/// `"key"` searchers, built once per process.
static FINDERS: LazyLock<Vec<json_scan::Key>> = LazyLock::new(|| {
    Key::ALL
        .iter()
        .map(|key| json_scan::Key::new(key.name()))
        .collect()
});

/// Start offsets of the values of every `"key":` in `doc` (a key inside a string value never
/// matches, since its quotes would be escaped).
fn value_starts(doc: &[u8], key: Key) -> impl Iterator<Item = usize> + '_ {
    FINDERS[key as usize].value_starts(doc)
}

/// The raw value of the first `"key":` in `doc`, trimmed; strings keep their quotes.
pub(crate) fn value_of(doc: &[u8], key: Key) -> Option<&[u8]> {
    let value = FINDERS[key as usize].find(doc)?;
    // A missing value (`"max_tokens":}`) comes back as its one delimiter byte; the mock's
    // 400 has always said it got nothing.
    Some(match value {
        [b',' | b'}' | b']'] => &value[..0],
        _ => value,
    })
}

/// Words in every value of `key`: strings, arrays of them, one per token id, and the `text`
/// of content parts (the request reader's prompt-length estimate).
pub(crate) fn count_key(body: &[u8], key: Key) -> u64 {
    value_starts(body, key)
        .map(|start| count_value(body, start, 0).0)
        .sum()
}

/// Counts prompt words in the value at `i`; returns (words, index after the value).
/// Objects count the words of their `text` key (chat content parts).
fn count_value(body: &[u8], i: usize, depth: u32) -> (u64, usize) {
    match body.get(i) {
        Some(b'"') => count_string_words(body, i),
        Some(b'[') if depth < 4 => {
            let mut words = 0;
            let mut j = i + 1;
            loop {
                j = skip_ws(body, j);
                match body.get(j) {
                    None => return (words, j),
                    Some(b']') => return (words, j + 1),
                    Some(b',') => j += 1,
                    Some(_) => {
                        let (w, end) = count_value(body, j, depth + 1);
                        words += w;
                        j = end.max(j + 1);
                    }
                }
            }
        }
        Some(b'{') => {
            // A content part: its words are in its `text` key.
            let end = skip_container(body, i);
            let part = &body[i..end];
            let words = value_starts(part, Key::Text)
                .map(|start| count_value(part, start, depth + 1).0)
                .sum();
            (words, end)
        }
        Some(b'[') => (0, skip_container(body, i)),
        Some(b) if b.is_ascii_digit() || *b == b'-' => (1, scalar_end(body, i)),
        Some(_) => (0, scalar_end(body, i)),
        None => (0, i),
    }
}

fn scalar_end(body: &[u8], i: usize) -> usize {
    i + scalar_at(body, i).len()
}

/// Skips a nested object or array, minding strings.
fn skip_container(body: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < body.len() {
        match body[j] {
            b'"' => {
                j = count_string_words(body, j).1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    body.len()
}

/// Counts words in the string starting at the quote at `i`; returns (words, index after it).
/// Jumps between quotes and backslashes with memchr and counts word starts branch-free in
/// between, since prompt text is most of a request body.
fn count_string_words(body: &[u8], i: usize) -> (u64, usize) {
    let mut words = 0;
    let mut prev_space = true;
    let mut j = (i + 1).min(body.len());
    loop {
        let Some(off) = memchr::memchr2(b'"', b'\\', &body[j..]) else {
            words += count_plain_words(&body[j..], &mut prev_space);
            return (words, body.len());
        };
        words += count_plain_words(&body[j..j + off], &mut prev_space);
        let k = j + off;
        if body[k] == b'"' {
            return (words, k + 1);
        }
        // `\n`, `\t`, `\r` separate words; any other escape is part of one.
        let space = matches!(body.get(k + 1), Some(b'n' | b't' | b'r'));
        words += u64::from(prev_space && !space);
        prev_space = space;
        j = (k + 2).min(body.len());
    }
}

/// Word starts in escape-free string bytes; anything at or below `' '` counts as a space
/// (raw control bytes are invalid in JSON strings anyway).
fn count_plain_words(seg: &[u8], prev_space: &mut bool) -> u64 {
    let Some(&last) = seg.last() else {
        return 0;
    };
    let first = u64::from(*prev_space && seg[0] > b' ');
    // Byte-wide sums over short blocks keep the loop in wide SIMD lanes.
    let mut inner = 0u64;
    for (a, b) in seg.chunks(128).zip(seg[1..].chunks(128)) {
        let block: u8 = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| u8::from(x <= b' ') & u8::from(y > b' '))
            .sum();
        inner += u64::from(block);
    }
    *prev_space = last <= b' ';
    first + inner
}

#[cfg(test)]
mod tests {
    use super::super::request::{estimate_prompt_tokens, GenKind};
    use super::*;

    #[test]
    fn reads_scalars_like_json_scan() {
        let doc = br#"{"model": "m\"1", "max_tokens" :16,"stream":true,"stream_options":{"include_usage":false}}"#;
        assert_eq!(value_of(doc, Key::Model), Some(&br#""m\"1""#[..]));
        assert_eq!(value_of(doc, Key::MaxTokens), Some(&b"16"[..]));
        assert_eq!(value_of(doc, Key::Stream), Some(&b"true"[..]));
        assert_eq!(value_of(doc, Key::IncludeUsage), Some(&b"false"[..]));
        assert_eq!(value_of(doc, Key::MinTokens), None);
        let tricky = br#"{"content":"say \"max_tokens\": 5","max_tokens":9}"#;
        assert_eq!(value_of(tricky, Key::MaxTokens), Some(&b"9"[..]));
        assert_eq!(value_of(br#"{"model":"#, Key::Model), Some(&b""[..]));
    }

    #[test]
    fn long_prompts_count_every_word() {
        let words: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        let body = format!(r#"{{"prompt":"{}"}}"#, words.join("  "));
        assert_eq!(
            estimate_prompt_tokens(body.as_bytes(), GenKind::Completions),
            1000
        );
        let body = format!(r#"{{"prompt":" {} "}}"#, words.join("\\n"));
        assert_eq!(
            estimate_prompt_tokens(body.as_bytes(), GenKind::Completions),
            1000
        );
    }

    #[test]
    fn prompt_estimate_counts_words_in_content_and_parts() {
        let body = br#"{"messages":[{"role":"system","content":"be  brief\nplease"},
            {"role":"user","content":[{"type":"text","text":"two words"},
            {"type":"image_url","image_url":{"url":"data:x"}}]}]}"#;
        assert_eq!(estimate_prompt_tokens(body, GenKind::Chat), 5);
        let escaped = br#"{"messages":[{"content":"say \"hi\" now"}]}"#;
        assert_eq!(estimate_prompt_tokens(escaped, GenKind::Chat), 3);
    }

    #[test]
    fn prompt_estimate_for_completions_strings_and_token_ids() {
        assert_eq!(
            estimate_prompt_tokens(
                br#"{"prompt":"a b c","max_tokens":3}"#,
                GenKind::Completions
            ),
            3
        );
        assert_eq!(
            estimate_prompt_tokens(br#"{"prompt":["a b","c"]}"#, GenKind::Completions),
            3
        );
        assert_eq!(
            estimate_prompt_tokens(br#"{"prompt":[1,2,3,4]}"#, GenKind::Completions),
            4
        );
        assert_eq!(
            estimate_prompt_tokens(br#"{"prompt":[[1,2],[3]]}"#, GenKind::Completions),
            3
        );
    }

    #[test]
    fn truncated_bodies_do_not_panic() {
        for body in [
            &br#"{"prompt":"abc"#[..],
            br#"{"prompt":["#,
            br#"{"prompt":[{"#,
            br#"{"content":"\"#,
            br#"{"prompt":"#,
        ] {
            let _ = estimate_prompt_tokens(body, GenKind::Completions);
            let _ = estimate_prompt_tokens(body, GenKind::Chat);
        }
    }
}
