//! The comparison as a console table, CSV (every metric and statistic) and markdown (the
//! console's rows, for a pull request or an issue).

use std::fmt::Write;

use super::{Cell, Comparison, Row};
use crate::report::console::titled_table;
use crate::report::format::thousands;

/// The box-drawn table with its legend (ends with a newline).
pub fn render_console(cmp: &Comparison) -> String {
    let title = format!("gauntlet compare | baseline: {}", cmp.names[0]);
    let header = header(cmp);
    let columns: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = console_rows(cmp).map(|r| cells(cmp, r)).collect();
    let mut out = titled_table(&title, &columns, &rows);
    out.push_str(&legend(cmp));
    out
}

/// A markdown table of the console's rows, then the legend.
pub fn render_markdown(cmp: &Comparison) -> String {
    let header = header(cmp);
    let mut out = format!("## gauntlet compare (baseline: {})\n\n", cmp.names[0]);
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let align: Vec<&str> = (0..header.len())
        .map(|i| if i == 0 { "---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "| {} |", align.join(" | "));
    for row in console_rows(cmp) {
        let _ = writeln!(out, "| {} |", cells(cmp, row).join(" | "));
    }
    out.push('\n');
    for line in legend(cmp).lines() {
        let _ = writeln!(out, "{line}  ");
    }
    out
}

/// Every (metric, statistic), numbers unrounded: Metric, Stat, the baseline, then per run its
/// value, change %, Welch's p-value (empty when untested) and verdict.
pub fn render_csv(cmp: &Comparison) -> String {
    let mut head = vec![
        "Metric".to_owned(),
        "Stat".to_owned(),
        csv_field(&cmp.names[0]),
    ];
    for name in &cmp.names[1..] {
        head.push(csv_field(name));
        head.push(csv_field(&format!("{name} change %")));
        head.push(csv_field(&format!("{name} p-value")));
        head.push(csv_field(&format!("{name} verdict")));
    }
    let mut out = head.join(",");
    out.push_str("\r\n");
    for row in &cmp.rows {
        let mut line = vec![csv_field(&row.label), row.stat.to_owned()];
        line.push(row.cells[0].as_ref().map_or(String::new(), |c| num(c.mean)));
        for cell in &row.cells[1..] {
            let change = cell.as_ref().and_then(|c| c.change);
            line.push(cell.as_ref().map_or(String::new(), |c| num(c.mean)));
            line.push(change.and_then(|c| c.percent).map_or(String::new(), num));
            line.push(
                (change.and_then(|c| c.test)).map_or(String::new(), |t| format!("{:.6}", t.p)),
            );
            line.push(change.map_or("", |c| c.verdict.word()).to_owned());
        }
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn console_rows(cmp: &Comparison) -> impl Iterator<Item = &Row> {
    cmp.rows.iter().filter(|r| r.console)
}

fn header(cmp: &Comparison) -> Vec<String> {
    let mut header = vec!["Metric".to_owned(), "stat".to_owned(), cmp.names[0].clone()];
    for name in &cmp.names[1..] {
        header.push(name.clone());
        header.push("Δ %".to_owned());
        if cmp.tested() {
            header.push("p".to_owned());
        }
        header.push("verdict".to_owned());
    }
    header
}

fn cells(cmp: &Comparison, row: &Row) -> Vec<String> {
    let value = |c: &Option<Cell>| c.as_ref().map_or("N/A".to_owned(), |c| thousands(c.mean));
    let mut out = vec![row.label.clone(), row.stat.to_owned(), value(&row.cells[0])];
    for cell in &row.cells[1..] {
        let change = cell.as_ref().and_then(|c| c.change);
        out.push(value(cell));
        out.push(
            change
                .and_then(|c| c.percent)
                .map_or("N/A".to_owned(), |p| format!("{p:+.2}")),
        );
        if cmp.tested() {
            out.push(
                change
                    .and_then(|c| c.test)
                    .map_or("—".to_owned(), |t| p_value(t.p)),
            );
        }
        out.push(change.map_or("—", |c| c.verdict.word()).to_owned());
    }
    out
}

/// The legend under a table: which folder each column is, and how differences were judged.
fn legend(cmp: &Comparison) -> String {
    let mut out = String::new();
    for (i, (name, run)) in cmp.names.iter().zip(&cmp.runs).enumerate() {
        let role = if i == 0 { "baseline" } else { "compared" };
        let repeats = match run.repeats.len() {
            1 => "one run".to_owned(),
            n => format!("{n} repeats"),
        };
        let _ = writeln!(out, "{name}: {} ({role}, {repeats})", run.dir.display());
    }
    let confidence = (1.0 - cmp.alpha) * 100.0;
    if cmp.tested() {
        let _ = writeln!(
            out,
            "Δ % is against the baseline. p: Welch's t-test on the per-repeat values; \
             p < {:.2} ({confidence:.0} % confidence) is beyond the noise, \
             'noise' marks a difference that is not.",
            cmp.alpha
        );
    }
    if cmp.runs.iter().any(|r| r.repeats.len() < 2) {
        let _ = writeln!(
            out,
            "Not tested against noise where a run has a single repeat: run each side with \
             --num-profile-runs 3 or more to tell a real difference from run-to-run variation."
        );
    }
    out
}

fn p_value(p: f64) -> String {
    if p < 1e-4 {
        "<0.0001".to_owned()
    } else {
        format!("{p:.4}")
    }
}

fn num(v: f64) -> String {
    format!("{v:.4}")
}

/// Quotes a field holding a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
