//! The helper's one-job protocol and its server side (run by `gauntlet-ffmpeg`).

use std::io::{Read, Write};

use super::{AttachError, EntryMedia};
use crate::config::{MediaPlan, VideoPlan};
use crate::dataset::Workload;
use crate::rng::RngRoot;

/// What the helper is asked to do.
// One job per process: the size of the enum does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub enum Job {
    /// Make the media of `workload` (its entries' session links; prompts are not sent) from
    /// `seed`, exactly as an in-process run would.
    Attach {
        /// Images and audio.
        media: MediaPlan,
        /// Videos.
        video: Option<VideoPlan>,
        /// The run's seed.
        seed: u64,
        /// The entries, for which are session roots.
        workload: Workload,
    },
    /// List FFmpeg's version and the encoders gauntlet knows.
    Codecs,
}

/// What the helper answers.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    /// Media parts for every entry, in order (empty for non-roots).
    Media(EntryMedia),
    /// The codec listing, ready to print.
    Codecs(String),
    /// The job failed; the one-line reason.
    Error(String),
}

impl Reply {
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Reply::Media(_) => "media",
            Reply::Codecs(_) => "a codec list",
            Reply::Error(_) => "an error",
        }
    }
}

/// Runs one job in this process (which must have called [`super::use_in_process`]).
fn handle(job: Job) -> Reply {
    match job {
        Job::Attach {
            media,
            video,
            seed,
            mut workload,
        } => {
            let root = RngRoot::new(seed);
            let made: Result<(), AttachError> =
                super::attach_media(&media, video.as_ref(), &mut workload, &root);
            match made {
                Ok(()) => Reply::Media(workload.entries.into_iter().map(|e| e.media).collect()),
                Err(e) => Reply::Error(e.to_string()),
            }
        }
        Job::Codecs => match super::codecs_report() {
            Ok(text) => Reply::Codecs(text),
            Err(e) => Reply::Error(e.to_string()),
        },
    }
}

/// The helper's main loop: one job from `input`, one reply to `output`.
pub fn serve(input: &mut dyn Read, output: &mut dyn Write) -> std::io::Result<()> {
    super::use_in_process();
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let reply = match serde_json::from_slice::<Job>(&bytes) {
        Ok(job) => handle(job),
        Err(e) => Reply::Error(format!("the helper could not read its job: {e}")),
    };
    serde_json::to_writer(&mut *output, &reply).map_err(std::io::Error::other)?;
    output.flush()
}
