//! Reading the replies of `--endpoint-type template` and `raw`, whose shape only the user
//! knows: `--extra-inputs response_field:<JMESPath>` says where the text is, or, without it,
//! AIPerf's auto-detection (embeddings, then rankings, then text). Each SSE event (or the
//! whole body) is parsed with serde_json here, on the processor thread, never on the send
//! path; that costs an allocation per event, which the other types' key scanner avoids.

use serde_json::Value;

/// The error of a 2xx reply in which nothing was found.
pub(super) const MISSING: (&str, &str) = (
    "MissingOutput",
    "the reply has nothing at response_field, or (without it) none of text, content, response, output, result, choices, data, embeddings, rankings, results",
);

/// Where a template or raw run's reply text is.
pub struct ReplyField {
    query: Option<jmespath::Expression<'static>>,
}

/// What one event (or a whole body) holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplyFacts {
    /// Whether it has the shape asked for (something at the field, or an auto-detected one).
    pub promised: bool,
    /// Whether it carried non-empty text (pushed to the caller's buffer).
    pub has_text: bool,
}

impl ReplyField {
    /// The reader for `response_field` (`None`: auto-detect). The query was checked when the
    /// plan was made; one that does not compile reads as auto-detection.
    pub fn new(response_field: Option<&str>) -> Self {
        Self {
            query: response_field.and_then(|q| jmespath::compile(q).ok()),
        }
    }

    /// The reader of a template or raw run; `None` for the other types.
    pub fn for_plan(plan: &crate::config::Plan) -> Option<Self> {
        use crate::config::EndpointType;
        match plan.endpoint {
            EndpointType::Template => Some(Self::new(
                plan.template
                    .as_ref()
                    .and_then(|t| t.response_field.as_deref()),
            )),
            EndpointType::Raw => Some(Self::new(plan.raw_response_field.as_deref())),
            _ => None,
        }
    }

    /// Reads `payload`, appending its text to `text`.
    pub fn read(&self, payload: &[u8], text: &mut String) -> ReplyFacts {
        let Ok(doc) = serde_json::from_slice::<Value>(payload) else {
            return ReplyFacts::default();
        };
        let before = text.len();
        let promised = match &self.query {
            Some(query) => match query.search(&doc) {
                Ok(found) if found.is_null() => false,
                Ok(found) => {
                    if let Some(s) = found.as_string() {
                        text.push_str(s);
                    } else if let Some(items) = found.as_array() {
                        items
                            .iter()
                            .filter_map(|v| v.as_string())
                            .for_each(|s| text.push_str(s));
                    }
                    true
                }
                Err(_) => false,
            },
            None => auto_detect(&doc, text),
        };
        ReplyFacts {
            promised,
            has_text: text.len() > before,
        }
    }
}

/// AIPerf's order: embeddings, rankings, then the text fields, then OpenAI's shapes.
fn auto_detect(doc: &Value, text: &mut String) -> bool {
    if doc.is_array() {
        // A bare list (TEI's rerank reply, an embeddings server's vectors).
        return true;
    }
    let embeddings = doc
        .get("data")
        .and_then(Value::as_array)
        .is_some_and(|d| d.iter().any(|x| x.get("embedding").is_some()));
    if embeddings || doc.get("embeddings").is_some() || doc.get("embedding").is_some() {
        return true;
    }
    if ["rankings", "results"]
        .iter()
        .any(|k| doc.get(k).is_some_and(Value::is_array))
    {
        return true;
    }
    for key in ["text", "content", "response", "output", "result"] {
        if let Some(s) = doc.get(key).and_then(Value::as_str) {
            text.push_str(s);
            return true;
        }
    }
    let Some(choice) = doc.get("choices").and_then(Value::as_array) else {
        return false;
    };
    // A last chunk with only `usage` (an empty `choices`) is still the shape.
    let Some(first) = choice.first() else {
        return true;
    };
    let found = first
        .get("text")
        .or_else(|| first.pointer("/message/content"))
        .or_else(|| first.pointer("/delta/content"))
        .and_then(Value::as_str);
    if let Some(s) = found {
        text.push_str(s);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(field: Option<&str>, payload: &str) -> (ReplyFacts, String) {
        let mut text = String::new();
        let facts = ReplyField::new(field).read(payload.as_bytes(), &mut text);
        (facts, text)
    }

    #[test]
    fn auto_detects_text_in_aiperf_order() {
        let (f, t) = read(None, r#"{"text": "a\"b", "content": "no"}"#);
        assert!(f.promised && f.has_text);
        assert_eq!(t, "a\"b");
        assert_eq!(read(None, r#"{"result": "r"}"#).1, "r");
        assert_eq!(read(None, r#"{"choices":[{"text":"c"}]}"#).1, "c");
        assert_eq!(
            read(None, r#"{"choices":[{"message":{"content":"m"}}]}"#).1,
            "m"
        );
        assert_eq!(
            read(None, r#"{"choices":[{"delta":{"content":"d"}}]}"#).1,
            "d"
        );
        let (f, t) = read(None, r#"{"choices":[],"usage":{"completion_tokens":3}}"#);
        assert!(f.promised && !f.has_text && t.is_empty());
        // Embeddings and rankings come first, and carry no text.
        let (f, t) = read(None, r#"{"data":[{"embedding":[0.1]}],"text":"x"}"#);
        assert!(f.promised && t.is_empty());
        assert!(read(None, r#"{"rankings":[{"index":0}]}"#).0.promised);
        assert!(read(None, r#"[{"index":0,"score":1}]"#).0.promised);
        assert!(!read(None, r#"{"other": 1}"#).0.promised);
        assert!(!read(None, "not json").0.promised);
    }

    #[test]
    fn an_explicit_field_is_read_with_jmespath() {
        let (f, t) = read(
            Some("out.pieces[1].s"),
            r#"{"out":{"pieces":[{"s":"a"},{"s":"b"}]}}"#,
        );
        assert!(f.promised && f.has_text);
        assert_eq!(t, "b");
        // The field wins over auto-detection.
        let (f, t) = read(Some("generated"), r#"{"text":"no","generated":"yes"}"#);
        assert!(f.promised);
        assert_eq!(t, "yes");
        assert!(!read(Some("generated"), r#"{"text":"no"}"#).0.promised);
        let (f, t) = read(
            Some("data[0].embedding"),
            r#"{"data":[{"embedding":[1,2]}]}"#,
        );
        assert!(f.promised && !f.has_text && t.is_empty());
        assert_eq!(
            read(Some("parts[].t"), r#"{"parts":[{"t":"x"},{"t":"y"}]}"#).1,
            "xy"
        );
    }
}
