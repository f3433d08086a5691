//! The record processor: one thread's worth of work per finished request — derive its metrics,
//! add the profiling ones to the statistics, and stream one JSONL line for every request.
//!
//! Accounting counts every phase (warmup included): the invariant
//! `scheduled = completed + failed + cancelled + not_sent` is about the whole schedule, so the
//! caller's [`RunTotals::scheduled`] and `not_sent` must cover every phase too. The statistics
//! and the error summary use profiling phases only.

use std::io::{BufWriter, Write};

use super::aggregate::Aggregator;
use super::derive::{DeriveContext, RequestMetrics, RequestStatus};
use super::goodput::Goodput;
use super::jsonl::{flush_line, write_line, LineMeta};
use super::redact::Redactor;
use super::summary::{Accounting, Summary};
use super::timeslice::TimeSlices;
use crate::clock::WallAnchor;
use crate::config::EndpointType;
use crate::engine::record::RequestRecord;

/// What the processor needs to know about the run.
pub struct ProcessorContext {
    /// The API flavour.
    pub endpoint: EndpointType,
    /// Whether responses are SSE streams.
    pub streaming: bool,
    /// Name of each phase, by `RequestRecord::phase_index`.
    pub phase_names: Vec<String>,
    /// Whether each phase is left out of the statistics (warmup).
    pub excluded_phases: Vec<bool>,
    /// Maps monotonic stamps to epoch ns for the JSONL.
    pub anchor: WallAnchor,
    /// The run's secrets, taken out of every error before it is stored or counted.
    pub redactor: Redactor,
    /// Where a template or raw run's reply text is (`None` for the other types).
    pub reply_field: Option<super::template_reply::ReplyField>,
}

/// What only the engine knows at the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunTotals {
    /// Requests released by the schedule, all phases.
    pub scheduled: u64,
    /// Requests released but never sent, all phases.
    pub not_sent: u64,
    /// Whether the run was stopped early (Ctrl-C, server gone).
    pub was_cancelled: bool,
}

/// Turns records into statistics and JSONL lines; owned by one thread.
pub struct RecordProcessor {
    ctx: ProcessorContext,
    jsonl: Option<BufWriter<Box<dyn Write + Send>>>,
    /// The first JSONL write that failed; no line is written after it.
    jsonl_error: Option<std::io::Error>,
    count_tokens: Box<dyn Fn(&str) -> u32 + Send>,
    metrics: RequestMetrics,
    aggregator: Aggregator,
    line: Vec<u8>,
    completed: u64,
    failed: u64,
    cancelled: u64,
    malformed_events: u64,
    /// `--goodput`'s objectives, when given.
    goodput: Option<Goodput>,
    /// `--slice-duration`'s slices, when asked for.
    slices: Option<TimeSlices>,
}

impl RecordProcessor {
    /// A processor writing JSONL to `jsonl` (buffered here) when given, counting output tokens
    /// with `count_tokens` when a response carries no usage.
    pub fn new(
        ctx: ProcessorContext,
        jsonl: Option<Box<dyn Write + Send>>,
        count_tokens: Box<dyn Fn(&str) -> u32 + Send>,
    ) -> Self {
        let aggregator = Aggregator::new(ctx.endpoint.produces_tokens());
        Self {
            ctx,
            jsonl: jsonl.map(|w| BufWriter::with_capacity(1 << 16, w)),
            jsonl_error: None,
            count_tokens,
            metrics: RequestMetrics::new(),
            aggregator,
            line: Vec::with_capacity(4096),
            completed: 0,
            failed: 0,
            cancelled: 0,
            malformed_events: 0,
            goodput: None,
            slices: None,
        }
    }

    /// Also aggregates the profiling requests per time slice ([`Summary::time_slices`]).
    pub fn with_time_slices(mut self, mut slices: TimeSlices) -> Self {
        if self.goodput.is_some() {
            slices.enable_goodput();
        }
        self.slices = Some(slices);
        self
    }

    /// Judges every request against `goodput`'s objectives: the JSONL says which each missed,
    /// and the summary gains the good request count, goodput and the good fraction.
    pub fn with_goodput(mut self, goodput: Goodput) -> Self {
        self.aggregator.enable_goodput();
        if let Some(slices) = &mut self.slices {
            slices.enable_goodput();
        }
        self.goodput = Some(goodput);
        self
    }

    /// Output tokens of the request processed last (server-reported or counted).
    pub fn last_output_tokens(&self) -> Option<f64> {
        self.metrics
            .get(crate::metrics::catalog::RecordMetric::OutputSequenceLength)
    }

    /// The derived metrics of the request processed last (for the live figures).
    pub fn last_metrics(&self) -> &RequestMetrics {
        &self.metrics
    }

    /// How the request processed last ended, as the statistics count it (a 2xx response
    /// carrying an error event is a failure).
    pub fn last_status(&self) -> RequestStatus {
        self.metrics.status()
    }

    /// Processes one finished request; `input_tokens` is its exact prompt length,
    /// `requested_osl` the `max_tokens` it asked for (if any), `session_id` its conversation id
    /// and `turn_index` its place in it. A failed JSONL write (a full disk) stops the JSONL,
    /// not the statistics: [`RecordProcessor::finish`] reports it.
    pub fn process(
        &mut self,
        record: &RequestRecord,
        input_tokens: u32,
        requested_osl: Option<u32>,
        session_id: &str,
        turn_index: u32,
    ) {
        let derive_ctx = DeriveContext {
            endpoint: self.ctx.endpoint,
            streaming: self.ctx.streaming,
            count_tokens: &*self.count_tokens,
            redactor: &self.ctx.redactor,
            reply_field: self.ctx.reply_field.as_ref(),
        };
        self.metrics.derive(record, input_tokens, &derive_ctx);
        self.metrics.compare_osl(requested_osl);
        match self.metrics.status() {
            RequestStatus::Success => {
                self.completed += 1;
                self.malformed_events += u64::from(self.metrics.malformed_events());
            }
            RequestStatus::Failed => self.failed += 1,
            RequestStatus::Cancelled => self.cancelled += 1,
        }
        let phase = usize::from(record.phase_index);
        let excluded = self
            .ctx
            .excluded_phases
            .get(phase)
            .copied()
            .unwrap_or(false);
        let good = match &mut self.goodput {
            Some(goodput) => goodput.judge(&self.metrics),
            None => false,
        };
        if !excluded {
            self.aggregator.add(record, &self.metrics);
            if good {
                self.aggregator.add_good();
            }
            if let Some(slices) = &mut self.slices {
                slices.add(record, &self.metrics, good);
            }
        }
        if let Some(out) = &mut self.jsonl {
            let meta = LineMeta {
                session_id,
                turn_index,
                phase_name: self
                    .ctx
                    .phase_names
                    .get(phase)
                    .map_or("unknown", String::as_str),
                excluded,
                anchor: &self.ctx.anchor,
                goodput: self.goodput.as_ref(),
            };
            write_line(&mut self.line, record, &self.metrics, &meta);
            let written = flush_line(out, &mut self.line);
            self.keep_jsonl_error(written);
        }
    }

    /// Remembers the first failed JSONL write and stops writing after it.
    fn keep_jsonl_error(&mut self, result: std::io::Result<()>) {
        if let Err(e) = result {
            self.jsonl = None;
            self.jsonl_error.get_or_insert(e);
        }
    }

    /// Hands the JSONL lines buffered so far to the file (the caller does it about once a
    /// second, so a killed process loses at most the last second of lines).
    pub fn flush_jsonl(&mut self) {
        if let Some(out) = &mut self.jsonl {
            let flushed = out.flush();
            self.keep_jsonl_error(flushed);
        }
    }

    /// The profiling requests' aggregate state, for a worker's `worker_histograms.json`.
    pub fn snapshot(&self, to_epoch_ns: impl Fn(u64) -> u64) -> super::AggregatorSnapshot {
        self.aggregator.snapshot(to_epoch_ns)
    }

    /// Flushes the JSONL and returns the run's summary, and the first JSONL write that
    /// failed, if one did (the JSONL then stops at the line before it).
    pub fn finish(mut self, totals: RunTotals) -> (Summary, Option<std::io::Error>) {
        self.flush_jsonl();
        let summary = Summary {
            metrics: self.aggregator.metric_summaries(),
            aggregates: self.aggregator.aggregates(),
            errors: self.aggregator.error_summary(),
            accounting: Accounting {
                scheduled: totals.scheduled,
                completed: self.completed,
                failed: self.failed,
                cancelled: self.cancelled,
                not_sent: totals.not_sent,
                malformed_events: self.malformed_events,
            },
            was_cancelled: totals.was_cancelled,
            time_slices: self.slices.map(TimeSlices::finish).unwrap_or_default(),
        };
        (summary, self.jsonl_error)
    }
}

#[cfg(test)]
#[path = "processor_tests.rs"]
mod tests;
