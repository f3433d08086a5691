//! The three rerank APIs: NIM's `/v1/ranking`, Cohere's `/v1/rerank` (also `/v2/rerank`, and
//! llama.cpp's and vLLM's shape), and TEI's `/rerank`. Off the hot path, so plain serde_json.
//! Scores are deterministic: the share of a passage's words that occur in the query.

use serde_json::{json, Value};

/// Which rerank API a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RerankApi {
    /// `{model, query: {text}, passages: [{text}]}` → `{rankings: [{index, logit}]}`.
    Nim,
    /// `{model, query, documents}` → `{results: [{index, relevance_score}]}`.
    Cohere,
    /// `{query, texts}` → `[{index, score}]`.
    Tei,
}

/// Renders the answer to a rerank `body`, plus the prompt-token estimate (whitespace words of
/// the query and every passage). Errors are 400 messages naming the field.
pub(crate) fn rankings_response(
    api: RerankApi,
    body: &[u8],
    model_json: &[u8],
) -> Result<(Vec<u8>, u64), String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let (query, passages): (&str, Vec<&str>) = match api {
        RerankApi::Nim => (
            request
                .pointer("/query/text")
                .and_then(Value::as_str)
                .ok_or("`query` must be an object with a string `text`")?,
            texts(&request, "passages", Some("text"))?,
        ),
        RerankApi::Cohere => (
            query_string(&request)?,
            texts(&request, "documents", Some("text"))?,
        ),
        RerankApi::Tei => (query_string(&request)?, texts(&request, "texts", None)?),
    };
    let mut scored: Vec<(usize, f64)> = passages
        .iter()
        .enumerate()
        .map(|(i, p)| (i, overlap(query, p)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let prompt_tokens = words(query) + passages.iter().map(|p| words(p)).sum::<u64>();
    let answer = match api {
        RerankApi::Nim => json!({
            "rankings": scored.iter().map(|(i, s)| json!({"index": i, "logit": s * 10.0 - 5.0})).collect::<Vec<_>>(),
        }),
        RerankApi::Cohere => {
            let model: Value = request
                .get("model")
                .filter(|m| m.is_string())
                .cloned()
                .or_else(|| serde_json::from_slice(model_json).ok())
                .unwrap_or(Value::Null);
            json!({
                "id": "rerank-mock",
                "model": model,
                "object": "list",
                "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
                "results": scored.iter().map(|(i, s)| json!({"index": i, "relevance_score": s})).collect::<Vec<_>>(),
            })
        }
        RerankApi::Tei => Value::Array(
            scored
                .iter()
                .map(|(i, s)| json!({"index": i, "score": s}))
                .collect(),
        ),
    };
    Ok((
        serde_json::to_vec(&answer).unwrap_or_default(),
        prompt_tokens,
    ))
}

fn query_string(request: &Value) -> Result<&str, String> {
    request
        .get("query")
        .and_then(Value::as_str)
        .ok_or_else(|| "`query` must be a string".to_owned())
}

/// The non-empty list `field` of strings (or of objects with a string `inner` key).
fn texts<'a>(request: &'a Value, field: &str, inner: Option<&str>) -> Result<Vec<&'a str>, String> {
    let bad = || {
        let shape = match inner {
            Some(k) => format!("strings or objects with a string `{k}`"),
            None => "strings".to_owned(),
        };
        format!("`{field}` must be a non-empty array of {shape}")
    };
    let items = request
        .get(field)
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(bad)?;
    items
        .iter()
        .map(|item| match (item, inner) {
            (Value::String(s), _) => Some(s.as_str()),
            (Value::Object(o), Some(k)) => o.get(k).and_then(Value::as_str),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)
}

fn words(s: &str) -> u64 {
    s.split_whitespace().count() as u64
}

/// The share of `passage`'s words that also occur in `query`, in [0, 1].
fn overlap(query: &str, passage: &str) -> f64 {
    let total = words(passage);
    if total == 0 {
        return 0.0;
    }
    let shared = passage
        .split_whitespace()
        .filter(|w| query.split_whitespace().any(|q| q == *w))
        .count();
    shared as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(api: RerankApi, body: &str) -> (Value, u64) {
        let (bytes, tokens) = rankings_response(api, body.as_bytes(), b"\"m\"").unwrap();
        (serde_json::from_slice(&bytes).unwrap(), tokens)
    }

    #[test]
    fn each_api_in_its_shape_best_first() {
        let (v, tokens) = answer(
            RerankApi::Nim,
            r#"{"model":"r","query":{"text":"red fox"},"passages":[{"text":"blue sky"},{"text":"red fox runs"}]}"#,
        );
        assert_eq!(tokens, 7);
        assert_eq!(v["rankings"][0]["index"], 1);
        assert_eq!(v["rankings"].as_array().unwrap().len(), 2);
        assert!(v["rankings"][0]["logit"].is_number());
        let (v, _) = answer(
            RerankApi::Cohere,
            r#"{"model":"r","query":"a b","documents":["c","a b"]}"#,
        );
        assert_eq!(v["results"][0], json!({"index": 1, "relevance_score": 1.0}));
        assert_eq!(v["model"], "r");
        let (v, _) = answer(RerankApi::Tei, r#"{"query":"x","texts":["y","x"]}"#);
        assert_eq!(
            v,
            json!([{"index": 1, "score": 1.0}, {"index": 0, "score": 0.0}])
        );
    }

    #[test]
    fn wrong_shapes_are_400_messages_naming_the_field() {
        let err = |api, body: &str| rankings_response(api, body.as_bytes(), b"\"m\"").unwrap_err();
        assert!(
            err(RerankApi::Nim, r#"{"query":"x","passages":[{"text":"a"}]}"#).contains("`query`")
        );
        assert!(err(RerankApi::Cohere, r#"{"query":"x","documents":[]}"#).contains("`documents`"));
        assert!(err(RerankApi::Tei, r#"{"query":"x","texts":[{"text":"a"}]}"#).contains("`texts`"));
        assert!(err(RerankApi::Tei, "{").contains("invalid JSON"));
    }
}
