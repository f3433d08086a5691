//! Starting the helper and exchanging one job with it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{Job, Reply};
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
pub(super) fn run(job: &Job) -> Result<Reply, VideoError> {
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
    // Write from a thread: a large job and a large reply would otherwise block each other.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .map_err(|e| fail(format!("did not finish: {e}")))?;
    writer
        .join()
        .map_err(|_| fail("writer thread panicked".into()))?
        .map_err(|e| fail(format!("cannot send the job: {e}")))?;
    if !output.status.success() {
        return Err(fail(format!("exited with {}", output.status)));
    }
    match serde_json::from_slice::<Reply>(&output.stdout) {
        Ok(Reply::Error(line)) => Err(VideoError::Helper(line)),
        Ok(reply) => Ok(reply),
        Err(e) => Err(fail(format!("unreadable reply: {e}"))),
    }
}
