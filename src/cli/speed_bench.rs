//! `gauntlet speed-bench-report`: SPEED-Bench's per-category matrix from the artifact folders
//! of finished runs (one folder per model and category). See docs/speed-bench.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::report::speed_bench::{build_matrix, Metric};

/// Flags of `gauntlet speed-bench-report`.
#[derive(Debug, Clone, Args)]
pub struct SpeedBenchReportArgs {
    /// Artifact folders of finished runs, one per (model, category); each needs
    /// profile_export_aiperf.json, and server_metrics_export.json for the acceptance metrics.
    #[arg(value_name = "ARTIFACT_DIR", required = true)]
    pub dirs: Vec<PathBuf>,

    /// Where the matrix goes: speed_bench_report.csv, the console, or both.
    #[arg(long, value_enum, default_value_t = ReportFormat::Both)]
    pub format: ReportFormat,

    /// What the cells hold.
    #[arg(long, value_enum, default_value_t = MetricArg::AcceptLength)]
    pub metric: MetricArg,

    /// Folder that receives speed_bench_report.csv.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub output_dir: PathBuf,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Write speed_bench_report.csv only.
    Csv,
    /// Print the table only.
    Console,
    /// Both.
    Both,
}

/// `--metric` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricArg {
    /// 1 + Δaccepted / Δdrafts (SGLang: the spec_accept_length gauge's window average).
    #[value(name = "accept_length", alias = "accept-length")]
    AcceptLength,
    /// Δaccepted / Δdraft_tokens (SGLang: the spec_accept_rate gauge's window average).
    #[value(name = "accept_rate", alias = "accept-rate")]
    AcceptRate,
    /// Output tokens per second of each run.
    Throughput,
}

impl From<MetricArg> for Metric {
    fn from(arg: MetricArg) -> Self {
        match arg {
            MetricArg::AcceptLength => Metric::AcceptLength,
            MetricArg::AcceptRate => Metric::AcceptRate,
            MetricArg::Throughput => Metric::Throughput,
        }
    }
}

/// Builds the matrix and writes or prints it.
pub fn run(args: SpeedBenchReportArgs) -> anyhow::Result<ExitCode> {
    // `speed-bench` writes its CSVs beside the category folders, so `DIR/*` names files too.
    let (files, dirs): (Vec<PathBuf>, Vec<PathBuf>) =
        args.dirs.into_iter().partition(|d| d.is_file());
    for file in &files {
        eprintln!(
            "skipping {}: a file, not an artifact folder",
            file.display()
        );
    }
    let matrix = build_matrix(&dirs, args.metric.into())?;
    if args.format != ReportFormat::Csv {
        super::stdout::print(&matrix.to_console())?;
    }
    if args.format != ReportFormat::Console {
        let path = matrix.write_csv(&args.output_dir)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
