//! `--video-*` flags (AIPerf's names), resolved into the plan's `VideoPlan`.

use clap::{Args, ValueEnum};

use crate::config::settings::{flag, VideoSettings};
use crate::config::{SynthType, VideoCodec, VideoContainer};

/// Flags of synthetic video (docs/video.md). Videos are made when both `--video-width` and
/// `--video-height` are given, as in AIPerf.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Video")]
pub struct VideoArgs {
    /// Frame width in pixels (even, at least 16); with --video-height, enables video.
    #[arg(long)]
    pub video_width: Option<u32>,

    /// Frame height in pixels (even, at least 16); with --video-width, enables video.
    #[arg(long)]
    pub video_height: Option<u32>,

    /// Frames per second [default: 4].
    #[arg(long)]
    pub video_fps: Option<u32>,

    /// Clip length in seconds [default: 5].
    #[arg(long)]
    pub video_duration: Option<f64>,

    /// What the frames show [default: moving_shapes].
    #[arg(long, value_enum)]
    pub video_synth_type: Option<SynthArg>,

    /// Encoder; the NVENC ones need an NVIDIA GPU with NVENC (not H100/H200)
    /// [default: libvpx-vp9].
    #[arg(long, value_enum)]
    pub video_codec: Option<CodecArg>,

    /// Container [default: webm, or mp4 for the H.264/HEVC codecs].
    #[arg(long, value_enum)]
    pub video_format: Option<FormatArg>,

    /// Videos per request (on each session's first turns) [default: 1].
    #[arg(long, visible_alias = "batch-size-video")]
    pub video_batch_size: Option<u32>,

    /// Draw the frames on the GPU (CUDA driver and NVRTC needed); the frames are the same as
    /// the CPU's.
    #[arg(long)]
    pub video_gpu_synthesis: bool,
}

/// `--video-synth-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SynthArg {
    /// Bouncing circles and rectangles.
    #[value(name = "moving_shapes")]
    MovingShapes,
    /// A grid, a turning clock hand and a frame counter.
    #[value(name = "grid_clock")]
    GridClock,
    /// Random pixels.
    #[value(name = "noise")]
    Noise,
}

/// `--video-codec` values (FFmpeg's encoder names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodecArg {
    /// VP9 on the CPU.
    #[value(name = "libvpx-vp9")]
    Vp9,
    /// H.264 on the CPU.
    #[value(name = "libx264")]
    X264,
    /// HEVC on the CPU.
    #[value(name = "libx265")]
    X265,
    /// H.264 on NVENC.
    #[value(name = "h264_nvenc")]
    H264Nvenc,
    /// HEVC on NVENC.
    #[value(name = "hevc_nvenc")]
    HevcNvenc,
}

/// `--video-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// WebM (VP9 only).
    Webm,
    /// MP4.
    Mp4,
}

impl VideoArgs {
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> VideoSettings {
        VideoSettings {
            video_width: flag("--video-width", self.video_width),
            video_height: flag("--video-height", self.video_height),
            video_fps: flag("--video-fps", self.video_fps),
            video_duration: flag("--video-duration", self.video_duration),
            video_synth_type: flag(
                "--video-synth-type",
                self.video_synth_type.map(|s| match s {
                    SynthArg::MovingShapes => SynthType::MovingShapes,
                    SynthArg::GridClock => SynthType::GridClock,
                    SynthArg::Noise => SynthType::Noise,
                }),
            ),
            video_codec: flag(
                "--video-codec",
                self.video_codec.map(|c| match c {
                    CodecArg::Vp9 => VideoCodec::Vp9,
                    CodecArg::X264 => VideoCodec::X264,
                    CodecArg::X265 => VideoCodec::X265,
                    CodecArg::H264Nvenc => VideoCodec::H264Nvenc,
                    CodecArg::HevcNvenc => VideoCodec::HevcNvenc,
                }),
            ),
            video_format: flag(
                "--video-format",
                self.video_format.map(|f| match f {
                    FormatArg::Webm => VideoContainer::Webm,
                    FormatArg::Mp4 => VideoContainer::Mp4,
                }),
            ),
            video_batch_size: flag("--video-batch-size", self.video_batch_size),
            video_gpu_synthesis: self.video_gpu_synthesis,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::flag_error::FlagError;
    use super::*;
    use crate::config::VideoPlan;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        video: VideoArgs,
    }

    fn plan(args: &[&str]) -> Result<Option<VideoPlan>, FlagError> {
        let mut argv = vec!["gauntlet"];
        argv.extend_from_slice(args);
        Wrapper::try_parse_from(argv)
            .unwrap()
            .video
            .settings()
            .video_plan()
    }

    #[test]
    fn no_flags_no_video() {
        assert_eq!(plan(&[]).unwrap(), None);
    }

    #[test]
    fn defaults_follow_aiperf() {
        let p = plan(&["--video-width", "64", "--video-height", "48"])
            .unwrap()
            .unwrap();
        assert_eq!((p.fps, p.duration_s, p.batch_size), (4, 5.0, 1));
        assert_eq!(p.frame_count(), 20);
        assert_eq!(p.synth, SynthType::MovingShapes);
        assert_eq!(
            (p.codec, p.container),
            (VideoCodec::Vp9, VideoContainer::Webm)
        );
        assert!(!p.gpu_synthesis);
    }

    #[test]
    fn h264_goes_into_mp4_and_never_webm() {
        let base = [
            "--video-width",
            "64",
            "--video-height",
            "48",
            "--video-codec",
            "libx264",
        ];
        let p = plan(&base).unwrap().unwrap();
        assert_eq!(p.container, VideoContainer::Mp4);
        let mut webm = base.to_vec();
        webm.extend(["--video-format", "webm"]);
        let e = plan(&webm).unwrap_err();
        assert_eq!(e.name(), "--video-format");
    }

    #[test]
    fn bad_values_name_their_flag() {
        let size = ["--video-width", "64", "--video-height", "48"];
        let with = |extra: &[&'static str]| {
            let mut a = size.to_vec();
            a.extend_from_slice(extra);
            plan(&a).unwrap_err().name().to_string()
        };
        assert_eq!(with(&["--video-fps", "0"]), "--video-fps");
        assert_eq!(with(&["--video-duration=-1"]), "--video-duration");
        assert_eq!(
            plan(&["--video-width", "63", "--video-height", "48"])
                .unwrap_err()
                .name(),
            "--video-width"
        );
        assert_eq!(
            plan(&["--video-width", "64"]).unwrap_err().name(),
            "--video-height"
        );
        assert_eq!(
            plan(&["--video-fps", "8"]).unwrap_err().name(),
            "--video-width"
        );
    }

    #[test]
    fn names_parse() {
        let p = plan(&[
            "--video-width",
            "32",
            "--video-height",
            "32",
            "--video-synth-type",
            "grid_clock",
            "--video-codec",
            "hevc_nvenc",
            "--batch-size-video",
            "3",
            "--video-gpu-synthesis",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(p.synth, SynthType::GridClock);
        assert_eq!(
            (p.codec, p.container, p.batch_size),
            (VideoCodec::HevcNvenc, VideoContainer::Mp4, 3)
        );
        assert!(p.gpu_synthesis);
    }
}
