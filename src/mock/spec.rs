//! Pretend speculative decoding: per-request acceptance picked by a keyword in the request, and
//! the vLLM/SGLang spec-decode metrics that follow from it, so SPEED-Bench's acceptance matrix
//! can be tested end to end without a GPU.
//!
//! The rule, kept exactly computable: each target-model step drafts `draft_tokens` (k) tokens
//! and accepts `A = round(rate × k)` of them, then adds one bonus token, so a step yields
//! `A + 1` tokens. A response of `N` tokens takes `N / (A + 1)` full steps; a remainder `r > 0`
//! is one more step that accepts `r − 1`. So when `A + 1` divides `N`,
//! acceptance length = 1 + Δaccepted / Δdrafts = `A + 1` and acceptance rate =
//! Δaccepted / Δdraft_tokens = `A / k`, exactly.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Most draft tokens per step the mock models (per-position counters are a fixed array).
pub const MAX_DRAFT_TOKENS: u32 = 16;

/// Speculative decoding as the mock fakes it; `MockConfig::spec_decode`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecDecodeConfig {
    /// Draft tokens proposed per step (k), 1 to [`MAX_DRAFT_TOKENS`].
    pub draft_tokens: u32,
    /// Acceptance rate (0 to 1) of requests that contain none of the keywords.
    pub default_acceptance: f64,
    /// `(keyword, acceptance rate)`: the first keyword (in this order) found anywhere in the
    /// raw request body picks the rate. Plain ASCII words work best, since the body is JSON.
    pub by_keyword: Vec<(String, f64)>,
}

impl Default for SpecDecodeConfig {
    fn default() -> Self {
        Self {
            draft_tokens: 4,
            default_acceptance: 0.5,
            by_keyword: Vec::new(),
        }
    }
}

impl SpecDecodeConfig {
    /// `draft_tokens` clamped to what the mock models.
    pub fn k(&self) -> u32 {
        self.draft_tokens.clamp(1, MAX_DRAFT_TOKENS)
    }

    /// The acceptance rate that applies to a request body.
    pub fn rate_for(&self, body: &[u8]) -> f64 {
        self.by_keyword
            .iter()
            .find(|(keyword, _)| {
                !keyword.is_empty() && memchr::memmem::find(body, keyword.as_bytes()).is_some()
            })
            .map_or(self.default_acceptance, |(_, rate)| *rate)
    }

    /// Draft tokens accepted per step for a request body: `round(rate × k)`, within 0..=k.
    pub fn accepted_per_step(&self, body: &[u8]) -> u32 {
        let k = self.k();
        let rate = self.rate_for(body);
        if !rate.is_finite() || rate <= 0.0 {
            return 0;
        }
        ((rate.min(1.0) * f64::from(k)).round() as u32).min(k)
    }
}

/// What one response adds to the spec-decode counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StepCounts {
    /// Target-model steps that verified a draft.
    pub drafts: u64,
    /// Tokens drafted (k per step).
    pub draft_tokens: u64,
    /// Draft tokens accepted.
    pub accepted: u64,
    /// Full steps (each accepts positions 0..A).
    pub full_steps: u64,
    /// Positions accepted by the last, partial step (0 when none).
    pub partial_accepted: u64,
}

/// The bookkeeping of one response of `tokens` tokens at `accepted_per_step` of `k`.
pub(crate) fn step_counts(tokens: u64, k: u32, accepted_per_step: u32) -> StepCounts {
    let per_step = u64::from(accepted_per_step) + 1;
    let full_steps = tokens / per_step;
    let rem = tokens % per_step;
    let drafts = full_steps + u64::from(rem > 0);
    StepCounts {
        drafts,
        draft_tokens: drafts * u64::from(k),
        accepted: tokens - drafts,
        full_steps,
        partial_accepted: rem.saturating_sub(1),
    }
}

/// The spec-decode counters of one mock server (all relaxed atomics, like `MockStats`).
#[derive(Debug, Default)]
pub(crate) struct SpecStats {
    drafts: AtomicU64,
    draft_tokens: AtomicU64,
    accepted: AtomicU64,
    per_position: [AtomicU64; MAX_DRAFT_TOKENS as usize],
    /// The latest response's acceptance length and rate (f64 bits): SGLang's gauges.
    last_length: AtomicU64,
    last_rate: AtomicU64,
}

impl SpecStats {
    /// Adds one response of `tokens` tokens.
    pub(crate) fn record(&self, tokens: u64, k: u32, accepted_per_step: u32) {
        if tokens == 0 {
            return;
        }
        let c = step_counts(tokens, k, accepted_per_step);
        self.drafts.fetch_add(c.drafts, Relaxed);
        self.draft_tokens.fetch_add(c.draft_tokens, Relaxed);
        self.accepted.fetch_add(c.accepted, Relaxed);
        for (pos, counter) in self.per_position.iter().enumerate() {
            let pos = pos as u64;
            let n = c.full_steps * u64::from(pos < u64::from(accepted_per_step))
                + u64::from(pos < c.partial_accepted);
            if n > 0 {
                counter.fetch_add(n, Relaxed);
            }
        }
        let length = 1.0 + c.accepted as f64 / c.drafts as f64;
        let rate = c.accepted as f64 / c.draft_tokens as f64;
        self.last_length.store(length.to_bits(), Relaxed);
        self.last_rate.store(rate.to_bits(), Relaxed);
    }

    /// `(drafts, draft_tokens, accepted)` so far.
    pub(crate) fn totals(&self) -> (u64, u64, u64) {
        (
            self.drafts.load(Relaxed),
            self.draft_tokens.load(Relaxed),
            self.accepted.load(Relaxed),
        )
    }

    /// Appends vLLM's spec-decode counters and SGLang's acceptance gauges; `m` is the escaped
    /// `model_name="…"` label.
    pub(crate) fn render(&self, out: &mut String, m: &str, k: u32) {
        let (drafts, draft_tokens, accepted) = self.totals();
        for (name, help, value) in [
            (
                "vllm:spec_decode_num_drafts",
                "Number of spec decoding drafts.",
                drafts,
            ),
            (
                "vllm:spec_decode_num_draft_tokens",
                "Number of draft tokens.",
                draft_tokens,
            ),
            (
                "vllm:spec_decode_num_accepted_tokens",
                "Number of accepted tokens.",
                accepted,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name}_total {help}\n# TYPE {name}_total counter\n{name}_total{{{m}}} {value}"
            );
        }
        let name = "vllm:spec_decode_num_accepted_tokens_per_pos_total";
        let _ = writeln!(
            out,
            "# HELP {name} Accepted tokens per draft position.\n# TYPE {name} counter"
        );
        for (pos, counter) in self.per_position.iter().take(k as usize).enumerate() {
            let _ = writeln!(
                out,
                "{name}{{{m},position=\"{pos}\"}} {}",
                counter.load(Relaxed)
            );
        }
        for (name, help, bits) in [
            (
                "sglang:spec_accept_length",
                "The average acceptance length of speculative decoding (latest response).",
                &self.last_length,
            ),
            (
                "sglang:spec_accept_rate",
                "The average acceptance rate of speculative decoding (latest response).",
                &self.last_rate,
            ),
        ] {
            let value = f64::from_bits(bits.load(Relaxed));
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{{{m}}} {value}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_pick_the_rate_in_order_and_round_to_whole_tokens() {
        let c = SpecDecodeConfig {
            draft_tokens: 4,
            default_acceptance: 0.5,
            by_keyword: vec![("coding".into(), 0.75), ("math".into(), 0.26)],
        };
        assert_eq!(c.rate_for(b"{\"content\":\"a coding task\"}"), 0.75);
        assert_eq!(c.accepted_per_step(b"coding"), 3);
        assert_eq!(c.accepted_per_step(b"math coding"), 3);
        assert_eq!(c.accepted_per_step(b"math"), 1);
        assert_eq!(c.accepted_per_step(b"other"), 2);
        let wild = SpecDecodeConfig {
            draft_tokens: 99,
            default_acceptance: f64::NAN,
            by_keyword: vec![("x".into(), 7.0)],
        };
        assert_eq!(wild.k(), MAX_DRAFT_TOKENS);
        assert_eq!(wild.accepted_per_step(b"y"), 0);
        assert_eq!(wild.accepted_per_step(b"x"), MAX_DRAFT_TOKENS);
    }

    #[test]
    fn whole_steps_give_the_configured_acceptance_exactly() {
        let c = step_counts(60, 4, 3);
        assert_eq!((c.drafts, c.draft_tokens, c.accepted), (15, 60, 45));
        assert_eq!(1.0 + c.accepted as f64 / c.drafts as f64, 4.0);
        assert_eq!(c.accepted as f64 / c.draft_tokens as f64, 0.75);
        // 10 = 2 full steps of 4 + a partial step of 2 (one accepted).
        let c = step_counts(10, 4, 3);
        assert_eq!((c.drafts, c.accepted, c.partial_accepted), (3, 7, 1));
        let none = step_counts(5, 4, 0);
        assert_eq!((none.drafts, none.accepted), (5, 0));
    }

    #[test]
    fn counters_and_gauges_render_and_parse() {
        let s = SpecStats::default();
        s.record(60, 4, 3);
        s.record(10, 4, 3);
        assert_eq!(s.totals(), (18, 72, 52));
        let mut text = String::new();
        s.render(&mut text, "model_name=\"m\"", 4);
        assert!(text.contains("vllm:spec_decode_num_drafts_total{model_name=\"m\"} 18\n"));
        assert!(text.contains("vllm:spec_decode_num_accepted_tokens_total{model_name=\"m\"} 52\n"));
        // Positions 0..3 accepted in each of the 17 full steps; the partial step adds pos 0.
        assert!(text.contains(
            "vllm:spec_decode_num_accepted_tokens_per_pos_total{model_name=\"m\",position=\"0\"} 18\n"
        ));
        assert!(text.contains(
            "vllm:spec_decode_num_accepted_tokens_per_pos_total{model_name=\"m\",position=\"2\"} 17\n"
        ));
        assert!(text.contains(
            "vllm:spec_decode_num_accepted_tokens_per_pos_total{model_name=\"m\",position=\"3\"} 0\n"
        ));
        // The latest response: 10 tokens in 3 drafts.
        let expected = 1.0 + 7.0 / 3.0;
        assert!(text.contains(&format!(
            "sglang:spec_accept_length{{model_name=\"m\"}} {expected}\n"
        )));
        let expo = crate::telemetry::expo::parse(&text).unwrap();
        assert!(expo.samples.len() >= 8);
    }
}
