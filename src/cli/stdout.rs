//! A command's output on stdout. A reader that goes away (`gauntlet … | head -n 1`) is not a
//! failure: `main` exits 0 on a [`StdoutError`] whose pipe was closed. The error is tagged so
//! that other broken pipes (the FFmpeg helper's, say) stay errors.

use std::io::Write;

/// Writing a command's output to stdout failed.
#[derive(Debug, thiserror::Error)]
#[error("writing to stdout: {0}")]
pub struct StdoutError(#[source] pub std::io::Error);

impl StdoutError {
    /// Whether the reader went away (a closed pipe), which is not the command's failure.
    pub fn is_closed(&self) -> bool {
        self.0.kind() == std::io::ErrorKind::BrokenPipe
    }
}

/// Writes `text` to stdout, locked (so it is not interleaved) and flushed (so a failed write
/// is seen here, not lost at exit).
pub fn print(text: &str) -> Result<(), StdoutError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(StdoutError)
}
