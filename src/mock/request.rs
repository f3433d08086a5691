//! Reading a generation request body cheaply: a few scalar keys and a prompt-length estimate.
//!
//! The body is never parsed in full. A cheap shape check (first non-space byte `{`, last `}`)
//! stands in for validation: garbage gets a 400, while a body that looks like an object is
//! served from whatever keys can be read. That keeps the per-request cost at a few memchr
//! scans, which is what lets one core answer 100k+ requests/s.

use super::scan::{count_key, value_of, Key};
use crate::json_scan::parse_u64;

/// Output-length ceiling, so one request cannot make the mock render gigabytes.
pub(crate) const MAX_OUTPUT_TOKENS: u64 = 1 << 20;

/// Which generation endpoint a body was sent to; decides where the prompt text lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GenKind {
    /// `POST /v1/chat/completions`: prompt text in `content` strings and `text` parts.
    Chat,
    /// `POST /v1/completions`: prompt text (or token ids) in `prompt`.
    Completions,
    /// `POST /v1/responses` (OpenAI Responses API): prompt in `input`.
    Responses,
    /// `POST /v1/messages` (Anthropic Messages API): prompt in `content` strings.
    Messages,
    /// `POST /generate` (TGI): prompt in `inputs`.
    Generate,
    /// `POST /generate_stream` (TGI, always streaming): prompt in `inputs`.
    GenerateStream,
}

impl GenKind {
    /// The keys that may carry the output budget, first found wins.
    fn max_keys(self) -> &'static [Key] {
        match self {
            GenKind::Chat | GenKind::Completions => &[Key::MaxTokens, Key::MaxCompletionTokens],
            GenKind::Responses => &[Key::MaxOutputTokens],
            GenKind::Messages => &[Key::MaxTokens],
            GenKind::Generate | GenKind::GenerateStream => &[Key::MaxNewTokens],
        }
    }

    /// Whether a stream always ends with usage: the Responses, Messages and TGI APIs have no
    /// `include_usage` option (and their answers are rendered by `render::api_render`).
    pub(crate) fn always_reports_usage(self) -> bool {
        !matches!(self, GenKind::Chat | GenKind::Completions)
    }
}

/// Why the server stopped generating, as reported in `finish_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FinishReason {
    /// The request's `max_tokens` was reached.
    Length,
    /// The default length was used, standing in for an end-of-sequence token.
    Stop,
}

impl FinishReason {
    /// The JSON string value, quotes included.
    pub(crate) fn json(self) -> &'static [u8] {
        match self {
            FinishReason::Length => b"\"length\"",
            FinishReason::Stop => b"\"stop\"",
        }
    }
}

/// The fields of a generation request that shape the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GenRequest<'a> {
    /// `"stream": true`.
    pub stream: bool,
    /// `"stream_options": {"include_usage": true}`.
    pub include_usage: bool,
    /// `max_tokens` or `max_completion_tokens`, when the client sent one.
    pub requested_max: Option<u64>,
    /// Tokens to generate.
    pub output_tokens: u32,
    /// The `model` value as a raw JSON string literal (quotes included), to echo back.
    pub model: Option<&'a [u8]>,
    /// Estimated prompt tokens: see [`estimate_prompt_tokens`].
    pub prompt_tokens: u64,
    /// What `finish_reason` will say.
    pub finish: FinishReason,
}

/// A request body the mock refuses, with the message sent back in the 400 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RequestError {
    /// Not even shaped like a JSON object.
    #[error("request body is not a JSON object (expected `{{...}}`)")]
    NotAnObject,
    /// A key that must hold a non-negative integer holds something else.
    #[error("`{key}` must be a non-negative integer, got `{value}`")]
    NotAnInteger {
        /// The offending key.
        key: &'static str,
        /// The value as sent (shortened).
        value: String,
    },
    /// A key that must hold a boolean holds something else.
    #[error("`{key}` must be true or false, got `{value}`")]
    NotABool {
        /// The offending key.
        key: &'static str,
        /// The value as sent (shortened).
        value: String,
    },
    /// `max_tokens: 0`, which vLLM rejects too.
    #[error("`{key}` must be at least 1, got 0")]
    ZeroMaxTokens {
        /// `max_tokens` or `max_completion_tokens`.
        key: &'static str,
    },
    /// More output than the mock is willing to render.
    #[error("`{key}` = {value} exceeds the mock server's limit of {MAX_OUTPUT_TOKENS}")]
    TooManyTokens {
        /// The offending key.
        key: &'static str,
        /// The value sent.
        value: u64,
    },
    /// `min_tokens` above `max_tokens`.
    #[error("`min_tokens` ({min}) must not exceed `max_tokens` ({max})")]
    MinAboveMax {
        /// `min_tokens` as sent.
        min: u64,
        /// `max_tokens` as sent.
        max: u64,
    },
}

/// Whether `body` is shaped like a JSON object: the cheap stand-in for validation.
pub(crate) fn looks_like_object(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.len() >= 2 && trimmed[0] == b'{' && trimmed[trimmed.len() - 1] == b'}'
}

/// Reads a generation request; `default_output_tokens` applies when no maximum is set.
pub(crate) fn parse_gen_request(
    body: &[u8],
    kind: GenKind,
    default_output_tokens: u32,
) -> Result<GenRequest<'_>, RequestError> {
    if !looks_like_object(body) {
        return Err(RequestError::NotAnObject);
    }
    let stream = read_bool(body, Key::Stream)?.unwrap_or(false) || kind == GenKind::GenerateStream;
    let include_usage = stream
        && (read_bool(body, Key::IncludeUsage)?.unwrap_or(false) || kind.always_reports_usage());
    let mut requested_max = None;
    for &key in kind.max_keys() {
        if let Some(n) = read_u64(body, key)? {
            let key = key.name();
            if n == 0 {
                return Err(RequestError::ZeroMaxTokens { key });
            }
            if n > MAX_OUTPUT_TOKENS {
                return Err(RequestError::TooManyTokens { key, value: n });
            }
            requested_max = Some(n);
            break;
        }
    }
    let min_tokens = read_u64(body, Key::MinTokens)?.unwrap_or(0);
    if let Some(max) = requested_max {
        if min_tokens > max {
            return Err(RequestError::MinAboveMax {
                min: min_tokens,
                max,
            });
        }
    } else if min_tokens > MAX_OUTPUT_TOKENS {
        return Err(RequestError::TooManyTokens {
            key: "min_tokens",
            value: min_tokens,
        });
    }
    // The mock has no end-of-sequence token, so it always runs to the maximum; `ignore_eos`
    // therefore changes nothing and is not read.
    let output =
        requested_max.unwrap_or_else(|| u64::from(default_output_tokens.max(1)).max(min_tokens));
    let finish = if requested_max.is_some() {
        FinishReason::Length
    } else {
        FinishReason::Stop
    };
    let model = value_of(body, Key::Model).filter(|v| v.len() >= 2 && v[0] == b'"');
    Ok(GenRequest {
        stream,
        include_usage,
        requested_max,
        output_tokens: u32::try_from(output).unwrap_or(u32::MAX),
        model,
        prompt_tokens: estimate_prompt_tokens(body, kind),
        finish,
    })
}

/// Estimates prompt tokens as whitespace-separated words.
///
/// Chat and Messages: words in every string value of a `content` key, and in the `text` of
/// content parts. Responses: `input`. TGI: `inputs`. Completions: words in `prompt` (a string or an array of strings), and one token per
/// integer when the prompt is given as token ids. Cheap, deterministic, and close to a real
/// tokenizer's count for English prose (real tokenizers give ~1.3 tokens per word).
pub(crate) fn estimate_prompt_tokens(body: &[u8], kind: GenKind) -> u64 {
    match kind {
        GenKind::Chat => count_key(body, Key::Content),
        GenKind::Completions => count_key(body, Key::Prompt),
        // `input`: the prompt string, or items whose `content` holds the text.
        GenKind::Responses => match value_of(body, Key::Input) {
            Some([b'"', ..]) => count_key(body, Key::Input),
            _ => count_key(body, Key::Content),
        },
        GenKind::Messages => count_key(body, Key::Content),
        GenKind::Generate | GenKind::GenerateStream => count_key(body, Key::Inputs),
    }
}

fn read_u64(body: &[u8], key: Key) -> Result<Option<u64>, RequestError> {
    match value_of(body, key) {
        None | Some(b"null") => Ok(None),
        Some(v) => parse_u64(v)
            .map(Some)
            .ok_or_else(|| RequestError::NotAnInteger {
                key: key.name(),
                value: shorten(v),
            }),
    }
}

fn read_bool(body: &[u8], key: Key) -> Result<Option<bool>, RequestError> {
    match value_of(body, key) {
        None | Some(b"null") => Ok(None),
        Some(b"true") => Ok(Some(true)),
        Some(b"false") => Ok(Some(false)),
        Some(v) => Err(RequestError::NotABool {
            key: key.name(),
            value: shorten(v),
        }),
    }
}

fn shorten(value: &[u8]) -> String {
    String::from_utf8_lossy(&value[..value.len().min(40)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(body: &str) -> Result<GenRequest<'_>, RequestError> {
        parse_gen_request(body.as_bytes(), GenKind::Chat, 16)
    }

    #[test]
    fn reads_stream_usage_and_max_tokens() {
        let r = chat(
            r#"{"model":"m1","messages":[{"role":"user","content":"hello big world"}],
               "max_tokens":32,"stream":true,"stream_options":{"include_usage":true}}"#,
        )
        .unwrap();
        assert!(r.stream && r.include_usage);
        assert_eq!(r.output_tokens, 32);
        assert_eq!(r.requested_max, Some(32));
        assert_eq!(r.model, Some(&b"\"m1\""[..]));
        assert_eq!(r.prompt_tokens, 3);
        assert_eq!(r.finish, FinishReason::Length);
    }

    #[test]
    fn max_completion_tokens_and_defaults() {
        let r = chat(r#"{"messages":[],"max_completion_tokens":5}"#).unwrap();
        assert_eq!(r.output_tokens, 5);
        assert!(!r.stream && !r.include_usage);
        assert_eq!(r.model, None);
        let r = chat(r#"{"messages":[],"max_tokens":null}"#).unwrap();
        assert_eq!((r.output_tokens, r.finish), (16, FinishReason::Stop));
        let r = chat(r#"{"messages":[],"min_tokens":40,"ignore_eos":true}"#).unwrap();
        assert_eq!(r.output_tokens, 40);
    }

    #[test]
    fn each_kind_reads_its_own_budget_and_prompt() {
        let r = br#"{"model":"m","input":"one two three","max_output_tokens":9,"stream":true}"#;
        let r = parse_gen_request(r, GenKind::Responses, 16).unwrap();
        assert_eq!((r.output_tokens, r.prompt_tokens), (9, 3));
        assert!(r.stream && r.include_usage);
        let items = br#"{"input":[{"role":"user","content":"a b"},{"role":"assistant","content":"c"}],"max_tokens":99}"#;
        let r = parse_gen_request(items, GenKind::Responses, 16).unwrap();
        assert_eq!((r.output_tokens, r.prompt_tokens), (16, 3));
        let m = br#"{"messages":[{"role":"user","content":"x y"}],"max_tokens":4}"#;
        let r = parse_gen_request(m, GenKind::Messages, 16).unwrap();
        assert_eq!((r.output_tokens, r.prompt_tokens, r.stream), (4, 2, false));
        let g = br#"{"inputs":"p q r s","parameters":{"max_new_tokens":5,"details":true}}"#;
        let r = parse_gen_request(g, GenKind::GenerateStream, 16).unwrap();
        assert_eq!((r.output_tokens, r.prompt_tokens), (5, 4));
        assert!(r.stream && r.include_usage);
        assert!(!parse_gen_request(g, GenKind::Generate, 16).unwrap().stream);
        let zero = br#"{"inputs":"p","parameters":{"max_new_tokens":0}}"#;
        assert!(parse_gen_request(zero, GenKind::Generate, 16).is_err());
    }

    #[test]
    fn include_usage_without_stream_is_ignored() {
        let r = chat(r#"{"stream_options":{"include_usage":true}}"#).unwrap();
        assert!(!r.include_usage);
    }

    #[test]
    fn rejects_garbage_and_bad_values() {
        assert_eq!(chat("not json"), Err(RequestError::NotAnObject));
        assert_eq!(chat(""), Err(RequestError::NotAnObject));
        assert_eq!(chat("[1,2]"), Err(RequestError::NotAnObject));
        assert!(matches!(
            chat(r#"{"max_tokens":"ten"}"#),
            Err(RequestError::NotAnInteger {
                key: "max_tokens",
                ..
            })
        ));
        assert!(matches!(
            chat(r#"{"max_tokens":-1}"#),
            Err(RequestError::NotAnInteger { .. })
        ));
        assert!(matches!(
            chat(r#"{"stream":"yes"}"#),
            Err(RequestError::NotABool { key: "stream", .. })
        ));
        assert_eq!(
            chat(r#"{"max_tokens":0}"#),
            Err(RequestError::ZeroMaxTokens { key: "max_tokens" })
        );
        assert_eq!(
            chat(r#"{"max_tokens":4,"min_tokens":5}"#),
            Err(RequestError::MinAboveMax { min: 5, max: 4 })
        );
        assert!(matches!(
            chat(r#"{"max_tokens":99999999999}"#),
            Err(RequestError::TooManyTokens { .. })
        ));
    }
}
