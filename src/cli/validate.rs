//! `gauntlet config validate FILE`: the same load pipeline as `profile`, without the network
//! or the tokenizer; prints the resolved plan, or every problem with its file, line and key.

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
    /// JSON (for a sweep: the first variation's, and every variation on stderr, one line
    /// each); exit 2 with every error (file:line: key: message) when it is invalid.
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
    let loaded = match super::file_sweep::load(&profile, &cli_command) {
        Ok(super::file_sweep::ConfigLoad::Sweep(sweep)) => Ok(*sweep),
        Ok(_) => return validate_single(*profile, cli_command, &name),
        Err(e) => Err(e),
    };
    match loaded {
        Ok(sweep) => {
            let Some(first) = sweep.variations.first() else {
                anyhow::bail!("{name}: the sweep has no variations");
            };
            print_stdout(&serde_json::to_string_pretty(&first.plan)?)?;
            let kind = match sweep.kind {
                crate::config::SweepKind::Grid => "grid",
                crate::config::SweepKind::Zip => "zip",
            };
            let n = sweep.variations.len();
            eprintln!("sweep ({kind}) of {n} variations (the plan above is variation 1):");
            for (i, v) in sweep.variations.iter().enumerate() {
                eprintln!(
                    "  {}: {} -> {}",
                    i + 1,
                    v.label,
                    v.plan.artifact_dir.display()
                );
            }
            for note in &sweep.unsupported {
                eprintln!("note: {note} (valid, but `profile` refuses it)");
            }
            eprintln!("{name}: valid");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => report_errors(e, &name),
    }
}

/// A file without a sweep: its one plan.
fn validate_single(
    profile: ProfileArgs,
    cli_command: String,
    name: &str,
) -> anyhow::Result<ExitCode> {
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
        Err(e) => report_errors(e, name),
    }
}

/// Every config error on its own line, exit 2; a flag error is the caller's.
fn report_errors(error: ProfileError, name: &str) -> anyhow::Result<ExitCode> {
    match error {
        ProfileError::Config(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            let n = errors.0.len();
            eprintln!("{name}: {n} error{}", if n == 1 { "" } else { "s" });
            Ok(ExitCode::from(2))
        }
        ProfileError::Flag(e) => Err(e.into()),
    }
}

/// Writes to stdout; a closed pipe (`… | head`) is not an error (`cli::main` says so).
fn print_stdout(text: &str) -> anyhow::Result<()> {
    Ok(super::stdout::print(&format!("{text}\n"))?)
}
