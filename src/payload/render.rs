//! Request bodies for each endpoint type, in the shapes OpenAI-compatible servers accept.

use serde_json::{Map, Value};

use crate::config::{EndpointType, OutputLengthPlan};
use crate::media::MediaPart;

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
    /// How the output budget is asked for: field name, `min_tokens`, `ignore_eos`.
    pub output_length: OutputLengthPlan,
}

/// Renders one request body as compact JSON.
///
/// Streaming requests ask for `stream_options.include_usage`, because vLLM, SGLang and
/// llama.cpp only report token usage when asked, and server-side counts beat re-tokenizing.
/// The budget goes in `opts.output_length.max_tokens_param` (OpenAI's newer API wants
/// `max_completion_tokens`); `min_tokens` repeats it so vLLM and SGLang cannot stop early.
pub fn render_body(opts: &RenderOptions, prompt: &str, max_tokens: Option<u32>) -> Vec<u8> {
    render_body_with_media(opts, prompt, max_tokens, &[])
}

/// [`render_body`] with media: for chat, the user message's `content` becomes content parts
/// (the prompt's `text` part, then each item in order; see [`super::parts`]). Without media the
/// bytes are exactly [`render_body`]'s. Other endpoints have no place for media and send the
/// prompt alone (the plan refuses media with them).
pub fn render_body_with_media(
    opts: &RenderOptions,
    prompt: &str,
    max_tokens: Option<u32>,
    media: &[MediaPart],
) -> Vec<u8> {
    render_entry_body(opts, prompt, &[], max_tokens, media)
}

/// [`render_body_with_media`] with a rankings request's passages (`prompt` is then its query;
/// other types have no passages). The other types' bodies are in [`super::kinds`].
pub fn render_entry_body(
    opts: &RenderOptions,
    prompt: &str,
    passages: &[String],
    max_tokens: Option<u32>,
    media: &[MediaPart],
) -> Vec<u8> {
    if let Some(body) = super::generate::render(opts, prompt, max_tokens) {
        return body;
    }
    if opts.endpoint == EndpointType::ImageEdit {
        // A multipart form, not JSON; run::prepare renders it with multipart::render itself
        // and reports an entry it cannot frame.
        return super::multipart::render(opts, prompt, media).unwrap_or_default();
    }
    let mut body = Map::new();
    body.insert("model".into(), Value::from(opts.model.as_str()));
    match opts.endpoint {
        EndpointType::Chat => {
            let content = super::parts::user_content(prompt, media);
            let message = serde_json::json!({ "role": "user", "content": content });
            body.insert("messages".into(), Value::Array(vec![message]));
        }
        EndpointType::Completions => {
            body.insert("prompt".into(), Value::from(prompt));
        }
        EndpointType::Embeddings => {
            body.insert("input".into(), Value::from(prompt));
        }
        other => super::kinds::fill(&mut body, other, prompt, passages, media),
    }
    if opts.endpoint.produces_tokens() {
        let output = &opts.output_length;
        if let Some(n) = max_tokens {
            body.insert(output.max_tokens_param.clone(), Value::from(n));
            if output.min_tokens {
                body.insert("min_tokens".into(), Value::from(n));
            }
        }
        if output.ignore_eos {
            body.insert("ignore_eos".into(), Value::Bool(true));
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
            output_length: OutputLengthPlan::default(),
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
    fn chat_media_goes_in_content_parts_after_the_text() {
        let media = [MediaPart::Image {
            url: "data:image/png;base64,AA==".into(),
        }];
        let o = opts(EndpointType::Chat, false);
        let body = parse(&render_body_with_media(&o, "look", Some(4), &media));
        let content = &body["messages"][0]["content"];
        assert_eq!(
            content[0],
            serde_json::json!({"type": "text", "text": "look"})
        );
        assert_eq!(content[1]["image_url"]["url"], "data:image/png;base64,AA==");
        assert_eq!(body["max_tokens"], 4);
        assert_eq!(
            render_body_with_media(&o, "look", Some(4), &[]),
            render_body(&o, "look", Some(4))
        );
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

    #[test]
    fn max_tokens_param_renames_the_budget_field() {
        let mut o = opts(EndpointType::Chat, false);
        o.output_length.max_tokens_param = "max_completion_tokens".into();
        let body = parse(&render_body(&o, "p", Some(16)));
        assert_eq!(body["max_completion_tokens"], 16);
        assert!(body.get("max_tokens").is_none(), "{body}");
        assert!(body.get("min_tokens").is_none() && body.get("ignore_eos").is_none());
    }

    #[test]
    fn min_tokens_repeats_the_budget_and_ignore_eos_is_sent() {
        let mut o = opts(EndpointType::Completions, true);
        o.output_length.min_tokens = true;
        o.output_length.ignore_eos = true;
        let body = parse(&render_body(&o, "p", Some(24)));
        assert_eq!(body["max_tokens"], 24);
        assert_eq!(body["min_tokens"], 24);
        assert_eq!(body["ignore_eos"], true);
        // Without a budget there is nothing for min_tokens to repeat; ignore_eos still goes.
        let body = parse(&render_body(&o, "p", None));
        assert!(body.get("min_tokens").is_none() && body.get("max_tokens").is_none());
        assert_eq!(body["ignore_eos"], true);
    }

    #[test]
    fn embeddings_get_no_output_fields_and_extra_inputs_still_win() {
        let mut o = opts(EndpointType::Embeddings, false);
        o.output_length.min_tokens = true;
        o.output_length.ignore_eos = true;
        let body = parse(&render_body(&o, "p", Some(8)));
        assert!(body.get("min_tokens").is_none() && body.get("ignore_eos").is_none());
        let mut o = opts(EndpointType::Chat, false);
        o.output_length.min_tokens = true;
        o.output_length.ignore_eos = true;
        o.extra_inputs
            .push(("ignore_eos".into(), Value::Bool(false)));
        o.extra_inputs.push(("min_tokens".into(), Value::from(1)));
        let body = parse(&render_body(&o, "p", Some(8)));
        assert_eq!(body["ignore_eos"], false);
        assert_eq!(body["min_tokens"], 1);
    }
}
