//! End to end: `gauntlet media codecs` lists every encoder with its status on this machine.

mod common;

use gauntlet::config::VideoCodec;

#[test]
fn media_codecs_lists_every_encoder_and_exits_zero() {
    let out = common::gauntlet(&["media", "codecs"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    let ffmpeg = lines.next().unwrap_or_default();
    assert!(ffmpeg.starts_with("FFmpeg: libavcodec "), "{stdout}");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    let state = |kind: &str, name: &str| -> &str {
        rows.iter()
            .find(|r| r.len() >= 3 && r[0] == kind && r[1] == name)
            .map(|r| r[2])
            .unwrap_or_else(|| panic!("no {kind} {name} line in:\n{stdout}"))
    };
    // Agrees with the library's own view of this FFmpeg build for the CPU encoders.
    for (codec, present) in gauntlet::video::available_codecs() {
        let s = state("video", codec.ffmpeg_name());
        if codec.is_nvenc() {
            assert!(s == "available" || s == "missing", "{stdout}");
        } else {
            assert_eq!(s == "available", present, "{stdout}");
        }
    }
    // A missing NVENC says why and which CPU codec to use.
    for codec in [VideoCodec::H264Nvenc, VideoCodec::HevcNvenc] {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(codec.ffmpeg_name()))
            .unwrap_or_default();
        if line.contains(" missing ") {
            let instead = codec.cpu_equivalent().ffmpeg_name();
            assert!(line.ends_with(&format!("; use {instead}")), "{line}");
        }
    }
    let mp3 = gauntlet::media::mp3::check_available().is_ok();
    assert_eq!(state("audio", "libmp3lame") == "available", mp3, "{stdout}");
    assert_eq!(state("audio", "wav"), "available");
    assert_eq!(state("image", "png"), "available");
    assert_eq!(state("image", "jpeg"), "available");
}
