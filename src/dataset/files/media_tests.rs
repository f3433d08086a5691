//! Media keys: every value shape AIPerf takes, and one `file:line: key` error for each way a
//! value can be wrong.

use std::path::Path;

use base64::Engine as _;

use super::*;
use crate::dataset::files::fields::parse_object;

/// The smallest PNG header gauntlet recognises (magic bytes are all `sniff` reads).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const WAV: &[u8] = b"RIFF\x24\0\0\0WAVEfmt ";
const MP4: &[u8] = b"\0\0\0\x18ftypisom\0\0\0\0";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The parts of one line read from `input` (a file inside `dir`) for `endpoint`.
fn parts_at(input: &Path, line: &str, endpoint: EndpointType) -> Result<Vec<MediaPart>, String> {
    let object = parse_object(input, 3, line, "{}").map_err(|e| e.to_string())?;
    let fields = Fields::new(input, 3, &object);
    MediaReader::new(input, endpoint)
        .read(&fields)
        .map_err(|e| e.to_string())
}

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cat.png"), PNG).unwrap();
        std::fs::write(dir.path().join("noise.bin"), b"\0\x01\x02\x03").unwrap();
        std::fs::write(dir.path().join("photo.jpg"), b"not really a jpeg").unwrap();
        std::fs::write(dir.path().join("a.wav"), WAV).unwrap();
        std::fs::write(dir.path().join("clip.mp4"), MP4).unwrap();
        Dir { dir }
    }

    fn input(&self) -> std::path::PathBuf {
        self.dir.path().join("prompts.jsonl")
    }

    fn parts(&self, line: &str) -> Result<Vec<MediaPart>, String> {
        parts_at(&self.input(), line, EndpointType::Chat)
    }
}

#[test]
fn local_files_become_data_uris_by_their_bytes_then_extension() {
    let d = Dir::new();
    let parts = d
        .parts(r#"{"image": "cat.png", "audio": "a.wav", "video": "clip.mp4"}"#)
        .unwrap();
    assert_eq!(
        parts,
        vec![
            MediaPart::Image {
                url: format!("data:image/png;base64,{}", b64(PNG)),
            },
            MediaPart::Audio {
                format: "wav".into(),
                data: b64(WAV),
            },
            MediaPart::Video {
                url: format!("data:video/mp4;base64,{}", b64(MP4)),
            },
        ]
    );
    // No magic bytes: the extension decides.
    let jpg = d.parts(r#"{"images": ["photo.jpg"]}"#).unwrap();
    assert_eq!(
        jpg,
        vec![MediaPart::Image {
            url: format!("data:image/jpeg;base64,{}", b64(b"not really a jpeg")),
        }]
    );
    // An absolute path is taken as it is.
    let abs = d.dir.path().join("cat.png");
    let line = format!(r#"{{"image": {:?}}}"#, abs.to_str().unwrap());
    assert_eq!(d.parts(&line).unwrap().len(), 1);
}

#[test]
fn lists_objects_urls_and_encoded_values_keep_their_order() {
    let d = Dir::new();
    let png_uri = format!("data:image/png;base64,{}", b64(PNG));
    let line = format!(
        r#"{{"images": ["https://example.com/a.png", {{"name": "x", "contents": ["cat.png", "{png_uri}"]}}],
            "audios": ["mp3,{mp3}", "data:audio/wav;base64,{wav}"],
            "videos": ["http://example.com/v.mp4"]}}"#,
        mp3 = b64(b"ID3\x03"),
        wav = b64(WAV),
    )
    .replace('\n', " ");
    let parts = d.parts(&line).unwrap();
    assert_eq!(
        parts,
        vec![
            MediaPart::Image {
                url: "https://example.com/a.png".into()
            },
            MediaPart::Image {
                url: png_uri.clone()
            },
            MediaPart::Image { url: png_uri },
            MediaPart::Audio {
                format: "mp3".into(),
                data: b64(b"ID3\x03"),
            },
            MediaPart::Audio {
                format: "wav".into(),
                data: b64(WAV),
            },
            MediaPart::Video {
                url: "http://example.com/v.mp4".into()
            },
        ]
    );
    assert_eq!(d.parts(r#"{"text": "no media"}"#).unwrap(), vec![]);
}

#[test]
fn relative_paths_are_found_beside_the_input_file_first() {
    let d = Dir::new();
    let sub = d.dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("cat.png"), b"GIF89a").unwrap();
    // `sub/prompts.jsonl` names cat.png: the one in sub/ (a GIF), not the PNG above it.
    let parts = parts_at(
        &sub.join("prompts.jsonl"),
        r#"{"image": "cat.png"}"#,
        EndpointType::Chat,
    )
    .unwrap();
    assert_eq!(
        parts,
        vec![MediaPart::Image {
            url: format!("data:image/gif;base64,{}", b64(b"GIF89a")),
        }]
    );
}

#[test]
fn every_bad_value_names_file_line_and_key() {
    let d = Dir::new();
    let cases = [
        (r#"{"image": "missing.png"}"#, "image", "no such file"),
        (
            r#"{"images": ["cat.png", "gone.png"]}"#,
            "images[1]",
            "no such file",
        ),
        (r#"{"image": "noise.bin"}"#, "image", "unknown format"),
        (r#"{"image": "a.wav"}"#, "image", "holds audio (wav)"),
        (r#"{"audio": "cat.png"}"#, "audio", "holds an image"),
        (
            r#"{"image": "data:image/png;base64,@@@"}"#,
            "image",
            "bad base64",
        ),
        (r#"{"image": "data:image/png,abc"}"#, "image", "not base64"),
        (
            r#"{"image": "data:text/plain;base64,AA=="}"#,
            "image",
            "not image/",
        ),
        (r#"{"audio": "wav,%%%"}"#, "audio", "bad base64"),
        (
            r#"{"audio": "data:audio/ogg;base64,AA=="}"#,
            "audio",
            "audio/ogg",
        ),
        (r#"{"audio": "https://x/a.wav"}"#, "audio", "audio URL"),
        (r#"{"video": "s3://bucket/v.mp4"}"#, "video", "s3://"),
        (r#"{"image": ""}"#, "image", "empty"),
        (r#"{"image": 3}"#, "image", "expected a string"),
        (r#"{"images": "cat.png"}"#, "images", "list of strings"),
        (
            r#"{"images": [{"contents": [1]}]}"#,
            "images[0].contents[0]",
            "string",
        ),
        (r#"{"images": [{"name": "x"}]}"#, "images[0]", "string"),
        (
            r#"{"image": "cat.png", "images": ["cat.png"]}"#,
            "images",
            "cannot be set together",
        ),
        (
            r#"{"images": ["cat.png"], "image_uuids": ["u1"]}"#,
            "image_uuids",
            "not supported",
        ),
    ];
    let input = d.input();
    for (line, key, says) in cases {
        let err = d.parts(line).unwrap_err();
        let prefix = format!("{}:3: {key}: ", input.display());
        assert!(
            err.starts_with(&prefix),
            "{err} does not start with {prefix}"
        );
        assert!(err.contains(says), "{err} does not say {says:?}");
    }
}

#[test]
fn endpoints_without_a_place_for_media_refuse_them() {
    let d = Dir::new();
    let input = d.input();
    let err = parts_at(
        &input,
        r#"{"text": "a", "video": "clip.mp4"}"#,
        EndpointType::Completions,
    )
    .unwrap_err();
    assert!(
        err.starts_with(&format!(
            "{}:3: video: --endpoint-type completions ",
            input.display()
        )),
        "{err}"
    );
    // Text alone is fine there, and a template takes media.
    assert!(parts_at(&input, r#"{"text": "a"}"#, EndpointType::Completions).is_ok());
    assert!(parts_at(&input, r#"{"image": "cat.png"}"#, EndpointType::Template).is_ok());
}

#[test]
fn a_file_named_on_many_lines_is_read_once() {
    let d = Dir::new();
    let input = d.input();
    let mut reader = MediaReader::new(&input, EndpointType::Chat);
    let object = parse_object(&input, 1, r#"{"image": "cat.png"}"#, "{}").unwrap();
    let first = reader.read(&Fields::new(&input, 1, &object)).unwrap();
    // Gone from disk, still sent: the first read is kept.
    std::fs::remove_file(d.dir.path().join("cat.png")).unwrap();
    let again = reader.read(&Fields::new(&input, 2, &object)).unwrap();
    assert_eq!(first, again);
    assert_eq!(reader.files.len(), 1);
}
