//! NIM image retrieval's `/v1/infer` body, as AIPerf sends it: no `model` (the NIM serves one)
//! and one `{"type": "image_url", "url": …}` input per image of the entry, each a `data:` URI.
//! The entry's text has no place in it; `--extra-inputs` (e.g. `threshold`) are merged after.

use serde_json::{json, Map, Value};

use crate::media::MediaPart;

/// Fills `body` (which holds `model`) with the entry's images.
pub(super) fn fill(body: &mut Map<String, Value>, media: &[MediaPart]) {
    body.remove("model");
    let input = media
        .iter()
        .filter_map(|part| match part {
            MediaPart::Image { url } => Some(json!({ "type": "image_url", "url": url })),
            _ => None,
        })
        .collect();
    body.insert("input".into(), Value::Array(input));
}

#[cfg(test)]
mod tests {
    use super::super::render::render_entry_body;
    use super::super::RenderOptions;
    use super::*;
    use crate::config::{EndpointType, OutputLengthPlan};

    #[test]
    fn one_image_url_input_per_image_and_no_model_or_prompt() {
        let opts = RenderOptions {
            model: "nvidia/nemoretriever-page-elements-v3".into(),
            endpoint: EndpointType::ImageRetrieval,
            streaming: false,
            extra_inputs: vec![("threshold".into(), json!(0.5))],
            output_length: OutputLengthPlan {
                min_tokens: true,
                ignore_eos: true,
                ..OutputLengthPlan::default()
            },
        };
        let media = [
            MediaPart::Image {
                url: "data:image/png;base64,AA==".into(),
            },
            MediaPart::Image {
                url: "data:image/jpeg;base64,/9j/".into(),
            },
        ];
        let body: Value = serde_json::from_slice(&render_entry_body(
            &opts,
            "unsent text",
            &[],
            Some(9),
            &media,
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "input": [
                    {"type": "image_url", "url": "data:image/png;base64,AA=="},
                    {"type": "image_url", "url": "data:image/jpeg;base64,/9j/"},
                ],
                "threshold": 0.5,
            })
        );
    }
}
