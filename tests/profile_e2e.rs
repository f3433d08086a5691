//! End-to-end: the real CLI against the in-process mock server on a free loopback port.

mod common;

use common::*;

#[test]
fn streaming_chat_numbers_match_the_mock_timing_model() {
    let server = mock(40, 5);
    let dir = artifact_dir("timing");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "64",
            "--osl",
            "8",
            "--concurrency",
            "4",
            "--request-count",
            "24",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    // Exact counts and lengths.
    assert_eq!(stat(&export, "request_count", "avg"), 24.0);
    assert_eq!(stat(&export, "input_sequence_length", "min"), 64.0);
    assert_eq!(stat(&export, "input_sequence_length", "max"), 64.0);
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 8.0);
    // The mock sleeps 40 ms before the first token and 5 ms between tokens. The lower bounds
    // are hard (the client cannot see a token before it is sent); the upper bounds leave room
    // for a loaded machine but fail if the harness adds a whole TTFT or misreads chunks.
    let ttft = stat(&export, "time_to_first_token", "avg");
    assert!((40.0..70.0).contains(&ttft), "TTFT avg {ttft} ms");
    assert!(stat(&export, "time_to_first_token", "min") >= 40.0);
    let itl = stat(&export, "inter_token_latency", "avg");
    // The mock schedules tokens from the previous deadline, so a first token made late by
    // timer rounding (≤ ~1 ms) shortens the first gap: ITL may sit just under 5 ms.
    assert!((4.5..9.0).contains(&itl), "ITL avg {itl} ms");
    let latency = stat(&export, "request_latency", "avg");
    assert!(latency >= 40.0 + 7.0 * 5.0, "latency {latency}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("24 scheduled = 24 succeeded + 0 failed + 0 cancelled + 0 not sent"),
        "{}",
        text(&out)
    );
    assert_eq!(jsonl(&dir).len(), 24);
}

#[test]
fn packed_chunks_give_per_token_itl_and_per_chunk_gaps() {
    let server = MockServer::start(MockConfig {
        ttft: LatencyModel::Fixed(std::time::Duration::from_millis(10)),
        itl: LatencyModel::Fixed(std::time::Duration::from_millis(12)),
        tokens_per_chunk: 4,
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("packed");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "32",
            "--osl",
            "16",
            "--request-count",
            "4",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 16.0);
    // 16 tokens in 4 chunks, 12 ms apart: 3 gaps of ≥ 12 ms per request; per token that is
    // 36 ms / 15 tokens ≈ 2.4 ms.
    assert_eq!(stat(&export, "inter_chunk_latency", "count"), 12.0);
    // Per-chunk gaps stay near 12 ms (not divided by 4); one late chunk makes the next gap
    // shorter, so only the average is bounded.
    let gap = stat(&export, "inter_chunk_latency", "avg");
    assert!((10.0..24.0).contains(&gap), "inter-chunk avg {gap}");
    // The mock schedules chunks from the previous deadline, so a first chunk made late by
    // timer rounding (≤ ~1 ms) shortens the span: ITL may sit a little under 2.4 ms. Far
    // from 12 ms (per chunk) or 0.75 ms (per chunk / 16).
    let itl = stat(&export, "inter_token_latency", "avg");
    assert!((2.2..4.0).contains(&itl), "ITL {itl}");
}

#[test]
fn warmup_requests_are_excluded_from_results_but_exported() {
    let server = mock(0, 0);
    let dir = artifact_dir("warmup");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "16",
            "--osl",
            "4",
            "--warmup-request-count",
            "5",
            "--request-count",
            "10",
            "--concurrency",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 10.0);
    let lines = jsonl(&dir);
    assert_eq!(lines.len(), 15);
    let warmup = lines
        .iter()
        .filter(|l| l["metadata"]["benchmark_phase"] == "warmup")
        .count();
    assert_eq!(warmup, 5);
    assert_eq!(server.stats().snapshot().chat_requests, 15);
}

#[test]
fn non_streaming_completions_and_embeddings_work() {
    let server = mock(0, 0);
    for endpoint in ["chat", "completions", "embeddings"] {
        let dir = artifact_dir(&format!("nonstream-{endpoint}"));
        let out = profile(
            &server.url(),
            &dir,
            &[
                "--endpoint-type",
                endpoint,
                "--isl",
                "20",
                "--osl",
                "6",
                "--request-count",
                "6",
                "--concurrency",
                "3",
            ],
        );
        assert!(out.status.success(), "{endpoint}: {}", text(&out));
        let export = json(&dir, "profile_export_aiperf.json");
        assert_eq!(stat(&export, "request_count", "avg"), 6.0, "{endpoint}");
        assert_eq!(
            stat(&export, "input_sequence_length", "avg"),
            20.0,
            "{endpoint}"
        );
        if endpoint != "embeddings" {
            assert_eq!(
                stat(&export, "output_sequence_length", "avg"),
                6.0,
                "{endpoint}"
            );
        }
    }
}

#[test]
fn open_loop_rate_with_duration_sends_about_rate_times_duration() {
    let server = mock(0, 0);
    let dir = artifact_dir("rate");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "16",
            "--osl",
            "4",
            "--request-rate",
            "200",
            "--arrival-pattern",
            "constant",
            "--benchmark-duration",
            "1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    let count = stat(&export, "request_count", "avg");
    // 200/s for 1 s with constant gaps is 200 releases; allow slack for a busy machine.
    assert!((150.0..=201.0).contains(&count), "count {count}");
    assert!(
        export["credit_to_start_latency"].is_object(),
        "send lag is reported"
    );
}

#[test]
fn same_seed_gives_identical_inputs_on_any_thread_count() {
    let server = mock(0, 0);
    let a = artifact_dir("seed-a");
    let b = artifact_dir("seed-b");
    let c = artifact_dir("seed-c");
    let flags = [
        "--isl",
        "50",
        "--isl-stddev",
        "10",
        "--osl",
        "8",
        "--num-dataset-entries",
        "40",
        "--request-count",
        "2",
    ];
    // Workload generation runs on rayon's pool: 1 thread vs 2 must not change a byte.
    for (dir, threads, seed) in [(&a, "1", "42"), (&b, "2", "42"), (&c, "2", "43")] {
        let mut args = flags.to_vec();
        args.extend_from_slice(&["--client-threads", threads, "--random-seed", seed]);
        let out = profile_with_env(&server.url(), dir, &args, &[("RAYON_NUM_THREADS", threads)]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let read = |d: &std::path::Path| std::fs::read(d.join("inputs.json")).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    assert_eq!(
        json(&a, "inputs.json")["data"].as_array().unwrap().len(),
        40
    );
}

/// `--export-inputs sample` keeps the first 100 sessions' bodies, byte for byte as `full`
/// writes them; `none` writes no inputs.json (and removes an earlier run's).
#[test]
fn export_inputs_full_sample_and_none() {
    let server = mock(0, 0);
    let full = artifact_dir("export-inputs-full");
    let sample = artifact_dir("export-inputs-sample");
    let flags = [
        "--isl",
        "8",
        "--osl",
        "2",
        "--num-dataset-entries",
        "130",
        "--request-count",
        "3",
    ];
    for (dir, which) in [(&full, "full"), (&sample, "sample")] {
        let mut args = flags.to_vec();
        args.extend_from_slice(&["--export-inputs", which]);
        let out = profile(&server.url(), dir, &args);
        assert!(out.status.success(), "{}", text(&out));
    }
    let all = json(&full, "inputs.json")["data"]
        .as_array()
        .unwrap()
        .clone();
    let some = json(&sample, "inputs.json")["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!((all.len(), some.len()), (130, 100));
    assert_eq!(some[..], all[..100]);
    let mut args = flags.to_vec();
    args.extend_from_slice(&["--export-inputs", "none"]);
    let out = profile(&server.url(), &sample, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!sample.join("inputs.json").exists());
    assert!(sample.join("profile_export.jsonl").is_file());
}

#[test]
fn one_body_sse_is_parsed_event_by_event() {
    // The whole stream arrives in one write: every event shares one arrival time, so TTFT
    // equals the request latency and the per-chunk gaps are zero, yet every token is counted.
    let server = MockServer::start(MockConfig {
        sse_mode: SseMode::OneBody,
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("one-body");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "16",
            "--osl",
            "12",
            "--request-count",
            "5",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 12.0);
    assert_eq!(stat(&export, "inter_chunk_latency", "count"), 5.0 * 11.0);
    assert_eq!(stat(&export, "inter_chunk_latency", "max"), 0.0);
    for line in jsonl(&dir) {
        let m = &line["metrics"];
        let ttft = m["time_to_first_token"]["value"].as_f64().unwrap();
        let latency = m["request_latency"]["value"].as_f64().unwrap();
        assert!(
            ttft <= latency && latency - ttft < 1.0,
            "{ttft} vs {latency}"
        );
    }
}

#[test]
fn several_urls_share_requests_round_robin() {
    let a = mock(0, 0);
    let b = mock(0, 0);
    let dir = artifact_dir("round-robin");
    let out = gauntlet(&[
        "profile",
        "--model",
        "mock-model",
        "--url",
        &a.url(),
        "--url",
        &b.url(),
        "--isl",
        "8",
        "--osl",
        "2",
        "--request-count",
        "10",
        "--concurrency",
        "3",
        "--output-artifact-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(a.stats().snapshot().chat_requests, 5);
    assert_eq!(b.stats().snapshot().chat_requests, 5);
}

#[test]
fn rate_capped_by_concurrency_never_exceeds_the_cap_and_shows_the_lag() {
    // 1,000 requests/s asked, but each request takes ≥ 30 ms and only 2 may be in flight:
    // the cap holds, and the wait shows up as send lag instead of being hidden.
    let server = mock(30, 0);
    let dir = artifact_dir("rate-cap");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "2",
            "--request-rate",
            "1000",
            "--arrival-pattern",
            "constant",
            "--concurrency",
            "2",
            "--request-count",
            "10",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let lines = jsonl(&dir);
    assert_eq!(lines.len(), 10);
    let spans: Vec<(u64, u64)> = lines
        .iter()
        .map(|l| {
            let m = &l["metadata"];
            (
                m["request_start_ns"].as_u64().unwrap(),
                m["request_end_ns"].as_u64().unwrap(),
            )
        })
        .collect();
    for &(start, _) in &spans {
        let in_flight = spans
            .iter()
            .filter(|&&(s, e)| s <= start && start < e)
            .count();
        assert!(in_flight <= 2, "{in_flight} in flight at {start}");
    }
    let export = json(&dir, "profile_export_aiperf.json");
    // The 10th release was due at 9 ms but could only go at ≥ 4 × 30 ms.
    assert!(stat(&export, "credit_to_start_latency", "max") >= 100.0);
    // And the run says so, loudly, next to the numbers.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("WARNING: the schedule was not held"),
        "{stdout}"
    );
}

#[test]
fn seq_dist_sends_paired_lengths() {
    let server = mock(0, 0);
    let dir = artifact_dir("seq-dist");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--seq-dist",
            "20,4:50;40,8:50",
            "--num-dataset-entries",
            "20",
            "--request-count",
            "20",
            "--concurrency",
            "4",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut pairs = std::collections::BTreeSet::new();
    for line in jsonl(&dir) {
        let m = &line["metrics"];
        let isl = m["input_sequence_length"]["value"].as_f64().unwrap();
        let osl = m["output_sequence_length"]["value"].as_f64().unwrap();
        pairs.insert((isl as u32, osl as u32));
    }
    assert_eq!(
        pairs.into_iter().collect::<Vec<_>>(),
        vec![(20, 4), (40, 8)]
    );
    let export = json(&dir, "profile_export_aiperf.json");
    let lengths = &export["input_config"]["synthetic"]["lengths"];
    assert_eq!(lengths["type"], "paired", "{lengths}");
}
