//! Synthetic video (`--video-*`, AIPerf's names), resolved into the plan's `VideoPlan`.

use super::resolve::origin;
use super::{Opt, SettingError};
use crate::config::{
    SynthType, VideoCodec, VideoContainer, VideoPlan, DEFAULT_DURATION_S, DEFAULT_FPS,
    DEFAULT_MEDIA_BATCH,
};

const MAX_SIDE: u32 = 8192;
const MAX_FRAMES: f64 = 100_000.0;

/// Video settings (docs/video.md): flags over a file's `dataset.video`. Videos are made when
/// both a width and a height are given, as in AIPerf.
#[derive(Debug, Clone, Default)]
pub struct VideoSettings {
    /// `--video-width` or `video.width`.
    pub video_width: Opt<u32>,
    /// `--video-height` or `video.height`.
    pub video_height: Opt<u32>,
    /// `--video-fps` or `video.fps`.
    pub video_fps: Opt<u32>,
    /// `--video-duration` or `video.duration`, seconds.
    pub video_duration: Opt<f64>,
    /// `--video-synth-type` or `video.synth_type`.
    pub video_synth_type: Opt<SynthType>,
    /// `--video-codec` or `video.codec`.
    pub video_codec: Opt<VideoCodec>,
    /// `--video-format` or `video.format`.
    pub video_format: Opt<VideoContainer>,
    /// `--video-batch-size` or `video.batch_size`.
    pub video_batch_size: Opt<u32>,
    /// `--video-gpu-synthesis` (flag only).
    pub video_gpu_synthesis: bool,
}

impl VideoSettings {
    /// These settings (the flags) over the file's `dataset.video`: a flag given wins.
    pub fn over(self, file: VideoSettings) -> VideoSettings {
        VideoSettings {
            video_width: self.video_width.or(file.video_width),
            video_height: self.video_height.or(file.video_height),
            video_fps: self.video_fps.or(file.video_fps),
            video_duration: self.video_duration.or(file.video_duration),
            video_synth_type: self.video_synth_type.or(file.video_synth_type),
            video_codec: self.video_codec.or(file.video_codec),
            video_format: self.video_format.or(file.video_format),
            video_batch_size: self.video_batch_size.or(file.video_batch_size),
            video_gpu_synthesis: self.video_gpu_synthesis || file.video_gpu_synthesis,
        }
    }

    /// The video plan, or `None` when no video was asked for. Errors name the flag or the
    /// file key that gave the value.
    pub fn video_plan(&self) -> Result<Option<VideoPlan>, SettingError> {
        let width_from = origin(&self.video_width, "--video-width");
        let height_from = origin(&self.video_height, "--video-height");
        let (width, height) = match (&self.video_width, &self.video_height) {
            (Some(w), Some(h)) => (side(&w.from, w.value)?, side(&h.from, h.value)?),
            (None, None) => match self.first_other_given() {
                None => return Ok(None),
                Some(from) => {
                    // A flag alone names --video-width (the one to add); a file key names itself.
                    let from = match from {
                        super::Origin::Flag(_) => super::Origin::Flag("--video-width"),
                        key => key,
                    };
                    return Err(SettingError::new(
                        &from,
                        "video settings were given without a size: give a width and a height \
                         (--video-width and --video-height, or video.width and video.height)",
                    ));
                }
            },
            (Some(_), None) => {
                return Err(SettingError::new(
                    &height_from,
                    format!("needed with {}", width_from.name()),
                ))
            }
            (None, Some(_)) => {
                return Err(SettingError::new(
                    &width_from,
                    format!("needed with {}", height_from.name()),
                ))
            }
        };
        let fps = self.video_fps.as_ref().map_or(DEFAULT_FPS, |g| g.value);
        if !(1..=240).contains(&fps) {
            return Err(SettingError::new(
                &origin(&self.video_fps, "--video-fps"),
                format!("must be 1 to 240, got {fps}"),
            ));
        }
        let duration_s = self
            .video_duration
            .as_ref()
            .map_or(DEFAULT_DURATION_S, |g| g.value);
        if !(duration_s.is_finite() && duration_s > 0.0) || duration_s * f64::from(fps) > MAX_FRAMES
        {
            return Err(SettingError::new(
                &origin(&self.video_duration, "--video-duration"),
                format!("must be > 0 seconds and at most {MAX_FRAMES} frames at {fps} frames/s, got {duration_s}"),
            ));
        }
        let codec = self
            .video_codec
            .as_ref()
            .map_or(VideoCodec::Vp9, |g| g.value);
        let container = match self.video_format.as_ref().map(|g| g.value) {
            Some(VideoContainer::Webm) if !codec.fits_webm() => {
                return Err(SettingError::new(
                    &origin(&self.video_format, "--video-format"),
                    format!(
                        "WebM holds VP9, not {}: use the mp4 format or the libvpx-vp9 codec",
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
            synth: self
                .video_synth_type
                .as_ref()
                .map_or(SynthType::MovingShapes, |g| g.value),
            codec,
            container,
            batch_size: self
                .video_batch_size
                .as_ref()
                .map_or(DEFAULT_MEDIA_BATCH, |g| g.value),
            gpu_synthesis: self.video_gpu_synthesis,
        }))
    }

    /// Where the first video setting other than the size came from, if any was given.
    fn first_other_given(&self) -> Option<super::Origin> {
        let from = |o: Option<&super::Origin>| o.cloned();
        from(self.video_fps.as_ref().map(|g| &g.from))
            .or_else(|| from(self.video_duration.as_ref().map(|g| &g.from)))
            .or_else(|| from(self.video_synth_type.as_ref().map(|g| &g.from)))
            .or_else(|| from(self.video_codec.as_ref().map(|g| &g.from)))
            .or_else(|| from(self.video_format.as_ref().map(|g| &g.from)))
            .or_else(|| from(self.video_batch_size.as_ref().map(|g| &g.from)))
            .or_else(|| {
                self.video_gpu_synthesis
                    .then_some(super::Origin::Flag("--video-gpu-synthesis"))
            })
    }
}

fn side(from: &super::Origin, value: u32) -> Result<u32, SettingError> {
    if !(16..=MAX_SIDE).contains(&value) || !value.is_multiple_of(2) {
        return Err(SettingError::new(
            from,
            format!(
                "must be an even number of pixels from 16 to {MAX_SIDE} (4:2:0 video), got {value}"
            ),
        ));
    }
    Ok(value)
}
