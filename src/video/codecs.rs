//! What this machine can make, gathered for `gauntlet media codecs` before a run needs it.
//!
//! Media features fail with one line when an encoder is missing; this probes every encoder
//! gauntlet knows, whether the local FFmpeg (and the `image` crate) has it, and for NVENC what
//! exactly is missing, so a user can fix the machine or pick another codec up front. The result
//! is plain data (the helper sends it back as JSON); `report::media_codecs` prints it.

use crate::config::VideoCodec;
use crate::video::{nvenc, VideoError};

/// The oldest FFmpeg gauntlet is built and tested against (Debian 12); libavcodec 59.37.
pub const KNOWN_GOOD_FFMPEG: &str = "5.1";
/// libavcodec's major version in [`KNOWN_GOOD_FFMPEG`].
pub const KNOWN_GOOD_AVCODEC_MAJOR: u32 = 59;

/// Everything `gauntlet media codecs` lists: FFmpeg's version and every encoder's status.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CodecReport {
    /// libavcodec's version as (major, minor, micro).
    pub libavcodec: [u32; 3],
    /// Every encoder gauntlet knows, in listing order.
    pub statuses: Vec<CodecStatus>,
}

impl CodecReport {
    /// Probes this process's FFmpeg and encoders.
    pub fn gather() -> Self {
        Self {
            libavcodec: libavcodec_version(),
            statuses: codec_statuses(),
        }
    }
}

/// What a codec line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MediaKind {
    /// A `--video-codec` encoder.
    Video,
    /// An `--audio-format`.
    Audio,
    /// An `--image-format`.
    Image,
}

/// One encoder's status on this machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CodecStatus {
    /// Which media it makes.
    pub kind: MediaKind,
    /// The name as typed on the command line (FFmpeg's encoder name for video).
    pub name: String,
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
        name: "wav".into(),
        available: true,
        note: "built in (hound)".into(),
    });
    let mp3 = crate::media::mp3::check_available();
    out.push(CodecStatus {
        kind: MediaKind::Audio,
        name: "libmp3lame".into(),
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
            name: name.into(),
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
        name: name.into(),
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
        name: name.into(),
        available,
        note,
    }
}

/// libavcodec's version as (major, minor, micro).
pub fn libavcodec_version() -> [u32; 3] {
    let v = ffmpeg_next::codec::version();
    [v >> 16, (v >> 8) & 0xff, v & 0xff]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_nvenc_names_the_cpu_codec() {
        let status = video_status(VideoCodec::HevcNvenc, true);
        if !status.available {
            assert!(status.note.ends_with("; use libx265"), "{}", status.note);
        }
    }
}
