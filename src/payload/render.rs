//! Request bodies for each endpoint type, in the shapes OpenAI-compatible servers accept.

use serde_json::{Map, Value};

use crate::config::EndpointType;

/// What every body of a run shares.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Model name.
    pub model: String,
    /// API flavour.
    pub endpoint: EndpointType,
    /// Whether to ask for SSE streaming (and usage in the last chunk).
    pub streaming: bool,
    /// Extra top-level fields; they override the rendered ones of the same name.
    pub extra_inputs: Vec<(String, Value)>,
}

/// Renders one request body as compact JSON.
///
/// Streaming requests ask for `stream_options.include_usage`, because vLLM, SGLang and
/// llama.cpp only report token usage when asked, and server-side counts beat re-tokenizing.
pub fn render_body(opts: &RenderOptions, prompt: &str, max_tokens: Option<u32>) -> Vec<u8> {
    let mut body = Map::new();
    body.insert("model".into(), Value::from(opts.model.as_str()));
    match opts.endpoint {
        EndpointType::Chat => {
            let message = serde_json::json!({ "role": "user", "content": prompt });
            body.insert("messages".into(), Value::Array(vec![message]));
        }
        EndpointType::Completions => {
            body.insert("prompt".into(), Value::from(prompt));
        }
        EndpointType::Embeddings => {
            body.insert("input".into(), Value::from(prompt));
        }
    }
    if opts.endpoint.produces_tokens() {
        if let Some(n) = max_tokens {
            body.insert("max_tokens".into(), Value::from(n));
        }
        if opts.streaming {
            body.insert("stream".into(), Value::Bool(true));
            body.insert(
                "stream_options".into(),
                serde_json::json!({ "include_usage": true }),
            );
        }
    }
    for (key, value) in &opts.extra_inputs {
        body.insert(key.clone(), value.clone());
    }
    // Serializing a Map of plain values cannot fail.
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(endpoint: EndpointType, streaming: bool) -> RenderOptions {
        RenderOptions {
            model: "m".into(),
            endpoint,
            streaming,
            extra_inputs: vec![("temperature".into(), Value::from(0.0))],
        }
    }

    fn parse(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn chat_streaming_body_asks_for_usage() {
        let body = parse(&render_body(
            &opts(EndpointType::Chat, true),
            "hi \"x\"",
            Some(16),
        ));
        assert_eq!(body["messages"][0]["content"], "hi \"x\"");
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["max_tokens"], 16);
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["temperature"], 0.0);
    }

    #[test]
    fn completions_and_embeddings_shapes() {
        let body = parse(&render_body(
            &opts(EndpointType::Completions, false),
            "p",
            None,
        ));
        assert_eq!(body["prompt"], "p");
        assert!(body.get("stream").is_none() && body.get("max_tokens").is_none());
        let body = parse(&render_body(
            &opts(EndpointType::Embeddings, true),
            "p",
            Some(3),
        ));
        assert_eq!(body["input"], "p");
        assert!(body.get("stream").is_none() && body.get("max_tokens").is_none());
    }

    #[test]
    fn extra_inputs_override_rendered_fields() {
        let mut o = opts(EndpointType::Chat, false);
        o.extra_inputs.push(("max_tokens".into(), Value::from(99)));
        let body = parse(&render_body(&o, "p", Some(16)));
        assert_eq!(body["max_tokens"], 99);
    }
}
