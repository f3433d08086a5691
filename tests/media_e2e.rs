//! End to end: `profile` with synthetic images and audio sends them as chat content parts.

mod common;

use base64::Engine;
use common::{artifact_dir, profile, MockConfig, MockServer};
use serde_json::Value;

#[test]
fn images_and_wav_audio_reach_the_server_as_content_parts() {
    let server = MockServer::start(MockConfig {
        capture_requests: true,
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("media-images-audio");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--request-count",
            "4",
            "--num-dataset-entries",
            "4",
            "--isl",
            "16",
            "--image-width-mean",
            "40",
            "--image-height-mean",
            "24",
            "--image-format",
            "png",
            "--image-batch-size",
            "2",
            "--audio-length-mean",
            "0.05",
            "--audio-sample-rates",
            "16",
            "--audio-depths",
            "16",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies: Vec<Value> = server
        .stats()
        .captured_requests()
        .iter()
        .map(|b| serde_json::from_slice(b).unwrap())
        .collect();
    assert_eq!(bodies.len(), 4);
    let b64 = base64::engine::general_purpose::STANDARD;
    for body in &bodies {
        let content = body["messages"][0]["content"].as_array().expect("parts");
        let kinds: Vec<&str> = content
            .iter()
            .map(|p| p["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["text", "image_url", "image_url", "input_audio"]);
        assert!(!content[0]["text"].as_str().unwrap().is_empty());
        let url = content[1]["image_url"]["url"].as_str().unwrap();
        let png = b64
            .decode(
                url.strip_prefix("data:image/png;base64,")
                    .expect("a PNG data URI"),
            )
            .unwrap();
        let image = image::load_from_memory(&png).unwrap();
        assert_eq!((image.width(), image.height()), (40, 24));
        let audio = &content[3]["input_audio"];
        assert_eq!(audio["format"], "wav");
        let wav = b64.decode(audio["data"].as_str().unwrap()).unwrap();
        let spec = hound::WavReader::new(std::io::Cursor::new(wav))
            .unwrap()
            .spec();
        assert_eq!(
            (spec.sample_rate, spec.bits_per_sample, spec.channels),
            (16_000, 16, 1)
        );
    }
    // inputs.json holds the same bodies, media included.
    let inputs = common::json(&dir, "inputs.json");
    assert!(inputs.to_string().contains("input_audio"));
}
