//! One `profile_export.jsonl` line per request, in AIPerf's layout.
//!
//! Written into a reused byte buffer: numbers go through serde_json's integer and shortest
//! round-trip float formatting, strings through its escaper, and nothing else allocates.

use std::io::Write;

use super::catalog::RecordMetric;
use super::derive::{RequestMetrics, RequestStatus};
use super::goodput::Goodput;
use crate::clock::WallAnchor;
use crate::engine::record::RequestRecord;

/// The per-request facts that are not metrics.
pub struct LineMeta<'a> {
    /// `conversation_id`.
    pub session_id: &'a str,
    /// `turn_index`: the request's position in its session (0 for single-turn requests).
    pub turn_index: u32,
    /// `phase_name`.
    pub phase_name: &'a str,
    /// Whether the phase is excluded from results (`benchmark_phase` = "warmup").
    pub excluded: bool,
    /// Maps monotonic stamps to epoch ns.
    pub anchor: &'a WallAnchor,
    /// The `--goodput` verdict on this request, when the run has objectives.
    pub goodput: Option<&'a Goodput>,
}

/// Writing into a `Vec<u8>` cannot fail; this keeps the call sites free of dead error paths.
fn json<T: serde::Serialize + ?Sized>(buf: &mut Vec<u8>, value: &T) {
    let _ = serde_json::to_writer(&mut *buf, value);
}

fn key(buf: &mut Vec<u8>, first: &mut bool, name: &str) {
    if !*first {
        buf.push(b',');
    }
    *first = false;
    buf.push(b'"');
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
}

/// Appends the JSONL line (with its newline) for one request to `buf`.
pub fn write_line(
    buf: &mut Vec<u8>,
    record: &RequestRecord,
    metrics: &RequestMetrics,
    meta: &LineMeta,
) {
    let anchor = meta.anchor;
    buf.extend_from_slice(b"{\"metadata\":{");
    let mut first = true;
    key(buf, &mut first, "session_num");
    json(buf, &record.request_index);
    key(buf, &mut first, "conversation_id");
    json(buf, meta.session_id);
    key(buf, &mut first, "turn_index");
    json(buf, &meta.turn_index);
    key(buf, &mut first, "credit_issued_ns");
    json(buf, &anchor.to_epoch_ns(record.scheduled_ns));
    key(buf, &mut first, "request_start_ns");
    json(buf, &anchor.to_epoch_ns(record.sent_ns));
    if record.first_byte_ns > 0 {
        key(buf, &mut first, "request_ack_ns");
        json(buf, &anchor.to_epoch_ns(record.first_byte_ns));
    }
    key(buf, &mut first, "request_end_ns");
    json(buf, &anchor.to_epoch_ns(record.done_ns));
    key(buf, &mut first, "benchmark_phase");
    json(buf, if meta.excluded { "warmup" } else { "profiling" });
    key(buf, &mut first, "phase_index");
    json(buf, &record.phase_index);
    key(buf, &mut first, "phase_name");
    json(buf, meta.phase_name);
    key(buf, &mut first, "was_cancelled");
    json(buf, &(metrics.status() == RequestStatus::Cancelled));
    if record.in_ramp {
        // Only on the requests a ramp released, so runs without ramps keep AIPerf's layout.
        key(buf, &mut first, "in_ramp");
        buf.extend_from_slice(b"true");
    }
    buf.extend_from_slice(b"},\"metrics\":{");
    let mut first = true;
    for metric in RecordMetric::ALL {
        let spec = metric.spec();
        if metric == RecordMetric::InterChunkLatency {
            let gaps = metrics.inter_chunk_ns();
            if gaps.is_empty() {
                continue;
            }
            key(buf, &mut first, spec.tag);
            buf.extend_from_slice(b"{\"value\":[");
            for (i, &gap) in gaps.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                json(buf, &spec.display(gap as f64));
            }
            buf.push(b']');
        } else {
            let Some(raw) = metrics.get(metric) else {
                continue;
            };
            key(buf, &mut first, spec.tag);
            buf.extend_from_slice(b"{\"value\":");
            if spec.integer && raw >= 0.0 && raw.fract() == 0.0 {
                json(buf, &(raw as u64));
            } else {
                json(buf, &spec.display(raw));
            }
        }
        buf.extend_from_slice(b",\"unit\":");
        json(buf, spec.unit);
        buf.push(b'}');
    }
    buf.push(b'}');
    if let Some(goodput) = meta.goodput {
        buf.extend_from_slice(b",\"goodput\":{\"good\":");
        json(buf, &goodput.good());
        buf.extend_from_slice(b",\"missed\":[");
        for (i, metric) in goodput.missed().iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            json(buf, metric.spec().tag);
        }
        buf.extend_from_slice(b"]}");
    }
    if let Some(error) = metrics.error() {
        buf.extend_from_slice(b",\"error\":{\"code\":");
        json(buf, &error.code);
        buf.extend_from_slice(b",\"type\":");
        json(buf, error.kind.as_str());
        buf.extend_from_slice(b",\"message\":");
        json(buf, error.message.as_str());
        buf.push(b'}');
    }
    buf.extend_from_slice(b"}\n");
}

/// Writes `buf` to `out` and clears it, keeping its capacity.
pub fn flush_line(out: &mut dyn Write, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let result = out.write_all(buf);
    buf.clear();
    result
}
