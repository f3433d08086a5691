//! Walking a JSON object's top-level members and an array's elements without parsing or
//! allocating: values are returned as raw slices (strings with their quotes, objects and
//! arrays whole), so a reader can look one level deeper by walking the slice again.
//!
//! Unlike [`crate::json_scan`]'s key search, a key here is matched only at the top level of
//! the object walked, so a nested object with the same key cannot be mistaken for it.
//! Malformed input ends the walk early; nothing panics.

use crate::json_scan::skip_whitespace;

/// The raw value of `key` among the top-level members of the object `doc`.
pub fn top_level<'a>(doc: &'a [u8], key: &str) -> Option<&'a [u8]> {
    members(doc)
        .find(|(k, _)| *k == key.as_bytes())
        .map(|(_, v)| v)
}

/// The `(key, raw value)` members of the object `doc` (keys without quotes, still escaped).
pub fn members(doc: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let start = skip_whitespace(doc, 0);
    let mut i = if doc.get(start) == Some(&b'{') {
        start + 1
    } else {
        doc.len()
    };
    std::iter::from_fn(move || {
        i = skip_whitespace(doc, i);
        if doc.get(i) != Some(&b'"') {
            i = doc.len();
            return None;
        }
        let key_end = skip_string(doc, i)?;
        let key = &doc[i + 1..key_end - 1];
        i = skip_whitespace(doc, key_end);
        if doc.get(i) != Some(&b':') {
            i = doc.len();
            return None;
        }
        let value_start = skip_whitespace(doc, i + 1);
        let value_end = skip_value(doc, value_start)?;
        i = skip_whitespace(doc, value_end);
        if doc.get(i) == Some(&b',') {
            i += 1;
        } else {
            i = doc.len();
        }
        Some((key, &doc[value_start..value_end]))
    })
}

/// The raw elements of the array `doc`; nothing when `doc` is not an array.
pub fn elements(doc: &[u8]) -> impl Iterator<Item = &[u8]> {
    let start = skip_whitespace(doc, 0);
    let mut i = if doc.get(start) == Some(&b'[') {
        start + 1
    } else {
        doc.len()
    };
    std::iter::from_fn(move || {
        i = skip_whitespace(doc, i);
        if i >= doc.len() || doc[i] == b']' {
            i = doc.len();
            return None;
        }
        let value_start = i;
        let value_end = skip_value(doc, value_start)?;
        i = skip_whitespace(doc, value_end);
        if doc.get(i) == Some(&b',') {
            i += 1;
        } else {
            i = doc.len();
        }
        Some(&doc[value_start..value_end])
    })
}

/// The index just past the string starting at `doc[i] == '"'`.
fn skip_string(doc: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < doc.len() {
        match doc[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The index just past the value starting at `i`: a string, a balanced object or array
/// (strings inside skipped), or a scalar up to the next delimiter.
fn skip_value(doc: &[u8], i: usize) -> Option<usize> {
    match doc.get(i)? {
        b'"' => skip_string(doc, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < doc.len() {
                match doc[j] {
                    b'"' => {
                        j = skip_string(doc, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let end = doc[i..]
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .map_or(doc.len(), |p| i + p);
            (end > i).then_some(end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_keys_only() {
        let doc = br#"{"response":{"type":"inner","usage":{"a":1}}, "type" : "outer","n":12}"#;
        assert_eq!(top_level(doc, "type"), Some(&b"\"outer\""[..]));
        assert_eq!(top_level(doc, "n"), Some(&b"12"[..]));
        let response = top_level(doc, "response").unwrap();
        assert_eq!(top_level(response, "type"), Some(&b"\"inner\""[..]));
        assert_eq!(top_level(response, "usage"), Some(&br#"{"a":1}"#[..]));
        assert_eq!(top_level(doc, "usage"), None);
    }

    #[test]
    fn strings_with_brackets_and_escapes_do_not_confuse_the_walk() {
        let doc = br#"{"a":"}]\"{[","b":[{"x":"]"},2,"s"],"c":null}"#;
        assert_eq!(top_level(doc, "c"), Some(&b"null"[..]));
        let items: Vec<&[u8]> = elements(top_level(doc, "b").unwrap()).collect();
        assert_eq!(items, vec![&br#"{"x":"]"}"#[..], b"2", b"\"s\""]);
    }

    #[test]
    fn malformed_input_ends_the_walk() {
        for doc in [
            &b""[..],
            b"[1]",
            b"{\"a\"",
            b"{\"a\":",
            b"{\"a\":\"x",
            b"{\"a\":{",
            b"{1:2}",
        ] {
            assert_eq!(
                top_level(doc, "a"),
                None,
                "{:?}",
                String::from_utf8_lossy(doc)
            );
        }
        assert_eq!(elements(b"{}").count(), 0);
        assert_eq!(elements(b"[]").count(), 0);
        assert_eq!(elements(b"[1,").count(), 1);
    }
}
