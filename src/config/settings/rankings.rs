//! The query and passages of rankings requests: AIPerf's `--rankings-*` mean/stddev flags over
//! the file's `benchmark.dataset.rankings {passages, passage_tokens, query_tokens}`, over
//! AIPerf's defaults. Only the rankings endpoint types use them; anywhere else they are refused.

use super::resolve::value;
use super::{Given, Opt, Origin, SettingError};
use crate::config::{EndpointType, RankingsPlan, MAX_PROMPT_TOKENS};
use crate::dist::{DistSpec, Shape};

/// AIPerf's `--rankings-passages-mean` default.
pub const DEFAULT_RANKINGS_PASSAGES: f64 = 1.0;
/// AIPerf's `--rankings-passages-prompt-token-mean` default.
pub const DEFAULT_RANKINGS_PASSAGE_TOKENS: f64 = 550.0;
/// AIPerf's `--rankings-query-prompt-token-mean` default.
pub const DEFAULT_RANKINGS_QUERY_TOKENS: f64 = 550.0;

/// Passages one request may carry: each is a prompt of its own, and a body of more would not
/// be a benchmark of a reranker any more.
pub const MAX_RANKINGS_PASSAGES: f64 = 10_000.0;

/// `--rankings-*` flags and `benchmark.dataset.rankings`; `None` where nothing set them.
#[derive(Debug, Clone, Default)]
pub struct RankingsSettings {
    /// `--rankings-passages-mean`.
    pub passages_mean: Opt<f64>,
    /// `--rankings-passages-stddev`.
    pub passages_stddev: Opt<f64>,
    /// `--rankings-passages-prompt-token-mean`.
    pub passage_tokens_mean: Opt<f64>,
    /// `--rankings-passages-prompt-token-stddev`.
    pub passage_tokens_stddev: Opt<f64>,
    /// `--rankings-query-prompt-token-mean`.
    pub query_tokens_mean: Opt<f64>,
    /// `--rankings-query-prompt-token-stddev`.
    pub query_tokens_stddev: Opt<f64>,
    /// `benchmark.dataset.rankings.passages`.
    pub passages: Opt<DistSpec>,
    /// `benchmark.dataset.rankings.passage_tokens`.
    pub passage_tokens: Opt<DistSpec>,
    /// `benchmark.dataset.rankings.query_tokens`.
    pub query_tokens: Opt<DistSpec>,
}

/// One of the three shapes: its flags, its file key and its default.
struct Part<'a> {
    mean: &'a Opt<f64>,
    stddev: &'a Opt<f64>,
    file: &'a Opt<DistSpec>,
    mean_flag: &'static str,
    default: f64,
    max: f64,
}

impl RankingsSettings {
    /// These (the flags) over `file`'s: a value given here wins.
    pub fn over(self, file: RankingsSettings) -> RankingsSettings {
        RankingsSettings {
            passages_mean: self.passages_mean.or(file.passages_mean),
            passages_stddev: self.passages_stddev.or(file.passages_stddev),
            passage_tokens_mean: self.passage_tokens_mean.or(file.passage_tokens_mean),
            passage_tokens_stddev: self.passage_tokens_stddev.or(file.passage_tokens_stddev),
            query_tokens_mean: self.query_tokens_mean.or(file.query_tokens_mean),
            query_tokens_stddev: self.query_tokens_stddev.or(file.query_tokens_stddev),
            passages: self.passages.or(file.passages),
            passage_tokens: self.passage_tokens.or(file.passage_tokens),
            query_tokens: self.query_tokens.or(file.query_tokens),
        }
    }

    /// The first setting given, for the message that refuses them with other endpoint types.
    fn first_given(&self) -> Option<&Origin> {
        [
            &self.passages_mean,
            &self.passages_stddev,
            &self.passage_tokens_mean,
            &self.passage_tokens_stddev,
            &self.query_tokens_mean,
            &self.query_tokens_stddev,
        ]
        .into_iter()
        .find_map(|g| g.as_ref().map(|g| &g.from))
        .or_else(|| {
            [&self.passages, &self.passage_tokens, &self.query_tokens]
                .into_iter()
                .find_map(|g| g.as_ref().map(|g| &g.from))
        })
    }

    /// The plan for `endpoint`: `Some` for the rankings types, `None` for the others, which
    /// refuse any rankings setting (AIPerf does the same).
    pub fn resolve(
        &self,
        endpoint: EndpointType,
        endpoint_from: Option<&Origin>,
    ) -> Result<Option<RankingsPlan>, SettingError> {
        if !endpoint.is_rankings() {
            if let Some(from) = self.first_given() {
                let named = endpoint_from.map_or("--endpoint-type".into(), |o| o.described());
                return Err(SettingError::new(
                    from,
                    format!(
                        "shapes rankings requests only, but {named} is {}; use nim_rankings, cohere_rankings or hf_tei_rankings, or drop it",
                        endpoint.name()
                    ),
                ));
            }
            return Ok(None);
        }
        let part = |mean, stddev, file, mean_flag, default, max| Part {
            mean,
            stddev,
            file,
            mean_flag,
            default,
            max,
        };
        Ok(Some(RankingsPlan {
            passages: part(
                &self.passages_mean,
                &self.passages_stddev,
                &self.passages,
                "--rankings-passages-mean",
                DEFAULT_RANKINGS_PASSAGES,
                MAX_RANKINGS_PASSAGES,
            )
            .resolve()?,
            passage_tokens: part(
                &self.passage_tokens_mean,
                &self.passage_tokens_stddev,
                &self.passage_tokens,
                "--rankings-passages-prompt-token-mean",
                DEFAULT_RANKINGS_PASSAGE_TOKENS,
                f64::from(MAX_PROMPT_TOKENS),
            )
            .resolve()?,
            query_tokens: part(
                &self.query_tokens_mean,
                &self.query_tokens_stddev,
                &self.query_tokens,
                "--rankings-query-prompt-token-mean",
                DEFAULT_RANKINGS_QUERY_TOKENS,
                f64::from(MAX_PROMPT_TOKENS),
            )
            .resolve()?,
        }))
    }
}

impl Part<'_> {
    /// The flags if either was given (a missing mean comes from the file's fixed or normal
    /// distribution, then the default), else the file's distribution, else the default.
    fn resolve(&self) -> Result<DistSpec, SettingError> {
        if let Some(g) = self.stddev {
            if !(g.value.is_finite() && g.value >= 0.0) {
                return Err(SettingError::new(
                    &g.from,
                    format!("the stddev must be finite and ≥ 0, got {}", g.value),
                ));
            }
        }
        if self.mean.is_none() && self.stddev.is_none() {
            if let Some(Given { value, from }) = self.file {
                if let Some(mean) = mean_of(value) {
                    self.check(from, mean)?;
                }
                return Ok(value.clone());
            }
        }
        let from = self
            .mean
            .as_ref()
            .map_or(Origin::Flag(self.mean_flag), |g| g.from.clone());
        let mean = value(self.mean)
            .or_else(|| self.file.as_ref().and_then(|g| mean_of(&g.value)))
            .unwrap_or(self.default);
        self.check(&from, mean)?;
        let stddev = value(self.stddev).unwrap_or(0.0);
        let shape = if stddev == 0.0 {
            Shape::Fixed { value: mean }
        } else {
            Shape::Normal { mean, stddev }
        };
        DistSpec::new(shape, None, None, self.mean_flag)
            .map_err(|e| SettingError::new(&from, e.to_string()))
    }

    fn check(&self, from: &Origin, mean: f64) -> Result<(), SettingError> {
        if !(mean.is_finite() && mean >= 1.0 && mean <= self.max) {
            return Err(SettingError::new(
                from,
                format!("must be between 1 and {}, got {mean}", self.max),
            ));
        }
        Ok(())
    }
}

/// The mean of a fixed or normal distribution.
fn mean_of(spec: &DistSpec) -> Option<f64> {
    match spec.shape() {
        Shape::Fixed { value } => Some(*value),
        Shape::Normal { mean, .. } => Some(*mean),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::flag;

    fn fixed(spec: &DistSpec) -> f64 {
        match spec.shape() {
            Shape::Fixed { value } => *value,
            other => panic!("not fixed: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_aiperfs() {
        let plan = RankingsSettings::default()
            .resolve(EndpointType::NimRankings, None)
            .unwrap()
            .unwrap();
        assert_eq!(fixed(&plan.passages), 1.0);
        assert_eq!(fixed(&plan.passage_tokens), 550.0);
        assert_eq!(fixed(&plan.query_tokens), 550.0);
    }

    #[test]
    fn flags_make_normal_or_fixed_shapes() {
        let s = RankingsSettings {
            passages_mean: flag("--rankings-passages-mean", Some(6.0)),
            passages_stddev: flag("--rankings-passages-stddev", Some(2.0)),
            query_tokens_mean: flag("--rankings-query-prompt-token-mean", Some(16.0)),
            ..Default::default()
        };
        let plan = s
            .resolve(EndpointType::CohereRankings, None)
            .unwrap()
            .unwrap();
        assert!(
            matches!(plan.passages.shape(), Shape::Normal { mean, stddev } if *mean == 6.0 && *stddev == 2.0)
        );
        assert_eq!(fixed(&plan.query_tokens), 16.0);
        assert_eq!(fixed(&plan.passage_tokens), 550.0);
    }

    #[test]
    fn refused_with_other_types_and_bad_values() {
        let s = RankingsSettings {
            passages_mean: flag("--rankings-passages-mean", Some(6.0)),
            ..Default::default()
        };
        let err = s.resolve(EndpointType::Chat, None).unwrap_err().to_string();
        assert!(
            err.contains("--rankings-passages-mean") && err.contains("nim_rankings"),
            "{err}"
        );
        assert_eq!(
            RankingsSettings::default().resolve(EndpointType::Chat, None),
            Ok(None)
        );
        let s = RankingsSettings {
            query_tokens_mean: flag("--rankings-query-prompt-token-mean", Some(0.0)),
            ..Default::default()
        };
        let err = s
            .resolve(EndpointType::NimRankings, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--rankings-query-prompt-token-mean") && err.contains("between 1"),
            "{err}"
        );
        let s = RankingsSettings {
            passages_stddev: flag("--rankings-passages-stddev", Some(-1.0)),
            ..Default::default()
        };
        assert!(s.resolve(EndpointType::NimRankings, None).is_err());
    }
}
