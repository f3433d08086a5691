//! `wrap_mode`: which template fills each session slot, and how far its times move.
//!
//! Pass 0 is the trace in file order. Every later pass is a fresh permutation drawn from the
//! `("trace_wrap", pass)` stream, so it depends only on the seed and the pass number. Slot `k`
//! of pass `p` starts where session `k` of the trace started, plus `p` trace periods: the
//! arrival pattern repeats and time keeps increasing, while which session arrives in each slot
//! changes from pass to pass.

use rand::seq::SliceRandom;

use super::{FlavorOptions, Trace};
use crate::rng::RngRoot;

/// One session of the output: which template, on which pass, with what time shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placement {
    /// Index into [`Trace::sessions`].
    pub template: usize,
    /// 0 for the trace as written; 1, 2, … for the loops.
    pub pass: u32,
    /// Added to every trace time of the template's turns.
    pub shift_ms: f64,
}

/// The output sessions, in order.
pub(crate) fn plan(trace: &Trace, opts: &FlavorOptions, root: &RngRoot) -> Vec<Placement> {
    let n = trace.sessions.len();
    let total = match (opts.wrap, opts.target_sessions) {
        (true, Some(target)) => target as usize,
        _ => n,
    };
    let starts: Vec<f64> = trace
        .sessions
        .iter()
        .map(|s| {
            s.turns
                .iter()
                .filter_map(|t| t.timestamp_ms)
                .fold(f64::INFINITY, f64::min)
        })
        .map(|start| if start.is_finite() { start } else { 0.0 })
        .collect();
    let period = period_ms(&trace.sessions, &starts);
    let mut placements = Vec::with_capacity(total);
    let mut pass = 0u32;
    while placements.len() < total && n > 0 {
        let mut order: Vec<usize> = (0..n).collect();
        if pass > 0 {
            order.shuffle(&mut root.stream("trace_wrap", u64::from(pass)));
        }
        for (slot, &template) in order.iter().enumerate().take(total - placements.len()) {
            placements.push(Placement {
                template,
                pass,
                shift_ms: starts[slot] + f64::from(pass) * period - starts[template],
            });
        }
        pass += 1;
    }
    placements
}

/// How far one pass moves time: from the first arrival to the last trace time, plus the mean
/// gap between session starts, so a pass boundary looks like any other arrival (at least 1 ms,
/// so a trace with a single time still moves forward).
fn period_ms(sessions: &[super::SessionTemplate], starts: &[f64]) -> f64 {
    let last = sessions
        .iter()
        .flat_map(|s| s.turns.iter().filter_map(|t| t.timestamp_ms))
        .fold(0.0, f64::max);
    let first = starts.iter().copied().fold(f64::INFINITY, f64::min);
    let (first, latest_start) = if first.is_finite() {
        (first, starts.iter().copied().fold(0.0, f64::max))
    } else {
        (0.0, 0.0)
    };
    let gaps = starts.len().saturating_sub(1).max(1) as f64;
    let mean_gap = (latest_start - first) / gaps;
    (last - first + mean_gap).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::turn;
    use super::super::{SessionTemplate, Trace};
    use super::*;

    fn trace(times: &[f64]) -> Trace {
        Trace {
            sessions: times
                .iter()
                .map(|&t| SessionTemplate {
                    turns: vec![turn(Some(t))],
                })
                .collect(),
            documents: Vec::new(),
            grouped: false,
        }
    }

    fn opts(wrap: bool, target: Option<u32>) -> FlavorOptions {
        FlavorOptions {
            wrap,
            target_sessions: target,
            ..FlavorOptions::default()
        }
    }

    #[test]
    fn no_wrap_is_one_pass_in_file_order() {
        let plan = plan(
            &trace(&[0.0, 10.0, 20.0]),
            &opts(false, Some(9)),
            &RngRoot::new(1),
        );
        let order: Vec<usize> = plan.iter().map(|p| p.template).collect();
        assert_eq!(order, vec![0, 1, 2]);
        assert!(plan.iter().all(|p| p.shift_ms == 0.0));
    }

    #[test]
    fn later_passes_are_seeded_permutations_in_the_same_time_slots() {
        let t = trace(&[0.0, 10.0, 20.0, 30.0, 40.0]);
        let a = plan(&t, &opts(true, Some(23)), &RngRoot::new(5));
        assert_eq!(a, plan(&t, &opts(true, Some(23)), &RngRoot::new(5)));
        assert_eq!(a.len(), 23);
        let pass = |p: u32| -> Vec<usize> {
            a.iter()
                .filter(|x| x.pass == p)
                .map(|x| x.template)
                .collect()
        };
        assert_eq!(pass(0), vec![0, 1, 2, 3, 4]);
        let mut sorted = pass(1);
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4], "a pass is a permutation");
        assert!((1..4).any(|p| pass(p) != pass(0)), "passes are reshuffled");
        assert_eq!(pass(4).len(), 3, "the last pass is cut to the target");
        // Period = 40 (span) + 10 (mean gap); slot k of pass p starts at 10k + 50p.
        for (i, p) in a.iter().enumerate() {
            let slot = (i % 5) as f64;
            let start = 10.0 * p.template as f64 + p.shift_ms;
            assert_eq!(start, 10.0 * slot + 50.0 * f64::from(p.pass));
        }
        let other = plan(&t, &opts(true, Some(23)), &RngRoot::new(6));
        assert_ne!(a, other, "another seed reshuffles differently");
    }

    #[test]
    fn wrap_can_also_cut_the_trace() {
        let plan = plan(
            &trace(&[0.0, 1.0, 2.0]),
            &opts(true, Some(2)),
            &RngRoot::new(1),
        );
        assert_eq!(plan.len(), 2);
    }
}
