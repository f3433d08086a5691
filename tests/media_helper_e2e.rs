//! The `gauntlet-ffmpeg` helper: `gauntlet` itself does not link FFmpeg, and the helper's
//! media are byte-identical to the same job run in this process.

use std::io::Write;
use std::process::{Command, Stdio};

use gauntlet::media_helper::{serve, Job};

#[test]
fn the_gauntlet_binary_does_not_load_ffmpeg() {
    let bytes = std::fs::read(env!("CARGO_BIN_EXE_gauntlet")).unwrap();
    let helper = std::fs::read(env!("CARGO_BIN_EXE_gauntlet-ffmpeg")).unwrap();
    let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    // A dynamic dependency's soname sits in the binary's string table.
    assert!(has(&helper, b"libavcodec.so"), "the helper links FFmpeg");
    assert!(
        !has(&bytes, b"libavcodec.so"),
        "gauntlet must not link FFmpeg"
    );
    assert!(
        !has(&bytes, b"libavformat.so"),
        "gauntlet must not link FFmpeg"
    );
}

/// Two root entries and one follow-up turn; MP3 audio and a tiny VP9 video per root.
fn job() -> Job {
    let media: gauntlet::config::MediaPlan = serde_json::from_value(serde_json::json!({
        "images": null,
        "audio": {"length_s": {"type": "fixed", "value": 0.2}, "sample_rates_hz": [16000],
                  "depths": [16], "channels": 1, "format": "mp3", "batch_size": 1}
    }))
    .unwrap();
    let video: gauntlet::config::VideoPlan = serde_json::from_value(serde_json::json!({
        "width": 64, "height": 48, "fps": 4, "duration_s": 1.0, "synth": "moving_shapes",
        "codec": "libvpx-vp9", "container": "webm", "batch_size": 1, "gpu_synthesis": false
    }))
    .unwrap();
    // Entry 2 is a follow-up turn of entry 0: only entries 0 and 1 are roots.
    Job::Attach {
        media,
        video: Some(video),
        seed: 7,
        entries: 3,
        roots: vec![0, 1],
    }
}

#[test]
fn the_helper_answers_exactly_what_this_process_makes() {
    let input = serde_json::to_vec(&job()).unwrap();
    let mut here = Vec::new();
    serve(&mut input.as_slice(), &mut here).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_gauntlet-ffmpeg"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, here, "helper and in-process media differ");

    let reply: serde_json::Value = serde_json::from_slice(&here).unwrap();
    let media = reply["Media"]
        .as_array()
        .unwrap_or_else(|| panic!("{reply}"));
    assert_eq!(media.len(), 3);
    for root in &media[..2] {
        let parts = root.as_array().unwrap();
        assert_eq!(parts.len(), 2, "{root}");
        assert_eq!(parts[0]["Audio"]["format"], "mp3");
        let url = parts[1]["Video"]["url"].as_str().unwrap();
        assert!(url.starts_with("data:video/webm;base64,"), "{url:.40}");
    }
    assert_eq!(
        media[2],
        serde_json::json!([]),
        "a follow-up turn gets no media"
    );
}

#[test]
fn a_job_the_helper_cannot_read_is_one_line() {
    let mut out = Vec::new();
    serve(&mut b"{not json".as_slice(), &mut out).unwrap();
    let reply: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let line = reply["Error"].as_str().unwrap();
    assert!(
        line.starts_with("the helper could not read its job: "),
        "{line}"
    );
}

#[test]
fn a_missing_helper_is_one_line_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(["media", "codecs"])
        .env("GAUNTLET_FFMPEG_HELPER", "/nonexistent/gauntlet-ffmpeg")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("the gauntlet-ffmpeg helper (/nonexistent/gauntlet-ffmpeg): cannot start"),
        "{stderr}"
    );
}
