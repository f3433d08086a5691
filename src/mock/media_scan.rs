//! Counting and checking the media parts of a chat body without parsing it.
//!
//! A body with no `"type"` key has no content parts, so text-only requests pay one memmem
//! scan and nothing else. Otherwise each media key (`"image_url"`, `"input_audio"`,
//! `"video_url"`) is found with a prebuilt searcher: followed by `:` it is a part's payload,
//! which is walked just far enough to check its data; preceded by `"type":` it is a part's
//! type tag. The two counts must agree, so a part that names a kind but carries no payload is
//! refused too. Base64 payloads are checked with a branch-free alphabet test, a few GB/s.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// The media part kinds the mock counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaKind {
    /// `{"type":"image_url","image_url":{"url":…}}`.
    Image,
    /// `{"type":"input_audio","input_audio":{"data":…,"format":…}}`.
    Audio,
    /// `{"type":"video_url","video_url":{"url":…}}` (vLLM's convention).
    Video,
}

impl MediaKind {
    pub(crate) const ALL: [MediaKind; 3] = [MediaKind::Image, MediaKind::Audio, MediaKind::Video];

    /// The part's `type` value and payload key.
    pub(crate) fn key(self) -> &'static str {
        match self {
            MediaKind::Image => "image_url",
            MediaKind::Audio => "input_audio",
            MediaKind::Video => "video_url",
        }
    }

    /// The `kind` label in `/metrics`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        }
    }

    /// Data URI media types a server of this kind would decode.
    fn mime_types(self) -> &'static [&'static str] {
        match self {
            MediaKind::Image => &[
                "image/png",
                "image/jpeg",
                "image/jpg",
                "image/webp",
                "image/gif",
            ],
            MediaKind::Audio => &[],
            MediaKind::Video => &["video/webm", "video/mp4"],
        }
    }
}

/// Media parts found in one body, indexed by `MediaKind as usize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MediaCounts(pub [u64; 3]);

impl MediaCounts {
    /// Parts of one kind.
    pub(crate) fn get(&self, kind: MediaKind) -> u64 {
        self.0[kind as usize]
    }
}

/// A media part the mock refuses, with the message sent back in the 400 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` part {number}: {problem}")]
pub(crate) struct MediaPartError {
    /// `image_url`, `input_audio` or `video_url`.
    pub key: &'static str,
    /// 1-based position among parts of that kind in the body.
    pub number: u64,
    /// What is wrong and what was expected.
    pub problem: String,
}

static TYPE_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"type\""));

static KIND_FINDERS: LazyLock<Vec<Finder<'static>>> = LazyLock::new(|| {
    MediaKind::ALL
        .iter()
        .map(|k| Finder::new(format!("\"{}\"", k.key()).as_bytes()).into_owned())
        .collect()
});

/// Counts and checks the media parts of a chat request body.
pub(crate) fn scan_media(body: &[u8]) -> Result<MediaCounts, MediaPartError> {
    let mut counts = MediaCounts::default();
    if TYPE_KEY.find(body).is_none() {
        return Ok(counts);
    }
    for kind in MediaKind::ALL {
        let finder = &KIND_FINDERS[kind as usize];
        let needle_len = finder.needle().len();
        let (mut payloads, mut tags) = (0u64, 0u64);
        for pos in finder.find_iter(body) {
            let after = skip_ws(body, pos + needle_len);
            if body.get(after) == Some(&b':') {
                payloads += 1;
                let fail = |problem: String| MediaPartError {
                    key: kind.key(),
                    number: payloads,
                    problem,
                };
                check_payload(body, skip_ws(body, after + 1), kind).map_err(fail)?;
            } else if is_type_value(body, pos) {
                tags += 1;
            }
        }
        if tags != payloads {
            return Err(MediaPartError {
                key: kind.key(),
                number: payloads + 1,
                problem: format!(
                    "{tags} parts have \"type\":\"{k}\" but {payloads} carry a \"{k}\" object; each needs one",
                    k = kind.key()
                ),
            });
        }
        counts.0[kind as usize] = payloads;
    }
    Ok(counts)
}

/// Whether the string at `pos` is the value of a `"type":` key.
fn is_type_value(body: &[u8], pos: usize) -> bool {
    let mut i = pos;
    while i > 0 && body[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    if i == 0 || body[i - 1] != b':' {
        return false;
    }
    i -= 1;
    while i > 0 && body[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    body[..i].ends_with(b"\"type\"")
}

/// Checks the payload value starting at `i`.
fn check_payload(body: &[u8], i: usize, kind: MediaKind) -> Result<(), String> {
    match kind {
        MediaKind::Image | MediaKind::Video => {
            // The OpenAI shape is `{"url": …}`; a bare string is accepted as the URL.
            let url = match body.get(i) {
                Some(b'{') => field(body, i, b"url")?.ok_or("no \"url\" key in the object")?,
                Some(b'"') => string_at(body, i)?,
                _ => return Err("expected an object with a \"url\"".into()),
            };
            check_url(url, kind)
        }
        MediaKind::Audio => {
            if body.get(i) != Some(&b'{') {
                return Err("expected an object with \"data\" and \"format\"".into());
            }
            let format = field(body, i, b"format")?.ok_or("no \"format\" key (wav or mp3)")?;
            if !matches!(format, b"wav" | b"mp3") {
                return Err(format!(
                    "\"format\" must be wav or mp3, got {}",
                    shorten(format)
                ));
            }
            let data = field(body, i, b"data")?.ok_or("no \"data\" key (base64 audio)")?;
            check_base64(data).map_err(|e| format!("\"data\": {e}"))
        }
    }
}

/// An `http(s)` URL (taken as is: the mock fetches nothing) or a data URI of a known type.
fn check_url(url: &[u8], kind: MediaKind) -> Result<(), String> {
    if url.starts_with(b"http://") || url.starts_with(b"https://") {
        return Ok(());
    }
    let known = kind.mime_types();
    let expected = || {
        format!(
            "expected data:<{}>;base64,<data> or an http(s) URL",
            known.join("|")
        )
    };
    let Some(rest) = url.strip_prefix(b"data:") else {
        return Err(format!("\"url\" is {}: {}", shorten(url), expected()));
    };
    let Some(comma) = memchr::memchr(b',', rest) else {
        return Err(format!("data URI has no ',': {}", expected()));
    };
    let header = &rest[..comma];
    let Some(mime) = header.strip_suffix(b";base64") else {
        return Err(format!(
            "data URI {} is not base64: {}",
            shorten(header),
            expected()
        ));
    };
    if !known
        .iter()
        .any(|m| m.as_bytes().eq_ignore_ascii_case(mime))
    {
        return Err(format!(
            "unknown media type {}: {}",
            shorten(mime),
            expected()
        ));
    }
    check_base64(&rest[comma + 1..])
}

/// Non-empty standard base64 (JSON may escape `/` as `\/`); padding only at the end.
fn check_base64(data: &[u8]) -> Result<(), String> {
    let body = data
        .strip_suffix(b"==")
        .or_else(|| data.strip_suffix(b"="))
        .unwrap_or(data);
    if body.is_empty() {
        return Err("empty base64 payload".into());
    }
    // Counting bad bytes per block keeps the loop branch-free and vectorised.
    let bad = body.chunks(4096).any(|block| {
        block
            .iter()
            .map(|&b| {
                u8::from(!(b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'\\'))
            })
            .fold(0u8, |acc, x| acc | x)
            != 0
    });
    let bad_escape = memchr::memchr_iter(b'\\', body).any(|k| body.get(k + 1) != Some(&b'/'));
    if bad || bad_escape {
        return Err("payload is not base64 (A-Z, a-z, 0-9, +, /, = padding)".into());
    }
    Ok(())
}

/// The contents (without quotes) of the top-level string field `name` of the object at `i`.
fn field<'a>(body: &'a [u8], i: usize, name: &[u8]) -> Result<Option<&'a [u8]>, String> {
    let mut j = i + 1;
    loop {
        j = skip_ws(body, j);
        match body.get(j) {
            Some(b'}') => return Ok(None),
            Some(b',') => j += 1,
            Some(b'"') => {
                let key = string_at(body, j)?;
                let colon = skip_ws(body, j + key.len() + 2);
                if body.get(colon) != Some(&b':') {
                    return Err("malformed object: expected ':' after a key".into());
                }
                let v = skip_ws(body, colon + 1);
                if key == name {
                    return match body.get(v) {
                        Some(b'"') => string_at(body, v).map(Some),
                        _ => Err(format!("\"{}\" must be a string", shorten(name))),
                    };
                }
                j = skip_value(body, v)?;
            }
            _ => return Err("malformed object".into()),
        }
    }
}

/// The raw contents of the string whose opening quote is at `i` (escapes left in place).
fn string_at(body: &[u8], i: usize) -> Result<&[u8], String> {
    let mut j = i + 1;
    loop {
        let Some(off) = body.get(j..).and_then(|s| memchr::memchr2(b'"', b'\\', s)) else {
            return Err("unterminated string".into());
        };
        let k = j + off;
        if body[k] == b'"' {
            return Ok(&body[i + 1..k]);
        }
        j = k + 2;
    }
}

/// The index after the JSON value at `i`.
fn skip_value(body: &[u8], i: usize) -> Result<usize, String> {
    match body.get(i) {
        Some(b'"') => Ok(i + string_at(body, i)?.len() + 2),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < body.len() {
                match body[j] {
                    b'"' => {
                        j += string_at(body, j)?.len() + 2;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err("unterminated object".into())
        }
        Some(_) => Ok(body[i..]
            .iter()
            .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
            .map_or(body.len(), |p| i + p)),
        None => Err("truncated body".into()),
    }
}

fn skip_ws(body: &[u8], mut i: usize) -> usize {
    while i < body.len() && body[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn shorten(value: &[u8]) -> String {
    format!(
        "`{}`",
        String::from_utf8_lossy(&value[..value.len().min(40)])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(s: &str) -> Result<[u64; 3], MediaPartError> {
        scan_media(s.as_bytes()).map(|c| c.0)
    }

    const IMG: &str =
        r#"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}"#;
    const AUD: &str = r#"{"input_audio":{"data":"UklGRg==","format":"wav"},"type":"input_audio"}"#;
    const VID: &str =
        r#"{"type": "video_url", "video_url": {"url": "data:video/webm;base64,GkXf\/o"}}"#;

    fn chat(parts: &[&str]) -> String {
        format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":[{{"type":"text","text":"hi"}},{}]}}]}}"#,
            parts.join(",")
        )
    }

    #[test]
    fn counts_each_kind_in_any_key_order_and_spacing() {
        assert_eq!(scan(&chat(&[IMG, IMG, AUD, VID])), Ok([2, 1, 1]));
        assert_eq!(scan(&chat(&[AUD])), Ok([0, 1, 0]));
        let http = r#"{"type":"image_url","image_url":{"detail":"low","url":"https://x/y.png"}}"#;
        assert_eq!(scan(&chat(&[http])), Ok([1, 0, 0]));
    }

    #[test]
    fn text_only_bodies_and_quoted_keys_in_prompts_count_nothing() {
        assert_eq!(scan(r#"{"messages":[{"content":"hello"}]}"#), Ok([0, 0, 0]));
        let text = r#"{"type":"text","text":"say \"image_url\": {\"url\": 1} and image_url"}"#;
        assert_eq!(scan(&chat(&[text])), Ok([0, 0, 0]));
    }

    #[test]
    fn malformed_parts_name_the_part_and_the_problem() {
        let cases = [
            (
                r#"{"type":"image_url","image_url":{"url":"data:text/plain;base64,QQ=="}}"#,
                "unknown media type `text/plain`",
            ),
            (
                r#"{"type":"image_url","image_url":{"url":"data:image/png;base64,"}}"#,
                "empty base64",
            ),
            (
                r#"{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}"#,
                "not base64",
            ),
            (
                r#"{"type":"image_url","image_url":{"url":"data:image/png,abc"}}"#,
                "is not base64",
            ),
            (
                r#"{"type":"image_url","image_url":{"href":"x"}}"#,
                "no \"url\"",
            ),
            (
                r#"{"type":"image_url","image_url":{"url":"/tmp/a.png"}}"#,
                "an http(s) URL",
            ),
            (r#"{"type":"image_url"}"#, "but 1 carry"),
            (
                r#"{"type":"input_audio","input_audio":{"data":"","format":"wav"}}"#,
                "empty base64",
            ),
            (
                r#"{"type":"input_audio","input_audio":{"data":"QQ==","format":"ogg"}}"#,
                "wav or mp3",
            ),
            (
                r#"{"type":"input_audio","input_audio":"QQ=="}"#,
                "expected an object",
            ),
            (
                r#"{"type":"video_url","video_url":{"url":"data:video/avi;base64,QQ=="}}"#,
                "video/webm|video/mp4",
            ),
        ];
        for (part, wanted) in cases {
            let err = scan(&chat(&[IMG, part])).expect_err(part);
            let text = err.to_string();
            assert!(text.contains(wanted), "{part}: {text}");
            assert!(text.starts_with('`'), "{text}");
        }
        let err = scan(&chat(&[
            IMG,
            IMG,
            r#"{"type":"image_url","image_url":{"url":"x"}}"#,
        ]))
        .unwrap_err();
        assert_eq!((err.key, err.number), ("image_url", 3));
    }

    #[test]
    fn truncated_bodies_are_errors_not_panics() {
        let full = chat(&[IMG, AUD, VID]);
        for end in 0..full.len() {
            let _ = scan_media(&full.as_bytes()[..end]);
        }
    }
}

#[cfg(test)]
#[path = "media_server_tests.rs"]
mod server_tests;
