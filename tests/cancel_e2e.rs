//! End-to-end: `run::Cancel` stops the one run it belongs to, the way Ctrl-C stops a run,
//! while another run in the same process goes on to the end (what `ffi/` relies on).

mod common;

use std::time::Duration;

use common::*;

#[test]
fn a_cancel_stops_its_own_run_and_no_other() {
    let server = mock(5, 5);
    let url = server.url();
    let long_dir = artifact_dir("cancel-long");
    let short_dir = artifact_dir("cancel-short");
    let plan = |dir: &std::path::Path, stop: [&str; 2]| {
        plan_from_args(&[
            stop[0],
            stop[1],
            "--model",
            "mock-model",
            "--url",
            &url,
            "--streaming",
            "--isl",
            "16",
            "--osl",
            "8",
            "--concurrency",
            "2",
            "--output-artifact-dir",
            dir.to_str().unwrap(),
        ])
    };
    // Bounded: were the cancel lost, the long run would still end after 30 s (and fail below).
    let long = plan(&long_dir, ["--benchmark-duration", "30"]);
    let short = plan(&short_dir, ["--request-count", "40"]);
    let cancel = gauntlet::run::Cancel::new();
    let (long_outcome, short_outcome) = std::thread::scope(|s| {
        let long_run = s.spawn(|| gauntlet::run::run_cancellable(&long, &cancel));
        let short_run = s.spawn(|| gauntlet::run::run(&short));
        std::thread::sleep(Duration::from_millis(800));
        cancel.cancel();
        (long_run.join().unwrap(), short_run.join().unwrap())
    });
    let long_outcome = long_outcome.expect("the cancelled run still ends with its results");
    assert!(long_outcome.interrupted());
    assert_eq!(long_outcome.exit_code, 130);
    let export = json(&long_dir, "profile_export_aiperf.json");
    assert_eq!(export["was_cancelled"], true, "{}", export["was_cancelled"]);
    let short_outcome = short_outcome.expect("the other run");
    assert!(
        !short_outcome.interrupted(),
        "the other run was stopped too"
    );
    assert_eq!(short_outcome.exit_code, 0);
    assert_eq!(jsonl(&short_dir).len(), 40);
    // A switch turned before the run starts stops it as it starts: nothing completes (the
    // first workers' tickets are recorded as cancelled, as after a Ctrl-C at that moment).
    let early = gauntlet::run::Cancel::new();
    early.cancel();
    let early_dir = artifact_dir("cancel-early");
    let outcome =
        gauntlet::run::run_cancellable(&plan(&early_dir, ["--request-count", "50"]), &early)
            .unwrap();
    assert!(outcome.interrupted());
    let records = jsonl(&early_dir);
    assert!(records.len() <= 2, "{} records", records.len());
    assert!(records
        .iter()
        .all(|r| r["metadata"]["was_cancelled"] == true));
}
