//! `gauntlet plot RUN_DIR... [--output DIR] [--format png|svg]`: the flags, then
//! `report::plot` does the work from the folders' exported files.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::report::plot::{self as plots, PlotFormat};

/// `gauntlet plot --help`'s tail.
pub const AFTER_HELP: &str = "\
Charts: ttft/itl/request_latency_distribution (histogram + CDF), latency_over_time (each request
at its send time, rolling p50/p90/p99), throughput_over_time (output tokens/s, requests in
flight), isl_osl_vs_latency, send_lag_over_time, telemetry_over_time (server metrics and GPU
telemetry on one time axis; needs --server-metrics / --gpu-telemetry files), session_swimlanes
(multi-turn runs), pareto and latency_vs_concurrency (a sweep, or two RUN_DIRs or more).
A chart whose input is missing is skipped with one line saying why. See docs/plots.md.

Examples:
  gauntlet plot artifacts/my-run                   # → artifacts/my-run/plots/, report.html
  gauntlet plot runs/sweep --format svg            # a sweep folder: Pareto curves too
  gauntlet plot runs/a runs/b --output cmp         # overlaid, → cmp/ and cmp/report.html
";

/// `gauntlet plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Run folders (`--output-artifact-dir` of `profile`) or sweep folders (with
    /// sweep_summary.csv); several are overlaid.
    #[arg(value_name = "RUN_DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the charts and report.html go [default: RUN_DIR/plots with RUN_DIR/report.html
    /// for one folder; ./plots for several].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Image format of the chart files (report.html always inlines SVG).
    #[arg(long, value_enum, default_value_t = FormatArg::Png)]
    pub format: FormatArg,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// PNG bitmaps (text drawn with the font built into gauntlet).
    Png,
    /// SVG documents.
    Svg,
}

/// Runs `gauntlet plot`: prints each chart written, each skipped and why, and the report.
pub fn run(args: PlotArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        FormatArg::Png => PlotFormat::Png,
        FormatArg::Svg => PlotFormat::Svg,
    };
    let outcome = plots::plot(&args.dirs, args.output.as_deref(), format)?;
    super::stdout::print(&outcome.render())?;
    Ok(ExitCode::SUCCESS)
}
