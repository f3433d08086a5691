//! The mock's answers for the OpenAI Responses API, Anthropic's Messages API and TGI, in the
//! shapes those servers send, with the same words, token counts and timing model as chat.
//! A child of `render`, so it shares the per-request [`Head`] and the word runs.

use bytes::{BufMut, BytesMut};

use super::{put_u64, Event, GenKind, Head, ResponsePlan, StreamFault, Wait, DATA};
use crate::mock::request::FinishReason;

/// `event: NAME\ndata: ` for the typed SSE streams.
fn put_event(out: &mut BytesMut, name: &[u8]) {
    out.put_slice(b"event: ");
    out.put_slice(name);
    out.put_u8(b'\n');
    out.put_slice(DATA);
}

/// The per-request fields: `"id":"…-mock-N","model":M` (and `created_at` for Responses).
pub(super) fn head(kind: GenKind, seq: u64, created: u64, model_json: &[u8]) -> Head {
    let mut bytes = BytesMut::with_capacity(96 + model_json.len());
    let prefix: &[u8] = match kind {
        GenKind::Responses => b"resp",
        GenKind::Messages => b"msg",
        _ => b"tgi",
    };
    bytes.put_slice(b"\"id\":\"");
    bytes.put_slice(prefix);
    bytes.put_slice(b"-mock-");
    put_u64(&mut bytes, seq);
    bytes.put_u8(b'"');
    if kind == GenKind::Responses {
        bytes.put_slice(b",\"created_at\":");
        put_u64(&mut bytes, created);
    }
    bytes.put_slice(b",\"model\":");
    bytes.put_slice(model_json);
    let json_end = bytes.len();
    Head { bytes, json_end }
}

fn is_tgi(kind: GenKind) -> bool {
    matches!(kind, GenKind::Generate | GenKind::GenerateStream)
}

/// Event `i` of the stream: Responses and Messages open with a start event and end with the
/// usage events; TGI sends only token events, the last with `details`.
pub(super) fn event(plan: &ResponsePlan, i: usize) -> Option<Event> {
    let start = usize::from(!is_tgi(plan.kind));
    if i < start {
        return Some(Event::Role);
    }
    let contents = plan.sent_content_events() as usize;
    if i < start + contents {
        return u32::try_from(i - start).ok().map(Event::Content);
    }
    let tail: &[Event] = match plan.fault {
        StreamFault::None if start == 1 => &[Event::Usage],
        StreamFault::None => &[],
        StreamFault::Drop => &[Event::Drop],
        StreamFault::ErrorEvent => &[Event::Error],
    };
    tail.get(i - start - contents).copied()
}

/// TTFT before the start event (the first text goes right after it, as chat's role event),
/// or before TGI's first token; ITL between text events.
pub(super) fn wait_before(plan: &ResponsePlan, ev: Event) -> Wait {
    match ev {
        Event::Role => Wait::Ttft,
        Event::Content(0) if is_tgi(plan.kind) => Wait::Ttft,
        Event::Content(0) => Wait::None,
        Event::Content(_) => Wait::Itl,
        _ => Wait::None,
    }
}

fn put_usage_responses(plan: &ResponsePlan, out: &mut BytesMut) {
    let completion = u64::from(plan.output_tokens);
    out.put_slice(b"\"usage\":{\"input_tokens\":");
    put_u64(out, plan.prompt_tokens);
    out.put_slice(b",\"output_tokens\":");
    put_u64(out, completion);
    out.put_slice(b",\"total_tokens\":");
    put_u64(out, plan.prompt_tokens + completion);
    out.put_slice(b",\"output_tokens_details\":{\"reasoning_tokens\":0}}");
}

/// A whole Response object (the non-streaming body and `response.completed`'s `response`).
fn put_response(plan: &ResponsePlan, out: &mut BytesMut) {
    out.put_u8(b'{');
    out.put_slice(&plan.head.bytes);
    out.put_slice(b",\"object\":\"response\",\"status\":\"completed\",\"error\":null,\"output\":[{\"type\":\"message\",\"id\":\"msg-mock\",\"role\":\"assistant\",\"status\":\"completed\",\"content\":[{\"type\":\"output_text\",\"annotations\":[],\"text\":\"");
    plan.put_words(out, 0, plan.output_tokens);
    out.put_slice(b"\"}]}],");
    put_usage_responses(plan, out);
    out.put_u8(b'}');
}

fn stop_reason_messages(finish: FinishReason) -> &'static [u8] {
    match finish {
        FinishReason::Length => b"\"max_tokens\"",
        FinishReason::Stop => b"\"end_turn\"",
    }
}

fn tgi_details(plan: &ResponsePlan, out: &mut BytesMut) {
    out.put_slice(b"{\"finish_reason\":");
    out.put_slice(match plan.finish {
        FinishReason::Length => b"\"length\"",
        FinishReason::Stop => b"\"eos_token\"",
    });
    out.put_slice(b",\"generated_tokens\":");
    put_u64(out, u64::from(plan.output_tokens));
    out.put_slice(b",\"seed\":null}");
}

/// Appends event `ev` in SSE framing.
pub(super) fn render_event(plan: &ResponsePlan, ev: Event, out: &mut BytesMut) {
    let k = plan.tokens_per_chunk.max(1);
    match (plan.kind, ev) {
        (_, Event::Drop | Event::Done) => {}
        (GenKind::Responses, Event::Role) => {
            put_event(out, b"response.created");
            out.put_slice(b"{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{");
            out.put_slice(&plan.head.bytes);
            out.put_slice(b",\"object\":\"response\",\"status\":\"in_progress\",\"output\":[],\"usage\":null}}\n\n");
        }
        (GenKind::Responses, Event::Content(n)) => {
            put_event(out, b"response.output_text.delta");
            out.put_slice(b"{\"type\":\"response.output_text.delta\",\"item_id\":\"msg-mock\",\"output_index\":0,\"content_index\":0,\"delta\":\"");
            plan.put_words(out, n.saturating_mul(k), plan.tokens_in(n));
            out.put_slice(b"\"}\n\n");
        }
        (GenKind::Responses, Event::Usage) => {
            put_event(out, b"response.completed");
            out.put_slice(b"{\"type\":\"response.completed\",\"response\":");
            put_response(plan, out);
            out.put_slice(b"}\n\n");
        }
        (GenKind::Responses, Event::Error) => {
            put_event(out, b"error");
            out.put_slice(b"{\"type\":\"error\",\"code\":\"server_error\",\"message\":\"mock error event\",\"param\":null}\n\n");
        }
        (GenKind::Messages, Event::Role) => {
            put_event(out, b"message_start");
            out.put_slice(b"{\"type\":\"message_start\",\"message\":{");
            out.put_slice(&plan.head.bytes);
            out.put_slice(b",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":");
            put_u64(out, plan.prompt_tokens);
            out.put_slice(b",\"output_tokens\":1}}}\n\n");
            put_event(out, b"content_block_start");
            out.put_slice(b"{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
        }
        (GenKind::Messages, Event::Content(n)) => {
            put_event(out, b"content_block_delta");
            out.put_slice(b"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"");
            plan.put_words(out, n.saturating_mul(k), plan.tokens_in(n));
            out.put_slice(b"\"}}\n\n");
        }
        (GenKind::Messages, Event::Usage) => {
            put_event(out, b"content_block_stop");
            out.put_slice(b"{\"type\":\"content_block_stop\",\"index\":0}\n\n");
            put_event(out, b"message_delta");
            out.put_slice(b"{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":");
            out.put_slice(stop_reason_messages(plan.finish));
            out.put_slice(b",\"stop_sequence\":null},\"usage\":{\"output_tokens\":");
            put_u64(out, u64::from(plan.output_tokens));
            out.put_slice(b"}}\n\n");
            put_event(out, b"message_stop");
            out.put_slice(b"{\"type\":\"message_stop\"}\n\n");
        }
        (GenKind::Messages, Event::Error) => {
            put_event(out, b"error");
            out.put_slice(b"{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"mock error event\"}}\n\n");
        }
        (_, Event::Content(n)) => {
            let last = plan.fault == StreamFault::None && n + 1 == plan.content_events();
            out.put_slice(DATA);
            out.put_slice(b"{\"index\":");
            put_u64(out, u64::from(n) + 1);
            out.put_slice(b",\"token\":{\"id\":");
            put_u64(out, u64::from(n));
            out.put_slice(b",\"text\":\"");
            plan.put_words(out, n.saturating_mul(k), plan.tokens_in(n));
            out.put_slice(b"\",\"logprob\":0.0,\"special\":false},\"generated_text\":");
            if last {
                out.put_u8(b'"');
                plan.put_words(out, 0, plan.output_tokens);
                out.put_slice(b"\",\"details\":");
                tgi_details(plan, out);
            } else {
                out.put_slice(b"null,\"details\":null");
            }
            out.put_slice(b"}\n\n");
        }
        (_, Event::Error) => {
            out.put_slice(
                b"data: {\"error\":\"mock error event\",\"error_type\":\"generation\"}\n\n",
            );
        }
        (_, Event::Role | Event::Usage) => {}
    }
}

/// The non-streaming body.
pub(super) fn render_full(plan: &ResponsePlan, out: &mut BytesMut) {
    match plan.kind {
        GenKind::Responses => put_response(plan, out),
        GenKind::Messages => {
            out.put_u8(b'{');
            out.put_slice(&plan.head.bytes);
            out.put_slice(b",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"");
            plan.put_words(out, 0, plan.output_tokens);
            out.put_slice(b"\"}],\"stop_reason\":");
            out.put_slice(stop_reason_messages(plan.finish));
            out.put_slice(b",\"stop_sequence\":null,\"usage\":{\"input_tokens\":");
            put_u64(out, plan.prompt_tokens);
            out.put_slice(b",\"output_tokens\":");
            put_u64(out, u64::from(plan.output_tokens));
            out.put_slice(b"}}");
        }
        _ => {
            out.put_slice(b"{\"generated_text\":\"");
            plan.put_words(out, 0, plan.output_tokens);
            out.put_slice(b"\",\"details\":");
            tgi_details(plan, out);
            out.put_u8(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::render_head;
    use super::*;
    use crate::engine::api_reply::{merge_usage, Api, ApiUsage};

    fn plan(kind: GenKind, tokens: u32, per_chunk: u32, fault: StreamFault) -> ResponsePlan {
        ResponsePlan {
            kind,
            head: render_head(kind, true, 7, 1_700_000_000, b"\"m\\\"x\""),
            output_tokens: tokens,
            tokens_per_chunk: per_chunk,
            word_offset: 3,
            include_usage: true,
            prompt_tokens: 11,
            finish: FinishReason::Length,
            fault,
        }
    }

    /// The `data:` payloads of a stream; every event is `event:`-named except TGI's.
    fn payloads(body: &[u8], named: bool) -> Vec<String> {
        let text = std::str::from_utf8(body).unwrap();
        assert!(text.ends_with("\n\n"));
        text.trim_end_matches("\n\n")
            .split("\n\n")
            .map(|ev| {
                let data = match ev.split_once('\n') {
                    Some((name, data)) if named => {
                        assert!(name.starts_with("event: "), "{ev}");
                        data
                    }
                    _ => ev,
                };
                let data = data.strip_prefix("data: ").expect("a data line").to_owned();
                let v: serde_json::Value = serde_json::from_str(&data).expect(&data);
                if named {
                    assert_eq!(
                        format!("event: {}", v["type"].as_str().unwrap()),
                        ev.split('\n').next().unwrap()
                    );
                }
                data
            })
            .collect()
    }

    /// What gauntlet's reader finds in the mock's stream: (text, first-text event, usage).
    fn read(api: Api, events: &[String]) -> (String, Option<usize>, ApiUsage) {
        let (mut text, mut first, mut usage) = (String::new(), None, ApiUsage::default());
        for (i, e) in events.iter().enumerate() {
            let facts = api.facts(e.as_bytes());
            assert!(facts.promised && !facts.error, "{e}");
            if let Some((_, raw)) = facts.text {
                first.get_or_insert(i);
                text.push_str(&serde_json::from_slice::<String>(raw).unwrap());
            }
            if let Some(u) = facts.usage {
                merge_usage(&mut usage, u);
            }
        }
        (text, first, usage)
    }

    #[test]
    fn streams_read_back_as_the_full_body_says() {
        for (kind, api, named) in [
            (GenKind::Responses, Api::Responses, true),
            (GenKind::Messages, Api::Messages, true),
            (GenKind::GenerateStream, Api::Tgi, false),
        ] {
            let p = plan(kind, 7, 2, StreamFault::None);
            let events = payloads(&p.render_stream(), named);
            let (text, first, usage) = read(api, &events);
            let full = p.render_full();
            let mut body_text = String::new();
            api.each_text(&full, &mut |_, raw| {
                body_text.push_str(&serde_json::from_slice::<String>(raw).unwrap())
            });
            assert_eq!(text, body_text, "{kind:?}");
            assert_eq!(text.split_whitespace().count(), 7, "{kind:?}: {text}");
            assert_eq!(usage.output, Some(7), "{kind:?}");
            assert_eq!(api.facts(&full).usage.unwrap().output, Some(7));
            // The start events (not TGI's) carry no text; the first text follows them at once.
            let start = match kind {
                GenKind::Responses => 1,
                GenKind::Messages => 2, // message_start, content_block_start with ""
                _ => 0,
            };
            assert_eq!(first, Some(start), "{kind:?}");
            assert_eq!(p.wait_before(Event::Content(0)) == Wait::Ttft, start == 0);
            if kind != GenKind::GenerateStream {
                assert_eq!(usage.input, Some(11), "{kind:?}");
            }
        }
    }

    #[test]
    fn faults_end_the_stream_after_one_text_event() {
        for (kind, api, named) in [
            (GenKind::Responses, Api::Responses, true),
            (GenKind::Messages, Api::Messages, true),
            (GenKind::GenerateStream, Api::Tgi, false),
        ] {
            let p = plan(kind, 6, 1, StreamFault::ErrorEvent);
            let body = p.render_stream();
            let events = payloads(&body, named);
            let last = events.last().unwrap();
            assert!(last.contains("mock error event"), "{last}");
            let (text, _, _) = read(api, &events[..events.len() - 1]);
            assert_eq!(text.split_whitespace().count(), 1);
            assert_eq!(p.delivered_tokens(), 1);
            let dropped = plan(kind, 6, 1, StreamFault::Drop);
            let n = (0..).take_while(|&i| dropped.event(i).is_some()).count();
            assert_eq!(dropped.event(n - 1), Some(Event::Drop));
        }
    }
}
