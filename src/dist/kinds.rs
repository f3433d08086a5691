//! The shapes' names and keys: the table [`super::parse`] dispatches on.

/// A shape, before its parameters are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Fixed,
    Normal,
    LogNormal,
    Multimodal,
    Empirical,
    Uniform,
    FixedStair,
    Zipf,
    InverseGaussian,
}

/// Every `type:` name, for the unknown-type message.
pub(crate) const TYPES: &str =
    "fixed, normal, lognormal, multimodal, empirical, uniform, fixed_stair, zipf, inverse_gaussian";
/// Every key any shape takes, for the unknown-key message.
pub(crate) const ALL_KEYS: &str =
    "type, value, mean, stddev, median, peaks, points, min, max, values, \
                        repeat_each, wrap, alpha, theta, scramble, shape";

impl Kind {
    pub(crate) fn from_type(name: &str) -> Option<Self> {
        Some(match name {
            "fixed" => Self::Fixed,
            "normal" => Self::Normal,
            "lognormal" | "log_normal" => Self::LogNormal,
            "multimodal" => Self::Multimodal,
            "empirical" => Self::Empirical,
            "uniform" => Self::Uniform,
            "fixed_stair" => Self::FixedStair,
            "zipf" => Self::Zipf,
            "inverse_gaussian" => Self::InverseGaussian,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Normal => "normal",
            Self::LogNormal => "lognormal",
            Self::Multimodal => "multimodal",
            Self::Empirical => "empirical",
            Self::Uniform => "uniform",
            Self::FixedStair => "fixed_stair",
            Self::Zipf => "zipf",
            Self::InverseGaussian => "inverse_gaussian",
        }
    }

    /// Keys this shape takes besides `type`.
    pub(crate) fn keys(self) -> &'static [&'static str] {
        match self {
            Self::Fixed => &["value", "min", "max"],
            Self::Normal => &["mean", "stddev", "min", "max"],
            Self::LogNormal => &["mean", "median", "min", "max"],
            Self::Multimodal => &["peaks", "min", "max"],
            Self::Empirical => &["points", "min", "max"],
            Self::Uniform => &["min", "max"],
            Self::FixedStair => &["values", "repeat_each", "wrap", "min", "max"],
            Self::Zipf => &["min", "max", "alpha", "theta", "scramble"],
            Self::InverseGaussian => &["mean", "shape", "min", "max"],
        }
    }

    /// The shape a key belongs to alone; `mean`, `min` and `max` are shared.
    pub(crate) fn owning(key: &str) -> Option<Self> {
        Some(match key {
            "value" => Self::Fixed,
            "stddev" => Self::Normal,
            "median" => Self::LogNormal,
            "peaks" => Self::Multimodal,
            "points" => Self::Empirical,
            "values" | "repeat_each" | "wrap" => Self::FixedStair,
            "alpha" | "theta" | "scramble" => Self::Zipf,
            "shape" => Self::InverseGaussian,
            _ => return None,
        })
    }

    pub(crate) fn needs(self) -> &'static str {
        match self {
            Self::Fixed => "a fixed distribution needs value",
            Self::Normal => "a normal distribution needs mean (stddev defaults to 0)",
            Self::LogNormal => "a lognormal distribution needs mean and median",
            Self::Multimodal => "a multimodal distribution needs peaks",
            Self::Empirical => "an empirical distribution needs points",
            Self::Uniform => "a uniform distribution needs min and max",
            Self::FixedStair => "a fixed_stair sequence needs values",
            Self::Zipf => "a zipf distribution needs min, max and alpha (or theta)",
            Self::InverseGaussian => "an inverse_gaussian distribution needs mean and shape",
        }
    }
}
