//! The report step of a run: finishes the metrics, writes every artifact and prints the
//! console report.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::drive::Collected;
use super::exit;
use super::overhead::{HarnessOverhead, RunStart};
use super::wallclock::local_iso_time;
use super::{RunError, RunOutcome};
use crate::clock::WallAnchor;
use crate::config::Plan;
use crate::metrics::processor::RunTotals;
use crate::metrics::Summary;
use crate::report::{self, RunInfo};

/// When and how the run started, for `run_info` and the overhead line.
pub(super) struct Started {
    /// Where the start-up CPU and time are counted from.
    pub run_start: RunStart,
    /// The run's wall-clock anchor.
    pub anchor: WallAnchor,
    /// Start, ISO-8601 local time.
    pub start_time: String,
    /// Whether the workload came from the workload cache.
    pub from_cache: bool,
}

/// Finishes the metrics from what the phases collected, prints the console report, then
/// writes the artifacts to `dir`: every one that can be, naming on stderr each that cannot.
pub(super) fn write_reports(
    plan: &Plan,
    dir: PathBuf,
    started: Started,
    collected: Collected,
) -> Result<RunOutcome, RunError> {
    let Started {
        run_start,
        anchor,
        start_time,
        from_cache,
    } = started;
    let Collected {
        phase_counts,
        processor,
        first_sent_ns,
        telemetry: collected,
        cpu_before_phases_s,
        jsonl_path,
        interrupt,
        mut write_failures,
        start: _,
    } = collected;
    let was_cancelled = phase_counts.iter().any(|c| c.cancelled);
    let totals = RunTotals {
        scheduled: phase_counts.iter().map(|c| c.scheduled).sum(),
        not_sent: phase_counts.iter().map(|c| c.not_sent).sum(),
        was_cancelled,
    };
    if plan.scale_out.worker.is_some() {
        let snapshot = processor.snapshot(|t| anchor.to_epoch_ns(t));
        let written = super::worker_mode::write_histograms(&dir, &snapshot);
        write_failures.extend(written.err());
    }
    let (summary, jsonl_error) = processor.finish(totals);
    if let Some(e) = jsonl_error {
        let message = format!("writing {}: {e}", jsonl_path.display());
        write_failures.push(std::io::Error::new(e.kind(), message));
    }
    let windows: Vec<(bool, u64, u64)> = (plan.phases.iter().zip(&phase_counts))
        .map(|(p, c)| (p.excluded_from_results(), c.start_ns, c.end_ns))
        .collect();
    let telemetry = report::finish_telemetry(&dir, collected, &windows, &summary, &anchor)
        .unwrap_or_else(|e| {
            write_failures.push(e);
            report::TelemetryOutcome::default()
        });
    let info = RunInfo {
        benchmark_id: benchmark_id(&anchor),
        start_time,
        end_time: local_iso_time(),
        was_cancelled,
        is_complete: !was_cancelled,
        random_seed: plan.random_seed,
        cli_command: plan.cli_command.clone(),
        telemetry_data: telemetry.telemetry_data,
        merge: None,
    };
    let scheduled = summary.accounting.scheduled;
    print_console(&summary, &telemetry.console, &dir, || {
        HarnessOverhead::measure(
            run_start,
            from_cache,
            first_sent_ns,
            scheduled,
            cpu_before_phases_s,
        )
    });
    // The results are on the console before any file is written; a file that cannot be
    // written is named and the others are still written.
    write_failures.extend(report::write_artifacts(&dir, &summary, plan, &info));
    if plan.auto_plot {
        write_failures.extend(auto_plot(&dir).err());
    }
    for e in &write_failures {
        eprintln!("error: artifact not written: {e}");
    }
    let exit_code = if was_cancelled {
        interrupt.map_or(130, |i| i.exit_code())
    } else if !write_failures.is_empty() {
        exit::ARTIFACTS_NOT_WRITTEN
    } else if let Some(line) = nothing_finished_line(plan, &summary) {
        eprintln!("{line}");
        exit::NOTHING_FINISHED
    } else if error_rate_pct(&summary) > plan.tolerated_error_rate_pct {
        exit::ERRORS_ABOVE_TOLERANCE
    } else {
        exit::CLEAN
    };
    Ok(RunOutcome {
        artifact_dir: dir,
        summary,
        exit_code,
    })
}

/// `--auto-plot`: the run's charts and report.html from the files just written; one line
/// saying where, or the failure as an artifact not written.
pub(super) fn auto_plot(dir: &Path) -> Result<(), std::io::Error> {
    use report::plot::{plot, PlotFormat};
    let outcome = plot(&[dir.to_path_buf()], None, PlotFormat::Png)
        .map_err(|e| std::io::Error::other(format!("plots: {e}")))?;
    let folder = outcome.written.first().and_then(|w| w.path.parent());
    let _ = writeln!(
        std::io::stdout(),
        "Plots: {} charts in {} ({} skipped), report: {}",
        outcome.written.len(),
        folder.map_or_else(|| dir.display().to_string(), |f| f.display().to_string()),
        outcome.skipped.len(),
        outcome.report.display()
    );
    Ok(())
}

/// The one line for a run that sent requests of which none completed or failed: each was
/// still in flight when its phase's grace period ended and was cancelled (a stalled server, a
/// grace period shorter than one request). Without it the run would read as 100 % failed.
fn nothing_finished_line(plan: &Plan, summary: &Summary) -> Option<String> {
    let a = &summary.accounting;
    if a.completed + a.failed > 0 || a.cancelled == 0 {
        return None;
    }
    let grace =
        plan.phases
            .iter()
            .find_map(|p| match p.stop {
                crate::config::StopRule::Duration { grace, .. } => Some(grace.as_secs_f64()),
                crate::config::StopRule::Count { .. }
                | crate::config::StopRule::Sessions { .. } => None,
            })
            .map_or_else(String::new, |g| {
                format!(" (--benchmark-grace-period {g} s)")
            });
    Some(format!(
        "error: no request finished: all {} requests sent were still in flight when the grace \
         period ended{grace} and were cancelled; nothing was measured (exit code {}). Give the \
         server more time (--benchmark-grace-period, --benchmark-duration) or check that it answers",
        a.cancelled,
        exit::NOTHING_FINISHED
    ))
}

/// Prints the console report: the metrics table, telemetry, the harness's overhead (measured
/// once the tables are out, so printing them counts), a send-lag warning when the schedule was
/// not held, and where the artifacts are.
fn print_console(
    summary: &Summary,
    telemetry: &str,
    dir: &Path,
    overhead: impl FnOnce() -> HarnessOverhead,
) {
    let console = report::render_console(summary);
    if let Some(warning) = report::osl_mismatch_warning(summary) {
        eprintln!("{warning}");
    }
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (piped into `head`) is not an error worth failing the run over.
    let _ = writeln!(stdout, "{console}");
    let _ = write!(stdout, "{telemetry}");
    let overhead = overhead();
    let _ = writeln!(stdout, "{overhead}");
    if let Some(warning) = send_lag_warning(summary) {
        let _ = writeln!(stdout, "{warning}");
    }
    let _ = writeln!(stdout, "Artifacts: {}", dir.display());
}

/// p99 send lag (credit-to-start) above which a run says its schedule was not held.
const SEND_LAG_WARN_MS: f64 = 1.0;

/// A loud line when requests left later than their schedule said: latencies are measured from
/// the actual send, so without it a harness that fell behind would report flattering numbers.
fn send_lag_warning(summary: &Summary) -> Option<String> {
    let lag = summary.metric(crate::metrics::catalog::RecordMetric::CreditToStartLatency)?;
    let p99 = lag.percentile(99.0)?;
    (p99 > SEND_LAG_WARN_MS).then(|| {
        format!(
            "WARNING: the schedule was not held: requests left late, send lag (credit-to-start) \
             p50 {:.2} ms, p99 {p99:.2} ms, max {:.2} ms. Latencies are timed from the actual send, \
             so the load the server saw was lighter than asked: raise --concurrency, lower the \
             rate, or see `gauntlet calibrate` for what this machine can schedule.",
            lag.percentile(50.0).unwrap_or(0.0),
            lag.max
        )
    })
}

/// Failed share of the requests that finished, in percent.
fn error_rate_pct(summary: &Summary) -> f64 {
    let a = &summary.accounting;
    let finished = a.completed + a.failed;
    if finished == 0 {
        // Nothing finished: only a run with nothing scheduled is a success.
        return if a.scheduled == 0 { 0.0 } else { 100.0 };
    }
    a.failed as f64 * 100.0 / finished as f64
}

fn benchmark_id(anchor: &WallAnchor) -> String {
    let mixed = anchor.epoch_ns ^ (u64::from(std::process::id()) << 40) ^ anchor.mono_ns;
    format!("{:012x}", mixed & 0xffff_ffff_ffff)
}
