//! The server's reply as an assistant message, for the next turn of a conversation.
//!
//! Content strings are copied as they arrived, still JSON-escaped: concatenating escaped
//! fragments gives an escaped string, so the reply is never decoded or re-encoded.

use std::sync::LazyLock;

use super::record::RequestRecord;
use crate::json_scan::Key;

static CONTENT: LazyLock<Key> = LazyLock::new(|| Key::new("content"));
const OPEN: &[u8] = b"{\"role\":\"assistant\",\"content\":\"";
const CLOSE: &[u8] = b"\"}";

/// Appends `{"role":"assistant","content":"..."}` built from the response in `record`: the
/// concatenated `delta.content` of every SSE event, or `message.content` of a plain body.
pub fn append_assistant_message(record: &RequestRecord, out: &mut Vec<u8>) {
    out.extend_from_slice(OPEN);
    for (payload, _) in record.event_payloads() {
        if let Some(text) = CONTENT.find(payload).and_then(string_inner) {
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
        append_assistant_message(&record, &mut out);
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
        append_assistant_message(&record, &mut out);
        out.push(b']');
        assert_eq!(parse(&out)[0]["content"], "ok");
    }

    #[test]
    fn no_content_gives_an_empty_reply() {
        let record = RequestRecord::default();
        let mut out = Vec::new();
        append_assistant_message(&record, &mut out);
        assert_eq!(parse(&out)["content"], "");
    }
}
