//! `/v1/images/edits`: a small `multipart/form-data` reader (the boundary from the
//! `Content-Type`, the parts split on it, each part's name from its `Content-Disposition`),
//! the `image` part checked to be an image by its magic bytes, and the answer rendered as
//! `/v1/images/generations` renders it (`n` images, `b64_json` or `url`). Off the hot path.

use serde_json::{Map, Value};

use super::images::images_response;

/// One part of a form: its name, whether it is a file, and its bytes.
struct Part<'a> {
    name: &'a str,
    file: bool,
    data: &'a [u8],
}

/// Renders the answer to an image-edit request with `content_type` and `body`, plus the
/// images in it. Errors are 400 messages naming what is wrong.
pub(crate) fn edit_response(
    content_type: Option<&str>,
    body: &[u8],
    created: u64,
) -> Result<(Vec<u8>, u64), String> {
    let boundary = boundary(content_type.unwrap_or(""))?;
    let parts = split(body, boundary)?;
    let image = parts
        .iter()
        .find(|p| p.name == "image" || p.name == "image[]")
        .ok_or("the form has no `image` part")?;
    if !image.file {
        return Err("`image` must be a file part (with a filename)".into());
    }
    if !is_image(image.data) {
        return Err("`image` is not a PNG, JPEG, GIF or WebP image".into());
    }
    // Answered as image generation answers the same fields.
    let mut request = Map::new();
    for part in parts.iter().filter(|p| !p.file) {
        let text = std::str::from_utf8(part.data)
            .map_err(|_| format!("field `{}` is not UTF-8", part.name))?;
        let value = match part.name {
            "n" => Value::from(
                text.trim()
                    .parse::<u64>()
                    .map_err(|_| "`n` must be a whole number".to_string())?,
            ),
            _ => Value::from(text),
        };
        request.insert(part.name.to_owned(), value);
    }
    let json = serde_json::to_vec(&Value::Object(request)).unwrap_or_default();
    images_response(&json, created)
}

/// The boundary of a `multipart/form-data; boundary=…` content type.
fn boundary(content_type: &str) -> Result<&str, String> {
    let mut params = content_type.split(';');
    let mime = params.next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!(
            "Content-Type must be multipart/form-data, got '{mime}'"
        ));
    }
    params
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or_else(|| "Content-Type has no boundary".to_string())
}

/// The parts of `body` framed by `boundary`.
fn split<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let bad = |why: &str| format!("malformed multipart body: {why}");
    let first = format!("--{boundary}");
    let delim = format!("\r\n--{boundary}");
    let start = find(body, first.as_bytes()).ok_or_else(|| bad("no opening boundary"))?;
    let mut rest = &body[start + first.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("no CRLF after a boundary"))?;
        let head_end = find(rest, b"\r\n\r\n").ok_or_else(|| bad("a part has no header end"))?;
        let head = std::str::from_utf8(&rest[..head_end])
            .map_err(|_| bad("a part's headers are not UTF-8"))?;
        let after = &rest[head_end + 4..];
        let end = find(after, delim.as_bytes()).ok_or_else(|| bad("no closing boundary"))?;
        let disposition = head
            .split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
            .map(|(_, v)| v)
            .ok_or_else(|| bad("a part has no Content-Disposition"))?;
        let name = param(disposition, "name").ok_or_else(|| bad("a part has no name"))?;
        parts.push(Part {
            name,
            file: param(disposition, "filename").is_some(),
            data: &after[..end],
        });
        rest = &after[end + delim.len()..];
    }
}

/// The quoted parameter `key` of a `Content-Disposition` value.
fn param<'a>(value: &'a str, key: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"'))
    })
}

/// Whether `data` opens with the magic bytes of a PNG, JPEG, GIF or WebP image.
fn is_image(data: &[u8]) -> bool {
    data.starts_with(b"\x89PNG\r\n\x1a\n")
        || data.starts_with(b"\xff\xd8\xff")
        || data.starts_with(b"GIF87a")
        || data.starts_with(b"GIF89a")
        || (data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    fn form(fields: &[(&str, &str)], image: Option<&[u8]>) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some(image) = image {
            body.extend_from_slice(
                b"--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n",
            );
            body.extend_from_slice(image);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--XyZ--\r\n");
        body
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR--XyZ-ish";

    #[test]
    fn reads_the_form_and_answers_n_images() {
        let body = form(
            &[("model", "m"), ("prompt", "paint it"), ("n", "2")],
            Some(PNG),
        );
        let (json, n) = edit_response(Some(CT), &body, 5).unwrap();
        assert_eq!(n, 2);
        let v: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["data"].as_array().unwrap().len(), 2);
        assert!(v["data"][0]["b64_json"].is_string());
        let body = form(&[("prompt", "p"), ("response_format", "url")], Some(PNG));
        let (json, n) =
            edit_response(Some("multipart/form-data; boundary=\"XyZ\""), &body, 5).unwrap();
        assert_eq!(n, 1);
        assert!(String::from_utf8_lossy(&json).contains("\"url\""));
    }

    #[test]
    fn bad_bodies_are_refused_naming_why() {
        let err = |ct: Option<&str>, body: &[u8]| edit_response(ct, body, 0).unwrap_err();
        let good = form(&[("prompt", "p")], Some(PNG));
        assert!(err(Some("application/json"), &good).contains("multipart/form-data"));
        assert!(err(Some("multipart/form-data"), &good).contains("no boundary"));
        assert!(err(Some(CT), &form(&[("prompt", "p")], None)).contains("no `image`"));
        assert!(err(Some(CT), &form(&[("prompt", "p")], Some(b"GIF? no"))).contains("not a PNG"));
        assert!(err(Some(CT), &form(&[("prompt", "p"), ("n", "x")], Some(PNG))).contains("`n`"));
        assert!(err(Some(CT), &form(&[("model", "m")], Some(PNG))).contains("`prompt`"));
        assert!(err(Some(CT), b"--XyZ\r\nno header end").contains("malformed"));
        assert!(err(Some(CT), &good[..good.len() - 12]).contains("malformed"));
        let text_image = b"--XyZ\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--XyZ--\r\n";
        assert!(err(Some(CT), text_image).contains("file part"));
    }

    #[test]
    fn reads_what_gauntlet_renders() {
        use crate::config::{EndpointType, OutputLengthPlan};
        use crate::media::MediaPart;
        use crate::payload::{multipart, RenderOptions};
        let opts = RenderOptions {
            model: "m".into(),
            endpoint: EndpointType::ImageEdit,
            streaming: false,
            extra_inputs: vec![("n".into(), serde_json::json!(3))],
            output_length: OutputLengthPlan::default(),
        };
        let media = [MediaPart::Image {
            url: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==".into(),
        }];
        let body = multipart::render(&opts, "edit", &media).unwrap();
        let (_, n) = edit_response(Some(multipart::CONTENT_TYPE), &body, 0).unwrap();
        assert_eq!(n, 3);
    }
}
