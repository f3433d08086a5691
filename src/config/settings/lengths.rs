//! Prompt and output lengths: `--seq-dist`, else the ISL/OSL flags over the file's
//! distributions, else the file's, else the default ISL and the server's choice of OSL.

use super::resolve::value;
use super::{Origin, SettingError, Settings};
use crate::config::{LengthPlan, DEFAULT_ISL, MAX_PROMPT_TOKENS};
use crate::dist::{DistSpec, SeqDist, Shape};

const ISL_FLAG: &str = "--synthetic-input-tokens-mean";
const OSL_FLAG: &str = "--output-tokens-mean";

impl Settings {
    pub(super) fn lengths(&self) -> Result<LengthPlan, SettingError> {
        if let Some(text) = &self.seq_dist_text {
            let seq_dist = SeqDist::parse(&text.value, text.from.name())
                .map_err(|e| SettingError::new(&text.from, e.to_string()))?;
            return Ok(LengthPlan::Paired { seq_dist });
        }
        if let Some(given) = &self.isl {
            check_tokens(&given.from, &given.value, Side::Input)?;
        }
        if let Some(given) = &self.osl {
            check_tokens(&given.from, &given.value, Side::Output)?;
        }
        let file_isl = self.isl.as_ref().map(|g| &g.value);
        let file_osl = self.osl.as_ref().map(|g| &g.value);
        let isl_flag = flag_length(
            ISL_FLAG,
            value(&self.isl_mean),
            value(&self.isl_stddev),
            file_isl,
        )?;
        let osl_flag = flag_length(
            OSL_FLAG,
            value(&self.osl_mean),
            value(&self.osl_stddev),
            file_osl,
        )?;
        if let (None, None, Some(seq_dist)) = (&isl_flag, &osl_flag, &self.seq_dist) {
            return Ok(LengthPlan::Paired {
                seq_dist: seq_dist.value.clone(),
            });
        }
        let isl = match isl_flag.or(file_isl.cloned()) {
            Some(isl) => isl,
            None => length(ISL_FLAG, DEFAULT_ISL, 0.0)?,
        };
        Ok(LengthPlan::Independent {
            isl,
            osl: osl_flag.or(file_osl.cloned()),
        })
    }
}

/// A length from the mean/stddev flags, if either was given: a missing mean comes from the
/// file's fixed or normal distribution, then the default (ISL only; OSL has none).
fn flag_length(
    flag: &'static str,
    mean: Option<f64>,
    stddev: Option<f64>,
    file: Option<&DistSpec>,
) -> Result<Option<DistSpec>, SettingError> {
    if mean.is_none() && stddev.is_none() {
        return Ok(None);
    }
    let file_mean = file.and_then(|d| match d.shape() {
        Shape::Fixed { value } => Some(*value),
        Shape::Normal { mean, .. } => Some(*mean),
        _ => None,
    });
    let default = (flag == ISL_FLAG).then_some(DEFAULT_ISL);
    match mean.or(file_mean).or(default) {
        Some(mean) => length(flag, mean, stddev.unwrap_or(0.0)).map(Some),
        None => Ok(None),
    }
}

/// The most tokens `max_tokens` may ask for: it is counted in `u32`, and a larger mean would be
/// sent clamped (`--osl 1e30` as 4294967295) rather than as asked.
const MAX_OUTPUT_TOKENS: f64 = u32::MAX as f64;

/// Which length a mean is.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    /// A prompt: at most [`MAX_PROMPT_TOKENS`].
    Input,
    /// `max_tokens`: at most [`MAX_OUTPUT_TOKENS`].
    Output,
}

/// The rule flags and file keys share: a fixed or normal length's mean is at least 1 token
/// (`isl: {mean: 0}` is refused as `--isl 0` is) and within its cap.
fn check_mean(from: &Origin, mean: f64, side: Side) -> Result<(), SettingError> {
    if !(mean.is_finite() && mean >= 1.0) {
        return Err(SettingError::new(
            from,
            format!("must be at least 1, got {mean}"),
        ));
    }
    if side == Side::Input && mean > f64::from(MAX_PROMPT_TOKENS) {
        return Err(SettingError::new(
            from,
            format!("a prompt of {mean} tokens was asked for; one prompt may have at most {MAX_PROMPT_TOKENS} tokens (gauntlet's cap, docs/reliability.md)"),
        ));
    }
    if side == Side::Output && mean > MAX_OUTPUT_TOKENS {
        return Err(SettingError::new(
            from,
            format!("{mean:e} tokens is more than the {MAX_OUTPUT_TOKENS} max_tokens can ask for"),
        ));
    }
    Ok(())
}

/// [`check_mean`] for a file's distribution of the shapes that have a mean.
fn check_tokens(from: &Origin, spec: &DistSpec, side: Side) -> Result<(), SettingError> {
    match spec.shape() {
        Shape::Fixed { value } => check_mean(from, *value, side),
        Shape::Normal { mean, .. } => check_mean(from, *mean, side),
        _ => Ok(()),
    }
}

/// A normal length distribution (AIPerf's mean/stddev flags), at least 1 token.
fn length(flag: &'static str, mean: f64, stddev: f64) -> Result<DistSpec, SettingError> {
    let from = Origin::Flag(flag);
    let side = if flag == ISL_FLAG {
        Side::Input
    } else {
        Side::Output
    };
    check_mean(&from, mean, side)?;
    if !(stddev.is_finite() && stddev >= 0.0) {
        return Err(SettingError::new(
            &from,
            format!("the stddev must be finite and ≥ 0, got {stddev}"),
        ));
    }
    let shape = if stddev == 0.0 {
        Shape::Fixed { value: mean }
    } else {
        Shape::Normal { mean, stddev }
    };
    DistSpec::new(shape, None, None, flag).map_err(|e| SettingError::new(&from, e.to_string()))
}
