//! The media checks through a real `MockServer`: counters, `/metrics`, and 400s.

use crate::mock::test_client_tests::call;
use crate::mock::{MockConfig, MockServer};

fn body(parts: &str) -> String {
    format!(
        r#"{{"model":"m","max_tokens":2,"messages":[{{"role":"user","content":[{{"type":"text","text":"look"}},{parts}]}}]}}"#
    )
}

#[test]
fn media_parts_are_counted_and_malformed_ones_refused() {
    let s = MockServer::start(MockConfig::default()).unwrap();
    let image = r#"{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4A=="}}"#;
    let audio = r#"{"type":"input_audio","input_audio":{"data":"SUQz","format":"mp3"}}"#;
    let video = r#"{"type":"video_url","video_url":{"url":"data:video/mp4;base64,AAAAIGZ0eXA="}}"#;
    let good = body(&[image, image, audio, video].join(","));
    for _ in 0..3 {
        let r = call(s.addr(), "POST", "/v1/chat/completions", &good);
        assert_eq!(r.status, 200);
    }
    let bad = body(r#"{"type":"image_url","image_url":{"url":"data:image/png;base64,"}}"#);
    let r = call(s.addr(), "POST", "/v1/chat/completions", &bad);
    assert_eq!(r.status, 400);
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert_eq!(message, "`image_url` part 1: empty base64 payload");

    let stats = s.stats().snapshot();
    assert_eq!(
        (
            stats.media_image_parts,
            stats.media_audio_parts,
            stats.media_video_parts
        ),
        (6, 3, 3)
    );
    assert_eq!((stats.bad_requests, stats.successful_requests), (1, 3));
    let metrics = call(s.addr(), "GET", "/metrics", "");
    let text = String::from_utf8_lossy(&metrics.body).into_owned();
    assert!(
        text.contains("gauntlet_mock_media_parts_total{kind=\"image\"} 6\n"),
        "{text}"
    );
    assert!(text.contains("gauntlet_mock_media_parts_total{kind=\"video\"} 3\n"));
}
