//! The mock server's knobs: timing model, SSE framing, output length and fault injection.

use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

pub use super::spec::SpecDecodeConfig;

/// Everything that shapes the mock server's answers.
///
/// Tests build one with struct-update syntax over [`MockConfig::default`], which is the fastest
/// possible server: no latency, one token per SSE event, chunked framing, 16 output tokens and
/// no faults.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// The served model name listed by `/v1/models` and used in responses when the request names
    /// no model. Requests may name any model; the mock echoes it back.
    pub model: String,
    /// Time to first token: the wait before the first content event (or the whole body).
    pub ttft: LatencyModel,
    /// Inter-token latency: the wait between two consecutive content events.
    pub itl: LatencyModel,
    /// Tokens packed into one SSE content event; `0` is treated as `1`.
    pub tokens_per_chunk: u32,
    /// How a streaming response is framed on the wire.
    pub sse_mode: SseMode,
    /// Output tokens when the request sets neither `max_tokens` nor `max_completion_tokens`.
    pub default_output_tokens: u32,
    /// Every Nth inference request (chat, completions, embeddings) answers HTTP 500.
    pub fail_every: Option<u64>,
    /// Every Nth streaming request sends its first content event, then closes the connection
    /// without finishing the chunked body.
    pub drop_every: Option<u64>,
    /// Every Nth streaming request sends one content event, then an SSE error event, then
    /// `[DONE]`.
    pub error_event_every: Option<u64>,
    /// Keep a copy of every generation request body (for tests that check what a client
    /// sent, such as the history of a multi-turn session); see `MockServer::captured_requests`.
    pub capture_requests: bool,
    /// Pretend speculative decoding: `/metrics` gains vLLM's spec-decode counters and SGLang's
    /// acceptance gauges, with an acceptance that depends on the request (see
    /// [`SpecDecodeConfig`]). `None` (the default) keeps the plain server.
    pub spec_decode: Option<SpecDecodeConfig>,
    /// Add DCGM-exporter-style GPU series (`DCGM_FI_DEV_*{gpu="0"}`) to `/metrics`, derived
    /// from the mock's own activity, so `--gpu-telemetry URL` can be tested without a GPU.
    pub gpu_metrics: bool,
    /// More model names `/v1/models` lists after `model` (`mock-server --model a,b`).
    pub more_models: Vec<String>,
    /// Until this long after start, every inference request, `/v1/models` and `/health`
    /// answer HTTP 503 (a server still loading its model), for testing readiness waits.
    pub ready_after: Option<std::time::Duration>,
    /// Serve over TLS with this certificate (`mock-server --tls`); `None` serves plain HTTP.
    pub tls: Option<super::tls::MockTls>,
    /// How long a `/v1/videos` job takes from its submit to `completed`.
    pub video_job: std::time::Duration,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            model: "mock-model".to_owned(),
            ttft: LatencyModel::ZERO,
            itl: LatencyModel::ZERO,
            tokens_per_chunk: 1,
            sse_mode: SseMode::Chunked,
            default_output_tokens: 16,
            fail_every: None,
            drop_every: None,
            error_event_every: None,
            capture_requests: false,
            spec_decode: None,
            gpu_metrics: false,
            more_models: Vec::new(),
            ready_after: None,
            tls: None,
            video_job: std::time::Duration::from_millis(200),
        }
    }
}

impl MockConfig {
    /// Whether any wait is configured at all; when not, the server never touches a timer.
    pub fn has_latency(&self) -> bool {
        !self.ttft.is_zero() || !self.itl.is_zero()
    }

    /// `tokens_per_chunk`, never zero.
    pub fn tokens_per_chunk(&self) -> u32 {
        self.tokens_per_chunk.max(1)
    }
}

/// How long one wait lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyModel {
    /// Always the same wait: exact, reproducible timing for tests.
    Fixed(Duration),
    /// A normally distributed wait, truncated at zero: jitter like a real server's.
    Normal {
        /// Mean of the distribution.
        mean: Duration,
        /// Standard deviation of the distribution.
        stddev: Duration,
    },
}

impl LatencyModel {
    /// No wait at all.
    pub const ZERO: LatencyModel = LatencyModel::Fixed(Duration::ZERO);

    /// A fixed wait, or a normal one when `stddev_ms > 0`; what the CLI flags map to.
    pub fn from_ms(mean_ms: f64, stddev_ms: f64) -> LatencyModel {
        let mean = duration_from_ms(mean_ms);
        let stddev = duration_from_ms(stddev_ms);
        if stddev.is_zero() {
            LatencyModel::Fixed(mean)
        } else {
            LatencyModel::Normal { mean, stddev }
        }
    }

    /// Whether this model can only ever produce a zero wait.
    pub fn is_zero(&self) -> bool {
        match self {
            LatencyModel::Fixed(d) => d.is_zero(),
            LatencyModel::Normal { mean, stddev } => mean.is_zero() && stddev.is_zero(),
        }
    }

    /// Whether sampling needs random numbers.
    pub fn is_random(&self) -> bool {
        matches!(self, LatencyModel::Normal { stddev, .. } if !stddev.is_zero())
    }

    /// Draws one wait; `rng` is only touched by the normal model.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Duration {
        match *self {
            LatencyModel::Fixed(d) => d,
            LatencyModel::Normal { mean, stddev } => {
                let Ok(normal) = Normal::new(mean.as_secs_f64(), stddev.as_secs_f64()) else {
                    return mean;
                };
                let secs = normal.sample(rng);
                if secs > 0.0 && secs.is_finite() {
                    Duration::from_secs_f64(secs)
                } else {
                    Duration::ZERO
                }
            }
        }
    }
}

/// Milliseconds (possibly fractional, negative or NaN from a flag) to a non-negative duration.
fn duration_from_ms(ms: f64) -> Duration {
    if ms > 0.0 && ms.is_finite() {
        Duration::from_secs_f64(ms / 1000.0)
    } else {
        Duration::ZERO
    }
}

/// How a streaming response reaches the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseMode {
    /// The whole SSE body in one write, after sleeping TTFT + ITL × (events − 1). Cheapest for
    /// the server, so it measures the client alone.
    OneBody,
    /// One HTTP chunk per SSE event, with the waits in between: what real servers do.
    Chunked,
}

/// A fresh deterministic RNG for one request's latency draws.
pub(crate) fn latency_rng(seed: u64) -> ChaCha8Rng {
    use rand::SeedableRng;
    ChaCha8Rng::seed_from_u64(seed)
}

/// Draws a seed from a connection's RNG for the next request, so requests differ while the
/// whole sequence stays reproducible per connection.
pub(crate) fn next_seed(rng: &mut ChaCha8Rng) -> u64 {
    rng.random()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_model_returns_its_duration() {
        let mut rng = latency_rng(1);
        let m = LatencyModel::Fixed(Duration::from_millis(7));
        assert_eq!(m.sample(&mut rng), Duration::from_millis(7));
        assert!(!m.is_random());
        assert!(LatencyModel::ZERO.is_zero());
    }

    #[test]
    fn normal_model_has_the_right_mean_and_never_goes_negative() {
        let mut rng = latency_rng(42);
        let m = LatencyModel::Normal {
            mean: Duration::from_millis(10),
            stddev: Duration::from_millis(2),
        };
        let n = 20_000;
        let total: f64 = (0..n).map(|_| m.sample(&mut rng).as_secs_f64()).sum();
        let mean_ms = total / f64::from(n) * 1000.0;
        assert!((mean_ms - 10.0).abs() < 0.1, "mean {mean_ms}");

        let wide = LatencyModel::Normal {
            mean: Duration::from_millis(1),
            stddev: Duration::from_millis(10),
        };
        let zeros = (0..1000)
            .filter(|_| wide.sample(&mut rng).is_zero())
            .count();
        assert!(
            zeros > 300,
            "truncation at zero should be common, got {zeros}"
        );
    }

    #[test]
    fn same_seed_same_draws() {
        let m = LatencyModel::from_ms(5.0, 1.0);
        assert!(m.is_random());
        let a: Vec<_> = (0..5).map(|_| m.sample(&mut latency_rng(3))).collect();
        let mut rng = latency_rng(3);
        let b = m.sample(&mut rng);
        assert_eq!(a[0], b);
    }

    #[test]
    fn from_ms_clamps_bad_values() {
        assert_eq!(LatencyModel::from_ms(-3.0, 0.0), LatencyModel::ZERO);
        assert_eq!(
            LatencyModel::from_ms(f64::NAN, f64::NAN),
            LatencyModel::ZERO
        );
        assert_eq!(
            LatencyModel::from_ms(2.5, 0.0),
            LatencyModel::Fixed(Duration::from_micros(2500))
        );
    }
}
