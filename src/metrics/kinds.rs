//! What the replies of the non-generation endpoint types promise, read with the
//! allocation-free scanner: the key a usable reply carries (`rankings`, `results`, `data`, or
//! TEI's bare array), and the images an image-generation reply holds.

use std::sync::LazyLock;

use crate::config::EndpointType;
use crate::json_scan::{array_len, is_json_array, Key};

static CHOICES: LazyLock<Key> = LazyLock::new(|| Key::new("choices"));
static DATA: LazyLock<Key> = LazyLock::new(|| Key::new("data"));
static RANKINGS: LazyLock<Key> = LazyLock::new(|| Key::new("rankings"));
static RESULTS: LazyLock<Key> = LazyLock::new(|| Key::new("results"));
static ID: LazyLock<Key> = LazyLock::new(|| Key::new("id"));

/// The key a usable JSON-object reply of `endpoint` carries.
pub(super) fn promised_key(endpoint: EndpointType) -> &'static Key {
    match endpoint {
        EndpointType::Chat | EndpointType::Completions => &CHOICES,
        // Read by event type (engine::api_reply), not by a promised key.
        EndpointType::Responses | EndpointType::Messages | EndpointType::HuggingfaceGenerate => {
            &CHOICES
        }
        // Read by super::template_reply with the response field.
        EndpointType::Template | EndpointType::Raw => &CHOICES,
        EndpointType::NimRankings => &RANKINGS,
        // TEI answers a bare array; AIPerf also takes `{"results": …}` from it.
        EndpointType::CohereRankings | EndpointType::HfTeiRankings => &RESULTS,
        EndpointType::Embeddings
        | EndpointType::NimEmbeddings
        | EndpointType::ChatEmbeddings
        | EndpointType::ImageGeneration
        | EndpointType::ImageRetrieval
        | EndpointType::ImageEdit => &DATA,
        // The completed job the last poll returned (the engine checked its status).
        EndpointType::VideoGeneration => &ID,
    }
}

/// Whether `payload` is TEI's rerank reply, a bare JSON array (of `{index, score}`).
pub(super) fn is_bare_array_reply(endpoint: EndpointType, payload: &[u8]) -> bool {
    endpoint == EndpointType::HfTeiRankings && is_json_array(payload)
}

/// The error kind and message of a JSON reply without what `endpoint` promises; fixed per
/// kind, so one misbehaving server makes one error group.
pub(super) fn missing_reply(endpoint: EndpointType) -> (&'static str, &'static str) {
    match endpoint {
        EndpointType::Chat | EndpointType::Completions => {
            ("MissingChoices", "the JSON reply has no \"choices\"")
        }
        EndpointType::Responses | EndpointType::Messages | EndpointType::HuggingfaceGenerate => {
            ("MissingOutput", "the reply has no output text")
        }
        EndpointType::Template | EndpointType::Raw => super::template_reply::MISSING,
        EndpointType::NimRankings => ("MissingRankings", "the JSON reply has no \"rankings\""),
        EndpointType::CohereRankings => ("MissingResults", "the JSON reply has no \"results\""),
        EndpointType::HfTeiRankings => (
            "MissingResults",
            "the reply is neither an array of {index, score} nor has \"results\"",
        ),
        EndpointType::Embeddings
        | EndpointType::NimEmbeddings
        | EndpointType::ChatEmbeddings
        | EndpointType::ImageGeneration
        | EndpointType::ImageRetrieval
        | EndpointType::ImageEdit => ("MissingData", "the JSON reply has no \"data\""),
        EndpointType::VideoGeneration => ("MissingJobId", "the video job has no \"id\""),
    }
}

/// The images in an image-generation reply: the elements of its `data` array (each a
/// `b64_json` or a `url`); in an image-retrieval reply, the images the server read (one
/// `data` element, with its `index`, per image sent).
pub(super) fn output_images(body: &[u8]) -> Option<u64> {
    // `Key::find` returns a subslice of `body` that holds only the array's first byte; the
    // array is read from there onwards.
    let value = DATA.find(body)?;
    let start = value.as_ptr() as usize - body.as_ptr() as usize;
    array_len(&body[start..]).map(|n| n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promised_keys_and_images() {
        let nim = br#"{"rankings":[{"index":1,"logit":0.3}]}"#;
        assert!(promised_key(EndpointType::NimRankings).find(nim).is_some());
        assert!(promised_key(EndpointType::CohereRankings)
            .find(nim)
            .is_none());
        assert!(is_bare_array_reply(
            EndpointType::HfTeiRankings,
            br#"[{"index":0,"score":0.9}]"#
        ));
        assert!(!is_bare_array_reply(EndpointType::NimRankings, b"[]"));
        let images = br#"{"created":1,"data":[{"b64_json":"iVBO"},{"url":"https://x/y.png"}],"usage":{"total_tokens":3}}"#;
        assert_eq!(output_images(images), Some(2));
        assert_eq!(output_images(br#"{"data":[]}"#), Some(0));
        assert_eq!(output_images(br#"{"error":"x"}"#), None);
    }
}
