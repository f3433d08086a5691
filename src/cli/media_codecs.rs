//! `gauntlet media codecs`: what this machine can make, before a run needs it. The probing is
//! `video::codecs` (run in the helper process), the table `report::media_codecs`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `gauntlet media …`.
#[derive(Debug, Args)]
pub struct MediaArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: MediaCommand,
}

/// The `media` subcommands.
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// List the video codecs, the MP3 encoder and the image formats available on this machine.
    Codecs,
}

/// Runs `gauntlet media …`; listing always exits 0 (a missing codec is information here).
pub fn run(args: MediaArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        MediaCommand::Codecs => {
            // FFmpeg is asked through the helper, so this binary never loads it.
            let codecs = crate::media_helper::ffmpeg().codecs()?;
            super::stdout::print(&crate::report::media_codecs::render_report(&codecs))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
