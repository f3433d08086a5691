//! One benchmark from several processes (`--worker-count`, `--worker-index`, `--start-at`):
//! which share of the global schedule a worker keeps, and the instant all workers begin.
//!
//! Every worker builds the same workload and draws the same arrival sequence; ticket `n`
//! (a request, or a whole session) belongs to worker `n % count`. The share is plain
//! arithmetic so the engine applies it with no lock and no allocation.

/// Worker mode and the common start (flags only; not part of the resolved config's JSON, so
/// every worker of a run serializes the same plan).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScaleOut {
    /// `--worker-count` / `--worker-index`: `None` = the whole schedule in this process.
    pub worker: Option<WorkerShare>,
    /// `--start-at`: the wall-clock instant the first phase begins.
    pub start_at: Option<StartAt>,
}

impl ScaleOut {
    /// The share of the schedule this process sends (the whole of it outside worker mode).
    pub fn share(&self) -> WorkerShare {
        self.worker.unwrap_or_default()
    }
}

/// This process's place among the workers of one run (`index` of `count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct WorkerShare {
    /// How many workers run the plan.
    pub count: u32,
    /// This worker, `0..count`.
    pub index: u32,
}

impl Default for WorkerShare {
    /// The whole schedule: one process, no worker mode.
    fn default() -> Self {
        Self { count: 1, index: 0 }
    }
}

impl WorkerShare {
    /// Whether this is a worker of several (not the whole schedule).
    pub fn is_partial(&self) -> bool {
        self.count > 1
    }

    /// Whether ticket `n` (0-based within its phase) is this worker's.
    #[inline]
    pub fn owns(&self, n: u64) -> bool {
        n % u64::from(self.count) == u64::from(self.index)
    }

    /// The `m`-th ticket of this worker, as a ticket number of the whole schedule.
    #[inline]
    pub fn ticket(&self, m: u64) -> u64 {
        m.saturating_mul(u64::from(self.count))
            .saturating_add(u64::from(self.index))
    }

    /// How many of tickets `0..total` are this worker's (`u64::MAX` stays unbounded).
    pub fn of(&self, total: u64) -> u64 {
        if total == u64::MAX {
            return u64::MAX;
        }
        let (count, index) = (u64::from(self.count), u64::from(self.index));
        total / count + u64::from(total % count > index)
    }

    /// This worker's slots of a closed loop of `concurrency`: `concurrency / count`, plus one
    /// for the first `concurrency % count` workers (at least one, so every worker sends).
    pub fn slots(&self, concurrency: u32) -> u32 {
        (concurrency / self.count + u32::from(concurrency % self.count > self.index)).max(1)
    }
}

/// A wall-clock instant, as Unix nanoseconds: `--start-at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StartAt {
    /// Nanoseconds since the Unix epoch.
    pub epoch_ns: u64,
}

impl StartAt {
    /// Reads Unix seconds (`1767225600`, `1767225600.25`) or an RFC 3339 instant
    /// (`2026-12-07T01:00:00Z`, `2026-12-07T02:00:00.5+01:00`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(epoch_ns) = unix_seconds_ns(text) {
            return Ok(Self { epoch_ns });
        }
        rfc3339_ns(text)
            .map(|epoch_ns| Self { epoch_ns })
            .ok_or_else(|| {
                format!(
                    "{text:?} is neither Unix seconds (1767225600.5) nor an RFC 3339 instant \
                 (2026-12-07T01:00:00Z)"
                )
            })
    }
}

/// `SECONDS[.FRACTION]` → Unix ns, digit by digit (an f64 would round a 2026 instant to
/// 256 ns); `None` unless it is plain digits.
fn unix_seconds_ns(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 11 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let mut ns = whole.parse::<u64>().ok()? * 1_000_000_000;
    for (k, c) in fraction.bytes().take(9).enumerate() {
        ns += u64::from(c - b'0') * 10u64.pow(8 - k as u32);
    }
    Some(ns)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` → Unix ns; `None` when malformed or before 1970.
fn rfc3339_ns(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let s = text.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut at = 19;
    let mut frac_ns = 0u64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let digits = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for (k, c) in b[at..at + digits].iter().enumerate().take(9) {
            frac_ns += u64::from(c - b'0') * 10u64.pow(8 - k as u32);
        }
        at += digits;
    }
    let offset_s: i64 = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if at + 6 == b.len() && b[at + 3] == b':' => {
            let (h, m) = (num(at + 1, 2)?, num(at + 4, 2)?);
            let off = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let days = crate::clock::days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_s;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(frac_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shares_of_every_worker_cover_every_ticket_once() {
        for count in 1..=5u32 {
            for total in [0u64, 1, 2, 7, 10, 11] {
                let mut seen = vec![0u32; total as usize];
                let mut shares = 0;
                for index in 0..count {
                    let w = WorkerShare { count, index };
                    let mut m = 0;
                    while w.ticket(m) < total {
                        assert!(w.owns(w.ticket(m)));
                        seen[w.ticket(m) as usize] += 1;
                        m += 1;
                    }
                    assert_eq!(w.of(total), m, "count {count} index {index} total {total}");
                    shares += w.of(total);
                }
                assert_eq!(shares, total);
                assert!(seen.iter().all(|&s| s == 1));
            }
        }
    }

    #[test]
    fn slots_split_the_concurrency() {
        let slots = |c, n| (0..n).map(move |i| WorkerShare { count: n, index: i }.slots(c));
        assert_eq!(slots(10, 3).collect::<Vec<_>>(), [4, 3, 3]);
        assert_eq!(slots(9, 3).sum::<u32>(), 9);
        // Fewer slots than workers: each still sends.
        assert_eq!(slots(2, 3).collect::<Vec<_>>(), [1, 1, 1]);
    }

    #[test]
    fn start_at_reads_unix_seconds_and_rfc3339() {
        let at = |s| StartAt::parse(s).map(|a| a.epoch_ns);
        assert_eq!(at("1767225600"), Ok(1_767_225_600_000_000_000));
        assert_eq!(at("1767225600.25"), Ok(1_767_225_600_250_000_000));
        assert_eq!(at("1796601045.942"), Ok(1_796_601_045_942_000_000));
        assert_eq!(at("2026-01-01T00:00:00Z"), Ok(1_767_225_600_000_000_000));
        assert_eq!(
            at("2026-01-01T01:00:00.5+01:00"),
            Ok(1_767_225_600_500_000_000)
        );
        assert_eq!(
            at("2025-12-31T23:30:00-00:30"),
            Ok(1_767_225_600_000_000_000)
        );
        for bad in [
            "",
            "soon",
            "-5",
            "2026-13-01T00:00:00Z",
            "2026-01-01T00:00:00",
        ] {
            assert!(at(bad).is_err(), "{bad}");
        }
    }
}
