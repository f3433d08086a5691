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

#[test]
fn a_synthetic_video_reaches_the_server_as_a_video_url_part() {
    let server = MockServer::start(MockConfig {
        capture_requests: true,
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("media-video");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--request-count",
            "2",
            "--num-dataset-entries",
            "2",
            "--isl",
            "8",
            "--video-width",
            "32",
            "--video-height",
            "32",
            "--video-fps",
            "2",
            "--video-duration",
            "1",
            "--video-synth-type",
            "grid_clock",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    let bodies = server.stats().captured_requests();
    assert_eq!(bodies.len(), 2);
    for raw in &bodies {
        let body: Value = serde_json::from_slice(raw).unwrap();
        let parts = body["messages"][0]["content"].as_array().expect("parts");
        assert_eq!(parts[0]["type"], "text");
        assert_eq!(parts[1]["type"], "video_url");
        let url = parts[1]["video_url"]["url"].as_str().unwrap();
        let data = url
            .strip_prefix("data:video/webm;base64,")
            .expect("a WebM data URI by default");
        let bytes = b64.decode(data).unwrap();
        // EBML magic: a real WebM file, not a placeholder.
        assert_eq!(&bytes[..4], &[0x1a, 0x45, 0xdf, 0xa3]);
    }

    // An NVENC encoder on a machine without one: one clear line, no request sent.
    let dir = artifact_dir("media-video-nvenc");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--video-width",
            "32",
            "--video-height",
            "32",
            "--video-codec",
            "h264_nvenc",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        assert!(
            stderr.contains("h264_nvenc") && stderr.contains("libx264"),
            "{stderr}"
        );
        assert_eq!(server.stats().captured_requests().len(), 2);
    }
}

#[test]
fn the_mock_checks_and_counts_images_audio_and_video_in_every_request() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let dir = artifact_dir("media-all-kinds");
    let (requests, images, clips, videos) = (3u64, 2u64, 2u64, 1u64);
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--request-count",
            &requests.to_string(),
            "--num-dataset-entries",
            &requests.to_string(),
            "--isl",
            "8",
            "--image-width-mean",
            "16",
            "--image-height-mean",
            "16",
            "--image-batch-size",
            &images.to_string(),
            "--audio-length-mean",
            "0.02",
            "--audio-batch-size",
            &clips.to_string(),
            "--video-width",
            "16",
            "--video-height",
            "16",
            "--video-fps",
            "2",
            "--video-duration",
            "1",
            "--video-batch-size",
            &videos.to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = server.stats().snapshot();
    assert_eq!((s.chat_requests, s.bad_requests), (requests, 0));
    assert_eq!(
        (
            s.media_image_parts,
            s.media_audio_parts,
            s.media_video_parts
        ),
        (requests * images, requests * clips, requests * videos)
    );
}

/// The image URLs the mock received from a run of 8 requests with these extra flags.
fn image_urls_sent(name: &str, extra: &[&str]) -> Vec<String> {
    let server = MockServer::start(MockConfig {
        capture_requests: true,
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir(name);
    let mut args = vec![
        "--request-count",
        "8",
        "--num-dataset-entries",
        "8",
        "--isl",
        "8",
        "--image-width-mean",
        "32",
        "--image-height-mean",
        "32",
        "--image-format",
        "png",
    ];
    args.extend_from_slice(extra);
    let out = profile(&server.url(), &dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server
        .stats()
        .captured_requests()
        .iter()
        .map(|b| {
            let body: Value = serde_json::from_slice(b).unwrap();
            body["messages"][0]["content"][1]["image_url"]["url"]
                .as_str()
                .expect("an image part")
                .to_string()
        })
        .collect()
}

#[test]
fn every_request_gets_its_own_image_unless_aiperf_assets_are_asked_for() {
    let distinct = |urls: &[String]| urls.iter().collect::<std::collections::HashSet<_>>().len();
    let stamped = image_urls_sent("media-stamped", &[]);
    assert_eq!((stamped.len(), distinct(&stamped)), (8, 8));
    // AIPerf's assets: four photos at one size and format, so 8 requests repeat some.
    let assets = image_urls_sent("media-assets", &["--image-source", "assets"]);
    assert_eq!(assets.len(), 8);
    assert!(distinct(&assets) <= 4, "{} distinct", distinct(&assets));
    let noise = image_urls_sent("media-noise", &["--image-source", "noise"]);
    assert_eq!(distinct(&noise), 8);
}
