//! An [`Aggregator`]'s state as data, so that `gauntlet merge` can combine workers without
//! their per-request JSONL: every count and sum as it is (they add exactly), each metric's
//! running sums ([`Moments`]) and histogram buckets (percentiles then carry the histogram's
//! error, [`HDR_RELATIVE_ERROR`]). Stamps are epoch ns, so workers line up on the wall clock.

use std::collections::BTreeMap;

use super::{Aggregator, ErrorInfo, RecordMetric, SUMS};
use crate::metrics::stats::{Moments, HDR_RELATIVE_ERROR, HDR_SCALE, HDR_SIGNIFICANT_DIGITS};

/// One aggregator's state (`worker_histograms.json` in a worker's folder).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AggregatorSnapshot {
    /// Significant digits of the histograms.
    pub hdr_significant_digits: u8,
    /// Bucket values are `round(raw value × this)`.
    pub hdr_value_scale: f64,
    /// Relative error of a value read back from a bucket.
    pub hdr_relative_error: f64,
    /// Whether the endpoint produces output tokens.
    pub produces_tokens: bool,
    /// Successful profiling requests.
    pub succeeded: u64,
    /// Failed profiling requests.
    pub failed: u64,
    /// Cancelled profiling requests.
    pub cancelled: u64,
    /// First send, epoch ns (`None`: nothing was sent).
    pub first_sent_epoch_ns: Option<u64>,
    /// Last end, epoch ns.
    pub last_done_epoch_ns: u64,
    /// Sum of every sent request's time in flight, ns.
    pub busy_ns: u64,
    /// Sum of the input lengths.
    pub total_isl: f64,
    /// A success had no input length.
    pub isl_absent: bool,
    /// Sum of the output lengths.
    pub total_osl: f64,
    /// The summed token counts, in the aggregator's order.
    pub usage: Vec<Option<f64>>,
    /// Successes whose output length was compared with `max_tokens`.
    pub osl_checked: u64,
    /// Those that missed it.
    pub osl_mismatched: u64,
    /// Images in the replies (image generation).
    pub images: Option<f64>,
    /// Failures by error.
    pub errors: Vec<ErrorEntry>,
    /// Failures past the distinct errors kept.
    pub other_errors: u64,
    /// Good requests under `--goodput`.
    pub good: Option<u64>,
    /// Per metric tag, in raw units (ns for times).
    pub metrics: BTreeMap<String, MetricState>,
}

/// One error and how many requests failed with it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ErrorEntry {
    /// HTTP status, when known.
    pub code: Option<u16>,
    /// The kind of failure.
    pub kind: String,
    /// The message.
    pub message: String,
    /// Requests.
    pub count: u64,
}

/// One metric's values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricState {
    /// The exported unit (values here are raw: the exported value times `unit_scale`).
    pub unit: String,
    /// Raw units per exported unit.
    pub unit_scale: f64,
    /// Exact running sums.
    #[serde(flatten)]
    pub moments: Moments,
    /// `[bucket value, count]` in value order.
    pub buckets: Vec<(u64, u64)>,
}

impl Aggregator {
    /// The state of this aggregator; `to_epoch_ns` turns its monotonic stamps into epoch ns.
    pub fn snapshot(&self, to_epoch_ns: impl Fn(u64) -> u64) -> AggregatorSnapshot {
        let metrics = RecordMetric::ALL
            .iter()
            .filter_map(|&metric| {
                let acc = &self.accumulators[metric as usize];
                let spec = metric.spec();
                let state = MetricState {
                    unit: spec.unit.to_string(),
                    unit_scale: spec.scale,
                    moments: acc.moments()?,
                    buckets: acc.buckets(),
                };
                Some((spec.tag.to_string(), state))
            })
            .collect();
        let mut errors: Vec<ErrorEntry> = (self.errors.iter())
            .map(|(e, &count)| ErrorEntry {
                code: e.code,
                kind: e.kind.clone(),
                message: e.message.clone(),
                count,
            })
            .collect();
        errors.sort_by(|a, b| (&a.kind, &a.message, a.code).cmp(&(&b.kind, &b.message, b.code)));
        AggregatorSnapshot {
            hdr_significant_digits: HDR_SIGNIFICANT_DIGITS,
            hdr_value_scale: HDR_SCALE,
            hdr_relative_error: HDR_RELATIVE_ERROR,
            produces_tokens: self.produces_tokens,
            succeeded: self.succeeded,
            failed: self.failed,
            cancelled: self.cancelled,
            first_sent_epoch_ns: (self.first_sent_ns != u64::MAX)
                .then(|| to_epoch_ns(self.first_sent_ns)),
            last_done_epoch_ns: if self.last_done_ns > 0 {
                to_epoch_ns(self.last_done_ns)
            } else {
                0
            },
            busy_ns: u64::try_from(self.busy_ns).unwrap_or(u64::MAX),
            total_isl: self.total_isl,
            isl_absent: self.isl_absent,
            total_osl: self.total_osl,
            usage: self.usage.to_vec(),
            osl_checked: self.osl_checked,
            osl_mismatched: self.osl_mismatched,
            images: self.images,
            errors,
            other_errors: self.other_errors,
            good: self.good,
            metrics,
        }
    }

    /// Adds another aggregator's state (from [`Aggregator::snapshot`]); this aggregator's own
    /// stamps must be epoch ns too (an aggregator made for merging). The error names what in
    /// the snapshot does not fit.
    pub fn absorb(&mut self, other: &AggregatorSnapshot) -> Result<(), String> {
        if other.hdr_significant_digits != HDR_SIGNIFICANT_DIGITS
            || other.hdr_value_scale != HDR_SCALE
        {
            return Err(format!(
                "histograms of {} significant digits at scale {}, this gauntlet writes {} at {}",
                other.hdr_significant_digits,
                other.hdr_value_scale,
                HDR_SIGNIFICANT_DIGITS,
                HDR_SCALE
            ));
        }
        if other.usage.len() != SUMS.len() {
            return Err(format!(
                "usage has {} sums, expected {}",
                other.usage.len(),
                SUMS.len()
            ));
        }
        let mut states = Vec::with_capacity(other.metrics.len());
        for (tag, state) in &other.metrics {
            let metric = RecordMetric::ALL
                .iter()
                .find(|m| m.spec().tag == tag)
                .ok_or_else(|| format!("metrics.{tag}: not a metric this gauntlet knows"))?;
            states.push((*metric, state));
        }
        for (metric, state) in states {
            self.accumulators[metric as usize].absorb(state.moments, &state.buckets);
        }
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.cancelled += other.cancelled;
        if let Some(first) = other.first_sent_epoch_ns {
            self.first_sent_ns = self.first_sent_ns.min(first);
            self.last_done_ns = self.last_done_ns.max(other.last_done_epoch_ns);
        }
        self.busy_ns += u128::from(other.busy_ns);
        self.total_isl += other.total_isl;
        self.isl_absent |= other.isl_absent;
        self.total_osl += other.total_osl;
        for (total, theirs) in self.usage.iter_mut().zip(&other.usage) {
            if let Some(v) = theirs {
                *total = Some(total.unwrap_or(0.0) + v);
            }
        }
        self.osl_checked += other.osl_checked;
        self.osl_mismatched += other.osl_mismatched;
        if let Some(images) = other.images {
            self.images = Some(self.images.unwrap_or(0.0) + images);
        }
        for e in &other.errors {
            let error = ErrorInfo {
                code: e.code,
                kind: e.kind.clone(),
                message: e.message.clone(),
            };
            self.count_errors(error, e.count);
        }
        self.other_errors += other.other_errors;
        if let Some(good) = other.good {
            *self.good.get_or_insert(0) += good;
        }
        Ok(())
    }
}
