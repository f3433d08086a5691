use serde_json::Value;

use super::*;

fn plan(
    kind: GenKind,
    tokens: u32,
    per_chunk: u32,
    usage: bool,
    fault: StreamFault,
) -> ResponsePlan {
    ResponsePlan {
        kind,
        head: render_head(kind, true, 7, 1_700_000_000, b"\"m\\\"x\""),
        output_tokens: tokens,
        tokens_per_chunk: per_chunk,
        word_offset: 3,
        include_usage: usage,
        prompt_tokens: 11,
        finish: FinishReason::Length,
        fault,
    }
}

/// Splits an SSE body into its `data:` payloads, checking the framing on the way.
fn sse_payloads(body: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\n\n"), "stream must end with a blank line");
    text.trim_end_matches("\n\n")
        .split("\n\n")
        .map(|ev| {
            ev.strip_prefix("data: ")
                .expect("every event is a data line")
                .to_owned()
        })
        .collect()
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("invalid JSON {s}: {e}"))
}

#[test]
fn chat_stream_has_role_packed_content_finish_usage_and_done() {
    let p = plan(GenKind::Chat, 16, 4, true, StreamFault::None);
    let events = sse_payloads(&p.render_stream());
    assert_eq!(events.len(), 1 + 4 + 1 + 1);
    assert_eq!(events.last().unwrap(), "[DONE]");

    let role = json(&events[0]);
    assert_eq!(role["object"], "chat.completion.chunk");
    assert_eq!(role["id"], "chatcmpl-mock-7");
    assert_eq!(role["model"], "m\"x");
    assert_eq!(role["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(role["choices"][0]["delta"]["content"], "");

    let mut text = String::new();
    for (i, ev) in events[1..5].iter().enumerate() {
        let v = json(ev);
        let choice = &v["choices"][0];
        let content = choice["delta"]["content"].as_str().unwrap();
        assert_eq!(
            content.split_whitespace().count(),
            4,
            "event {i}: {content:?}"
        );
        text.push_str(content);
        let expected_finish = if i == 3 {
            Value::from("length")
        } else {
            Value::Null
        };
        assert_eq!(choice["finish_reason"], expected_finish);
    }
    assert_eq!(text.split_whitespace().count(), 16);
    assert!(text.starts_with(' ') && !text.contains("  "));

    let usage = json(&events[5]);
    assert_eq!(usage["choices"].as_array().unwrap().len(), 0);
    assert_eq!(usage["usage"]["prompt_tokens"], 11);
    assert_eq!(usage["usage"]["completion_tokens"], 16);
    assert_eq!(usage["usage"]["total_tokens"], 27);
}

#[test]
fn uneven_packing_puts_the_remainder_last() {
    let p = plan(GenKind::Chat, 10, 4, false, StreamFault::None);
    assert_eq!(p.content_events(), 3);
    let events = sse_payloads(&p.render_stream());
    assert_eq!(
        events.len(),
        1 + 3 + 1,
        "no usage event without include_usage"
    );
    let counts: Vec<usize> = events[1..4]
        .iter()
        .map(|e| {
            json(e)["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .count()
        })
        .collect();
    assert_eq!(counts, [4, 4, 2]);
}

#[test]
fn completions_stream_uses_text_and_has_no_role_event() {
    let mut p = plan(GenKind::Completions, 3, 1, true, StreamFault::None);
    p.head = render_head(GenKind::Completions, true, 9, 1, b"\"m\"");
    let events = sse_payloads(&p.render_stream());
    assert_eq!(events.len(), 3 + 1 + 1);
    for (i, ev) in events[..3].iter().enumerate() {
        let v = json(ev);
        assert_eq!(v["object"], "text_completion");
        assert_eq!(v["id"], "cmpl-mock-9");
        assert_eq!(
            v["choices"][0]["text"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .count(),
            1
        );
        assert_eq!(v["choices"][0]["finish_reason"] == "length", i == 2);
    }
    assert_eq!(json(&events[3])["usage"]["completion_tokens"], 3);
}

#[test]
fn drop_fault_stops_after_the_first_content_event() {
    let p = plan(GenKind::Chat, 16, 1, true, StreamFault::Drop);
    let events = sse_payloads(&p.render_stream());
    assert_eq!(events.len(), 2, "role and one content event: {events:?}");
    assert!(json(&events[1])["choices"][0]["finish_reason"].is_null());
    assert_eq!(p.event(2), Some(Event::Drop));
    assert_eq!(p.event(3), None);
    assert_eq!(p.delivered_tokens(), 1);
}

#[test]
fn error_event_fault_sends_one_content_then_error_then_done() {
    let p = plan(GenKind::Chat, 16, 2, true, StreamFault::ErrorEvent);
    let events = sse_payloads(&p.render_stream());
    assert_eq!(events.len(), 4, "{events:?}");
    let err = json(&events[2]);
    assert_eq!(err["error"]["message"], "mock error event");
    assert_eq!(err["error"]["type"], "InternalServerError");
    assert_eq!(err["error"]["code"], 500);
    assert_eq!(events[3], "[DONE]");
    assert_eq!(p.delivered_tokens(), 2);
}

#[test]
fn waits_fall_on_first_output_and_between_contents() {
    let chat = plan(GenKind::Chat, 3, 1, true, StreamFault::None);
    let waits: Vec<Wait> = (0..)
        .map_while(|i| chat.event(i))
        .map(|e| chat.wait_before(e))
        .collect();
    assert_eq!(
        waits,
        [
            Wait::Ttft,
            Wait::None,
            Wait::Itl,
            Wait::Itl,
            Wait::None,
            Wait::None
        ]
    );
    let cmpl = plan(GenKind::Completions, 2, 1, false, StreamFault::None);
    let waits: Vec<Wait> = (0..)
        .map_while(|i| cmpl.event(i))
        .map(|e| cmpl.wait_before(e))
        .collect();
    assert_eq!(waits, [Wait::Ttft, Wait::Itl, Wait::None]);
}

#[test]
fn full_chat_and_completion_bodies_match_vllm_shapes() {
    let mut p = plan(GenKind::Chat, 5, 1, false, StreamFault::None);
    p.head = render_head(GenKind::Chat, false, 1, 2, b"\"m\"");
    p.finish = FinishReason::Stop;
    let v: Value = serde_json::from_slice(&p.render_full()).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    let content = v["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(content.split_whitespace().count(), 5);
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["completion_tokens"], 5);
    assert_eq!(v["usage"]["total_tokens"], 16);

    p.kind = GenKind::Completions;
    p.head = render_head(GenKind::Completions, false, 1, 2, b"\"m\"");
    let v: Value = serde_json::from_slice(&p.render_full()).unwrap();
    assert_eq!(v["object"], "text_completion");
    assert_eq!(
        v["choices"][0]["text"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .count(),
        5
    );
    assert_eq!(v["usage"]["prompt_tokens"], 11);
}

#[test]
fn estimates_are_upper_bounds() {
    let p = plan(GenKind::Chat, 100, 7, true, StreamFault::None);
    let body = p.render_stream();
    assert!(body.len() <= p.stream_len_estimate());
    let mut one = BytesMut::new();
    p.render_event(Event::Content(0), &mut one);
    assert!(one.len() <= p.max_event_len());
}

#[test]
fn put_u64_writes_decimal() {
    for n in [0u64, 7, 10, 123_456, u64::MAX] {
        let mut out = BytesMut::new();
        put_u64(&mut out, n);
        assert_eq!(out, n.to_string().as_bytes());
    }
}

#[test]
fn long_outputs_cycle_through_the_word_list() {
    let p = plan(GenKind::Chat, 200, 150, false, StreamFault::None);
    let mut out = BytesMut::new();
    p.put_words(&mut out, 0, 200);
    let text = std::str::from_utf8(&out).unwrap();
    let words: Vec<&str> = text.split(' ').skip(1).collect();
    assert_eq!(words.len(), 200);
    for (t, w) in words.iter().enumerate() {
        assert_eq!(format!(" {w}"), WORDS[(3 + t) % 64]);
    }
}
