//! `gauntlet calibrate`: the harness's own overhead on this machine, measured against the
//! in-process mock server, so a user knows how far to trust (or discount) a run.
//!
//! Four figures: what reading the clock costs; the time to the first SSE event against a
//! mock that answers at once (everything in it is harness, loopback and mock: an upper bound
//! on what the client adds to TTFT); the same round trip between two plain threads echoing
//! bytes over loopback TCP at the same rate (the machine's floor: scheduler wake-ups and the
//! network stack, no harness at all); and, at stepped open-loop rates, the achieved rate and
//! the send lag (actual send − scheduled send), giving the highest rate this machine
//! schedules with p99 lag under the target.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::now_ns;
use crate::config::{Arrival, ArrivalPattern, EndpointType, Phase, PhaseKind, ServerUrl, StopRule};
use crate::engine::client::Target;
use crate::engine::record::Outcome;
use crate::engine::sink::{self, RecordSource};
use crate::engine::{run_phase, EngineShared};
use crate::mock::{MockConfig, MockServer};
use crate::payload::{render_body, PayloadArena, RenderOptions};
pub use crate::report::calibrate::{Calibration, Micros, RateStep};
use crate::rng::RngRoot;

/// What to measure.
#[derive(Debug, Clone)]
pub struct CalibrateOptions {
    /// Open-loop rates to step through, requests/s, ascending.
    pub rates: Vec<f64>,
    /// How long each rate step lasts.
    pub step: Duration,
    /// The send-lag p99 a rate must stay under to count as held.
    pub lag_target: Duration,
    /// Rate of the time-to-first-event measurement.
    pub ttft_rate: f64,
    /// Requests of the time-to-first-event measurement.
    pub ttft_requests: u64,
    /// Threads of the client runtime.
    pub client_threads: usize,
}

impl Default for CalibrateOptions {
    fn default() -> Self {
        Self {
            rates: vec![1_000.0, 2_000.0, 5_000.0, 10_000.0, 20_000.0, 40_000.0],
            step: Duration::from_secs(1),
            lag_target: Duration::from_micros(100),
            ttft_rate: 1_000.0,
            ttft_requests: 2_000,
            client_threads: crate::config::default_client_threads(),
        }
    }
}

// The type and its text live in `report::calibrate`; computing it stays with the measurement.
impl Micros {
    fn of(mut ns: Vec<u64>) -> Self {
        if ns.is_empty() {
            return Self::default();
        }
        ns.sort_unstable();
        let at = |q: f64| ns[((ns.len() - 1) as f64 * q).round() as usize] as f64 / 1_000.0;
        Self {
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

/// Why calibration could not run.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The mock server or the client runtime could not start.
    #[error("calibrate: {0}")]
    Start(String),
}

fn start_err(e: impl std::fmt::Display) -> CalibrateError {
    CalibrateError::Start(e.to_string())
}

/// Runs the calibration (a few seconds) and returns the figures.
pub fn calibrate(opts: &CalibrateOptions) -> Result<Calibration, CalibrateError> {
    let clock_read_ns = clock_read_cost();
    let loopback_floor_us =
        loopback_floor(opts.ttft_rate, opts.ttft_requests.min(1_000)).map_err(start_err)?;
    let mock = MockServer::start(MockConfig::default()).map_err(start_err)?;
    let url = ServerUrl::parse(&mock.url()).map_err(start_err)?;
    let render = RenderOptions {
        model: "mock-model".into(),
        endpoint: EndpointType::Chat,
        streaming: true,
        extra_inputs: Vec::new(),
        output_length: Default::default(),
    };
    let prompt = "calibrate ".repeat(50);
    let arena = PayloadArena::build([render_body(&render, &prompt, Some(16))], 1024);
    let target = Target::new(
        &url,
        EndpointType::Chat,
        EndpointType::Chat.path(),
        true,
        None,
        &[],
    )
    .map_err(start_err)?;
    let runtime = crate::engine::client_runtime(opts.client_threads).map_err(start_err)?;
    let step = |rate: f64, requests: u64| measure(&runtime, &arena, &target, rate, requests);

    let (ttft_records, _) = step(opts.ttft_rate, opts.ttft_requests)?;
    let first_event_us = Micros::of(ttft_records.first_event_ns);

    let mut rates = Vec::new();
    let mut max_held_rps = None;
    for &rate in &opts.rates {
        let requests = (rate * opts.step.as_secs_f64()).max(1.0) as u64;
        let (stats, elapsed) = step(rate, requests)?;
        let achieved_rps = stats.sent as f64 / elapsed.as_secs_f64().max(1e-9);
        let lag = Micros::of(stats.lag_ns);
        let held = achieved_rps >= rate * 0.99 && lag.p99 < opts.lag_target.as_secs_f64() * 1e6;
        if held {
            max_held_rps = Some(rate);
        }
        rates.push(RateStep {
            target_rps: rate,
            achieved_rps,
            send_lag_us: lag,
            failed: stats.failed,
        });
        if achieved_rps < rate * 0.9 {
            // Far behind already: higher rates only take longer to say the same.
            break;
        }
    }
    runtime.shutdown_background();
    mock.shutdown();
    Ok(Calibration {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        client_threads: opts.client_threads,
        clock_read_ns,
        first_event_us,
        ttft_rate: opts.ttft_rate,
        loopback_floor_us,
        rates,
        lag_target_us: opts.lag_target.as_secs_f64() * 1e6,
        max_held_rps,
    })
}

/// Average cost of `now_ns()` over a million reads.
fn clock_read_cost() -> f64 {
    const READS: u64 = 1_000_000;
    let start = now_ns();
    let mut sink = 0u64;
    for _ in 0..READS {
        sink = sink.wrapping_add(now_ns());
    }
    let end = now_ns();
    std::hint::black_box(sink);
    (end - start) as f64 / READS as f64
}

/// Bytes of the floor's request and reply: a typical chat request and its first SSE event.
const FLOOR_REQUEST_BYTES: usize = 600;
const FLOOR_REPLY_BYTES: usize = 300;

/// Round trips between this thread and an echo thread over loopback TCP, paced at `rate` so
/// both threads sleep between requests as a run's threads do.
fn loopback_floor(rate: f64, requests: u64) -> std::io::Result<Micros> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let echo = std::thread::Builder::new()
        .name("gauntlet-floor".into())
        .spawn(move || -> std::io::Result<()> {
            let (mut conn, _) = listener.accept()?;
            conn.set_nodelay(true)?;
            let mut request = [0u8; FLOOR_REQUEST_BYTES];
            let reply = [b'r'; FLOOR_REPLY_BYTES];
            while conn.read_exact(&mut request).is_ok() {
                conn.write_all(&reply)?;
            }
            Ok(())
        })?;
    let mut conn = std::net::TcpStream::connect(addr)?;
    conn.set_nodelay(true)?;
    let request = [b'q'; FLOOR_REQUEST_BYTES];
    let mut reply = [0u8; FLOOR_REPLY_BYTES];
    let gap = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let mut round_trips = Vec::with_capacity(requests as usize);
    for _ in 0..requests {
        std::thread::sleep(gap);
        let start = now_ns();
        conn.write_all(&request)?;
        conn.read_exact(&mut reply)?;
        round_trips.push(now_ns() - start);
    }
    drop(conn);
    echo.join()
        .map_err(|_| std::io::Error::other("the echo thread panicked"))??;
    Ok(Micros::of(round_trips))
}

#[derive(Default)]
struct StepStats {
    sent: u64,
    failed: u64,
    lag_ns: Vec<u64>,
    first_event_ns: Vec<u64>,
}

/// One open-loop phase of `requests` at `rate` (constant gaps), its records drained on a
/// thread so the engine never waits on the hand-off.
fn measure(
    runtime: &tokio::runtime::Runtime,
    arena: &PayloadArena,
    target: &Target,
    rate: f64,
    requests: u64,
) -> Result<(StepStats, Duration), CalibrateError> {
    let (sink, source) = sink::channel(8_192);
    let drain = std::thread::Builder::new()
        .name("gauntlet-calibrate".into())
        .spawn(move || drain_records(source))
        .map_err(start_err)?;
    let shared = Arc::new(EngineShared {
        arena: arena.clone(),
        stream: None,
        targets: vec![target.clone()],
        streaming: true,
        timeout: Duration::from_secs(10),
        max_response_bytes: crate::config::defaults::DEFAULT_MAX_RESPONSE_BYTES,
        sink,
        sent: Default::default(),
        sessions: None,
        next_request: Default::default(),
        fixed_schedule: None,
        cancellation: None,
        video_job: None,
        share: Default::default(),
        start_at_ns: Default::default(),
        users: None,
    });
    let phase = Phase {
        name: "calibrate".into(),
        kind: PhaseKind::Profiling,
        arrival: Arrival {
            concurrency: None,
            request_rate: Some(rate),
            pattern: ArrivalPattern::Constant,
        },
        stop: StopRule::Count { requests },
        controls: Default::default(),
        shape: Default::default(),
    };
    let (_stop_tx, stop_rx) = watch::channel(false);
    let started = now_ns();
    runtime
        .block_on(run_phase(shared, &phase, 0, 0, &RngRoot::new(0), stop_rx))
        .map_err(start_err)?;
    let stats = drain
        .join()
        .map_err(|_| start_err("the record drain thread panicked"))?;
    let elapsed = Duration::from_nanos(stats.1.saturating_sub(started).max(1));
    Ok((stats.0, elapsed))
}

/// Collects lags and first-event times until every sender is gone; also returns the last
/// send time, so the achieved rate covers the sending span only.
fn drain_records(source: RecordSource) -> (StepStats, u64) {
    let mut stats = StepStats::default();
    let mut last_sent = 0u64;
    while let Some(record) = source.next() {
        if record.sent_ns > 0 {
            stats.sent += 1;
            stats
                .lag_ns
                .push(record.sent_ns.saturating_sub(record.scheduled_ns));
            last_sent = last_sent.max(record.sent_ns);
            if let Some(first) = record.events.first() {
                stats
                    .first_event_ns
                    .push(first.ts_ns.saturating_sub(record.sent_ns));
            }
        }
        if record.outcome != Outcome::Success {
            stats.failed += 1;
        }
        source.recycle(record);
    }
    (stats, last_sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_values() {
        let m = Micros::of((1..=100).map(|i| i * 1_000).collect());
        assert_eq!(m.p50, 51.0);
        assert_eq!(m.p99, 99.0);
        assert_eq!(m.max, 100.0);
        assert_eq!(Micros::of(Vec::new()), Micros::default());
    }

    #[test]
    fn a_short_calibration_measures_every_part() {
        let opts = CalibrateOptions {
            rates: vec![200.0, 400.0],
            step: Duration::from_millis(100),
            ttft_requests: 50,
            ttft_rate: 500.0,
            client_threads: 1,
            ..CalibrateOptions::default()
        };
        let c = calibrate(&opts).unwrap();
        assert!(c.clock_read_ns > 0.0);
        assert!(c.first_event_us.p50 > 0.0 && c.first_event_us.p50 <= c.first_event_us.p99);
        let floor = c.loopback_floor_us;
        assert!(floor.p50 > 0.0 && floor.p50 <= floor.p99 && floor.p99 <= floor.max);
        assert_eq!(c.rates.len(), 2);
        for step in &c.rates {
            assert_eq!(step.failed, 0);
            assert!(step.achieved_rps > 0.0);
        }
        let text = c.to_string();
        assert!(
            text.contains("first SSE event")
                && text.contains("loopback floor")
                && text.contains("lag p99"),
            "{text}"
        );
        let json = serde_json::to_value(&c).unwrap();
        assert!(json["rates"][0]["send_lag_us"]["p99"].is_number());
    }
}
