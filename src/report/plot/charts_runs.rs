//! The charts of a run's telemetry, its sessions, and of several runs side by side:
//! server metrics and GPU telemetry on the run's time axis, per-session swim lanes, Pareto
//! curves and latency against concurrency.

use super::charts::Built;
use super::figure::{Figure, Mark, Panel, Series};
use super::load::Run;

/// Server-metric families shown, by what they measure (vLLM, SGLang, TGI, Dynamo names).
const QUEUE: &[&str] = &[
    "num_requests_running",
    "num_requests_waiting",
    "num_running_reqs",
    "num_queue_reqs",
    "queue_size",
];
const KV_CACHE: &[&str] = &["cache_usage_perc", "token_usage", "kv_cache_usage"];

/// Server metrics and GPU telemetry over time, every panel on the same time axis.
pub fn telemetry(run: &Run) -> Built {
    let name = "telemetry_over_time";
    if run.server.is_empty() && run.gpu.is_empty() {
        return Err(format!(
            "{name}: {} has no server_metrics_export.jsonl or gpu_telemetry_export.jsonl \
             (run with --server-metrics / --gpu-telemetry)",
            run.name
        ));
    }
    let axis = "time since first request (s)";
    let mut queue = Panel::new("Server: requests running / waiting", axis, "requests");
    let mut kv = Panel::new("Server: KV-cache usage", axis, "usage");
    let mut power = Panel::new("GPU power", axis, "W");
    let mut util = Panel::new("GPU utilisation", axis, "%");
    let mut color = 0;
    for (family, series) in &run.server {
        let family_name = family
            .split(super::load::WORKER_MARK)
            .next()
            .unwrap_or(family);
        let short = family_name.rsplit(':').next().unwrap_or(family_name);
        let panel = if QUEUE.iter().any(|q| short.ends_with(q)) {
            &mut queue
        } else if KV_CACHE.iter().any(|k| short.contains(k)) {
            &mut kv
        } else {
            continue;
        };
        panel.push(Series::new(family, Mark::Line, series.clone(), color));
        color += 1;
    }
    for (key, series) in &run.gpu {
        let panel = if key.ends_with(" gpu_power_usage") {
            &mut power
        } else if key.ends_with(" gpu_utilization") {
            &mut util
        } else {
            continue;
        };
        panel.push(Series::new(key, Mark::Line, series.clone(), color));
        color += 1;
    }
    let mut panels = vec![queue, kv, power, util];
    let (lo, hi) = (panels.iter().flat_map(|p| &p.series))
        .flat_map(|s| &s.points)
        .fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p.0), hi.max(p.0))
        });
    let end = run.requests.iter().map(|r| r.end_s).fold(hi, f64::max);
    for p in &mut panels {
        p.x_range = Some((lo.min(0.0), end));
    }
    Figure::new(
        name,
        "Server metrics and GPU telemetry over the run",
        panels,
        false,
    )
    .ok_or_else(|| {
        format!(
            "{name}: {} has telemetry files but none of the series drawn \
                 (requests running/waiting, KV-cache usage, GPU power, utilisation)",
            run.name
        )
    })
}

/// Sessions shown in a swim-lane chart at most.
const LANES: usize = 40;

/// One lane per conversation, a bar per turn from its send to its end.
pub fn swim_lanes(run: &Run) -> Built {
    let name = "session_swimlanes";
    if !run.is_multi_turn() {
        return Err(format!(
            "{name}: {} has no multi-turn sessions (every request is turn 0)",
            run.name
        ));
    }
    let mut order: Vec<(&str, f64)> = Vec::new();
    for r in &run.requests {
        match order.iter_mut().find(|(s, _)| *s == r.session) {
            Some(entry) => entry.1 = entry.1.min(r.start_s),
            None => order.push((&r.session, r.start_s)),
        }
    }
    order.sort_by(|a, b| a.1.total_cmp(&b.1));
    order.truncate(LANES);
    let turns = run.requests.iter().map(|r| r.turn).max().unwrap_or(0) as usize + 1;
    let mut spans: Vec<Vec<(f64, f64)>> = vec![Vec::new(); turns];
    for r in &run.requests {
        if let Some(lane) = order.iter().position(|(s, _)| *s == r.session) {
            let y = lane as f64 + 1.0;
            spans[r.turn as usize].extend([(r.start_s, y), (r.end_s, y)]);
        }
    }
    let title = format!("Sessions (first {} by start): one lane each", order.len());
    let mut panel = Panel::new(&title, "time since first request (s)", "session");
    for (turn, points) in spans.into_iter().enumerate() {
        panel.push(Series::new(
            format!("turn {turn}"),
            Mark::Spans,
            points,
            turn,
        ));
    }
    Figure::new(name, "Multi-turn sessions over the run", vec![panel], false)
        .ok_or_else(|| format!("{name}: no turns"))
}

/// One point of a Pareto or concurrency chart: a run, labelled.
struct Point<'a> {
    label: String,
    group: usize,
    run: &'a Run,
}

/// Pareto curves and latency against concurrency over `groups` (a sweep's variations, or
/// the runs given), each point labelled; needs two points or more.
pub fn across_runs(groups: &[(String, Vec<&Run>)]) -> Vec<Built> {
    let points: Vec<Point> = (groups.iter().enumerate())
        .flat_map(|(g, (_, runs))| {
            runs.iter().map(move |run| Point {
                label: label(run),
                group: g,
                run,
            })
        })
        .collect();
    if points.len() < 2 {
        let why = "needs a sweep or two run directories or more";
        return vec![
            Err(format!("pareto: {why}")),
            Err(format!("latency_vs_concurrency: {why}")),
        ];
    }
    vec![
        pareto(groups, &points),
        latency_vs_concurrency(groups, &points),
    ]
}

/// `c=8`, `rate=2` or the folder name.
fn label(run: &Run) -> String {
    if let Some(c) = run.arrival("concurrency") {
        format!("c={c}")
    } else if let Some(r) = run.arrival("request_rate") {
        format!("rate={r}")
    } else {
        run.name.clone()
    }
}

fn curve(
    groups: &[(String, Vec<&Run>)],
    points: &[Point],
    xy: impl Fn(&Run) -> Option<(f64, f64)>,
) -> Vec<Series> {
    (groups.iter().enumerate())
        .map(|(g, (name, _))| {
            // In sweep order (concurrency, then rate), as the runs were given.
            let (points, labels) = (points.iter())
                .filter(|p| p.group == g)
                .filter_map(|p| Some((xy(p.run)?, p.label.clone())))
                .unzip();
            Series {
                name: name.clone(),
                mark: Mark::LabelledLine,
                points,
                labels,
                color: g,
            }
        })
        .collect()
}

fn pareto(groups: &[(String, Vec<&Run>)], points: &[Point]) -> Built {
    let x = "output tokens/s per user (avg)";
    let mut total = Panel::new("Total", x, "output tokens/s");
    let mut per_gpu = Panel::new("Per GPU", x, "output tokens/s per GPU");
    let tput = |r: &Run| r.stat("output_token_throughput", "avg");
    let user = |r: &Run| r.stat("output_token_throughput_per_user", "avg");
    for s in curve(groups, points, |r| Some((user(r)?, tput(r)?))) {
        total.push(s);
    }
    let gpus = |r: &Run| (r.gpu_count > 0).then_some(r.gpu_count as f64);
    for s in curve(groups, points, |r| Some((user(r)?, tput(r)? / gpus(r)?))) {
        per_gpu.push(s);
    }
    Figure::new(
        "pareto",
        "Throughput against per-user speed",
        vec![total, per_gpu],
        true,
    )
    .ok_or_else(|| "pareto: no output_token_throughput figures (not a streaming run?)".into())
}

fn latency_vs_concurrency(groups: &[(String, Vec<&Run>)], points: &[Point]) -> Built {
    let mut panel = Panel::new("", "concurrency", "latency (ms)");
    let stats = [
        ("request_latency", "p50", "latency p50"),
        ("request_latency", "p99", "latency p99"),
        ("time_to_first_token", "p50", "TTFT p50"),
    ];
    for (k, (metric, stat, what)) in stats.iter().enumerate() {
        let xy = |r: &Run| Some((r.arrival("concurrency")?, r.stat(metric, stat)?));
        for mut s in curve(groups, points, xy) {
            s.name = if groups.len() == 1 {
                what.to_string()
            } else {
                format!("{} {what}", s.name)
            };
            s.color += k * groups.len();
            panel.push(s);
        }
    }
    Figure::new(
        "latency_vs_concurrency",
        "Latency against concurrency",
        vec![panel],
        false,
    )
    .ok_or_else(|| "latency_vs_concurrency: the runs have no concurrency (rate runs?)".into())
}
