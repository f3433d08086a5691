//! Allocation-free scanning of compact JSON for a few known keys.
//!
//! The hot paths (the mock server reading `max_tokens`, the record processor reading `usage`
//! from an SSE event) need two or three fields out of a small object. A full parse costs more
//! than the rest of the request, so these helpers find `"key"` followed by `:` and read the
//! scalar after it. A key pattern cannot match inside a string value, because quotes inside a
//! JSON string are escaped. Nested objects are not tracked: callers ask for keys that are
//! unique in the documents they scan (`"completion_tokens"`, `"max_tokens"`, …).

use memchr::memmem;

/// Finds the first value of `key` and returns the bytes of the value (unparsed), trimmed.
///
/// For strings the slice includes the quotes; for objects and arrays only the first byte is
/// guaranteed meaningful (use [`value_kind`]).
pub fn find_value<'a>(doc: &'a [u8], key: &str) -> Option<&'a [u8]> {
    // The record processor calls this per request: short keys stay off the heap.
    let mut stack = [0u8; 64];
    let mut heap = Vec::new();
    let pattern: &mut [u8] = if key.len() + 2 <= stack.len() {
        &mut stack[..key.len() + 2]
    } else {
        heap.resize(key.len() + 2, 0);
        &mut heap
    };
    let last = pattern.len() - 1;
    pattern[0] = b'"';
    pattern[1..last].copy_from_slice(key.as_bytes());
    pattern[last] = b'"';
    find_value_with(doc, pattern)
}

/// Like [`find_value`] with a prebuilt `"key"` pattern (quotes included), so a hot loop
/// builds the pattern once.
pub fn find_value_with<'a>(doc: &'a [u8], quoted_key: &[u8]) -> Option<&'a [u8]> {
    let start = value_starts(doc, &memmem::Finder::new(quoted_key)).next()?;
    Some(scalar_at(doc, start))
}

/// A key whose `"key"` searcher is built once. Building a memmem searcher costs more than
/// searching a short SSE event with it, and the record processor looks up several keys in
/// every event: hot loops keep their keys in statics.
pub struct Key {
    finder: memmem::Finder<'static>,
}

impl Key {
    /// The searcher for `"name"`.
    pub fn new(name: &str) -> Self {
        let pattern = format!("\"{name}\"");
        Self {
            finder: memmem::Finder::new(pattern.as_bytes()).into_owned(),
        }
    }

    /// Like [`find_value`] for this key.
    #[inline]
    pub fn find<'a>(&self, doc: &'a [u8]) -> Option<&'a [u8]> {
        let start = self.value_starts(doc).next()?;
        Some(scalar_at(doc, start))
    }

    /// Like [`find_u64`] for this key.
    #[inline]
    pub fn find_u64(&self, doc: &[u8]) -> Option<u64> {
        parse_u64(self.find(doc)?)
    }

    /// Where the value of every `"key":` in `doc` starts (whitespace skipped), for callers
    /// that read more than the first (the mock counts the words of every `"content"`).
    pub fn value_starts<'a>(&'a self, doc: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
        value_starts(doc, &self.finder)
    }
}

fn value_starts<'a>(
    doc: &'a [u8],
    finder: &'a memmem::Finder<'_>,
) -> impl Iterator<Item = usize> + 'a {
    let quoted_len = finder.needle().len();
    finder.find_iter(doc).filter_map(move |pos| {
        let i = skip_whitespace(doc, pos + quoted_len);
        (doc.get(i) == Some(&b':')).then(|| skip_whitespace(doc, i + 1))
    })
}

/// The first index at or after `i` that is not JSON whitespace.
pub fn skip_whitespace(doc: &[u8], mut i: usize) -> usize {
    while i < doc.len() && doc[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The value starting at `start` (a `value_starts` index), as [`find_value`] returns it: a
/// string with its quotes, else the bytes up to the next delimiter or whitespace (at least
/// one byte when there are any).
pub fn scalar_at(doc: &[u8], start: usize) -> &[u8] {
    if start >= doc.len() {
        return &doc[start..];
    }
    if doc[start] == b'"' {
        let mut i = start + 1;
        while i < doc.len() {
            match doc[i] {
                b'\\' => i += 2,
                b'"' => return &doc[start..=i],
                _ => i += 1,
            }
        }
        return &doc[start..];
    }
    let end = doc[start..]
        .iter()
        .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
        .map_or(doc.len(), |p| start + p);
    &doc[start..end.max(start + 1).min(doc.len())]
}

/// The object (or array) starting at `start`, braces included: its bytes up to the bracket
/// that closes it, strings skipped. `None` when `doc[start]` opens no object or array, or it
/// is not closed. Callers read keys inside one object of a document without matching keys
/// of a sibling (`prompt_tokens_details` and `completion_tokens_details` both hold
/// `audio_tokens`).
pub fn container_at(doc: &[u8], start: usize) -> Option<&[u8]> {
    if !matches!(doc.get(start), Some(b'{' | b'[')) {
        return None;
    }
    let mut depth = 0usize;
    let mut i = start;
    while i < doc.len() {
        match doc[i] {
            b'"' => {
                i += 1;
                while i < doc.len() && doc[i] != b'"' {
                    i += if doc[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&doc[start..=i]);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The object that is the value of `key` (its first occurrence), braces included.
pub fn find_object<'a>(doc: &'a [u8], key: &Key) -> Option<&'a [u8]> {
    let start = key.value_starts(doc).next()?;
    container_at(doc, start).filter(|o| o.first() == Some(&b'{'))
}

/// Reads an unsigned integer value of `key`.
pub fn find_u64(doc: &[u8], key: &str) -> Option<u64> {
    parse_u64(find_value(doc, key)?)
}

/// Parses an unsigned integer scalar (as returned by [`find_value`]).
pub fn parse_u64(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &b in value {
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// Reads a boolean value of `key`.
pub fn find_bool(doc: &[u8], key: &str) -> Option<bool> {
    match find_value(doc, key)? {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    }
}

/// The JSON kind of a scanned value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `null`
    Null,
    /// `""`
    EmptyString,
    /// a string with at least one character
    String,
    /// a number, boolean, object or array
    Other,
}

/// Classifies a scanned value.
pub fn value_kind(value: &[u8]) -> ValueKind {
    match value {
        b"null" => ValueKind::Null,
        b"\"\"" => ValueKind::EmptyString,
        [b'"', ..] => ValueKind::String,
        _ => ValueKind::Other,
    }
}

/// Nesting deeper than this is not accepted by [`is_json_object`] (serde_json's limit too).
const MAX_DEPTH: u32 = 128;

/// Whether `doc` is exactly one JSON object, with only whitespace around it: a structural
/// check, one pass, no allocation. Every bracket, comma, colon, string, number and literal must
/// be where the grammar puts it; inside strings only the closing quote is looked for (escapes
/// are skipped, not decoded, and UTF-8 is not verified), so this is cheaper than a parse and
/// accepts a little more than one. The record processor runs it on every event to tell a
/// reply from a truncated or non-JSON one.
pub fn is_json_object(doc: &[u8]) -> bool {
    let start = skip_whitespace(doc, 0);
    if doc.get(start) != Some(&b'{') {
        return false;
    }
    skip_value(doc, start, 0).is_some_and(|end| skip_whitespace(doc, end) == doc.len())
}

/// Whether `doc` is exactly one JSON array (whitespace around it allowed): TEI's rerank
/// replies with a bare array.
pub fn is_json_array(doc: &[u8]) -> bool {
    let start = skip_whitespace(doc, 0);
    if doc.get(start) != Some(&b'[') {
        return false;
    }
    skip_value(doc, start, 0).is_some_and(|end| skip_whitespace(doc, end) == doc.len())
}

/// The number of elements of the array at the start of `value` (what follows the array is
/// ignored), or `None` when it does not start with a whole array.
pub fn array_len(value: &[u8]) -> Option<usize> {
    if value.first() != Some(&b'[') {
        return None;
    }
    let mut i = skip_whitespace(value, 1);
    if value.get(i) == Some(&b']') {
        return Some(0);
    }
    let mut count = 0;
    loop {
        i = skip_whitespace(value, skip_value(value, i, 1)?);
        count += 1;
        match *value.get(i)? {
            b',' => i = skip_whitespace(value, i + 1),
            b']' => return Some(count),
            _ => return None,
        }
    }
}

/// The index just past the value that starts at `i`, or `None` when it is not one.
fn skip_value(doc: &[u8], i: usize, depth: u32) -> Option<usize> {
    match *doc.get(i)? {
        b'{' => skip_container(doc, i, depth, b'}', true),
        b'[' => skip_container(doc, i, depth, b']', false),
        b'"' => skip_string(doc, i),
        b't' => skip_literal(doc, i, b"true"),
        b'f' => skip_literal(doc, i, b"false"),
        b'n' => skip_literal(doc, i, b"null"),
        b'-' | b'0'..=b'9' => skip_number(doc, i),
        _ => None,
    }
}

fn skip_container(doc: &[u8], open: usize, depth: u32, close: u8, keyed: bool) -> Option<usize> {
    if depth >= MAX_DEPTH {
        return None;
    }
    let mut i = skip_whitespace(doc, open + 1);
    if doc.get(i) == Some(&close) {
        return Some(i + 1);
    }
    loop {
        if keyed {
            if doc.get(i) != Some(&b'"') {
                return None;
            }
            i = skip_whitespace(doc, skip_string(doc, i)?);
            if doc.get(i) != Some(&b':') {
                return None;
            }
            i = skip_whitespace(doc, i + 1);
        }
        i = skip_whitespace(doc, skip_value(doc, i, depth + 1)?);
        match *doc.get(i)? {
            b',' => i = skip_whitespace(doc, i + 1),
            c if c == close => return Some(i + 1),
            _ => return None,
        }
    }
}

fn skip_string(doc: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        i += quote_or_backslash(doc.get(i..)?)?;
        if doc[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
    }
}

/// The first `"` or `\` in `bytes`. Most strings of a reply are short keys and tokens, where
/// a plain loop is faster than setting up `memchr2` (measured: is_json_object on a vLLM chunk
/// went from ~240 to ~147 ns, `benches/hot_path.rs`); longer strings still get the vectorized
/// search.
#[inline]
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const SHORT: usize = 32;
    let head = &bytes[..bytes.len().min(SHORT)];
    if let Some(at) = head.iter().position(|&b| b == b'"' || b == b'\\') {
        return Some(at);
    }
    if bytes.len() <= SHORT {
        return None;
    }
    memchr::memchr2(b'"', b'\\', &bytes[SHORT..]).map(|at| at + SHORT)
}

fn skip_literal(doc: &[u8], i: usize, literal: &[u8]) -> Option<usize> {
    (doc.get(i..i + literal.len())? == literal).then_some(i + literal.len())
}

fn skip_number(doc: &[u8], mut i: usize) -> Option<usize> {
    let digits = |from: usize| {
        doc.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    if doc[i] == b'-' {
        i += 1;
    }
    let whole = digits(i);
    if whole == 0 {
        return None;
    }
    i += whole;
    if doc.get(i) == Some(&b'.') {
        let fraction = digits(i + 1);
        if fraction == 0 {
            return None;
        }
        i += 1 + fraction;
    }
    if matches!(doc.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(doc.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exponent = digits(i);
        if exponent == 0 {
            return None;
        }
        i += exponent;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_end_at_their_own_closing_bracket() {
        let doc =
            br#"{"usage":{"a":{"x":"}]\"{","audio_tokens":3},"b":[1,{"c":2}]},"audio_tokens":9}"#;
        let usage = find_object(doc, &Key::new("usage")).unwrap();
        assert_eq!(
            usage,
            br#"{"a":{"x":"}]\"{","audio_tokens":3},"b":[1,{"c":2}]}"#
        );
        let a = find_object(usage, &Key::new("a")).unwrap();
        assert_eq!(Key::new("audio_tokens").find_u64(a), Some(3));
        let b = Key::new("b").value_starts(usage).next().unwrap();
        assert_eq!(container_at(usage, b), Some(&br#"[1,{"c":2}]"#[..]));
        // Not an object, or never closed.
        assert_eq!(find_object(br#"{"usage":null}"#, &Key::new("usage")), None);
        assert_eq!(find_object(br#"{"usage":[1]}"#, &Key::new("usage")), None);
        assert_eq!(find_object(br#"{"usage":{"a":1"#, &Key::new("usage")), None);
    }

    fn serde_says_object(doc: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(doc).is_ok_and(|v| v.is_object())
    }

    #[test]
    fn arrays_are_recognised_and_counted() {
        assert!(is_json_array(
            br#" [{"index":0,"score":0.5},{"index":1,"score":0.1}] "#
        ));
        assert!(!is_json_array(br#"[{"index":0}"#));
        assert!(!is_json_array(br#"{"a":[]}"#));
        assert_eq!(
            array_len(br#"[{"b64_json":"AA=="},{"url":"x"}], "usage": {}}"#),
            Some(2)
        );
        assert_eq!(array_len(b"[ ]"), Some(0));
        assert_eq!(array_len(b"[1, 2"), None);
        assert_eq!(array_len(b"{}"), None);
    }

    #[test]
    fn is_json_object_agrees_with_serde_on_every_prefix() {
        let docs: [&[u8]; 5] = [
            br#"{"id":"c","choices":[{"index":0,"delta":{"content":"He said \"hi\" \\ \u00e9"},"finish_reason":null}],"usage":null}"#,
            br#" { "a" : [ 1 , -2.5e+3 , 0.25 , true , false , null , { } , [ ] ] , "b" : { "c" : "" } } "#,
            br#"{"data":[{"embedding":[0.1,-0.2,3E-2],"index":0}],"object":"list"}"#,
            br#"{"e":1E5,"f":[[[[]]]],"g":"}{][,:"}"#,
            b"{}",
        ];
        for doc in docs {
            assert!(is_json_object(doc), "{}", String::from_utf8_lossy(doc));
            for cut in 0..doc.len() {
                let prefix = &doc[..cut];
                assert_eq!(
                    is_json_object(prefix),
                    serde_says_object(prefix),
                    "{}",
                    String::from_utf8_lossy(prefix)
                );
            }
        }
    }

    #[test]
    fn is_json_object_refuses_what_is_not_one_object() {
        for doc in [
            &b""[..],
            b"   ",
            b"[]",
            b"\"text\"",
            b"data: {\"a\":1}",
            b"{\"a\":1}}",
            b"{\"a\":1} {\"b\":2}",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{a:1}",
            b"{\"a\":01.}",
            b"{\"a\":-}",
            b"{\"a\":tru}",
            b"{\"a\":[1 2]}",
            b"{\"a\":\"x\\",
            b"<html><body>Bad gateway</body></html>",
        ] {
            assert!(!is_json_object(doc), "{}", String::from_utf8_lossy(doc));
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(!is_json_object(deep.as_bytes()), "nesting is bounded");
    }

    #[test]
    fn reads_numbers_bools_and_strings() {
        let doc = br#"{"model":"m","max_tokens": 16,"stream":true,"x":{"y":"a\"b"}}"#;
        assert_eq!(find_u64(doc, "max_tokens"), Some(16));
        assert_eq!(find_bool(doc, "stream"), Some(true));
        assert_eq!(find_value(doc, "model"), Some(&b"\"m\""[..]));
        assert_eq!(find_value(doc, "y"), Some(&br#""a\"b""#[..]));
        assert_eq!(find_value(doc, "missing"), None);
    }

    #[test]
    fn key_inside_a_string_value_does_not_match() {
        let doc = br#"{"content":"say \"max_tokens\": 5","max_tokens":9}"#;
        assert_eq!(find_u64(doc, "max_tokens"), Some(9));
    }

    #[test]
    fn classifies_content_values() {
        let doc = br#"{"delta":{"role":"assistant","content":null}}"#;
        assert_eq!(
            value_kind(find_value(doc, "content").unwrap()),
            ValueKind::Null
        );
        let doc = br#"{"delta":{"content":""}}"#;
        assert_eq!(
            value_kind(find_value(doc, "content").unwrap()),
            ValueKind::EmptyString
        );
        let doc = br#"{"delta":{"content":"hi"}}"#;
        assert_eq!(
            value_kind(find_value(doc, "content").unwrap()),
            ValueKind::String
        );
    }

    #[test]
    fn rejects_non_numbers_and_overflow() {
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"99999999999999999999999"), None);
        assert_eq!(parse_u64(b""), None);
    }

    #[test]
    fn prebuilt_keys_find_what_find_value_finds() {
        let docs: [&[u8]; 4] = [
            br#"{"usage":{"prompt_tokens":7,"completion_tokens":16}}"#,
            br#"{"note":"a \"usage\" string","usage" : {"total_tokens": 3}}"#,
            br#"{"choices":[{"delta":{"content":"hi"}}],"usage":null}"#,
            br#"{"completion_tokens"}"#,
        ];
        for key in [
            "usage",
            "content",
            "completion_tokens",
            "total_tokens",
            "absent",
        ] {
            let prebuilt = Key::new(key);
            for doc in docs {
                assert_eq!(prebuilt.find(doc), find_value(doc, key), "{key} in {doc:?}");
                assert_eq!(
                    prebuilt.find_u64(doc),
                    find_u64(doc, key),
                    "{key} in {doc:?}"
                );
            }
        }
        assert_eq!(Key::new("completion_tokens").find_u64(docs[0]), Some(16));
    }
}
