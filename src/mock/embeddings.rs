//! `/v1/embeddings` and `/v1/models`: off the hot path, so plain serde_json.

use serde_json::{json, Value};

/// Dimensions of the mock's embedding vectors: small, since only the shape matters.
const EMBEDDING_DIM: usize = 8;

/// Renders the embeddings answer for `body`: one vector per input, plus the prompt-token
/// estimate (whitespace words, or one per token id). Errors are 400 messages.
pub(crate) fn embeddings_response(
    body: &[u8],
    model_json: &[u8],
) -> Result<(Vec<u8>, u64), String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let inputs: Vec<u64> = match request.get("input") {
        // vLLM's chat-style embeddings: one vector for the whole conversation.
        None if request.get("messages").is_some() => vec![message_words(&request)?],
        Some(Value::String(s)) => vec![words(s)],
        Some(Value::Array(items)) if items.iter().all(Value::is_number) && !items.is_empty() => {
            vec![items.len() as u64]
        }
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(words(s)),
                Value::Array(ids) if ids.iter().all(Value::is_number) => Ok(ids.len() as u64),
                _ => Err("`input` items must be strings or arrays of token ids".to_owned()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("`input` must be a string, an array of strings or token ids".to_owned()),
    };
    let model: Value = request
        .get("model")
        .filter(|m| m.is_string())
        .cloned()
        .or_else(|| serde_json::from_slice(model_json).ok())
        .unwrap_or(Value::Null);
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, &tokens)| {
            json!({"index": index, "object": "embedding", "embedding": vector(index, tokens)})
        })
        .collect();
    let prompt_tokens: u64 = inputs.iter().sum();
    let body = json!({
        "id": "embd-mock",
        "object": "list",
        "created": 0,
        "model": model,
        "data": data,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens,
                  "completion_tokens": 0, "prompt_tokens_details": null},
    });
    Ok((serde_json::to_vec(&body).unwrap_or_default(), prompt_tokens))
}

/// Whitespace words of every text in `messages` (string contents and `text` parts).
fn message_words(request: &Value) -> Result<u64, String> {
    let bad = || "`messages` must be a non-empty array of {role, content}".to_owned();
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(bad)?;
    let mut total = 0;
    for message in messages {
        match message.get("content") {
            Some(Value::String(s)) => total += words(s),
            Some(Value::Array(parts)) => {
                for part in parts {
                    if let Some(text) = part.get("text").and_then(Value::as_str) {
                        total += words(text);
                    }
                }
            }
            _ => return Err(bad()),
        }
    }
    Ok(total)
}

fn words(s: &str) -> u64 {
    s.split_whitespace().count() as u64
}

/// A deterministic unit-ish vector that differs between inputs.
fn vector(index: usize, tokens: u64) -> Vec<f32> {
    (0..EMBEDDING_DIM)
        .map(|d| {
            let x = (index as u64 * 31 + tokens * 7 + d as u64 * 13) % 17;
            x as f32 / 17.0 - 0.5
        })
        .collect()
}

/// The `/v1/models` answer listing the served models, in order.
pub(crate) fn models_response(models: &[&str]) -> Vec<u8> {
    let data: Vec<Value> = models
        .iter()
        .map(|model| {
            json!({"id": model, "object": "model", "created": 0, "owned_by": "gauntlet-mock",
                   "root": model, "parent": null, "max_model_len": null, "permission": []})
        })
        .collect();
    let body = json!({ "object": "list", "data": data });
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_vector_per_input_with_usage() {
        let (body, tokens) =
            embeddings_response(br#"{"model":"e","input":["a b","c d e"]}"#, b"\"m\"").unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(tokens, 5);
        assert_eq!(v["data"].as_array().unwrap().len(), 2);
        assert_eq!(
            v["data"][1]["embedding"].as_array().unwrap().len(),
            EMBEDDING_DIM
        );
        assert_eq!(v["usage"]["prompt_tokens"], 5);
        assert_eq!(v["model"], "e");

        let (body, tokens) = embeddings_response(br#"{"input":[1,2,3]}"#, b"\"m\"").unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((tokens, v["data"].as_array().unwrap().len()), (3, 1));
        assert_eq!(v["model"], "m");
    }

    #[test]
    fn chat_style_embeddings_get_one_vector() {
        let body = br#"{"model":"e","messages":[{"role":"user","content":[{"type":"text","text":"a b c"},{"type":"image_url","image_url":{"url":"data:,"}}]}]}"#;
        let (body, tokens) = embeddings_response(body, b"\"m\"").unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((tokens, v["data"].as_array().unwrap().len()), (3, 1));
        assert!(embeddings_response(br#"{"messages":[]}"#, b"\"m\"").is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(embeddings_response(b"{", b"\"m\"").is_err());
        assert!(embeddings_response(br#"{"input":5}"#, b"\"m\"").is_err());
        assert!(embeddings_response(br#"{"input":[]}"#, b"\"m\"").is_err());
        assert!(embeddings_response(br#"{"input":[{"x":1}]}"#, b"\"m\"").is_err());
    }

    #[test]
    fn models_lists_the_served_name() {
        let v: Value = serde_json::from_slice(&models_response(&["mine"])).unwrap();
        assert_eq!(v["data"][0]["id"], "mine");
        assert_eq!(v["object"], "list");
    }
}
