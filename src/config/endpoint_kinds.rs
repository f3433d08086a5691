//! What each endpoint type can do beyond its path: its AIPerf name, whether it streams, takes
//! media or ranks passages. The rankings types carry a [`RankingsPlan`] (AIPerf's
//! `--rankings-*` flags, or `benchmark.dataset.rankings`).

use super::EndpointType;
use crate::dist::DistSpec;

/// Every `--endpoint-type` / `benchmark.endpoint.type` value, in the order `--help` lists them.
pub const ENDPOINT_TYPE_NAMES: &[&str] = &[
    "chat",
    "completions",
    "embeddings",
    "nim_rankings",
    "cohere_rankings",
    "hf_tei_rankings",
    "nim_embeddings",
    "chat_embeddings",
    "image_generation",
    "responses",
    "messages",
    "huggingface_generate",
    "image_retrieval",
    "template",
    "raw",
    "image_edit",
    "video_generation",
];

/// Why gauntlet refuses an AIPerf endpoint type it does not have, when `name` is one: each
/// said in one line, for `--endpoint-type` and `benchmark.endpoint.type`.
pub fn refused_type_reason(name: &str) -> Option<&'static str> {
    match name {
        "solido_rag" => Some(
            "solido_rag is not supported: the SOLIDO RAG service (Siemens EDA) has no public API \
             documentation or server to build and test it against",
        ),
        _ => None,
    }
}

impl EndpointType {
    /// AIPerf's name of the type (`--endpoint-type` value, YAML `type`, artifact folder).
    pub fn name(self) -> &'static str {
        match self {
            EndpointType::Chat => "chat",
            EndpointType::Completions => "completions",
            EndpointType::Embeddings => "embeddings",
            EndpointType::NimRankings => "nim_rankings",
            EndpointType::CohereRankings => "cohere_rankings",
            EndpointType::HfTeiRankings => "hf_tei_rankings",
            EndpointType::NimEmbeddings => "nim_embeddings",
            EndpointType::ChatEmbeddings => "chat_embeddings",
            EndpointType::ImageGeneration => "image_generation",
            EndpointType::Responses => "responses",
            EndpointType::Messages => "messages",
            EndpointType::HuggingfaceGenerate => "huggingface_generate",
            EndpointType::ImageRetrieval => "image_retrieval",
            EndpointType::Template => "template",
            EndpointType::Raw => "raw",
            EndpointType::ImageEdit => "image_edit",
            EndpointType::VideoGeneration => "video_generation",
        }
    }

    /// The type AIPerf calls `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            EndpointType::Chat,
            EndpointType::Completions,
            EndpointType::Embeddings,
            EndpointType::NimRankings,
            EndpointType::CohereRankings,
            EndpointType::HfTeiRankings,
            EndpointType::NimEmbeddings,
            EndpointType::ChatEmbeddings,
            EndpointType::ImageGeneration,
            EndpointType::Responses,
            EndpointType::Messages,
            EndpointType::HuggingfaceGenerate,
            EndpointType::ImageRetrieval,
            EndpointType::Template,
            EndpointType::Raw,
            EndpointType::ImageEdit,
            EndpointType::VideoGeneration,
        ]
        .into_iter()
        .find(|e| e.name() == name)
    }

    /// Whether requests carry a query and passages to rank.
    pub fn is_rankings(self) -> bool {
        matches!(
            self,
            EndpointType::NimRankings | EndpointType::CohereRankings | EndpointType::HfTeiRankings
        )
    }

    /// Whether `--streaming` may be given: false for the types whose API answers in one
    /// piece. Plain `embeddings` is answered in one piece too, but `--streaming` with it only
    /// warns (it did before the other types came).
    pub fn can_stream(self) -> bool {
        !matches!(
            self,
            EndpointType::NimRankings
                | EndpointType::CohereRankings
                | EndpointType::HfTeiRankings
                | EndpointType::NimEmbeddings
                | EndpointType::ChatEmbeddings
                | EndpointType::ImageGeneration
                | EndpointType::ImageRetrieval
                | EndpointType::ImageEdit
                | EndpointType::VideoGeneration
        )
    }

    /// Whether the body has a place for images, audio and video: chat content parts, or a
    /// template's `image`, `audio` and `video` variables.
    pub fn accepts_media(self) -> bool {
        matches!(
            self,
            EndpointType::Chat | EndpointType::ChatEmbeddings | EndpointType::Template
        )
    }

    /// The body field that holds the dataset's text, which `--extra-inputs` may not replace.
    pub fn prompt_field(self) -> &'static str {
        match self {
            EndpointType::Chat | EndpointType::ChatEmbeddings => "messages",
            EndpointType::Completions | EndpointType::ImageGeneration => "prompt",
            EndpointType::Embeddings | EndpointType::NimEmbeddings => "input",
            EndpointType::NimRankings | EndpointType::CohereRankings => "query",
            EndpointType::HfTeiRankings => "query",
            EndpointType::Responses => "input",
            EndpointType::Messages => "messages",
            EndpointType::HuggingfaceGenerate => "inputs",
            EndpointType::ImageRetrieval => "input",
            // The template says where the text goes; raw bodies are the user's own.
            EndpointType::Template | EndpointType::Raw => "",
            EndpointType::ImageEdit | EndpointType::VideoGeneration => "prompt",
        }
    }
}

/// How each rankings request is shaped: how many passages, and how long the query and each
/// passage are, in tokens of the run's tokenizer (AIPerf's `--rankings-*` flags).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RankingsPlan {
    /// Passages per request (at least 1 after drawing).
    pub passages: DistSpec,
    /// Tokens of each passage (at least 1).
    pub passage_tokens: DistSpec,
    /// Tokens of the query (at least 1).
    pub query_tokens: DistSpec,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_list() {
        for name in ENDPOINT_TYPE_NAMES {
            let e = EndpointType::from_name(name).unwrap();
            assert_eq!(e.name(), *name);
        }
        assert_eq!(EndpointType::from_name("rankings"), None);
        assert_eq!(EndpointType::from_name("solido_rag"), None);
        assert!(refused_type_reason("solido_rag")
            .unwrap()
            .contains("no public API"));
        assert_eq!(refused_type_reason("chat"), None);
        assert_eq!(
            EndpointType::from_name("image_edit"),
            Some(EndpointType::ImageEdit)
        );
        assert!(!EndpointType::ImageEdit.can_stream());
        assert_eq!(
            EndpointType::from_name("video_generation"),
            Some(EndpointType::VideoGeneration)
        );
        assert_eq!(refused_type_reason("video_generation"), None);
        assert!(!EndpointType::VideoGeneration.can_stream());
        assert!(!EndpointType::VideoGeneration.produces_tokens());
        assert_eq!(refused_type_reason("image_edit"), None);
        assert!(EndpointType::HfTeiRankings.is_rankings());
        assert!(!EndpointType::NimEmbeddings.is_rankings());
        assert!(!EndpointType::ImageGeneration.can_stream());
        assert!(!EndpointType::ImageGeneration.produces_tokens());
        assert!(EndpointType::ChatEmbeddings.accepts_media());
    }
}
