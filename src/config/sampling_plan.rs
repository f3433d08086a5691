//! `--dataset-sampling-strategy`: the order a dataset's entries (or sessions) are sent in,
//! with AIPerf's names and meanings. See docs/datasets.md.

/// How requests pick dataset entries (sessions, in a multi-turn workload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplingStrategy {
    /// In file order, wrapping to the start after the end.
    Sequential,
    /// Uniformly at random with replacement: an entry may repeat before all are used.
    Random,
    /// A random permutation, then a fresh one after each full pass (without replacement).
    Shuffle,
}

impl SamplingStrategy {
    /// Every strategy, in the order `--help` lists them.
    pub const ALL: [SamplingStrategy; 3] = [Self::Random, Self::Sequential, Self::Shuffle];

    /// The name, as AIPerf spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::Random => "random",
            Self::Shuffle => "shuffle",
        }
    }

    /// Parses a name (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in SamplingStrategy::ALL {
            assert_eq!(SamplingStrategy::parse(s.name()), Some(s));
        }
        assert_eq!(
            SamplingStrategy::parse("Shuffle"),
            Some(SamplingStrategy::Shuffle)
        );
        assert_eq!(SamplingStrategy::parse("round_robin"), None);
    }
}
