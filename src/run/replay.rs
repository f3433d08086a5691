//! `--fixed-schedule`: when each request (or session) of a trace leaves, relative to the
//! start of the profiling phase.

use crate::config::{FixedSchedule, Phase, PhaseKind, StopRule};
use crate::dataset::Workload;

const NS_PER_MS: f64 = 1_000_000.0;

/// Why a workload cannot be replayed on its timestamps.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A request has no timestamp to be sent at.
    #[error(
        "--fixed-schedule needs a timestamp on every request; {what} (session {session}) has none"
    )]
    MissingTimestamp {
        /// Which entry or session.
        what: String,
        /// Its session id.
        session: String,
    },
    /// The offsets leave nothing to send.
    #[error("--fixed-schedule: no request has a timestamp inside the window {window}")]
    EmptyWindow {
        /// The window as given.
        window: String,
    },
    /// The speed-up is not a positive number.
    #[error("--fixed-schedule-speedup must be a positive number, got {0}")]
    Speedup(f64),
}

/// `(entry, ns after the phase start)` for each kept request in time order; for a multi-turn
/// workload the entries are sessions, released at their first turn's timestamp.
pub fn release_times(
    workload: &Workload,
    schedule: &FixedSchedule,
) -> Result<Vec<(u64, u64)>, ReplayError> {
    if !(schedule.speedup.is_finite() && schedule.speedup > 0.0) {
        return Err(ReplayError::Speedup(schedule.speedup));
    }
    let mut stamped = Vec::new();
    if workload.is_multi_turn() {
        for (i, span) in workload.sessions.iter().enumerate() {
            let first = &workload.entries[span.first as usize];
            let ts = first
                .timestamp_ms
                .ok_or_else(|| ReplayError::MissingTimestamp {
                    what: format!("the first turn of session {i}"),
                    session: first.session_id.clone(),
                })?;
            stamped.push((i as u64, ts));
        }
    } else {
        for (i, entry) in workload.entries.iter().enumerate() {
            let ts = entry
                .timestamp_ms
                .ok_or_else(|| ReplayError::MissingTimestamp {
                    what: format!("request {i}"),
                    session: entry.session_id.clone(),
                })?;
            stamped.push((i as u64, ts));
        }
    }
    // Stable: requests with equal timestamps keep their file order.
    stamped.sort_by_key(|&(_, ts)| ts);
    let lo = schedule.start_offset_ms.unwrap_or(0);
    let hi = schedule.end_offset_ms.unwrap_or(u64::MAX);
    stamped.retain(|&(_, ts)| ts >= lo && ts <= hi);
    let Some(&(_, first_ts)) = stamped.first() else {
        return Err(ReplayError::EmptyWindow {
            window: format!(
                "[{lo}, {}] ms",
                schedule
                    .end_offset_ms
                    .map_or("end".to_string(), |e| e.to_string())
            ),
        });
    };
    let base = if schedule.auto_offset { first_ts } else { lo };
    Ok(stamped
        .into_iter()
        .map(|(entry, ts)| {
            let offset = (ts - base) as f64 * NS_PER_MS / schedule.speedup;
            (entry, offset as u64)
        })
        .collect())
}

/// The phases with every profiling phase stopping at `stop`: the replayed trace, or the
/// dataset once.
pub fn replay_phases(phases: &[Phase], stop: StopRule) -> Vec<Phase> {
    phases
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if p.kind == PhaseKind::Profiling {
                p.stop = stop;
            }
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::WorkloadEntry;

    fn trace(stamps: &[Option<u64>]) -> Workload {
        Workload::single_turn(
            stamps
                .iter()
                .enumerate()
                .map(|(i, &ts)| {
                    let mut e = WorkloadEntry::single(format!("s{i}"), "p".into(), 1, None);
                    e.timestamp_ms = ts;
                    e
                })
                .collect(),
        )
    }

    fn schedule() -> FixedSchedule {
        FixedSchedule {
            start_offset_ms: None,
            end_offset_ms: None,
            auto_offset: false,
            speedup: 1.0,
        }
    }

    #[test]
    fn times_follow_the_trace_sorted_and_scaled() {
        let w = trace(&[Some(500), Some(0), Some(1_000), Some(500)]);
        assert_eq!(
            release_times(&w, &schedule()).unwrap(),
            vec![
                (1, 0),
                (0, 500_000_000),
                (3, 500_000_000),
                (2, 1_000_000_000)
            ]
        );
        let fast = FixedSchedule {
            speedup: 2.0,
            ..schedule()
        };
        assert_eq!(release_times(&w, &fast).unwrap()[3], (2, 500_000_000));
    }

    #[test]
    fn offsets_cut_the_window_and_auto_offset_starts_at_the_first_kept() {
        let w = trace(&[Some(100), Some(200), Some(300), Some(400)]);
        let window = FixedSchedule {
            start_offset_ms: Some(150),
            end_offset_ms: Some(300),
            ..schedule()
        };
        assert_eq!(
            release_times(&w, &window).unwrap(),
            vec![(1, 50_000_000), (2, 150_000_000)]
        );
        let auto = FixedSchedule {
            auto_offset: true,
            ..window
        };
        assert_eq!(release_times(&w, &auto).unwrap()[0], (1, 0));
        let empty = FixedSchedule {
            start_offset_ms: Some(1_000),
            ..schedule()
        };
        let err = release_times(&w, &empty).unwrap_err().to_string();
        assert!(err.contains("[1000, end] ms"), "{err}");
    }

    #[test]
    fn a_missing_timestamp_is_named() {
        let err = release_times(&trace(&[Some(1), None]), &schedule())
            .unwrap_err()
            .to_string();
        assert!(err.contains("request 1 (session s1)"), "{err}");
    }
}
