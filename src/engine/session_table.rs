//! The sessions of a multi-turn workload, indexed for the engine: bodies, turn links and
//! schedule offsets. Both the plain worker (which holds the table in its shared state) and
//! the session worker (which sends the turns) read it, so it sits below both.

use crate::config::SessionRouting;
use crate::dataset::{SessionSpan, TurnLinks, Workload};
use crate::payload::SessionBodies;

pub(super) const NS_PER_MS: u64 = 1_000_000;

/// Everything the engine needs to send a workload's sessions.
#[derive(Debug)]
pub struct SessionTable {
    pub(super) bodies: SessionBodies,
    pub(super) spans: Vec<SessionSpan>,
    pub(super) links: Vec<TurnLinks>,
    /// Per entry: its children's positions in the session, so finishing a turn touches only
    /// the turns waiting on it.
    pub(super) children: Vec<Vec<u16>>,
    /// Per entry: when a fixed schedule says the turn is due, in ns after its session starts.
    pub(super) schedule_offsets_ns: Vec<Option<u64>>,
    /// Turns in sessions `0..i`, cycling through the spans.
    pub(super) turns_before: Vec<u64>,
    pub(super) routing: SessionRouting,
}

impl SessionTable {
    /// Indexes `workload`'s sessions around their pre-rendered bodies.
    ///
    /// `schedule_speedup` replays trace timestamps of later turns (relative to their session's
    /// first turn) that many times faster; `None` ignores timestamps.
    pub fn new(
        bodies: SessionBodies,
        workload: &Workload,
        routing: SessionRouting,
        schedule_speedup: Option<f64>,
    ) -> Self {
        let mut turns_before = Vec::with_capacity(workload.sessions.len() + 1);
        let mut total = 0u64;
        turns_before.push(0);
        for span in &workload.sessions {
            total += u64::from(span.turns);
            turns_before.push(total);
        }
        let mut schedule_offsets_ns = vec![None; workload.entries.len()];
        if let Some(speedup) = schedule_speedup {
            for span in &workload.sessions {
                let first = span.first as usize;
                let turns = &workload.entries[first..first + span.turns as usize];
                let Some(start) = turns[0].timestamp_ms else {
                    continue;
                };
                for (k, turn) in turns.iter().enumerate() {
                    schedule_offsets_ns[first + k] = turn.timestamp_ms.map(|ts| {
                        (ts.saturating_sub(start) as f64 * NS_PER_MS as f64 / speedup) as u64
                    });
                }
            }
        }
        let mut children = vec![Vec::new(); workload.entries.len()];
        for span in &workload.sessions {
            let first = span.first as usize;
            for k in 0..span.turns as usize {
                for &p in &workload.entries[first + k].turn.parents {
                    children[first + p as usize].push(k as u16);
                }
            }
        }
        Self {
            bodies,
            children,
            spans: workload.sessions.clone(),
            links: workload.entries.iter().map(|e| e.turn.clone()).collect(),
            schedule_offsets_ns,
            turns_before,
            routing,
        }
    }

    /// Number of sessions.
    pub fn sessions(&self) -> usize {
        self.spans.len()
    }

    /// [`SessionTable::turns_in`] for the tickets of `first..first + count` that `share`
    /// keeps (all of them outside worker mode).
    pub fn turns_in_share(&self, first: u64, count: u64, share: crate::config::WorkerShare) -> u64 {
        if !share.is_partial() {
            return self.turns_in(first, count);
        }
        let n = self.spans.len() as u64;
        if n == 0 {
            return 0;
        }
        (0..share.of(count))
            .map(|m| u64::from(self.spans[((first + share.ticket(m)) % n) as usize].turns))
            .sum()
    }

    /// Requests in the `count` sessions that tickets `first..first + count` start (tickets
    /// cycle through the sessions).
    pub fn turns_in(&self, first: u64, count: u64) -> u64 {
        let n = self.spans.len() as u64;
        if n == 0 || count == 0 {
            return 0;
        }
        let total = self.turns_before[n as usize];
        let upto = |k: u64| (k / n) * total + self.turns_before[(k % n) as usize];
        upto(first + count) - upto(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::WorkloadEntry;

    fn workload(turns: &[u32]) -> Workload {
        let mut entries = Vec::new();
        let mut sessions = Vec::new();
        for (s, &n) in turns.iter().enumerate() {
            sessions.push(SessionSpan {
                first: entries.len() as u32,
                turns: n,
            });
            for k in 0..n {
                let mut e = WorkloadEntry::single(format!("s{s}"), format!("t{k}"), 1, None);
                e.timestamp_ms = Some(1_000 + u64::from(k) * 10);
                entries.push(e);
            }
        }
        Workload { entries, sessions }
    }

    #[test]
    fn the_workers_shares_of_turns_add_up_to_the_whole() {
        use crate::config::WorkerShare;
        let w = workload(&[1, 2, 3, 4]);
        let t = SessionTable::new(SessionBodies::default(), &w, SessionRouting::Sticky, None);
        for (first, count) in [(0, 4), (1, 6), (3, 11)] {
            let parts: u64 = (0..3)
                .map(|index| t.turns_in_share(first, count, WorkerShare { count: 3, index }))
                .sum();
            assert_eq!(
                parts,
                t.turns_in(first, count),
                "first {first} count {count}"
            );
        }
        // Worker 1 of 3 over tickets 0..4 keeps ticket 1: the 2-turn session.
        assert_eq!(
            t.turns_in_share(0, 4, WorkerShare { count: 3, index: 1 }),
            2
        );
    }

    #[test]
    fn turns_in_counts_requests_of_cycling_sessions() {
        let w = workload(&[1, 2, 3]);
        let t = SessionTable::new(SessionBodies::default(), &w, SessionRouting::Sticky, None);
        assert_eq!(t.turns_in(0, 3), 6);
        assert_eq!(t.turns_in(1, 1), 2);
        assert_eq!(t.turns_in(2, 2), 4);
        assert_eq!(t.turns_in(0, 7), 13);
        assert_eq!(t.turns_in(5, 0), 0);
    }

    #[test]
    fn fixed_schedule_offsets_are_relative_to_the_session_start() {
        let w = workload(&[3]);
        let t = SessionTable::new(
            SessionBodies::default(),
            &w,
            SessionRouting::Sticky,
            Some(2.0),
        );
        assert_eq!(
            t.schedule_offsets_ns,
            vec![Some(0), Some(5_000_000), Some(10_000_000)]
        );
    }
}
