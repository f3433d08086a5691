//! Command-line definitions that turn flags into a `config::Plan`.
//!
//! clap parses raw flags here; everything below this module sees only the resolved `Plan`.

pub mod mock_server;
pub mod profile;
mod resolve;
pub mod validate;
mod values;

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
    /// Benchmark a server: build the workload, send it on schedule, measure, report.
    #[command(after_help = PROFILE_EXAMPLES)]
    Profile(Box<profile::ProfileArgs>),
    /// Run the built-in OpenAI-compatible mock server.
    MockServer(mock_server::MockServerArgs),
    /// Work with AIPerf YAML v2 config files (`config validate FILE`).
    Config(validate::ConfigArgs),
}

const PROFILE_EXAMPLES: &str = "\
Examples:
  # closed loop: 64 in flight, 10,000 streaming chat requests of 100 → 16 tokens
  gauntlet profile -m my-model -u http://127.0.0.1:8000 --streaming \\
      --isl 100 --osl 16 --concurrency 64 --request-count 10000

  # open loop: Poisson arrivals at 20 requests/s for two minutes, after a warmup
  gauntlet profile -m my-model --streaming --request-rate 20 --benchmark-duration 120 \\
      --warmup-request-count 50 --isl 1000 --isl-stddev 200 --osl 200

  # an AIPerf YAML v2 file; flags given beside it override it
  gauntlet profile --config workload.yaml --url http://10.0.0.5:8000

Artifacts (AIPerf's layout) go to --output-artifact-dir; see docs/profile.md.";

/// Entry point of the binary: parses, runs, prints the error chain, returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Profile(args) => run_profile(*args),
        Command::MockServer(args) => mock_server::run(args),
        Command::Config(args) => validate::run(args, redacted_command_line(std::env::args())),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run_profile(args: profile::ProfileArgs) -> anyhow::Result<ExitCode> {
    let plan = args.into_plan(redacted_command_line(std::env::args()))?;
    let outcome = crate::run::run(&plan)?;
    Ok(ExitCode::from(outcome.exit_code))
}

/// The command line with the values of secret-bearing flags replaced.
pub fn redacted_command_line(args: impl IntoIterator<Item = String>) -> String {
    const SECRET_FLAGS: [&str; 3] = ["--api-key", "--header", "-H"];
    let mut out = Vec::new();
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            out.push("<redacted>".to_string());
            hide_next = false;
            continue;
        }
        match SECRET_FLAGS.iter().find(|f| arg.starts_with(*f)) {
            Some(flag) if arg.len() == flag.len() => {
                out.push(arg);
                hide_next = true;
            }
            Some(flag) => out.push(format!("{flag}=<redacted>")),
            None => out.push(shell_quote(&arg)),
        }
    }
    out.join(" ")
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
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

    #[test]
    fn command_line_hides_secrets() {
        let line = redacted_command_line(
            [
                "gauntlet",
                "profile",
                "--api-key",
                "sk-1",
                "-H",
                "X-Key: s2",
                "--header=A: s3",
                "--model",
                "a b",
            ]
            .map(String::from),
        );
        assert!(
            !line.contains("sk-1") && !line.contains("s2") && !line.contains("s3"),
            "{line}"
        );
        assert!(line.contains("--model 'a b'"), "{line}");
    }
}
