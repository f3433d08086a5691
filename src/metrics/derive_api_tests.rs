//! Derivation for the endpoint types read by event type (`engine::api_reply`): recorded
//! events → output tokens, usage, TTFT and the time to the first output (not reasoning) token.

use super::*;
use crate::metrics::redact::NO_SECRETS;

const MS: u64 = 1_000_000;
const SENT: u64 = 1_000 * MS;

fn words(s: &str) -> u32 {
    s.split_whitespace().count() as u32
}

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
    m.derive(&r, 5, &ctx);
    m
}

fn get(m: &RequestMetrics, metric: RecordMetric) -> Option<f64> {
    m.get(metric)
}

#[test]
fn responses_stream_reasoning_then_output_and_usage_once() {
    let events = [
        r#"{"type":"response.created","response":{"id":"r","status":"in_progress","output":[]}}"#,
        r#"{"type":"response.reasoning_text.delta","delta":"hmm"}"#,
        r#"{"type":"response.output_text.delta","delta":"a b"}"#,
        r#"{"type":"response.output_text.delta","delta":" c"}"#,
        r#"{"type":"response.output_text.done","text":"a b c"}"#,
        r#"{"type":"response.completed","response":{"error":null,"output":[{"type":"message","content":[{"type":"output_text","text":"a b c"}]}],"usage":{"input_tokens":7,"output_tokens":4,"output_tokens_details":{"reasoning_tokens":1},"total_tokens":11}}}"#,
    ];
    let m = derive(EndpointType::Responses, &events, None);
    assert_eq!(m.status(), RequestStatus::Success);
    use RecordMetric as M;
    assert_eq!(get(&m, M::OutputSequenceLength), Some(4.0));
    assert_eq!(get(&m, M::UsagePromptTokens), Some(7.0));
    assert_eq!(get(&m, M::UsageCompletionTokens), Some(4.0));
    assert_eq!(get(&m, M::UsageTotalTokens), Some(11.0));
    // TTFT: the reasoning delta (event 1, at 15 ms); first output: event 2 (20 ms).
    assert_eq!(get(&m, M::TimeToFirstToken), Some((15 * MS) as f64));
    assert_eq!(get(&m, M::TimeToFirstOutputToken), Some((20 * MS) as f64));
    // Three text events, two gaps: the done and completed events are not text.
    assert_eq!(m.inter_chunk_ns(), &[5 * MS, 5 * MS]);
}

#[test]
fn responses_without_usage_count_each_delta_once() {
    let events = [
        r#"{"type":"response.output_text.delta","delta":"a b"}"#,
        r#"{"type":"response.output_text.delta","delta":" c"}"#,
        r#"{"type":"response.completed","response":{"output":[{"type":"message","content":[{"type":"output_text","text":"a b c"}]}]}}"#,
    ];
    let m = derive(EndpointType::Responses, &events, None);
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), Some(3.0));
    assert_eq!(m.get(RecordMetric::UsageCompletionTokens), None);
    let body = r#"{"object":"response","output":[{"type":"message","content":[{"type":"output_text","text":"x y"}]}]}"#;
    let m = derive(EndpointType::Responses, &[], Some(body));
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), Some(2.0));
    assert_eq!(m.get(RecordMetric::TimeToFirstToken), None);
}

#[test]
fn messages_stream_usage_from_start_and_delta() {
    let events = [
        r#"{"type":"message_start","message":{"type":"message","content":[],"usage":{"input_tokens":9,"output_tokens":1}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"so"}}"#,
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello"}}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":6}}"#,
        r#"{"type":"message_stop"}"#,
    ];
    let m = derive(EndpointType::Messages, &events, None);
    use RecordMetric as M;
    assert_eq!(get(&m, M::OutputSequenceLength), Some(6.0));
    assert_eq!(get(&m, M::UsagePromptTokens), Some(9.0));
    assert_eq!(get(&m, M::UsageTotalTokens), None);
    assert_eq!(get(&m, M::TimeToFirstToken), Some((20 * MS) as f64));
    assert_eq!(get(&m, M::TimeToFirstOutputToken), Some((30 * MS) as f64));
    assert_eq!(m.inter_chunk_ns(), &[10 * MS]);
}

#[test]
fn messages_error_event_fails_with_its_message() {
    let events = [
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}"#,
        r#"{"error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}"#,
    ];
    let m = derive(EndpointType::Messages, &events, None);
    assert_eq!(m.status(), RequestStatus::Failed);
    let e = m.error().unwrap();
    assert_eq!(
        (e.kind.as_str(), e.message.as_str()),
        ("overloaded_error", "Overloaded")
    );
}

#[test]
fn tgi_stream_and_body() {
    let events = [
        r#"{"index":1,"token":{"id":1,"text":" a","special":false},"generated_text":null,"details":null}"#,
        r#"{"index":2,"token":{"id":2,"text":" b","special":false},"generated_text":null,"details":null}"#,
        r#"{"index":3,"token":{"id":3,"text":"</s>","special":true},"generated_text":" a b","details":{"finish_reason":"eos_token","generated_tokens":3}}"#,
    ];
    let m = derive(EndpointType::HuggingfaceGenerate, &events, None);
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), Some(3.0));
    assert_eq!(
        m.get(RecordMetric::TimeToFirstToken),
        Some((10 * MS) as f64)
    );
    assert_eq!(m.inter_chunk_ns(), &[5 * MS]);
    let body =
        r#"{"generated_text":" a b c","details":{"finish_reason":"length","generated_tokens":3}}"#;
    let m = derive(EndpointType::HuggingfaceGenerate, &[], Some(body));
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), Some(3.0));
    // Without details the text is counted (the tokenizer here counts words).
    let m = derive(
        EndpointType::HuggingfaceGenerate,
        &[],
        Some(r#"{"generated_text":"x y"}"#),
    );
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), Some(2.0));
}

#[test]
fn a_chat_shaped_reply_to_a_typed_endpoint_is_an_error_naming_the_shape() {
    let body = r#"{"choices":[{"message":{"content":"hi"}}],"usage":{"completion_tokens":1}}"#;
    let m = derive(EndpointType::Messages, &[], Some(body));
    assert_eq!(m.status(), RequestStatus::Failed);
    let e = m.error().unwrap();
    assert_eq!(e.kind, "MissingOutput");
    assert!(
        e.message.contains("Anthropic Messages API"),
        "{}",
        e.message
    );
}
