//! `gauntlet merge WORKER_DIR... --output DIR`: one run's exports from the folders of its
//! workers (`gauntlet profile --worker-count N`). See docs/scale-out.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::report::merge_workers;

/// Flags of `gauntlet merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Worker folders (each holds a worker.json), or a folder holding worker-* folders.
    #[arg(value_name = "WORKER_DIR", required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,

    /// Folder that receives the merged profile_export_aiperf.json / .csv,
    /// profile_export.jsonl (every request, in send-time order), the console table and the
    /// workers' server metrics / GPU telemetry JSONL on one wall clock. When a worker's
    /// profile_export.jsonl is missing, the workers' worker_histograms.json are merged
    /// instead: percentiles within 0.1 %, no merged JSONL.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: PathBuf,
}

/// Merges, prints the console table, and says what was merged on stderr.
pub fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let merged = merge_workers(&args.dirs, &args.output)?;
    super::stdout::print(&merged.console)?;
    let a = merged.summary.accounting;
    match merged.lines {
        Some(lines) => eprintln!(
            "merged {} workers, {lines} requests, into {}",
            merged.workers,
            args.output.display()
        ),
        None => eprintln!(
            "merged {} workers into {}",
            merged.workers,
            args.output.display()
        ),
    }
    eprintln!("{}", merged.percentiles.line());
    let t = merged.telemetry;
    if t.server_scrapes.is_some() || t.gpu_samples.is_some() {
        eprintln!(
            "telemetry on the wall clock, each line with its worker: {} server metrics scrapes, {} GPU samples",
            t.server_scrapes.unwrap_or(0),
            t.gpu_samples.unwrap_or(0)
        );
    }
    if !a.is_balanced() {
        eprintln!(
            "warning: the workers' accounting does not add up: scheduled {} ≠ succeeded {} + failed {} + cancelled {} + not sent {}",
            a.scheduled, a.completed, a.failed, a.cancelled, a.not_sent
        );
    }
    Ok(ExitCode::SUCCESS)
}
