//! Starting the helper and exchanging one job with it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{needs_ffmpeg, AttachError, Ffmpeg, Job, Reply};
use crate::config::{MediaPlan, VideoPlan};
use crate::media::audio::AudioClip;
use crate::media::{MediaError, MediaPart, Mp3Encoder};
use crate::rng::RngRoot;
use crate::video::codecs::CodecReport;
use crate::video::VideoError;

/// The helper's file name, next to the `gauntlet` binary.
pub const HELPER_NAME: &str = "gauntlet-ffmpeg";
/// Environment variable naming the helper binary, for installs that put it elsewhere.
pub const HELPER_ENV: &str = "GAUNTLET_FFMPEG_HELPER";

/// Where the helper is: `$GAUNTLET_FFMPEG_HELPER`, else beside this executable.
pub fn helper_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(HELPER_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    // Test binaries live in target/*/deps; the helper in target/*.
    let dir = exe.parent()?;
    [dir.join(HELPER_NAME), dir.parent()?.join(HELPER_NAME)]
        .into_iter()
        .find(|p| p.is_file())
}

/// Sends `job` to a fresh helper process and returns its reply; a failed job is an error
/// carrying the helper's own line.
fn run(job: &Job) -> Result<Reply, VideoError> {
    let path = helper_path().ok_or_else(|| {
        VideoError::Helper(format!(
            "video, MP3 and codec listing need the {HELPER_NAME} helper beside the gauntlet \
             binary (or at ${HELPER_ENV}); build it with `cargo build --release --bins`"
        ))
    })?;
    let fail = |what: String| {
        VideoError::Helper(format!(
            "the {HELPER_NAME} helper ({}): {what}",
            path.display()
        ))
    };
    let mut child = Command::new(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| fail(format!("cannot start: {e}")))?;
    let input = serde_json::to_vec(job).map_err(|e| fail(e.to_string()))?;
    let mut stdin = child.stdin.take().ok_or_else(|| fail("no stdin".into()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| fail("no stdout".into()))?;
    // Write from a thread: a large job and a large reply would otherwise block each other.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    // The reply (every video of the run, in base64) is parsed as it arrives, so it is never
    // held twice: once as the helper's bytes and again as the parsed media.
    let reply =
        serde_json::from_reader::<_, Reply>(std::io::BufReader::with_capacity(1 << 20, stdout));
    let status = child
        .wait()
        .map_err(|e| fail(format!("did not finish: {e}")))?;
    writer
        .join()
        .map_err(|_| fail("writer thread panicked".into()))?
        .map_err(|e| fail(format!("cannot send the job: {e}")))?;
    if !status.success() {
        return Err(fail(format!("exited with {status}")));
    }
    match reply {
        Ok(Reply::Error(line)) => Err(VideoError::Helper(line)),
        Ok(reply) => Ok(reply),
        Err(e) => Err(fail(format!("unreadable reply: {e}"))),
    }
}

/// Sends FFmpeg work to a fresh `gauntlet-ffmpeg` process; what needs no FFmpeg (images, WAV
/// clips) is made here.
#[derive(Debug, Clone, Copy, Default)]
pub struct HelperProcess;

impl Ffmpeg for HelperProcess {
    fn media_parts(
        &self,
        media: &MediaPlan,
        video: Option<&VideoPlan>,
        roots: &[usize],
        root: &RngRoot,
    ) -> Result<Vec<Vec<MediaPart>>, AttachError> {
        if !needs_ffmpeg(media, video) {
            return Ok(crate::media::parts(media, roots, root, &Mp3InHelper)?);
        }
        // The helper only needs the roots' places among the entries (media go to roots).
        let entries = roots.iter().max().map_or(0, |&last| last + 1);
        let job = Job::Attach {
            media: media.clone(),
            video: video.cloned(),
            seed: root.seed(),
            entries,
            roots: roots.to_vec(),
        };
        match run(&job)? {
            Reply::Media(mut parts) if parts.len() == entries => Ok(roots
                .iter()
                .map(|&entry| std::mem::take(&mut parts[entry]))
                .collect()),
            other => Err(VideoError::Helper(format!(
                "the {HELPER_NAME} helper answered with {} instead of media for {entries} entries",
                other.kind(),
            ))
            .into()),
        }
    }

    fn codecs(&self) -> Result<CodecReport, VideoError> {
        match run(&Job::Codecs)? {
            Reply::Codecs(codecs) => Ok(codecs),
            other => Err(VideoError::Helper(format!(
                "the {HELPER_NAME} helper answered with {} instead of the codec list",
                other.kind()
            ))),
        }
    }
}

/// MP3 in a process without FFmpeg: clips are encoded in the helper, so asking here is an error.
struct Mp3InHelper;

impl Mp3InHelper {
    fn not_here() -> MediaError {
        MediaError::Audio(
            "MP3 encoding runs in the gauntlet-ffmpeg helper (or after media_helper::use_in_process())"
                .into(),
        )
    }
}

impl Mp3Encoder for Mp3InHelper {
    fn check(&self) -> Result<(), MediaError> {
        Err(Self::not_here())
    }

    fn encode(&self, _clip: &AudioClip) -> Result<Vec<u8>, MediaError> {
        Err(Self::not_here())
    }
}
