//! What a run shows while it runs (`--ui-type`): the progress line, the full-screen dashboard,
//! or nothing. Both views are fed from the record processor thread, which keeps the live
//! figures ([`LiveStats`]) and refreshes the views every [`REFRESH`]; the request loop is
//! never involved.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::metrics::live::{LiveFeed, LiveStats};
use crate::metrics::RequestMetrics;

/// How often the progress line and the dashboard are refreshed.
pub const REFRESH: Duration = Duration::from_millis(250);

/// AIPerf's `--ui-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UiType {
    /// A full-screen terminal dashboard (on stderr).
    Dashboard,
    /// The one-line progress bar (on stderr, when it is a terminal).
    #[default]
    Simple,
    /// Nothing while the run runs.
    None,
}

/// The process's UI, chosen once by the command line (a property of the terminal the process
/// runs in, not of a plan: every run of a sweep or a repeat series shows the same).
static UI: AtomicU8 = AtomicU8::new(1);

/// Sets the UI for the runs this process makes.
pub fn set_ui(ui: UiType) {
    let code = match ui {
        UiType::Dashboard => 0,
        UiType::Simple => 1,
        UiType::None => 2,
    };
    UI.store(code, Ordering::Relaxed);
}

/// The UI the runs of this process show.
pub fn ui() -> UiType {
    match UI.load(Ordering::Relaxed) {
        0 => UiType::Dashboard,
        2 => UiType::None,
        _ => UiType::Simple,
    }
}

/// The live views one run feeds from its record processor thread.
pub(super) struct LiveViews {
    stats: LiveStats,
    bar: indicatif::ProgressBar,
    feed: Option<LiveFeed>,
    next: Instant,
}

impl LiveViews {
    /// Views fed with the engine's `sent` count: the progress line `bar` (which may be hidden)
    /// and the dashboard's `feed`, when one is shown. `None` when neither is shown, so a run
    /// without a terminal keeps no live figures at all.
    pub(super) fn new(
        sent: Arc<AtomicU64>,
        bar: &indicatif::ProgressBar,
        feed: Option<LiveFeed>,
    ) -> Option<Self> {
        if bar.is_hidden() && feed.is_none() {
            return None;
        }
        let now = Instant::now();
        Some(Self {
            stats: LiveStats::new(sent, now),
            bar: bar.clone(),
            feed,
            next: now + REFRESH,
        })
    }

    /// When the views want their next refresh.
    pub(super) fn next_refresh(&self) -> Instant {
        self.next
    }

    /// Counts one processed request.
    pub(super) fn observe(&mut self, metrics: &RequestMetrics, now: Instant) {
        self.stats.observe(metrics, now);
    }

    /// Refreshes the views if their time has come.
    pub(super) fn tick(&mut self, now: Instant) {
        if now < self.next {
            return;
        }
        self.next = now + REFRESH;
        let snapshot = self.stats.snapshot(now);
        if !self.bar.is_hidden() {
            // The bar moves here, four times a second, not once per request.
            self.bar.set_position(snapshot.finished);
            self.bar.set_message(snapshot.progress_message());
        }
        if let Some(feed) = &self.feed {
            if let Ok(mut slot) = feed.lock() {
                *slot = Some(snapshot);
            }
        }
    }
}

/// A new, empty feed for the dashboard.
pub(super) fn new_feed() -> LiveFeed {
    Arc::new(Mutex::new(None))
}

/// Whether the dashboard can be drawn: stderr is a terminal. Says why not, once, otherwise.
pub(super) fn dashboard_possible() -> bool {
    if std::io::stderr().is_terminal() {
        return true;
    }
    eprintln!("--ui-type dashboard: stderr is not a terminal; showing plain output instead");
    false
}
