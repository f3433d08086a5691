//! [`RequestMetrics`]'s scan of a template or raw run's replies: each event (or the whole
//! body) read with the run's [`ReplyField`], its text collected for counting when the
//! server sends no usage.

use super::super::template_reply::ReplyField;
use super::{read_usage, DeriveContext, RequestMetrics, Scan, ERROR};
use crate::engine::record::RequestRecord;
use crate::json_scan::{is_json_object, value_kind, ValueKind};

impl RequestMetrics {
    /// [`RequestMetrics::scan_events`] for a template or raw run.
    pub(super) fn scan_reply_field(
        &mut self,
        record: &RequestRecord,
        ctx: &DeriveContext,
        field: &ReplyField,
    ) -> Scan {
        let mut scan = Scan::default();
        let mut prev_ns: Option<u64> = None;
        // A non-streaming response is one "event": the whole body, arriving at the end.
        for (payload, ts_ns) in record.reply_payloads() {
            scan.events += 1;
            let facts = field.read(payload, &mut self.text);
            if !facts.promised {
                if ERROR
                    .find(payload)
                    .is_some_and(|e| value_kind(e) != ValueKind::Null)
                {
                    self.fill_error_event(payload, ctx.redactor);
                    return scan;
                }
                if serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_err() {
                    scan.malformed += 1;
                    continue;
                }
            }
            scan.promised |= facts.promised;
            if facts.has_text {
                if scan.first_ns.is_none() {
                    scan.first_ns = Some(ts_ns);
                    scan.first_output_ns = Some(ts_ns);
                } else if scan.second_ns.is_none() {
                    scan.second_ns = Some(ts_ns);
                }
                if let (Some(prev), true) = (prev_ns, ctx.streaming) {
                    self.inter_chunk_ns.push(ts_ns.saturating_sub(prev));
                }
                prev_ns = Some(ts_ns);
            }
            if is_json_object(payload) {
                read_usage(payload, &mut scan);
            }
        }
        scan
    }
}
