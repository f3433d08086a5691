//! One thread per Prometheus endpoint: GET every interval, parse, stamp with the run's
//! monotonic clock, keep in an [`EndpointLog`]. Phase boundaries ask for an extra scrape so
//! the window's deltas start and end exactly at the phases.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::expo;
use super::http_get::{self, HttpTarget};
use super::store::EndpointLog;
use crate::clock::now_ns;

enum Command {
    /// Scrape now (pinned) and say when done.
    Boundary(Sender<()>),
    /// Scrape once more and end.
    Stop,
}

/// A running scraper; [`Scraper::stop`] returns what it collected.
#[derive(Debug)]
pub struct Scraper {
    url: String,
    commands: Sender<Command>,
    thread: Option<JoinHandle<EndpointLog>>,
    /// The newest scrape's gauges, for a live view.
    latest: LatestGauges,
}

/// The gauges of an endpoint's newest scrape, replaced after each one (`--ui-type dashboard`).
pub type LatestGauges = Arc<Mutex<Vec<(String, f64)>>>;

/// Gauges a live view is given per endpoint at most.
const LIVE_GAUGES: usize = 12;

impl Scraper {
    /// Starts scraping `url` every `interval` (each GET may take at most `interval`), keeping
    /// at most `cap` scrapes; an `https://` URL is spoken with `tls`. Fails only for a URL it
    /// cannot speak to or a thread it cannot start.
    pub fn start(
        url: &str,
        interval: Duration,
        cap: usize,
        tls: Option<&std::sync::Arc<rustls::ClientConfig>>,
    ) -> Result<Self, String> {
        let target = HttpTarget::parse_with_tls(url, tls)?;
        let (commands, rx) = mpsc::channel();
        let mut log = EndpointLog::new(url, cap);
        let latest = LatestGauges::default();
        let live = latest.clone();
        let thread = std::thread::Builder::new()
            .name("gauntlet-scrape".into())
            .spawn(move || {
                scrape_loop(&target, interval, &rx, &mut log, &live);
                log
            })
            .map_err(|e| format!("cannot start the scraper thread: {e}"))?;
        Ok(Self {
            url: url.to_owned(),
            commands,
            thread: Some(thread),
            latest,
        })
    }

    /// The newest scrape's gauges, kept up to date by the scraper thread.
    pub fn latest(&self) -> LatestGauges {
        self.latest.clone()
    }

    /// The URL scraped.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Asks for a pinned scrape now; the receiver hears when it is done.
    pub fn boundary(&self) -> Receiver<()> {
        let (tx, rx) = mpsc::channel();
        let _ = self.commands.send(Command::Boundary(tx));
        rx
    }

    /// Takes a last scrape, ends the thread and returns the log.
    pub fn stop(mut self) -> EndpointLog {
        let _ = self.commands.send(Command::Stop);
        let url = self.url.clone();
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_else(|| EndpointLog::new(&url, 16))
    }
}

fn scrape_loop(
    target: &HttpTarget,
    interval: Duration,
    commands: &Receiver<Command>,
    log: &mut EndpointLog,
    live: &LatestGauges,
) {
    let interval_ns = interval.as_nanos() as u64;
    let mut next = now_ns();
    loop {
        let now = now_ns();
        if now >= next {
            scrape_once(target, interval, log, false, live);
            // Skip missed ticks instead of bursting to catch up.
            next = next.max(now) + interval_ns;
        }
        // Commands are read after every scrape: a server that never answers makes each scrape
        // last its whole timeout (one interval), and skipping this would never see Stop.
        let wait = next.saturating_sub(now_ns());
        match commands.recv_timeout(Duration::from_nanos(wait)) {
            Ok(Command::Boundary(done)) => {
                scrape_once(target, interval, log, true, live);
                let _ = done.send(());
            }
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => {
                scrape_once(target, interval, log, true, live);
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

fn scrape_once(
    target: &HttpTarget,
    timeout: Duration,
    log: &mut EndpointLog,
    pinned: bool,
    live: &LatestGauges,
) {
    let ts_ns = now_ns();
    log.fetches += 1;
    let result = http_get::get(target, timeout)
        .and_then(|body| expo::parse(&body).map_err(|e| format!("not Prometheus text: {e}")));
    match result {
        Ok(expo) => {
            log.fetch_ns_total += now_ns().saturating_sub(ts_ns);
            log.ingest(ts_ns, &expo, pinned);
            if let Ok(mut latest) = live.lock() {
                *latest = log.latest_gauges(LIVE_GAUGES);
            }
        }
        Err(e) => {
            log.failures += 1;
            log.last_error = Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_counts_failures_with_the_reason() {
        let closed = format!("127.0.0.1:{}", crate::test_support::closed_port());
        let s = Scraper::start(
            &format!("http://{closed}/metrics"),
            Duration::from_millis(20),
            100,
            None,
        )
        .unwrap();
        s.boundary().recv_timeout(Duration::from_secs(5)).unwrap();
        let log = s.stop();
        assert!(log.failures >= 3, "{}", log.failures);
        assert_eq!(log.failures, log.fetches);
        assert!(log.scrapes.is_empty());
        assert!(log.last_error.unwrap().to_lowercase().contains("refused"));
    }

    #[test]
    fn https_without_a_tls_configuration_is_refused_up_front() {
        let err =
            Scraper::start("https://x/metrics", Duration::from_millis(20), 10, None).unwrap_err();
        assert!(err.contains("TLS configuration"), "{err}");
    }
}
