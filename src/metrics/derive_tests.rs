use super::*;
use crate::metrics::redact::NO_SECRETS;
use std::cell::RefCell;

const MS: u64 = 1_000_000;
const SENT: u64 = 1_000 * MS;

fn words(s: &str) -> u32 {
    s.split_whitespace().count() as u32
}

fn ctx(streaming: bool, count: &dyn Fn(&str) -> u32) -> DeriveContext<'_> {
    DeriveContext {
        endpoint: EndpointType::Chat,
        streaming,
        count_tokens: count,
        redactor: &NO_SECRETS,
        reply_field: None,
    }
}

fn base_record() -> RequestRecord {
    RequestRecord {
        scheduled_ns: SENT - MS / 2,
        sent_ns: SENT,
        first_byte_ns: SENT + 3 * MS,
        connection_reused: true,
        status: 200,
        bytes_sent: 2048,
        bytes_received: 4096,
        chunks_received: 7,
        saw_done: true,
        ..RequestRecord::default()
    }
}

fn chunk(content: &str) -> String {
    format!(
        r#"{{"id":"c","object":"chat.completion.chunk","choices":[{{"index":0,"delta":{{"content":"{content}"}},"finish_reason":null}}]}}"#
    )
}

fn approx(a: Option<f64>, b: f64) {
    let a = a.unwrap_or(f64::NAN);
    assert!((a - b).abs() < 1e-6 * b.abs().max(1.0), "{a} != {b}");
}

fn vllm_record() -> RequestRecord {
    let mut r = base_record();
    let role = r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
    r.push_event(role.as_bytes(), SENT + 10 * MS);
    for i in 0..16u64 {
        r.push_event(
            chunk(&format!("t{i} ")).as_bytes(),
            SENT + 20 * MS + i * 5 * MS,
        );
    }
    let finish = r#"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#;
    r.push_event(finish.as_bytes(), SENT + 96 * MS);
    let usage = r#"{"id":"c","choices":[],"usage":{"prompt_tokens":100,"total_tokens":116,"completion_tokens":16}}"#;
    r.push_event(usage.as_bytes(), SENT + 96 * MS);
    r.done_ns = SENT + 97 * MS;
    r
}

#[test]
fn vllm_stream_with_role_and_usage_chunks() {
    let record = vllm_record();
    let mut m = RequestMetrics::new();
    let never = |_: &str| -> u32 { panic!("usage was present: no counting") };
    m.derive(&record, 100, &ctx(true, &never));
    use RecordMetric as M;
    assert_eq!(m.status(), RequestStatus::Success);
    approx(m.get(M::RequestLatency), (97 * MS) as f64);
    approx(m.get(M::TimeToFirstToken), (20 * MS) as f64);
    approx(m.get(M::TimeToSecondToken), (5 * MS) as f64);
    approx(m.get(M::TimeToFirstOutputToken), (20 * MS) as f64);
    approx(m.get(M::InterTokenLatency), (77 * MS) as f64 / 15.0);
    approx(
        m.get(M::OutputTokenThroughputPerUser),
        1e9 * 15.0 / (77 * MS) as f64,
    );
    approx(m.get(M::E2eOutputTokenThroughput), 16.0 / 0.097);
    assert_eq!(m.inter_chunk_ns(), &[5 * MS; 15][..]);
    approx(m.get(M::OutputSequenceLength), 16.0);
    approx(m.get(M::OutputTokenCount), 16.0);
    approx(m.get(M::UsagePromptTokens), 100.0);
    approx(m.get(M::UsageTotalTokens), 116.0);
    approx(m.get(M::InputSequenceLength), 100.0);
    approx(m.get(M::CreditToStartLatency), (MS / 2) as f64);
    approx(m.get(M::HttpWaiting), (3 * MS) as f64);
    approx(m.get(M::HttpConnectionReused), 1.0);
    approx(m.get(M::HttpDataSent), 2048.0);
    approx(m.get(M::HttpChunksReceived), 7.0);
    assert!(m.error().is_none());
}

#[test]
fn llama_cpp_stream_packs_several_tokens_per_chunk() {
    let mut r = base_record();
    let first = r#"{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"object":"chat.completion.chunk"}"#;
    r.push_event(first.as_bytes(), SENT + 5 * MS);
    for i in 0..4u64 {
        r.push_event(chunk("a b c d ").as_bytes(), SENT + 10 * MS + i * 20 * MS);
    }
    let last = r#"{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"usage":{"completion_tokens":16,"prompt_tokens":100,"total_tokens":116},"timings":{"prompt_n":100,"predicted_n":16,"predicted_ms":60.0}}"#;
    r.push_event(last.as_bytes(), SENT + 71 * MS);
    r.done_ns = SENT + 72 * MS;
    let mut m = RequestMetrics::new();
    m.derive(&r, 100, &ctx(true, &words));
    use RecordMetric as M;
    approx(m.get(M::TimeToFirstToken), (10 * MS) as f64);
    approx(m.get(M::OutputSequenceLength), 16.0);
    // Per token, not per chunk: 62 ms after the first token spread over 15 tokens.
    approx(m.get(M::InterTokenLatency), (62 * MS) as f64 / 15.0);
    assert_eq!(m.inter_chunk_ns(), &[20 * MS; 3][..]);
    approx(m.get(M::UsageCompletionTokens), 16.0);
}

#[test]
fn stream_without_usage_is_counted_from_unescaped_text() {
    let mut r = base_record();
    r.push_event(chunk("ab").as_bytes(), SENT + MS);
    r.push_event(chunk(r"c\nd").as_bytes(), SENT + 2 * MS);
    r.push_event(chunk(r"caf\u00e9").as_bytes(), SENT + 3 * MS);
    r.done_ns = SENT + 4 * MS;
    let seen = RefCell::new(String::new());
    let counter = |s: &str| {
        seen.borrow_mut().push_str(s);
        s.chars().count() as u32
    };
    let mut m = RequestMetrics::new();
    m.derive(&r, 7, &ctx(true, &counter));
    assert_eq!(*seen.borrow(), "abc\ndcafé");
    approx(m.get(RecordMetric::OutputSequenceLength), 9.0);
    assert_eq!(m.get(RecordMetric::UsageCompletionTokens), None);
    assert_eq!(m.inter_chunk_ns(), &[MS, MS][..]);
}

#[test]
fn reasoning_comes_before_the_first_output_token() {
    let mut r = base_record();
    let think = r#"{"choices":[{"delta":{"content":null,"reasoning_content":"hmm "}}]}"#;
    r.push_event(think.as_bytes(), SENT + 2 * MS);
    r.push_event(chunk("yes").as_bytes(), SENT + 9 * MS);
    r.done_ns = SENT + 10 * MS;
    let mut m = RequestMetrics::new();
    m.derive(&r, 1, &ctx(true, &words));
    approx(m.get(RecordMetric::TimeToFirstToken), (2 * MS) as f64);
    approx(m.get(RecordMetric::TimeToFirstOutputToken), (9 * MS) as f64);
    approx(m.get(RecordMetric::OutputSequenceLength), 2.0);
}

#[test]
fn error_event_fails_the_request_with_the_servers_message() {
    let mut r = base_record();
    r.push_event(chunk("x").as_bytes(), SENT + MS);
    let error =
        r#"{"error":{"message":"CUDA out of memory","type":"InternalServerError","code":500}}"#;
    r.push_event(error.as_bytes(), SENT + 2 * MS);
    r.done_ns = SENT + 3 * MS;
    let mut m = RequestMetrics::new();
    m.derive(&r, 1, &ctx(true, &words));
    assert_eq!(m.status(), RequestStatus::Failed);
    let e = m.error().unwrap();
    assert_eq!(e.message, "CUDA out of memory");
    assert_eq!(e.kind, "InternalServerError");
    assert_eq!(e.code, Some(500));
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), None);
}

#[test]
fn non_streaming_body_has_usage_but_no_ttft() {
    let mut r = base_record();
    r.body.extend_from_slice(br#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello world"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}}"#);
    r.done_ns = SENT + 50 * MS;
    let mut m = RequestMetrics::new();
    m.derive(&r, 12, &ctx(false, &words));
    approx(m.get(RecordMetric::OutputSequenceLength), 2.0);
    approx(m.get(RecordMetric::E2eOutputTokenThroughput), 40.0);
    approx(m.get(RecordMetric::RequestLatency), (50 * MS) as f64);
    assert_eq!(m.get(RecordMetric::TimeToFirstToken), None);
    assert_eq!(m.get(RecordMetric::InterTokenLatency), None);
    assert!(m.inter_chunk_ns().is_empty());
}

#[test]
fn non_streaming_completion_without_usage_is_counted() {
    let mut r = base_record();
    r.body.extend_from_slice(
        br#"{"choices":[{"index":0,"text":"one two three","finish_reason":"length"}]}"#,
    );
    r.done_ns = SENT + 5 * MS;
    let mut m = RequestMetrics::new();
    let c = DeriveContext {
        endpoint: EndpointType::Completions,
        streaming: false,
        count_tokens: &words,
        redactor: &NO_SECRETS,
        reply_field: None,
    };
    m.derive(&r, 3, &c);
    approx(m.get(RecordMetric::OutputSequenceLength), 3.0);
}

#[test]
fn http_error_record_carries_code_reason_and_message() {
    let mut r = base_record();
    r.outcome = Outcome::HttpError;
    r.status = 503;
    r.error = Some("overloaded, retry later".into());
    r.done_ns = SENT + 4 * MS;
    let mut m = RequestMetrics::new();
    m.derive(&r, 10, &ctx(true, &words));
    assert_eq!(m.status(), RequestStatus::Failed);
    let e = m.error().unwrap();
    assert_eq!(e.code, Some(503));
    assert_eq!(e.kind, "Service Unavailable");
    assert_eq!(e.message, "overloaded, retry later");
    approx(m.get(RecordMetric::RequestLatency), (4 * MS) as f64);
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), None);
}

#[test]
fn embeddings_have_latency_and_isl_only() {
    let mut r = base_record();
    r.body.extend_from_slice(
        br#"{"data":[{"embedding":[0.1,0.2]}],"usage":{"prompt_tokens":5,"total_tokens":5}}"#,
    );
    r.done_ns = SENT + 2 * MS;
    let mut m = RequestMetrics::new();
    let c = DeriveContext {
        endpoint: EndpointType::Embeddings,
        streaming: false,
        count_tokens: &words,
        redactor: &NO_SECRETS,
        reply_field: None,
    };
    m.derive(&r, 5, &c);
    approx(m.get(RecordMetric::RequestLatency), (2 * MS) as f64);
    approx(m.get(RecordMetric::InputSequenceLength), 5.0);
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), None);
}

#[test]
fn reuse_clears_the_previous_request() {
    let mut m = RequestMetrics::new();
    m.derive(&vllm_record(), 100, &ctx(true, &words));
    let mut r = base_record();
    r.outcome = Outcome::Cancelled;
    r.done_ns = SENT + MS;
    m.derive(&r, 100, &ctx(true, &words));
    assert_eq!(m.status(), RequestStatus::Cancelled);
    assert!(m.inter_chunk_ns().is_empty());
    assert_eq!(m.get(RecordMetric::TimeToFirstToken), None);
    assert!(m.error().is_none());
}

#[test]
fn llamacpp_timings_count_tokens_when_usage_is_absent() {
    let mut record = RequestRecord {
        sent_ns: 1_000,
        status: 200,
        ..RequestRecord::default()
    };
    record.push_event(br#"{"choices":[{"delta":{"content":"a"}}]}"#, 2_000);
    record.push_event(
        br#"{"choices":[{"finish_reason":"length","delta":{}}],"timings":{"prompt_n":5,"predicted_n":7}}"#,
        3_000,
    );
    record.done_ns = 4_000;
    let never = |_: &str| -> u32 { panic!("the tokenizer must not be needed") };
    let ctx = DeriveContext {
        endpoint: EndpointType::Chat,
        streaming: true,
        count_tokens: &never,
        redactor: &NO_SECRETS,
        reply_field: None,
    };
    let mut m = RequestMetrics::new();
    m.derive(&record, 10, &ctx);
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), Some(7.0));
    assert_eq!(m.get(RecordMetric::UsageCompletionTokens), None);
}

/// A 2xx record whose reply is `events` (SSE payloads) or, with none, a plain `body`.
fn unusable(events: &[&[u8]], body: &[u8], received: u64, status: u16) -> RequestRecord {
    let mut r = base_record();
    r.status = status;
    r.bytes_received = received;
    for (i, event) in events.iter().enumerate() {
        r.push_event(event, SENT + (i as u64 + 1) * MS);
    }
    if events.is_empty() && !body.is_empty() {
        r.push_event(body, SENT + MS);
    }
    r.done_ns = SENT + 10 * MS;
    r
}

fn failure(record: &RequestRecord, endpoint: EndpointType, streaming: bool) -> ErrorInfo {
    let mut m = RequestMetrics::new();
    let c = DeriveContext {
        endpoint,
        streaming,
        count_tokens: &words,
        redactor: &NO_SECRETS,
        reply_field: None,
    };
    m.derive(record, 4, &c);
    assert_eq!(m.status(), RequestStatus::Failed, "{:?}", m.error());
    assert_eq!(m.malformed_events(), 0);
    assert_eq!(m.get(RecordMetric::OutputSequenceLength), None);
    m.error().cloned().unwrap()
}

#[test]
fn a_success_without_a_usable_reply_is_an_error_of_its_kind() {
    let chat = EndpointType::Chat;
    let kind = |r: &RequestRecord, streaming: bool| failure(r, chat, streaming).kind;
    assert_eq!(kind(&unusable(&[], b"", 0, 200), false), "EmptyResponse");
    let no_content = failure(&unusable(&[], b"", 0, 204), chat, false);
    assert_eq!(no_content.code, Some(204));
    assert!(no_content.message.contains("204"), "{no_content:?}");
    assert_eq!(kind(&unusable(&[], b"", 0, 200), true), "EmptyResponse");
    assert_eq!(kind(&unusable(&[], b"", 300, 200), true), "NoSseData");
    assert_eq!(
        kind(
            &unusable(&[b"not json", b"{\"choices\":["], b"", 30, 200),
            true
        ),
        "InvalidJson"
    );
    let truncated = br#"{"choices":[{"message":{"content":"hel"#;
    assert_eq!(
        kind(&unusable(&[], truncated, 40, 200), false),
        "InvalidJson"
    );
    assert_eq!(
        kind(&unusable(&[], b"<html>oops</html>", 17, 200), false),
        "InvalidJson"
    );
    assert_eq!(
        kind(&unusable(&[b"{\"id\":\"x\"}"], b"", 20, 200), true),
        "MissingChoices"
    );
    let embeddings = unusable(&[], br#"{"object":"list"}"#, 17, 200);
    assert_eq!(
        failure(&embeddings, EndpointType::Embeddings, false).kind,
        "MissingData"
    );
}

#[test]
fn one_malformed_event_among_good_ones_is_counted_and_skipped() {
    let mut r = base_record();
    r.push_event(chunk("a ").as_bytes(), SENT + 10 * MS);
    r.push_event(
        b"{\"choices\":[{\"delta\":{\"content\":\"lost",
        SENT + 12 * MS,
    );
    r.push_event(chunk("b ").as_bytes(), SENT + 20 * MS);
    r.done_ns = SENT + 30 * MS;
    let mut m = RequestMetrics::new();
    m.derive(&r, 4, &ctx(true, &words));
    assert_eq!(m.status(), RequestStatus::Success);
    assert_eq!(m.malformed_events(), 1);
    approx(m.get(RecordMetric::OutputSequenceLength), 2.0);
    approx(m.get(RecordMetric::TimeToSecondToken), (10 * MS) as f64);
    assert_eq!(m.inter_chunk_ns(), &[10 * MS]);
}

#[test]
fn an_error_event_that_is_not_json_is_still_a_server_error() {
    let r = unusable(&[b"{\"error\":boom}"], b"", 20, 200);
    let mut m = RequestMetrics::new();
    m.derive(&r, 4, &ctx(true, &words));
    assert_eq!(m.error().unwrap().kind, "ServerError");
}

#[test]
fn rankings_and_image_replies_by_type() {
    let derive = |endpoint: EndpointType, body: &[u8]| {
        let mut r = base_record();
        r.body.extend_from_slice(body);
        r.done_ns = SENT + 4 * MS;
        let mut m = RequestMetrics::new();
        let c = DeriveContext {
            endpoint,
            streaming: false,
            count_tokens: &words,
            redactor: &NO_SECRETS,
            reply_field: None,
        };
        m.derive(&r, 42, &c);
        m
    };
    let nim = br#"{"rankings":[{"index":1,"logit":2.5},{"index":0,"logit":-1.0}]}"#;
    let cohere =
        br#"{"id":"r","results":[{"index":0,"relevance_score":0.9}],"usage":{"prompt_tokens":42}}"#;
    let tei = br#"[{"index":0,"score":0.9},{"index":1,"score":0.1}]"#;
    for (endpoint, body) in [
        (EndpointType::NimRankings, &nim[..]),
        (EndpointType::CohereRankings, &cohere[..]),
        (EndpointType::HfTeiRankings, &tei[..]),
    ] {
        let m = derive(endpoint, body);
        assert_eq!(m.status(), RequestStatus::Success, "{endpoint:?}");
        approx(m.get(RecordMetric::InputSequenceLength), 42.0);
        approx(m.get(RecordMetric::RequestLatency), (4 * MS) as f64);
        assert_eq!(m.get(RecordMetric::OutputSequenceLength), None);
        assert_eq!(m.get(RecordMetric::UsagePromptTokens), None);
        assert_eq!(m.get(RecordMetric::NumOutputImages), None);
    }
    // A reply in another API's shape is unusable, grouped by what is missing.
    let kind = |endpoint, body: &[u8]| derive(endpoint, body).error().unwrap().kind.clone();
    assert_eq!(kind(EndpointType::NimRankings, cohere), "MissingRankings");
    assert_eq!(kind(EndpointType::CohereRankings, nim), "MissingResults");
    assert_eq!(kind(EndpointType::HfTeiRankings, nim), "MissingResults");
    assert_eq!(kind(EndpointType::NimRankings, tei), "InvalidJson");

    let images = br#"{"created":1,"data":[{"b64_json":"iVBO"},{"b64_json":"iVBO"},{"url":"u"}]}"#;
    let m = derive(EndpointType::ImageGeneration, images);
    approx(m.get(RecordMetric::NumOutputImages), 3.0);
    assert_eq!(m.get(RecordMetric::TimeToFirstToken), None);
    assert_eq!(
        kind(EndpointType::ImageGeneration, br#"{"created":1}"#),
        "MissingData"
    );
}
