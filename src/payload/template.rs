//! Bodies of `--endpoint-type template`: the user's Jinja2 template rendered once per
//! dataset entry, before the clock starts (never on the send path), with AIPerf's variables.
//! The other `--extra-inputs` are merged into the rendered object's top level.

use minijinja::Environment;
use serde_json::Value;

use crate::config::template_plan::{environment, TemplatePlan, TEMPLATE_NAME};
use crate::config::template_vars::{context, TemplateInput};
use crate::media::MediaPart;

/// A compiled template and what every body shares.
pub struct TemplateRenderer<'p> {
    env: Environment<'static>,
    plan: &'p TemplatePlan,
    streaming: bool,
    extra_inputs: &'p [(String, Value)],
}

/// One dataset entry, as the template sees it.
pub struct TemplateEntry<'a> {
    /// The prompt (`text`, `texts`; a rankings entry's query).
    pub prompt: &'a str,
    /// A rankings entry's passages (`passage`, `passages`).
    pub passages: &'a [String],
    /// The output budget (`max_tokens`).
    pub max_tokens: Option<u32>,
    /// Synthetic media: `image(s)` and `video(s)` as data URLs, `audio(s)` as `format,base64`.
    pub media: &'a [MediaPart],
    /// The model of this request (`model`).
    pub model: &'a str,
}

impl<'p> TemplateRenderer<'p> {
    /// Compiles `plan`'s template (the plan checked it at load time, so this fails only if
    /// the template file changed since).
    pub fn new(
        plan: &'p TemplatePlan,
        streaming: bool,
        extra_inputs: &'p [(String, Value)],
    ) -> Result<Self, String> {
        Ok(Self {
            env: environment(plan)?,
            plan,
            streaming,
            extra_inputs,
        })
    }

    /// Body of entry `index`: the rendered JSON (compact), extra inputs merged. An error is
    /// one line naming the template, the entry and what was wrong.
    pub fn render(&self, index: usize, entry: &TemplateEntry) -> Result<Vec<u8>, String> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|e| config_describe(self.plan, &e))?;
        let (mut images, mut audios, mut videos) = (Vec::new(), Vec::new(), Vec::new());
        for part in entry.media {
            match part {
                MediaPart::Image { url } => images.push(url.clone()),
                // AIPerf's turns hold audio as `format,base64`.
                MediaPart::Audio { format, data } => audios.push(format!("{format},{data}")),
                MediaPart::Video { url } => videos.push(url.clone()),
            }
        }
        let ctx = context(&TemplateInput {
            prompt: entry.prompt,
            passages: entry.passages,
            model: entry.model,
            max_tokens: entry.max_tokens,
            stream: self.streaming,
            images: &images,
            audios: &audios,
            videos: &videos,
        });
        let text = template
            .render(ctx)
            .map_err(|e| format!("entry {}: {}", index + 1, config_describe(self.plan, &e)))?;
        let mut value: Value = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: entry {}: the rendered body is not one JSON value ({e} of the rendered text)",
                self.plan.origin,
                index + 1
            )
        })?;
        if !self.extra_inputs.is_empty() {
            let Value::Object(map) = &mut value else {
                return Err(format!(
                    "{}: entry {}: the rendered body is not a JSON object, so --extra-inputs cannot be merged into it",
                    self.plan.origin,
                    index + 1
                ));
            };
            for (key, v) in self.extra_inputs {
                map.insert(key.clone(), v.clone());
            }
        }
        // Serializing a parsed Value cannot fail.
        Ok(serde_json::to_vec(&value).unwrap_or_default())
    }
}

fn config_describe(plan: &TemplatePlan, e: &minijinja::Error) -> String {
    crate::config::template_plan::describe(plan, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(source: &str) -> TemplatePlan {
        TemplatePlan {
            source: source.into(),
            origin: "payload_template (inline)".into(),
            file: None,
            response_field: None,
        }
    }

    fn entry<'a>(prompt: &'a str, passages: &'a [String]) -> TemplateEntry<'a> {
        TemplateEntry {
            prompt,
            passages,
            max_tokens: Some(7),
            media: &[],
            model: "m1",
        }
    }

    fn parse(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn variables_and_filters_render() {
        let p = plan(
            r#"{"model": {{ model|tojson }}, "prompt": {{ text|tojson }}, "all": {{ texts|tojson }},
               "n": {{ max_tokens }}, "stream": {{ stream|lower }}, "role": "{{ role }}",
               "q": {{ query|tojson }}, "ps": {{ passages|tojson }}, "p": {{ passage|tojson }}}"#,
        );
        let extra = [("temperature".to_string(), Value::from(0.5))];
        let r = TemplateRenderer::new(&p, true, &extra).unwrap();
        let body = parse(&r.render(0, &entry("say \"hi\"\n", &[])).unwrap());
        assert_eq!(body["model"], "m1");
        assert_eq!(body["prompt"], "say \"hi\"\n");
        assert_eq!(body["all"], serde_json::json!(["say \"hi\"\n"]));
        assert_eq!(body["n"], 7);
        assert_eq!(body["stream"], true);
        assert_eq!(body["role"], "user");
        assert_eq!(body["q"], Value::Null);
        assert_eq!(body["temperature"], 0.5);
        let passages = ["a".to_string(), "b".to_string()];
        let body = parse(&r.render(0, &entry("q?", &passages)).unwrap());
        assert_eq!(body["q"], "q?");
        assert_eq!(body["ps"], serde_json::json!(["a", "b"]));
        assert_eq!(body["p"], "a");
        let r = TemplateRenderer::new(&p, false, &[]).unwrap();
        let body = parse(&r.render(0, &entry("x", &[])).unwrap());
        assert_eq!(body["stream"], false);
        assert!(body.get("temperature").is_none());
    }

    #[test]
    fn images_are_data_urls() {
        let p = plan(r#"{"image": {{ image|tojson }}, "images": {{ images|tojson }}}"#);
        let r = TemplateRenderer::new(&p, false, &[]).unwrap();
        let media = [MediaPart::Image {
            url: "data:image/png;base64,AA==".into(),
        }];
        let mut e = entry("x", &[]);
        e.media = &media;
        let body = parse(&r.render(0, &e).unwrap());
        assert_eq!(body["image"], "data:image/png;base64,AA==");
        assert_eq!(body["images"][0], "data:image/png;base64,AA==");
    }

    #[test]
    fn audio_and_video_are_aiperf_strings() {
        let p = plan(
            r#"{"a": {{ audios|tojson }}, "v": {{ video|tojson }}, "n": {{ turn.audios[0].name|tojson }}}"#,
        );
        let r = TemplateRenderer::new(&p, false, &[]).unwrap();
        let media = [
            MediaPart::Audio {
                format: "wav".into(),
                data: "UklGRg==".into(),
            },
            MediaPart::Video {
                url: "data:video/mp4;base64,AAAA".into(),
            },
        ];
        let mut e = entry("x", &[]);
        e.media = &media;
        let body = parse(&r.render(0, &e).unwrap());
        assert_eq!(body["a"], serde_json::json!(["wav,UklGRg=="]));
        assert_eq!(body["v"], "data:video/mp4;base64,AAAA");
        assert_eq!(body["n"], "audio");
    }

    #[test]
    fn an_entry_that_breaks_json_is_named() {
        // Sample text renders fine without tojson; a prompt with a quote does not.
        let p = plan(r#"{"prompt": "{{ text }}"}"#);
        let r = TemplateRenderer::new(&p, false, &[]).unwrap();
        assert!(r.render(0, &entry("plain", &[])).is_ok());
        let e = r.render(4, &entry("a \"quote\"", &[])).unwrap_err();
        assert!(
            e.starts_with(
                "payload_template (inline): entry 5: the rendered body is not one JSON value"
            ),
            "{e}"
        );
        let p = plan(r#"[{{ text|tojson }}]"#);
        let extra = [("t".to_string(), Value::from(1))];
        let r = TemplateRenderer::new(&p, false, &extra).unwrap();
        assert!(r
            .render(0, &entry("x", &[]))
            .unwrap_err()
            .contains("not a JSON object"));
    }
}
