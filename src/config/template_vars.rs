//! The variables a `template` body sees, AIPerf's names and shapes, built in one place for
//! the load-time check (sample values) and for every rendered entry.
//!
//! AIPerf hands its Jinja2 template the turn's contents as lists (`texts`, `images`, …), the
//! first of each (`text`, `image`, …), the same grouped by content name (`texts_by_name`, …),
//! and the `turn`, `turns` and `request_info` objects themselves. gauntlet renders every body
//! before the clock, once per dataset entry, so `turn` and `turns` are that entry's single
//! turn and `request_info` holds what is known then (the turns and the turn index).

use minijinja::Value as JinjaValue;
use serde_json::{json, Map, Value};

/// The names a template may use.
pub const VARIABLES: &[&str] = &[
    "text",
    "texts",
    "query",
    "queries",
    "passage",
    "passages",
    "model",
    "max_tokens",
    "stream",
    "role",
    "image",
    "images",
    "audio",
    "audios",
    "video",
    "videos",
    "texts_by_name",
    "images_by_name",
    "audios_by_name",
    "videos_by_name",
    "turn",
    "turns",
    "request_info",
];

/// What one entry gives its template. Media are strings as AIPerf's turns hold them: images
/// and videos as `data:` URLs, audio as `format,base64`.
#[derive(Debug, Clone, Copy)]
pub struct TemplateInput<'a> {
    /// The prompt (a rankings entry's query).
    pub prompt: &'a str,
    /// A rankings entry's passages; empty otherwise.
    pub passages: &'a [String],
    /// The model the request names.
    pub model: &'a str,
    /// The output budget, when the workload sets one.
    pub max_tokens: Option<u32>,
    /// `--streaming`.
    pub stream: bool,
    /// Images as `data:` URLs.
    pub images: &'a [String],
    /// Audio clips as `format,base64`.
    pub audios: &'a [String],
    /// Videos as `data:` URLs.
    pub videos: &'a [String],
}

/// The template's variables for `input`.
pub fn context(input: &TemplateInput) -> JinjaValue {
    let ranked = !input.passages.is_empty();
    let texts: Vec<&str> = if ranked {
        Vec::new()
    } else {
        vec![input.prompt]
    };
    let queries: Vec<&str> = if ranked {
        vec![input.prompt]
    } else {
        Vec::new()
    };
    let mut texts_by_name = Map::new();
    if ranked {
        texts_by_name.insert("query".into(), json!(queries));
        texts_by_name.insert("passages".into(), json!(input.passages));
    } else {
        texts_by_name.insert("text".into(), json!(texts));
    }
    let by_name = |name: &str, items: &[String]| -> Value {
        let mut map = Map::new();
        if !items.is_empty() {
            map.insert(name.into(), json!(items));
        }
        Value::Object(map)
    };
    let named = |name: &str, items: &[String]| -> Value {
        if items.is_empty() {
            json!([])
        } else {
            json!([{ "name": name, "contents": items }])
        }
    };
    let turn_texts: Value = if ranked {
        json!([
            { "name": "query", "contents": queries },
            { "name": "passages", "contents": input.passages },
        ])
    } else {
        json!([{ "name": "text", "contents": texts }])
    };
    let turn = json!({
        "role": "user",
        "model": input.model,
        "max_tokens": input.max_tokens,
        "texts": turn_texts,
        "images": named("image", input.images),
        "audios": named("audio", input.audios),
        "videos": named("video", input.videos),
    });
    // Every body is rendered as a session's first turn, before the clock starts.
    let turns = json!([turn]);
    let vars = json!({
        // `text` and `texts` hold the prompt for every workload, as gauntlet did before the
        // rankings variables came (a rankings template uses `query`).
        "text": input.prompt,
        "texts": [input.prompt],
        "query": queries.first(),
        "queries": queries,
        "passage": input.passages.first(),
        "passages": input.passages,
        "model": input.model,
        "max_tokens": input.max_tokens,
        "stream": input.stream,
        "role": "user",
        "image": input.images.first(),
        "images": input.images,
        "audio": input.audios.first(),
        "audios": input.audios,
        "video": input.videos.first(),
        "videos": input.videos,
        "texts_by_name": Value::Object(texts_by_name),
        "images_by_name": by_name("image", input.images),
        "audios_by_name": by_name("audio", input.audios),
        "videos_by_name": by_name("video", input.videos),
        "turn": turn,
        "turns": turns,
        "request_info": { "turns": turns, "turn_index": 0 },
    });
    JinjaValue::from(minijinja::value::Serde(vars))
}

/// Sample values for the load-time check: every variable defined, one sample of each medium
/// (the media flags are checked apart; a template that reads a medium the run does not send
/// fails on its first entry, naming it).
pub fn sample_context() -> JinjaValue {
    context(&TemplateInput {
        prompt: "sample text",
        passages: &[],
        model: "model",
        max_tokens: Some(1),
        stream: false,
        images: &["data:image/png;base64,".to_string()],
        audios: &["wav,".to_string()],
        videos: &["data:video/mp4;base64,".to_string()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, input: &TemplateInput) -> Value {
        let env = minijinja::Environment::new();
        let text = env.render_str(source, context(input)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn aiperf_shapes_for_text_media_and_turns() {
        let images = ["data:image/png;base64,AA==".to_string()];
        let audios = ["wav,UklG".to_string()];
        let input = TemplateInput {
            prompt: "hi",
            passages: &[],
            model: "m",
            max_tokens: Some(9),
            stream: true,
            images: &images,
            audios: &audios,
            videos: &[],
        };
        let v = render(
            r#"{"t": {{ texts_by_name.text|tojson }}, "i": {{ images_by_name.image|tojson }},
               "a": {{ audio|tojson }}, "v": {{ video|tojson }}, "vs": {{ videos|tojson }},
               "turn": {{ turn|tojson }}, "n": {{ turns|length }},
               "ri": {{ request_info.turn_index }}, "first": {{ turns[0].texts[0].contents[0]|tojson }}}"#,
            &input,
        );
        assert_eq!(v["t"], json!(["hi"]));
        assert_eq!(v["i"], json!(["data:image/png;base64,AA=="]));
        assert_eq!(v["a"], "wav,UklG");
        assert_eq!(v["v"], Value::Null);
        assert_eq!(v["vs"], json!([]));
        assert_eq!(v["turn"]["role"], "user");
        assert_eq!(v["turn"]["model"], "m");
        assert_eq!(v["turn"]["max_tokens"], 9);
        assert_eq!(
            v["turn"]["audios"],
            json!([{"name": "audio", "contents": ["wav,UklG"]}])
        );
        assert_eq!(v["turn"]["videos"], json!([]));
        assert_eq!((v["n"].as_u64(), v["ri"].as_u64()), (Some(1), Some(0)));
        assert_eq!(v["first"], "hi");
    }

    #[test]
    fn rankings_entries_name_query_and_passages() {
        let passages = ["a".to_string(), "b".to_string()];
        let input = TemplateInput {
            prompt: "q?",
            passages: &passages,
            model: "m",
            max_tokens: None,
            stream: false,
            images: &[],
            audios: &[],
            videos: &[],
        };
        let v = render(
            r#"{"q": {{ texts_by_name["query"]|tojson }}, "p": {{ texts_by_name.passages|tojson }},
               "names": {{ turn.texts|map(attribute="name")|list|tojson }}, "mt": {{ max_tokens|tojson }}}"#,
            &input,
        );
        assert_eq!(v["q"], json!(["q?"]));
        assert_eq!(v["p"], json!(["a", "b"]));
        assert_eq!(v["names"], json!(["query", "passages"]));
        assert_eq!(v["mt"], Value::Null);
    }

    #[test]
    fn every_listed_variable_is_defined() {
        let ctx = sample_context();
        for name in VARIABLES {
            assert!(
                ctx.get_attr(name).is_ok_and(|v| !v.is_undefined()),
                "{name}"
            );
        }
    }
}
