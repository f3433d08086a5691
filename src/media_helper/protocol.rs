//! The helper's one-job protocol and its server side (run by `gauntlet-ffmpeg`).

use std::io::{Read, Write};

use super::EntryMedia;
use crate::config::{MediaPlan, VideoPlan};
use crate::rng::RngRoot;
use crate::video::codecs::CodecReport;

/// What the helper is asked to do.
// One job per process: the size of the enum does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub enum Job {
    /// Make the media of the session roots at `roots` among `entries` entries from `seed`,
    /// exactly as an in-process run would.
    Attach {
        /// Images and audio.
        media: MediaPlan,
        /// Videos.
        video: Option<VideoPlan>,
        /// The run's seed.
        seed: u64,
        /// How many entries the reply lists (the roots' indices are below it).
        entries: usize,
        /// The entry indices of the session roots, in order.
        roots: Vec<usize>,
    },
    /// List FFmpeg's version and the encoders gauntlet knows.
    Codecs,
}

/// What the helper answers.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    /// Media parts for every entry, in order (empty for non-roots).
    Media(EntryMedia),
    /// What the codec listing shows (`report::media_codecs` prints it).
    Codecs(CodecReport),
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
            entries,
            roots,
        } => {
            if let Some(bad) = roots.iter().find(|&&entry| entry >= entries) {
                return Reply::Error(format!(
                    "root entry {bad} is beyond the job's {entries} entries"
                ));
            }
            let root = RngRoot::new(seed);
            match super::ffmpeg().media_parts(&media, video.as_ref(), &roots, &root) {
                Ok(parts) => {
                    let mut per_entry = vec![Vec::new(); entries];
                    for (&entry, parts) in roots.iter().zip(parts) {
                        per_entry[entry] = parts;
                    }
                    Reply::Media(per_entry)
                }
                Err(e) => Reply::Error(e.to_string()),
            }
        }
        Job::Codecs => match super::ffmpeg().codecs() {
            Ok(codecs) => Reply::Codecs(codecs),
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
