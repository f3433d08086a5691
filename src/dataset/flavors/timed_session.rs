//! timed_synthetic_session: rows of sessions (`session_id`) with `new_input_length` (this
//! turn's new tokens; a root may give only `input_length`), `output_length`, and think time
//! `wait_after_previous_response_s`. Turns are ordered by `turn_idx` when present (else file
//! order) and chained linearly; a `session_context` object (`node_id`, `parent_nodes`,
//! `history_parent`, `wait_after_ready`) on every row of a session gives a DAG instead, as in
//! Veeksha's dispatch traces. Optional `timestamp` (ms) / `arrived_at` (s) feed
//! `--fixed-schedule`.

use std::collections::HashMap;

use serde_json::Value;

use super::rows::{group_by, Row};
use super::{
    check_turn_count, linear_links, required_u32, row_time_ms, seconds_as_ms, Content, FlavorError,
    SessionTemplate, Trace, TurnTemplate,
};

const FLAVOR: &str = "timed_synthetic_session";
const NEEDS: &str = "session_id, new_input_length (or input_length on a first turn), \
                     output_length; optional turn_idx, wait_after_previous_response_s, \
                     session_context, timestamp|arrived_at";

/// A node of a session graph as the trace states it.
struct Node {
    id: i64,
    parents: Vec<i64>,
    history: Option<i64>,
    wait_ms: u64,
}

/// Rows → one template per session.
pub(crate) fn parse(rows: Vec<Row>) -> Result<Trace, FlavorError> {
    let mut sessions = Vec::new();
    for (id, mut group) in group_by(rows, "session_id")? {
        if let Some(missing) = group.iter().find(|r| !r.has("session_id")) {
            return Err(missing_column(missing, "session_id"));
        }
        check_turn_count(&id, &group)?;
        let with_context = group.iter().filter(|r| r.has("session_context")).count();
        let turns = if with_context == 0 {
            linear(&mut group)?
        } else if with_context == group.len() {
            graph(&id, &group)?
        } else {
            return Err(FlavorError::Topology {
                at: group[0].at.clone(),
                session: id,
                reason: "some rows have session_context and some do not; give it on every \
                         row of the session or on none"
                    .to_string(),
            });
        };
        sessions.push(SessionTemplate { turns });
    }
    Ok(Trace {
        sessions,
        documents: Vec::new(),
        grouped: true,
    })
}

fn missing_column(row: &Row, key: &str) -> FlavorError {
    FlavorError::MissingColumn {
        at: row.at.clone(),
        key: key.to_string(),
        flavor: FLAVOR,
        needs: NEEDS,
    }
}

fn turn(row: &Row, root: bool) -> Result<TurnTemplate, FlavorError> {
    let new_tokens = match row.opt_u32("new_input_length")? {
        Some(tokens) => tokens,
        None if root => required_u32(row, "input_length", FLAVOR, NEEDS)?,
        None => return Err(missing_column(row, "new_input_length")),
    };
    Ok(TurnTemplate {
        at: row.at.clone(),
        content: Content::Synthetic(new_tokens),
        max_tokens: Some(required_u32(row, "output_length", FLAVOR, NEEDS)?.max(1)),
        parents: Vec::new(),
        history: None,
        delay_ms: seconds_as_ms(row, "wait_after_previous_response_s")?,
        timestamp_ms: row_time_ms(row)?,
    })
}

fn linear(group: &mut [Row]) -> Result<Vec<TurnTemplate>, FlavorError> {
    let mut keyed = Vec::with_capacity(group.len());
    for row in group.iter() {
        keyed.push(row.opt_u32("turn_idx")?.unwrap_or(0));
    }
    let mut order: Vec<usize> = (0..group.len()).collect();
    order.sort_by_key(|&i| keyed[i]);
    order
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            let mut t = turn(&group[i], pos == 0)?;
            (t.parents, t.history) = linear_links(pos);
            Ok(t)
        })
        .collect()
}

fn node(row: &Row) -> Result<Node, FlavorError> {
    let bad = |expected: &'static str, found: String| FlavorError::WrongType {
        at: row.at.clone(),
        key: "session_context".to_string(),
        expected,
        found,
    };
    let ctx = row.opt_json("session_context")?.unwrap_or(Value::Null);
    let obj = ctx
        .as_object()
        .ok_or_else(|| bad("an object", ctx.to_string()))?;
    let field = |k: &str| {
        obj.get(k).ok_or_else(|| FlavorError::MissingColumn {
            at: row.at.clone(),
            key: format!("session_context.{k}"),
            flavor: FLAVOR,
            needs: "session_context with node_id, parent_nodes, history_parent, wait_after_ready",
        })
    };
    let int = |v: &Value| {
        v.as_i64()
            .ok_or_else(|| bad("integer node ids", v.to_string()))
    };
    let parents = match field("parent_nodes")? {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().map(int).collect::<Result<_, _>>()?,
        other => return Err(bad("parent_nodes as a list", other.to_string())),
    };
    let history = match field("history_parent")? {
        Value::Null => None,
        v => Some(int(v)?),
    };
    let wait = field("wait_after_ready")?;
    let wait_s = match wait {
        Value::Null => 0.0,
        v => v
            .as_f64()
            .filter(|s| *s >= 0.0)
            .ok_or_else(|| bad("wait_after_ready in seconds", v.to_string()))?,
    };
    Ok(Node {
        id: int(field("node_id")?)?,
        parents,
        history,
        wait_ms: (wait_s * 1000.0).round() as u64,
    })
}

/// A session DAG in topological order (ties in file order), links renumbered to positions.
fn graph(session: &str, group: &[Row]) -> Result<Vec<TurnTemplate>, FlavorError> {
    let nodes: Vec<Node> = group.iter().map(node).collect::<Result<_, _>>()?;
    let fail = |reason: String| FlavorError::Topology {
        at: group[0].at.clone(),
        session: session.to_string(),
        reason,
    };
    let mut by_id = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if by_id.insert(n.id, i).is_some() {
            return Err(fail(format!("node_id {} appears twice", n.id)));
        }
    }
    for n in &nodes {
        if let Some(p) = n.parents.iter().find(|p| !by_id.contains_key(p)) {
            return Err(fail(format!("node {} names unknown parent {p}", n.id)));
        }
        if n.history.is_some_and(|h| !n.parents.contains(&h)) {
            return Err(fail(format!(
                "node {}: history_parent is not in parent_nodes",
                n.id
            )));
        }
    }
    let mut position: HashMap<i64, u16> = HashMap::new();
    let mut order = Vec::with_capacity(nodes.len());
    while order.len() < nodes.len() {
        let ready = nodes.iter().enumerate().find(|(_, n)| {
            !position.contains_key(&n.id) && n.parents.iter().all(|p| position.contains_key(p))
        });
        let Some((i, n)) = ready else {
            return Err(fail("parent_nodes form a cycle".to_string()));
        };
        position.insert(n.id, order.len() as u16);
        order.push(i);
    }
    order
        .iter()
        .map(|&i| {
            let n = &nodes[i];
            let mut t = turn(&group[i], n.parents.is_empty())?;
            t.parents = n.parents.iter().map(|p| position[p]).collect();
            t.history = n.history.map(|h| position[&h]);
            t.delay_ms = n.wait_ms;
            Ok(t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{count, error_of, load, temp_trace};
    use super::super::{FlavorOptions, TraceFlavor};

    const FLAVOR: TraceFlavor = TraceFlavor::TimedSyntheticSession;

    #[test]
    fn linear_sessions_follow_turn_idx_with_delays_and_times() {
        let w = load(FLAVOR, "timed_session.jsonl", &FlavorOptions::default()).unwrap();
        assert_eq!(w.sessions.len(), 2);
        let s = w.session(0);
        let shape: Vec<(u32, Option<u32>, u64, Option<u64>)> = s
            .iter()
            .map(|e| {
                (
                    e.input_tokens,
                    e.max_tokens,
                    e.turn.delay_ms,
                    e.timestamp_ms,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (20, Some(8), 0, Some(0)),
                (6, Some(4), 1500, Some(3000)),
                (9, Some(3), 250, Some(6000)),
            ],
            "turn_idx orders the turns; new_input_length is the prompt"
        );
        assert_eq!(s[1].turn.parents, vec![0]);
        assert_eq!(s[2].turn.history, Some(1));
        assert!(s.iter().all(|e| count(&e.prompt) == e.input_tokens));
        assert!(s.iter().all(|e| e.session_id == "session_000000"));
    }

    #[test]
    fn session_context_gives_a_dag_in_topological_order() {
        let w = load(FLAVOR, "timed_session_dag.jsonl", &FlavorOptions::default()).unwrap();
        let s = w.session(0);
        assert_eq!(s.len(), 4);
        // File order is 7, 9, 5, 8; 5 is the root, 9 joins 7 and 8.
        let links: Vec<(Vec<u16>, Option<u16>, u64)> = s
            .iter()
            .map(|e| (e.turn.parents.clone(), e.turn.history, e.turn.delay_ms))
            .collect();
        assert_eq!(
            links,
            vec![
                (vec![], None, 0),
                (vec![0], Some(0), 500),
                (vec![0], None, 0),
                (vec![1, 2], Some(2), 2000),
            ]
        );
        assert_eq!(s[0].input_tokens, 10);
    }

    #[test]
    fn bad_topology_and_columns_are_named() {
        let row = |ctx: &str| {
            format!("{{\"session_id\": 1, \"new_input_length\": 2, \"output_length\": 1, \"session_context\": {ctx}}}\n")
        };
        let (_d, path) = temp_trace(
            "t.jsonl",
            &(row(
                r#"{"node_id": 0, "parent_nodes": [1], "history_parent": 1, "wait_after_ready": 0}"#,
            ) + &row(
                r#"{"node_id": 1, "parent_nodes": [0], "history_parent": null, "wait_after_ready": 0}"#,
            )),
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("t.jsonl:1: session '1': parent_nodes form a cycle"),
            "{msg}"
        );

        let (_d, path) = temp_trace(
            "t.jsonl",
            &row(r#"{"node_id": 0, "parent_nodes": [], "wait_after_ready": 0}"#),
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("missing column 'session_context.history_parent'"),
            "{msg}"
        );

        let (_d, path) = temp_trace(
            "t.jsonl",
            "{\"session_id\": 1, \"input_length\": 2, \"output_length\": 1}\n\
             {\"session_id\": 1, \"input_length\": 2, \"output_length\": 1}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("t.jsonl:2: missing column 'new_input_length'"),
            "{msg}"
        );

        let (_d, path) = temp_trace(
            "t.jsonl",
            "{\"new_input_length\": 2, \"output_length\": 1}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("t.jsonl:1: missing column 'session_id'"),
            "{msg}"
        );
    }
}
