//! Synthetic video (`--video-*`, AIPerf's names), resolved into the plan's `VideoPlan`.

use super::SettingError;
use crate::config::{
    SynthType, VideoCodec, VideoContainer, VideoPlan, DEFAULT_DURATION_S, DEFAULT_FPS,
    DEFAULT_MEDIA_BATCH,
};

const MAX_SIDE: u32 = 8192;
const MAX_FRAMES: f64 = 100_000.0;

/// Video settings (docs/video.md), from flags only. Videos are made when both a width and a
/// height are given, as in AIPerf.
#[derive(Debug, Clone, Default)]
pub struct VideoSettings {
    /// `--video-width`.
    pub video_width: Option<u32>,
    /// `--video-height`.
    pub video_height: Option<u32>,
    /// `--video-fps`.
    pub video_fps: Option<u32>,
    /// `--video-duration`, seconds.
    pub video_duration: Option<f64>,
    /// `--video-synth-type`.
    pub video_synth_type: Option<SynthType>,
    /// `--video-codec`.
    pub video_codec: Option<VideoCodec>,
    /// `--video-format`.
    pub video_format: Option<VideoContainer>,
    /// `--video-batch-size`.
    pub video_batch_size: Option<u32>,
    /// `--video-gpu-synthesis`.
    pub video_gpu_synthesis: bool,
}

impl VideoSettings {
    /// The video plan, or `None` when no video was asked for. Errors name the flag.
    pub fn video_plan(&self) -> Result<Option<VideoPlan>, SettingError> {
        let (width, height) =
            match (self.video_width, self.video_height) {
                (Some(w), Some(h)) => (side("--video-width", w)?, side("--video-height", h)?),
                (None, None) if !self.any_other_given() => return Ok(None),
                (None, None) => return Err(SettingError::flag(
                    "--video-width",
                    "video flags were given without a size: pass --video-width and --video-height",
                )),
                (Some(_), None) => {
                    return Err(SettingError::flag(
                        "--video-height",
                        "needed with --video-width",
                    ))
                }
                (None, Some(_)) => {
                    return Err(SettingError::flag(
                        "--video-width",
                        "needed with --video-height",
                    ))
                }
            };
        let fps = self.video_fps.unwrap_or(DEFAULT_FPS);
        if !(1..=240).contains(&fps) {
            return Err(SettingError::flag(
                "--video-fps",
                format!("must be 1 to 240, got {fps}"),
            ));
        }
        let duration_s = self.video_duration.unwrap_or(DEFAULT_DURATION_S);
        if !(duration_s.is_finite() && duration_s > 0.0) || duration_s * f64::from(fps) > MAX_FRAMES
        {
            return Err(SettingError::flag(
                "--video-duration",
                format!("must be > 0 seconds and at most {MAX_FRAMES} frames at --video-fps, got {duration_s}"),
            ));
        }
        let codec = self.video_codec.unwrap_or(VideoCodec::Vp9);
        let container = match self.video_format {
            Some(VideoContainer::Webm) if !codec.fits_webm() => {
                return Err(SettingError::flag(
                    "--video-format",
                    format!(
                    "WebM holds VP9, not {}: pass --video-format mp4 or --video-codec libvpx-vp9",
                    codec.ffmpeg_name()
                ),
                ))
            }
            Some(VideoContainer::Webm) => VideoContainer::Webm,
            Some(VideoContainer::Mp4) => VideoContainer::Mp4,
            None if codec.fits_webm() => VideoContainer::Webm,
            None => VideoContainer::Mp4,
        };
        Ok(Some(VideoPlan {
            width,
            height,
            fps,
            duration_s,
            synth: self.video_synth_type.unwrap_or(SynthType::MovingShapes),
            codec,
            container,
            batch_size: self.video_batch_size.unwrap_or(DEFAULT_MEDIA_BATCH),
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

fn side(flag: &'static str, value: u32) -> Result<u32, SettingError> {
    if !(16..=MAX_SIDE).contains(&value) || value % 2 != 0 {
        return Err(SettingError::flag(
            flag,
            format!(
                "must be an even number of pixels from 16 to {MAX_SIDE} (4:2:0 video), got {value}"
            ),
        ));
    }
    Ok(value)
}
