//! Welch's unequal-variances t-test: is the mean of one set of repeats different from another's
//! beyond what their run-to-run spread explains?
//!
//! t = (mean_b − mean_a) / √(s_a²/n_a + s_b²/n_b), degrees of freedom by Welch–Satterthwaite,
//! two-sided p = P(|T_df| ≥ |t|). Neither equal variances nor equal sizes are assumed: two builds
//! of a server need not be equally noisy.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// The t statistic, positive when the second set's mean is larger.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Tests `b` against `a`; `None` unless both have at least two values (a sample variance needs
/// two). Two sets without spread are either equal (p = 1) or certainly different (p = 0).
pub fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (mean_a, var_a) = mean_var(a);
    let (mean_b, var_b) = mean_var(b);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (sa, sb) = (var_a / na, var_b / nb);
    let se2 = sa + sb;
    let diff = mean_b - mean_a;
    if se2 == 0.0 {
        let df = na + nb - 2.0;
        return Some(if diff == 0.0 {
            Welch { t: 0.0, df, p: 1.0 }
        } else {
            Welch {
                t: diff.signum() * f64::INFINITY,
                df,
                p: 0.0,
            }
        });
    }
    let t = diff / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    let p = match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => (2.0 * dist.sf(t.abs())).min(1.0),
        Err(_) => f64::NAN,
    };
    Some(Welch { t, df, p })
}

/// Mean and sample variance (n − 1).
fn mean_var(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Reference values from an independent computation in plain Python (the t density
    /// integrated with Simpson's rule, no statistics library; the script is in docs/compare.md),
    /// and for the first set Wikipedia's worked example ("Welch's t-test": t = 2.46, ν = 25.0,
    /// p = 0.021).
    #[test]
    fn matches_an_independent_reference() {
        let a1 = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
            21.4,
        ];
        let a2 = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
            24.4,
        ];
        let w = welch(&a1, &a2).unwrap();
        assert!(close(w.t, 2.455_356_398, 1e-8), "{w:?}");
        assert!(close(w.df, 24.988_529_290, 1e-8), "{w:?}");
        assert!(close(w.p, 0.021_378_001, 1e-7), "{w:?}");

        let w = welch(&[10.2, 11.1, 10.7], &[12.9, 13.4, 12.1, 13.0]).unwrap();
        assert!(close(w.t, 5.795_098_813, 1e-8), "{w:?}");
        assert!(close(w.df, 4.877_939_885, 1e-8), "{w:?}");
        assert!(close(w.p, 0.002_339_330, 1e-7), "{w:?}");

        let w = welch(&[5.0, 5.2, 4.9], &[5.1, 5.0, 5.05]).unwrap();
        assert!(close(w.t, 0.179_605_302, 1e-8), "{w:?}");
        assert!(close(w.df, 2.423_707_440, 1e-8), "{w:?}");
        assert!(close(w.p, 0.871_389_989, 1e-7), "{w:?}");
    }

    #[test]
    fn the_sign_follows_the_second_set() {
        let up = welch(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        let down = welch(&[4.0, 5.0, 6.0], &[1.0, 2.0, 3.0]).unwrap();
        assert!(up.t > 0.0 && down.t < 0.0);
        assert!(close(up.p, down.p, 1e-15));
    }

    #[test]
    fn sets_without_spread_and_too_small_sets() {
        assert_eq!(welch(&[2.0, 2.0], &[2.0, 2.0]).unwrap().p, 1.0);
        let w = welch(&[2.0, 2.0], &[3.0, 3.0]).unwrap();
        assert_eq!((w.p, w.t), (0.0, f64::INFINITY));
        assert_eq!(welch(&[1.0], &[1.0, 2.0]), None);
        assert_eq!(welch(&[1.0, 2.0], &[]), None);
    }
}
