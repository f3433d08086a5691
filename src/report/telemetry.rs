//! Telemetry exports (AIPerf's file names): `server_metrics_export.{json,csv,jsonl}`,
//! `gpu_telemetry_export.{json,jsonl}`, and the console section.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use super::atomic::write_with;
use super::format::{printable, thousands};
use crate::clock::WallAnchor;
use crate::metrics::{AggregateMetric, Summary};
use crate::telemetry::server::{SeriesStats, ServerMetricsExport};
use crate::telemetry::store::{EndpointLog, Part};
use crate::telemetry::{profiling_window, Collected, TelemetryReport};

/// Telemetry file names.
pub mod files {
    /// Server metrics over the profiling window.
    pub const SERVER_JSON: &str = "server_metrics_export.json";
    /// The same, one row per series.
    pub const SERVER_CSV: &str = "server_metrics_export.csv";
    /// Every scrape (warmup included), one line each.
    pub const SERVER_JSONL: &str = "server_metrics_export.jsonl";
    /// Every GPU sample, one line each.
    pub const GPU_JSONL: &str = "gpu_telemetry_export.jsonl";
    /// GPU statistics and energy per token over the profiling window.
    pub const GPU_JSON: &str = "gpu_telemetry_export.json";
}

/// What [`finish_telemetry`] hands back to the run.
#[derive(Debug, Default)]
pub struct TelemetryOutcome {
    /// The console section ("" when nothing was collected).
    pub console: String,
    /// AIPerf's `telemetry_data` for `profile_export_aiperf.json`, when a GPU source ran.
    pub telemetry_data: Option<serde_json::Value>,
}

/// Reduces what the collectors gathered over the profiling phases of `phases`
/// (`(excluded_from_results, start_ns, end_ns)`) and writes the telemetry exports into `dir`.
pub fn finish_telemetry(
    dir: &Path,
    collected: Collected,
    phases: &[(bool, u64, u64)],
    summary: &Summary,
    anchor: &WallAnchor,
) -> io::Result<TelemetryOutcome> {
    let ran =
        !collected.servers.is_empty() || !collected.dcgm.is_empty() || collected.gpu.is_some();
    let Some(window) = profiling_window(phases).filter(|_| ran) else {
        return Ok(TelemetryOutcome::default());
    };
    let tokens = summary
        .aggregate(AggregateMetric::TotalOutputTokens)
        .unwrap_or(0.0);
    let report = collected.summarize(window, tokens);
    write_telemetry(dir, &report, anchor)?;
    Ok(TelemetryOutcome {
        console: render_telemetry(&report),
        telemetry_data: telemetry_data(&report, anchor),
    })
}

/// The GPU summary in the shape of AIPerf's `telemetry_data`: `summary` (endpoints, start
/// and end time) and `endpoints.{host:port}.gpus.gpu_{i}.metrics.{name}` with the unit beside
/// the statistics. `energy` (per output token) is ours; AIPerf has no such key.
pub fn telemetry_data(report: &TelemetryReport, anchor: &WallAnchor) -> Option<serde_json::Value> {
    use serde_json::{json, Map, Value};
    let gpu = report.gpu.as_ref()?;
    let mut configured: Vec<String> = report
        .collected
        .dcgm
        .iter()
        .map(|l| l.url.clone())
        .collect();
    if report.collected.gpu.is_some() {
        configured.insert(0, NVML_SOURCE_URL.into());
    }
    let mut successful: Vec<String> = Vec::new();
    let mut endpoints: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for g in &gpu.gpus {
        let url = if g.source == "nvml" {
            NVML_SOURCE_URL
        } else {
            g.source.as_str()
        };
        if !successful.iter().any(|u| u == url) {
            successful.push(url.to_string());
        }
        let metrics: Map<String, Value> = g
            .metrics
            .iter()
            .map(|(name, (dist, unit))| {
                let mut m = match serde_json::to_value(dist) {
                    Ok(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                m.insert("unit".into(), json!(unit));
                (name.to_string(), Value::Object(m))
            })
            .collect();
        let hostname = (g.source == "nvml").then(local_hostname).flatten();
        endpoints.entry(endpoint_display(url)).or_default().insert(
            format!("gpu_{}", g.gpu_index),
            json!({
                "gpu_index": g.gpu_index,
                "gpu_name": g.gpu_name,
                "gpu_uuid": g.gpu_uuid,
                "platform": "nvidia",
                "hostname": hostname,
                "metrics": metrics,
                "energy_j": g.energy_j,
            }),
        );
    }
    let endpoints: Map<String, Value> = endpoints
        .into_iter()
        .map(|(k, gpus)| (k, json!({ "gpus": gpus })))
        .collect();
    let error_summary = match &report.gpu_failures {
        (0, _) => Value::Null,
        (n, last) => json!([{
            "error_details": {"message": last.as_deref().unwrap_or("unknown")},
            "count": n,
        }]),
    };
    Some(json!({
        "summary": {
            "endpoints_configured": configured,
            "endpoints_successful": successful,
            "start_time": crate::clock::iso_utc(anchor.to_epoch_ns(gpu.window.start_ns)),
            "end_time": crate::clock::iso_utc(anchor.to_epoch_ns(gpu.window.end_ns)),
        },
        "endpoints": endpoints,
        "error_summary": error_summary,
        "energy": gpu.energy,
    }))
}

/// How the local NVML source is named among the endpoints (AIPerf says `pynvml://localhost`).
const NVML_SOURCE_URL: &str = "nvml://localhost";

/// AIPerf's endpoint key: the URL without its scheme and without a trailing `/metrics`.
fn endpoint_display(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.strip_suffix("/metrics").unwrap_or(rest).to_string()
}

fn local_hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into the buffer we own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// Writes every telemetry export the report has data for.
pub fn write_telemetry(
    dir: &Path,
    report: &TelemetryReport,
    anchor: &WallAnchor,
) -> io::Result<()> {
    if let Some(server) = &report.server {
        write_with(&dir.join(files::SERVER_JSON), |out| {
            serde_json::to_writer_pretty(&mut *out, server)?;
            out.write_all(b"\n")
        })?;
        write_with(&dir.join(files::SERVER_CSV), |out| {
            write_server_csv(out, server)
        })?;
        write_with(&dir.join(files::SERVER_JSONL), |out| {
            report
                .collected
                .servers
                .iter()
                .try_for_each(|log| write_scrapes(out, log, anchor))
        })?;
    }
    if let Some(gpu) = &report.gpu {
        write_with(&dir.join(files::GPU_JSONL), |out| {
            for s in &report.gpu_samples {
                let line = serde_json::json!({
                    "timestamp_ns": anchor.to_epoch_ns(s.timestamp_ns),
                    "monotonic_ns": s.timestamp_ns,
                    "source": s.source,
                    "gpu_index": s.gpu_index,
                    "gpu_uuid": s.gpu_uuid,
                    "gpu_model_name": s.gpu_model_name,
                    "telemetry_data": s.telemetry_data,
                });
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        })?;
        let json = serde_json::json!({
            "schema_version": "1.0",
            "summary": gpu,
            "sampling_failures": report.gpu_failures.0,
            "last_error": report.gpu_failures.1,
            "notes": report.collected.notes,
        });
        write_with(&dir.join(files::GPU_JSON), |out| {
            serde_json::to_writer_pretty(&mut *out, &json)?;
            out.write_all(b"\n")
        })?;
    }
    Ok(())
}

fn write_server_csv(out: &mut dyn Write, server: &ServerMetricsExport) -> io::Result<()> {
    writeln!(
        out,
        "Endpoint,Metric,Type,Labels,total,rate,count,sum,avg,min,max,p50,p90,p95,p99"
    )?;
    let f = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map(|x| x.to_string())
            .unwrap_or_default()
    };
    for (name, metric) in &server.metrics {
        for s in &metric.series {
            let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let cols: [Option<f64>; 11] = match s.stats {
                SeriesStats::Counter { total, rate, .. } => [
                    Some(total),
                    Some(rate),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ],
                SeriesStats::Gauge(d) => [
                    None,
                    None,
                    Some(d.count as f64),
                    None,
                    Some(d.avg),
                    Some(d.min),
                    Some(d.max),
                    Some(d.p50),
                    Some(d.p90),
                    Some(d.p95),
                    Some(d.p99),
                ],
                SeriesStats::Histogram {
                    count,
                    sum,
                    avg,
                    count_rate,
                    p50_estimate,
                    p90_estimate,
                    p95_estimate,
                    p99_estimate,
                    ..
                } => [
                    None,
                    Some(count_rate),
                    Some(count),
                    Some(sum),
                    avg,
                    None,
                    None,
                    p50_estimate,
                    p90_estimate,
                    p95_estimate,
                    p99_estimate,
                ],
                SeriesStats::Empty {} => [None; 11],
            };
            let kind = serde_json::to_value(metric.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            write!(
                out,
                "{},{},{},{}",
                csv_field(&s.endpoint_url),
                csv_field(name),
                kind,
                csv_field(&labels.join(";"))
            )?;
            for c in cols {
                write!(out, ",{}", f(c))?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One line per scrape: `{"endpoint_url", "timestamp_ns", "monotonic_ns", "samples": [...]}`.
fn write_scrapes(out: &mut dyn Write, log: &EndpointLog, anchor: &WallAnchor) -> io::Result<()> {
    let names: Vec<(String, Option<(&str, String)>)> = log
        .series
        .iter()
        .map(|k| match k.part {
            Part::Value => (k.family.clone(), None),
            Part::Bucket(le) => (format!("{}_bucket", k.family), Some(("le", bound(le)))),
            Part::Quantile(q) => (k.family.clone(), Some(("quantile", q.to_string()))),
            Part::Sum => (format!("{}_sum", k.family), None),
            Part::Count => (format!("{}_count", k.family), None),
        })
        .collect();
    for scrape in &log.scrapes {
        let samples: Vec<serde_json::Value> = log
            .series
            .iter()
            .enumerate()
            .filter(|(id, _)| log.value(scrape, *id).is_finite())
            .map(|(id, key)| {
                let mut labels: BTreeMap<&str, &str> =
                    key.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                if let Some((k, v)) = &names[id].1 {
                    labels.insert(k, v);
                }
                serde_json::json!({"name": names[id].0, "labels": labels, "value": log.value(scrape, id)})
            })
            .collect();
        let line = serde_json::json!({
            "endpoint_url": log.url,
            "timestamp_ns": anchor.to_epoch_ns(scrape.ts_ns),
            "monotonic_ns": scrape.ts_ns,
            "samples": samples,
        });
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn bound(le: f64) -> String {
    if le.is_infinite() {
        "+Inf".into()
    } else {
        le.to_string()
    }
}

/// Console lines shown for server metrics at most.
const CONSOLE_SERIES: usize = 12;

/// The console section: the busiest server series, scrape failures, GPU energy per token.
pub fn render_telemetry(report: &TelemetryReport) -> String {
    let mut out = String::new();
    if let Some(server) = &report.server {
        let s = &server.summary;
        let _ = writeln!(
            out,
            "Server metrics: {}/{} endpoints answered, profiling window {:.2} s",
            s.endpoints_successful.len(),
            s.endpoints_configured.len(),
            s.window.seconds()
        );
        let mut lines = Vec::new();
        for (name, metric) in &server.metrics {
            for series in &metric.series {
                // Label values tell apart the series of one family; one series needs none.
                let shown = if metric.series.len() > 1 {
                    let labels: Vec<String> = series
                        .labels
                        .iter()
                        .map(|(k, v)| format!("{k}=\"{v}\""))
                        .collect();
                    format!("{name}{{{}}}", labels.join(","))
                } else {
                    name.clone()
                };
                if let Some(line) = console_line(&printable(&shown), &series.stats) {
                    lines.push(line);
                }
            }
        }
        let more = lines.len().saturating_sub(CONSOLE_SERIES);
        for line in lines.into_iter().take(CONSOLE_SERIES) {
            let _ = writeln!(out, "  {line}");
        }
        if more > 0 {
            let _ = writeln!(out, "  … {more} more in {}", files::SERVER_JSON);
        }
        if s.scrape_failures > 0 {
            let _ = writeln!(
                out,
                "  {} scrapes failed (last error: {})",
                s.scrape_failures,
                printable(s.last_error.as_deref().unwrap_or("unknown"))
            );
        }
    }
    if let Some(gpu) = &report.gpu {
        let _ = write!(out, "GPU telemetry: {} GPUs", gpu.gpus.len());
        if let Some(e) = gpu.energy {
            let _ = write!(
                out,
                ", {} J in the profiling window",
                thousands(e.total_energy_j)
            );
            if let Some(j) = e.energy_per_output_token_j {
                let _ = write!(out, ", {j:.4} J/output token");
            }
            if let Some(t) = e.output_tokens_per_joule {
                let _ = write!(out, ", {t:.3} output tokens/J");
            }
        }
        let _ = writeln!(out);
        for g in &gpu.gpus {
            let avg = |m: &str| g.metrics.get(m).map(|(d, _)| d.avg);
            let _ = writeln!(
                out,
                "  GPU {} {}: power {} W, util {} %, memory {} GB, SM {} MHz, {} °C",
                g.gpu_index,
                printable(&g.gpu_name),
                opt(avg("gpu_power_usage")),
                opt(avg("gpu_utilization")),
                opt(avg("gpu_memory_used")),
                opt(avg("sm_clock_frequency")),
                opt(avg("gpu_temperature")),
            );
        }
        if report.gpu_failures.0 > 0 {
            let _ = writeln!(
                out,
                "  {} GPU samples failed (last error: {})",
                report.gpu_failures.0,
                printable(report.gpu_failures.1.as_deref().unwrap_or("unknown"))
            );
        }
    }
    out
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |x| format!("{x:.1}"))
}

/// A line for series that moved in the window; quiet ones are only in the files.
fn console_line(name: &str, stats: &SeriesStats) -> Option<String> {
    match *stats {
        SeriesStats::Counter { total, rate, .. } if total > 0.0 => Some(format!(
            "{name}: +{} ({}/s)",
            thousands(total),
            thousands(rate)
        )),
        SeriesStats::Gauge(d) if d.max != 0.0 && !name.starts_with("process_") => {
            Some(format!("{name}: avg {:.2}, max {:.2}", d.avg, d.max))
        }
        SeriesStats::Histogram {
            count,
            p50_estimate: Some(p50),
            p99_estimate: Some(p99),
            ..
        } if count > 0.0 => Some(format!(
            "{name}: {} observations, p50 ≈ {p50:.4}, p99 ≈ {p99:.4}",
            thousands(count)
        )),
        _ => None,
    }
}
