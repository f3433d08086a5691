//! FFmpeg work done in this process, for programs that link FFmpeg anyway: the helper itself,
//! tests, benches, embedders.

use super::{AttachError, Ffmpeg};
use crate::config::{MediaPlan, VideoPlan};
use crate::media::MediaPart;
use crate::rng::RngRoot;
use crate::video::codecs::CodecReport;
use crate::video::VideoError;

/// Calls media and video directly. A program that references it links FFmpeg, so the
/// `gauntlet` binary reaches it only through [`super::use_in_process`], which it never calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct InProcess;

impl Ffmpeg for InProcess {
    fn media_parts(
        &self,
        media: &MediaPlan,
        video: Option<&VideoPlan>,
        roots: &[usize],
        root: &RngRoot,
    ) -> Result<Vec<Vec<MediaPart>>, AttachError> {
        let mut parts = crate::media::parts(media, roots, root, &crate::media::mp3::Libmp3lame)?;
        if let Some(video) = video {
            let videos = crate::video::parts(video, roots.len(), root)?;
            for (parts, videos) in parts.iter_mut().zip(videos) {
                parts.extend(videos);
            }
        }
        Ok(parts)
    }

    fn codecs(&self) -> Result<CodecReport, VideoError> {
        Ok(CodecReport::gather())
    }
}
