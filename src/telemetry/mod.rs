//! Telemetry on the run's clock: Prometheus scrapes of the servers' `/metrics`, and GPU
//! samples (NVML locally, DCGM exporters remotely), each on its own thread so the request
//! loop never waits for them.
//!
//! [`Telemetry::start`] starts the collectors before the phases; [`Telemetry::boundary`] takes
//! an extra sample at each phase boundary so deltas cover the profiling phases exactly;
//! [`Telemetry::stop`] ends them, and [`Collected::summarize`] reduces the samples over the
//! profiling window. `report` writes the exports.

pub mod expo;
pub mod gpu;
pub mod http_get;
pub mod scraper;
pub mod server;
pub mod store;
pub mod window;

use std::time::Duration;

pub use window::Window;

use crate::config::TelemetryPlan;
use gpu::{GpuLog, GpuSampler, GpuTelemetrySummary, GpuThread, NvmlSampler};
use scraper::Scraper;
use server::ServerMetricsExport;
use store::EndpointLog;

/// Scrapes kept per endpoint before thinning (≈ 4.6 h at 333 ms).
const SCRAPE_CAP: usize = 50_000;
/// GPU samples kept before thinning.
const GPU_SAMPLE_CAP: usize = 400_000;

/// Running collectors.
#[derive(Debug, Default)]
pub struct Telemetry {
    servers: Vec<Scraper>,
    dcgm: Vec<Scraper>,
    gpu: Option<GpuThread>,
    wait: Duration,
    /// Why a collector did not start (said once on stderr, kept for the exports).
    pub notes: Vec<String>,
}

impl Telemetry {
    /// Starts what `plan` asks for. Nothing here fails the run: a collector that cannot
    /// start is a note, printed once.
    pub fn start(plan: &TelemetryPlan) -> Self {
        Self::start_with(plan, || NvmlSampler::open().map(|s| Box::new(s) as _))
    }

    /// [`Telemetry::start`] with the GPU sampler supplied (a fake in tests).
    pub fn start_with(
        plan: &TelemetryPlan,
        open_gpu: impl FnOnce() -> Result<Box<dyn GpuSampler>, gpu::GpuError>,
    ) -> Self {
        let mut t = Telemetry {
            wait: plan
                .server_metrics_interval
                .max(plan.gpu_telemetry_interval)
                + Duration::from_millis(100),
            ..Self::default()
        };
        // One TLS configuration (the run's) for every https:// scrape, made only when needed.
        let any_https = (plan.server_metrics_urls.iter())
            .chain(&plan.dcgm_urls)
            .any(|u| u.to_ascii_lowercase().starts_with("https://"));
        let tls = match any_https {
            true => Some(crate::engine::tls::TlsClient::new(&plan.tls).map_err(|e| e.to_string())),
            false => None,
        };
        let (tls, tls_error) = match tls {
            Some(Ok(client)) => (Some(client.config().clone()), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        };
        let start = |t: &mut Telemetry, url: &str, interval, what: &str| -> Option<Scraper> {
            let result = match (&tls_error, url.to_ascii_lowercase().starts_with("https://")) {
                (Some(e), true) => Err(format!("TLS: {e}")),
                _ => Scraper::start(url, interval, SCRAPE_CAP, tls.as_ref()),
            };
            result
                .map_err(|e| t.note(format!("{what} off for {url}: {e}")))
                .ok()
        };
        for url in &plan.server_metrics_urls {
            if let Some(s) = start(&mut t, url, plan.server_metrics_interval, "server metrics") {
                t.servers.push(s);
            }
        }
        for url in &plan.dcgm_urls {
            match Scraper::start(url, plan.gpu_telemetry_interval, SCRAPE_CAP, tls.as_ref()) {
                Ok(s) => t.dcgm.push(s),
                Err(e) => t.note(format!("GPU telemetry off for {url}: {e}")),
            }
        }
        if plan.gpu_nvml {
            match open_gpu() {
                Ok(sampler) => {
                    match GpuThread::start(sampler, plan.gpu_telemetry_interval, GPU_SAMPLE_CAP) {
                        Ok(thread) => t.gpu = Some(thread),
                        Err(e) => {
                            t.note(format!("GPU telemetry off: cannot start its thread ({e})"))
                        }
                    }
                }
                Err(e) => t.note(format!("GPU telemetry off: NVML not available ({e})")),
            }
        }
        t
    }

    fn note(&mut self, line: String) {
        // A scrape's error may quote the server's own text.
        let line = crate::printable::printable(&line).into_owned();
        // Sweeps and `speed-bench` start telemetry once per run: say each reason once per
        // process, but keep it in every run's exports.
        static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
        if let Ok(mut said) = SAID.lock() {
            if !said.contains(&line) {
                eprintln!("{line}");
                said.push(line.clone());
            }
        }
        self.notes.push(line);
    }

    /// Takes one sample on every collector now and waits (bounded by the interval) until
    /// they are taken: called between phases, so a window starts after its baseline sample
    /// and ends before its final one.
    pub fn boundary(&self) {
        let pending: Vec<_> = self
            .servers
            .iter()
            .chain(&self.dcgm)
            .map(Scraper::boundary)
            .chain(self.gpu.iter().map(GpuThread::boundary))
            .collect();
        let deadline = std::time::Instant::now() + self.wait;
        for rx in pending {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let _ = rx.recv_timeout(left);
        }
    }

    /// Handles on the newest gauges of every scraped endpoint (server metrics, then DCGM), for
    /// a live view; NVML samples are not included.
    pub fn live_gauges(&self) -> LiveGauges {
        LiveGauges(
            self.servers
                .iter()
                .chain(&self.dcgm)
                .map(Scraper::latest)
                .collect(),
        )
    }

    /// Stops every collector and hands over what they gathered.
    pub fn stop(self) -> Collected {
        Collected {
            servers: self.servers.into_iter().map(Scraper::stop).collect(),
            dcgm: self.dcgm.into_iter().map(Scraper::stop).collect(),
            gpu: self.gpu.map(GpuThread::stop),
            notes: self.notes,
        }
    }
}

/// The newest gauges of the scraped endpoints, readable from any thread.
#[derive(Debug, Clone, Default)]
pub struct LiveGauges(Vec<scraper::LatestGauges>);

impl LiveGauges {
    /// (series, value) of every endpoint's newest scrape, values as a person reads them.
    pub fn readings(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for latest in &self.0 {
            if let Ok(gauges) = latest.lock() {
                for (label, v) in gauges.iter() {
                    // The same endpoint scraped for server metrics and as DCGM: once.
                    if out.iter().any(|(l, _): &(String, String)| l == label) {
                        continue;
                    }
                    let value = if v.fract() == 0.0 && v.abs() < 1e15 {
                        format!("{v:.0}")
                    } else {
                        format!("{v:.3}")
                    };
                    out.push((label.clone(), value));
                }
            }
        }
        out
    }
}

/// What the collectors gathered.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    /// One log per server-metrics endpoint.
    pub servers: Vec<EndpointLog>,
    /// One log per DCGM endpoint.
    pub dcgm: Vec<EndpointLog>,
    /// NVML samples.
    pub gpu: Option<GpuLog>,
    /// Collectors that did not start, and why.
    pub notes: Vec<String>,
}

/// Everything the telemetry exports and console section show.
#[derive(Debug, Clone)]
pub struct TelemetryReport {
    /// The raw logs (for the time series).
    pub collected: Collected,
    /// `server_metrics_export.json`; `None` when no endpoint was scraped.
    pub server: Option<ServerMetricsExport>,
    /// Every GPU sample, NVML and DCGM, oldest first.
    pub gpu_samples: Vec<gpu::GpuSample>,
    /// The GPU summary; `None` when no GPU source ran.
    pub gpu: Option<GpuTelemetrySummary>,
    /// GPU sampling failures (NVML calls and DCGM scrapes), with the last reason.
    pub gpu_failures: (u64, Option<String>),
}

impl Collected {
    /// Reduces the samples over `window`; `output_tokens` is the run's total output tokens
    /// in that window, for energy per token.
    pub fn summarize(self, window: Window, output_tokens: f64) -> TelemetryReport {
        let server =
            (!self.servers.is_empty()).then(|| server::summarize_server(&self.servers, window));
        let mut gpu_samples: Vec<gpu::GpuSample> = self
            .gpu
            .iter()
            .flat_map(|g| g.samples.iter().cloned())
            .collect();
        for log in &self.dcgm {
            gpu_samples.extend(gpu::samples_from_dcgm(log));
        }
        gpu_samples.sort_by_key(|s| s.timestamp_ns);
        let gpu_ran = self.gpu.is_some() || !self.dcgm.is_empty();
        let gpu = gpu_ran.then(|| gpu::summarize_gpus(&gpu_samples, window, output_tokens));
        let failures = self.gpu.as_ref().map_or(0, |g| g.failures)
            + self.dcgm.iter().map(|l| l.failures).sum::<u64>();
        let last = self
            .dcgm
            .iter()
            .rev()
            .find_map(|l| l.last_error.clone())
            .or_else(|| self.gpu.as_ref().and_then(|g| g.last_error.clone()));
        TelemetryReport {
            collected: self,
            server,
            gpu_samples,
            gpu,
            gpu_failures: (failures, last),
        }
    }
}

/// The profiling window: from the first measured phase's start to the last one's end.
/// `phases` is `(excluded_from_results, start_ns, end_ns)` per phase that ran.
pub fn profiling_window(phases: &[(bool, u64, u64)]) -> Option<Window> {
    let measured = phases
        .iter()
        .filter(|(excluded, start, end)| !excluded && *end >= *start && *start > 0);
    let start_ns = measured.clone().map(|p| p.1).min()?;
    let end_ns = measured.map(|p| p.2).max()?;
    Some(Window { start_ns, end_ns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_spans_measured_phases_only() {
        let w = profiling_window(&[(true, 10, 20), (false, 25, 40), (false, 41, 60)]).unwrap();
        assert_eq!((w.start_ns, w.end_ns), (25, 60));
        assert!(profiling_window(&[(true, 10, 20)]).is_none());
        // A phase that never ran (cancelled before it started) has no stamps.
        assert!(profiling_window(&[(false, 0, 0)]).is_none());
    }

    #[test]
    fn notes_quoting_server_text_are_escaped() {
        let mut t = Telemetry::default();
        t.note(
            "server metrics off for http://h/metrics: not Prometheus text: \x1b[2Jboom\r".into(),
        );
        assert_eq!(
            t.notes,
            ["server metrics off for http://h/metrics: not Prometheus text: \\x1b[2Jboom\\r"]
        );
    }

    #[test]
    fn nvml_missing_is_one_note_and_no_panic() {
        let plan = TelemetryPlan {
            gpu_nvml: true,
            ..TelemetryPlan::default()
        };
        let t = Telemetry::start_with(&plan, || {
            Err(gpu::GpuError("libnvidia-ml.so: not found".into()))
        });
        assert_eq!(
            t.notes,
            vec!["GPU telemetry off: NVML not available (libnvidia-ml.so: not found)"]
        );
        t.boundary();
        let report = t.stop().summarize(
            Window {
                start_ns: 0,
                end_ns: 1,
            },
            10.0,
        );
        assert!(report.gpu.is_none());
        assert!(report.server.is_none());
    }

    #[test]
    fn real_nvml_on_this_machine_never_panics() {
        let plan = TelemetryPlan {
            gpu_nvml: true,
            gpu_telemetry_interval: Duration::from_millis(10),
            ..TelemetryPlan::default()
        };
        let t = Telemetry::start(&plan);
        t.boundary();
        let collected = t.stop();
        // Either NVML ran (a GPU host) or it said once why not.
        assert!(collected.gpu.is_some() || collected.notes.len() == 1);
        if let Some(note) = collected.notes.first() {
            assert!(
                note.starts_with("GPU telemetry off: NVML not available ("),
                "{note}"
            );
        }
    }
}
