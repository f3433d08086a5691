//! Bodies of the endpoint types beyond chat, completions and embeddings, in the shapes AIPerf
//! sends them: the three rerankers, NIM and chat-style embeddings, and image generation.
//! Each fills the fields after `model` (TEI's rerank has no model field and drops it).

use serde_json::{json, Map, Value};

use crate::config::EndpointType;
use crate::media::MediaPart;

/// NIM embeddings' `input_type` when `--extra-inputs` does not set one: NIM's asymmetric
/// embedding models refuse a request without it, and `query` is what a search sends.
pub const NIM_DEFAULT_INPUT_TYPE: &str = "query";

/// Fills `body` (which holds `model`) for `endpoint` with the entry's text: `prompt` is the
/// prompt, or the query of a rankings request whose passages are `passages`.
pub(super) fn fill(
    body: &mut Map<String, Value>,
    endpoint: EndpointType,
    prompt: &str,
    passages: &[String],
    media: &[MediaPart],
) {
    match endpoint {
        EndpointType::NimRankings => {
            body.insert("query".into(), json!({ "text": prompt }));
            let passages = passages.iter().map(|p| json!({ "text": p })).collect();
            body.insert("passages".into(), Value::Array(passages));
        }
        EndpointType::CohereRankings => {
            body.insert("query".into(), Value::from(prompt));
            body.insert("documents".into(), strings(passages));
        }
        EndpointType::HfTeiRankings => {
            body.remove("model");
            body.insert("query".into(), Value::from(prompt));
            body.insert("texts".into(), strings(passages));
        }
        EndpointType::NimEmbeddings => {
            body.insert("input".into(), Value::Array(vec![Value::from(prompt)]));
            body.insert("input_type".into(), Value::from(NIM_DEFAULT_INPUT_TYPE));
        }
        EndpointType::ChatEmbeddings => {
            let content = super::parts::user_content(prompt, media);
            let message = json!({ "role": "user", "content": content });
            body.insert("messages".into(), Value::Array(vec![message]));
        }
        EndpointType::ImageGeneration => {
            body.insert("prompt".into(), Value::from(prompt));
            body.insert("n".into(), Value::from(1));
            body.insert("response_format".into(), Value::from("b64_json"));
        }
        EndpointType::ImageRetrieval => super::retrieval::fill(body, media),
        // AIPerf's body: the prompt and the model; size, seconds, seed and the rest come
        // from --extra-inputs.
        EndpointType::VideoGeneration => {
            body.insert("prompt".into(), Value::from(prompt));
        }
        // Rendered by render.rs (chat, completions, embeddings) or payload::generate.
        EndpointType::Chat
        | EndpointType::Completions
        | EndpointType::Embeddings
        | EndpointType::Responses
        | EndpointType::Messages
        | EndpointType::HuggingfaceGenerate => {}
        // Rendered by payload::template; raw bodies are the input file's lines.
        EndpointType::Template | EndpointType::Raw => {}
        // A multipart form: payload::multipart.
        EndpointType::ImageEdit => {}
    }
}

fn strings(texts: &[String]) -> Value {
    Value::Array(texts.iter().map(|t| Value::from(t.as_str())).collect())
}

#[cfg(test)]
mod tests {
    use super::super::render::render_entry_body;
    use super::super::RenderOptions;
    use super::*;
    use crate::config::OutputLengthPlan;

    fn body(endpoint: EndpointType, passages: &[&str], extra: &[(&str, Value)]) -> Value {
        let opts = RenderOptions {
            model: "m".into(),
            endpoint,
            streaming: false,
            extra_inputs: extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            output_length: OutputLengthPlan {
                min_tokens: true,
                ignore_eos: true,
                ..OutputLengthPlan::default()
            },
        };
        let passages: Vec<String> = passages.iter().map(|p| p.to_string()).collect();
        serde_json::from_slice(&render_entry_body(
            &opts,
            "q \"x\"",
            &passages,
            Some(9),
            &[],
        ))
        .unwrap()
    }

    #[test]
    fn rankings_bodies_are_aiperfs() {
        assert_eq!(
            body(EndpointType::NimRankings, &["a", "b"], &[]),
            json!({"model": "m", "query": {"text": "q \"x\""}, "passages": [{"text": "a"}, {"text": "b"}]})
        );
        assert_eq!(
            body(EndpointType::CohereRankings, &["a"], &[]),
            json!({"model": "m", "query": "q \"x\"", "documents": ["a"]})
        );
        assert_eq!(
            body(
                EndpointType::HfTeiRankings,
                &["a", "b"],
                &[("truncate", json!(true))]
            ),
            json!({"query": "q \"x\"", "texts": ["a", "b"], "truncate": true})
        );
    }

    #[test]
    fn embeddings_and_image_bodies() {
        assert_eq!(
            body(EndpointType::NimEmbeddings, &[], &[]),
            json!({"model": "m", "input": ["q \"x\""], "input_type": "query"})
        );
        assert_eq!(
            body(
                EndpointType::NimEmbeddings,
                &[],
                &[("input_type", json!("passage"))]
            )["input_type"],
            "passage"
        );
        assert_eq!(
            body(EndpointType::ChatEmbeddings, &[], &[]),
            json!({"model": "m", "messages": [{"role": "user", "content": "q \"x\""}]})
        );
        assert_eq!(
            body(
                EndpointType::ImageGeneration,
                &[],
                &[("size", json!("256x256")), ("n", json!(2))]
            ),
            json!({"model": "m", "prompt": "q \"x\"", "n": 2, "response_format": "b64_json", "size": "256x256"})
        );
    }

    #[test]
    fn chat_embeddings_carry_media_as_content_parts() {
        let opts = RenderOptions {
            model: "m".into(),
            endpoint: EndpointType::ChatEmbeddings,
            streaming: false,
            extra_inputs: vec![],
            output_length: OutputLengthPlan::default(),
        };
        let media = [MediaPart::Image {
            url: "data:image/png;base64,AA==".into(),
        }];
        let v: Value =
            serde_json::from_slice(&render_entry_body(&opts, "look", &[], None, &media)).unwrap();
        let content = &v["messages"][0]["content"];
        assert_eq!(content[0], json!({"type": "text", "text": "look"}));
        assert_eq!(content[1]["image_url"]["url"], "data:image/png;base64,AA==");
    }
}
