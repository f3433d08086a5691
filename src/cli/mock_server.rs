//! `gauntlet mock-server`: flags for the built-in mock server.

use std::process::ExitCode;

/// Flags of `gauntlet mock-server`.
#[derive(Debug, clap::Args)]
pub struct MockServerArgs {}

/// Runs the mock server until Ctrl-C.
pub fn run(_args: MockServerArgs) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
