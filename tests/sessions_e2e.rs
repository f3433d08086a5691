//! The engine's release paths against the built-in mock server: what each multi-turn turn
//! sends (the real replies in its history) and when (after all its parents plus its think
//! time), and when open-loop requests go out (at their trace times or rate, never before).

mod common;

use std::sync::Arc;
use std::time::Duration;

use gauntlet::config::{
    Arrival, ArrivalPattern, EndpointType, Phase, PhaseKind, ServerUrl, SessionRouting, StopRule,
};
use gauntlet::dataset::{SessionSpan, TurnLinks, Workload, WorkloadEntry};
use gauntlet::engine::client::Target;
use gauntlet::engine::record::{Outcome, RequestRecord};
use gauntlet::engine::session_table::SessionTable;
use gauntlet::engine::sink;
use gauntlet::engine::{run_phase, EngineShared};
use gauntlet::payload::{render_body, PayloadArena, RenderOptions, SessionBodies};
use gauntlet::rng::RngRoot;
use serde_json::Value;

use common::{LatencyModel, MockConfig, MockServer};

const MS: u64 = 1_000_000;

fn turn(
    session: &str,
    prompt: &str,
    parents: &[u16],
    history: Option<u16>,
    delay_ms: u64,
) -> WorkloadEntry {
    let mut e = WorkloadEntry::single(session.into(), prompt.into(), 1, Some(4));
    e.turn = TurnLinks {
        parents: parents.to_vec(),
        history,
        delay_ms,
    };
    e
}

/// Session 0: a linear chain of three turns. Session 1: a diamond, 0 → {1, 2} → 3, where
/// turn 3 carries turn 1's conversation.
fn workload() -> Workload {
    let entries = vec![
        turn("linear", "L0", &[], None, 0),
        turn("linear", "L1", &[0], Some(0), 20),
        turn("linear", "L2", &[1], Some(1), 20),
        turn("diamond", "D0", &[], None, 0),
        turn("diamond", "D1", &[0], Some(0), 30),
        turn("diamond", "D2", &[0], Some(0), 5),
        turn("diamond", "D3", &[1, 2], Some(1), 10),
    ];
    Workload {
        entries,
        sessions: vec![
            SessionSpan { first: 0, turns: 3 },
            SessionSpan { first: 3, turns: 4 },
        ],
    }
}

struct Sent {
    record: RequestRecord,
    body: Value,
}

/// Runs every session of `workload` once, whole.
fn run(workload: &Workload, concurrency: u32) -> (Vec<Sent>, gauntlet::engine::PhaseCounts) {
    let sessions = workload.sessions.len() as u64;
    run_until(workload, concurrency, StopRule::Sessions { sessions })
}

fn run_until(
    workload: &Workload,
    concurrency: u32,
    stop: StopRule,
) -> (Vec<Sent>, gauntlet::engine::PhaseCounts) {
    let mock = MockServer::start(MockConfig {
        ttft: LatencyModel::Fixed(Duration::from_millis(15)),
        capture_requests: true,
        ..MockConfig::default()
    })
    .unwrap();
    let url = ServerUrl::parse(&mock.url()).unwrap();
    let opts = RenderOptions {
        model: "mock-model".into(),
        endpoint: EndpointType::Chat,
        streaming: true,
        extra_inputs: vec![],
        output_length: Default::default(),
    };
    let arena = PayloadArena::build(
        workload
            .entries
            .iter()
            .map(|e| render_body(&opts, &e.prompt, e.max_tokens)),
        0,
    );
    let bodies = SessionBodies::build(&opts, workload).unwrap();
    let (sink, source) = sink::channel(1024);
    let shared = Arc::new(EngineShared {
        arena,
        stream: None,
        targets: vec![Target::new(
            &url,
            EndpointType::Chat,
            EndpointType::Chat.path(),
            true,
            None,
            &[],
        )
        .unwrap()],
        streaming: true,
        timeout: Duration::from_secs(10),
        max_response_bytes: gauntlet::config::DEFAULT_MAX_RESPONSE_BYTES,
        sink,
        sent: Default::default(),
        sessions: Some(SessionTable::new(
            bodies,
            workload,
            SessionRouting::Sticky,
            None,
        )),
        next_request: Default::default(),
        fixed_schedule: None,
        cancellation: None,
        video_job: None,
        share: Default::default(),
        start_at_ns: Default::default(),
        users: None,
    });
    let phase = Phase {
        name: "profiling".into(),
        kind: PhaseKind::Profiling,
        arrival: Arrival {
            concurrency: Some(concurrency),
            request_rate: None,
            pattern: ArrivalPattern::Poisson,
        },
        stop,
        controls: Default::default(),
        shape: Default::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let counts = runtime
        .block_on(run_phase(
            shared.clone(),
            &phase,
            0,
            0,
            &RngRoot::new(1),
            stop_rx,
        ))
        .unwrap();
    drop(shared);
    let mut records: Vec<RequestRecord> = source.done.try_iter().map(|r| *r).collect();
    records.sort_by_key(|r| r.sent_ns);
    let captured = mock.stats().captured_requests();
    assert_eq!(captured.len(), records.len());
    // Bodies arrive in send order; match each record to its body by the prompt it ends with.
    let bodies: Vec<Value> = captured
        .iter()
        .map(|b| serde_json::from_slice(b).unwrap())
        .collect();
    let sent = records
        .into_iter()
        .map(|record| {
            let prompt = &workload.entries[record.entry_index as usize].prompt;
            let body = bodies
                .iter()
                .find(|b| last_content(b) == prompt.as_str())
                .unwrap_or_else(|| panic!("no body ends with {prompt}"))
                .clone();
            Sent { record, body }
        })
        .collect();
    mock.shutdown();
    (sent, counts)
}

fn last_content(body: &Value) -> &str {
    body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
}

/// The assistant text the mock streamed back in `record`, decoded independently.
fn reply_text(record: &RequestRecord) -> String {
    record
        .event_payloads()
        .filter_map(|(p, _)| serde_json::from_slice::<Value>(p).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

fn by_prompt<'a>(sent: &'a [Sent], workload: &Workload, prompt: &str) -> &'a Sent {
    sent.iter()
        .find(|s| workload.entries[s.record.entry_index as usize].prompt == prompt)
        .unwrap_or_else(|| panic!("{prompt} was not sent"))
}

fn roles_and_contents(body: &Value) -> Vec<(String, String)> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_string(),
                m["content"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn turns_carry_the_real_replies_and_wait_for_their_parents() {
    let w = workload();
    let (sent, counts) = run(&w, 2);
    assert_eq!(sent.len(), 7);
    assert!(sent.iter().all(|s| s.record.outcome == Outcome::Success));
    assert_eq!(counts.scheduled, 7);
    assert_eq!(counts.issued, 7);
    assert_eq!(counts.not_sent, 0);

    // Linear: each turn's history is every earlier prompt and the reply it really got.
    let l0 = by_prompt(&sent, &w, "L0");
    let l1 = by_prompt(&sent, &w, "L1");
    let l2 = by_prompt(&sent, &w, "L2");
    let r0 = reply_text(&l0.record);
    let r1 = reply_text(&l1.record);
    assert!(!r0.is_empty());
    let user = |s: &str| ("user".to_string(), s.to_string());
    let assistant = |s: &str| ("assistant".to_string(), s.to_string());
    assert_eq!(roles_and_contents(&l0.body), vec![user("L0")]);
    assert_eq!(
        roles_and_contents(&l1.body),
        vec![user("L0"), assistant(&r0), user("L1")]
    );
    assert_eq!(
        roles_and_contents(&l2.body),
        vec![
            user("L0"),
            assistant(&r0),
            user("L1"),
            assistant(&r1),
            user("L2")
        ]
    );
    assert_eq!(l2.body["max_tokens"], 4);
    assert_eq!(l2.body["stream"], true);

    // Diamond: D3 leaves after both D1 and D2 finished plus its 10 ms, with D1's history.
    let d = |p: &str| by_prompt(&sent, &w, p);
    let (d0, d1, d2, d3) = (d("D0"), d("D1"), d("D2"), d("D3"));
    for (child, parent, delay) in [(d1, d0, 30), (d2, d0, 5), (d3, d1, 10), (d3, d2, 10)] {
        assert!(
            child.record.sent_ns >= parent.record.done_ns + delay * MS,
            "a turn left {} ms after its parent finished, before its {delay} ms wait",
            (child.record.sent_ns as f64 - parent.record.done_ns as f64) / MS as f64
        );
    }
    // D2 (5 ms wait) ran beside D1 (30 ms wait): siblings are not serialised.
    assert!(d2.record.sent_ns < d1.record.sent_ns);
    let rd0 = reply_text(&d0.record);
    let rd1 = reply_text(&d1.record);
    assert_eq!(
        roles_and_contents(&d3.body),
        vec![
            user("D0"),
            assistant(&rd0),
            user("D1"),
            assistant(&rd1),
            user("D3")
        ]
    );
    // Turns of one session share its label; request indices are unique.
    let mut indices: Vec<u64> = sent.iter().map(|s| s.record.request_index).collect();
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(indices.len(), 7);
}

#[test]
fn one_session_at_a_time_runs_sessions_back_to_back() {
    let w = workload();
    let (sent, counts) = run(&w, 1);
    assert_eq!((counts.scheduled, counts.issued), (7, 7));
    // With concurrency 1 the diamond starts only after the linear session's last turn ended.
    let l2 = by_prompt(&sent, &w, "L2");
    let d0 = by_prompt(&sent, &w, "D0");
    assert!(d0.record.sent_ns >= l2.record.done_ns);
}

#[test]
fn a_request_count_counts_turns_and_cuts_the_last_session_short() {
    let w = workload();
    // One session at a time: the linear session's 3 turns, then D0 and the first of its
    // children to leave (D2, the shorter wait); D1 and D3 are cut.
    let (sent, counts) = run_until(&w, 1, StopRule::Count { requests: 5 });
    let mut prompts: Vec<&str> = sent
        .iter()
        .map(|s| w.entries[s.record.entry_index as usize].prompt.as_str())
        .collect();
    prompts.sort_unstable();
    assert_eq!(prompts, ["D0", "D2", "L0", "L1", "L2"]);
    assert_eq!(
        (
            counts.scheduled,
            counts.issued,
            counts.not_sent,
            counts.tickets
        ),
        (5, 5, 0, 2)
    );
    // Two at a time past the dataset: sessions cycle until exactly 9 turns were sent.
    let (sent, counts) = run_until(&w, 2, StopRule::Count { requests: 9 });
    assert_eq!(sent.len(), 9);
    assert!(sent.iter().all(|s| s.record.outcome == Outcome::Success));
    assert_eq!(
        (counts.scheduled, counts.issued, counts.not_sent),
        (9, 9, 0)
    );
    assert!(counts.tickets >= 3, "{counts:?}");
}

/// Runs one single-turn open-loop phase of `requests` against a fresh mock and returns its
/// records and counts.
fn open_loop(
    arrival: Arrival,
    requests: u64,
    fixed_schedule: Option<Vec<(u64, u64)>>,
) -> (Vec<RequestRecord>, gauntlet::engine::PhaseCounts) {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let url = ServerUrl::parse(&mock.url()).unwrap();
    let opts = RenderOptions {
        model: "mock-model".into(),
        endpoint: EndpointType::Chat,
        streaming: true,
        extra_inputs: vec![],
        output_length: Default::default(),
    };
    let arena = PayloadArena::build(
        (0..4).map(|i| render_body(&opts, &format!("p{i}"), Some(2))),
        0,
    );
    let (sink, source) = sink::channel(requests as usize + 8);
    let shared = Arc::new(EngineShared {
        arena,
        stream: None,
        targets: vec![Target::new(
            &url,
            EndpointType::Chat,
            EndpointType::Chat.path(),
            true,
            None,
            &[],
        )
        .unwrap()],
        streaming: true,
        timeout: Duration::from_secs(10),
        max_response_bytes: gauntlet::config::DEFAULT_MAX_RESPONSE_BYTES,
        sink,
        sent: Default::default(),
        sessions: None,
        next_request: Default::default(),
        fixed_schedule,
        cancellation: None,
        video_job: None,
        share: Default::default(),
        start_at_ns: Default::default(),
        users: None,
    });
    let phase = Phase {
        name: "profiling".into(),
        kind: PhaseKind::Profiling,
        arrival,
        stop: StopRule::Count { requests },
        controls: Default::default(),
        shape: Default::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let counts = runtime
        .block_on(run_phase(
            shared.clone(),
            &phase,
            0,
            0,
            &RngRoot::new(1),
            stop_rx,
        ))
        .unwrap();
    drop(shared);
    mock.shutdown();
    (source.done.try_iter().map(|r| *r).collect(), counts)
}

#[test]
fn a_fixed_schedule_releases_requests_at_their_trace_times() {
    // Entry 2 first at 0 ms, then entries 0, 3, 1 at 40, 40 and 90 ms.
    let times = vec![(2, 0), (0, 40 * MS), (3, 40 * MS), (1, 90 * MS)];
    let arrival = Arrival {
        concurrency: None,
        request_rate: None,
        pattern: ArrivalPattern::Poisson,
    };
    let (mut records, counts) = open_loop(arrival, 4, Some(times.clone()));
    assert_eq!(
        (counts.scheduled, counts.issued, counts.not_sent),
        (4, 4, 0)
    );
    // Entries 0 and 3 share a time: order ties by entry so the comparison is stable.
    records.sort_by_key(|r| (r.scheduled_ns, r.entry_index));
    let start = records[0].scheduled_ns;
    let got: Vec<(u64, u64)> = records
        .iter()
        .map(|r| (u64::from(r.entry_index), r.scheduled_ns - start))
        .collect();
    assert_eq!(got, times);
    for r in &records {
        assert!(r.sent_ns >= r.scheduled_ns, "sent before its time");
    }
}

#[test]
fn an_open_loop_rate_never_sends_before_its_schedule() {
    // One worker on one kept-alive connection, so a request goes out as soon as it is let go:
    // the dispatcher hands each ticket over ahead of its instant and the worker must hold it.
    let arrival = Arrival {
        concurrency: Some(1),
        request_rate: Some(400.0),
        pattern: ArrivalPattern::Constant,
    };
    let (mut records, counts) = open_loop(arrival, 40, None);
    assert_eq!((counts.issued, records.len()), (40, 40));
    records.sort_by_key(|r| r.scheduled_ns);
    for (k, r) in records.iter().enumerate() {
        assert_eq!(r.outcome, Outcome::Success, "{:?}", r.error);
        assert!(
            r.sent_ns >= r.scheduled_ns,
            "request {k} sent before its time"
        );
        // Constant gaps of 2.5 ms (the schedule is f64; allow rounding).
        let gap = r.scheduled_ns - records[0].scheduled_ns;
        assert!(
            gap.abs_diff(k as u64 * 2_500_000) <= 1,
            "gap {gap} for request {k}"
        );
    }
}
