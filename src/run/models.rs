//! Which model each pre-rendered body names: one set of render options per `--model`, and
//! the model of each workload entry (a multi-turn session keeps one model for all its turns).

use crate::config::Plan;
use crate::dataset::Workload;
use crate::payload::RenderOptions;
use crate::rng::RngRoot;

/// The render options of each model, in `plan.models.names` order (they differ only in the
/// model).
pub(super) fn options_per_model(plan: &Plan, base: &RenderOptions) -> Vec<RenderOptions> {
    plan.models
        .names
        .iter()
        .map(|name| RenderOptions {
            model: name.clone(),
            ..base.clone()
        })
        .collect()
}

/// The model index of every workload entry: single-turn entry `i` is item `i` of the
/// selection; in a multi-turn workload every turn of session `s` is item `s`.
pub(super) fn entry_models(plan: &Plan, workload: &Workload) -> Vec<usize> {
    let root = RngRoot::new(plan.random_seed);
    let mut item: Vec<u64> = (0..workload.entries.len() as u64).collect();
    for (s, span) in workload.sessions.iter().enumerate() {
        let first = span.first as usize;
        let end = (first + span.turns as usize).min(item.len());
        for slot in item.iter_mut().take(end).skip(first) {
            *slot = s as u64;
        }
    }
    item.iter().map(|&i| plan.models.pick(i, &root)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::{flag, Settings};
    use crate::dataset::{SessionSpan, WorkloadEntry};

    fn plan(names: &[&str]) -> Plan {
        let names = names.iter().map(|n| n.to_string()).collect();
        Settings {
            model: flag("--model", Some(names)),
            ..Settings::default()
        }
        .resolve(String::new())
        .unwrap()
        .plan
    }

    fn entries(n: usize) -> Vec<WorkloadEntry> {
        (0..n)
            .map(|i| WorkloadEntry::single(format!("s{i}"), "p".into(), 1, None))
            .collect()
    }

    #[test]
    fn single_turn_entries_take_turns() {
        let w = Workload::single_turn(entries(5));
        assert_eq!(entry_models(&plan(&["a", "b"]), &w), [0, 1, 0, 1, 0]);
    }

    #[test]
    fn a_session_keeps_one_model() {
        let w = Workload {
            entries: entries(5),
            sessions: vec![
                SessionSpan { first: 0, turns: 3 },
                SessionSpan { first: 3, turns: 2 },
            ],
        };
        assert_eq!(entry_models(&plan(&["a", "b"]), &w), [0, 0, 0, 1, 1]);
    }
}
