//! The metrics added for #20: prefill throughput, reasoning tokens, usage details and the OSL
//! comparison, each against hand-computed values.

use super::*;
use crate::metrics::redact::NO_SECRETS;
use RecordMetric as M;

const MS: u64 = 1_000_000;
const SENT: u64 = 1_000 * MS;

fn words(s: &str) -> u32 {
    s.split_whitespace().count() as u32
}

/// A reply of `endpoint`: `events` 10, 15, 20 … ms after the send, or a whole `body`; done at
/// 200 ms; 40 prompt tokens.
fn derive(endpoint: EndpointType, events: &[&str], body: Option<&str>) -> RequestMetrics {
    let mut r = RequestRecord {
        sent_ns: SENT,
        first_byte_ns: SENT + MS,
        status: 200,
        bytes_received: 4096,
        ..RequestRecord::default()
    };
    for (i, e) in events.iter().enumerate() {
        r.push_event(e.as_bytes(), SENT + (10 + 5 * i as u64) * MS);
    }
    if let Some(body) = body {
        r.body.extend_from_slice(body.as_bytes());
    }
    r.done_ns = SENT + 200 * MS;
    let ctx = DeriveContext {
        endpoint,
        streaming: body.is_none(),
        count_tokens: &words,
        redactor: &NO_SECRETS,
        reply_field: None,
    };
    let mut m = RequestMetrics::new();
    m.derive(&r, 40, &ctx);
    m
}

#[test]
fn prefill_throughput_is_input_tokens_over_ttft() {
    let m = derive(
        EndpointType::Chat,
        &[
            r#"{"choices":[{"delta":{"content":"a"}}]}"#,
            r#"{"choices":[{"delta":{"content":" b"}}]}"#,
        ],
        None,
    );
    // 40 tokens in 10 ms: 4,000 tokens/s.
    assert_eq!(m.get(M::PrefillThroughputPerUser), Some(4000.0));
    // A whole body has no TTFT, so no prefill throughput either.
    let body = derive(
        EndpointType::Chat,
        &[],
        Some(r#"{"choices":[{"message":{"content":"a b"}}]}"#),
    );
    assert_eq!(body.get(M::PrefillThroughputPerUser), None);
}

#[test]
fn chat_usage_details_are_read_from_their_own_objects() {
    let usage = r#"{"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":9,"total_tokens":49,"prompt_tokens_details":{"cached_tokens":32,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":6,"audio_tokens":2}}}"#;
    let m = derive(
        EndpointType::Chat,
        &[
            r#"{"choices":[{"delta":{"reasoning_content":"think hard"}}]}"#,
            r#"{"choices":[{"delta":{"content":"a b c"}}]}"#,
            usage,
        ],
        None,
    );
    assert_eq!(m.get(M::UsagePromptCacheReadTokens), Some(32.0));
    assert_eq!(m.get(M::UsagePromptAudioTokens), Some(0.0));
    assert_eq!(m.get(M::UsageCompletionAudioTokens), Some(2.0));
    assert_eq!(m.get(M::UsageReasoningTokens), Some(6.0));
    // The server's count wins over counting the reasoning text (2 words).
    assert_eq!(m.get(M::ReasoningTokenCount), Some(6.0));
}

#[test]
fn reasoning_text_is_counted_when_the_server_sends_no_count() {
    let m = derive(
        EndpointType::Chat,
        &[
            r#"{"choices":[{"delta":{"reasoning_content":"one two"}}]}"#,
            r#"{"choices":[{"delta":{"reasoning_content":" three"}}]}"#,
            r#"{"choices":[{"delta":{"content":" x y z w"}}]}"#,
        ],
        None,
    );
    assert_eq!(m.get(M::ReasoningTokenCount), Some(3.0));
    // Usage absent: the output counts every generated word, reasoning included.
    assert_eq!(m.get(M::OutputSequenceLength), Some(7.0));
    assert_eq!(m.get(M::UsageReasoningTokens), None);
    // A whole reply's message with both fields.
    let body = derive(
        EndpointType::Chat,
        &[],
        Some(r#"{"choices":[{"message":{"content":"a b","reasoning_content":"c d e"}}]}"#),
    );
    assert_eq!(body.get(M::ReasoningTokenCount), Some(3.0));
    // No reasoning at all: the metric is absent, not zero.
    let plain = derive(
        EndpointType::Chat,
        &[r#"{"choices":[{"delta":{"content":"a"}}]}"#],
        None,
    );
    assert_eq!(plain.get(M::ReasoningTokenCount), None);
}

#[test]
fn responses_and_messages_details() {
    let responses = derive(
        EndpointType::Responses,
        &[
            r#"{"type":"response.reasoning_text.delta","delta":"hmm ok"}"#,
            r#"{"type":"response.output_text.delta","delta":"a b"}"#,
            r#"{"type":"response.completed","response":{"usage":{"input_tokens":40,"input_tokens_details":{"cached_tokens":16},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":3},"total_tokens":45}}}"#,
        ],
        None,
    );
    assert_eq!(responses.get(M::UsagePromptCacheReadTokens), Some(16.0));
    assert_eq!(responses.get(M::UsageReasoningTokens), Some(3.0));
    assert_eq!(responses.get(M::ReasoningTokenCount), Some(3.0));
    // Without a count, the reasoning deltas are counted (2 words).
    let uncounted = derive(
        EndpointType::Responses,
        &[
            r#"{"type":"response.reasoning_text.delta","delta":"hmm ok"}"#,
            r#"{"type":"response.output_text.delta","delta":"a b"}"#,
        ],
        None,
    );
    assert_eq!(uncounted.get(M::ReasoningTokenCount), Some(2.0));
    let messages = derive(
        EndpointType::Messages,
        &[
            r#"{"type":"message_start","message":{"usage":{"input_tokens":40,"cache_read_input_tokens":24,"output_tokens":1}}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}"#,
        ],
        None,
    );
    // The later usage (output only) keeps the cache figure of the first.
    assert_eq!(messages.get(M::UsagePromptCacheReadTokens), Some(24.0));
    assert_eq!(messages.get(M::OutputSequenceLength), Some(3.0));
}

#[test]
fn osl_is_compared_with_the_requested_length() {
    let reply = |n: usize| {
        let text = vec!["w"; n].join(" ");
        derive(
            EndpointType::Chat,
            &[],
            Some(&format!(
                r#"{{"choices":[{{"message":{{"content":"{text}"}}}}]}}"#
            )),
        )
    };
    // 90 of 100: -10 %, beyond 5 % of 100 = 5 tokens.
    let mut m = reply(90);
    m.compare_osl(Some(100));
    assert_eq!(m.get(M::OslMismatchDiffPct), Some(-10.0));
    assert_eq!(m.osl_mismatched(), Some(true));
    // 97 of 100: within 5 tokens.
    let mut m = reply(97);
    m.compare_osl(Some(100));
    assert_eq!(m.osl_mismatched(), Some(false));
    // 1,960 of 2,000: -2 %, but 40 tokens is within the 50-token ceiling (5 % would be 100)…
    let mut m = reply(1960);
    m.compare_osl(Some(2000));
    assert_eq!(m.osl_mismatched(), Some(false));
    // …and 1,940 is not.
    let mut m = reply(1940);
    m.compare_osl(Some(2000));
    assert_eq!(m.get(M::OslMismatchDiffPct), Some(-3.0));
    assert_eq!(m.osl_mismatched(), Some(true));
    // Nothing requested: nothing compared; the next request starts clean.
    m.compare_osl(None);
    assert_eq!(m.get(M::OslMismatchDiffPct), None);
    assert_eq!(m.osl_mismatched(), None);
}
