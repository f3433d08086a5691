//! OpenAI's `/v1/images/generations`: `n` images of one small PNG, as `b64_json` (the default
//! here, as AIPerf asks for it) or as `url`. Off the hot path, so plain serde_json.

use std::sync::LazyLock;

use base64::Engine as _;
use serde_json::{json, Value};

/// Side of the mock's PNG, whatever `size` asks for: only the shape of the answer matters.
const SIDE: u32 = 32;
/// Most images one request may ask for (OpenAI's limit).
const MAX_N: u64 = 10;

/// The base64 of the mock's PNG, encoded once.
static PNG_B64: LazyLock<String> = LazyLock::new(|| {
    let img = image::RgbImage::from_fn(SIDE, SIDE, |x, y| {
        image::Rgb([(x * 8) as u8, (y * 8) as u8, ((x + y) * 4) as u8])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    // Encoding a small in-memory RGB image cannot fail.
    let _ = img.write_to(&mut png, image::ImageFormat::Png);
    base64::engine::general_purpose::STANDARD.encode(png.into_inner())
});

/// Renders the answer to an image-generation `body`, plus the images in it. Errors are 400
/// messages naming the field.
pub(crate) fn images_response(body: &[u8], created: u64) -> Result<(Vec<u8>, u64), String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let prompt = request
        .get("prompt")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or("`prompt` must be a non-empty string")?;
    let n = match request.get("n") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MAX_N).contains(n))
            .ok_or(format!("`n` must be a whole number from 1 to {MAX_N}"))?,
    };
    let as_url = match request.get("response_format").and_then(Value::as_str) {
        None | Some("b64_json") => false,
        Some("url") => true,
        Some(other) => {
            return Err(format!(
                "`response_format` must be b64_json or url, got '{other}'"
            ))
        }
    };
    let data: Vec<Value> = (0..n)
        .map(|i| {
            if as_url {
                json!({"url": format!("https://gauntlet-mock.invalid/images/{created}-{i}.png")})
            } else {
                json!({"b64_json": *PNG_B64})
            }
        })
        .collect();
    let input_tokens = prompt.split_whitespace().count() as u64;
    let answer = json!({
        "created": created,
        "data": data,
        "usage": {"input_tokens": input_tokens, "output_tokens": 0, "total_tokens": input_tokens},
    });
    Ok((serde_json::to_vec(&answer).unwrap_or_default(), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_pngs_as_b64_or_urls() {
        let (bytes, n) = images_response(br#"{"model":"i","prompt":"a cat","n":3}"#, 7).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(n, 3);
        let b64 = v["data"][2]["b64_json"].as_str().unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), (SIDE, SIDE));
        let (bytes, _) = images_response(br#"{"prompt":"a","response_format":"url"}"#, 7).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(v["data"][0]["url"].as_str().unwrap().ends_with("7-0.png"));
        assert_eq!(v["usage"]["input_tokens"], 1);
    }

    #[test]
    fn bad_fields_are_named() {
        let err = |b: &str| images_response(b.as_bytes(), 0).unwrap_err();
        assert!(err(r#"{"n":1}"#).contains("`prompt`"));
        assert!(err(r#"{"prompt":"a","n":0}"#).contains("`n`"));
        assert!(err(r#"{"prompt":"a","response_format":"gif"}"#).contains("response_format"));
    }
}
