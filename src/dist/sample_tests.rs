//! Sampling: properties over random specs (clamps hold, seeds repeat, canonical form round
//! trips) and 100,000-draw statistics per shape.
//!
//! The statistics use fixed seeds, so they are deterministic and never flaky; the bounds are
//! still derived so that a correct sampler would pass with any seed. Each bound is 6 standard
//! errors of the statistic: a correct sampler lands outside with probability about 2e-9, while
//! the mistakes these tests exist for (a wrong parameterisation, a dropped weight) move the
//! statistic by tens of standard errors.

use proptest::prelude::*;
use serde_json::json;

use super::{parse, DistSpec, Peak, Point, Shape};
use crate::rng::RngRoot;

const N: u64 = 100_000;
const SE_BOUND: f64 = 6.0;

fn spec(value: serde_json::Value) -> DistSpec {
    match parse(&value, "test") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// N draws of item 0..N from the consumer "stat" of a fixed seed.
fn draws(spec: &DistSpec) -> Vec<f64> {
    let root = RngRoot::new(20_240_601);
    (0..N).map(|i| spec.sample_at(&root, "stat", i)).collect()
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn stddev(xs: &[f64]) -> f64 {
    let m = mean(xs);
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
}

fn median(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn share(xs: &[f64], value: f64) -> f64 {
    xs.iter().filter(|&&x| x == value).count() as f64 / xs.len() as f64
}

/// |share - p| within 6 standard errors of a proportion, sqrt(p(1-p)/N).
fn assert_share(xs: &[f64], value: f64, p: f64) {
    let got = share(xs, value);
    let bound = SE_BOUND * (p * (1.0 - p) / N as f64).sqrt();
    assert!(
        (got - p).abs() < bound,
        "share of {value}: {got}, want {p} ± {bound}"
    );
}

/// |sample mean - mu| within 6 standard errors of a mean, sigma/sqrt(N).
fn assert_mean(xs: &[f64], mu: f64, sigma: f64) {
    let got = mean(xs);
    let bound = SE_BOUND * sigma / (N as f64).sqrt();
    assert!((got - mu).abs() < bound, "mean {got}, want {mu} ± {bound}");
}

#[test]
fn normal_mean_and_stddev() {
    // mean is 10 stddevs above 0, so truncation removes ~1e-23 of the mass: invisible here.
    let xs = draws(&spec(json!({"mean": 550, "stddev": 50})));
    assert_mean(&xs, 550.0, 50.0);
    // The sample stddev's relative standard error is about 1/sqrt(2N) ≈ 0.0022.
    let bound = SE_BOUND / (2.0 * N as f64).sqrt();
    assert!((stddev(&xs) / 50.0 - 1.0).abs() < bound, "{}", stddev(&xs));
}

#[test]
fn normal_is_truncated_at_zero_and_falls_back_to_the_clamped_mean() {
    let xs = draws(&spec(json!({"mean": 1, "stddev": 10})));
    assert!(xs.iter().all(|&x| x >= 0.0));
    // For mean 1, stddev 10 every draw is accepted with probability ~0.54, so the
    // truncated mean is 1 + 10·φ(0.1)/Φ(0.1) = 1 + 10·0.39695/0.53983 = 8.3533; the
    // truncated stddev is below 10, so 10 is a safe sigma for the bound.
    assert_mean(&xs, 8.3533, 10.0);
    let hopeless = spec(json!({"mean": -1000, "stddev": 1, "min": 3}));
    assert_eq!(hopeless.sample_at(&RngRoot::new(1), "x", 0), 3.0);
    let no_clamp = spec(json!({"mean": -1000, "stddev": 1}));
    assert_eq!(no_clamp.sample_at(&RngRoot::new(1), "x", 0), 0.0);
}

#[test]
fn lognormal_median_and_mean() {
    let xs = draws(&spec(json!({"mean": 600, "median": 500})));
    let sigma2 = 2.0 * (600.0f64 / 500.0).ln();
    // Sample median: standard error 1/(2 f(m) sqrt N), with density at the median
    // f(m) = 1/(m σ sqrt(2π)), i.e. m σ sqrt(2π)/(2 sqrt N).
    let se_median = 500.0 * sigma2.sqrt() * (2.0 * std::f64::consts::PI).sqrt() / 2.0;
    let bound = SE_BOUND * se_median / (N as f64).sqrt();
    assert!(
        (median(&xs) - 500.0).abs() < bound,
        "median {}",
        median(&xs)
    );
    let sd = 600.0 * (sigma2.exp() - 1.0).sqrt();
    assert_mean(&xs, 600.0, sd);
    assert!(spec(json!({"mean": 5, "median": 5})).is_deterministic());
    assert_eq!(draws(&spec(json!({"mean": 5, "median": 5})))[7], 5.0);
}

#[test]
fn multimodal_weights_and_peak_shapes() {
    let mix = spec(json!({"peaks": [
        {"value": 128, "weight": 1},
        {"mean": 2000, "stddev": 10, "weight": 3}
    ]}));
    let xs = draws(&mix);
    assert_share(&xs, 128.0, 0.25);
    let high: Vec<f64> = xs.iter().copied().filter(|&x| x != 128.0).collect();
    let se = 10.0 / (high.len() as f64).sqrt();
    assert!((mean(&high) - 2000.0).abs() < SE_BOUND * se);
}

#[test]
fn mixture_clamps_apply_to_its_output() {
    let mix = spec(json!({"peaks": [1, 1000], "min": 10, "max": 500}));
    let xs = draws(&mix);
    assert_share(&xs, 10.0, 0.5);
    assert_share(&xs, 500.0, 0.5);
}

#[test]
fn empirical_weights() {
    let xs = draws(&spec(json!({"points": [
        {"value": 1, "weight": 1}, {"value": 2, "weight": 2}, {"value": 7, "weight": 5}
    ]})));
    assert_share(&xs, 1.0, 0.125);
    assert_share(&xs, 2.0, 0.25);
    assert_share(&xs, 7.0, 0.625);
}

#[test]
fn uniform_mean_and_whole_numbers() {
    let uniform = spec(json!({"min": 10, "max": 20}));
    let xs = draws(&uniform);
    assert!(xs.iter().all(|&x| (10.0..=20.0).contains(&x)));
    assert_mean(&xs, 15.0, 10.0 / 12f64.sqrt());
    // Integer draws: each of 10..=20 equally (1/11), ends included at full weight.
    let root = RngRoot::new(5);
    let ints: Vec<f64> = (0..N)
        .map(|i| f64::from(uniform.sample_u32_at(&root, "u", i, 1)))
        .collect();
    for v in 10..=20 {
        assert_share(&ints, f64::from(v), 1.0 / 11.0);
    }
}

#[test]
fn zipf_rank_one_share_and_scramble() {
    // P(rank 1) = 1 / H(n, alpha), H the generalised harmonic number.
    let harmonic: f64 = (1..=100).map(|k| f64::from(k).powf(-1.2)).sum();
    let plain = draws(&spec(json!({"min": 1, "max": 100, "alpha": 1.2})));
    assert_share(&plain, 1.0, 1.0 / harmonic);
    assert_share(&plain, 2.0, 2f64.powf(-1.2) / harmonic);
    let scrambled = draws(&spec(
        json!({"min": 1, "max": 100, "theta": 1.2, "scramble": true}),
    ));
    let top = 1.0 + super::scramble::permute(0, 100) as f64;
    assert_ne!(top, 1.0, "scramble should move the most popular value");
    assert_share(&scrambled, top, 1.0 / harmonic);
    assert!(scrambled
        .iter()
        .all(|&x| x.fract() == 0.0 && (1.0..=100.0).contains(&x)));
}

#[test]
fn inverse_gaussian_mean() {
    let xs = draws(&spec(
        json!({"type": "inverse_gaussian", "mean": 2, "shape": 8}),
    ));
    assert!(xs.iter().all(|&x| x > 0.0));
    // Variance mean³/shape = 1.
    assert_mean(&xs, 2.0, 1.0);
}

#[test]
fn fixed_stair_reads_the_index() {
    let root = RngRoot::new(3);
    let wrap = spec(json!({"values": [1, 2, 3], "repeat_each": 2}));
    let seq: Vec<f64> = (0..8).map(|i| wrap.sample_at(&root, "s", i)).collect();
    assert_eq!(seq, [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 1.0, 1.0]);
    let hold = spec(json!({"values": [1, 2], "wrap": false}));
    let seq: Vec<f64> = (0..4).map(|i| hold.sample_at(&root, "s", i)).collect();
    assert_eq!(seq, [1.0, 2.0, 2.0, 2.0]);
}

#[test]
fn rounding_respects_fractional_clamps_and_the_floor() {
    assert_eq!(super::round_count(10.6, None, Some(10.6), 1), 10);
    assert_eq!(super::round_count(0.2, Some(0.1), None, 0), 1);
    assert_eq!(super::round_count(-5.0, None, None, 1), 1);
    assert_eq!(super::round_count(f64::NAN, None, None, 2), 2);
    assert_eq!(super::round_count(1e12, None, None, 1), u32::MAX);
    assert_eq!(super::round_count(10.5, Some(10.2), Some(10.8), 1), 11);
}

#[test]
fn adding_a_consumer_changes_nothing_else() {
    let isl = spec(json!({"mean": 500, "stddev": 100}));
    let root = RngRoot::new(9);
    let alone: Vec<f64> = (0..50).map(|i| isl.sample_at(&root, "isl", i)).collect();
    let interleaved: Vec<f64> = (0..50)
        .map(|i| {
            let _ = isl.sample_at(&root, "osl", i);
            isl.sample_at(&root, "isl", i)
        })
        .collect();
    assert_eq!(alone, interleaved);
    let osl: Vec<f64> = (0..50).map(|i| isl.sample_at(&root, "osl", i)).collect();
    assert_ne!(alone, osl);
}

fn leaf() -> impl Strategy<Value = Shape> {
    prop_oneof![
        (-1e6..1e6f64).prop_map(|value| Shape::Fixed { value }),
        (0.0..1e4f64, 0.0..1e3f64).prop_map(|(mean, stddev)| Shape::Normal { mean, stddev }),
        (0.1..1e4f64, 1.0..3.0f64).prop_map(|(median, r)| Shape::LogNormal {
            mean: median * r,
            median
        }),
        (-1e3..1e3f64, 0.0..1e3f64).prop_map(|(min, span)| Shape::Uniform {
            min,
            max: min + span
        }),
        (0..1000u64, 0..1000u64, 0.0..3.0f64, any::<bool>()).prop_map(|(min, span, alpha, s)| {
            Shape::Zipf {
                min,
                max: min + span,
                alpha,
                scramble: s,
            }
        }),
        (0.1..100.0f64, 0.1..100.0f64)
            .prop_map(|(mean, shape)| Shape::InverseGaussian { mean, shape }),
        (
            prop::collection::vec(-1e3..1e3f64, 1..6),
            1..5u64,
            any::<bool>()
        )
            .prop_map(|(values, repeat_each, wrap)| Shape::FixedStair {
                values,
                repeat_each,
                wrap
            }),
        prop::collection::vec((-1e3..1e3f64, 0.01..10.0f64), 1..6).prop_map(|pts| {
            Shape::Empirical {
                points: pts
                    .into_iter()
                    .map(|(value, weight)| Point { value, weight })
                    .collect(),
            }
        }),
    ]
}

fn clamps() -> impl Strategy<Value = (Option<f64>, Option<f64>)> {
    (
        prop::option::of(-1e3..1e3f64),
        prop::option::of(0.0..2e3f64),
    )
        .prop_map(|(min, span)| (min, span.map(|s| min.unwrap_or(0.0) + s)))
}

fn arb_spec() -> impl Strategy<Value = DistSpec> {
    let shape = prop_oneof![
        3 => leaf(),
        1 => prop::collection::vec((leaf(), 0.01..10.0f64), 2..4).prop_map(|peaks| {
            Shape::Multimodal {
                peaks: peaks
                    .into_iter()
                    .filter_map(|(shape, weight)| {
                        let dist = DistSpec::new(shape, None, None, "peak").ok()?;
                        Some(Peak { dist, weight })
                    })
                    .collect(),
            }
        }),
    ];
    (shape, clamps()).prop_filter_map("bounded shapes take no clamps", |(shape, (min, max))| {
        let bounded = matches!(shape, Shape::Uniform { .. } | Shape::Zipf { .. });
        let (min, max) = if bounded { (None, None) } else { (min, max) };
        DistSpec::new(shape, min, max, "prop").ok()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn samples_respect_clamps_and_bounds(spec in arb_spec(), seed in any::<u64>()) {
        let root = RngRoot::new(seed);
        for i in 0..64 {
            let x = spec.sample_at(&root, "p", i);
            prop_assert!(x.is_finite());
            if let Some(min) = spec.min() { prop_assert!(x >= min, "{x} < {min}"); }
            if let Some(max) = spec.max() { prop_assert!(x <= max, "{x} > {max}"); }
            match spec.shape() {
                Shape::Uniform { min, max } => prop_assert!(*min <= x && x <= *max),
                Shape::Zipf { min, max, .. } => {
                    prop_assert!(x.fract() == 0.0 && *min as f64 <= x && x <= *max as f64)
                }
                Shape::Normal { .. } | Shape::LogNormal { .. } | Shape::InverseGaussian { .. }
                    if spec.max().is_none_or(|m| m >= 0.0) => prop_assert!(x >= 0.0),
                _ => {}
            }
            let n = spec.sample_u32_at(&root, "p", i, 1);
            prop_assert!(n >= 1);
            // A clamp range with no whole number inside rounds up to ceil(min) by design.
            let whole_inside = spec.min().is_none_or(|lo| spec.max().is_none_or(|hi| lo.ceil() <= hi.floor()));
            if let Some(max) = spec.max().filter(|m| *m >= 1.0 && whole_inside) {
                prop_assert!(f64::from(n) <= max, "{n} > {max}");
            }
            if let Some(min) = spec.min() {
                prop_assert!(f64::from(n) >= min, "{n} < {min}");
            }
        }
    }

    #[test]
    fn fixed_seeds_give_identical_streams(spec in arb_spec(), seed in any::<u64>()) {
        let a: Vec<f64> = (0..32).map(|i| spec.sample_at(&RngRoot::new(seed), "p", i)).collect();
        let b: Vec<f64> = (0..32)
            .map(|i| spec.sample(&mut RngRoot::new(seed).stream("p", i), i))
            .collect();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn canonical_form_round_trips(spec in arb_spec()) {
        let canonical = serde_json::to_value(&spec).unwrap_or_default();
        prop_assert_eq!(parse(&canonical, "rt").ok(), Some(spec.clone()));
        prop_assert!(!spec.to_string().is_empty());
    }

    #[test]
    fn parse_never_panics(value in arb_json()) {
        let _ = parse(&value, "fuzz");
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let keys = prop::sample::select(vec![
        "type",
        "value",
        "mean",
        "stddev",
        "median",
        "peaks",
        "points",
        "min",
        "max",
        "values",
        "repeat_each",
        "wrap",
        "alpha",
        "theta",
        "scramble",
        "shape",
        "weight",
        "bogus",
    ]);
    let scalar = prop_oneof![
        (-1e4..1e4f64).prop_map(|x| json!(x)),
        (0..100i64).prop_map(|x| json!(x)),
        any::<bool>().prop_map(|b| json!(b)),
        prop::sample::select(vec!["NaN", "uniform", "zipf", "128,64:100", "3"])
            .prop_map(|s| json!(s)),
        Just(serde_json::Value::Null),
    ];
    scalar.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..5).prop_map(|m| {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}
