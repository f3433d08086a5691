//! `gauntlet config validate FILE`: the same load pipeline as `profile`, without the network
//! or the tokenizer; prints the resolved plan, or every problem with its file, line and key.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::profile::{ProfileArgs, ProfileError};

/// `gauntlet config …`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do with a config file.
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// The `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a YAML v2 config file (plus any profile flags) and print the resolved plan as
    /// JSON; exit 2 with every error (file:line: key: message) when it is invalid.
    Validate(ValidateArgs),
}

/// Flags of `gauntlet config validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The config file.
    pub file: PathBuf,

    /// Profile flags, applied over the file exactly as `profile` would.
    #[command(flatten)]
    pub profile: Box<ProfileArgs>,
}

/// Runs `config …`; exit 0 when valid, 2 when not.
pub fn run(args: ConfigArgs, cli_command: String) -> anyhow::Result<ExitCode> {
    let ConfigCommand::Validate(args) = args.command;
    let mut profile = args.profile;
    if profile.config.is_some() {
        anyhow::bail!("--config: config validate takes the file as its argument; drop --config");
    }
    let name = args.file.display().to_string();
    profile.config = Some(args.file);
    match profile.load(cli_command) {
        Ok((plan, unsupported)) => {
            let json = serde_json::to_string_pretty(&plan)?;
            print_stdout(&json)?;
            for note in &unsupported {
                eprintln!("note: {note} (valid, but `profile` refuses it)");
            }
            eprintln!("{name}: valid");
            Ok(ExitCode::SUCCESS)
        }
        Err(ProfileError::Config(errors)) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            let n = errors.0.len();
            eprintln!("{name}: {n} error{}", if n == 1 { "" } else { "s" });
            Ok(ExitCode::from(2))
        }
        Err(ProfileError::Flag(e)) => Err(e.into()),
    }
}

/// Writes to stdout; a closed pipe (`… | head`) is not an error.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
