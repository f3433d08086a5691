//! Every name `--public-dataset` accepts: SPEED-Bench's variants and the text sets AIPerf
//! lists (`sharegpt`, ...), with where each one lives on the Hugging Face hub. See
//! docs/datasets.md.

use super::public_plan::SpeedBenchVariant;

/// A `--public-dataset` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicDataset {
    /// One SPEED-Bench variant (parquet, `nvidia/SPEED-Bench`).
    SpeedBench(SpeedBenchVariant),
    /// ShareGPT (`anon8231489123/ShareGPT_Vicuna_unfiltered`): real conversations, each
    /// human prompt sent with its recorded reply's length as `max_tokens`.
    ShareGpt,
    /// A text set whose rows each give one prompt (AIMO, InstructCoder, Blazedit, Spec-Bench).
    Text(&'static TextSet),
}

/// Where a text set's prompt comes from in each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptField {
    /// One string column.
    Column(&'static str),
    /// A template whose `{name}` places take the row's string columns of that name.
    Template(&'static str),
    /// A list of strings (`turns`): the first, or all as one session with multi-turn on.
    Turns(&'static str),
}

/// A text set as AIPerf's registry describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextSet {
    /// The `--public-dataset` name.
    pub name: &'static str,
    /// The Hugging Face dataset repository; `None` for a set published elsewhere.
    pub repo: Option<&'static str>,
    /// The split whose files are read (`train`, `test`, ...).
    pub split: &'static str,
    /// For a set published outside the hub: its file name and where to fetch it.
    pub url_file: Option<(&'static str, &'static str)>,
    /// The prompt.
    pub prompt: PromptField,
}

/// vLLM's and AIPerf's Blazedit prompt.
const BLAZEDIT_TEMPLATE: &str = "Given a code file, please apply the change requests and generate the new file.\n\nOriginal file:\n```python\n{code}\n```\n\nChange request:\n{change_request}\n\nPlease generate the new code file in the \"New file\" section below.";

const fn hub(name: &'static str, repo: &'static str, prompt: PromptField) -> TextSet {
    TextSet {
        name,
        repo: Some(repo),
        split: "train",
        url_file: None,
        prompt,
    }
}

/// The text sets, in the order AIPerf lists them.
pub const TEXT_SETS: [TextSet; 8] = [
    hub("aimo", "AI-MO/NuminaMath-TIR", PromptField::Column("problem")),
    hub("aimo_aime", "AI-MO/aimo-validation-aime", PromptField::Column("problem")),
    hub("aimo_numina_cot", "AI-MO/NuminaMath-CoT", PromptField::Column("problem")),
    hub("aimo_numina_1_5", "AI-MO/NuminaMath-1.5", PromptField::Column("problem")),
    TextSet {
        name: "spec_bench",
        repo: None,
        split: "test",
        url_file: Some((
            "question.jsonl",
            "https://raw.githubusercontent.com/hemingkx/Spec-Bench/fd2c1cd7d2201ef71db4c5f4e455008f017967bf/data/spec_bench/question.jsonl",
        )),
        prompt: PromptField::Turns("turns"),
    },
    hub("instruct_coder", "likaixin/InstructCoder", PromptField::Column("instruction")),
    hub("blazedit_5k", "vdaita/edit_5k_char", PromptField::Template(BLAZEDIT_TEMPLATE)),
    hub("blazedit_10k", "vdaita/edit_10k_char", PromptField::Template(BLAZEDIT_TEMPLATE)),
];

/// Where a JSON dataset file lives on the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubFile {
    /// The dataset repository.
    pub repo: &'static str,
    /// The file inside it.
    pub file: &'static str,
}

/// ShareGPT's file, as AIPerf and vLLM's benchmarks fetch it.
pub const SHAREGPT_FILE: HubFile = HubFile {
    repo: "anon8231489123/ShareGPT_Vicuna_unfiltered",
    file: "ShareGPT_V3_unfiltered_cleaned_split.json",
};

impl PublicDataset {
    /// Parses a `--public-dataset` name (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        let lower = name.trim().to_ascii_lowercase();
        match lower.as_str() {
            "sharegpt" => Some(Self::ShareGpt),
            _ => TEXT_SETS
                .iter()
                .find(|t| t.name == lower)
                .map(Self::Text)
                .or_else(|| SpeedBenchVariant::parse(&lower).map(Self::SpeedBench)),
        }
    }

    /// Every name, in the order `--help` and errors list them.
    pub fn all_names() -> Vec<String> {
        let mut names = vec!["sharegpt".to_string()];
        names.extend(TEXT_SETS.iter().map(|t| t.name.to_string()));
        names.extend(SpeedBenchVariant::all().iter().map(|v| v.name()));
        names
    }

    /// The canonical name, as `--public-dataset` and AIPerf spell it.
    pub fn name(&self) -> String {
        match self {
            Self::SpeedBench(v) => v.name(),
            Self::ShareGpt => "sharegpt".into(),
            Self::Text(t) => t.name.into(),
        }
    }

    /// The SPEED-Bench variant, when this is one.
    pub fn speed_bench(&self) -> Option<SpeedBenchVariant> {
        match self {
            Self::SpeedBench(v) => Some(*v),
            Self::ShareGpt | Self::Text(_) => None,
        }
    }

    /// Whether the rows carry their own output lengths (the recorded replies), used as
    /// `max_tokens` unless `--public-dataset-max-tokens` is given.
    pub fn has_reply_lengths(&self) -> bool {
        matches!(self, Self::ShareGpt)
    }

    /// `max_tokens` when `--public-dataset-max-tokens` is not given: SPEED-Bench's 4096;
    /// none for the other sets (AIPerf sends none: the server decides).
    pub fn default_max_tokens(&self) -> Option<u32> {
        match self {
            Self::SpeedBench(_) => Some(super::DEFAULT_MAX_TOKENS),
            Self::ShareGpt | Self::Text(_) => None,
        }
    }
}

impl serde::Serialize for PublicDataset {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for name in PublicDataset::all_names() {
            let set = PublicDataset::parse(&name).unwrap();
            assert_eq!(set.name(), name);
        }
        assert_eq!(
            PublicDataset::parse("ShareGPT"),
            Some(PublicDataset::ShareGpt)
        );
        assert_eq!(PublicDataset::parse("sharegpt4"), None);
        assert_eq!(PublicDataset::all_names().len(), 1 + 8 + 32);
        let blazedit = PublicDataset::parse("blazedit_10k").unwrap();
        assert!(
            matches!(blazedit, PublicDataset::Text(t) if t.repo == Some("vdaita/edit_10k_char"))
        );
        assert_eq!(blazedit.default_max_tokens(), None);
        assert!(PublicDataset::ShareGpt.has_reply_lengths());
        assert!(!PublicDataset::parse("speed_bench_math")
            .unwrap()
            .has_reply_lengths());
    }
}
