//! Sampling distributions: every length, count, delay and size in a workload.
//!
//! A [`DistSpec`] is parsed once at load time from a `serde_json::Value` (the YAML loader
//! converts its nodes first) by [`parse`], which picks the shape from the keys written (or an
//! explicit `type:`), checks every parameter, and names the key path in any error. Sampling is
//! then infallible and panic-free.
//!
//! Randomness: item `i` of a consumer (say `"isl"`) is drawn from `RngRoot::stream("isl", i)`
//! by [`DistSpec::sample_at`], so it depends only on `(seed, consumer, i)`; adding a consumer or
//! generating items in parallel never changes what another item draws. Sequences
//! (`fixed_stair`) use the same call: they read the index instead of the stream.
//!
//! The legacy paired ISL/OSL string (`--seq-dist "128,64:50;512,128:50"`) is [`SeqDist`].
//! User documentation: `docs/distributions.md`.

mod display;
mod error;
mod kinds;
mod parse;
mod sample;
mod scramble;
mod seq;
mod validate;

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod sample_tests;
#[cfg(test)]
mod seq_tests;

pub use error::DistError;
pub use parse::parse;
pub use sample::round_count;

/// Reading a spec back (the `gauntlet-ffmpeg` helper receives plans as JSON) goes through
/// [`parse`], so a deserialized spec has passed the same checks.
impl TryFrom<serde_json::Value> for DistSpec {
    type Error = DistError;

    fn try_from(value: serde_json::Value) -> Result<Self, DistError> {
        parse(&value, "distribution")
    }
}
pub use seq::{SeqDist, SeqEntry};

/// A validated distribution: a shape plus optional inclusive clamps on its output.
///
/// Only [`parse`] and [`DistSpec::new`] make one, so every spec in a plan has passed the same
/// checks. It serialises to the canonical form (explicit `type`, every default written out),
/// which [`parse`] reads back to an equal spec.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct DistSpec {
    #[serde(flatten)]
    shape: Shape,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
}

/// The shape of a distribution, before clamps.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Shape {
    /// Always `value`.
    Fixed {
        /// The one value.
        value: f64,
    },
    /// Normal, truncated at 0 by rejection (AIPerf's lengths are never negative).
    Normal {
        /// Mean before truncation.
        mean: f64,
        /// Standard deviation, ≥ 0; 0 makes it deterministic.
        stddev: f64,
    },
    /// Log-normal given by its mean and median, which users can read off a histogram.
    #[serde(rename = "lognormal")]
    LogNormal {
        /// Mean, > 0.
        mean: f64,
        /// Median, in (0, mean]; equal to the mean makes it deterministic.
        median: f64,
    },
    /// A weighted mixture of at least two shapes.
    Multimodal {
        /// The components; the mixture's clamps apply to whichever one is drawn.
        peaks: Vec<Peak>,
    },
    /// A weighted list of values, e.g. a histogram taken from a production trace.
    Empirical {
        /// At least one point.
        points: Vec<Point>,
    },
    /// Continuous uniform on `[min, max]`; integer draws pick each whole number in it equally.
    Uniform {
        /// Lower bound, inclusive.
        min: f64,
        /// Upper bound, inclusive.
        max: f64,
    },
    /// A sequence, not a sample: item `i` is `values[i / repeat_each]`, cycling if `wrap`,
    /// otherwise holding the last value.
    FixedStair {
        /// The steps in order; at least one.
        values: Vec<f64>,
        /// Items per step, ≥ 1.
        repeat_each: u64,
        /// Start over after the last step (true) or stay on it (false).
        wrap: bool,
    },
    /// Zipf over the whole numbers `min..=max`: rank `k` has weight `k^-alpha`.
    Zipf {
        /// Smallest value (rank 1 unless scrambled).
        min: u64,
        /// Largest value.
        max: u64,
        /// Skew exponent, ≥ 0 (0 is uniform); Veeksha calls it `theta`.
        alpha: f64,
        /// Permute ranks deterministically so the popular values are spread over the range.
        scramble: bool,
    },
    /// Inverse Gaussian (Wald): a right-skewed, positive shape for delays.
    InverseGaussian {
        /// Mean, > 0.
        mean: f64,
        /// Shape λ, > 0; larger is tighter (variance = mean³/λ).
        shape: f64,
    },
}

/// One component of a multimodal mixture.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Peak {
    /// The component itself, with its own clamps if any.
    #[serde(flatten)]
    pub dist: DistSpec,
    /// Relative weight, > 0 (default 1.0).
    pub weight: f64,
}

/// One value of an empirical distribution.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Point {
    /// The value drawn.
    pub value: f64,
    /// Relative weight, > 0 (default 1.0).
    pub weight: f64,
}

impl DistSpec {
    /// A spec built in code (for example from CLI flags), checked like a parsed one;
    /// errors name `key_path`.
    pub fn new(
        shape: Shape,
        min: Option<f64>,
        max: Option<f64>,
        key_path: &str,
    ) -> Result<Self, DistError> {
        let spec = Self { shape, min, max };
        validate::check(&spec, key_path)?;
        Ok(spec)
    }

    /// A fixed value, for defaults and tests; errors only if `value` is not finite.
    pub fn fixed(value: f64, key_path: &str) -> Result<Self, DistError> {
        Self::new(Shape::Fixed { value }, None, None, key_path)
    }

    /// The shape, for callers that report or special-case it.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The inclusive lower clamp, if any.
    pub fn min(&self) -> Option<f64> {
        self.min
    }

    /// The inclusive upper clamp, if any.
    pub fn max(&self) -> Option<f64> {
        self.max
    }

    /// True when every draw is the same value, so callers can skip work (and reports can say
    /// "fixed" rather than show a zero-width spread).
    pub fn is_deterministic(&self) -> bool {
        if self.min.is_some() && self.min == self.max {
            return true;
        }
        match &self.shape {
            Shape::Fixed { .. } => true,
            Shape::Normal { stddev, .. } => *stddev == 0.0,
            Shape::LogNormal { mean, median } => mean == median,
            Shape::Multimodal { peaks } => {
                let first = peaks.first().map(|p| (&p.dist, p.dist.is_deterministic()));
                matches!(first, Some((d, true)) if peaks.iter().all(|p| p.dist == *d))
            }
            Shape::Empirical { points } => points.windows(2).all(|w| w[0].value == w[1].value),
            Shape::Uniform { min, max } => min == max,
            Shape::FixedStair { values, .. } => values.windows(2).all(|w| w[0] == w[1]),
            Shape::Zipf { min, max, .. } => min == max,
            Shape::InverseGaussian { .. } => false,
        }
    }
}
