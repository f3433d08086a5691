//! The table `gauntlet media codecs` prints, from the [`CodecReport`] that video gathers (in the
//! helper process, so the `gauntlet` binary never loads FFmpeg).

use std::fmt::Write as _;

use crate::video::codecs::{
    CodecReport, CodecStatus, MediaKind, KNOWN_GOOD_AVCODEC_MAJOR, KNOWN_GOOD_FFMPEG,
};

fn label(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
        MediaKind::Image => "image",
    }
}

/// The FFmpeg library line: libavcodec's version and whether it is at least the known-good one.
pub fn ffmpeg_line(libavcodec: [u32; 3]) -> String {
    let [major, minor, micro] = libavcodec;
    let verdict = if major >= KNOWN_GOOD_AVCODEC_MAJOR {
        format!("FFmpeg {KNOWN_GOOD_FFMPEG} (libavcodec 59.37) or newer is known good")
    } else {
        format!("older than FFmpeg {KNOWN_GOOD_FFMPEG} (libavcodec 59.37), the oldest tested")
    };
    format!("FFmpeg: libavcodec {major}.{minor}.{micro}: {verdict}")
}

/// The table `gauntlet media codecs` prints.
pub fn render(ffmpeg: &str, statuses: &[CodecStatus]) -> String {
    let width = statuses.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = format!("{ffmpeg}\n");
    for s in statuses {
        let state = if s.available { "available" } else { "missing" };
        let _ = writeln!(
            out,
            "{:<5}  {:<width$}  {state:<9}  {}",
            label(s.kind),
            s.name,
            s.note
        );
    }
    out
}

/// The whole listing: the FFmpeg line, then one line per encoder.
pub fn render_report(report: &CodecReport) -> String {
    render(&ffmpeg_line(report.libavcodec), &report.statuses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::VideoCodec;
    use crate::video::codecs::{codec_statuses, libavcodec_version};

    #[test]
    fn every_encoder_gets_one_line() {
        let statuses = codec_statuses();
        let names: Vec<_> = statuses.iter().map(|s| s.name.as_str()).collect();
        for codec in VideoCodec::ALL {
            assert!(names.contains(&codec.ffmpeg_name()), "{names:?}");
        }
        for name in ["wav", "libmp3lame", "png", "jpeg"] {
            assert!(names.contains(&name), "{names:?}");
        }
        let text = render("FFmpeg: test", &statuses);
        assert_eq!(text.lines().count(), statuses.len() + 1);
        assert!(text.lines().skip(1).all(|l| {
            let state = l.split_whitespace().nth(2);
            state == Some("available") || state == Some("missing")
        }));
    }

    #[test]
    fn ffmpeg_line_reports_the_library_version() {
        let line = ffmpeg_line(libavcodec_version());
        assert!(line.starts_with("FFmpeg: libavcodec "), "{line}");
        assert!(line.contains("5.1"), "{line}");
    }
}
