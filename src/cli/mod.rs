//! Command-line definitions that turn flags into a `config::Plan`.
//!
//! clap parses raw flags here; everything below this module sees only the resolved `Plan`.

pub mod mock_server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// gauntlet: benchmark OpenAI-compatible LLM inference servers at a precise schedule.
#[derive(Debug, Parser)]
#[command(name = "gauntlet", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the built-in OpenAI-compatible mock server.
    MockServer(mock_server::MockServerArgs),
}

/// Entry point of the binary: parses, runs, prints the error chain, returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::MockServer(args) => mock_server::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
