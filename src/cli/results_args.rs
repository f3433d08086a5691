//! Flags that add to the results (AIPerf's names): `--goodput` objectives and
//! `--slice-duration` time slices (docs/metrics.md).

use clap::Args;

use crate::config::ResultsSettings;

/// Goodput and time-slice flags.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Results")]
pub struct ResultsArgs {
    /// Service level objectives, AIPerf's syntax: space-separated TAG:VALUE pairs, each a
    /// per-request metric's tag and its threshold in the metric's unit (ms for latencies),
    /// e.g. "time_to_first_token:100 inter_token_latency:10 request_latency:250". A request
    /// is good when it succeeded and meets every one (at most VALUE, or at least VALUE for
    /// throughputs and counts); reported as good_request_count, goodput (good requests/sec)
    /// and good_request_fraction, and per request in profile_export.jsonl.
    #[arg(long, value_name = "\"TAG:VALUE ...\"")]
    pub goodput: Option<String>,

    /// Also report every metric per time slice of this many seconds, requests assigned by
    /// their start: profile_export_aiperf_timeslices.json and .csv.
    #[arg(long, value_name = "SECONDS")]
    pub slice_duration: Option<f64>,
}

impl ResultsArgs {
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> ResultsSettings {
        ResultsSettings {
            goodput: self.goodput.clone(),
            slice_duration: self.slice_duration,
        }
    }
}
