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

#[cfg(test)]
mod tests {
    use super::*;

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
