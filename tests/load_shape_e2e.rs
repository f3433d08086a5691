//! Issue #23's load shapes on the real binary against the mock, checked from the records of
//! each run: a concurrency ramp adds one request in flight at each step, a rate ramp's gaps
//! follow its line, a warmup ends on its own rule with its own shape, and the prefill cap is
//! never exceeded.

mod common;

use std::path::Path;

use common::*;

const MS: u64 = 1_000_000;

/// One request as its JSONL line tells it (monotonic-derived epoch ns).
#[derive(Debug, Clone)]
struct Req {
    credit: u64,
    start: u64,
    end: u64,
    ttft_ns: Option<u64>,
    warmup: bool,
    in_ramp: bool,
    session: String,
}

fn requests(dir: &Path) -> Vec<Req> {
    let mut reqs: Vec<Req> = jsonl(dir)
        .iter()
        .map(|l| {
            let m = &l["metadata"];
            let ns = |k: &str| m[k].as_u64().unwrap_or_else(|| panic!("{k} in {l}"));
            Req {
                credit: ns("credit_issued_ns"),
                start: ns("request_start_ns"),
                end: ns("request_end_ns"),
                ttft_ns: l["metrics"]["time_to_first_token"]["value"]
                    .as_f64()
                    .map(|ms| (ms * 1e6).round() as u64),
                warmup: m["benchmark_phase"] == "warmup",
                in_ramp: m["in_ramp"] == true,
                session: m["conversation_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            }
        })
        .collect();
    reqs.sort_by_key(|r| r.credit);
    reqs
}

/// Requests in flight at `t` (sent at or before it, not yet ended).
fn in_flight(reqs: &[Req], t: u64) -> usize {
    reqs.iter().filter(|r| r.start <= t && t < r.end).count()
}

fn max_in_flight(reqs: &[Req]) -> usize {
    reqs.iter()
        .map(|r| in_flight(reqs, r.start))
        .max()
        .unwrap_or(0)
}

#[test]
fn a_concurrency_ramp_adds_one_request_in_flight_at_each_step() {
    // ~50 ms a request; concurrency 1 → 4 over 0.6 s: steps at 0, 200, 400 and 600 ms.
    let server = mock(0, 5);
    let dir = artifact_dir("shape-concurrency-ramp");
    profile_ok(
        &server,
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "10",
            "--concurrency",
            "4",
            "--concurrency-ramp-duration",
            "0.6",
            "--benchmark-duration",
            "1.2",
        ],
    );
    let reqs = requests(&dir);
    let t0 = reqs[0].credit;
    let step = |k: u64| t0 + (k - 1) * 200 * MS;
    // The steps count from the phase's start, the first credit from when its worker first
    // ran, later on a loaded machine: the tolerance (steps are 200 ms apart).
    let slack = 30 * MS;
    let allowed = |t: u64| (1..=4).filter(|&k| t + slack >= step(k)).count();
    for r in &reqs {
        let n = in_flight(&reqs, r.start);
        assert!(
            n <= allowed(r.start),
            "{n} in flight {} ms into the ramp",
            (r.start - t0) / MS
        );
    }
    for k in 2..=4u64 {
        let reached = reqs
            .iter()
            .filter(|r| in_flight(&reqs, r.start) >= k as usize)
            .map(|r| r.start)
            .min()
            .unwrap_or_else(|| panic!("never {k} in flight"));
        assert!(
            reached + slack >= step(k) && reached <= step(k) + slack,
            "{k} in flight first at {} ms, the step is at {} ms",
            (reached - t0) / MS,
            (step(k) - t0) / MS
        );
    }
    // The JSONL says which requests the ramp released.
    let ramp_end = t0 + 600 * MS;
    for r in &reqs {
        if r.credit + slack < ramp_end {
            assert!(r.in_ramp, "released {} ms in", (r.credit - t0) / MS);
        } else if r.credit > ramp_end + slack {
            assert!(!r.in_ramp, "released {} ms in", (r.credit - t0) / MS);
        }
    }
    assert!(reqs.iter().any(|r| r.in_ramp) && reqs.iter().any(|r| !r.in_ramp));
}

#[test]
fn a_rate_ramp_shrinks_the_gaps_along_its_line_within_the_send_lag() {
    // 200 requests/s, constant gaps, ramped over 1 s from AIPerf's start 200 × 0.1 / 1 = 20/s.
    let server = mock(0, 0);
    let dir = artifact_dir("shape-rate-ramp");
    profile_ok(
        &server,
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "2",
            "--request-rate",
            "200",
            "--arrival-pattern",
            "constant",
            "--request-rate-ramp-duration",
            "1",
            "--request-count",
            "160",
        ],
    );
    let reqs = requests(&dir);
    assert_eq!(reqs.len(), 160);
    let t0 = reqs[0].credit;
    let rate_at = |t: u64| {
        let t = (t - t0) as f64 / 1e9;
        if t >= 1.0 {
            200.0
        } else {
            20.0 + 180.0 * t
        }
    };
    let mut in_ramp = 0;
    for pair in reqs.windows(2) {
        let gap = (pair[1].credit - pair[0].credit) as f64;
        let line = 1e9 / rate_at(pair[0].credit);
        assert!(
            (gap - line).abs() < 2_000.0,
            "gap {gap} ns {} ms in; the line says {line}",
            (pair[0].credit - t0) / MS
        );
        if pair[0].credit < t0 + 1_000 * MS {
            in_ramp += 1;
        }
    }
    // ∫ rate over the ramp = (20 + 200) / 2 = 110 requests.
    assert!(
        (105..=112).contains(&in_ramp),
        "{in_ramp} released in the ramp"
    );
    // `in_ramp` marks exactly the requests released before the ramp's end, which counts
    // from the first release, as the line does.
    let ramp_end = t0 + 1_000 * MS;
    for r in &reqs {
        if r.credit.abs_diff(ramp_end) > 1_000 {
            let released = (r.credit - t0) / MS;
            assert_eq!(r.in_ramp, r.credit < ramp_end, "released {released} ms in");
        }
    }
    let mut lags: Vec<u64> = reqs.iter().map(|r| r.start - r.credit).collect();
    lags.sort_unstable();
    assert!(
        lags[lags.len() / 2] < 5 * MS,
        "send lag p50 {} ns",
        lags[lags.len() / 2]
    );
    assert!(
        lags[lags.len() - 1] < 50 * MS,
        "send lag max {} ns",
        lags[lags.len() - 1]
    );
}

#[test]
fn a_timed_warmup_ends_on_time_with_its_own_rate_and_pattern() {
    let server = mock(0, 2);
    let dir = artifact_dir("shape-warmup-duration");
    profile_ok(
        &server,
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "4",
            "--request-count",
            "5",
            "--warmup-duration",
            "0.5",
            "--warmup-request-rate",
            "100",
            "--warmup-arrival-pattern",
            "constant",
        ],
    );
    let reqs = requests(&dir);
    let (warmup, measured): (Vec<Req>, Vec<Req>) = reqs.into_iter().partition(|r| r.warmup);
    assert_eq!(measured.len(), 5);
    let w0 = warmup[0].credit;
    // 100/s for 0.5 s: the 51st release would fall on the deadline (which counts from the
    // phase start, a little before the first release).
    assert!(
        (45..=50).contains(&warmup.len()),
        "{} warmup requests",
        warmup.len()
    );
    for pair in warmup.windows(2) {
        let gap = pair[1].credit - pair[0].credit;
        assert!(gap.abs_diff(10 * MS) < 2_000, "warmup gap {gap} ns");
    }
    assert!(warmup.iter().all(|r| r.credit < w0 + 500 * MS));
    // The measured phase starts once every warmup reply is in, with its own closed loop of 1.
    let warmup_end = warmup.iter().map(|r| r.end).max().unwrap();
    assert!(measured.iter().all(|r| r.credit >= warmup_end));
    assert_eq!(max_in_flight(&measured), 1);
}

#[test]
fn a_session_warmup_sends_whole_sessions_at_its_own_concurrency() {
    let server = mock(0, 3);
    let dir = artifact_dir("shape-warmup-sessions");
    profile_ok(
        &server,
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "4",
            "--conversation-num",
            "20",
            "--conversation-turn-mean",
            "2",
            "--concurrency",
            "1",
            "--request-count",
            "4",
            "--num-warmup-sessions",
            "3",
            "--warmup-concurrency",
            "3",
        ],
    );
    let reqs = requests(&dir);
    let (warmup, measured): (Vec<Req>, Vec<Req>) = reqs.into_iter().partition(|r| r.warmup);
    let sessions: std::collections::BTreeSet<_> = warmup.iter().map(|r| &r.session).collect();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert_eq!(warmup.len(), 6, "three whole sessions of two turns");
    assert!(
        max_in_flight(&warmup) >= 2,
        "the warmup's concurrency of 3 is its own"
    );
    assert_eq!(measured.len(), 4);
    assert_eq!(max_in_flight(&measured), 1);
}

#[test]
fn the_prefill_cap_is_never_exceeded_while_decodes_overlap() {
    // TTFT 40 ms, then 10 tokens 5 ms apart; 8 may be in flight but only 2 before their
    // first token.
    let server = mock(40, 5);
    let dir = artifact_dir("shape-prefill");
    profile_ok(
        &server,
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "10",
            "--concurrency",
            "8",
            "--prefill-concurrency",
            "2",
            "--request-count",
            "40",
        ],
    );
    let reqs = requests(&dir);
    assert_eq!(reqs.len(), 40);
    // The first token as the JSONL tells it (ms with decimals: 1 µs of rounding allowed).
    let first = |r: &Req| r.start + r.ttft_ns.expect("a TTFT") - 1_000;
    let prefilling = |t: u64| reqs.iter().filter(|r| r.start <= t && t < first(r)).count();
    let most = reqs.iter().map(|r| prefilling(r.start)).max().unwrap();
    assert_eq!(
        most, 2,
        "at most 2 waiting for their first token, and the cap binds"
    );
    assert!(
        max_in_flight(&reqs) >= 3,
        "decoding requests do not hold a prefill slot"
    );
    // Without the cap the same load has up to 8 waiting for their first token.
    let dir = artifact_dir("shape-prefill-uncapped");
    profile_ok(
        &server,
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "10",
            "--concurrency",
            "8",
            "--request-count",
            "16",
        ],
    );
    let reqs = requests(&dir);
    let first = |r: &Req| r.start + r.ttft_ns.expect("a TTFT") - 1_000;
    let most = reqs
        .iter()
        .map(|r| {
            reqs.iter()
                .filter(|s| s.start <= r.start && r.start < first(s))
                .count()
        })
        .max()
        .unwrap();
    assert!(most > 2, "uncapped: {most}");
}

#[test]
fn shapes_that_cannot_run_are_refused_in_one_line_naming_the_flag() {
    let dir = artifact_dir("shape-refused");
    for (flags, named) in [
        (
            &["--prefill-concurrency", "2"][..],
            "--prefill-concurrency: needs --streaming",
        ),
        (
            &[
                "--streaming",
                "--concurrency",
                "2",
                "--prefill-concurrency",
                "3",
            ][..],
            "--prefill-concurrency",
        ),
        (
            &["--request-rate-ramp-duration", "2"][..],
            "--request-rate-ramp-duration",
        ),
        (
            &["--concurrency-ramp-duration", "0"][..],
            "--concurrency-ramp-duration",
        ),
        (
            &["--prefill-concurrency-ramp-duration", "1"][..],
            "--prefill-concurrency-ramp-duration",
        ),
        (&["--warmup-concurrency", "2"][..], "--warmup-concurrency"),
        (
            &["--warmup-duration", "1", "--warmup-request-count", "3"][..],
            "--warmup-duration",
        ),
        (
            &["--warmup-request-count", "3", "--warmup-grace-period", "1"][..],
            "--warmup-grace-period",
        ),
        (
            &[
                "--warmup-request-count",
                "3",
                "--warmup-request-rate-ramp-duration",
                "1",
            ][..],
            "--warmup-request-rate-ramp-duration",
        ),
    ] {
        let out = profile("http://127.0.0.1:9", &dir, flags);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{}", text(&out));
        assert!(stderr.contains(named), "{flags:?}: {}", text(&out));
    }
}
