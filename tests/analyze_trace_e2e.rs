//! `gauntlet analyze-trace` without `--output-file` prints its report and writes no file, as
//! AIPerf's does, and says so on stderr.

mod common;

use std::process::Command;

use common::*;

#[test]
fn without_output_file_nothing_is_written_and_stderr_says_so() {
    let trace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/shared/traces/mooncake_synthetic_trace.jsonl");
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(["analyze-trace", trace.to_str().unwrap()])
        .current_dir(cwd.path())
        .output()
        .expect("the gauntlet binary runs");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("total_requests              3993\n"),
        "{}",
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{}", text(&out));
    assert!(stderr.contains("--output-file"), "{}", text(&out));
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(
        left.is_empty(),
        "files left in the current folder: {left:?}"
    );
}
