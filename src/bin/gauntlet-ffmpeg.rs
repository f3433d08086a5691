//! `gauntlet-ffmpeg`: the helper that does gauntlet's FFmpeg work (videos, MP3 clips, the
//! codec list), so the `gauntlet` binary itself starts without loading FFmpeg. It reads one
//! job on stdin and writes one reply on stdout; see `gauntlet::media_helper`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let (mut stdin, mut stdout) = (std::io::stdin().lock(), std::io::stdout().lock());
    match gauntlet::media_helper::serve(&mut stdin, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gauntlet-ffmpeg: {e}");
            ExitCode::FAILURE
        }
    }
}
