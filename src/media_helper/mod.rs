//! FFmpeg work (videos, MP3 clips, the codec list) runs in the `gauntlet-ffmpeg` helper
//! process, so the `gauntlet` binary does not link FFmpeg. FFmpeg's shared libraries and their
//! dependencies (~130 of them on Debian) cost ~45 ms of CPU and ~50 ms of wall time to load
//! and relocate at every start, more than the whole start-up budget of a run that sends no
//! video; now only the runs that need them pay, once, in the helper.
//!
//! The helper reads one [`Job`] as JSON on stdin and writes one [`Reply`] on stdout. It runs
//! the same functions as an in-process call, so its output is byte-identical. Programs that
//! link FFmpeg anyway (the helper itself, tests, benches, embedders) call [`use_in_process`]
//! and skip the process.
//!
//! Both ways are an [`Ffmpeg`]: [`InProcess`] calls media and video directly, [`HelperProcess`]
//! sends a job to the helper. [`ffmpeg`] picks one for `run` and `cli` to hand in. Only a
//! program that names [`InProcess`] or calls [`use_in_process`] links FFmpeg; the `gauntlet`
//! binary does neither.

mod client;
mod in_process;
mod protocol;

use std::sync::OnceLock;

pub use client::{helper_path, HelperProcess, HELPER_ENV, HELPER_NAME};
pub use in_process::InProcess;
pub use protocol::{serve, Job, Reply};

use crate::config::{AudioFormat, MediaPlan, VideoPlan};
use crate::media::{MediaError, MediaPart};
use crate::rng::RngRoot;
use crate::video::codecs::CodecReport;
use crate::video::VideoError;

/// FFmpeg's work for a run: the media of the session roots and the codec listing, done in this
/// process or in the helper.
pub trait Ffmpeg: Sync {
    /// The images, audio clips and videos of each session root, in the order of `roots` (the
    /// roots' entry indices): images, then audio, then videos. Entry `i`'s images and audio
    /// draw from the streams `("image", i)` and `("audio", i)`; video `k` (counting across
    /// roots) from `("video", k)`.
    fn media_parts(
        &self,
        media: &MediaPlan,
        video: Option<&VideoPlan>,
        roots: &[usize],
        root: &RngRoot,
    ) -> Result<Vec<Vec<MediaPart>>, AttachError>;

    /// What `gauntlet media codecs` lists: FFmpeg's version and every encoder, available or
    /// not.
    fn codecs(&self) -> Result<CodecReport, VideoError>;
}

static IN_PROCESS: OnceLock<&'static dyn Ffmpeg> = OnceLock::new();

/// Runs FFmpeg work in this process from now on. Only programs that call this link FFmpeg.
pub fn use_in_process() {
    IN_PROCESS.get_or_init(|| &InProcess);
}

/// The FFmpeg work of this process: [`InProcess`] after [`use_in_process`], else the helper.
pub fn ffmpeg() -> &'static dyn Ffmpeg {
    IN_PROCESS.get().copied().unwrap_or(&HelperProcess)
}

/// Why media could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// Images or audio.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// Videos, or the helper that makes them.
    #[error(transparent)]
    Video(#[from] VideoError),
}

/// Whether making `media` and `video` needs FFmpeg.
pub fn needs_ffmpeg(media: &MediaPlan, video: Option<&VideoPlan>) -> bool {
    video.is_some()
        || media
            .audio
            .as_ref()
            .is_some_and(|a| a.format == AudioFormat::Mp3)
}

/// Media parts per entry, as the helper sends them back.
pub type EntryMedia = Vec<Vec<MediaPart>>;

#[cfg(test)]
mod tests;
