//! Terminating signals during a run: SIGINT (Ctrl-C), SIGTERM (`timeout`, CI runners,
//! Kubernetes) and SIGHUP (a closed terminal) all stop the run the same way — requests stop,
//! in-flight ones are cancelled, and every artifact is written, marked partial. Each exits
//! with the shell's code for its signal, 128 + its number (SIGINT 130, SIGTERM 143, SIGHUP
//! 129). More signals after the first (coreutils `timeout` can deliver SIGINT twice, to the
//! child and to its group) are acknowledged and change nothing: the run is already stopping.
//!
//! The record processor stops a run the same way when `--failed-request-threshold` is
//! reached, through a [`Stopper`]: one stop flag and one "what stopped it" for every cause.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

/// What stopped a run early: a terminating signal, or the failed-request threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM.
    Term,
    /// SIGHUP.
    Hup,
    /// `--failed-request-threshold` was reached.
    FailureThreshold,
}

impl Interrupt {
    /// The run's exit code: for a signal 128 + its number, as a shell reports a process the
    /// signal killed; [`super::exit::FAILURE_THRESHOLD`] for the threshold.
    pub fn exit_code(self) -> u8 {
        match self {
            Interrupt::Int => 130,
            Interrupt::Term => 143,
            Interrupt::Hup => 129,
            Interrupt::FailureThreshold => super::exit::FAILURE_THRESHOLD,
        }
    }

    /// The signal's (or the threshold's) name, for the console.
    pub fn name(self) -> &'static str {
        match self {
            Interrupt::Int => "SIGINT",
            Interrupt::Term => "SIGTERM",
            Interrupt::Hup => "SIGHUP",
            Interrupt::FailureThreshold => "--failed-request-threshold",
        }
    }

    fn from_exit_code(code: u8) -> Option<Self> {
        [
            Interrupt::Int,
            Interrupt::Term,
            Interrupt::Hup,
            Interrupt::FailureThreshold,
        ]
        .into_iter()
        .find(|i| i.exit_code() == code)
    }
}

/// Stops the run from outside the signal watcher (the record processor's thread), exactly
/// as the first signal does: the same stop flag, and the cause kept for the exit code unless
/// a signal came first.
#[derive(Clone)]
pub(super) struct Stopper {
    stop: Arc<watch::Sender<bool>>,
    caught: Arc<AtomicU8>,
}

impl Stopper {
    /// Stops the run for `cause`; returns whether this call was the first cause (a run
    /// already stopping keeps its first cause).
    pub fn stop(&self, cause: Interrupt) -> bool {
        let first = record_cause(&self.caught, cause);
        self.stop.send_replace(true);
        first
    }
}

/// Keeps `cause` unless one is already kept; returns whether it was kept.
fn record_cause(caught: &AtomicU8, cause: Interrupt) -> bool {
    caught
        .compare_exchange(0, cause.exit_code(), Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
}

/// Watches for terminating signals on its own thread for as long as it lives, from before
/// the workload is built until the last artifact is written: the first signal turns the
/// run's stop flag true and is kept for the exit code; later ones are acknowledged on stderr
/// and otherwise ignored, so the partial artifacts are always written.
pub(super) struct SignalWatch {
    stop: watch::Receiver<bool>,
    stop_tx: Arc<watch::Sender<bool>>,
    caught: Arc<AtomicU8>,
    quit: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SignalWatch {
    /// Starts watching. When the OS refuses (no thread, no signal handler), says so and
    /// returns a watch that never fires: a signal then ends the process the default way.
    pub fn start() -> Self {
        let (stop_tx, stop) = watch::channel(false);
        let stop_tx = Arc::new(stop_tx);
        let caught = Arc::new(AtomicU8::new(0));
        let (quit_tx, quit_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let flag = caught.clone();
        let sender = stop_tx.clone();
        let thread = std::thread::Builder::new()
            .name("gauntlet-signals".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let ready = runtime.map_err(|e| e.to_string()).and_then(|rt| {
                    let signals = rt.block_on(async { Signals::new() });
                    signals.map(|s| (rt, s)).map_err(|e| e.to_string())
                });
                let (runtime, signals) = match ready {
                    Ok(ready) => {
                        let _ = ready_tx.send(Ok(()));
                        ready
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    tokio::select! {
                        () = watch_signals(signals, sender, flag) => {}
                        _ = quit_rx => {}
                    }
                });
            });
        let started = match thread {
            Ok(thread) => match ready_rx.recv() {
                Ok(Ok(())) => Ok(thread),
                Ok(Err(e)) => Err(e),
                Err(_) => Err("the watcher thread ended".to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        let thread = match started {
            Ok(thread) => Some(thread),
            Err(e) => {
                eprintln!(
                    "warning: cannot watch for SIGINT/SIGTERM/SIGHUP ({e}); a signal ends the run without artifacts"
                );
                None
            }
        };
        Self {
            stop,
            stop_tx,
            caught,
            quit: Some(quit_tx),
            thread,
        }
    }

    /// Turns true when the first terminating signal comes.
    pub fn stop_flag(&self) -> watch::Receiver<bool> {
        self.stop.clone()
    }

    /// A handle that stops the run as a signal would (for the failed-request threshold).
    pub fn stopper(&self) -> Stopper {
        Stopper {
            stop: self.stop_tx.clone(),
            caught: self.caught.clone(),
        }
    }

    /// What stopped the run first (a signal or the threshold), if anything did.
    pub fn interrupt(&self) -> Option<Interrupt> {
        Interrupt::from_exit_code(self.caught.load(Ordering::Relaxed))
    }
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        if let Some(quit) = self.quit.take() {
            let _ = quit.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn watch_signals(
    mut signals: Signals,
    stop: Arc<watch::Sender<bool>>,
    caught: Arc<AtomicU8>,
) {
    let first = signals.next().await;
    record_cause(&caught, first);
    eprintln!(
        "\ninterrupted ({}): stopping, writing partial artifacts",
        first.name()
    );
    stop.send_replace(true);
    loop {
        let again = signals.next().await;
        eprintln!(
            "{} again: already stopping; the partial artifacts are being written",
            again.name()
        );
    }
}

#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> Interrupt {
        tokio::select! {
            _ = self.int.recv() => Interrupt::Int,
            _ = self.term.recv() => Interrupt::Term,
            _ = self.hup.recv() => Interrupt::Hup,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> Interrupt {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        Interrupt::Int
    }
}
