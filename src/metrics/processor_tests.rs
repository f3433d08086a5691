use super::*;
use crate::engine::record::Outcome;
use crate::metrics::catalog::{AggregateMetric, RecordMetric};
use std::sync::{Arc, Mutex};

const MS: u64 = 1_000_000;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn context() -> ProcessorContext {
    ProcessorContext {
        endpoint: EndpointType::Chat,
        streaming: true,
        phase_names: vec!["warmup".into(), "profiling".into()],
        excluded_phases: vec![true, false],
        anchor: WallAnchor {
            mono_ns: 0,
            epoch_ns: 1_700_000_000_000_000_000,
        },
        redactor: Default::default(),
        reply_field: None,
    }
}

fn streamed(index: u64, phase: u8) -> RequestRecord {
    let sent = 1_000 * MS + index * 100 * MS;
    let mut r = RequestRecord {
        request_index: index,
        phase_index: phase,
        scheduled_ns: sent - MS,
        sent_ns: sent,
        first_byte_ns: sent + MS,
        status: 200,
        bytes_sent: 512,
        bytes_received: 1024,
        chunks_received: 3,
        ..RequestRecord::default()
    };
    for i in 0..3 {
        let chunk = format!(r#"{{"choices":[{{"delta":{{"content":"w{i} "}}}}]}}"#);
        r.push_event(chunk.as_bytes(), sent + (10 + i) * MS);
    }
    let usage =
        r#"{"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":3,"total_tokens":23}}"#;
    r.push_event(usage.as_bytes(), sent + 13 * MS);
    r.done_ns = sent + 14 * MS;
    r
}

fn run() -> (Summary, String) {
    let sink = Shared::default();
    let count = |s: &str| s.split_whitespace().count() as u32;
    let mut p = RecordProcessor::new(context(), Some(Box::new(sink.clone())), Box::new(count));
    p.process(&streamed(0, 0), 20, None, "session_000000", 0);
    p.process(&streamed(1, 1), 20, None, "session_000001", 0);
    p.process(&streamed(2, 1), 20, None, "session_000002", 0);
    let mut failed = streamed(3, 1);
    failed.outcome = Outcome::HttpError;
    failed.status = 500;
    failed.error = Some("engine \"crashed\"".into());
    p.process(&failed, 20, None, "session_000003", 0);
    let mut cancelled = streamed(4, 1);
    cancelled.outcome = Outcome::Cancelled;
    p.process(&cancelled, 20, None, "session_000004", 0);
    let totals = RunTotals {
        scheduled: 7,
        not_sent: 2,
        was_cancelled: true,
    };
    let (summary, jsonl_error) = p.finish(totals);
    assert!(jsonl_error.is_none());
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    (summary, text)
}

#[test]
fn accounting_covers_every_phase_and_stats_only_profiling() {
    let (summary, _) = run();
    let a = summary.accounting;
    assert_eq!(
        (a.completed, a.failed, a.cancelled, a.not_sent),
        (3, 1, 1, 2)
    );
    assert!(a.is_balanced());
    assert!(summary.was_cancelled);
    assert_eq!(summary.aggregate(AggregateMetric::RequestCount), Some(2.0));
    assert_eq!(
        summary.aggregate(AggregateMetric::ErrorRequestCount),
        Some(1.0)
    );
    let ttft = summary.metric(RecordMetric::TimeToFirstToken).unwrap();
    assert_eq!(ttft.count, 2);
    assert!((ttft.avg - 10.0).abs() < 1e-9);
    assert_eq!(summary.errors.len(), 1);
    assert_eq!(summary.errors[0].error.message, "engine \"crashed\"");
}

#[test]
fn jsonl_lines_parse_back_in_aiperfs_layout() {
    let (_, text) = run();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    let warm = &lines[0]["metadata"];
    assert_eq!(warm["benchmark_phase"], "warmup");
    assert_eq!(warm["phase_name"], "warmup");
    let line = &lines[1];
    let meta = &line["metadata"];
    assert_eq!(meta["benchmark_phase"], "profiling");
    assert_eq!(meta["conversation_id"], "session_000001");
    assert_eq!(meta["session_num"], 1);
    assert_eq!(meta["turn_index"], 0);
    assert_eq!(meta["was_cancelled"], false);
    let start = 1_700_000_000_000_000_000u64 + 1_100 * MS;
    assert_eq!(meta["request_start_ns"].as_u64(), Some(start));
    assert_eq!(meta["credit_issued_ns"].as_u64(), Some(start - MS));
    assert_eq!(meta["request_end_ns"].as_u64(), Some(start + 14 * MS));
    let m = &line["metrics"];
    assert_eq!(m["time_to_first_token"]["value"].as_f64(), Some(10.0));
    assert_eq!(m["time_to_first_token"]["unit"], "ms");
    assert_eq!(m["output_sequence_length"]["value"].as_u64(), Some(3));
    assert_eq!(m["output_sequence_length"]["unit"], "tokens");
    assert_eq!(m["http_req_data_sent"]["value"].as_f64(), Some(0.5));
    assert_eq!(m["http_req_data_sent"]["unit"], "KB");
    assert_eq!(
        m["inter_chunk_latency"]["value"],
        serde_json::json!([1.0, 1.0])
    );
    assert!(line.get("error").is_none());
    let failed = &lines[3];
    assert_eq!(failed["error"]["code"], 500);
    assert_eq!(failed["error"]["type"], "Internal Server Error");
    assert_eq!(failed["error"]["message"], "engine \"crashed\"");
    assert_eq!(lines[4]["metadata"]["was_cancelled"], true);
}

/// Throughput of the whole per-request path (derive + aggregate + JSONL). Run with
/// `cargo test --release --lib processor -- --ignored --nocapture`.
#[test]
#[ignore]
fn processor_throughput() {
    let count = |s: &str| s.split_whitespace().count() as u32;
    let mut ctx = context();
    ctx.excluded_phases = vec![false, false];
    let mut p = RecordProcessor::new(ctx, Some(Box::new(std::io::sink())), Box::new(count));
    let mut record = streamed(1, 1);
    for i in 3..16 {
        let chunk = format!(
            r#"{{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{{"index":0,"delta":{{"content":"w{i} "}},"finish_reason":null}}]}}"#
        );
        record.push_event(chunk.as_bytes(), record.done_ns + i);
    }
    let n = 200_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        p.process(&record, 100, None, "session_000001", 0);
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!("{:.0} records/s", n as f64 / secs);
    assert!(p.finish(RunTotals::default()).1.is_none());
}

/// A disk that fills after the first write.
struct FullDisk(usize);

impl std::io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
        }
        self.0 -= 1;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_jsonl_write_stops_the_jsonl_not_the_statistics() {
    let count = |s: &str| s.split_whitespace().count() as u32;
    let mut p = RecordProcessor::new(context(), Some(Box::new(FullDisk(0))), Box::new(count));
    for i in 0..3 {
        p.process(&streamed(i, 1), 20, None, "session_000000", 0);
        p.flush_jsonl();
    }
    let (summary, jsonl_error) = p.finish(RunTotals {
        scheduled: 3,
        ..Default::default()
    });
    assert_eq!(
        jsonl_error.map(|e| e.kind()),
        Some(std::io::ErrorKind::StorageFull)
    );
    assert_eq!(summary.accounting.completed, 3);
}
