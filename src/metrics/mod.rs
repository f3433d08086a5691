//! Records → derived per-request metrics → aggregated statistics.
//!
//! The flow: the engine fills a [`crate::engine::record::RequestRecord`] per request; the
//! [`processor::RecordProcessor`] (one thread, off the hot path) derives
//! [`derive::RequestMetrics`] from it, streams a `profile_export.jsonl` line, and feeds the
//! profiling-phase requests to an [`aggregate::Aggregator`]; at the end it returns a
//! [`summary::Summary`] that every report is rendered from. Metric names and units come from
//! [`catalog`], which mirrors AIPerf's registry.

pub mod aggregate;
pub mod catalog;
pub mod confidence;
pub mod derive;
pub mod goodput;
pub mod jsonl;
mod kinds;
pub mod live;
#[cfg(test)]
pub(crate) mod numpy_reference_tests;
pub mod processor;
pub mod redact;
pub mod stats;
pub mod summary;
pub mod template_reply;
pub mod timeslice;
mod usage_details;

pub use aggregate::{Aggregator, AggregatorSnapshot};
pub use catalog::{AggregateMetric, MetricKind, MetricSpec, RecordMetric};
pub use derive::{DeriveContext, ErrorInfo, RequestMetrics, RequestStatus};
pub use processor::{ProcessorContext, RecordProcessor, RunTotals};
pub use redact::Redactor;
pub use stats::{Accumulator, Stats};
pub use summary::{Accounting, AggregateValue, ErrorCount, MetricSummary, Summary};
