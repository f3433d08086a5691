//! Telemetry flags (AIPerf's names): server metrics scraping and GPU telemetry, resolved into
//! the plan's [`TelemetryPlan`] (see docs/telemetry.md).

use std::time::Duration;

use clap::Args;

use super::flag_error::{flag_err, FlagError};
use crate::config::{ServerUrl, TelemetryPlan, DEFAULT_INTERVAL};

/// Flags of server metrics and GPU telemetry.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Telemetry")]
pub struct TelemetryArgs {
    /// More Prometheus endpoints to scrape, besides each --url's /metrics (scheme and
    /// /metrics path optional; several per flag, repeatable).
    #[arg(long = "server-metrics", value_name = "URL", num_args = 1..)]
    pub server_metrics: Vec<String>,

    /// Do not scrape any server metrics (not even --url's /metrics).
    #[arg(long, conflicts_with = "server_metrics")]
    pub no_server_metrics: bool,

    /// Seconds between scrapes; also each scrape's time limit [default: 0.333].
    #[arg(long, value_name = "SECONDS")]
    pub server_metrics_interval: Option<f64>,

    /// DCGM exporter endpoints to scrape for GPU telemetry (several per flag); `nvml` or
    /// `pynvml` names the local NVML sampler, which is on unless --no-gpu-telemetry.
    #[arg(long = "gpu-telemetry", value_name = "URL", num_args = 0..)]
    pub gpu_telemetry: Option<Vec<String>>,

    /// Do not sample local GPUs through NVML (DCGM URLs given are still scraped).
    #[arg(long)]
    pub no_gpu_telemetry: bool,

    /// Seconds between GPU samples [default: 0.333].
    #[arg(long, value_name = "SECONDS")]
    pub gpu_telemetry_interval: Option<f64>,
}

impl TelemetryArgs {
    /// Resolves the flags against the run's servers.
    pub fn resolve(&self, urls: &[ServerUrl]) -> Result<TelemetryPlan, FlagError> {
        let mut server_metrics_urls = Vec::new();
        if !self.no_server_metrics {
            for u in urls {
                push_unique(
                    &mut server_metrics_urls,
                    format!("http://{}/metrics", authority(u) + &u.base_path),
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
fn normalize(flag: &'static str, raw: &str) -> Result<String, FlagError> {
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("http://{raw}")
    };
    let target = crate::telemetry::http_get::HttpTarget::parse(&with_scheme)
        .map_err(|e| flag_err(flag, e))?;
    let after_scheme = with_scheme.split_once("://").map_or("", |(_, r)| r);
    let before_query = after_scheme
        .split_once('?')
        .map_or(after_scheme, |(b, _)| b);
    Ok(if before_query.contains('/') {
        with_scheme
    } else {
        format!("http://{}{}", before_query, target.path)
    })
}

fn interval(flag: &'static str, secs: Option<f64>) -> Result<Duration, FlagError> {
    match secs {
        None => Ok(DEFAULT_INTERVAL),
        Some(s) if (0.01..=3600.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(flag_err(
            flag,
            format!("{s} is not a number of seconds from 0.01 to 3600 (e.g. 0.333)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> ServerUrl {
        ServerUrl::parse(raw).unwrap()
    }

    #[test]
    fn defaults_scrape_each_url_and_sample_nvml() {
        let plan = TelemetryArgs::default()
            .resolve(&[url("http://127.0.0.1:8000"), url("localhost:9000/proxy")])
            .unwrap();
        assert_eq!(
            plan.server_metrics_urls,
            vec![
                "http://127.0.0.1:8000/metrics",
                "http://localhost:9000/proxy/metrics"
            ]
        );
        assert!(plan.gpu_nvml);
        assert!(plan.dcgm_urls.is_empty());
        assert_eq!(plan.server_metrics_interval, DEFAULT_INTERVAL);
    }

    #[test]
    fn extra_endpoints_dcgm_and_switches() {
        let args = TelemetryArgs {
            server_metrics: vec!["localhost:10001".into(), "http://h:1/x/metrics".into()],
            gpu_telemetry: Some(vec!["pynvml".into(), "node1:9400".into()]),
            no_gpu_telemetry: true,
            gpu_telemetry_interval: Some(1.0),
            ..Default::default()
        };
        let plan = args.resolve(&[url("localhost:10001")]).unwrap();
        assert_eq!(
            plan.server_metrics_urls,
            vec!["http://localhost:10001/metrics", "http://h:1/x/metrics"]
        );
        assert_eq!(plan.dcgm_urls, vec!["http://node1:9400/metrics"]);
        assert!(!plan.gpu_nvml);
        assert_eq!(plan.gpu_telemetry_interval, Duration::from_secs(1));
        let off = TelemetryArgs {
            no_server_metrics: true,
            ..Default::default()
        };
        assert!(off
            .resolve(&[url("h:1")])
            .unwrap()
            .server_metrics_urls
            .is_empty());
    }

    #[test]
    fn bad_values_name_the_flag() {
        let args = TelemetryArgs {
            server_metrics_interval: Some(0.0),
            ..Default::default()
        };
        assert_eq!(
            args.resolve(&[]).unwrap_err().flag,
            "--server-metrics-interval"
        );
        let args = TelemetryArgs {
            server_metrics: vec!["https://h/metrics".into()],
            ..Default::default()
        };
        assert_eq!(args.resolve(&[]).unwrap_err().flag, "--server-metrics");
    }
}
