//! `gauntlet calibrate`: measure the harness's own overhead on this machine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::run::calibrate::{calibrate, CalibrateOptions};

/// Flags of `gauntlet calibrate`.
#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    /// Open-loop rates to step through, requests/s (stops early once far behind).
    #[arg(
        long,
        value_delimiter = ',',
        num_args = 1,
        default_value = "1000,2000,5000,10000,20000,40000"
    )]
    pub rates: Vec<f64>,

    /// Seconds each rate step lasts.
    #[arg(long, default_value_t = 1.0)]
    pub step_seconds: f64,

    /// p99 send lag a rate must stay under to count as held, in microseconds.
    #[arg(long, default_value_t = 100.0)]
    pub lag_target_us: f64,

    /// Threads of the client runtime [default: the number of cores].
    #[arg(long)]
    pub client_threads: Option<usize>,

    /// Also write the figures as JSON to this file.
    #[arg(long, value_name = "FILE.json")]
    pub output: Option<PathBuf>,
}

/// `gauntlet profile --calibrate`.
#[derive(Debug, Clone, Default, Args)]
pub struct CalibrateFlag {
    /// Before the run, measure the harness's own overhead on this machine (as `gauntlet
    /// calibrate` does, a few seconds) and write it to calibration.json in the artifacts.
    #[arg(long, help_heading = "Output")]
    pub calibrate: bool,
}

impl CalibrateArgs {
    /// The options, checked.
    pub fn options(&self) -> Result<CalibrateOptions, String> {
        if self.rates.is_empty() || self.rates.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
            return Err("--rates: every rate must be a positive number".into());
        }
        if !(self.step_seconds.is_finite() && self.step_seconds > 0.0 && self.step_seconds <= 60.0)
        {
            return Err("--step-seconds: must be in (0, 60]".into());
        }
        if !(self.lag_target_us.is_finite() && self.lag_target_us > 0.0) {
            return Err("--lag-target-us: must be a positive number".into());
        }
        let client_threads = match self.client_threads {
            Some(n) => crate::config::check_client_threads(n)
                .map_err(|e| format!("--client-threads: {e}"))?,
            None => CalibrateOptions::default().client_threads,
        };
        let mut rates = self.rates.clone();
        rates.sort_by(f64::total_cmp);
        let defaults = CalibrateOptions::default();
        Ok(CalibrateOptions {
            rates,
            step: Duration::from_secs_f64(self.step_seconds),
            lag_target: Duration::from_secs_f64(self.lag_target_us / 1e6),
            client_threads,
            ..defaults
        })
    }
}

/// Runs `gauntlet calibrate`.
pub fn run(args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    let opts = args.options().map_err(anyhow::Error::msg)?;
    let result = calibrate(&opts)?;
    // The figures are written to --output even when stdout is closed.
    let printed = super::stdout::print(&format!("{result}\n"));
    if let Some(path) = &args.output {
        let json = serde_json::to_vec_pretty(&result)?;
        crate::atomic_file::write_bytes(path, &json)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    printed?;
    Ok(ExitCode::SUCCESS)
}
