//! numpy's default percentile (`method="linear"`), written out independently of
//! `stats::percentile_sorted`, for the property tests to check the shipped code against.
//!
//! numpy places the sorted values at evenly spaced positions `k / (n - 1)` on [0, 1] and joins
//! them with straight lines; percentile `p` is that polyline read at `p / 100`. Here the
//! segment holding the point is found by walking the positions, not by flooring a rank, so a
//! slip in the shipped index arithmetic (nearest rank, an off-by-one, a wrong fraction) shows.

/// numpy.percentile(values, p) for finite values, `p` in [0, 100].
pub(crate) fn numpy_percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    assert!(n > 0, "numpy refuses an empty array");
    if n == 1 {
        return sorted[0];
    }
    let q = p / 100.0;
    let step = 1.0 / (n - 1) as f64;
    for k in 0..n - 1 {
        let left = k as f64 * step;
        let right = (k + 1) as f64 * step;
        if q <= right || k == n - 2 {
            let t = ((q - left) / step).clamp(0.0, 1.0);
            return sorted[k] * (1.0 - t) + sorted[k + 1] * t;
        }
    }
    unreachable!("the loop returns on its last segment")
}

/// Whether two percentiles agree to the rounding the two formulas may differ by.
pub(crate) fn same_percentile(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_reference_gives_numpys_own_figures() {
    // Printed by numpy 2.x: np.percentile(xs, [1, 5, 10, 25, 50, 75, 90, 95, 99]).
    let cases: [(&[f64], [f64; 9]); 3] = [
        (
            &[1.0, 2.0],
            [1.01, 1.05, 1.1, 1.25, 1.5, 1.75, 1.9, 1.95, 1.99],
        ),
        (
            &[10.0, 1.0, 7.0, 3.0],
            [1.06, 1.3, 1.6, 2.5, 5.0, 7.75, 9.1, 9.55, 9.91],
        ),
        (
            &[0.5, 0.25, 8.0, 8.0, 1.0, 100.0, 3.0],
            [0.265, 0.325, 0.4, 0.75, 3.0, 8.0, 44.8, 72.4, 94.48],
        ),
    ];
    let ps = [1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0];
    for (values, want) in cases {
        for (p, w) in ps.iter().zip(want) {
            let got = numpy_percentile(values, *p);
            assert!(
                same_percentile(got, w),
                "{values:?} p{p}: {got} vs numpy {w}"
            );
        }
    }
    assert_eq!(numpy_percentile(&[3.0], 37.0), 3.0);
}
