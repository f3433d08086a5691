//! The end-of-run console report: a box-drawn "LLM Metrics" table like AIPerf's, the request
//! accounting line, the error summary, and a banner when the run is partial.

use std::fmt::Write;

use super::format::{printable, thousands};
use crate::metrics::Summary;

const COLUMNS: [&str; 8] = ["Metric", "avg", "min", "max", "p99", "p90", "p50", "std"];
const TITLE: &str = "gauntlet | LLM Metrics";

/// Renders the whole console report (ends with a newline).
pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    if summary.was_cancelled {
        out.push_str(&banner());
    }
    out.push_str(&table(&rows(summary)));
    out.push('\n');
    out.push_str(&accounting_line(summary));
    if let Some(warning) = osl_mismatch_warning(summary) {
        out.push_str(&warning);
        out.push('\n');
    }
    if !summary.errors.is_empty() {
        out.push('\n');
        out.push_str(&error_summary(summary));
        out.push_str(&super::hints::render(summary));
    }
    if summary.was_cancelled {
        out.push('\n');
        out.push_str(&banner());
    }
    out
}

/// One line when most requests that asked for an output length (`max_tokens`) got another:
/// servers that ignore `min_tokens` or stop at EOS make OSL-dependent numbers misleading.
pub fn osl_mismatch_warning(summary: &Summary) -> Option<String> {
    use crate::metrics::catalog::{AggregateMetric, RecordMetric};
    use crate::metrics::derive::{OSL_MISMATCH_MAX_TOKENS, OSL_MISMATCH_PCT};
    let checked = summary.metric(RecordMetric::OslMismatchDiffPct)?.count;
    let missed = summary.aggregate(AggregateMetric::OslMismatchCount)? as u64;
    (missed * 2 > checked).then(|| {
        format!(
            "warning: {missed} of {checked} requests got an output length off the requested \
             max_tokens by more than {OSL_MISMATCH_PCT} % (or {OSL_MISMATCH_MAX_TOKENS} tokens); \
             the server may stop at EOS or ignore min_tokens (osl_mismatch_diff_pct in the exports)"
        )
    })
}

fn banner() -> String {
    "*** PARTIAL RUN: stopped before the end; results cover the requests that finished ***\n"
        .to_owned()
}

fn rows(summary: &Summary) -> Vec<[String; 8]> {
    summary
        .rows()
        .filter(|(spec, _, _)| spec.console)
        .map(|(spec, stats, value)| match stats {
            Some(s) => [
                spec.label(),
                thousands(s.avg),
                thousands(s.min),
                thousands(s.max),
                thousands(s.percentiles[8]),
                thousands(s.percentiles[6]),
                thousands(s.percentiles[4]),
                thousands(s.std),
            ],
            None => {
                let na = || "N/A".to_owned();
                [
                    spec.label(),
                    thousands(value),
                    na(),
                    na(),
                    na(),
                    na(),
                    na(),
                    na(),
                ]
            }
        })
        .collect()
}

fn table(rows: &[[String; 8]]) -> String {
    titled_table(TITLE, &COLUMNS, rows)
}

/// A box-drawn, right-aligned table under a centred title; every row has a cell per column.
pub(super) fn titled_table<R: AsRef<[String]>>(
    title: &str,
    columns: &[&str],
    rows: &[R],
) -> String {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let inner: usize = widths.iter().map(|w| w + 2).sum::<usize>() + widths.len() - 1;
    let mut out = String::new();
    let title_pad = (inner + 2).saturating_sub(title.chars().count());
    let _ = writeln!(out, "{}{title}", " ".repeat(title_pad / 2));
    rule(&mut out, &widths, ['┏', '┳', '┓'], '━');
    let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    line(&mut out, &widths, &header, '┃');
    rule(&mut out, &widths, ['┡', '╇', '┩'], '━');
    for row in rows {
        line(&mut out, &widths, row.as_ref(), '│');
    }
    rule(&mut out, &widths, ['└', '┴', '┘'], '─');
    out
}

fn rule(out: &mut String, widths: &[usize], [left, mid, right]: [char; 3], fill: char) {
    out.push(left);
    for (i, w) in widths.iter().enumerate() {
        if i > 0 {
            out.push(mid);
        }
        out.extend(std::iter::repeat_n(fill, w + 2));
    }
    out.push(right);
    out.push('\n');
}

fn line(out: &mut String, widths: &[usize], cells: &[String], bar: char) {
    out.push(bar);
    for (i, (w, cell)) in widths.iter().zip(cells).enumerate() {
        if i > 0 {
            out.push(bar);
        }
        let _ = write!(out, " {cell:>w$} ");
    }
    out.push(bar);
    out.push('\n');
}

fn accounting_line(summary: &Summary) -> String {
    let a = &summary.accounting;
    let mut line = format!(
        "Requests: {} scheduled = {} succeeded + {} failed + {} cancelled + {} not sent",
        a.scheduled, a.completed, a.failed, a.cancelled, a.not_sent
    );
    if !a.is_balanced() {
        let counted = a.completed + a.failed + a.cancelled + a.not_sent;
        let _ = write!(
            line,
            " (UNBALANCED: outcomes add up to {counted}, not {})",
            a.scheduled
        );
    }
    line.push('\n');
    if a.malformed_events > 0 {
        let _ = writeln!(
            line,
            "Malformed events: {} (not one JSON object; skipped, their requests still succeeded)",
            a.malformed_events
        );
    }
    line
}

fn error_summary(summary: &Summary) -> String {
    let failed: u64 = summary.errors.iter().map(|e| e.count).sum();
    let mut out = format!("Errors ({failed} failed requests, most frequent first):\n");
    for e in &summary.errors {
        let code = e.error.code.map(|c| format!("{c} ")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:>6} × [{code}{}] {}",
            e.count,
            printable(&e.error.kind),
            printable(&e.error.message)
        );
    }
    out
}
