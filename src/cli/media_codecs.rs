//! `gauntlet media codecs`: what this machine can make, before a run needs it.
//!
//! Media features fail with one line when an encoder is missing; this lists every encoder
//! gauntlet knows, whether the local FFmpeg (and the `image` crate) has it, and for NVENC what
//! exactly is missing, so a user can fix the machine or pick another codec up front.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::config::VideoCodec;
use crate::video::{nvenc, VideoError};

/// The oldest FFmpeg gauntlet is built and tested against (Debian 12); libavcodec 59.37.
pub const KNOWN_GOOD_FFMPEG: &str = "5.1";
const KNOWN_GOOD_AVCODEC_MAJOR: u32 = 59;

/// `gauntlet media …`.
#[derive(Debug, Args)]
pub struct MediaArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: MediaCommand,
}

/// The `media` subcommands.
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// List the video codecs, the MP3 encoder and the image formats available on this machine.
    Codecs,
}

/// What a codec line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// A `--video-codec` encoder.
    Video,
    /// An `--audio-format`.
    Audio,
    /// An `--image-format`.
    Image,
}

impl MediaKind {
    fn label(self) -> &'static str {
        match self {
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Image => "image",
        }
    }
}

/// One encoder's status on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecStatus {
    /// Which media it makes.
    pub kind: MediaKind,
    /// The name as typed on the command line (FFmpeg's encoder name for video).
    pub name: &'static str,
    /// Whether a run asking for it would work here.
    pub available: bool,
    /// Why not (when missing) or what it is used for (when available).
    pub note: String,
}

/// Probes every encoder gauntlet can use. NVENC encoders are opened on a tiny frame, since a
/// GPU without an NVENC engine (H100, H200) still lists them.
pub fn codec_statuses() -> Vec<CodecStatus> {
    let mut out = Vec::new();
    for (codec, present) in crate::video::available_codecs() {
        out.push(video_status(codec, present));
    }
    out.push(CodecStatus {
        kind: MediaKind::Audio,
        name: "wav",
        available: true,
        note: "built in (hound)".into(),
    });
    let mp3 = crate::media::mp3::check_available();
    out.push(CodecStatus {
        kind: MediaKind::Audio,
        name: "libmp3lame",
        available: mp3.is_ok(),
        note: match mp3 {
            Ok(()) => "--audio-format mp3".into(),
            Err(e) => format!("--audio-format mp3 will fail: {e}"),
        },
    });
    for (name, format) in [
        ("png", image::ImageFormat::Png),
        ("jpeg", image::ImageFormat::Jpeg),
    ] {
        let available = format.writing_enabled();
        out.push(CodecStatus {
            kind: MediaKind::Image,
            name,
            available,
            note: if available {
                "built in (image crate)".into()
            } else {
                "this gauntlet was built without the image crate's encoder".into()
            },
        });
    }
    out
}

fn video_status(codec: VideoCodec, present: bool) -> CodecStatus {
    let name = codec.ffmpeg_name();
    let cpu = |note: &str| CodecStatus {
        kind: MediaKind::Video,
        name,
        available: present,
        note: note.into(),
    };
    if !codec.is_nvenc() {
        return if present {
            cpu("CPU encoder")
        } else {
            cpu("not in this FFmpeg build")
        };
    }
    let (available, note) = match nvenc::probe(codec) {
        Ok(()) => (
            true,
            "NVIDIA GPU encoder (opened and accepted a frame)".into(),
        ),
        Err(VideoError::NvencUnavailable { missing, .. }) => (
            false,
            format!("{missing}; use {}", codec.cpu_equivalent().ffmpeg_name()),
        ),
        Err(e) => (false, e.to_string()),
    };
    CodecStatus {
        kind: MediaKind::Video,
        name,
        available,
        note,
    }
}

/// The FFmpeg library line: libavcodec's version and whether it is at least the known-good one.
pub fn ffmpeg_line() -> String {
    let v = ffmpeg_next::codec::version();
    let (major, minor, micro) = (v >> 16, (v >> 8) & 0xff, v & 0xff);
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
            s.kind.label(),
            s.name,
            s.note
        );
    }
    out
}

/// Runs `gauntlet media …`; listing always exits 0 (a missing codec is information here).
pub fn run(args: MediaArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        MediaCommand::Codecs => {
            // FFmpeg is asked through the helper, so this binary never loads it.
            let text = crate::media_helper::ffmpeg().codecs_report()?;
            super::stdout::print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoder_gets_one_line() {
        let statuses = codec_statuses();
        let names: Vec<_> = statuses.iter().map(|s| s.name).collect();
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
    fn missing_nvenc_names_the_cpu_codec() {
        let status = video_status(VideoCodec::HevcNvenc, true);
        if !status.available {
            assert!(status.note.ends_with("; use libx265"), "{}", status.note);
        }
    }

    #[test]
    fn ffmpeg_line_reports_the_library_version() {
        let line = ffmpeg_line();
        assert!(line.starts_with("FFmpeg: libavcodec "), "{line}");
        assert!(line.contains("5.1"), "{line}");
    }
}
