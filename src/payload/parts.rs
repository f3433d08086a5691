//! Chat content parts: the prompt as a `text` part followed by its media, in the shapes
//! OpenAI (`image_url`, `input_audio`) and vLLM (`video_url`) accept.

use serde_json::{json, Value};

use crate::media::MediaPart;

/// The `content` of a user message: the plain prompt string when there is no media (the
/// bytes every text-only server expects), else an array of content parts.
pub fn user_content(prompt: &str, media: &[MediaPart]) -> Value {
    if media.is_empty() {
        return Value::from(prompt);
    }
    let mut parts = Vec::with_capacity(media.len() + 1);
    parts.push(json!({ "type": "text", "text": prompt }));
    parts.extend(media.iter().map(media_part));
    Value::Array(parts)
}

/// One media item as a content part.
pub fn media_part(part: &MediaPart) -> Value {
    match part {
        MediaPart::Image { url } => json!({ "type": "image_url", "image_url": { "url": url } }),
        MediaPart::Audio { format, data } => {
            json!({ "type": "input_audio", "input_audio": { "data": data, "format": format } })
        }
        MediaPart::Video { url } => json!({ "type": "video_url", "video_url": { "url": url } }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_has_its_api_shape() {
        let media = [
            MediaPart::Image {
                url: "data:image/png;base64,AA==".into(),
            },
            MediaPart::Audio {
                format: "wav".into(),
                data: "UklG".into(),
            },
            MediaPart::Video {
                url: "data:video/webm;base64,GkXf".into(),
            },
        ];
        let content = user_content("look", &media);
        let expected = json!([
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
            {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
            {"type": "video_url", "video_url": {"url": "data:video/webm;base64,GkXf"}},
        ]);
        assert_eq!(content, expected);
    }

    #[test]
    fn without_media_the_content_is_the_prompt_string() {
        assert_eq!(user_content("hi", &[]), Value::from("hi"));
    }
}
