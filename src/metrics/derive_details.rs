//! [`RequestMetrics`]'s figures beyond timing and token counts: the usage details, the
//! reasoning tokens, and the output length against the one the request asked for.

use super::super::catalog::RecordMetric;
use super::{
    push_unescaped, reasoning_of, DeriveContext, RequestMetrics, RequestStatus, Scan,
    OSL_MISMATCH_MAX_TOKENS, OSL_MISMATCH_PCT,
};
use crate::engine::api_reply::Api;
use crate::engine::record::RequestRecord;
use crate::json_scan::is_json_object;

impl RequestMetrics {
    /// Compares a successful request's output length with the `max_tokens` it asked for
    /// (`osl_mismatch_diff_pct`); off by more than [`OSL_MISMATCH_PCT`] % of it or
    /// [`OSL_MISMATCH_MAX_TOKENS`] tokens, whichever is smaller, it is a mismatch.
    pub fn compare_osl(&mut self, requested: Option<u32>) {
        self.osl_mismatched = None;
        self.values[RecordMetric::OslMismatchDiffPct as usize] = None;
        let Some(requested) = requested.filter(|&r| r > 0).map(f64::from) else {
            return;
        };
        let Some(osl) = self.get(RecordMetric::OutputSequenceLength) else {
            return;
        };
        if self.status != RequestStatus::Success {
            return;
        }
        let diff = osl - requested;
        self.set(RecordMetric::OslMismatchDiffPct, diff / requested * 100.0);
        let tolerance = (requested * OSL_MISMATCH_PCT / 100.0).min(OSL_MISMATCH_MAX_TOKENS);
        self.osl_mismatched = Some(diff.abs() > tolerance);
    }

    /// The usage details, and the reasoning tokens: the server's count when it sent one, else
    /// the reasoning text counted with the run's tokenizer (only when there was some).
    pub(super) fn derive_details(
        &mut self,
        record: &RequestRecord,
        scan: &Scan,
        ctx: &DeriveContext,
    ) {
        use RecordMetric as M;
        let d = scan.details;
        for (metric, value) in [
            (M::UsageReasoningTokens, d.reasoning),
            (M::UsagePromptCacheReadTokens, d.cache_read),
            (M::UsagePromptAudioTokens, d.prompt_audio),
            (M::UsageCompletionAudioTokens, d.completion_audio),
        ] {
            if let Some(n) = value {
                self.set(metric, n as f64);
            }
        }
        let reasoning = match d.reasoning {
            Some(n) => Some(n as f64),
            None if scan.reasoning_seen && ctx.reply_field.is_none() => {
                self.collect_reasoning_text(record, Api::of(ctx.endpoint));
                Some(f64::from((ctx.count_tokens)(&self.text)))
            }
            None => None,
        };
        if let Some(n) = reasoning {
            self.set(M::ReasoningTokenCount, n);
        }
    }

    /// The unescaped reasoning text of every event (what is not output).
    fn collect_reasoning_text(&mut self, record: &RequestRecord, api: Option<Api>) {
        self.text.clear();
        let text = &mut self.text;
        let mut push = |is_output: bool, raw: &[u8]| {
            if !is_output {
                push_unescaped(text, raw);
            }
        };
        let mut read = |payload: &[u8]| match api {
            Some(api) => api.each_text(payload, &mut push),
            None => {
                if let Some(raw) = reasoning_of(payload) {
                    push(false, raw);
                }
            }
        };
        if record.events.is_empty() {
            read(&record.body);
            return;
        }
        for (payload, _) in record.event_payloads() {
            if is_json_object(payload) {
                read(payload);
            }
        }
    }
}
