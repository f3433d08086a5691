//! `report.html`: one self-contained page (inline CSS and SVG; no script, no font or other
//! file fetched) with the summary table, the request accounting, the harness's figures, the
//! charts and the resolved config of each run.

use std::fmt::Write as _;

use serde_json::Value;

use super::figure::Figure;
use super::load::{Run, Source};

/// Per-request metrics shown in the summary table, in order (AIPerf's tags).
const METRICS: &[(&str, &str)] = &[
    ("time_to_first_token", "Time to first token"),
    ("time_to_second_token", "Time to second token"),
    ("inter_token_latency", "Inter-token latency"),
    ("request_latency", "Request latency"),
    (
        "output_token_throughput_per_user",
        "Output tokens/s per user",
    ),
    ("output_sequence_length", "Output sequence length"),
    ("input_sequence_length", "Input sequence length"),
    ("prefill_throughput_per_user", "Prefill tokens/s per user"),
    ("reasoning_token_count", "Reasoning tokens"),
];

/// Run-wide figures shown under the table.
const TOTALS: &[(&str, &str)] = &[
    ("request_throughput", "Request throughput"),
    ("output_token_throughput", "Output token throughput"),
    ("total_token_throughput", "Total token throughput"),
    ("request_count", "Requests"),
    ("error_request_count", "Failed requests"),
    ("cancelled_request_count", "Cancelled requests"),
    (
        "good_request_count",
        "Good requests (met every --goodput SLO)",
    ),
    ("good_request_fraction", "Good request fraction"),
    ("goodput", "Goodput"),
    ("effective_concurrency", "Effective concurrency"),
    (
        "osl_mismatch_count",
        "Requests off their requested output length",
    ),
    ("benchmark_duration", "Benchmark duration"),
];

/// Harness figures: how well the schedule was held and what connecting cost.
const HARNESS: &[(&str, &str)] = &[
    ("credit_to_start_latency", "Send lag (credit → start)"),
    ("http_req_connecting", "Connecting"),
    ("http_req_connection_reused", "Connection reused"),
];

const STATS: &[&str] = &["avg", "min", "p50", "p90", "p99", "max", "std"];

const CSS: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1200px;color:#222;\
background:#fff}h1{font-size:24px}h2{font-size:20px;border-bottom:1px solid #ccc;\
padding-bottom:4px;margin-top:32px}h3{font-size:16px}table{border-collapse:collapse;\
margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}thead th{background:#f0f4f8}\
figure{margin:16px 0}svg{max-width:100%;height:auto}pre{background:#f6f6f6;padding:8px;\
overflow-x:auto;font-size:12px}.note{color:#666}";

/// HTML-escapes `text`.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn num(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        Some(x) if x.abs() >= 1000.0 || x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.3}"),
        None => String::new(),
    }
}

/// The page.
pub fn render(
    sources: &[Source],
    runs: &[&Run],
    charts: &[(Figure, String)],
    skipped: &[String],
) -> String {
    let mut h = String::new();
    let names: Vec<String> = sources
        .iter()
        .map(|s| match s {
            Source::Run(r) => r.dir.display().to_string(),
            Source::Sweep(d, _) => d.display().to_string(),
        })
        .collect();
    let title = format!("gauntlet report: {}", names.join(", "));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    if runs.len() > 1 {
        side_by_side(&mut h, runs);
    }
    for run in runs {
        summary(&mut h, run, runs.len() > 1);
    }
    h.push_str("<h2>Charts</h2>\n");
    for (fig, svg) in charts {
        let _ = write!(h, "<figure id=\"{}\">", esc(&fig.name));
        // The SVG after its XML prolog (if any): inline, with nothing fetched.
        let start = svg.find("<svg").unwrap_or(0);
        h.push_str(&svg[start..]);
        h.push_str("</figure>\n");
    }
    if !skipped.is_empty() {
        h.push_str("<h3>Charts not drawn</h3><ul class=\"note\">");
        for why in skipped {
            let _ = write!(h, "<li>{}</li>", esc(why));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("<h2>Resolved config</h2>\n");
    for run in runs {
        let config = run
            .aggregate
            .as_ref()
            .and_then(|a| a.get("input_config"))
            .and_then(|c| serde_json::to_string_pretty(c).ok())
            .unwrap_or_else(|| "(no profile_export_aiperf.json)".into());
        let _ = writeln!(
            h,
            "<details{}><summary>{}</summary><pre>{}</pre></details>",
            if runs.len() == 1 { " open" } else { "" },
            esc(&run.name),
            esc(&config)
        );
    }
    h.push_str("</body></html>\n");
    h
}

fn side_by_side(h: &mut String, runs: &[&Run]) {
    h.push_str(
        "<h2>Runs side by side</h2><table><thead><tr><th>run</th><th>requests</th>\
         <th>requests/s</th><th>output tokens/s</th><th>tokens/s/user</th><th>TTFT p50 (ms)</th>\
         <th>TTFT p99 (ms)</th><th>ITL p50 (ms)</th><th>latency p50 (ms)</th>\
         <th>latency p99 (ms)</th><th>failed</th></tr></thead><tbody>\n",
    );
    for run in runs {
        let a = run.aggregate.as_ref();
        let get = |m: &str, s: &str| num(a.and_then(|a| a.get(m)?.get(s)));
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&run.name),
            get("request_count", "avg"),
            get("request_throughput", "avg"),
            get("output_token_throughput", "avg"),
            get("output_token_throughput_per_user", "avg"),
            get("time_to_first_token", "p50"),
            get("time_to_first_token", "p99"),
            get("inter_token_latency", "p50"),
            get("request_latency", "p50"),
            get("request_latency", "p99"),
            get("error_request_count", "avg"),
        );
    }
    h.push_str("</tbody></table>\n");
}

fn stat_table(h: &mut String, a: &Value, rows: &[(&str, &str)]) {
    h.push_str("<table><thead><tr><th>metric</th><th>unit</th>");
    for s in STATS {
        let _ = write!(h, "<th>{s}</th>");
    }
    h.push_str("</tr></thead><tbody>\n");
    for (tag, label) in rows {
        let Some(m) = a.get(*tag) else { continue };
        let unit = m.get("unit").and_then(Value::as_str).unwrap_or("");
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", esc(label), esc(unit));
        for s in STATS {
            let _ = write!(h, "<td>{}</td>", num(m.get(*s)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
}

fn summary(h: &mut String, run: &Run, heading: bool) {
    if heading {
        let _ = writeln!(h, "<h2>{}</h2>", esc(&run.name));
    }
    let Some(a) = &run.aggregate else {
        h.push_str("<p class=\"note\">No profile_export_aiperf.json in this folder: only the charts.</p>\n");
        return;
    };
    let sub = if heading { "h3" } else { "h2" };
    let _ = writeln!(h, "<{sub}>Summary</{sub}>");
    stat_table(h, a, METRICS);
    h.push_str("<table><tbody>\n");
    for (tag, label) in TOTALS {
        if let Some(m) = a.get(*tag) {
            let unit = m.get("unit").and_then(Value::as_str).unwrap_or("");
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{} {}</td></tr>",
                esc(label),
                num(m.get("avg")),
                esc(unit)
            );
        }
    }
    h.push_str("</tbody></table>\n");
    let _ = writeln!(h, "<{sub}>Accounting</{sub}><table><tbody>");
    if let Some(acc) = a.get("request_accounting").and_then(Value::as_object) {
        for (k, v) in acc {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(k),
                esc(&v.to_string())
            );
        }
    }
    h.push_str("</tbody></table>\n");
    if let Some(errors) = a
        .get("error_summary")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
    {
        let _ = writeln!(
            h,
            "<pre>{}</pre>",
            esc(&serde_json::to_string_pretty(errors).unwrap_or_default())
        );
    }
    let _ = writeln!(h, "<{sub}>Harness</{sub}>");
    stat_table(h, a, HARNESS);
    let facts = [
        ("gauntlet", a.get("gauntlet_version")),
        ("benchmark id", a.get("benchmark_id")),
        ("start", a.get("start_time")),
        ("end", a.get("end_time")),
        ("command", a.pointer("/run_info/cli_command")),
    ];
    h.push_str("<table><tbody>\n");
    for (k, v) in facts {
        if let Some(v) = v.and_then(Value::as_str) {
            let _ = writeln!(h, "<tr><td>{k}</td><td>{}</td></tr>", esc(v));
        }
    }
    h.push_str("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}
