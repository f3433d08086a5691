//! Command-line definitions that turn flags into a `config::Plan`.
//!
//! clap parses raw flags here; everything below this module sees only the resolved `Plan`.

pub mod calibrate;
pub mod comma_sweep;
pub mod compare;
pub mod connection_args;
pub mod dataset_args;
mod discover;
mod file_sweep;
pub mod flag_error;
pub mod media_args;
pub mod media_codecs;
pub mod merge;
pub mod mock_server;
pub mod model_args;
pub mod plot;
pub mod prefix_args;
pub mod profile;
pub mod public_args;
pub mod rankings_args;
mod resolve;
pub mod results_args;
pub mod scale_out_args;
pub mod schedule_args;
pub mod session_args;
mod shape_args;
pub mod speed_bench;
pub mod speed_bench_run;
pub mod stdout;
pub mod sweep_type;
pub mod telemetry_args;
pub mod trace;
pub mod validate;
pub mod video_args;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use stdout::StdoutError;

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
    #[command(after_help = profile_after_help())]
    Profile(Box<profile::ProfileArgs>),
    /// Run the built-in OpenAI-compatible mock server.
    MockServer(mock_server::MockServerArgs),
    /// Work with AIPerf YAML v2 config files (`config validate FILE`).
    Config(validate::ConfigArgs),
    /// Analyse a mooncake trace: lengths, prefix sharing, theoretical cache hit rate.
    AnalyzeTrace(trace::AnalyzeTraceArgs),
    /// Synthesize a new mooncake trace with the prefix structure of an existing one.
    Synthesize(trace::SynthesizeArgs),
    /// Measure the harness's own overhead here: clock cost, client-added TTFT, the highest
    /// open-loop rate held with p99 send lag under 100 µs.
    Calibrate(calibrate::CalibrateArgs),
    /// SPEED-Bench's per-category matrix (acceptance length/rate, throughput) from finished runs.
    SpeedBenchReport(speed_bench::SpeedBenchReportArgs),
    /// Synthetic media tools (`media codecs`: which encoders this machine has).
    Media(media_codecs::MediaArgs),
    /// Run every SPEED-Bench category (or --categories) into one folder each, then print the
    /// per-category acceptance matrix.
    SpeedBench(speed_bench_run::SpeedBenchArgs),
    /// Charts (PNG or SVG) and a self-contained report.html from finished runs' files.
    #[command(after_help = plot::AFTER_HELP)]
    Plot(plot::PlotArgs),
    /// Finished runs side by side, the first as the baseline: relative change, and with
    /// --num-profile-runs repeats whether each difference is beyond the noise.
    Compare(compare::CompareArgs),
    /// One run's exports from the folders of its workers (`profile --worker-count N`): counts,
    /// sums and percentiles exact from every request (from merged histograms, within 0.1 %, when the
    /// per-request JSONL is gone), throughput over the wall-clock span.
    Merge(merge::MergeArgs),
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

Artifacts (AIPerf's layout) go to --output-artifact-dir; see docs/profile.md.
";

/// `gauntlet profile --help`'s tail: the examples, then the exit codes (`run::exit`).
fn profile_after_help() -> String {
    format!("{PROFILE_EXAMPLES}\n{}", crate::run::exit::help_text())
}

/// A subcommand defined downstream of `cli` (`kube`), which the layer order keeps `cli` from
/// naming: the binary's `main` hands it in, and cli parses it beside its own subcommands, runs
/// it with its matches and reports its errors as its own.
pub struct Extension {
    /// The subcommand's clap definition (its name is the subcommand's).
    pub command: clap::Command,
    /// Runs the subcommand with its own matches.
    pub run: fn(&clap::ArgMatches) -> anyhow::Result<ExitCode>,
}

/// Entry point of the binary: parses, runs, prints the error chain, returns the exit code.
pub fn main(extensions: Vec<Extension>) -> ExitCode {
    raise_open_file_limit();
    let mut command = Cli::command();
    for extension in &extensions {
        command = command.subcommand(extension.command.clone());
    }
    let matches = command.get_matches_from(public_args::aiperf_spellings(std::env::args_os()));
    let picked = matches.subcommand().and_then(|(name, sub)| {
        extensions
            .iter()
            .find(|e| e.command.get_name() == name)
            .map(|e| (e.run, sub))
    });
    let result = match picked {
        Some((run, sub)) => run(sub),
        None => run_command(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())),
    };
    match result {
        Ok(code) => code,
        // `gauntlet … | head`: the reader went away, which is not the command's failure.
        Err(err) if stdout_closed(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", error_line(&err));
            ExitCode::from(crate::run::exit::BAD_INPUT)
        }
    }
}

/// Runs one of cli's own subcommands.
fn run_command(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Profile(args) => run_profile(*args),
        Command::MockServer(args) => mock_server::run(args),
        Command::AnalyzeTrace(args) => trace::run_analyze(args),
        Command::Synthesize(args) => trace::run_synthesize(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::SpeedBenchReport(args) => speed_bench::run(args),
        Command::Media(args) => media_codecs::run(args),
        Command::SpeedBench(args) => {
            speed_bench_run::run(args, redacted_command_line(std::env::args()))
        }
        Command::Config(args) => validate::run(args, redacted_command_line(std::env::args())),
        Command::Plot(args) => plot::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Merge(args) => merge::run(args),
    }
}

/// `err` and its causes on one line. Many errors already print their cause in their own
/// message (`{path}:{line}: {source}`), so a cause whose text is already there is not
/// repeated.
fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Whether `err` is a command's output meeting a closed stdout.
fn stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<StdoutError>()
            .is_some_and(StdoutError::is_closed)
    })
}

/// Raises the soft limit on open files to the hard limit. Every in-flight request holds a
/// socket (and a session's think time a timer), and many systems start processes with a soft
/// limit of 1,024: a run at concurrency 1,000 would fail its connects with "Too many open
/// files". Python harnesses and servers (vLLM) raise it the same way. A failure leaves the
/// limit as it was; a run that hits it reports the connect errors.
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    if limit.rlim_cur >= limit.rlim_max {
        return;
    }
    // An unlimited hard limit is refused above the kernel's per-process cap (fs.nr_open).
    let target = if limit.rlim_max == libc::RLIM_INFINITY {
        std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|v| v.trim().parse::<libc::rlim_t>().ok())
            .unwrap_or(limit.rlim_cur)
    } else {
        limit.rlim_max
    };
    let raised = libc::rlimit {
        rlim_cur: target.max(limit.rlim_cur),
        rlim_max: limit.rlim_max,
    };
    // SAFETY: a valid rlimit no higher than the hard limit.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) };
}

fn run_profile(mut args: profile::ProfileArgs) -> anyhow::Result<ExitCode> {
    let command_line = redacted_command_line(std::env::args());
    if let Some(ui) = args.ui_type {
        crate::run::live::set_ui(ui.into());
    }
    if let Some(model) = discover::model_if_missing(&args)? {
        args.model = vec![model];
    }
    let file = match file_sweep::load(&args, &command_line)? {
        file_sweep::ConfigLoad::Sweep(sweep) => {
            if !sweep.unsupported.is_empty() {
                return Err(crate::config::ConfigErrors(sweep.unsupported).into());
            }
            let repeat = repeat_settings(&args, Some(&sweep.settings))?;
            let outcome = crate::run::run_sweep(&sweep.variations, &sweep.summary_dir, repeat)?;
            return Ok(ExitCode::from(outcome.exit_code));
        }
        file_sweep::ConfigLoad::Single(settings) => Some(settings),
        file_sweep::ConfigLoad::None => None,
    };
    let repeat = repeat_settings(&args, file.as_deref())?;
    if comma_sweep::first_list(&args).is_some() {
        return run_comma_sweep(args, command_line, repeat);
    }
    let plan = args.into_plan(command_line)?;
    Ok(ExitCode::from(run_plan(&plan, repeat)?))
}

/// One plan, once or `--num-profile-runs` times; returns the exit code.
fn run_plan(plan: &crate::config::Plan, repeat: Option<crate::run::Repeat>) -> anyhow::Result<u8> {
    Ok(match repeat {
        None => crate::run::run(plan)?.exit_code,
        Some(r) => crate::run::run_repeated(plan, r)?.exit_code,
    })
}

/// `--num-profile-runs` and friends, each flag over the file's `benchmark.` key of the same
/// name, resolved by config.
fn repeat_settings(
    args: &profile::ProfileArgs,
    file: Option<&crate::config::FileSettings>,
) -> anyhow::Result<Option<crate::run::Repeat>> {
    use crate::config::settings::{flag, Settings};
    let file = file.map(Settings::from_file).unwrap_or_default();
    // Only the repeat flags: a comma list elsewhere is a sweep these settings apply to.
    let flags = Settings {
        num_profile_runs: flag("--num-profile-runs", args.num_profile_runs),
        confidence_level: flag("--confidence-level", args.confidence_level),
        cooldown_s: flag(
            "--profile-run-cooldown-seconds",
            args.profile_run_cooldown_seconds,
        ),
        ..Settings::default()
    };
    let r = flags.over(file).repeat()?;
    Ok((r.runs > 1).then_some(crate::run::Repeat {
        runs: r.runs,
        confidence: r.confidence,
        cooldown: r.cooldown,
    }))
}

/// Comma lists (`--concurrency 8,16,32`, `--isl 128,512`, …): one variation per combination
/// (`--sweep-type`), each into `<artifact dir>/<variation>/`, then the sweep summary.
fn run_comma_sweep(
    args: profile::ProfileArgs,
    command_line: String,
    repeat: Option<crate::run::Repeat>,
) -> anyhow::Result<ExitCode> {
    let mut variations =
        crate::run::Variations::new(args.output_artifact_dir.clone(), "openai-sweep");
    for (label, one) in comma_sweep::variations(&args)? {
        let plan = one.into_plan(command_line.clone())?;
        variations.push(label, plan);
    }
    let (variations, summary_dir) = variations.finish();
    let outcome = crate::run::run_sweep(&variations, &summary_dir, repeat)?;
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
            None => out.push(shell_quote(&crate::config::redact_userinfo(&arg))),
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

    #[test]
    fn error_line_does_not_repeat_a_cause_already_in_the_message() {
        #[derive(Debug, thiserror::Error)]
        #[error("inner reason")]
        struct Inner;
        #[derive(Debug, thiserror::Error)]
        #[error("f.jsonl:3: {source}")]
        struct Outer {
            source: Inner,
        }
        let err = anyhow::Error::new(Outer { source: Inner });
        assert_eq!(error_line(&err), "f.jsonl:3: inner reason");
        let err = anyhow::Error::new(Inner).context("reading f.jsonl");
        assert_eq!(error_line(&err), "reading f.jsonl: inner reason");
    }
}
