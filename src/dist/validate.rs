//! Parameter checks shared by [`super::parse`] and [`super::DistSpec::new`].
//!
//! Parsing decides which keys mean what; this decides whether the numbers make sense, so a
//! spec built in code is held to exactly the same rules as one read from YAML.

use super::error::join;
use super::{DistError, DistSpec, Shape};

/// Checks every parameter of `spec` (recursively), naming `path` in any error.
pub(crate) fn check(spec: &DistSpec, path: &str) -> Result<(), DistError> {
    check_clamps(spec, path)?;
    match &spec.shape {
        Shape::Fixed { value } => finite(*value, &join(path, "value")),
        Shape::Normal { mean, stddev } => {
            finite(*mean, &join(path, "mean"))?;
            finite(*stddev, &join(path, "stddev"))?;
            if *stddev < 0.0 {
                return invalid(
                    join(path, "stddev"),
                    format!("{stddev} is negative; a normal distribution needs stddev >= 0"),
                );
            }
            Ok(())
        }
        Shape::LogNormal { mean, median } => {
            positive(
                *mean,
                &join(path, "mean"),
                "a lognormal distribution needs mean > 0",
            )?;
            positive(
                *median,
                &join(path, "median"),
                "a lognormal distribution needs median > 0",
            )?;
            if median > mean {
                return invalid(
                    path.to_string(),
                    format!(
                        "median {median} is greater than mean {mean}; a lognormal distribution \
                         is right-skewed and needs 0 < median <= mean (equal means fixed)"
                    ),
                );
            }
            Ok(())
        }
        Shape::Multimodal { peaks } => {
            if peaks.len() < 2 {
                return invalid(
                    join(path, "peaks"),
                    format!(
                        "{} peak(s); a multimodal distribution needs at least 2 \
                         (for one, write that shape directly)",
                        peaks.len()
                    ),
                );
            }
            for (i, peak) in peaks.iter().enumerate() {
                let at = format!("{}[{i}]", join(path, "peaks"));
                weight(peak.weight, &join(&at, "weight"))?;
                check(&peak.dist, &at)?;
            }
            Ok(())
        }
        Shape::Empirical { points } => {
            if points.is_empty() {
                return invalid(
                    join(path, "points"),
                    "empty; an empirical distribution needs at least one {value, weight} point"
                        .to_string(),
                );
            }
            for (i, point) in points.iter().enumerate() {
                let at = format!("{}[{i}]", join(path, "points"));
                finite(point.value, &join(&at, "value"))?;
                weight(point.weight, &join(&at, "weight"))?;
            }
            Ok(())
        }
        Shape::Uniform { min, max } => {
            finite(*min, &join(path, "min"))?;
            finite(*max, &join(path, "max"))?;
            ordered(*min, *max, path, "a uniform distribution needs min <= max")
        }
        Shape::FixedStair {
            values,
            repeat_each,
            ..
        } => {
            if values.is_empty() {
                return invalid(
                    join(path, "values"),
                    "empty; a fixed_stair sequence needs at least one value".to_string(),
                );
            }
            for (i, value) in values.iter().enumerate() {
                finite(*value, &format!("{}[{i}]", join(path, "values")))?;
            }
            if *repeat_each == 0 {
                return invalid(
                    join(path, "repeat_each"),
                    "0; each value must be used at least once (repeat_each >= 1)".to_string(),
                );
            }
            Ok(())
        }
        Shape::Zipf {
            min, max, alpha, ..
        } => {
            finite(*alpha, &join(path, "alpha"))?;
            if *alpha < 0.0 {
                return invalid(
                    join(path, "alpha"),
                    format!("{alpha} is negative; a zipf distribution needs alpha >= 0"),
                );
            }
            if min > max {
                return invalid(
                    path.to_string(),
                    format!(
                        "min {min} is greater than max {max}; a zipf distribution needs min <= max"
                    ),
                );
            }
            Ok(())
        }
        Shape::InverseGaussian { mean, shape } => {
            positive(
                *mean,
                &join(path, "mean"),
                "an inverse_gaussian distribution needs mean > 0",
            )?;
            positive(
                *shape,
                &join(path, "shape"),
                "an inverse_gaussian distribution needs shape > 0",
            )
        }
    }
}

fn check_clamps(spec: &DistSpec, path: &str) -> Result<(), DistError> {
    let bounded = matches!(spec.shape, Shape::Uniform { .. } | Shape::Zipf { .. });
    if bounded && (spec.min.is_some() || spec.max.is_some()) {
        return invalid(
            path.to_string(),
            "uniform and zipf use min/max as their own bounds, so they take no clamps".to_string(),
        );
    }
    if let Some(min) = spec.min {
        finite(min, &join(path, "min"))?;
    }
    if let Some(max) = spec.max {
        finite(max, &join(path, "max"))?;
    }
    match (spec.min, spec.max) {
        (Some(min), Some(max)) => ordered(min, max, path, "clamps need min <= max"),
        _ => Ok(()),
    }
}

fn invalid(path: String, reason: String) -> Result<(), DistError> {
    Err(DistError::Invalid { path, reason })
}

fn finite(value: f64, path: &str) -> Result<(), DistError> {
    if value.is_finite() {
        Ok(())
    } else {
        invalid(path.to_string(), format!("{value} is not a finite number"))
    }
}

fn positive(value: f64, path: &str, needs: &str) -> Result<(), DistError> {
    finite(value, path)?;
    if value > 0.0 {
        Ok(())
    } else {
        invalid(path.to_string(), format!("{value} is not > 0; {needs}"))
    }
}

fn weight(value: f64, path: &str) -> Result<(), DistError> {
    positive(value, path, "weights are relative and must be positive")
}

fn ordered(min: f64, max: f64, path: &str, needs: &str) -> Result<(), DistError> {
    if min <= max {
        Ok(())
    } else {
        invalid(
            path.to_string(),
            format!("min {min} is greater than max {max}; {needs}"),
        )
    }
}
