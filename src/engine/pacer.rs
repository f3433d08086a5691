//! The open-loop clock: a thread of its own that sleeps to each release instant with the
//! kernel's high-resolution timer and wakes the dispatcher.
//!
//! tokio's timer has millisecond resolution, so the dispatcher used to sleep the coarse part
//! and then yield in a loop for the last 1.5 ms: at 1,000 requests/s and above that loop never
//! stopped, burning a core that the server under test (sharing the machine) wanted, and a
//! yielding task still waits its turn behind every ready worker. Here the wait is
//! `clock_nanosleep(TIMER_ABSTIME)` with the thread's timer slack at 1 ns, plus a spin of the
//! last few microseconds only.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam::channel::{bounded, Sender};
use tokio::sync::Notify;

use crate::clock::now_ns;

/// Spin (rather than sleep) for the last this-many nanoseconds before an instant: a wake-up
/// from `clock_nanosleep` is ~5–20 µs late on an idle core.
const SPIN_NS: u64 = 20_000;
/// The longest single sleep, so a cancelled phase frees its thread promptly.
const MAX_SLEEP_NS: u64 = 50_000_000;

/// Wakes its owner at requested instants. Dropping it stops the thread.
pub(crate) struct Pacer {
    due: Sender<u64>,
    woken: Arc<Notify>,
    stop: Arc<AtomicBool>,
}

impl Pacer {
    /// Starts the clock thread; `None` when the thread cannot be made (the caller falls back
    /// to the runtime's timer).
    pub(crate) fn start() -> Option<Self> {
        let (due, instants) = bounded::<u64>(1);
        let woken = Arc::new(Notify::new());
        let stop = Arc::new(AtomicBool::new(false));
        let (wake, halt) = (woken.clone(), stop.clone());
        std::thread::Builder::new()
            .name("gauntlet-pacer".into())
            .spawn(move || {
                set_fine_timer_slack();
                while let Ok(at) = instants.recv() {
                    if !sleep_until(at, &halt) {
                        return;
                    }
                    wake.notify_one();
                }
            })
            .ok()?;
        Some(Self { due, woken, stop })
    }

    /// Returns at `due_ns` (monotonic), or at once when it has passed. A wait longer than
    /// [`HAND_OFF_NS`] sleeps on the clock thread until shortly before the instant (the
    /// wake-up travels through the runtime's scheduler, which takes tens of microseconds); the
    /// rest, and every shorter wait (high rates), yields on the runtime so the dispatcher stays
    /// hot when the gaps are tens of microseconds.
    pub(crate) async fn until(&self, due_ns: u64) {
        let now = now_ns();
        if due_ns <= now {
            return;
        }
        let wait = due_ns - now;
        // Long gaps leave the runtime's threads parked, and unparking one costs tens of µs
        // on a VM; short gaps find them busy, where the dispatcher is picked up sooner.
        let early = (wait / 8).clamp(EARLY_MIN_NS, EARLY_MAX_NS);
        if wait > HAND_OFF_NS && self.due.send(due_ns - early).is_ok() {
            self.woken.notified().await;
        }
        while now_ns() < due_ns {
            tokio::task::yield_now().await;
        }
    }
}

/// Waits shorter than this are yielded through on the runtime.
const HAND_OFF_NS: u64 = 80_000;
/// The clock thread wakes the dispatcher an eighth of the wait before the instant, within
/// these bounds.
const EARLY_MIN_NS: u64 = 40_000;
const EARLY_MAX_NS: u64 = 100_000;

impl Drop for Pacer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Timer slack is how late the kernel may fire a sleeping thread's timer to batch wake-ups;
/// the default 50 µs would be the floor of the schedule's error.
fn set_fine_timer_slack() {
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and affects only this thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// Sleeps until `at` (monotonic ns): kernel sleeps of at most [`MAX_SLEEP_NS`] down to
/// [`SPIN_NS`] before it, then a spin. Returns false when `stop` was set meanwhile.
fn sleep_until(at: u64, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = now_ns();
        if now + SPIN_NS >= at {
            break;
        }
        let wake = (at - SPIN_NS).min(now + MAX_SLEEP_NS);
        let ts = libc::timespec {
            tv_sec: (wake / 1_000_000_000) as libc::time_t,
            tv_nsec: (wake % 1_000_000_000) as libc::c_long,
        };
        // SAFETY: `ts` is a valid absolute CLOCK_MONOTONIC time; a null remainder is allowed
        // with TIMER_ABSTIME. An interrupted sleep (EINTR) just loops.
        unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &ts,
                std::ptr::null_mut(),
            );
        }
    }
    while now_ns() < at {
        std::hint::spin_loop();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_at_or_after_each_instant_in_order() {
        let pacer = Pacer::start().expect("thread starts");
        let start = now_ns();
        for k in 1..=20u64 {
            let due = start + k * 500_000;
            pacer.until(due).await;
            // Never early; how late is the machine's business (timings are not asserted).
            assert!(now_ns() >= due);
        }
        // A passed instant returns at once.
        pacer.until(start).await;
    }

    #[test]
    fn a_stopped_sleep_returns_false() {
        let stop = AtomicBool::new(true);
        assert!(!sleep_until(now_ns() + 1_000_000_000, &stop));
        let go = AtomicBool::new(false);
        let due = now_ns() + 100_000;
        assert!(sleep_until(due, &go));
        assert!(now_ns() >= due);
    }
}
