//! Criterion benches for the pieces every request goes through.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use gauntlet::config::ArrivalPattern;
use gauntlet::engine::http1::{self, ChunkState, Framing, Step};
use gauntlet::engine::record::RequestRecord;
use gauntlet::engine::sse::SseParser;
use gauntlet::payload::PayloadArena;
use gauntlet::rng::RngRoot;
use gauntlet::schedule::RateSchedule;

/// A vLLM-shaped stream: role chunk, 16 content chunks, finish chunk, usage chunk, [DONE].
fn vllm_stream() -> Vec<u8> {
    let mut s = Vec::new();
    let head = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"mock-model","choices":[{"index":0,"delta":"#;
    s.extend_from_slice(format!("data: {head}{{\"role\":\"assistant\",\"content\":\"\"}},\"finish_reason\":null}}]}}\n\n").as_bytes());
    for i in 0..16 {
        s.extend_from_slice(
            format!("data: {head}{{\"content\":\"tok{i} \"}},\"finish_reason\":null}}]}}\n\n")
                .as_bytes(),
        );
    }
    s.extend_from_slice(
        format!("data: {head}{{}},\"finish_reason\":\"length\"}}]}}\n\n").as_bytes(),
    );
    s.extend_from_slice(b"data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":16,\"total_tokens\":116}}\n\n");
    s.extend_from_slice(b"data: [DONE]\n\n");
    s
}

fn sse(c: &mut Criterion) {
    let stream = vllm_stream();
    let mut group = c.benchmark_group("sse");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    let mut parser = SseParser::new();
    let mut record = RequestRecord::with_capacity(8192, 128);
    group.bench_function("one_read_19_events", |b| {
        b.iter(|| {
            record.reset();
            parser.reset();
            parser.feed(black_box(&stream), 1, &mut record);
            parser.finish(2, &mut record);
            black_box(record.events.len())
        })
    });
    // Real servers write one event per HTTP chunk, and reads can split lines.
    let events: Vec<&[u8]> = stream.split_inclusive(|&b| b == b'\n').collect();
    group.bench_function("per_line_reads", |b| {
        b.iter(|| {
            record.reset();
            parser.reset();
            for (i, piece) in events.iter().enumerate() {
                parser.feed(black_box(piece), i as u64, &mut record);
            }
            parser.finish(99, &mut record);
            black_box(record.events.len())
        })
    });
    group.bench_function("split_every_7_bytes", |b| {
        b.iter(|| {
            record.reset();
            parser.reset();
            for (i, piece) in stream.chunks(7).enumerate() {
                parser.feed(black_box(piece), i as u64, &mut record);
            }
            parser.finish(99, &mut record);
            black_box(record.events.len())
        })
    });
    group.finish();
}

/// The HTTP/1.1 side of a response: the head, and a chunked body with one chunk per SSE event.
fn http(c: &mut Criterion) {
    let stream = vllm_stream();
    let head: &[u8] = b"HTTP/1.1 200 OK\r\ndate: Mon, 23 Nov 2026 20:00:00 GMT\r\n\
        server: uvicorn\r\ncontent-type: text/event-stream; charset=utf-8\r\n\
        transfer-encoding: chunked\r\n\r\n";
    let mut chunked = Vec::new();
    for event in stream
        .split_inclusive(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .chunks(2)
    {
        let bytes: Vec<u8> = event.concat();
        chunked.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
        chunked.extend_from_slice(&bytes);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let mut group = c.benchmark_group("http1");
    group.bench_function("parse_response_head", |b| {
        b.iter(|| black_box(http1::parse_head(black_box(head)).unwrap()))
    });
    group.throughput(Throughput::Bytes(chunked.len() as u64));
    group.bench_function("decode_chunked_19_events", |b| {
        b.iter(|| {
            let mut framing = Framing::Chunked(ChunkState::Size);
            let mut at = 0;
            let mut body = 0;
            while let Step::Data(range) = framing.step(black_box(&chunked[at..])).unwrap() {
                body += range.len();
                at += range.end;
            }
            black_box(body)
        })
    });
    group.finish();
}

fn records(c: &mut Criterion) {
    let payload = br#"{"choices":[{"delta":{"content":"tok "}}]}"#;
    let mut record = RequestRecord::with_capacity(8192, 128);
    c.bench_function("record/fill_16_events_and_reset", |b| {
        b.iter(|| {
            for i in 0..16 {
                record.push_event(black_box(payload), i);
            }
            record.reset();
        })
    });
}

fn scheduling(c: &mut Criterion) {
    let root = RngRoot::new(1);
    let mut poisson = RateSchedule::new(10_000.0, ArrivalPattern::Poisson, &root, 0).unwrap();
    c.bench_function("schedule/poisson_gap", |b| {
        b.iter(|| black_box(poisson.next_gap_ns()))
    });
    let mut gamma = RateSchedule::new(
        10_000.0,
        ArrivalPattern::Gamma { smoothness: 2.5 },
        &root,
        0,
    )
    .unwrap();
    c.bench_function("schedule/gamma_gap", |b| {
        b.iter(|| black_box(gamma.next_gap_ns()))
    });
    let arena = PayloadArena::build((0..100).map(|i| format!("{{\"i\":{i}}}")), 0);
    let mut i = 0usize;
    c.bench_function("payload/arena_slice", |b| {
        b.iter(|| {
            i = (i + 1) % 100;
            black_box(arena.body(i))
        })
    });
    c.bench_function("clock/now_ns", |b| b.iter(gauntlet::clock::now_ns));
}

fn derive(c: &mut Criterion) {
    use gauntlet::clock::WallAnchor;
    use gauntlet::config::EndpointType;
    use gauntlet::metrics::{DeriveContext, ProcessorContext, RecordProcessor, RequestMetrics};

    let stream = vllm_stream();
    let mut parser = SseParser::new();
    let mut record = RequestRecord::with_capacity(8192, 128);
    record.scheduled_ns = 1_000;
    record.sent_ns = 2_000;
    record.first_byte_ns = 3_000;
    record.status = 200;
    for (i, piece) in stream.split_inclusive(|&b| b == b'\n').enumerate() {
        parser.feed(piece, 10_000 + i as u64 * 1_000, &mut record);
    }
    parser.finish(99_000, &mut record);
    record.done_ns = 99_000;
    let count = |s: &str| s.split_whitespace().count() as u32;
    let ctx = DeriveContext {
        endpoint: EndpointType::Chat,
        streaming: true,
        count_tokens: &count,
        redactor: &gauntlet::metrics::redact::NO_SECRETS,
        reply_field: None,
    };
    // The structural check the processor runs on every event (issue #18): one content chunk.
    let chunk = br#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"mock-model","choices":[{"index":0,"delta":{"content":"tok1 "},"finish_reason":null}]}"#;
    c.bench_function("json_scan/is_json_object_chunk", |b| {
        b.iter(|| gauntlet::json_scan::is_json_object(black_box(chunk)))
    });
    let mut metrics = RequestMetrics::new();
    c.bench_function("metrics/derive_streaming_record", |b| {
        b.iter(|| {
            metrics.derive(black_box(&record), 100, &ctx);
            black_box(&metrics);
        })
    });
    // Derive + aggregate + one JSONL line to a sink: the processor thread's whole job.
    let mut processor = RecordProcessor::new(
        ProcessorContext {
            endpoint: EndpointType::Chat,
            streaming: true,
            phase_names: vec!["profiling".into()],
            excluded_phases: vec![false],
            anchor: WallAnchor::now(),
            redactor: gauntlet::metrics::Redactor::default(),
            reply_field: None,
        },
        Some(Box::new(std::io::sink())),
        Box::new(|s: &str| s.split_whitespace().count() as u32),
    );
    c.bench_function("metrics/process_record_with_jsonl", |b| {
        b.iter(|| processor.process(black_box(&record), 100, None, "session_000000", 0))
    });
}

criterion_group!(benches, sse, http, records, scheduling, derive);
criterion_main!(benches);
