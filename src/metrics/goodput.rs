//! `--goodput`: whether each request met every service level objective, decided on the record
//! processor thread right after its metrics are derived.
//!
//! A request is good when it succeeded and every objective holds: a metric where larger is
//! better (throughputs, token counts) must be at least its threshold, any other at most. A
//! failed or cancelled request is never good, and a metric the request does not have (TTFT of
//! a non-streaming reply) counts as missed: nothing shows it was met.

use super::catalog::RecordMetric;
use super::derive::{RequestMetrics, RequestStatus};
use crate::config::Slo;

/// A `--goodput` tag that is not a per-request metric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{tag}' is not a per-request metric tag (known: {known})")]
pub struct GoodputError {
    /// The tag as given.
    pub tag: String,
    /// Every per-request tag, comma separated.
    pub known: String,
}

/// One objective with its threshold in the metric's raw unit (ns, tokens, …).
#[derive(Debug, Clone, Copy)]
struct Objective {
    metric: RecordMetric,
    raw_threshold: f64,
    larger_is_better: bool,
}

/// The objectives of a run and the verdict on the request judged last.
#[derive(Debug, Clone)]
pub struct Goodput {
    objectives: Vec<Objective>,
    missed: Vec<RecordMetric>,
    good: bool,
}

impl Goodput {
    /// Checks every tag against the per-request metrics and converts the thresholds from the
    /// exported unit (ms) to the raw one (ns).
    pub fn new(slos: &[Slo]) -> Result<Self, GoodputError> {
        let objectives = slos
            .iter()
            .map(|slo| {
                let metric = RecordMetric::ALL
                    .into_iter()
                    .find(|m| m.spec().tag == slo.tag)
                    .ok_or_else(|| GoodputError {
                        tag: slo.tag.clone(),
                        known: RecordMetric::ALL
                            .iter()
                            .map(|m| m.spec().tag)
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
                let spec = metric.spec();
                Ok(Objective {
                    metric,
                    raw_threshold: slo.threshold * spec.scale,
                    larger_is_better: spec.larger_is_better,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let missed = Vec::with_capacity(objectives.len());
        Ok(Self {
            objectives,
            missed,
            good: false,
        })
    }

    /// Judges one request; [`Goodput::missed`] then lists the objectives it missed (none for a
    /// failed request, which is not good whatever its numbers).
    pub fn judge(&mut self, metrics: &RequestMetrics) -> bool {
        self.missed.clear();
        if metrics.status() != RequestStatus::Success {
            self.good = false;
            return false;
        }
        for o in &self.objectives {
            let value = if o.metric == RecordMetric::InterChunkLatency {
                // Several gaps per request: every one must meet it.
                metrics.inter_chunk_ns().iter().max().map(|&g| g as f64)
            } else {
                metrics.get(o.metric)
            };
            let met = value.is_some_and(|v| {
                if o.larger_is_better {
                    v >= o.raw_threshold
                } else {
                    v <= o.raw_threshold
                }
            });
            if !met {
                self.missed.push(o.metric);
            }
        }
        self.good = self.missed.is_empty();
        self.good
    }

    /// Whether the request judged last was good.
    pub fn good(&self) -> bool {
        self.good
    }

    /// The objectives the request judged last missed, in the order given.
    pub fn missed(&self) -> &[RecordMetric] {
        &self.missed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_goodput, EndpointType};
    use crate::engine::record::{Outcome, RequestRecord};
    use crate::metrics::derive::DeriveContext;

    /// A streamed reply: sent at 1 s, first token 80 ms later, done at `latency_ms`, 5 tokens.
    fn metrics(latency_ms: u64, outcome: Outcome) -> RequestMetrics {
        let sent = 1_000_000_000;
        let mut r = RequestRecord {
            scheduled_ns: sent,
            sent_ns: sent,
            first_byte_ns: sent + 1_000,
            done_ns: sent + latency_ms * 1_000_000,
            status: 200,
            outcome,
            ..RequestRecord::default()
        };
        r.push_event(
            br#"{"choices":[{"delta":{"content":"a"}}]}"#,
            sent + 80_000_000,
        );
        r.push_event(
            br#"{"choices":[{"delta":{"content":"b"}}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#,
            sent + latency_ms * 1_000_000,
        );
        let count = |s: &str| s.split_whitespace().count() as u32;
        let ctx = DeriveContext {
            endpoint: EndpointType::Chat,
            streaming: true,
            count_tokens: &count,
            redactor: &crate::metrics::redact::NO_SECRETS,
            reply_field: None,
        };
        let mut m = RequestMetrics::new();
        m.derive(&r, 10, &ctx);
        m
    }

    fn goodput(text: &str) -> Goodput {
        Goodput::new(&parse_goodput(text).unwrap()).unwrap()
    }

    #[test]
    fn smaller_is_better_metrics_must_be_at_most_the_threshold() {
        // TTFT 80 ms, latency 200 ms, ITL (200 - 80) / 4 = 30 ms.
        let m = metrics(200, Outcome::Success);
        assert!(goodput("time_to_first_token:80 request_latency:200").judge(&m));
        let mut g = goodput("time_to_first_token:79.9 request_latency:250 inter_token_latency:29");
        assert!(!g.judge(&m));
        assert_eq!(
            g.missed(),
            [
                RecordMetric::TimeToFirstToken,
                RecordMetric::InterTokenLatency
            ]
        );
    }

    #[test]
    fn larger_is_better_metrics_must_be_at_least_the_threshold() {
        // 1 / 30 ms = 33.3 tokens/s per user.
        let m = metrics(200, Outcome::Success);
        assert!(goodput("output_token_throughput_per_user:33").judge(&m));
        let mut g = goodput("output_token_throughput_per_user:34");
        assert!(!g.judge(&m));
        assert_eq!(g.missed(), [RecordMetric::OutputTokenThroughputPerUser]);
    }

    #[test]
    fn inter_chunk_latency_holds_for_every_gap() {
        // One gap of 120 ms.
        let m = metrics(200, Outcome::Success);
        assert!(goodput("inter_chunk_latency:120").judge(&m));
        assert!(!goodput("inter_chunk_latency:119").judge(&m));
    }

    #[test]
    fn failed_requests_and_missing_metrics_are_not_good() {
        let failed = metrics(10, Outcome::Transport);
        let mut g = goodput("request_latency:1000");
        assert!(!g.judge(&failed));
        assert!(g.missed().is_empty());
        // No images in a chat reply: the objective is missed, not waved through.
        let m = metrics(200, Outcome::Success);
        assert!(!goodput("num_images:0").judge(&m));
    }

    #[test]
    fn unknown_tags_are_refused_with_the_known_ones() {
        let e = Goodput::new(&parse_goodput("ttft:5").unwrap()).unwrap_err();
        assert_eq!(e.tag, "ttft");
        let text = e.to_string();
        assert!(
            text.contains("'ttft' is not a per-request metric tag"),
            "{text}"
        );
        assert!(text.contains("time_to_first_token"), "{text}");
    }
}
