//! NIM image retrieval's `/v1/infer` (object detection, e.g. nemoretriever-page-elements):
//! `input` is a list of `{"type": "image_url", "url": "data:image/…;base64,…"}`; the answer
//! has one `data` element per image, with its `index` and normalized bounding boxes by class,
//! and `usage.images_size_mb`. Each image is decoded enough to know it is one (its format is
//! sniffed from the bytes). Off the hot path, so plain serde_json.

use base64::Engine as _;
use serde_json::{json, Value};

/// Most images one request may carry.
const MAX_IMAGES: usize = 64;

/// Renders the answer to a `/v1/infer` `body`, plus the images in it. Errors are 400
/// messages naming the field.
pub(crate) fn retrieval_response(body: &[u8]) -> Result<(Vec<u8>, u64), String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let input = request
        .get("input")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or("`input` must be a non-empty array of image_url items")?;
    if input.len() > MAX_IMAGES {
        return Err(format!("`input` holds at most {MAX_IMAGES} images"));
    }
    let mut bytes = 0usize;
    let mut data = Vec::with_capacity(input.len());
    for (i, item) in input.iter().enumerate() {
        if item.get("type").and_then(Value::as_str) != Some("image_url") {
            return Err(format!("`input[{i}].type` must be \"image_url\""));
        }
        let url = item
            .get("url")
            .and_then(Value::as_str)
            .ok_or(format!("`input[{i}].url` must be a string"))?;
        let image = decode_image(url).map_err(|e| format!("`input[{i}].url`: {e}"))?;
        bytes += image.len();
        // A page's title across the top and one table below it, confident as a real page.
        let shift = (i % 10) as f64 / 100.0;
        data.push(json!({
            "index": i,
            "bounding_boxes": {
                "title": [{"x_min": 0.1, "y_min": 0.02 + shift, "x_max": 0.9, "y_max": 0.06 + shift, "confidence": 0.97}],
                "table": [{"x_min": 0.05, "y_min": 0.15, "x_max": 0.95, "y_max": 0.85, "confidence": 0.94}],
            },
        }));
    }
    let n = data.len() as u64;
    let answer = json!({
        "data": data,
        "usage": {"images_size_mb": bytes as f64 / 1_000_000.0},
    });
    Ok((serde_json::to_vec(&answer).unwrap_or_default(), n))
}

/// The bytes of a `data:image/…;base64,` URI, when they are an image of a known format.
fn decode_image(url: &str) -> Result<Vec<u8>, String> {
    let rest = url
        .strip_prefix("data:image/")
        .ok_or("must be a data:image/…;base64, URI")?;
    let (_, b64) = rest
        .split_once(";base64,")
        .ok_or("must be a data:image/…;base64, URI")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("invalid base64: {e}"))?;
    image::guess_format(&bytes).map_err(|_| "not an image the server can read".to_string())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_uri() -> String {
        let img = image::RgbImage::from_pixel(4, 4, image::Rgb([1, 2, 3]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(png.into_inner());
        format!("data:image/png;base64,{b64}")
    }

    #[test]
    fn one_data_element_per_image_with_its_index() {
        let uri = png_uri();
        let body = json!({"input": [{"type": "image_url", "url": uri}, {"type": "image_url", "url": uri}]});
        let (bytes, n) = retrieval_response(body.to_string().as_bytes()).unwrap();
        assert_eq!(n, 2);
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["data"][1]["index"], 1);
        assert!(v["data"][0]["bounding_boxes"]["table"][0]["confidence"].is_f64());
        assert!(v["usage"]["images_size_mb"].as_f64().unwrap() > 0.0);
    }

    #[test]
    fn bad_inputs_are_named() {
        let err = |b: Value| retrieval_response(b.to_string().as_bytes()).unwrap_err();
        assert!(err(json!({"input": []})).contains("`input`"));
        assert!(err(json!({"input": [{"type": "text", "url": "x"}]})).contains("input[0].type"));
        assert!(
            err(json!({"input": [{"type": "image_url", "url": "https://x/y.png"}]}))
                .contains("data:image")
        );
        assert!(err(
            json!({"input": [{"type": "image_url", "url": "data:image/png;base64,aGVsbG8="}]})
        )
        .contains("not an image"));
    }
}
