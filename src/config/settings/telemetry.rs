//! Server metrics scraping and GPU telemetry (AIPerf's flags), resolved into the plan's
//! [`TelemetryPlan`] (see docs/telemetry.md).

use std::time::Duration;

use super::SettingError;
use crate::config::{HttpUrl, ServerUrl, TelemetryPlan, DEFAULT_INTERVAL};

/// Telemetry settings, from flags only.
#[derive(Debug, Clone, Default)]
pub struct TelemetrySettings {
    /// `--server-metrics` URLs.
    pub server_metrics: Vec<String>,
    /// `--no-server-metrics`.
    pub no_server_metrics: bool,
    /// `--server-metrics-interval`, seconds.
    pub server_metrics_interval: Option<f64>,
    /// `--gpu-telemetry` URLs (or `nvml`).
    pub gpu_telemetry: Option<Vec<String>>,
    /// `--no-gpu-telemetry`.
    pub no_gpu_telemetry: bool,
    /// `--gpu-telemetry-interval`, seconds.
    pub gpu_telemetry_interval: Option<f64>,
}

impl TelemetrySettings {
    /// Resolves the flags against the run's servers.
    pub fn resolve(&self, urls: &[ServerUrl]) -> Result<TelemetryPlan, SettingError> {
        let mut server_metrics_urls = Vec::new();
        if !self.no_server_metrics {
            for u in urls {
                let scheme = if u.tls { "https" } else { "http" };
                push_unique(
                    &mut server_metrics_urls,
                    format!("{scheme}://{}/metrics", authority(u) + &u.base_path),
                );
            }
            for raw in &self.server_metrics {
                push_unique(
                    &mut server_metrics_urls,
                    normalize("--server-metrics", raw)?,
                );
            }
        }
        let mut dcgm_urls = Vec::new();
        for raw in self.gpu_telemetry.iter().flatten() {
            if !matches!(raw.as_str(), "nvml" | "pynvml") {
                push_unique(&mut dcgm_urls, normalize("--gpu-telemetry", raw)?);
            }
        }
        Ok(TelemetryPlan {
            server_metrics_urls,
            server_metrics_interval: interval(
                "--server-metrics-interval",
                self.server_metrics_interval,
            )?,
            gpu_nvml: !self.no_gpu_telemetry,
            dcgm_urls,
            gpu_telemetry_interval: interval(
                "--gpu-telemetry-interval",
                self.gpu_telemetry_interval,
            )?,
            tls: Default::default(),
        })
    }
}

fn authority(u: &ServerUrl) -> String {
    if u.host.contains(':') {
        format!("[{}]:{}", u.host, u.port)
    } else {
        format!("{}:{}", u.host, u.port)
    }
}

fn push_unique(list: &mut Vec<String>, url: String) {
    if !list.contains(&url) {
        list.push(url);
    }
}

/// `host:port` → `http://host:port/metrics`; a given path is kept.
fn normalize(flag: &'static str, raw: &str) -> Result<String, SettingError> {
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("http://{raw}")
    };
    let (_, path) =
        HttpUrl::parse_metrics(&with_scheme).map_err(|e| SettingError::flag(flag, e))?;
    let after_scheme = with_scheme.split_once("://").map_or("", |(_, r)| r);
    let before_query = after_scheme
        .split_once('?')
        .map_or(after_scheme, |(b, _)| b);
    Ok(if before_query.contains('/') {
        with_scheme
    } else {
        format!("http://{before_query}{path}")
    })
}

fn interval(flag: &'static str, secs: Option<f64>) -> Result<Duration, SettingError> {
    match secs {
        None => Ok(DEFAULT_INTERVAL),
        Some(s) if (0.01..=3600.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(SettingError::flag(
            flag,
            format!("{s} is not a number of seconds from 0.01 to 3600 (e.g. 0.333)"),
        )),
    }
}
