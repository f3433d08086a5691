//! AIPerf's media keys in input lines: `image`/`images`, `audio`/`audios`, `video`/`videos`.
//!
//! A value is a local file (read once, sent as a data URI; audio as `input_audio`), an
//! `http(s)://` URL (sent as it is; images and videos only), or data already encoded (a
//! `data:…;base64,` URI, or AIPerf's `wav,<base64>` / `mp3,<base64>` for audio). Everything is
//! checked while the file is read, so a bad value stops the run with `file:line: key`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use super::fields::Fields;
use super::FilesError;
use crate::config::EndpointType;
use crate::media::MediaPart;

/// The three kinds of media a line may carry, in the order their parts follow the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Image,
    Audio,
    Video,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Image, Kind::Audio, Kind::Video];

    /// The singular and plural keys.
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            Kind::Image => ("image", "images"),
            Kind::Audio => ("audio", "audios"),
            Kind::Video => ("video", "videos"),
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Image => "an image",
            Kind::Audio => "audio",
            Kind::Video => "a video",
        }
    }

    fn formats(self) -> &'static str {
        match self {
            Kind::Image => "PNG, JPEG, GIF, WebP, BMP or TIFF",
            Kind::Audio => "WAV or MP3 (the formats input_audio takes)",
            Kind::Video => "MP4, MOV, WebM, MKV or AVI",
        }
    }
}

/// Reads the media of input lines. A local file named by many lines is read and encoded once.
pub(crate) struct MediaReader {
    /// The input file's folder: relative paths are looked up there, then in the working folder.
    base: PathBuf,
    /// The run's endpoint type; media are refused where its body has no place for them.
    endpoint: EndpointType,
    /// Encoded local files by kind and path as written.
    files: HashMap<(Kind, String), MediaPart>,
}

impl MediaReader {
    /// A reader for the lines of `input`, sent to `endpoint`.
    pub(crate) fn new(input: &Path, endpoint: EndpointType) -> Self {
        let base = input.parent().map(Path::to_path_buf).unwrap_or_default();
        MediaReader {
            base,
            endpoint,
            files: HashMap::new(),
        }
    }

    /// The media parts of one line (or turn): images, then audio, then videos, each in the
    /// order written.
    pub(crate) fn read(&mut self, fields: &Fields<'_>) -> Result<Vec<MediaPart>, FilesError> {
        if fields.has("image_uuids") {
            return Err(fields.err(
                "image_uuids",
                "vLLM's image cache ids are not supported; remove the key (every image is sent in full)",
            ));
        }
        let mut parts = Vec::new();
        for kind in Kind::ALL {
            let values = values(fields, kind)?;
            let Some((first_key, _)) = values.first() else {
                continue;
            };
            if !self.endpoint.accepts_media() {
                return Err(fields.err(
                    first_key,
                    format!(
                        "--endpoint-type {} has no place for media; use chat (content parts) or template",
                        self.endpoint.name()
                    ),
                ));
            }
            for (key, value) in &values {
                let part = self
                    .part(kind, value)
                    .map_err(|message| fields.err(key, message))?;
                parts.push(part);
            }
        }
        Ok(parts)
    }

    /// One value as a part, or what is wrong with it.
    fn part(&mut self, kind: Kind, value: &str) -> Result<MediaPart, String> {
        if value.is_empty() {
            return Err("empty; expected a file path, an http(s) URL or a data URI".into());
        }
        if let Some(rest) = value.strip_prefix("data:") {
            return data_uri(kind, rest);
        }
        if kind == Kind::Audio {
            if let Some(part) = audio_pair(value)? {
                return Ok(part);
            }
        }
        if value.starts_with("http://") || value.starts_with("https://") {
            return match kind {
                Kind::Image => Ok(MediaPart::Image {
                    url: value.to_string(),
                }),
                Kind::Video => Ok(MediaPart::Video {
                    url: value.to_string(),
                }),
                Kind::Audio => Err(
                    "an audio URL cannot be sent: input_audio carries the clip itself; give a local \
                     file, a data URI or wav,<base64>"
                        .into(),
                ),
            };
        }
        if let Some((scheme, _)) = value.split_once("://") {
            return Err(format!(
                "{scheme}:// is not sent: give a local file, an http(s) URL or a data URI"
            ));
        }
        if let Some(part) = self.files.get(&(kind, value.to_string())) {
            return Ok(part.clone());
        }
        let path = self.resolve(value)?;
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let part = file_part(kind, &path, &bytes)?;
        self.files.insert((kind, value.to_string()), part.clone());
        Ok(part)
    }

    /// A local path: as given when absolute, else in the input file's folder, else in the
    /// working folder.
    fn resolve(&self, value: &str) -> Result<PathBuf, String> {
        let given = Path::new(value);
        if given.is_absolute() {
            return if given.is_file() {
                Ok(given.to_path_buf())
            } else {
                Err(format!("no such file: {value}"))
            };
        }
        let beside = self.base.join(given);
        if beside.is_file() {
            return Ok(beside);
        }
        if given.is_file() {
            return Ok(given.to_path_buf());
        }
        let looked = if self.base.as_os_str().is_empty() {
            "the working folder".to_string()
        } else {
            format!("{} and in the working folder", self.base.display())
        };
        Err(format!(
            "no such file: {value} (looked in {looked}); give a file path, an http(s) URL or a \
             data URI"
        ))
    }
}

/// The values of `kind`'s keys with the key each came from (`images[1]`,
/// `images[0].contents[2]`): the singular key is a string, the plural a list of strings or of
/// AIPerf's `{"name", "contents": [..]}` objects.
fn values<'a>(fields: &Fields<'a>, kind: Kind) -> Result<Vec<(String, &'a str)>, FilesError> {
    let (one, many) = kind.keys();
    let single = fields.opt_str(one)?;
    let Some(list) = fields.get(many) else {
        return Ok(single.map(|v| (one.to_string(), v)).into_iter().collect());
    };
    if single.is_some() {
        return Err(fields.err(many, format!("{one} and {many} cannot be set together")));
    }
    let bad = |key: String| {
        fields.err(
            &key,
            format!("expected a string, in a list of strings or of {{\"name\": ..., \"contents\": [strings]}}, like \"{many}\": [\"a.png\"]"),
        )
    };
    let Value::Array(items) = list else {
        return Err(bad(many.to_string()));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => out.push((format!("{many}[{i}]"), s.as_str())),
            Value::Object(o) => match o.get("contents") {
                Some(Value::Array(contents)) => {
                    for (k, c) in contents.iter().enumerate() {
                        let key = format!("{many}[{i}].contents[{k}]");
                        match c {
                            Value::String(s) => out.push((key, s.as_str())),
                            _ => return Err(bad(key)),
                        }
                    }
                }
                _ => return Err(bad(format!("{many}[{i}]"))),
            },
            _ => return Err(bad(format!("{many}[{i}]"))),
        }
    }
    Ok(out)
}

/// Checks that `data` is standard base64 (what a server will decode).
fn check_base64(data: &str) -> Result<(), String> {
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map(drop)
        .map_err(|e| format!("bad base64 ({e})"))
}

/// A `data:` URI (after the scheme), checked: its media type must be `kind`'s and its payload
/// base64.
fn data_uri(kind: Kind, rest: &str) -> Result<MediaPart, String> {
    let Some((head, data)) = rest.split_once(',') else {
        return Err("a data URI needs a comma before its data: data:<type>;base64,<data>".into());
    };
    let Some(mime) = head.strip_suffix(";base64") else {
        return Err(format!(
            "data URI {head:?} is not base64; expected data:<type>;base64,<data>"
        ));
    };
    check_base64(data)?;
    let mime = mime.to_ascii_lowercase();
    let prefix = match kind {
        Kind::Image => "image/",
        Kind::Audio => "audio/",
        Kind::Video => "video/",
    };
    if !mime.starts_with(prefix) {
        return Err(format!(
            "the data URI says {mime:?}, not {prefix}…; this key takes {}",
            kind.noun()
        ));
    }
    let url = || format!("data:{rest}");
    match kind {
        Kind::Image => Ok(MediaPart::Image { url: url() }),
        Kind::Video => Ok(MediaPart::Video { url: url() }),
        Kind::Audio => {
            let format = match &mime[prefix.len()..] {
                "wav" | "x-wav" | "wave" | "vnd.wave" => "wav",
                "mpeg" | "mp3" | "mpeg3" | "x-mpeg-3" => "mp3",
                other => {
                    return Err(format!(
                        "audio/{other} cannot be sent; audio must be {}",
                        kind.formats()
                    ))
                }
            };
            Ok(MediaPart::Audio {
                format: format.into(),
                data: data.into(),
            })
        }
    }
}

/// AIPerf's encoded audio, `wav,<base64>` or `mp3,<base64>`; `None` when `value` is not of
/// that shape (then it is a path or a URL).
fn audio_pair(value: &str) -> Result<Option<MediaPart>, String> {
    let Some((format, data)) = value.split_once(',') else {
        return Ok(None);
    };
    let format = format.to_ascii_lowercase();
    if format != "wav" && format != "mp3" {
        return Ok(None);
    }
    check_base64(data)?;
    Ok(Some(MediaPart::Audio {
        format,
        data: data.into(),
    }))
}

/// What a file holds, by its first bytes, else by its extension: the kind and the MIME
/// subtype (`png`, `wav`, `mp4`, …).
fn sniff(path: &Path, bytes: &[u8]) -> Option<(Kind, &'static str)> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    let by_magic = if at(0, b"\x89PNG\r\n\x1a\n") {
        Some((Kind::Image, "png"))
    } else if at(0, b"\xff\xd8\xff") {
        Some((Kind::Image, "jpeg"))
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some((Kind::Image, "gif"))
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some((Kind::Image, "webp"))
    } else if at(0, b"BM") {
        Some((Kind::Image, "bmp"))
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        Some((Kind::Image, "tiff"))
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some((Kind::Audio, "wav"))
    } else if at(0, b"ID3") || (bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0xe0 == 0xe0) {
        Some((Kind::Audio, "mp3"))
    } else if at(4, b"ftypqt") {
        Some((Kind::Video, "quicktime"))
    } else if at(4, b"ftyp") {
        Some((Kind::Video, "mp4"))
    } else if at(0, b"\x1a\x45\xdf\xa3") {
        Some((Kind::Video, "webm"))
    } else if at(0, b"RIFF") && at(8, b"AVI ") {
        Some((Kind::Video, "x-msvideo"))
    } else {
        None
    };
    by_magic.or_else(|| {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "png" => (Kind::Image, "png"),
            "jpg" | "jpeg" => (Kind::Image, "jpeg"),
            "gif" => (Kind::Image, "gif"),
            "webp" => (Kind::Image, "webp"),
            "bmp" => (Kind::Image, "bmp"),
            "tif" | "tiff" => (Kind::Image, "tiff"),
            "wav" => (Kind::Audio, "wav"),
            "mp3" => (Kind::Audio, "mp3"),
            "mp4" | "m4v" => (Kind::Video, "mp4"),
            "mov" => (Kind::Video, "quicktime"),
            "webm" => (Kind::Video, "webm"),
            "mkv" => (Kind::Video, "x-matroska"),
            "avi" => (Kind::Video, "x-msvideo"),
            _ => return None,
        })
    })
}

/// A local file's bytes as `kind`'s part.
fn file_part(kind: Kind, path: &Path, bytes: &[u8]) -> Result<MediaPart, String> {
    let Some((found, subtype)) = sniff(path, bytes) else {
        return Err(format!(
            "{}: unknown format (neither its first bytes nor its extension say); {} must be {}",
            path.display(),
            kind.noun(),
            kind.formats()
        ));
    };
    if found != kind {
        return Err(format!(
            "{} holds {} ({subtype}), not {}",
            path.display(),
            found.noun(),
            kind.noun()
        ));
    }
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(match kind {
        Kind::Image => MediaPart::Image {
            url: format!("data:image/{subtype};base64,{data}"),
        },
        Kind::Video => MediaPart::Video {
            url: format!("data:video/{subtype};base64,{data}"),
        },
        Kind::Audio => MediaPart::Audio {
            format: subtype.into(),
            data,
        },
    })
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
