//! The SPEED-Bench variants `--public-dataset` accepts, and which dataset config and which
//! `category` values each one reads; and the resolved choice, carried in `Plan::public_dataset`.
//!
//! The dataset ships six configs (`qualitative`, `throughput_{1k,2k,8k,16k,32k}`), each with one
//! `test` split. The per-category sets are the qualitative split filtered on `category`; the
//! entropy tiers are a throughput split filtered on `category` (`low_entropy`, `mixed` — some
//! copies spell it `mixed_entropy` — and `high_entropy`).

use std::path::PathBuf;

/// The 11 semantic domains of the qualitative split, in the order reports show them.
pub const CATEGORIES: [&str; 11] = [
    "coding",
    "humanities",
    "math",
    "multilingual",
    "qa",
    "rag",
    "reasoning",
    "roleplay",
    "stem",
    "summarization",
    "writing",
];

/// The input-length buckets of the throughput configs.
pub const THROUGHPUT_ISLS: [&str; 5] = ["1k", "2k", "8k", "16k", "32k"];

/// The entropy tiers of a throughput config, as the variant names spell them.
pub const ENTROPY_TIERS: [&str; 3] = ["low_entropy", "mixed", "high_entropy"];

const PREFIX: &str = "speed_bench_";

/// A resolved `--public-dataset` choice, carried in `Plan::public_dataset`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicDatasetPlan {
    /// Which dataset or variant (serialized by name, e.g. `speed_bench_coding`, so a report
    /// can find the category in `input_config`).
    pub variant: super::PublicDataset,
    /// `--dataset-path`: the dataset's file, or a folder holding it; `None` uses the hub cache.
    pub dataset_path: Option<PathBuf>,
    /// Multi-turn rows send all their user turns as one conversation; otherwise the first.
    pub multi_turn: bool,
    /// `max_tokens` of every request; `None` lets the server decide.
    pub max_tokens: Option<u32>,
    /// Each request asks for its recorded reply's token count instead of `max_tokens`
    /// (ShareGPT without `--public-dataset-max-tokens`).
    pub reply_lengths: bool,
}

/// One `--public-dataset speed_bench_*` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeedBenchVariant {
    /// All 880 qualitative rows.
    Qualitative,
    /// The 80 qualitative rows of one category (one of [`CATEGORIES`]).
    Category(&'static str),
    /// A throughput bucket (1,536 rows), or one entropy tier of it (512 rows).
    Throughput {
        /// One of [`THROUGHPUT_ISLS`].
        isl: &'static str,
        /// One of [`ENTROPY_TIERS`]; `None` keeps all three.
        tier: Option<&'static str>,
    },
}

impl SpeedBenchVariant {
    /// Parses a variant name; `_mixed_entropy` is accepted for the `_mixed` tier.
    pub fn parse(name: &str) -> Option<Self> {
        let rest = name.trim().to_ascii_lowercase();
        let rest = rest.strip_prefix(PREFIX)?;
        if rest == "qualitative" {
            return Some(Self::Qualitative);
        }
        if let Some(category) = CATEGORIES.iter().find(|c| **c == rest) {
            return Some(Self::Category(category));
        }
        let bucket = rest.strip_prefix("throughput_")?;
        for isl in THROUGHPUT_ISLS {
            let Some(after) = bucket.strip_prefix(isl) else {
                continue;
            };
            if after.is_empty() {
                return Some(Self::Throughput { isl, tier: None });
            }
            let tier = after.strip_prefix('_')?;
            let tier = if tier == "mixed_entropy" {
                "mixed"
            } else {
                tier
            };
            return ENTROPY_TIERS
                .iter()
                .find(|t| **t == tier)
                .map(|tier| Self::Throughput {
                    isl,
                    tier: Some(tier),
                });
        }
        None
    }

    /// Every variant, in the order the docs list them.
    pub fn all() -> Vec<Self> {
        let mut all = vec![Self::Qualitative];
        all.extend(CATEGORIES.iter().map(|c| Self::Category(c)));
        for isl in THROUGHPUT_ISLS {
            all.push(Self::Throughput { isl, tier: None });
            all.extend(
                ENTROPY_TIERS
                    .iter()
                    .map(|t| Self::Throughput { isl, tier: Some(t) }),
            );
        }
        all
    }

    /// The canonical name, as `--public-dataset` and AIPerf spell it.
    pub fn name(&self) -> String {
        format!("{PREFIX}{}", self.label())
    }

    /// The name without the `speed_bench_` prefix: the column a report files the run under.
    pub fn label(&self) -> String {
        match self {
            Self::Qualitative => "qualitative".into(),
            Self::Category(c) => (*c).into(),
            Self::Throughput { isl, tier: None } => format!("throughput_{isl}"),
            Self::Throughput {
                isl,
                tier: Some(tier),
            } => format!("throughput_{isl}_{tier}"),
        }
    }

    /// The Hugging Face dataset config (subset) holding this variant's rows.
    pub fn config(&self) -> String {
        match self {
            Self::Qualitative | Self::Category(_) => "qualitative".into(),
            Self::Throughput { isl, .. } => format!("throughput_{isl}"),
        }
    }

    /// Whether a row whose `category` column holds `category` belongs to this variant.
    pub fn keeps(&self, category: &str) -> bool {
        let category = category.trim().to_ascii_lowercase();
        match self {
            Self::Qualitative | Self::Throughput { tier: None, .. } => true,
            Self::Category(c) => category == *c,
            Self::Throughput {
                tier: Some("mixed"),
                ..
            } => category == "mixed" || category == "mixed_entropy",
            Self::Throughput {
                tier: Some(tier), ..
            } => category == *tier,
        }
    }

    /// Rows the published dataset has for this variant (880, 80, 1,536 or 512).
    pub fn published_rows(&self) -> usize {
        match self {
            Self::Qualitative => 880,
            Self::Category(_) => 80,
            Self::Throughput { tier: None, .. } => 1_536,
            Self::Throughput { tier: Some(_), .. } => 512,
        }
    }
}

impl serde::Serialize for SpeedBenchVariant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_name() {
        let all = SpeedBenchVariant::all();
        assert_eq!(all.len(), 1 + 11 + 5 * 4);
        for v in all {
            assert_eq!(SpeedBenchVariant::parse(&v.name()), Some(v), "{}", v.name());
        }
    }

    #[test]
    fn mixed_entropy_is_the_mixed_tier() {
        let mixed = SpeedBenchVariant::parse("speed_bench_throughput_8k_mixed_entropy").unwrap();
        assert_eq!(mixed.name(), "speed_bench_throughput_8k_mixed");
        assert_eq!(mixed.config(), "throughput_8k");
        assert!(mixed.keeps("mixed") && mixed.keeps("mixed_entropy"));
        assert!(!mixed.keeps("low_entropy"));
    }

    #[test]
    fn categories_filter_the_qualitative_config() {
        let coding = SpeedBenchVariant::parse("speed_bench_coding").unwrap();
        assert_eq!(coding.config(), "qualitative");
        assert!(coding.keeps("Coding") && !coding.keeps("math"));
        assert_eq!(coding.published_rows(), 80);
    }

    #[test]
    fn unknown_names_are_refused() {
        for bad in [
            "speed_bench_cooking",
            "speed_bench_throughput_4k",
            "speed_bench_throughput_1k_medium",
            "speed_bench_throughput_16",
            "sharegpt",
        ] {
            assert_eq!(SpeedBenchVariant::parse(bad), None, "{bad}");
        }
    }
}
