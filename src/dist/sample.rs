//! Drawing from a [`DistSpec`]: infallible, panic-free, and a pure function of
//! `(rng state, index)`.

use rand::Rng;
use rand_distr::{Distribution, InverseGaussian, LogNormal, Normal, Zipf};

use super::scramble::permute;
use super::{DistSpec, Shape};
use crate::rng::RngRoot;

/// AIPerf's bound on rejection draws for the truncated normal before giving up on the tail.
const MAX_REJECTIONS: u32 = 10_000;

impl DistSpec {
    /// Item `index` of `consumer`: draws from `root.stream(consumer, index)`, so the value
    /// depends only on `(seed, consumer, index)` and items can be made in any order, on any
    /// number of threads.
    pub fn sample_at(&self, root: &RngRoot, consumer: &str, index: u64) -> f64 {
        self.sample(&mut root.stream(consumer, index), index)
    }

    /// A draw from `rng`, clamped. `index` is the item's position, which sequences
    /// (`fixed_stair`) read instead of the rng; samples ignore it.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, index: u64) -> f64 {
        self.draw(rng, index, false)
    }

    /// [`Self::sample_at`] as a whole count: see [`Self::sample_u32`].
    pub fn sample_u32_at(&self, root: &RngRoot, consumer: &str, index: u64, floor: u32) -> u32 {
        self.sample_u32(&mut root.stream(consumer, index), index, floor)
    }

    /// A whole-number draw for lengths and counts: rounded to the nearest integer, kept inside
    /// the clamps, then raised to `floor` (pass 1 for token lengths, which must be at least 1;
    /// `floor` wins over a lower `max`) and saturated at `u32::MAX`. Uniform draws each whole
    /// number in its bounds equally, rather than giving the two ends half weight by rounding.
    pub fn sample_u32<R: Rng + ?Sized>(&self, rng: &mut R, index: u64, floor: u32) -> u32 {
        let value = self.draw(rng, index, true);
        round_count(value, self.min, self.max, floor)
    }

    fn draw<R: Rng + ?Sized>(&self, rng: &mut R, index: u64, integer: bool) -> f64 {
        let raw = self.shape.draw(rng, index, integer);
        let low = self.min.unwrap_or(f64::NEG_INFINITY);
        let high = self.max.unwrap_or(f64::INFINITY);
        // max(low).min(high) rather than clamp(): clamp panics when low > high, and a spec
        // built around validation must still never panic.
        raw.max(low).min(high)
    }
}

/// Rounds `value` to a count within the whole numbers of `[min, max]`, at least `floor`,
/// saturating at `u32::MAX`; NaN becomes `floor`. When `[min, max]` holds no whole number
/// (`[10.2, 10.8]`) the result is `ceil(min)`, the nearest one above. Public so callers that draw their own values
/// (traces, `--seq-dist`) round the same way.
pub fn round_count(value: f64, min: Option<f64>, max: Option<f64>, floor: u32) -> u32 {
    let mut rounded = value.round();
    // A fractional clamp (max 10.6) must not let rounding step outside it (to 11).
    if let Some(high) = max.map(f64::floor) {
        rounded = rounded.min(high);
    }
    if let Some(low) = min.map(f64::ceil) {
        rounded = rounded.max(low);
    }
    let floor_f = f64::from(floor);
    if rounded.is_nan() || rounded <= floor_f {
        floor
    } else if rounded >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        rounded as u32
    }
}

impl Shape {
    fn draw<R: Rng + ?Sized>(&self, rng: &mut R, index: u64, integer: bool) -> f64 {
        match self {
            Shape::Fixed { value } => *value,
            Shape::Normal { mean, stddev } => truncated_normal(*mean, *stddev, rng),
            Shape::LogNormal { mean, median } => lognormal(*mean, *median, rng),
            Shape::Multimodal { peaks } => {
                let pick = pick_weighted(peaks.iter().map(|p| p.weight), rng);
                peaks
                    .get(pick)
                    .map_or(f64::NAN, |p| p.dist.draw(rng, index, integer))
            }
            Shape::Empirical { points } => {
                let pick = pick_weighted(points.iter().map(|p| p.weight), rng);
                points.get(pick).map_or(f64::NAN, |p| p.value)
            }
            Shape::Uniform { min, max } => uniform(*min, *max, integer, rng),
            Shape::FixedStair {
                values,
                repeat_each,
                wrap,
            } => stair(values, *repeat_each, *wrap, index),
            Shape::Zipf {
                min,
                max,
                alpha,
                scramble,
            } => zipf(*min, *max, *alpha, *scramble, rng),
            Shape::InverseGaussian { mean, shape } => {
                InverseGaussian::new(*mean, *shape).map_or(*mean, |d| d.sample(rng))
            }
        }
    }
}

/// Normal truncated at 0 by rejection; after `MAX_REJECTIONS` misses (a mean far below 0)
/// the mean clamped at 0 stands in, as in AIPerf.
fn truncated_normal<R: Rng + ?Sized>(mean: f64, stddev: f64, rng: &mut R) -> f64 {
    let fallback = mean.max(0.0);
    let Ok(normal) = Normal::new(mean, stddev) else {
        return fallback;
    };
    if stddev == 0.0 {
        return fallback;
    }
    for _ in 0..MAX_REJECTIONS {
        let x = normal.sample(rng);
        if x >= 0.0 {
            return x;
        }
    }
    fallback
}

/// Mean m and median d give mu = ln d and sigma = sqrt(2 ln(m/d)), since m = exp(mu + sigma²/2).
fn lognormal<R: Rng + ?Sized>(mean: f64, median: f64, rng: &mut R) -> f64 {
    let sigma = (2.0 * (mean / median).ln()).sqrt();
    if sigma == 0.0 || !sigma.is_finite() {
        return median;
    }
    LogNormal::new(median.ln(), sigma).map_or(median, |d| d.sample(rng))
}

/// Index of a weight chosen with probability proportional to it; one uniform draw.
fn pick_weighted<R: Rng + ?Sized>(
    weights: impl Iterator<Item = f64> + Clone,
    rng: &mut R,
) -> usize {
    let total: f64 = weights.clone().map(|w| w.max(0.0)).sum();
    let mut target = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        let w = w.max(0.0);
        if w > 0.0 {
            last = i;
            if target < w {
                return i;
            }
            target -= w;
        }
    }
    // Rounding can leave target a hair above the last weight; it belongs to the last one.
    last
}

fn uniform<R: Rng + ?Sized>(min: f64, max: f64, integer: bool, rng: &mut R) -> f64 {
    if integer {
        let (low, high) = (min.ceil(), max.floor());
        if low <= high && high - low < u64::MAX as f64 {
            let span = (high - low) as u64;
            return low + rng.random_range(0..=span) as f64;
        }
    }
    if min >= max {
        return min;
    }
    // min() because min + (max - min)·u can round one ulp past max.
    (min + (max - min) * rng.random::<f64>()).min(max)
}

fn stair(values: &[f64], repeat_each: u64, wrap: bool, index: u64) -> f64 {
    let step = index / repeat_each.max(1);
    let len = values.len() as u64;
    if len == 0 {
        return f64::NAN;
    }
    let at = if wrap { step % len } else { step.min(len - 1) };
    values[at as usize]
}

fn zipf<R: Rng + ?Sized>(min: u64, max: u64, alpha: f64, scramble: bool, rng: &mut R) -> f64 {
    let n = max.saturating_sub(min).saturating_add(1);
    let Ok(dist) = Zipf::new(n as f64, alpha) else {
        return min as f64;
    };
    // Zipf yields ranks 1..=n as floats; the min() guards float rounding at the top.
    let rank = (dist.sample(rng) as u64).clamp(1, n) - 1;
    let rank = if scramble { permute(rank, n) } else { rank };
    (min + rank) as f64
}
