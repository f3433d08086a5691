//! A server's reply as the engine reads it: the HTTP/1.1 head, the body framing (length,
//! chunked, until close) and the SSE events, fed in two pieces split where the first byte
//! says, then every metric derived from the record as the record processor does (the reply
//! check included). Any bytes give metrics or an error kind, never a panic.
#![no_main]

use gauntlet::config::EndpointType;
use gauntlet::engine::http1::{parse_head, Step};
use gauntlet::engine::record::RequestRecord;
use gauntlet::engine::sse::SseParser;
use gauntlet::metrics::derive::{DeriveContext, RequestMetrics};
use gauntlet::metrics::redact::Redactor;
use gauntlet::metrics::template_reply::ReplyField;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, wire)) = data.split_first() else {
        return;
    };
    let Ok(Some((head, used))) = parse_head(wire) else {
        return;
    };
    let mut framing = head.framing;
    let body = &wire[used..];
    let cut = (split as usize * body.len()) / 256;
    let mut record = RequestRecord::with_capacity(64, 4);
    let mut sse = SseParser::new();
    // The engine's read buffer: bytes the framing has not consumed wait for the next read.
    let mut pending: Vec<u8> = Vec::new();
    'reads: for (n, piece) in [&body[..cut], &body[cut..]].into_iter().enumerate() {
        pending.extend_from_slice(piece);
        let mut start = 0;
        loop {
            match framing.step(&pending[start..]) {
                Ok(Step::Data(range)) => {
                    let data = &pending[start + range.start..start + range.end];
                    if head.is_sse {
                        sse.feed(data, n as u64, &mut record);
                    } else {
                        record.push_event(data, n as u64);
                    }
                    start += range.end;
                    if range.is_empty() && range.end == 0 {
                        break;
                    }
                }
                Ok(Step::More(used)) => {
                    start += used;
                    break;
                }
                Ok(Step::Done(_)) | Err(_) => break 'reads,
            }
        }
        pending.drain(..start);
    }
    sse.finish(2, &mut record);
    record.status = head.status;
    let count_tokens = |text: &str| (text.len() / 4) as u32;
    let endpoint = match split % 8 {
        0 => EndpointType::Chat,
        1 => EndpointType::Completions,
        2 => EndpointType::Embeddings,
        3 => EndpointType::Responses,
        4 => EndpointType::Messages,
        5 => EndpointType::HuggingfaceGenerate,
        6 => EndpointType::Template,
        _ => EndpointType::Raw,
    };
    // Template replies read by a JMESPath field, raw ones by auto-detection.
    let reply_field = match endpoint {
        EndpointType::Template => Some(ReplyField::new(Some("choices[0].delta.content"))),
        EndpointType::Raw => Some(ReplyField::new(None)),
        _ => None,
    };
    // A secret the fuzzer can echo back, so redaction runs on server text too.
    let redactor = Redactor::new(["sk-secret".to_string()]);
    let ctx = DeriveContext {
        endpoint,
        streaming: head.is_sse,
        count_tokens: &count_tokens,
        redactor: &redactor,
        reply_field: reply_field.as_ref(),
    };
    RequestMetrics::new().derive(&record, 8, &ctx);
});
