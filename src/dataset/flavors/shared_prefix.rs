//! shared_prefix: sessions (`session_id`) whose first turn is made of `hash_ids` blocks (equal
//! ids give equal text in every session, so the server's prefix cache sees real sharing) and
//! whose later turns are `new_input_length` tokens of fresh corpus text, with
//! `output_length` and think time `wait_after_previous_response_s`, chained linearly.
//!
//! On every wrapped pass the hash ids are renamed, except the trace's very first id (the
//! prefix every session shares, such as a system prompt): a loop then costs the server the
//! same cache misses as the first pass instead of replaying warm blocks, as in Veeksha.

use std::collections::{BTreeSet, HashMap, HashSet};

use rand::Rng;

use super::rows::{group_by, Row};
use super::{
    check_turn_count, linear_links, required_u32, row_time_ms, seconds_as_ms, Content, FlavorError,
    FlavorOptions, SessionTemplate, Trace, TurnTemplate,
};
use crate::rng::RngRoot;

const FLAVOR: &str = "shared_prefix";
const NEEDS: &str = "session_id, hash_ids + input_length (first turn), new_input_length \
                     (later turns), output_length; optional wait_after_previous_response_s, \
                     timestamp|arrived_at";

/// Rows → one linear session per `session_id`.
pub(crate) fn parse(rows: Vec<Row>, opts: &FlavorOptions) -> Result<Trace, FlavorError> {
    let mut sessions = Vec::new();
    for (id, group) in group_by(rows, "session_id")? {
        check_turn_count(&id, &group)?;
        let turns = group
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let content = if i == 0 {
                    first_turn(row, opts)?
                } else {
                    Content::Synthetic(required_u32(row, "new_input_length", FLAVOR, NEEDS)?)
                };
                let (parents, history) = linear_links(i);
                Ok(TurnTemplate {
                    at: row.at.clone(),
                    content,
                    max_tokens: Some(required_u32(row, "output_length", FLAVOR, NEEDS)?.max(1)),
                    parents,
                    history,
                    delay_ms: seconds_as_ms(row, "wait_after_previous_response_s")?,
                    timestamp_ms: row_time_ms(row)?,
                })
            })
            .collect::<Result<_, FlavorError>>()?;
        sessions.push(SessionTemplate { turns });
    }
    Ok(Trace {
        sessions,
        documents: Vec::new(),
        grouped: true,
    })
}

fn first_turn(row: &Row, opts: &FlavorOptions) -> Result<Content, FlavorError> {
    let hash_ids = row
        .opt_u64_list("hash_ids")?
        .ok_or_else(|| FlavorError::MissingColumn {
            at: row.at.clone(),
            key: "hash_ids".to_string(),
            flavor: FLAVOR,
            needs: NEEDS,
        })?;
    let covered = u64::from(opts.block_size) * hash_ids.len() as u64;
    let input_length = match row.opt_u32("input_length")? {
        Some(n) if u64::from(n) > covered => {
            return Err(FlavorError::WrongType {
                at: row.at.clone(),
                key: "input_length".to_string(),
                expected: "at most hash_ids × block_size tokens (raise the block size?)",
                found: format!("{n} > {} × {}", hash_ids.len(), opts.block_size),
            })
        }
        Some(n) => n,
        None => u32::try_from(covered).unwrap_or(u32::MAX),
    };
    Ok(Content::Blocks {
        hash_ids,
        input_length,
    })
}

/// Per pass, how hash ids are renamed: empty for pass 0; for pass `p` every id but the
/// trace's first gets a fresh non-zero id drawn from `("shared_prefix_remap", p)` in sorted id
/// order, so the mapping depends only on the seed, the pass and the trace.
pub(crate) fn remaps(trace: &Trace, passes: u32, root: &RngRoot) -> Vec<HashMap<u64, u64>> {
    let ids: BTreeSet<u64> = trace
        .sessions
        .iter()
        .flat_map(|s| s.turns.iter())
        .filter_map(|t| match &t.content {
            Content::Blocks { hash_ids, .. } => Some(hash_ids.iter().copied()),
            _ => None,
        })
        .flatten()
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let fixed = trace.sessions.first().and_then(|s| match s.turns.first() {
        Some(TurnTemplate {
            content: Content::Blocks { hash_ids, .. },
            ..
        }) => hash_ids.first().copied(),
        _ => None,
    });
    let mut maps = vec![HashMap::new()];
    for pass in 1..passes {
        let mut rng = root.stream("shared_prefix_remap", u64::from(pass));
        let mut used: HashSet<u64> = fixed.into_iter().collect();
        let mut map = HashMap::with_capacity(ids.len());
        for &id in ids.iter().filter(|id| Some(**id) != fixed) {
            let mut new = rng.random::<u64>();
            while new == 0 || !used.insert(new) {
                new = rng.random::<u64>();
            }
            map.insert(id, new);
        }
        maps.push(map);
    }
    maps
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{count, error_of, load, temp_trace};
    use super::super::{FlavorOptions, TraceFlavor};

    const FLAVOR: TraceFlavor = TraceFlavor::SharedPrefix;

    fn opts() -> FlavorOptions {
        FlavorOptions {
            block_size: 16,
            ..FlavorOptions::default()
        }
    }

    #[test]
    fn first_turns_come_from_blocks_later_turns_from_the_corpus() {
        let w = load(FLAVOR, "shared_prefix.jsonl", &opts()).unwrap();
        assert_eq!(w.sessions.len(), 2);
        let s = w.session(0);
        assert_eq!(s[0].prompt, "block1 block2 block3 (40 tokens)");
        assert_eq!(s[0].input_tokens, count(&s[0].prompt));
        assert_eq!(s[0].max_tokens, Some(10));
        assert_eq!(s[1].input_tokens, 12);
        assert_eq!(count(&s[1].prompt), 12);
        assert_eq!((s[1].turn.history, s[1].turn.delay_ms), (Some(0), 2000));
        assert_eq!(w.session(1)[0].prompt, "block1 block2 block4 (33 tokens)");
        assert_eq!(w.session(1)[0].timestamp_ms, Some(500));
    }

    #[test]
    fn wrapped_passes_rename_all_blocks_but_the_shared_first() {
        let o = FlavorOptions {
            target_sessions: Some(4),
            ..opts()
        };
        let w = load(FLAVOR, "shared_prefix.jsonl", &o).unwrap();
        assert_eq!(w, load(FLAVOR, "shared_prefix.jsonl", &o).unwrap());
        let firsts: Vec<&str> = (2..4).map(|i| w.session(i)[0].prompt.as_str()).collect();
        for p in &firsts {
            let words: Vec<&str> = p.split(' ').collect();
            assert_eq!(words[0], "block1", "{p}");
            assert!(
                words[1..3]
                    .iter()
                    .all(|w| !["block2", "block3", "block4"].contains(w)),
                "{p}"
            );
        }
        // Shared blocks stay shared within the pass: both sessions rename block2 alike.
        let second = |p: &str| p.split(' ').nth(1).unwrap().to_string();
        assert_eq!(second(firsts[0]), second(firsts[1]));
    }

    #[test]
    fn malformed_rows_are_named() {
        let (_d, path) = temp_trace(
            "p.jsonl",
            "{\"session_id\": 1, \"input_length\": 5, \"output_length\": 1}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("p.jsonl:1: missing column 'hash_ids'"),
            "{msg}"
        );

        let (_d, path) = temp_trace(
            "p.csv",
            "session_id,hash_ids,input_length,output_length\n1,\"[1,\"\"x\"\"]\",5,1\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("p.csv:2: column 'hash_ids' should be a list"),
            "{msg}"
        );

        let (_d, path) = temp_trace(
            "p.jsonl",
            "{\"session_id\": 1, \"hash_ids\": [666], \"input_length\": 5, \"output_length\": 1}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("p.jsonl:1: text for hash_ids: block 666 is cursed"),
            "{msg}"
        );

        let (_d, path) = temp_trace(
            "p.jsonl",
            "{\"session_id\": 1, \"hash_ids\": [1], \"input_length\": 9999, \"output_length\": 1}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("'input_length' should be at most hash_ids"),
            "{msg}"
        );
    }
}
