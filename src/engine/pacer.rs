//! Waiting for an instant with microsecond precision, for open-loop schedules and think times.
//!
//! tokio's timer has millisecond resolution. The engine used to sleep the coarse part on it
//! and yield in a loop for the last 1.5 ms (a core burnt at 1,000 requests/s and above), then
//! to sleep on a clock thread of its own with `clock_nanosleep` and wake the dispatcher through
//! the runtime's scheduler: two wake-ups per request, each tens of microseconds on a VM.
//!
//! Here the wait is a `timerfd` registered with the runtime's own epoll: the kernel's
//! high-resolution timer wakes the runtime thread directly (timerfds have no timer slack), and
//! the task resumes on it. The wake-up still lands 10–50 µs after the instant on a shared VM,
//! so callers arm it [`EARLY_NS`] before the instant and yield through the rest
//! ([`yield_until`]). The open-loop dispatcher hands its ticket to the worker at that early
//! wake-up, and the worker yields until the instant, so the hop between the two tasks is
//! hidden inside the early margin too.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::clock::now_ns;

/// How long before an instant the timer fires; the rest is yielded through on the runtime.
/// From credit-to-start measurements on the 2-core VM at 10,000 requests/s (docs/performance.md):
/// with a 30 µs margin the median request went out ~20 µs late, with 50 µs ~5 µs late, with
/// 80 µs within 1 µs of its instant; each 10 µs of margin cost 5–8 µs of CPU per request.
pub(crate) const EARLY_NS: u64 = 80_000;

/// A one-shot high-resolution timer on the runtime's epoll. Reusable: each [`Timer::wake_at`]
/// re-arms it.
pub(crate) struct Timer {
    fd: AsyncFd<TimerFd>,
}

/// The timer's file descriptor; `AsyncFd` needs a type that owns it.
struct TimerFd(OwnedFd);

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}

impl Timer {
    /// A new timer; must be called on a tokio runtime with I/O enabled.
    pub(crate) fn new() -> io::Result<Self> {
        // SAFETY: plain syscall with valid flags; the descriptor is owned right below.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = TimerFd(unsafe { OwnedFd::from_raw_fd(raw) });
        // SAFETY: `TimerFd` owns the descriptor and always returns it; it stays open until the
        // `AsyncFd`, which owns the `TimerFd`, is dropped.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }?;
        Ok(Self { fd })
    }

    /// Returns at or after the monotonic instant `at_ns` (at once when it has passed).
    pub(crate) async fn wake_at(&self, at_ns: u64) -> io::Result<()> {
        if at_ns <= now_ns() {
            return Ok(());
        }
        let raw = self.fd.as_raw_fd();
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: (at_ns / 1_000_000_000) as libc::time_t,
                tv_nsec: (at_ns % 1_000_000_000) as libc::c_long,
            },
        };
        // SAFETY: a valid timerfd and itimerspec; the old value is not wanted (null).
        let armed = unsafe {
            libc::timerfd_settime(raw, libc::TFD_TIMER_ABSTIME, &spec, std::ptr::null_mut())
        };
        if armed < 0 {
            return Err(io::Error::last_os_error());
        }
        loop {
            let mut ready = self.fd.readable().await?;
            let mut expirations = 0u64;
            // SAFETY: reads at most 8 bytes into a u64 we own.
            let read = unsafe {
                libc::read(
                    raw,
                    (&mut expirations as *mut u64).cast::<libc::c_void>(),
                    std::mem::size_of::<u64>(),
                )
            };
            if read == std::mem::size_of::<u64>() as isize {
                return Ok(());
            }
            // Readiness left over from an earlier arming, or a spurious wake-up.
            ready.clear_ready();
            if now_ns() >= at_ns {
                return Ok(());
            }
        }
    }
}

/// Yields on the runtime until the monotonic instant `due_ns`: for the last microseconds
/// before an instant, after a [`Timer`] fired early.
pub(crate) async fn yield_until(due_ns: u64) {
    while now_ns() < due_ns {
        tokio::task::yield_now().await;
    }
}

/// Sleeps until a monotonic instant with a one-off [`Timer`] for all but the last
/// [`EARLY_NS`]. Without a timerfd (descriptors exhausted) it falls back to tokio's
/// millisecond timer plus yielding.
pub(crate) async fn sleep_until_ns(due_ns: u64) {
    let now = now_ns();
    if due_ns <= now {
        return;
    }
    let wait = due_ns - now;
    if wait > EARLY_NS {
        let precise = match Timer::new() {
            Ok(timer) => timer.wake_at(due_ns - EARLY_NS).await.is_ok(),
            Err(_) => false,
        };
        if !precise && wait > 2_000_000 {
            tokio::time::sleep(Duration::from_nanos(wait - 1_500_000)).await;
        }
    }
    yield_until(due_ns).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_at_or_after_each_instant_in_order() {
        let timer = Timer::new().expect("timerfd");
        let start = now_ns();
        for k in 1..=20u64 {
            let due = start + k * 500_000;
            timer.wake_at(due).await.unwrap();
            // Never early; how late is the machine's business (timings are not asserted).
            assert!(now_ns() >= due);
        }
        // A passed instant returns at once, and the timer still works after it.
        timer.wake_at(start).await.unwrap();
        let due = now_ns() + 200_000;
        timer.wake_at(due).await.unwrap();
        assert!(now_ns() >= due);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sleep_until_is_never_early_on_either_side_of_the_margin() {
        for wait in [0, 10_000, EARLY_NS - 1, EARLY_NS + 1, 3_000_000] {
            let due = now_ns() + wait;
            sleep_until_ns(due).await;
            assert!(now_ns() >= due, "woke early for a {wait} ns wait");
        }
    }

    #[tokio::test]
    async fn a_dropped_wait_leaves_the_timer_usable() {
        let timer = Timer::new().expect("timerfd");
        let far = now_ns() + 10_000_000_000;
        // Abandon a long wait, as a cancelled phase does.
        let abandoned = tokio::time::timeout(Duration::from_millis(5), timer.wake_at(far)).await;
        assert!(abandoned.is_err());
        let due = now_ns() + 300_000;
        timer.wake_at(due).await.unwrap();
        assert!(now_ns() >= due);
    }
}
