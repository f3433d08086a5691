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

/// Epoch nanoseconds as ISO-8601 UTC with microseconds (`2026-11-23T10:26:44.368878`), the
/// form AIPerf writes its start and end times in. Labels only.
pub fn iso_utc(epoch_ns: u64) -> String {
    let secs = (epoch_ns / 1_000_000_000) as i64;
    let micros = (epoch_ns % 1_000_000_000) / 1_000;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// (year, month, day) → days since 1970-01-01, the inverse of `civil_from_days` (for
/// reading RFC 3339 instants such as `--start-at`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's civil calendar algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        use super::civil_from_days;
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_780, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(super::days_from_civil(y, m, d), days);
        }
        assert_eq!(
            super::iso_utc(1_795_454_961_123_456_789),
            "2026-11-23T17:29:21.123456"
        );
    }

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
