//! `image_edit`'s `/v1/images/edits` body, as AIPerf sends it: `multipart/form-data` with the
//! text fields `model`, `prompt`, `response_format=b64_json`, `n=1` (then `--extra-inputs`, each
//! a text field; one of the same name replaces it in place) and the entry's first image as the
//! file part `image`. Rendered once per entry before the clock, like every other body; the
//! boundary is fixed, so the run's request head (src/engine/client.rs) is rendered once too.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::RenderOptions;
use crate::media::MediaPart;

/// The boundary between parts. Long and odd enough not to occur in a text field or an image
/// by chance; [`render`] checks that it does not.
pub const BOUNDARY: &str = "gauntlet-form-boundary-7f3c9a1e5d2b8046";

/// The `Content-Type` of an `image_edit` request.
pub const CONTENT_TYPE: &str =
    "multipart/form-data; boundary=gauntlet-form-boundary-7f3c9a1e5d2b8046";

/// Why a body could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    /// The entry has no image to edit.
    #[error(
        "image_edit needs an image per request: give --image-width-mean and --image-height-mean"
    )]
    NoImage,
    /// The image is not a base64 `data:` URI.
    #[error("image_edit: the image is not a base64 data: URI")]
    BadImage,
    /// A part holds the boundary (it cannot be framed).
    #[error("image_edit: the form boundary occurs in the field '{0}'")]
    BoundaryInPart(String),
}

/// The multipart body for `opts` (whose endpoint is `image_edit`) with the entry's text and
/// its first image.
pub fn render(
    opts: &RenderOptions,
    prompt: &str,
    media: &[MediaPart],
) -> Result<Vec<u8>, MultipartError> {
    let url = media
        .iter()
        .find_map(|part| match part {
            MediaPart::Image { url } => Some(url.as_str()),
            _ => None,
        })
        .ok_or(MultipartError::NoImage)?;
    let (mime, image) = decode_data_uri(url).ok_or(MultipartError::BadImage)?;
    let mut fields: Vec<(String, String)> = vec![
        ("model".into(), opts.model.clone()),
        ("prompt".into(), prompt.to_owned()),
        ("response_format".into(), "b64_json".into()),
        ("n".into(), "1".into()),
    ];
    for (key, value) in &opts.extra_inputs {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = text,
            None => fields.push((key.clone(), text)),
        }
    }
    let mut body = Vec::with_capacity(image.len() + 512);
    for (name, value) in &fields {
        if contains(name.as_bytes(), BOUNDARY.as_bytes())
            || contains(value.as_bytes(), BOUNDARY.as_bytes())
        {
            return Err(MultipartError::BoundaryInPart(name.clone()));
        }
        body.extend_from_slice(b"--");
        body.extend_from_slice(BOUNDARY.as_bytes());
        body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        body.extend_from_slice(escape_name(name).as_bytes());
        body.extend_from_slice(b"\"\r\n\r\n");
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    if contains(&image, BOUNDARY.as_bytes()) {
        return Err(MultipartError::BoundaryInPart("image".into()));
    }
    let ext = mime.rsplit('/').next().unwrap_or("bin");
    body.extend_from_slice(b"--");
    body.extend_from_slice(BOUNDARY.as_bytes());
    body.extend_from_slice(
        format!(
            "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"image.{ext}\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&image);
    body.extend_from_slice(b"\r\n--");
    body.extend_from_slice(BOUNDARY.as_bytes());
    body.extend_from_slice(b"--\r\n");
    Ok(body)
}

/// Whether `body` is one of [`render`]'s bodies (it opens with the boundary).
pub fn is_multipart(body: &[u8]) -> bool {
    body.len() > BOUNDARY.len() + 2
        && body.starts_with(b"--")
        && body[2..].starts_with(BOUNDARY.as_bytes())
}

/// A multipart body as `inputs.json` shows it: a JSON object of its text fields, with each
/// file part as a short placeholder (`"<image/png, 1234 bytes>"`) instead of its bytes.
/// `None` when `body` is not one of [`render`]'s bodies.
pub fn summary(body: &[u8]) -> Option<Value> {
    if !is_multipart(body) {
        return None;
    }
    let mut out = Map::new();
    for part in parts(body)? {
        let shown = match part.content_type {
            Some(ct) => Value::from(format!("<{ct}, {} bytes>", part.data.len())),
            None => Value::from(String::from_utf8_lossy(part.data).into_owned()),
        };
        out.insert(part.name.to_owned(), shown);
    }
    Some(Value::Object(out))
}

/// One part of a multipart body.
struct Part<'a> {
    name: &'a str,
    content_type: Option<&'a str>,
    data: &'a [u8],
}

/// The parts of one of [`render`]'s bodies.
fn parts(body: &[u8]) -> Option<Vec<Part<'_>>> {
    let delim = format!("\r\n--{BOUNDARY}");
    // The body opens with the first delimiter without its CRLF.
    let mut rest = body.get(2 + BOUNDARY.len()..)?;
    let mut out = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(out);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let after = &rest[head_end + 4..];
        let data_end = find(after, delim.as_bytes())?;
        let mut name = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let (key, value) = line.split_once(':')?;
            if key.eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim());
            } else if key.eq_ignore_ascii_case("content-disposition") {
                let start = value.find("name=\"")? + 6;
                let len = value[start..].find('"')?;
                name = Some(&value[start..start + len]);
            }
        }
        out.push(Part {
            name: name?,
            content_type,
            data: &after[..data_end],
        });
        rest = &after[data_end + delim.len()..];
    }
}

/// The MIME type and bytes of a `data:<mime>;base64,<data>` URI.
fn decode_data_uri(url: &str) -> Option<(&str, Vec<u8>)> {
    let rest = url.strip_prefix("data:")?;
    let (mime, data) = rest.split_once(";base64,")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    Some((mime, bytes))
}

/// A field name with the characters a quoted header parameter cannot hold replaced.
fn escape_name(name: &str) -> String {
    name.replace(['"', '\r', '\n'], "_")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EndpointType, OutputLengthPlan};
    use serde_json::json;

    /// A 1×1 PNG.
    const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    fn opts(extra: &[(&str, Value)]) -> RenderOptions {
        RenderOptions {
            model: "edit-model".into(),
            endpoint: EndpointType::ImageEdit,
            streaming: false,
            extra_inputs: extra
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            output_length: OutputLengthPlan::default(),
        }
    }

    fn image() -> Vec<MediaPart> {
        vec![MediaPart::Image { url: PNG.into() }]
    }

    #[test]
    fn renders_the_fields_then_the_image_as_a_file_part() {
        let body = render(
            &opts(&[("size", json!("64x64")), ("n", json!(2))]),
            "make it blue",
            &image(),
        )
        .unwrap();
        let b = BOUNDARY;
        let expected_head = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nedit-model\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nmake it blue\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\nb64_json\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n2\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"size\"\r\n\r\n64x64\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"image.png\"\r\n\
             Content-Type: image/png\r\n\r\n\x7fPNG"
        );
        let head = &expected_head.as_bytes()[..expected_head.len() - 4];
        assert!(body.starts_with(head), "{}", String::from_utf8_lossy(&body));
        assert!(body[head.len()..].starts_with(b"\x89PNG"));
        assert!(body.ends_with(format!("\r\n--{b}--\r\n").as_bytes()));
        let png = decode_data_uri(PNG).unwrap().1;
        let parts = parts(&body).unwrap();
        assert_eq!(parts.len(), 6);
        assert_eq!(parts[5].name, "image");
        assert_eq!(parts[5].data, &png[..]);
        assert_eq!(
            summary(&body).unwrap(),
            json!({
                "model": "edit-model",
                "prompt": "make it blue",
                "response_format": "b64_json",
                "n": "2",
                "size": "64x64",
                "image": format!("<image/png, {} bytes>", png.len()),
            })
        );
    }

    #[test]
    fn refuses_a_missing_image_and_the_boundary_inside_a_part() {
        assert_eq!(render(&opts(&[]), "p", &[]), Err(MultipartError::NoImage));
        let evil = format!("a --{BOUNDARY} b");
        assert_eq!(
            render(&opts(&[]), &evil, &image()),
            Err(MultipartError::BoundaryInPart("prompt".into()))
        );
        let not_uri = vec![MediaPart::Image {
            url: "http://x/a.png".into(),
        }];
        assert_eq!(
            render(&opts(&[]), "p", &not_uri),
            Err(MultipartError::BadImage)
        );
    }

    #[test]
    fn json_bodies_have_no_summary() {
        assert_eq!(summary(br#"{"model":"m"}"#), None);
        assert!(!is_multipart(b"--"));
    }
}
