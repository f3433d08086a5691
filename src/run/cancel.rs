//! Stopping a run from another thread of the same process, the way Ctrl-C stops it, without
//! a signal: what a program that embeds gauntlet (`ffi/`) needs, so cancelling one run does
//! not interrupt the others in the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::signals::{Interrupt, Stopper};

/// A cancel switch for one run ([`super::run_cancellable`]). Cancelling before the run has
/// started its phases stops it as soon as it can be stopped; cancelling twice, or after the
/// run ended, changes nothing. The run then ends as a Ctrl-C would: requests stop, in-flight
/// ones are cancelled, every artifact is written marked partial, exit code 130.
#[derive(Default)]
pub struct Cancel {
    requested: AtomicBool,
    stopper: Mutex<Option<Stopper>>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("requested", &self.is_requested())
            .finish()
    }
}

impl Cancel {
    /// A switch not yet turned.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops the run (now, or as soon as it reaches the point where it can be stopped).
    pub fn cancel(&self) {
        self.requested.store(true, Ordering::SeqCst);
        let stopper = self.stopper.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stopper) = stopper.as_ref() {
            stopper.stop(Interrupt::Int);
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Hands the running run's stop handle over; a cancel that came first stops it at once.
    pub(super) fn attach(&self, stopper: Stopper) {
        let mut slot = self.stopper.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_requested() {
            stopper.stop(Interrupt::Int);
        }
        *slot = Some(stopper);
    }
}
