//! request_log: one request per row with `input_length` and `output_length` (CSV may use
//! `num_prefill_tokens` / `num_decode_tokens`), an optional trace time (`timestamp` in ms or
//! `arrived_at` in s) and an optional `session_id`. Without `session_id` every row is a
//! single-turn request with a corpus prompt of exactly `input_length` tokens; with it, rows
//! of a session chain linearly (each turn continues the previous turn's conversation), as in
//! Veeksha.

use super::rows::{group_by, Row};
use super::{
    check_turn_count, linear_links, required_u32, row_time_ms, Content, FlavorError,
    SessionTemplate, Trace, TurnTemplate,
};

const FLAVOR: &str = "request_log";
const NEEDS: &str = "input_length, output_length; optional session_id, timestamp|arrived_at";

/// Rows → one template per request (or per session when `session_id` is given).
pub(crate) fn parse(rows: Vec<Row>) -> Result<Trace, FlavorError> {
    let grouped = rows.iter().any(|r| r.has("session_id"));
    let mut sessions = Vec::new();
    for (id, group) in group_by(rows, "session_id")? {
        check_turn_count(&id, &group)?;
        let turns = group
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let (parents, history) = linear_links(i);
                Ok(TurnTemplate {
                    at: row.at.clone(),
                    content: Content::Synthetic(required_u32(row, "input_length", FLAVOR, NEEDS)?),
                    max_tokens: Some(required_u32(row, "output_length", FLAVOR, NEEDS)?.max(1)),
                    parents,
                    history,
                    delay_ms: 0,
                    timestamp_ms: row_time_ms(row)?,
                })
            })
            .collect::<Result<_, FlavorError>>()?;
        sessions.push(SessionTemplate { turns });
    }
    Ok(Trace {
        sessions,
        documents: Vec::new(),
        grouped,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error_of, load, temp_trace};
    use super::super::{FlavorOptions, TraceFlavor};

    #[test]
    fn jsonl_rows_become_timed_single_turn_requests() {
        let w = load(
            TraceFlavor::RequestLog,
            "request_log.jsonl",
            &FlavorOptions::default(),
        )
        .unwrap();
        assert!(!w.is_multi_turn());
        let lengths: Vec<(u32, Option<u32>, Option<u64>)> = w
            .entries
            .iter()
            .map(|e| (e.input_tokens, e.max_tokens, e.timestamp_ms))
            .collect();
        assert_eq!(
            lengths,
            vec![
                (12, Some(5), Some(0)),
                (40, Some(20), Some(250)),
                (7, Some(1), Some(1500)),
                (25, Some(9), Some(1500)),
            ]
        );
        for e in &w.entries {
            assert_eq!(super::super::test_support::count(&e.prompt), e.input_tokens);
        }
    }

    #[test]
    fn csv_with_vidur_column_names_and_sessions() {
        let w = load(
            TraceFlavor::RequestLog,
            "request_log.csv",
            &FlavorOptions::default(),
        )
        .unwrap();
        assert_eq!(w.sessions.len(), 2);
        let s0 = w.session(0);
        assert_eq!(s0.len(), 2);
        assert_eq!((s0[0].input_tokens, s0[0].max_tokens), (30, Some(10)));
        assert_eq!(s0[1].turn.parents, vec![0]);
        assert_eq!(s0[1].turn.history, Some(0));
        assert_eq!(s0[1].timestamp_ms, Some(2500), "arrived_at is in seconds");
        assert_eq!(w.session(1)[0].timestamp_ms, Some(1000));
    }

    #[test]
    fn wrapped_passes_get_fresh_prompts_and_later_times() {
        let opts = FlavorOptions {
            target_sessions: Some(10),
            ..FlavorOptions::default()
        };
        let a = load(TraceFlavor::RequestLog, "request_log.jsonl", &opts).unwrap();
        assert_eq!(
            a,
            load(TraceFlavor::RequestLog, "request_log.jsonl", &opts).unwrap()
        );
        assert_eq!(a.entries.len(), 10);
        let times: Vec<u64> = a.entries.iter().map(|e| e.timestamp_ms.unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        // Period: span 1500 + mean gap 500.
        assert_eq!(&times[4..8], &[2000, 2250, 3500, 3500]);
        assert_ne!(a.entries[4].prompt, a.entries[0].prompt);
    }

    #[test]
    fn missing_and_mistyped_columns_name_line_and_key() {
        let (_d, path) = temp_trace(
            "log.jsonl",
            "{\"input_length\": 3, \"output_length\": 2}\n{\"input_length\": 4}\n",
        );
        let msg = error_of(super::super::TraceFlavor::RequestLog, &path);
        assert!(
            msg.contains("log.jsonl:2: missing column 'output_length'"),
            "{msg}"
        );

        let (_d, path) = temp_trace("log.csv", "input_length,output_length\n5,x\n");
        let msg = error_of(super::super::TraceFlavor::RequestLog, &path);
        assert!(
            msg.contains("log.csv:2: column 'output_length' should be"),
            "{msg}"
        );
        assert!(msg.contains("'x'"), "{msg}");

        let (_d, path) = temp_trace(
            "log.jsonl",
            "{\"input_length\": 2.5, \"output_length\": 1}\n",
        );
        let msg = error_of(super::super::TraceFlavor::RequestLog, &path);
        assert!(
            msg.contains("'input_length' should be a whole number"),
            "{msg}"
        );

        let (_d, path) = temp_trace("log.jsonl", "{\"input_length\": 2, \"output_length\": 1\n");
        let msg = error_of(super::super::TraceFlavor::RequestLog, &path);
        assert!(msg.contains("log.jsonl:1: not valid JSON"), "{msg}");

        let (_d, path) = temp_trace(
            "log.jsonl",
            "{\"input_length\": 2, \"output_length\": 1, \"timestamp\": 5}\n\
             {\"input_length\": 2, \"output_length\": 1}\n",
        );
        let msg = error_of(super::super::TraceFlavor::RequestLog, &path);
        assert!(
            msg.contains("log.jsonl:2: missing column 'timestamp'"),
            "{msg}"
        );
    }
}
