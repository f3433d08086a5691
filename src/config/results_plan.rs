//! What the results add to the plain statistics: `--goodput` service level objectives and
//! `--slice-duration` time slices (AIPerf's flags; see docs/metrics.md).
//!
//! Only the syntax is checked here: whether a tag names a per-request metric is the metrics
//! catalog's to say (`metrics::goodput`), which config does not import; the CLI asks it before
//! the run.

use std::time::Duration;

use super::settings::SettingError;

/// One objective of `--goodput`: a metric tag and its threshold, in the metric's exported
/// unit (ms for latencies, tokens/sec/user for throughputs).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Slo {
    /// The per-request metric's AIPerf tag (`time_to_first_token`).
    pub tag: String,
    /// The threshold in the metric's exported unit.
    pub threshold: f64,
}

/// Goodput objectives and time slices; empty and `None` when not asked for.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ResultsPlan {
    /// `--goodput`: a request is good when it succeeded and meets every objective.
    pub goodput: Vec<Slo>,
    /// `--slice-duration`: the width of each time slice.
    #[serde(serialize_with = "secs")]
    pub slice_duration: Option<Duration>,
}

fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// The flags, as given (flags only, like telemetry).
#[derive(Debug, Clone, Default)]
pub struct ResultsSettings {
    /// `--goodput` text: `tag:value` pairs separated by spaces.
    pub goodput: Option<String>,
    /// `--slice-duration`, seconds.
    pub slice_duration: Option<f64>,
}

impl ResultsSettings {
    /// Checks the syntax and the numbers.
    pub fn resolve(&self) -> Result<ResultsPlan, SettingError> {
        let goodput = match &self.goodput {
            Some(text) => parse_goodput(text).map_err(|e| SettingError::flag("--goodput", e))?,
            None => Vec::new(),
        };
        let slice_duration = match self.slice_duration {
            None => None,
            Some(s) if s.is_finite() && s > 0.0 && s <= 1e9 => Some(Duration::from_secs_f64(s)),
            Some(s) => {
                return Err(SettingError::flag(
                    "--slice-duration",
                    format!("{s} is not a positive number of seconds (e.g. --slice-duration 10)"),
                ))
            }
        };
        Ok(ResultsPlan {
            goodput,
            slice_duration,
        })
    }
}

/// `"request_latency:250 inter_token_latency:10"` → objectives, in the order given. Pairs are
/// separated by whitespace (commas are accepted too); a tag given twice is refused.
pub fn parse_goodput(text: &str) -> Result<Vec<Slo>, String> {
    let mut out: Vec<Slo> = Vec::new();
    for piece in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
    {
        let Some((tag, value)) = piece.split_once(':') else {
            return Err(format!(
                "'{piece}' is not tag:value (e.g. --goodput \"time_to_first_token:100 request_latency:250\")"
            ));
        };
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(format!("'{piece}' has no metric tag before ':'"));
        }
        let threshold = value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| {
                format!(
                    "'{piece}': the threshold must be a number of at least 0, in the metric's unit"
                )
            })?;
        if out.iter().any(|s| s.tag == tag) {
            return Err(format!("'{tag}' is given twice"));
        }
        out.push(Slo {
            tag: tag.to_owned(),
            threshold,
        });
    }
    if out.is_empty() {
        return Err("no objective given (e.g. --goodput \"time_to_first_token:100\")".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aiperfs_syntax_parses_in_order() {
        let slos =
            parse_goodput("request_latency:250 inter_token_latency:10  time_to_first_token:100.5")
                .unwrap();
        let got: Vec<(&str, f64)> = slos.iter().map(|s| (s.tag.as_str(), s.threshold)).collect();
        assert_eq!(
            got,
            [
                ("request_latency", 250.0),
                ("inter_token_latency", 10.0),
                ("time_to_first_token", 100.5)
            ]
        );
        assert_eq!(parse_goodput("a:1,b:2").unwrap().len(), 2);
    }

    #[test]
    fn bad_pieces_are_named() {
        for (text, piece) in [
            ("request_latency", "'request_latency' is not tag:value"),
            ("request_latency:abc", "'request_latency:abc'"),
            ("request_latency:-1", "'request_latency:-1'"),
            ("request_latency:inf", "'request_latency:inf'"),
            (":5", "':5' has no metric tag"),
            ("a:1 a:2", "'a' is given twice"),
            ("   ", "no objective"),
        ] {
            let e = parse_goodput(text).unwrap_err();
            assert!(e.contains(piece), "{text}: {e}");
        }
    }

    #[test]
    fn slice_duration_must_be_positive() {
        let ok = ResultsSettings {
            slice_duration: Some(0.5),
            ..Default::default()
        };
        assert_eq!(
            ok.resolve().unwrap().slice_duration,
            Some(Duration::from_millis(500))
        );
        for bad in [0.0, -1.0, f64::NAN] {
            let s = ResultsSettings {
                slice_duration: Some(bad),
                ..Default::default()
            };
            let e = s.resolve().unwrap_err();
            assert_eq!(e.name(), "--slice-duration");
        }
    }
}
