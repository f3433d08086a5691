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

mod client;
mod protocol;

use std::sync::OnceLock;

pub use client::{helper_path, HELPER_ENV, HELPER_NAME};
pub use protocol::{serve, Job, Reply};

use crate::config::{AudioFormat, MediaPlan, VideoPlan};
use crate::dataset::Workload;
use crate::media::audio::AudioClip;
use crate::media::{MediaError, MediaPart};
use crate::rng::RngRoot;
use crate::video::VideoError;

/// The FFmpeg-backed functions, when this process links FFmpeg.
struct InProcess {
    mp3_check: fn() -> Result<(), MediaError>,
    mp3_encode: fn(&AudioClip) -> Result<Vec<u8>, MediaError>,
    video_attach: fn(&VideoPlan, &mut Workload, &RngRoot) -> Result<(), VideoError>,
    codecs_report: fn() -> String,
}

static IN_PROCESS: OnceLock<InProcess> = OnceLock::new();

/// Runs FFmpeg work in this process from now on. Only programs that call this link FFmpeg.
pub fn use_in_process() {
    IN_PROCESS.get_or_init(|| InProcess {
        mp3_check: crate::media::mp3::check_available,
        mp3_encode: crate::media::mp3::encode,
        video_attach: crate::video::attach,
        codecs_report: || {
            crate::cli::media_codecs::render(
                &crate::cli::media_codecs::ffmpeg_line(),
                &crate::cli::media_codecs::codec_statuses(),
            )
        },
    });
}

fn in_process() -> Option<&'static InProcess> {
    IN_PROCESS.get()
}

fn not_here() -> MediaError {
    MediaError::Audio(
        "MP3 encoding runs in the gauntlet-ffmpeg helper (or after media_helper::use_in_process())"
            .into(),
    )
}

/// Checks that MP3 can be encoded (in process only; the helper checks its own).
pub(crate) fn mp3_check() -> Result<(), MediaError> {
    in_process().map_or(Err(not_here()), |p| (p.mp3_check)())
}

/// Encodes one clip as MP3 (in process only).
pub(crate) fn mp3_encode(clip: &AudioClip) -> Result<Vec<u8>, MediaError> {
    in_process().map_or(Err(not_here()), |p| (p.mp3_encode)(clip))
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

/// Adds the run's images, audio and videos to `workload`: in this process when no FFmpeg is
/// needed or it is linked here, else through the helper.
pub fn attach_media(
    media: &MediaPlan,
    video: Option<&VideoPlan>,
    workload: &mut Workload,
    root: &RngRoot,
) -> Result<(), AttachError> {
    if !needs_ffmpeg(media, video) {
        return Ok(crate::media::attach(media, workload, root)?);
    }
    if let Some(p) = in_process() {
        crate::media::attach(media, workload, root)?;
        if let Some(video) = video {
            (p.video_attach)(video, workload, root)?;
        }
        return Ok(());
    }
    // The helper only needs each entry's place in its session (media go to roots).
    let skeleton = Workload {
        entries: workload
            .entries
            .iter()
            .map(|e| crate::dataset::WorkloadEntry {
                session_id: String::new(),
                prompt: String::new(),
                turn: e.turn.clone(),
                media: Vec::new(),
                ..*e
            })
            .collect(),
        sessions: workload.sessions.clone(),
    };
    let job = Job::Attach {
        media: media.clone(),
        video: video.cloned(),
        seed: root.seed(),
        workload: skeleton,
    };
    match client::run(&job)? {
        Reply::Media(parts) if parts.len() == workload.entries.len() => {
            for (entry, parts) in workload.entries.iter_mut().zip(parts) {
                entry.media.extend(parts);
            }
            Ok(())
        }
        other => Err(VideoError::Helper(format!(
            "the {HELPER_NAME} helper answered with {} instead of media for {} entries",
            other.kind(),
            workload.entries.len()
        ))
        .into()),
    }
}

/// `gauntlet media codecs`' listing: FFmpeg's version and every encoder, available or not.
pub fn codecs_report() -> Result<String, VideoError> {
    if let Some(p) = in_process() {
        return Ok((p.codecs_report)());
    }
    match client::run(&Job::Codecs)? {
        Reply::Codecs(text) => Ok(text),
        other => Err(VideoError::Helper(format!(
            "the {HELPER_NAME} helper answered with {} instead of the codec list",
            other.kind()
        ))),
    }
}

/// Media parts per entry, as the helper sends them back.
pub type EntryMedia = Vec<Vec<MediaPart>>;
