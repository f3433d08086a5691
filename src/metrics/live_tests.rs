use super::*;
use crate::config::EndpointType;
use crate::engine::record::{Outcome, RequestRecord};
use crate::metrics::derive::DeriveContext;

const MS: u64 = 1_000_000;

/// A streamed chat reply whose first token comes `ttft_ms` after sending, with 3 tokens.
fn streamed(ttft_ms: u64) -> RequestRecord {
    let sent = 1_000 * MS;
    let mut r = RequestRecord {
        sent_ns: sent,
        scheduled_ns: sent,
        first_byte_ns: sent + ttft_ms * MS,
        status: 200,
        ..RequestRecord::default()
    };
    for i in 0..3 {
        let chunk = format!(r#"{{"choices":[{{"delta":{{"content":"w{i} "}}}}]}}"#);
        r.push_event(chunk.as_bytes(), sent + (ttft_ms + i) * MS);
    }
    let usage =
        r#"{"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":3,"total_tokens":23}}"#;
    r.push_event(usage.as_bytes(), sent + (ttft_ms + 3) * MS);
    r.done_ns = sent + (ttft_ms + 4) * MS;
    r
}

fn derived(record: &RequestRecord) -> RequestMetrics {
    let count = |s: &str| s.split_whitespace().count() as u32;
    let redactor = crate::metrics::Redactor::default();
    let ctx = DeriveContext {
        endpoint: EndpointType::Chat,
        streaming: true,
        count_tokens: &count,
        redactor: &redactor,
        reply_field: None,
    };
    let mut m = RequestMetrics::new();
    m.derive(record, 20, &ctx);
    m
}

#[test]
fn counts_percentiles_errors_and_in_flight() {
    let sent = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut live = LiveStats::new(sent.clone(), t0);
    sent.store(105, Ordering::Relaxed);
    for ttft in 1..=100 {
        live.observe(&derived(&streamed(ttft)), t0 + Duration::from_millis(10));
    }
    let mut failed = streamed(5);
    failed.outcome = Outcome::HttpError;
    failed.status = 503;
    live.observe(&derived(&failed), t0 + Duration::from_millis(20));
    let snap = live.snapshot(t0 + Duration::from_millis(30));
    assert_eq!((snap.sent, snap.finished, snap.in_flight), (105, 101, 4));
    assert_eq!(snap.failed, 1);
    assert_eq!(snap.errors.len(), 1);
    assert_eq!(snap.errors[0].1, 1);
    let ttft = snap.ttft_ms.unwrap();
    // 1..=100 ms: the median is 50 ms, p99 99 ms (three significant digits kept).
    assert!((ttft.p50 - 50.0).abs() <= 0.5, "{ttft:?}");
    assert!((ttft.p99 - 99.0).abs() <= 1.0, "{ttft:?}");
    let message = snap.progress_message();
    assert!(message.contains("4 in flight"), "{message}");
    assert!(message.contains("1 errors"), "{message}");
    assert!(message.contains("p50 TTFT 50.0 ms"), "{message}");
}

#[test]
fn rates_cover_the_last_two_seconds_and_history_whole_seconds() {
    let sent = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut live = LiveStats::new(sent, t0);
    assert_eq!(live.snapshot(t0).request_rate, 0.0);
    // Before two seconds have passed, the rate is since the start.
    live.observe(&derived(&streamed(1)), t0 + Duration::from_millis(100));
    let early = live.snapshot(t0 + Duration::from_millis(500));
    assert!((early.request_rate - 2.0).abs() < 1e-9, "{early:?}");
    let mut live = LiveStats::new(Arc::new(AtomicU64::new(0)), t0);
    // 10 requests in the first second, 30 in the second.
    for i in 0..10 {
        live.observe(&derived(&streamed(1)), t0 + Duration::from_millis(i * 90));
    }
    let _ = live.snapshot(t0 + Duration::from_millis(1_000));
    for i in 0..30 {
        live.observe(
            &derived(&streamed(1)),
            t0 + Duration::from_millis(1_000 + i * 30),
        );
    }
    let snap = live.snapshot(t0 + Duration::from_millis(2_000));
    // Since the first snapshot (2 s ago): 40 requests, 120 tokens.
    assert!((snap.request_rate - 20.0).abs() < 1e-9, "{snap:?}");
    assert!((snap.token_rate - 60.0).abs() < 1e-9, "{snap:?}");
    assert_eq!(snap.requests_per_second, vec![10, 30]);
    assert_eq!(snap.tokens_per_second, vec![30, 90]);
    let snap = live.snapshot(t0 + Duration::from_millis(3_500));
    // The mark at 1 s has left the window: 30 requests over the 1.5 s since 2 s... none new.
    assert_eq!(snap.request_rate, 0.0, "{snap:?}");
    assert_eq!(snap.requests_per_second, vec![10, 30, 0]);
}
