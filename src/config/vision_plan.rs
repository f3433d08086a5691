//! The vision datasets `--public-dataset` accepts beside SPEED-Bench (AIPerf's names): each
//! row's question sent with its image(s) or video, and the resolved choice, carried in
//! `Plan::vision_dataset` (docs/datasets.md).

use std::path::PathBuf;

/// One published vision benchmark, where it lives on the Hugging Face hub and which columns
/// hold its prompt and media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisionDataset {
    /// MMStar (`Lin-Chen/MMStar`, split `val`): `question` + one `image`.
    Mmstar,
    /// MMVU (`yale-nlp/MMVU`, split `validation`): `question` + `choices`, one `video`.
    Mmvu,
    /// VisionArena-Chat (`lmarena-ai/VisionArena-Chat`, split `train`): the first user message
    /// of `conversation` + the first of `images`.
    VisionArena,
    /// LLaVA-OneVision (`lmms-lab/LLaVA-OneVision-Data`, subset `sharegpt4o`, split `train`):
    /// the first message of `conversations` (`<image>` markers dropped) + `image`.
    LlavaOnevision,
}

impl VisionDataset {
    /// Every set, in the order the docs list them.
    pub const ALL: [VisionDataset; 4] = [
        VisionDataset::Mmstar,
        VisionDataset::Mmvu,
        VisionDataset::VisionArena,
        VisionDataset::LlavaOnevision,
    ];

    /// The set `--public-dataset NAME` names (AIPerf's spelling; `-` for `_` accepted).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The name as `--public-dataset` and AIPerf spell it.
    pub fn name(self) -> &'static str {
        match self {
            VisionDataset::Mmstar => "mmstar",
            VisionDataset::Mmvu => "mmvu",
            VisionDataset::VisionArena => "vision_arena",
            VisionDataset::LlavaOnevision => "llava_onevision",
        }
    }

    /// The Hugging Face dataset repository.
    pub fn repo(self) -> &'static str {
        match self {
            VisionDataset::Mmstar => "Lin-Chen/MMStar",
            VisionDataset::Mmvu => "yale-nlp/MMVU",
            VisionDataset::VisionArena => "lmarena-ai/VisionArena-Chat",
            VisionDataset::LlavaOnevision => "lmms-lab/LLaVA-OneVision-Data",
        }
    }

    /// The dataset config (subset) folder, when the set reads one of several.
    pub fn subset(self) -> Option<&'static str> {
        match self {
            VisionDataset::LlavaOnevision => Some("sharegpt4o"),
            _ => None,
        }
    }

    /// The split the benchmark reads (AIPerf's and vLLM's choice).
    pub fn split(self) -> &'static str {
        match self {
            VisionDataset::Mmstar => "val",
            VisionDataset::Mmvu => "validation",
            VisionDataset::VisionArena | VisionDataset::LlavaOnevision => "train",
        }
    }
}

/// A resolved vision `--public-dataset` choice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VisionDatasetPlan {
    /// Which set.
    pub dataset: VisionDataset,
    /// `--dataset-path`: a parquet file, or a folder of them; `None` uses the hub cache.
    pub dataset_path: Option<PathBuf>,
    /// `max_tokens` of every request; `None` lets the server decide.
    pub max_tokens: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_not_vision_sets() {
        for d in VisionDataset::ALL {
            assert_eq!(VisionDataset::parse(d.name()), Some(d));
        }
        assert_eq!(
            VisionDataset::parse("Vision-Arena"),
            Some(VisionDataset::VisionArena)
        );
        for other in ["sharegpt", "speed_bench_coding", "mmstar2", ""] {
            assert_eq!(VisionDataset::parse(other), None, "{other}");
        }
    }
}
