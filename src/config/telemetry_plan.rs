//! What to collect, resolved from the flags (part of `config::Plan`).

use std::time::Duration;

use super::defaults::DEFAULT_INTERVAL;

/// Telemetry collection settings, every default resolved.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TelemetryPlan {
    /// Prometheus endpoints to scrape (full URLs); empty turns server metrics off.
    pub server_metrics_urls: Vec<String>,
    /// Time between scrapes, and each scrape's time limit.
    #[serde(serialize_with = "secs")]
    pub server_metrics_interval: Duration,
    /// Whether to sample local GPUs through NVML.
    pub gpu_nvml: bool,
    /// DCGM exporter endpoints to scrape for GPU telemetry.
    pub dcgm_urls: Vec<String>,
    /// Time between GPU samples.
    #[serde(serialize_with = "secs")]
    pub gpu_telemetry_interval: Duration,
    /// How `https://` scrapes are trusted: the run's own TLS plan.
    #[serde(skip)]
    pub tls: super::TlsPlan,
}

impl Default for TelemetryPlan {
    /// Everything off (library callers opt in; the CLI resolves its own defaults).
    fn default() -> Self {
        Self {
            server_metrics_urls: Vec::new(),
            server_metrics_interval: DEFAULT_INTERVAL,
            gpu_nvml: false,
            dcgm_urls: Vec::new(),
            gpu_telemetry_interval: DEFAULT_INTERVAL,
            tls: Default::default(),
        }
    }
}

impl TelemetryPlan {
    /// Whether anything is collected.
    pub fn is_enabled(&self) -> bool {
        !self.server_metrics_urls.is_empty() || self.gpu_nvml || !self.dcgm_urls.is_empty()
    }
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}
