//! The figures of `gauntlet calibrate` (and `profile --calibrate`): what they are, their
//! text and, through serde, `calibration.json`. `run::calibrate` measures them.

/// Percentiles of a set of durations, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Micros {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// One open-loop rate step.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RateStep {
    /// Rate asked for, requests/s.
    pub target_rps: f64,
    /// Requests sent per second of the step.
    pub achieved_rps: f64,
    /// Send lag.
    pub send_lag_us: Micros,
    /// Requests that failed (the mock never fails: anything here is the harness's).
    pub failed: u64,
}

/// The calibration result, printed and written as `calibration.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Calibration {
    /// Cores the machine offers.
    pub cores: usize,
    /// Client runtime threads used.
    pub client_threads: usize,
    /// Cost of one monotonic clock read.
    pub clock_read_ns: f64,
    /// Time from writing a request to the first SSE event, against a mock that answers at
    /// once, at `ttft_rate`.
    pub first_event_us: Micros,
    /// The rate of that measurement.
    pub ttft_rate: f64,
    /// Round trip of a request-sized write and a reply between two blocking threads over
    /// loopback TCP at `ttft_rate`: what this machine costs before any harness.
    pub loopback_floor_us: Micros,
    /// Each rate step.
    pub rates: Vec<RateStep>,
    /// p99 send-lag target.
    pub lag_target_us: f64,
    /// Highest rate whose achieved rate was within 1 % and p99 lag under the target.
    pub max_held_rps: Option<f64>,
}

impl std::fmt::Display for Calibration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "gauntlet calibrate: {} cores, {} client threads, in-process mock server",
            self.cores, self.client_threads
        )?;
        writeln!(f, "  clock read:          {:.1} ns", self.clock_read_ns)?;
        writeln!(
            f,
            "  first SSE event:     p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs at {} requests/s \
             (the mock answers at once: this is what the harness, loopback and mock add to TTFT)",
            self.first_event_us.p50,
            self.first_event_us.p99,
            self.first_event_us.max,
            self.ttft_rate
        )?;
        writeln!(
            f,
            "  loopback floor:      p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs (two plain threads \
             echoing over loopback TCP at the same rate: the machine's part of the figure above)",
            self.loopback_floor_us.p50, self.loopback_floor_us.p99, self.loopback_floor_us.max
        )?;
        writeln!(f, "  open loop (constant gaps):")?;
        writeln!(
            f,
            "    {:>10}  {:>10}  {:>12}  {:>12}",
            "target/s", "achieved/s", "lag p50 µs", "lag p99 µs"
        )?;
        for r in &self.rates {
            writeln!(
                f,
                "    {:>10.0}  {:>10.0}  {:>12.1}  {:>12.1}",
                r.target_rps, r.achieved_rps, r.send_lag_us.p50, r.send_lag_us.p99
            )?;
        }
        match self.max_held_rps {
            Some(rate) => write!(
                f,
                "  highest rate held (within 1 %, p99 send lag < {:.0} µs): {rate:.0} requests/s",
                self.lag_target_us
            ),
            None => write!(
                f,
                "  no rate tried was held within 1 % with p99 send lag < {:.0} µs",
                self.lag_target_us
            ),
        }
    }
}
