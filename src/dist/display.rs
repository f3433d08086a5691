//! The short human form of a resolved distribution, for `config validate` and run headers:
//! `normal(mean=550, stddev=50) clamped [1, 4096]`.

use std::fmt;

use super::{DistSpec, Shape};

/// Past this many points an empirical list is summarised; a plan summary is not a histogram.
const SHOWN_POINTS: usize = 6;

impl fmt::Display for DistSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.shape)?;
        match (self.min, self.max) {
            (None, None) => Ok(()),
            (Some(min), Some(max)) => write!(f, " clamped [{min}, {max}]"),
            (Some(min), None) => write!(f, " clamped [{min}, ∞)"),
            (None, Some(max)) => write!(f, " clamped (-∞, {max}]"),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Fixed { value } => write!(f, "fixed({value})"),
            Shape::Normal { mean, stddev } => write!(f, "normal(mean={mean}, stddev={stddev})"),
            Shape::LogNormal { mean, median } => {
                write!(f, "lognormal(mean={mean}, median={median})")
            }
            Shape::Multimodal { peaks } => {
                let total: f64 = peaks.iter().map(|p| p.weight).sum();
                f.write_str("multimodal(")?;
                for (i, peak) in peaks.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{} {}", percent(peak.weight, total), peak.dist)?;
                }
                f.write_str(")")
            }
            Shape::Empirical { points } => {
                let total: f64 = points.iter().map(|p| p.weight).sum();
                f.write_str("empirical(")?;
                for (i, point) in points.iter().take(SHOWN_POINTS).enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{}: {}", point.value, percent(point.weight, total))?;
                }
                if points.len() > SHOWN_POINTS {
                    write!(f, ", … {} more", points.len() - SHOWN_POINTS)?;
                }
                f.write_str(")")
            }
            Shape::Uniform { min, max } => write!(f, "uniform(min={min}, max={max})"),
            Shape::FixedStair {
                values,
                repeat_each,
                wrap,
            } => {
                let list: Vec<String> = values.iter().map(f64::to_string).collect();
                let end = if *wrap { "wrap" } else { "hold last" };
                write!(
                    f,
                    "fixed_stair([{}], repeat_each={repeat_each}, {end})",
                    list.join(", ")
                )
            }
            Shape::Zipf {
                min,
                max,
                alpha,
                scramble,
            } => {
                let order = if *scramble { ", scrambled" } else { "" };
                write!(f, "zipf(min={min}, max={max}, alpha={alpha}{order})")
            }
            Shape::InverseGaussian { mean, shape } => {
                write!(f, "inverse_gaussian(mean={mean}, shape={shape})")
            }
        }
    }
}

/// A weight as a share of the total, to at most one decimal: `25%`, `33.3%`.
fn percent(weight: f64, total: f64) -> String {
    let share = if total > 0.0 {
        weight / total * 100.0
    } else {
        0.0
    };
    let tenths = (share * 10.0).round() / 10.0;
    format!("{tenths}%")
}
