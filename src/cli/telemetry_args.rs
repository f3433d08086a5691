//! Telemetry flags (AIPerf's names): server metrics scraping and GPU telemetry, resolved into
//! the plan's [`TelemetryPlan`] (see docs/telemetry.md).

use clap::Args;

use crate::config::settings::TelemetrySettings;

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
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> TelemetrySettings {
        TelemetrySettings {
            server_metrics: self.server_metrics.clone(),
            no_server_metrics: self.no_server_metrics,
            server_metrics_interval: self.server_metrics_interval,
            gpu_telemetry: self.gpu_telemetry.clone(),
            no_gpu_telemetry: self.no_gpu_telemetry,
            gpu_telemetry_interval: self.gpu_telemetry_interval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ServerUrl, DEFAULT_INTERVAL};
    use std::time::Duration;

    fn url(raw: &str) -> ServerUrl {
        ServerUrl::parse(raw).unwrap()
    }

    #[test]
    fn defaults_scrape_each_url_and_sample_nvml() {
        let plan = TelemetryArgs::default()
            .settings()
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
        let plan = args.settings().resolve(&[url("localhost:10001")]).unwrap();
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
            .settings()
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
            args.settings().resolve(&[]).unwrap_err().name(),
            "--server-metrics-interval"
        );
        let args = TelemetryArgs {
            server_metrics: vec!["ftp://h/metrics".into()],
            ..Default::default()
        };
        assert_eq!(
            args.settings().resolve(&[]).unwrap_err().name(),
            "--server-metrics"
        );
    }
}
