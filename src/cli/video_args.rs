//! `--video-*` flags (AIPerf's names), resolved into the plan's `VideoPlan`.

use clap::{Args, ValueEnum};

use super::flag_error::{flag_err, FlagError};
use crate::config::{
    SynthType, VideoCodec, VideoContainer, VideoPlan, DEFAULT_DURATION_S, DEFAULT_FPS,
};

const MAX_SIDE: u32 = 8192;
const MAX_FRAMES: f64 = 100_000.0;

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
    /// The video plan, or `None` when no video was asked for. Errors name the flag.
    pub fn video_plan(&self) -> Result<Option<VideoPlan>, FlagError> {
        let (width, height) = match (self.video_width, self.video_height) {
            (Some(w), Some(h)) => (side("--video-width", w)?, side("--video-height", h)?),
            (None, None) if !self.any_other_given() => return Ok(None),
            (None, None) => {
                return Err(flag_err(
                    "--video-width",
                    "video flags were given without a size: pass --video-width and --video-height",
                ))
            }
            (Some(_), None) => return Err(flag_err("--video-height", "needed with --video-width")),
            (None, Some(_)) => return Err(flag_err("--video-width", "needed with --video-height")),
        };
        let fps = self.video_fps.unwrap_or(DEFAULT_FPS);
        if !(1..=240).contains(&fps) {
            return Err(flag_err(
                "--video-fps",
                format!("must be 1 to 240, got {fps}"),
            ));
        }
        let duration_s = self.video_duration.unwrap_or(DEFAULT_DURATION_S);
        if !(duration_s.is_finite() && duration_s > 0.0) || duration_s * f64::from(fps) > MAX_FRAMES
        {
            return Err(flag_err(
                "--video-duration",
                format!("must be > 0 seconds and at most {MAX_FRAMES} frames at --video-fps, got {duration_s}"),
            ));
        }
        let codec = match self.video_codec.unwrap_or(CodecArg::Vp9) {
            CodecArg::Vp9 => VideoCodec::Vp9,
            CodecArg::X264 => VideoCodec::X264,
            CodecArg::X265 => VideoCodec::X265,
            CodecArg::H264Nvenc => VideoCodec::H264Nvenc,
            CodecArg::HevcNvenc => VideoCodec::HevcNvenc,
        };
        let container = match self.video_format {
            Some(FormatArg::Webm) if !codec.fits_webm() => {
                return Err(flag_err(
                    "--video-format",
                    format!(
                    "WebM holds VP9, not {}: pass --video-format mp4 or --video-codec libvpx-vp9",
                    codec.ffmpeg_name()
                ),
                ))
            }
            Some(FormatArg::Webm) => VideoContainer::Webm,
            Some(FormatArg::Mp4) => VideoContainer::Mp4,
            None if codec.fits_webm() => VideoContainer::Webm,
            None => VideoContainer::Mp4,
        };
        Ok(Some(VideoPlan {
            width,
            height,
            fps,
            duration_s,
            synth: match self.video_synth_type.unwrap_or(SynthArg::MovingShapes) {
                SynthArg::MovingShapes => SynthType::MovingShapes,
                SynthArg::GridClock => SynthType::GridClock,
                SynthArg::Noise => SynthType::Noise,
            },
            codec,
            container,
            batch_size: self.video_batch_size.unwrap_or(1),
            gpu_synthesis: self.video_gpu_synthesis,
        }))
    }

    fn any_other_given(&self) -> bool {
        self.video_fps.is_some()
            || self.video_duration.is_some()
            || self.video_synth_type.is_some()
            || self.video_codec.is_some()
            || self.video_format.is_some()
            || self.video_batch_size.is_some()
            || self.video_gpu_synthesis
    }
}

fn side(flag: &'static str, value: u32) -> Result<u32, FlagError> {
    if !(16..=MAX_SIDE).contains(&value) || value % 2 != 0 {
        return Err(flag_err(
            flag,
            format!(
                "must be an even number of pixels from 16 to {MAX_SIDE} (4:2:0 video), got {value}"
            ),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        video: VideoArgs,
    }

    fn plan(args: &[&str]) -> Result<Option<VideoPlan>, FlagError> {
        let mut argv = vec!["gauntlet"];
        argv.extend_from_slice(args);
        Wrapper::try_parse_from(argv).unwrap().video.video_plan()
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
        assert_eq!(e.flag, "--video-format");
    }

    #[test]
    fn bad_values_name_their_flag() {
        let size = ["--video-width", "64", "--video-height", "48"];
        let with = |extra: &[&'static str]| {
            let mut a = size.to_vec();
            a.extend_from_slice(extra);
            plan(&a).unwrap_err().flag
        };
        assert_eq!(with(&["--video-fps", "0"]), "--video-fps");
        assert_eq!(with(&["--video-duration=-1"]), "--video-duration");
        assert_eq!(
            plan(&["--video-width", "63", "--video-height", "48"])
                .unwrap_err()
                .flag,
            "--video-width"
        );
        assert_eq!(
            plan(&["--video-width", "64"]).unwrap_err().flag,
            "--video-height"
        );
        assert_eq!(
            plan(&["--video-fps", "8"]).unwrap_err().flag,
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
