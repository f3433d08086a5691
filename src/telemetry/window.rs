//! The arithmetic of a measurement window over timestamped samples: counter deltas that
//! survive resets, gauge statistics, and histogram percentiles from bucket deltas.

/// A span of the monotonic clock (the profiling phases, warmup excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    /// Monotonic ns when the first measured phase started.
    pub start_ns: u64,
    /// Monotonic ns when the last measured phase ended.
    pub end_ns: u64,
}

impl Window {
    /// Length in seconds (never zero, so rates stay finite).
    pub fn seconds(&self) -> f64 {
        (self.end_ns.saturating_sub(self.start_ns) as f64 / 1e9).max(1e-9)
    }

    /// Whether `ts_ns` is inside, ends included.
    pub fn contains(&self, ts_ns: u64) -> bool {
        (self.start_ns..=self.end_ns).contains(&ts_ns)
    }
}

/// The samples that bracket a window: the last one at or before its start (the baseline) and
/// the first one at or after its end. Falls back to the first/last sample when none brackets.
pub fn bracket(timestamps: &[u64], window: Window) -> Option<(usize, usize)> {
    if timestamps.is_empty() {
        return None;
    }
    let first = timestamps
        .iter()
        .rposition(|&t| t <= window.start_ns)
        .unwrap_or(0);
    let last = timestamps
        .iter()
        .position(|&t| t >= window.end_ns)
        .unwrap_or(timestamps.len() - 1)
        .max(first);
    Some((first, last))
}

/// How much a counter rose over consecutive samples. A drop is a reset (the server restarted):
/// the value after it counts from zero. NaN samples (series absent) are skipped.
pub fn counter_delta(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut prev: Option<f64> = None;
    let mut total = 0.0;
    for v in values.into_iter().filter(|v| v.is_finite()) {
        if let Some(p) = prev {
            total += if v >= p { v - p } else { v };
        }
        prev = Some(v);
    }
    total
}

/// Statistics of a gauge's samples, with AIPerf's field names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Distribution {
    /// Mean.
    pub avg: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Percentiles (linear interpolation between order statistics).
    pub p1: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Samples used.
    pub count: usize,
}

/// Statistics of the finite values, or `None` when there are none.
pub fn distribution(values: impl IntoIterator<Item = f64>) -> Option<Distribution> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let avg = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / n;
    let p = |q: f64| {
        let rank = q / 100.0 * (v.len() - 1) as f64;
        let lo = rank.floor() as usize;
        let hi = rank.ceil() as usize;
        v[lo] + (v[hi] - v[lo]) * (rank - lo as f64)
    };
    Some(Distribution {
        avg,
        min: v[0],
        max: v[v.len() - 1],
        std: var.sqrt(),
        p1: p(1.0),
        p5: p(5.0),
        p10: p(10.0),
        p25: p(25.0),
        p50: p(50.0),
        p75: p(75.0),
        p90: p(90.0),
        p95: p(95.0),
        p99: p(99.0),
        count: v.len(),
    })
}

/// The `q`-quantile (0..=1) of a histogram given as cumulative `(le, count)` pairs sorted by
/// bound, interpolated linearly inside the bucket it falls in (as PromQL's
/// `histogram_quantile` does). A quantile in the `+Inf` bucket is the largest finite bound.
pub fn bucket_quantile(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let target = q * total;
    let mut prev_bound = 0.0;
    let mut prev_count = 0.0;
    for &(bound, count) in buckets {
        if count >= target && count > prev_count {
            if bound.is_infinite() {
                return Some(prev_bound);
            }
            let lower = if prev_bound > bound { 0.0 } else { prev_bound };
            let share = (target - prev_count) / (count - prev_count);
            return Some(lower + (bound - lower) * share);
        }
        if bound.is_finite() {
            prev_bound = bound;
        }
        prev_count = count;
    }
    Some(prev_bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_delta_adds_across_a_reset() {
        assert_eq!(counter_delta([10.0, 15.0, 15.0, 22.0]), 12.0);
        // 10 → 15 (+5), restart to 3 (+3), → 8 (+5)
        assert_eq!(counter_delta([10.0, 15.0, 3.0, 8.0]), 13.0);
        assert_eq!(counter_delta([f64::NAN, 4.0, f64::NAN, 6.0]), 2.0);
        assert_eq!(counter_delta([7.0]), 0.0);
    }

    #[test]
    fn bracket_picks_the_baseline_before_and_the_sample_after() {
        let ts = [0, 100, 200, 300, 400];
        let w = Window {
            start_ns: 150,
            end_ns: 300,
        };
        assert_eq!(bracket(&ts, w), Some((1, 3)));
        let late = Window {
            start_ns: 350,
            end_ns: 999,
        };
        assert_eq!(bracket(&ts, late), Some((3, 4)));
        let early = Window {
            start_ns: 0,
            end_ns: 50,
        };
        assert_eq!(bracket(&ts, early), Some((0, 1)));
        assert_eq!(bracket(&[], w), None);
    }

    #[test]
    fn distribution_matches_hand_computed_values() {
        let d = distribution([4.0, 1.0, 3.0, 2.0, f64::NAN]).unwrap();
        assert_eq!((d.min, d.max, d.avg, d.count), (1.0, 4.0, 2.5, 4));
        assert_eq!(d.p50, 2.5);
        assert!((d.p90 - 3.7).abs() < 1e-12);
        assert!((d.std - 1.25f64.sqrt()).abs() < 1e-12);
        assert!(distribution([f64::NAN]).is_none());
    }

    #[test]
    fn bucket_quantiles_interpolate_inside_buckets() {
        // 10 observations: 4 in (0, 0.1], 4 in (0.1, 0.2], 2 above 0.5.
        let b = [(0.1, 4.0), (0.2, 8.0), (0.5, 8.0), (f64::INFINITY, 10.0)];
        assert!((bucket_quantile(&b, 0.2).unwrap() - 0.05).abs() < 1e-12);
        assert!((bucket_quantile(&b, 0.6).unwrap() - 0.15).abs() < 1e-12);
        assert_eq!(bucket_quantile(&b, 0.99), Some(0.5));
        assert_eq!(bucket_quantile(&[(1.0, 0.0)], 0.5), None);
        assert_eq!(bucket_quantile(&[], 0.5), None);
    }

    #[test]
    fn window_seconds_are_never_zero() {
        let w = Window {
            start_ns: 5,
            end_ns: 5,
        };
        assert!(w.seconds() > 0.0);
        assert!(w.contains(5));
    }
}
