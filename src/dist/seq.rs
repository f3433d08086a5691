//! AIPerf's legacy paired ISL/OSL mixture: `--seq-dist` / `sequence_distribution`.
//!
//! `"128,64:50;512,128:50"` is half (ISL 128, OSL 64) and half (512, 128); a value may carry
//! a standard deviation, `"128|10,64|5:50"`. Percentages sum to 100 (within 1e-6). A draw picks
//! one entry, then draws ISL and OSL from normals truncated at 0, like `dist`'s own normal.

use std::fmt;

use rand::Rng;

use super::{round_count, DistError, DistSpec, Shape};
use crate::rng::RngRoot;

/// How far the percentages may stray from 100 (float sums of decimal fractions).
const SUM_TOLERANCE: f64 = 1e-6;

/// A parsed `--seq-dist` string: entries whose probabilities sum to 100%.
#[derive(Debug, Clone, PartialEq)]
pub struct SeqDist {
    entries: Vec<SeqEntry>,
}

/// One `ISL[|stddev],OSL[|stddev]:PERCENT` entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeqEntry {
    /// Mean input length in tokens, > 0.
    pub isl: f64,
    /// Its standard deviation, ≥ 0 (0 when not written).
    pub isl_stddev: f64,
    /// Mean output length in tokens, > 0.
    pub osl: f64,
    /// Its standard deviation, ≥ 0.
    pub osl_stddev: f64,
    /// Probability in percent, > 0.
    pub percent: f64,
}

impl SeqDist {
    /// Parses `text`, naming `key_path` (`--seq-dist` or `sequence_distribution`) in errors.
    pub fn parse(text: &str, key_path: &str) -> Result<Self, DistError> {
        let fail = |reason: String| DistError::SeqDist {
            path: key_path.to_string(),
            text: text.to_string(),
            reason,
        };
        if text.trim().is_empty() {
            return Err(fail("empty string".to_string()));
        }
        let mut entries = Vec::new();
        for (i, raw) in text.split(';').enumerate() {
            entries.push(parse_entry(raw.trim(), i + 1).map_err(&fail)?);
        }
        let sum: f64 = entries.iter().map(|e| e.percent).sum();
        if (sum - 100.0).abs() > SUM_TOLERANCE {
            return Err(fail(format!("probabilities sum to {sum}, not 100")));
        }
        Ok(Self { entries })
    }

    /// The entries, in the order written.
    pub fn entries(&self) -> &[SeqEntry] {
        &self.entries
    }

    /// Pair `index` of `consumer`, from `root.stream(consumer, index)`; each length is at
    /// least 1 token.
    pub fn sample_pair_at(&self, root: &RngRoot, consumer: &str, index: u64) -> (u32, u32) {
        self.sample_pair(&mut root.stream(consumer, index))
    }

    /// One (ISL, OSL) pair: an entry by probability, then both lengths from it, rounded and at
    /// least 1.
    pub fn sample_pair<R: Rng + ?Sized>(&self, rng: &mut R) -> (u32, u32) {
        let mut target = rng.random::<f64>() * 100.0;
        let mut chosen = self.entries.last();
        for entry in &self.entries {
            if target < entry.percent {
                chosen = Some(entry);
                break;
            }
            target -= entry.percent;
        }
        let Some(entry) = chosen else {
            return (1, 1);
        };
        let draw = |mean: f64, stddev: f64, rng: &mut R| {
            let normal = DistSpec {
                shape: Shape::Normal { mean, stddev },
                min: None,
                max: None,
            };
            round_count(normal.sample(rng, 0), None, None, 1)
        };
        let isl = draw(entry.isl, entry.isl_stddev, rng);
        let osl = draw(entry.osl, entry.osl_stddev, rng);
        (isl, osl)
    }
}

fn parse_entry(raw: &str, number: usize) -> Result<SeqEntry, String> {
    if raw.is_empty() {
        return Err(format!("entry {number} is empty (a stray ';'?)"));
    }
    let Some((pair, percent)) = raw.split_once(':') else {
        return Err(format!(
            "entry {number} {raw:?} has no ':' before its probability"
        ));
    };
    let Some((isl, osl)) = pair.split_once(',') else {
        return Err(format!(
            "entry {number} {raw:?} has no ',' between ISL and OSL"
        ));
    };
    let (isl, isl_stddev) = length(isl, "ISL", number)?;
    let (osl, osl_stddev) = length(osl, "OSL", number)?;
    let percent = value(percent, "probability", number)?;
    if percent <= 0.0 || percent > 100.0 {
        return Err(format!(
            "entry {number}: probability {percent} is outside (0, 100]"
        ));
    }
    Ok(SeqEntry {
        isl,
        isl_stddev,
        osl,
        osl_stddev,
        percent,
    })
}

/// `128` or `128|10`: a positive mean and a non-negative stddev.
fn length(text: &str, what: &str, number: usize) -> Result<(f64, f64), String> {
    let (mean, stddev) = match text.split_once('|') {
        Some((mean, stddev)) => (mean, Some(stddev)),
        None => (text, None),
    };
    let mean = value(mean, what, number)?;
    if mean <= 0.0 {
        return Err(format!("entry {number}: {what} {mean} is not > 0"));
    }
    let stddev = match stddev {
        Some(s) => value(s, &format!("{what} stddev"), number)?,
        None => 0.0,
    };
    if stddev < 0.0 {
        return Err(format!(
            "entry {number}: {what} stddev {stddev} is negative"
        ));
    }
    Ok((mean, stddev))
}

fn value(text: &str, what: &str, number: usize) -> Result<f64, String> {
    let trimmed = text.trim();
    match trimmed.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!(
            "entry {number}: {what} {trimmed:?} is not a number"
        )),
    }
}

/// The canonical string, which [`SeqDist::parse`] reads back to an equal value.
impl fmt::Display for SeqDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write_length(f, e.isl, e.isl_stddev)?;
            f.write_str(",")?;
            write_length(f, e.osl, e.osl_stddev)?;
            write!(f, ":{}", e.percent)?;
        }
        Ok(())
    }
}

fn write_length(f: &mut fmt::Formatter<'_>, mean: f64, stddev: f64) -> fmt::Result {
    if stddev > 0.0 {
        write!(f, "{mean}|{stddev}")
    } else {
        write!(f, "{mean}")
    }
}

/// Serialised as its canonical string, the form users write.
impl serde::Serialize for SeqDist {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
