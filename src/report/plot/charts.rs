//! The per-request charts: latency distributions, each request over the run's time,
//! throughput and requests in flight, ISL/OSL against latency, send lag. Several runs overlay
//! as one series each.

use super::figure::{Figure, Mark, Panel, Series};
use super::load::{Request, Run};

/// A chart that could be drawn, or why not.
pub type Built = Result<Figure, String>;

/// Reads one metric of a request.
type Pick = fn(&Request) -> Option<f64>;

/// The three distributions (histogram + CDF), TTFT, ITL and request latency.
pub fn distributions(runs: &[&Run]) -> Vec<Built> {
    let kinds: [(&str, &str, Pick); 3] = [
        ("ttft", "Time to first token", |r| r.ttft_ms),
        ("itl", "Inter-token latency", |r| r.itl_ms),
        ("request_latency", "Request latency", |r| r.latency_ms),
    ];
    kinds
        .iter()
        .map(|(stem, title, get)| {
            let values: Vec<(String, Vec<f64>)> = runs
                .iter()
                .map(|r| (r.name.clone(), r.requests.iter().filter_map(get).collect()))
                .collect();
            distribution(stem, title, &values)
        })
        .collect()
}

fn distribution(stem: &str, title: &str, values: &[(String, Vec<f64>)]) -> Built {
    let all = values.iter().flat_map(|(_, v)| v.iter().copied());
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let name = format!("{stem}_distribution");
    if lo > hi {
        return Err(format!(
            "{name}: no {title} values (it needs a streaming run for TTFT and ITL)"
        ));
    }
    const BINS: usize = 40;
    let width = ((hi - lo) / BINS as f64).max(1e-9);
    let axis = format!("{title} (ms)");
    let mut hist = Panel::new("Histogram", &axis, "requests (%)");
    let mut cdf = Panel::new("CDF", &axis, "requests at or below (%)");
    for (i, (run, v)) in values.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let mut counts = [0usize; BINS];
        for &x in v {
            counts[(((x - lo) / width) as usize).min(BINS - 1)] += 1;
        }
        let n = v.len() as f64;
        let bars = (counts.iter().enumerate())
            .map(|(b, &c)| (lo + b as f64 * width, c as f64 * 100.0 / n))
            .collect();
        hist.push(Series::new(run, Mark::Bars(width), bars, i));
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        let line = (sorted.iter().enumerate())
            .map(|(k, &x)| (x, (k + 1) as f64 * 100.0 / n))
            .collect();
        cdf.push(Series::new(run, Mark::Line, line, i));
    }
    Figure::new(
        &name,
        &format!("{title} distribution"),
        vec![hist, cdf],
        true,
    )
    .ok_or_else(|| format!("{name}: no values"))
}

/// Percentile `p` (0–100) of sorted values, nearest rank.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Each request's latency at its start time, with rolling p50/p90/p99 bands.
pub fn latency_over_time(runs: &[&Run]) -> Built {
    let mut panel = Panel::new("", "time since first request (s)", "request latency (ms)");
    for (i, run) in runs.iter().enumerate() {
        let points: Vec<(f64, f64)> = (run.requests.iter())
            .filter(|r| !r.failed)
            .filter_map(|r| Some((r.start_s, r.latency_ms?)))
            .collect();
        let failed: Vec<(f64, f64)> = (run.requests.iter())
            .filter(|r| r.failed)
            .map(|r| {
                (
                    r.start_s,
                    r.latency_ms.unwrap_or((r.end_s - r.start_s) * 1e3),
                )
            })
            .collect();
        panel.push(Series::new(
            format!("{} failed", run.name),
            Mark::Points,
            failed,
            3,
        ));
        let bands = if runs.len() == 1 {
            vec![(50.0, 1), (90.0, 2), (99.0, 4)]
        } else {
            vec![(50.0, i)]
        };
        for (p, color) in bands {
            let label = if runs.len() == 1 {
                format!("p{p}")
            } else {
                format!("{} p{p}", run.name)
            };
            panel.push(Series::new(label, Mark::Line, rolling(&points, p), color));
        }
        panel.push(Series::new(&run.name, Mark::Points, points, i));
    }
    Figure::new(
        "latency_over_time",
        "Each request over the run: latency at send time, rolling percentiles",
        vec![panel],
        false,
    )
    .ok_or_else(|| "latency_over_time: no request latencies".into())
}

/// Percentile `p` of the `y`s in each of 20 windows of `x`, at the window's middle.
fn rolling(points: &[(f64, f64)], p: f64) -> Vec<(f64, f64)> {
    let end = points.iter().map(|q| q.0).fold(0.0f64, f64::max);
    if points.len() < 20 || end <= 0.0 {
        return Vec::new();
    }
    let width = end / 20.0;
    (0..20)
        .filter_map(|w| {
            let (a, b) = (w as f64 * width, (w + 1) as f64 * width);
            let mut ys: Vec<f64> = (points.iter())
                .filter(|q| q.0 >= a && (q.0 < b || w == 19))
                .map(|q| q.1)
                .collect();
            ys.sort_by(f64::total_cmp);
            (!ys.is_empty()).then(|| ((a + b) / 2.0, percentile(&ys, p)))
        })
        .collect()
}

/// Output tokens per second and requests in flight (time-weighted) per time bucket.
pub fn throughput_over_time(runs: &[&Run]) -> Built {
    let mut tput = Panel::new(
        "Output token throughput",
        "time since first request (s)",
        "output tokens/s",
    );
    let mut flight = Panel::new(
        "Requests in flight",
        "time since first request (s)",
        "requests",
    );
    for (i, run) in runs.iter().enumerate() {
        let end = run.requests.iter().map(|r| r.end_s).fold(0.0f64, f64::max);
        if end <= 0.0 {
            continue;
        }
        let width = (end / 40.0).max(0.05);
        let buckets = (end / width).ceil() as usize;
        let mut tokens = vec![0.0; buckets];
        let mut busy = vec![0.0; buckets];
        for r in &run.requests {
            let b = ((r.end_s / width) as usize).min(buckets - 1);
            tokens[b] += r.osl.unwrap_or(0.0);
            for (k, slot) in busy.iter_mut().enumerate() {
                let (a, z) = (k as f64 * width, (k + 1) as f64 * width);
                *slot += (r.end_s.min(z) - r.start_s.max(a)).max(0.0);
            }
        }
        let at = |k: usize| (k as f64 + 0.5) * width;
        let line = |v: Vec<f64>| {
            (v.into_iter().enumerate())
                .map(|(k, x)| (at(k), x / width))
                .collect()
        };
        tput.push(Series::new(&run.name, Mark::Line, line(tokens), i));
        flight.push(Series::new(&run.name, Mark::Line, line(busy), i));
    }
    Figure::new(
        "throughput_over_time",
        "Throughput and requests in flight over the run",
        vec![tput, flight],
        false,
    )
    .ok_or_else(|| "throughput_over_time: no requests".into())
}

/// Input and output length against request latency.
pub fn lengths_vs_latency(runs: &[&Run]) -> Built {
    let mut isl = Panel::new(
        "ISL",
        "input sequence length (tokens)",
        "request latency (ms)",
    );
    let mut osl = Panel::new(
        "OSL",
        "output sequence length (tokens)",
        "request latency (ms)",
    );
    for (i, run) in runs.iter().enumerate() {
        let pick = |f: Pick| -> Vec<(f64, f64)> {
            (run.requests.iter())
                .filter_map(|r| Some((f(r)?, r.latency_ms?)))
                .collect()
        };
        isl.push(Series::new(&run.name, Mark::Points, pick(|r| r.isl), i));
        osl.push(Series::new(&run.name, Mark::Points, pick(|r| r.osl), i));
    }
    Figure::new(
        "isl_osl_vs_latency",
        "Sequence lengths against latency",
        vec![isl, osl],
        true,
    )
    .ok_or_else(|| "isl_osl_vs_latency: no lengths with latencies".into())
}

/// Send lag (credit issued → request sent) at each request's start.
pub fn send_lag_over_time(runs: &[&Run]) -> Built {
    let mut panel = Panel::new("", "time since first request (s)", "send lag (ms)");
    for (i, run) in runs.iter().enumerate() {
        let points = (run.requests.iter())
            .filter_map(|r| Some((r.start_s, r.send_lag_ms?)))
            .collect();
        panel.push(Series::new(&run.name, Mark::Points, points, i));
    }
    Figure::new(
        "send_lag_over_time",
        "Send lag (credit_to_start_latency): how late each request left",
        vec![panel],
        false,
    )
    .ok_or_else(|| "send_lag_over_time: no credit_to_start_latency values".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_windows() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        let pts: Vec<(f64, f64)> = (0..200).map(|i| (i as f64 / 10.0, 1.0)).collect();
        let r = rolling(&pts, 99.0);
        assert_eq!(r.len(), 20);
        assert!(r.iter().all(|p| p.1 == 1.0));
    }

    #[test]
    fn histogram_shares_add_to_100() {
        let values = vec![("a".to_string(), (0..50).map(f64::from).collect())];
        let fig = distribution("ttft", "TTFT", &values).unwrap();
        let bars = &fig.panels[0].series[0].points;
        let total: f64 = bars.iter().map(|b| b.1).sum();
        assert!((total - 100.0).abs() < 1e-9, "{total}");
        let cdf = &fig.panels[1].series[0].points;
        assert_eq!(cdf.last().unwrap().1, 100.0);
    }
}
