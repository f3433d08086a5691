//! The generated text in a response's events, and the server's reply as an assistant message
//! for the next turn of a conversation.
//!
//! Content strings are copied as they arrived, still JSON-escaped: concatenating escaped
//! fragments gives an escaped string, so the reply is never decoded or re-encoded.

use std::sync::LazyLock;

use super::api_reply::Api;
use super::record::RequestRecord;
use crate::config::EndpointType;
use crate::json_scan::{value_kind, Key, ValueKind};

static CONTENT: LazyLock<Key> = LazyLock::new(|| Key::new("content"));
static TEXT: LazyLock<Key> = LazyLock::new(|| Key::new("text"));
static REASONING_CONTENT: LazyLock<Key> = LazyLock::new(|| Key::new("reasoning_content"));
static REASONING: LazyLock<Key> = LazyLock::new(|| Key::new("reasoning"));
const OPEN: &[u8] = b"{\"role\":\"assistant\",\"content\":\"";
const CLOSE: &[u8] = b"\"}";
/// A Responses API input item: `type` is optional in OpenAI's API, but llama.cpp's server
/// refuses an assistant item without it ("Cannot determine type of 'item'").
const RESPONSES_OPEN: &[u8] = b"{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"";

/// The key an event's generated text was found under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    /// `content` (chat): output.
    Content,
    /// `text` (completions): output.
    Text,
    /// `reasoning_content`: reasoning.
    ReasoningContent,
    /// `reasoning`: reasoning.
    Reasoning,
}

impl TextKey {
    /// Whether the text is output (`content`, `text`) rather than reasoning.
    pub fn is_output(self) -> bool {
        matches!(self, TextKey::Content | TextKey::Text)
    }
}

/// The generated text of an event, if it carries any: the key it came under and the raw
/// JSON string (quotes included). The first key holding a non-empty string wins, in the
/// order `content`, `text`, `reasoning_content`, `reasoning`.
pub fn event_text(payload: &[u8]) -> Option<(TextKey, &[u8])> {
    for (key, text_key) in [
        (&*CONTENT, TextKey::Content),
        (&*TEXT, TextKey::Text),
        (&*REASONING_CONTENT, TextKey::ReasoningContent),
        (&*REASONING, TextKey::Reasoning),
    ] {
        if let Some(value) = key.find(payload) {
            if value_kind(value) == ValueKind::String {
                return Some((text_key, value));
            }
        }
    }
    None
}

/// Appends `{"role":"assistant","content":"..."}` built from the response in `record`: the
/// concatenated `delta.content` of every SSE event, or `message.content` of a plain body. For
/// the Responses and Messages APIs, the output text their readers find ([`Api::each_text`]):
/// the object is a message of the one and, with `"type":"message"`, an input item of the other.
pub fn append_assistant_message(endpoint: EndpointType, record: &RequestRecord, out: &mut Vec<u8>) {
    if let Some(api) = Api::of(endpoint) {
        let open = match api {
            Api::Responses => RESPONSES_OPEN,
            _ => OPEN,
        };
        out.extend_from_slice(open);
        let mut push = |is_output: bool, raw: &[u8]| {
            if let Some(text) = string_inner(raw).filter(|_| is_output) {
                out.extend_from_slice(text);
            }
        };
        if record.events.is_empty() {
            api.each_text(&record.body, &mut push);
        } else {
            for (payload, _) in record.event_payloads() {
                api.each_text(payload, &mut push);
            }
        }
        out.extend_from_slice(CLOSE);
        return;
    }
    out.extend_from_slice(OPEN);
    for (payload, _) in record.event_payloads() {
        let content = event_text(payload).filter(|&(key, _)| key == TextKey::Content);
        if let Some(text) = content.and_then(|(_, value)| string_inner(value)) {
            out.extend_from_slice(text);
        }
    }
    out.extend_from_slice(CLOSE);
}

/// The inside of a JSON string literal (quotes removed); `None` for `null` or a non-string.
fn string_inner(value: &[u8]) -> Option<&[u8]> {
    (value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"')
        .then(|| &value[1..value.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn streamed_deltas_are_joined_without_decoding() {
        let mut record = RequestRecord::default();
        record.push_event(
            br#"{"choices":[{"delta":{"role":"assistant","content":null}}]}"#,
            1,
        );
        record.push_event(
            br#"{"choices":[{"delta":{"content":"He said \"hi\""}}]}"#,
            2,
        );
        record.push_event(
            br#"{"choices":[{"delta":{"reasoning_content":"x","content":"\n\u00e9!"}}]}"#,
            3,
        );
        record.push_event(br#"{"choices":[],"usage":{"completion_tokens":3}}"#, 4);
        let mut out = Vec::new();
        append_assistant_message(EndpointType::Chat, &record, &mut out);
        let message = parse(&out);
        assert_eq!(message["role"], "assistant");
        assert_eq!(message["content"], "He said \"hi\"\né!");
    }

    #[test]
    fn a_plain_body_gives_its_message_content() {
        let mut record = RequestRecord::default();
        record.push_event(
            br#"{"choices":[{"message":{"role":"assistant","content":"ok"}}],"usage":{}}"#,
            1,
        );
        let mut out = b"[".to_vec();
        append_assistant_message(EndpointType::Chat, &record, &mut out);
        out.push(b']');
        assert_eq!(parse(&out)[0]["content"], "ok");
    }

    #[test]
    fn no_content_gives_an_empty_reply() {
        let record = RequestRecord::default();
        let mut out = Vec::new();
        append_assistant_message(EndpointType::Chat, &record, &mut out);
        assert_eq!(parse(&out)["content"], "");
    }
}
