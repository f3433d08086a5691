//! Parsing: which shape the keys choose, and one test per documented error message.

use serde_json::{json, Value};

use super::{parse, DistError, DistSpec, Peak, Point, Shape};

const PATH: &str = "dataset.prompts.isl";

fn ok(value: Value) -> DistSpec {
    match parse(&value, PATH) {
        Ok(spec) => spec,
        Err(e) => panic!("{value} should parse: {e}"),
    }
}

fn err(value: Value) -> String {
    match parse(&value, PATH) {
        Ok(spec) => panic!("{value} should fail, parsed as {spec:?}"),
        Err(e) => {
            assert!(e.key_path().starts_with(PATH), "{e:?}");
            e.to_string()
        }
    }
}

fn shape(value: Value) -> Shape {
    ok(value).shape().clone()
}

#[test]
fn scalars_and_value_are_fixed() {
    assert_eq!(shape(json!(512)), Shape::Fixed { value: 512.0 });
    assert_eq!(shape(json!({"value": 1.5})), Shape::Fixed { value: 1.5 });
    let clamped = ok(json!({"value": 9000, "max": 4096}));
    assert_eq!(clamped.max(), Some(4096.0));
}

#[test]
fn mean_alone_is_a_zero_stddev_normal() {
    let expected = Shape::Normal {
        mean: 550.0,
        stddev: 0.0,
    };
    assert_eq!(shape(json!({"mean": 550})), expected);
    assert!(ok(json!({"mean": 550})).is_deterministic());
}

#[test]
fn keys_choose_each_shape() {
    let normal = ok(json!({"mean": 550, "stddev": 50, "min": 1, "max": 4096}));
    assert_eq!(
        normal.shape(),
        &Shape::Normal {
            mean: 550.0,
            stddev: 50.0
        }
    );
    assert_eq!((normal.min(), normal.max()), (Some(1.0), Some(4096.0)));
    assert_eq!(
        shape(json!({"mean": 600, "median": 500})),
        Shape::LogNormal {
            mean: 600.0,
            median: 500.0
        }
    );
    assert_eq!(
        shape(json!({"min": 1, "max": 10})),
        Shape::Uniform {
            min: 1.0,
            max: 10.0
        }
    );
    assert_eq!(
        shape(json!({"mean": 2, "shape": 8})),
        Shape::InverseGaussian {
            mean: 2.0,
            shape: 8.0
        }
    );
    assert_eq!(
        shape(json!({"values": [1, 2]})),
        Shape::FixedStair {
            values: vec![1.0, 2.0],
            repeat_each: 1,
            wrap: true
        }
    );
    assert_eq!(
        shape(json!({"min": 1, "max": 100, "theta": 0.9, "scramble": true})),
        Shape::Zipf {
            min: 1,
            max: 100,
            alpha: 0.9,
            scramble: true
        }
    );
}

#[test]
fn explicit_type_is_stripped_and_decides_min_max() {
    let uniform = ok(json!({"type": "uniform", "min": 2, "max": 3}));
    assert_eq!(uniform.min(), None, "uniform's bounds are not clamps");
    let fixed = ok(json!({"type": "fixed", "value": 7, "min": 8}));
    assert_eq!(fixed.shape(), &Shape::Fixed { value: 7.0 });
    assert_eq!(fixed.min(), Some(8.0));
    let canonical = serde_json::to_value(&fixed).unwrap_or_default();
    assert_eq!(
        canonical,
        json!({"type": "fixed", "value": 7.0, "min": 8.0})
    );
}

#[test]
fn peaks_and_points_take_default_weights() {
    let mix = shape(json!({"peaks": [128, {"mean": 512, "stddev": 20, "weight": 3}]}));
    let Shape::Multimodal { peaks } = mix else {
        panic!("not multimodal: {mix:?}")
    };
    assert_eq!(peaks[0].weight, 1.0);
    assert_eq!(peaks[1].weight, 3.0);
    assert_eq!(
        peaks[1].dist.shape(),
        &Shape::Normal {
            mean: 512.0,
            stddev: 20.0
        }
    );
    assert_eq!(
        shape(json!({"points": [{"value": 5}, {"value": 6, "weight": 2}]})),
        Shape::Empirical {
            points: vec![
                Point {
                    value: 5.0,
                    weight: 1.0
                },
                Point {
                    value: 6.0,
                    weight: 2.0
                }
            ]
        }
    );
}

#[test]
fn canonical_form_round_trips() {
    let inputs = [
        json!(512),
        json!({"mean": 550, "stddev": 50, "min": 1, "max": 4096}),
        json!({"mean": 600, "median": 500, "max": 2000}),
        json!({"peaks": [{"value": 128, "weight": 2}, {"mean": 512, "stddev": 9, "max": 600}], "min": 1}),
        json!({"points": [{"value": 5, "weight": 1}, {"value": 6, "weight": 3}]}),
        json!({"min": 1, "max": 10}),
        json!({"values": [1, 2, 4], "repeat_each": 3, "wrap": false, "max": 3}),
        json!({"min": 10, "max": 20, "alpha": 1.2, "scramble": true}),
        json!({"type": "inverse_gaussian", "mean": 1, "shape": 2}),
    ];
    for input in inputs {
        let spec = ok(input.clone());
        let canonical = serde_json::to_value(&spec).unwrap_or_default();
        assert!(canonical.get("type").is_some(), "{canonical}");
        assert_eq!(ok(canonical.clone()), spec, "{input} → {canonical}");
    }
    let peak = Peak {
        dist: ok(json!(3)),
        weight: 2.0,
    };
    let peak_json = serde_json::to_value(&peak).unwrap_or_default();
    assert_eq!(
        peak_json,
        json!({"type": "fixed", "value": 3.0, "weight": 2.0})
    );
}

#[test]
fn display_is_short_and_human() {
    let spec = ok(json!({"mean": 550, "stddev": 50, "min": 1, "max": 4096}));
    assert_eq!(
        spec.to_string(),
        "normal(mean=550, stddev=50) clamped [1, 4096]"
    );
    let mix = ok(json!({"peaks": [128, {"value": 512, "weight": 3}], "min": 1}));
    assert_eq!(
        mix.to_string(),
        "multimodal(25% fixed(128), 75% fixed(512)) clamped [1, ∞)"
    );
    let zipf = ok(json!({"min": 1, "max": 9, "alpha": 1.1, "scramble": true}));
    assert_eq!(zipf.to_string(), "zipf(min=1, max=9, alpha=1.1, scrambled)");
}

#[test]
fn error_stddev_without_mean() {
    assert_eq!(
        err(json!({"stddev": 50})),
        "dataset.prompts.isl: {stddev: 50} has no 'mean' (keys seen: stddev); \
         a normal distribution needs mean (stddev defaults to 0)"
    );
}

#[test]
fn error_one_peak() {
    let msg = err(json!({"peaks": [{"mean": 100}]}));
    assert!(
        msg.starts_with("dataset.prompts.isl.peaks: 1 peak(s);"),
        "{msg}"
    );
    assert!(msg.contains("at least 2"), "{msg}");
}

#[test]
fn error_fixed_and_normal_keys_together() {
    // The rendering follows serde_json's key order: sorted, or as written with the
    // `preserve_order` feature; either is acceptable.
    let msg = err(json!({"value": 512, "mean": 600}));
    let tail = " mixes fixed keys (value) and normal keys (mean); write one shape, or add \
                'type:' to say which";
    assert!(
        msg == format!("dataset.prompts.isl: {{mean: 600, value: 512}}{tail}")
            || msg == format!("dataset.prompts.isl: {{value: 512, mean: 600}}{tail}"),
        "{msg}"
    );
}

#[test]
fn error_unknown_keys() {
    let msg = err(json!({"mean": 5, "sttdev": 1}));
    assert!(
        msg.starts_with("dataset.prompts.isl: unknown key 'sttdev'"),
        "{msg}"
    );
    assert!(msg.contains("(keys seen: mean, sttdev)"), "{msg}");
    let typed = err(json!({"type": "fixed", "value": 5, "stddev": 1}));
    assert!(
        typed.contains("unknown key 'stddev' for a fixed distribution"),
        "{typed}"
    );
    assert!(typed.contains("it takes: type, value, min, max"), "{typed}");
}

#[test]
fn error_negative_stddev() {
    assert_eq!(
        err(json!({"mean": 5, "stddev": -1})),
        "dataset.prompts.isl.stddev: -1 is negative; a normal distribution needs stddev >= 0"
    );
}

#[test]
fn error_median_above_mean() {
    let msg = err(json!({"mean": 500, "median": 600}));
    assert!(
        msg.starts_with("dataset.prompts.isl: median 600 is greater than mean 500;"),
        "{msg}"
    );
}

#[test]
fn error_empty_points() {
    let msg = err(json!({"points": []}));
    assert!(
        msg.starts_with("dataset.prompts.isl.points: empty;"),
        "{msg}"
    );
}

#[test]
fn error_zero_and_negative_weights() {
    let zero = err(json!({"points": [{"value": 1, "weight": 0}]}));
    assert!(
        zero.starts_with("dataset.prompts.isl.points[0].weight: 0 is not > 0;"),
        "{zero}"
    );
    let negative = err(json!({"peaks": [1, {"value": 2, "weight": -1}]}));
    assert!(
        negative.starts_with("dataset.prompts.isl.peaks[1].weight: -1 is not > 0;"),
        "{negative}"
    );
}

#[test]
fn error_min_above_max() {
    assert_eq!(
        err(json!({"mean": 5, "min": 10, "max": 1})),
        "dataset.prompts.isl: min 10 is greater than max 1; clamps need min <= max"
    );
    let uniform = err(json!({"type": "uniform", "min": 10, "max": 1}));
    assert!(
        uniform.contains("a uniform distribution needs min <= max"),
        "{uniform}"
    );
}

#[test]
fn error_nan_and_infinity() {
    assert_eq!(
        err(json!({"mean": "NaN"})),
        "dataset.prompts.isl.mean: \"NaN\" is not a finite number"
    );
    assert!(err(json!(".inf")).contains("is not a finite number"));
    let built = DistSpec::new(Shape::Fixed { value: 1.0 }, Some(f64::NAN), None, "--isl");
    assert!(matches!(built, Err(DistError::Invalid { ref path, .. }) if path == "--isl.min"));
}

#[test]
fn error_legacy_seq_dist_string() {
    assert_eq!(
        err(json!("128,64:50;512,128:50")),
        "dataset.prompts.isl: got the string \"128,64:50;512,128:50\"; paired ISL/OSL \
         mixtures go in --seq-dist / sequence_distribution"
    );
}

#[test]
fn error_other_wrong_values() {
    assert!(err(json!("512")).contains("drop the quotes"));
    assert!(err(json!([1, 2])).contains("expected a number or a mapping"));
    let no_shape = err(json!({"min": 5}));
    assert!(
        no_shape.contains("names no distribution (keys seen: min)"),
        "{no_shape}"
    );
    let bad_type = err(json!({"type": "gaussian", "mean": 1}));
    assert!(
        bad_type.starts_with("dataset.prompts.isl.type: unknown distribution type \"gaussian\"")
    );
    let both = err(json!({"min": 1, "max": 5, "alpha": 1, "theta": 1}));
    assert!(both.contains("both alpha and theta"), "{both}");
    let fractional = err(json!({"values": [1], "repeat_each": 1.5}));
    assert!(fractional.starts_with("dataset.prompts.isl.repeat_each: 1.5 is not a whole number"));
    let nested = err(json!({"peaks": [1, {"mean": 3, "stddev": -2}]}));
    assert!(nested.starts_with("dataset.prompts.isl.peaks[1].stddev: -2 is negative"));
    let clamped_uniform =
        DistSpec::new(Shape::Uniform { min: 1.0, max: 2.0 }, Some(1.0), None, PATH);
    assert!(clamped_uniform.is_err());
}
