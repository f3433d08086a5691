//! Request bodies of the generation APIs that are not OpenAI chat or completions: the OpenAI
//! Responses API, Anthropic's Messages API and Hugging Face TGI, in the shapes AIPerf sends.

use serde_json::{Map, Value};

use super::RenderOptions;
use crate::config::EndpointType;

/// `max_tokens` sent to the Messages API when the workload sets no output length: the API
/// requires the field (AIPerf's default for it is the same).
pub const MESSAGES_DEFAULT_MAX_TOKENS: u32 = 4096;

/// The body for `opts.endpoint`, or `None` for the types [`super::render_body`] renders itself.
///
/// - `responses`: `{model, input, max_output_tokens, stream}`; `input` is the prompt string
///   (multi-turn sessions turn it into `{role, content}` items).
/// - `messages`: `{messages: [{role: user, content}], model, max_tokens, stream}`; `max_tokens`
///   is always sent (the API requires it).
/// - `huggingface_generate`: `{inputs, parameters: {max_new_tokens, details: true, ...}}`;
///   the route (`/generate` or `/generate_stream`) says whether to stream, and `--extra-inputs`
///   go into `parameters`, where TGI reads its sampling options.
///
/// `min_tokens` and `ignore_eos` go at the top level of the Responses and Messages bodies
/// (servers that honour them, such as vLLM and llama.cpp, read them there); TGI has neither.
/// Extra inputs override the rendered fields of the same name.
pub fn render(opts: &RenderOptions, prompt: &str, max_tokens: Option<u32>) -> Option<Vec<u8>> {
    let mut body = Map::new();
    let output = &opts.output_length;
    match opts.endpoint {
        EndpointType::Responses => {
            body.insert("model".into(), Value::from(opts.model.as_str()));
            body.insert("input".into(), Value::from(prompt));
            if let Some(n) = max_tokens {
                body.insert("max_output_tokens".into(), Value::from(n));
            }
        }
        EndpointType::Messages => {
            let message = serde_json::json!({ "role": "user", "content": prompt });
            body.insert("messages".into(), Value::Array(vec![message]));
            body.insert("model".into(), Value::from(opts.model.as_str()));
            let n = max_tokens.unwrap_or(MESSAGES_DEFAULT_MAX_TOKENS);
            body.insert("max_tokens".into(), Value::from(n));
        }
        EndpointType::HuggingfaceGenerate => {
            let mut parameters = Map::new();
            if let Some(n) = max_tokens {
                parameters.insert("max_new_tokens".into(), Value::from(n));
            }
            parameters.insert("details".into(), Value::Bool(true));
            for (key, value) in &opts.extra_inputs {
                parameters.insert(key.clone(), value.clone());
            }
            body.insert("inputs".into(), Value::from(prompt));
            body.insert("parameters".into(), Value::Object(parameters));
            return Some(serde_json::to_vec(&Value::Object(body)).unwrap_or_default());
        }
        _ => return None,
    }
    if let (Some(n), true) = (max_tokens, output.min_tokens) {
        body.insert("min_tokens".into(), Value::from(n));
    }
    if output.ignore_eos {
        body.insert("ignore_eos".into(), Value::Bool(true));
    }
    if opts.streaming {
        body.insert("stream".into(), Value::Bool(true));
    }
    for (key, value) in &opts.extra_inputs {
        body.insert(key.clone(), value.clone());
    }
    // Serializing a Map of plain values cannot fail.
    Some(serde_json::to_vec(&Value::Object(body)).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OutputLengthPlan;

    fn opts(endpoint: EndpointType, streaming: bool) -> RenderOptions {
        RenderOptions {
            model: "m".into(),
            endpoint,
            streaming,
            extra_inputs: vec![("temperature".into(), Value::from(0.0))],
            output_length: OutputLengthPlan::default(),
        }
    }

    fn body(endpoint: EndpointType, streaming: bool, max: Option<u32>) -> Value {
        let bytes = render(&opts(endpoint, streaming), "hi \"x\"", max).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn responses_body() {
        let b = body(EndpointType::Responses, true, Some(16));
        let expected = serde_json::json!({"model": "m", "input": "hi \"x\"",
            "max_output_tokens": 16, "stream": true, "temperature": 0.0});
        assert_eq!(b, expected);
        let b = body(EndpointType::Responses, false, None);
        assert!(
            b.get("stream").is_none() && b.get("max_output_tokens").is_none(),
            "{b}"
        );
    }

    #[test]
    fn messages_body_always_has_max_tokens() {
        let b = body(EndpointType::Messages, true, Some(8));
        let expected = serde_json::json!({"model": "m",
            "messages": [{"role": "user", "content": "hi \"x\""}],
            "max_tokens": 8, "stream": true, "temperature": 0.0});
        assert_eq!(b, expected);
        let b = body(EndpointType::Messages, false, None);
        assert_eq!(b["max_tokens"], MESSAGES_DEFAULT_MAX_TOKENS);
        assert!(b.get("stream").is_none());
    }

    #[test]
    fn tgi_body_puts_options_in_parameters() {
        let b = body(EndpointType::HuggingfaceGenerate, true, Some(5));
        let expected = serde_json::json!({"inputs": "hi \"x\"",
            "parameters": {"max_new_tokens": 5, "details": true, "temperature": 0.0}});
        assert_eq!(b, expected);
    }

    #[test]
    fn min_tokens_and_ignore_eos_follow_the_plan() {
        let mut o = opts(EndpointType::Responses, false);
        o.output_length.min_tokens = true;
        o.output_length.ignore_eos = true;
        let b: Value = serde_json::from_slice(&render(&o, "p", Some(4)).unwrap()).unwrap();
        assert_eq!(
            (b["min_tokens"].clone(), b["ignore_eos"].clone()),
            (4.into(), true.into())
        );
        assert!(render(&opts(EndpointType::Chat, false), "p", None).is_none());
    }
}
