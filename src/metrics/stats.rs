//! One metric's running statistics with memory that stays flat over any run length.
//!
//! Up to a cap the exact values are kept, so small and medium runs get exact numpy-style
//! percentiles (what AIPerf reports). Past the cap the values are folded into an HDR histogram
//! (3 significant digits) and recording continues there. Count, sum, mean, std, min and max are
//! always exact: they come from running sums (Welford), never from the histogram.
//!
//! Accumulators of several processes merge ([`Accumulator::absorb`]): the running sums combine
//! exactly (Chan's pairwise update for the squares), the values through their histograms.

use hdrhistogram::Histogram;

/// The percentiles AIPerf reports, in its order.
pub const PERCENTILES: [f64; 9] = [1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0];

/// Names of [`PERCENTILES`] as export keys.
pub const PERCENTILE_KEYS: [&str; 9] =
    ["p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99"];

/// Exact values kept per metric before folding into a histogram (400 KB per metric; with
/// ~20 metrics per request this is most of a 50,000-request run's memory).
pub const DEFAULT_EXACT_CAP: usize = 50_000;

/// Growth step of the exact values once past it: doubling a 256 KB vector would leave up to
/// half of it unused (and the old copy freed but resident) for every metric.
const EXACT_GROWTH_STEP: usize = 8 * 1024;

/// Histogram resolution: values are recorded as `round(value × 1000)`, so sub-unit values
/// (ratios, KB, tokens/s) keep three decimals before the 3-significant-digit bucketing.
pub const HDR_SCALE: f64 = 1000.0;

/// Significant decimal digits the histogram keeps: a value comes back within
/// [`HDR_RELATIVE_ERROR`] of itself (relative), plus the 1/[`HDR_SCALE`] recording resolution.
pub const HDR_SIGNIFICANT_DIGITS: u8 = 3;

/// The relative error of a value read back from the histogram (10^-digits).
pub const HDR_RELATIVE_ERROR: f64 = 1e-3;

/// An accumulator's running sums: what merges exactly between processes.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Moments {
    /// Number of values.
    pub count: u64,
    /// Sum of the values.
    pub sum: f64,
    /// Mean (Welford's running mean).
    pub mean: f64,
    /// Sum of squared deviations from the mean (Welford's M2): std = sqrt(m2 / count).
    pub m2: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Summary statistics of one metric, in whatever unit the values were recorded in.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    /// Number of values.
    pub count: u64,
    /// Sum of the values.
    pub sum: f64,
    /// Mean.
    pub avg: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Population standard deviation (numpy's default, `ddof=0`).
    pub std: f64,
    /// Values at [`PERCENTILES`].
    pub percentiles: [f64; 9],
}

impl Stats {
    /// The same statistics with every value divided by `scale` (a unit change).
    pub fn scaled(&self, scale: f64) -> Stats {
        let mut percentiles = self.percentiles;
        for p in &mut percentiles {
            *p /= scale;
        }
        Stats {
            count: self.count,
            sum: self.sum / scale,
            avg: self.avg / scale,
            min: self.min / scale,
            max: self.max / scale,
            std: self.std / scale,
            percentiles,
        }
    }

    /// The value at percentile `p` (one of [`PERCENTILES`]).
    pub fn percentile(&self, p: f64) -> Option<f64> {
        PERCENTILES
            .iter()
            .position(|&q| q == p)
            .map(|i| self.percentiles[i])
    }
}

/// Collects one metric's values.
#[derive(Debug, Clone)]
pub struct Accumulator {
    exact: Vec<f64>,
    cap: usize,
    histogram: Option<Histogram<u64>>,
    count: u64,
    sum: f64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for Accumulator {
    fn default() -> Self {
        Self::with_cap(DEFAULT_EXACT_CAP)
    }
}

impl Accumulator {
    /// An accumulator that keeps up to `cap` exact values before switching to a histogram.
    pub fn with_cap(cap: usize) -> Self {
        Self {
            exact: Vec::new(),
            cap: cap.max(1),
            histogram: None,
            count: 0,
            sum: 0.0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether exact values were folded into the histogram (percentiles are then approximate).
    pub fn is_approximate(&self) -> bool {
        self.histogram.is_some()
    }

    /// Records one value. Non-finite values are ignored: they would poison every statistic.
    pub fn record(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.count += 1;
        self.sum += value;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (value - self.mean);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        match &mut self.histogram {
            Some(h) => record_hdr(h, value),
            None => {
                if self.exact.len() == self.exact.capacity() {
                    let step = self.exact.len().clamp(64, EXACT_GROWTH_STEP);
                    self.exact
                        .reserve_exact(step.min(self.cap.saturating_sub(self.exact.len()).max(1)));
                }
                self.exact.push(value);
                if self.exact.len() >= self.cap {
                    self.fold();
                }
            }
        }
    }

    /// The running sums; `None` when nothing was recorded.
    pub fn moments(&self) -> Option<Moments> {
        (self.count > 0).then_some(Moments {
            count: self.count,
            sum: self.sum,
            mean: self.mean,
            m2: self.m2,
            min: self.min,
            max: self.max,
        })
    }

    /// Every value recorded, as the histogram's buckets: `(value × HDR_SCALE` at the bucket's
    /// top, count`)` in value order. Exact values are bucketed as the fold would.
    pub fn buckets(&self) -> Vec<(u64, u64)> {
        let built;
        let h = match &self.histogram {
            Some(h) => h,
            None => {
                let Some(h) = histogram_of(&self.exact) else {
                    return Vec::new();
                };
                built = h;
                &built
            }
        };
        h.iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect()
    }

    /// Adds another accumulator's values, given as its [`Accumulator::moments`] and
    /// [`Accumulator::buckets`]: the sums combine exactly, and from here on the percentiles
    /// come from the merged histogram.
    pub fn absorb(&mut self, other: Moments, buckets: &[(u64, u64)]) {
        if other.count == 0 {
            return;
        }
        if self.histogram.is_none() {
            self.fold();
        }
        if let Some(h) = &mut self.histogram {
            for &(value, count) in buckets {
                // Auto-resize: only a value past u64 range could fail, and none is.
                let _ = h.record_n(value, count);
            }
        }
        let n = self.count + other.count;
        let delta = other.mean - self.mean;
        let (na, nb) = (self.count as f64, other.count as f64);
        self.mean += delta * nb / n as f64;
        self.m2 += other.m2 + delta * delta * na * nb / n as f64;
        self.count = n;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    fn fold(&mut self) {
        let Some(h) = histogram_of(&self.exact) else {
            self.cap = usize::MAX;
            return;
        };
        self.exact = Vec::new();
        self.histogram = Some(h);
    }

    /// The statistics so far; `None` when nothing was recorded. Sorts the exact values in place.
    pub fn stats(&mut self) -> Option<Stats> {
        if self.count == 0 {
            return None;
        }
        let mut percentiles = [0.0; 9];
        match &self.histogram {
            Some(h) => {
                for (out, p) in percentiles.iter_mut().zip(PERCENTILES) {
                    *out = percentile_hdr(h, p).clamp(self.min, self.max);
                }
            }
            None => {
                self.exact.sort_unstable_by(f64::total_cmp);
                for (out, p) in percentiles.iter_mut().zip(PERCENTILES) {
                    *out = percentile_sorted(&self.exact, p);
                }
            }
        }
        Some(Stats {
            count: self.count,
            sum: self.sum,
            avg: self.mean,
            min: self.min,
            max: self.max,
            std: (self.m2 / self.count as f64).max(0.0).sqrt(),
            percentiles,
        })
    }
}

/// A histogram of `values`. 3 significant digits with auto-resize cannot fail; `None` (the
/// caller keeps exact values: more memory, never a wrong number) if the library ever says
/// otherwise.
fn histogram_of(values: &[f64]) -> Option<Histogram<u64>> {
    let mut h = Histogram::<u64>::new(HDR_SIGNIFICANT_DIGITS).ok()?;
    h.auto(true);
    for &v in values {
        record_hdr(&mut h, v);
    }
    Some(h)
}

/// numpy's linear percentile over the histogram: the two order statistics around rank
/// `p/100 × (n−1)`, each read as its bucket's middle, interpolated. Each is within the bucket
/// width (below [`HDR_RELATIVE_ERROR`]) of the exact order statistic, so the interpolation is
/// within it of the exact percentile.
fn percentile_hdr(h: &Histogram<u64>, p: f64) -> f64 {
    let n = h.len();
    if n == 0 {
        return 0.0;
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = rank.floor() as u64;
    let hi = rank.ceil() as u64;
    let (mut lo_v, mut hi_v) = (None, None);
    let mut seen = 0u64;
    for bucket in h.iter_recorded() {
        seen += bucket.count_at_value();
        let middle = h.median_equivalent(bucket.value_iterated_to()) as f64 / HDR_SCALE;
        if lo_v.is_none() && seen > lo {
            lo_v = Some(middle);
        }
        if seen > hi {
            hi_v = Some(middle);
            break;
        }
    }
    let lo_v = lo_v.unwrap_or(0.0);
    let hi_v = hi_v.unwrap_or(lo_v);
    lo_v + (hi_v - lo_v) * (rank - lo as f64)
}

fn record_hdr(h: &mut Histogram<u64>, value: f64) {
    let scaled = (value * HDR_SCALE).round();
    let v = if scaled <= 0.0 {
        0
    } else if scaled >= u64::MAX as f64 {
        u64::MAX / 2
    } else {
        scaled as u64
    };
    // With auto-resize the only failure is a value past u64 range, excluded above.
    let _ = h.record(v);
}

/// numpy's default ("linear") percentile of sorted values: interpolates between the two order
/// statistics around rank `p/100 × (n−1)`.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let rank = (p / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = rank.floor() as usize;
            let hi = rank.ceil() as usize;
            let frac = rank - lo as f64;
            sorted[lo] + (sorted[hi] - sorted[lo]) * frac
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::numpy_reference_tests::{numpy_percentile, same_percentile};
    use proptest::prelude::*;

    fn reference(values: &[f64]) -> Stats {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = values.len() as f64;
        let sum: f64 = values.iter().sum();
        let avg = sum / n;
        let var = values.iter().map(|v| (v - avg) * (v - avg)).sum::<f64>() / n;
        let mut percentiles = [0.0; 9];
        for (out, p) in percentiles.iter_mut().zip(PERCENTILES) {
            *out = numpy_percentile(values, p);
        }
        Stats {
            count: values.len() as u64,
            sum,
            avg,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            std: var.sqrt(),
            percentiles,
        }
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn matches_numpy_on_the_reference_run() {
        // http_req_connection_reused in AIPerf's reference export: one 0 and nine 1s.
        let mut acc = Accumulator::default();
        acc.record(0.0);
        for _ in 0..9 {
            acc.record(1.0);
        }
        let stats = acc.stats().unwrap();
        assert_eq!(stats.percentile(1.0), Some(0.09));
        assert!((stats.percentile(5.0).unwrap() - 0.45).abs() < 1e-12);
        assert_eq!(stats.percentile(10.0), Some(0.9));
        assert!((stats.std - 0.3).abs() < 1e-12);
        assert_eq!(stats.sum, 9.0);
    }

    #[test]
    fn empty_has_no_stats_and_non_finite_is_ignored() {
        let mut acc = Accumulator::default();
        assert!(acc.stats().is_none());
        acc.record(f64::NAN);
        acc.record(f64::INFINITY);
        assert!(acc.stats().is_none());
    }

    proptest! {
        #[test]
        fn exact_mode_matches_sort_reference(values in prop::collection::vec(0.0f64..1e9, 1..400)) {
            let mut acc = Accumulator::with_cap(1_000);
            for &v in &values {
                acc.record(v);
            }
            let got = acc.stats().unwrap();
            let want = reference(&values);
            prop_assert_eq!(got.count, want.count);
            prop_assert_eq!(got.min, want.min);
            prop_assert_eq!(got.max, want.max);
            prop_assert!(close(got.sum, want.sum, 1e-9));
            prop_assert!(close(got.avg, want.avg, 1e-9));
            prop_assert!(close(got.std, want.std, 1e-6));
            for (i, (g, w)) in got.percentiles.iter().zip(want.percentiles).enumerate() {
                prop_assert!(same_percentile(*g, w), "p{}: {} vs numpy {}", PERCENTILES[i], g, w);
            }
        }

        #[test]
        fn merged_accumulators_keep_sums_exact_and_percentiles_within_the_bound(
            values in prop::collection::vec(0.0f64..1e9, 3..500),
            cuts in (0usize..500, 0usize..500),
        ) {
            let n = values.len();
            let (a, b) = (cuts.0 % n, cuts.1 % n);
            let (a, b) = (a.min(b), a.max(b));
            let mut merged = Accumulator::with_cap(1_000);
            for part in [&values[..a], &values[a..b], &values[b..]] {
                let mut worker = Accumulator::with_cap(1_000);
                for &v in part {
                    worker.record(v);
                }
                if let Some(m) = worker.moments() {
                    merged.absorb(m, &worker.buckets());
                }
            }
            let got = merged.stats().unwrap();
            let want = reference(&values);
            prop_assert_eq!(got.count, want.count);
            prop_assert_eq!(got.min, want.min);
            prop_assert_eq!(got.max, want.max);
            prop_assert!(close(got.sum, want.sum, 1e-12));
            prop_assert!(close(got.avg, want.avg, 1e-12));
            prop_assert!(close(got.std, want.std, 1e-9));
            for (i, (g, w)) in got.percentiles.iter().zip(want.percentiles).enumerate() {
                let bound = HDR_RELATIVE_ERROR * w.abs() + 1.0 / HDR_SCALE;
                prop_assert!((g - w).abs() <= bound, "p{}: {} vs exact {}", PERCENTILES[i], g, w);
            }
        }

        #[test]
        fn histogram_fold_stays_within_hdr_precision(
            values in prop::collection::vec(0.001f64..1e7, 50..600),
            cap in 1usize..50,
        ) {
            let mut acc = Accumulator::with_cap(cap);
            for &v in &values {
                acc.record(v);
            }
            prop_assert!(acc.is_approximate());
            let got = acc.stats().unwrap();
            let want = reference(&values);
            // Running sums stay exact after the fold.
            prop_assert_eq!(got.min, want.min);
            prop_assert_eq!(got.max, want.max);
            prop_assert!(close(got.avg, want.avg, 1e-9));
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            for (i, p) in PERCENTILES.iter().enumerate() {
                // HDR answers with (a value equivalent to) an order statistic near the rank;
                // allow one neighbour either side, the bucket width (1e-3 relative) and the
                // 1e-3 absolute recording resolution.
                let rank = p / 100.0 * (n - 1) as f64;
                let lo = sorted[(rank.floor() as usize).saturating_sub(1)];
                let hi = sorted[(rank.ceil() as usize + 1).min(n - 1)];
                let v = got.percentiles[i];
                prop_assert!(
                    v >= lo * (1.0 - 2e-3) - 2e-3 && v <= hi * (1.0 + 2e-3) + 2e-3,
                    "p{} = {} outside [{}, {}]", p, v, lo, hi
                );
            }
        }
    }
}
