//! AIPerf's `MetricStats`: the summary of one per-request quantity of a trace analysis.

use serde::Serialize;

/// Mean, spread and quartiles of one per-request quantity, under AIPerf's names. The standard
/// deviation is the population one and percentiles interpolate linearly between order
/// statistics (numpy's `std` and `percentile` defaults, which AIPerf calls), so the figures
/// match AIPerf's on the same trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MetricStats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation (divides by n, numpy's default).
    pub std_dev: f64,
    /// Smallest value.
    pub min: f64,
    /// 25th percentile.
    pub p25: f64,
    /// 50th percentile.
    pub median: f64,
    /// 75th percentile.
    pub p75: f64,
    /// Largest value.
    pub max: f64,
}

impl MetricStats {
    /// Statistics of `values`, or `None` for an empty slice (AIPerf reports `null` then).
    /// Sorts the slice in place.
    pub fn from_values(values: &mut [f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        Some(Self {
            mean,
            std_dev: var.sqrt(),
            min: values[0],
            p25: percentile(values, 0.25),
            median: percentile(values, 0.5),
            p75: percentile(values, 0.75),
            max: values[values.len() - 1],
        })
    }
}

/// The `q` quantile of a sorted, non-empty slice, linear between the two nearest ranks.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = q * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_and_std_dev_is_the_population_one() {
        let s = MetricStats::from_values(&mut [4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.min, s.max, s.mean), (1.0, 4.0, 2.5));
        // Ranks 0.75, 1.5, 2.25 of [1, 2, 3, 4].
        assert_eq!((s.p25, s.median, s.p75), (1.75, 2.5, 3.25));
        // Squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, over n = 4 (not n - 1 = 3).
        assert!((s.std_dev - 1.25f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn one_value_and_no_values() {
        let s = MetricStats::from_values(&mut [7.0]).unwrap();
        assert_eq!(
            (s.min, s.p25, s.median, s.p75, s.max),
            (7.0, 7.0, 7.0, 7.0, 7.0)
        );
        assert_eq!(s.std_dev, 0.0);
        assert_eq!(MetricStats::from_values(&mut []), None);
    }
}
