//! One monotonic clock for requests, scrapes and samples, in nanoseconds.
//!
//! Wall-clock time is used only to label artifacts: [`WallAnchor`] pairs one monotonic reading
//! with one wall-clock reading so monotonic stamps can be shown as epoch nanoseconds.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

static PROCESS_START_NS: OnceLock<u64> = OnceLock::new();

/// Marks the process start; the binary calls this first thing in `main`.
pub fn mark_process_start() {
    PROCESS_START_NS.get_or_init(now_ns);
}

/// Monotonic ns of [`mark_process_start`], or of the first call here when it was never marked.
pub fn process_start_ns() -> u64 {
    *PROCESS_START_NS.get_or_init(now_ns)
}

/// Nanoseconds on the monotonic clock (`CLOCK_MONOTONIC`), comparable across threads.
#[inline]
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A monotonic reading taken together with the wall clock, to label monotonic stamps.
#[derive(Debug, Clone, Copy)]
pub struct WallAnchor {
    /// Monotonic nanoseconds at the anchor.
    pub mono_ns: u64,
    /// Nanoseconds since the Unix epoch at the anchor.
    pub epoch_ns: u64,
}

impl WallAnchor {
    /// Takes an anchor now.
    pub fn now() -> Self {
        let mono_ns = now_ns();
        let epoch_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Self { mono_ns, epoch_ns }
    }

    /// Converts a monotonic stamp into epoch nanoseconds.
    pub fn to_epoch_ns(&self, mono_ns: u64) -> u64 {
        (self.epoch_ns as i128 + mono_ns as i128 - self.mono_ns as i128).max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_never_goes_back() {
        let a = now_ns();
        let b = now_ns();
        assert!(b >= a);
    }

    #[test]
    fn anchor_maps_its_own_instant_to_its_epoch() {
        let anchor = WallAnchor::now();
        assert_eq!(anchor.to_epoch_ns(anchor.mono_ns), anchor.epoch_ns);
        assert_eq!(
            anchor.to_epoch_ns(anchor.mono_ns + 1_000),
            anchor.epoch_ns + 1_000
        );
    }
}
