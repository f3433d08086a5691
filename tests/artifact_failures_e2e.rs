//! A finished run whose artifacts cannot all be written: the console results come first,
//! every other artifact is written, each failure is named on one line, and the exit code is 3.

mod common;

use common::*;

#[test]
fn a_directory_where_the_csv_goes_names_it_and_keeps_the_rest() {
    let server = mock(0, 0);
    let dir = artifact_dir("artifact-blocked");
    let blocked = dir.join("profile_export_aiperf.csv");
    std::fs::create_dir_all(&blocked).unwrap();
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "4",
            "--request-count",
            "20",
            "--concurrency",
            "4",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Requests: 20 scheduled = 20 succeeded + 0 failed"),
        "{}",
        text(&out)
    );
    assert!(stdout.contains("Time to First Token"), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failures: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: artifact not written: "))
        .collect();
    assert_eq!(failures.len(), 1, "{}", text(&out));
    assert!(
        failures[0].contains(&*blocked.to_string_lossy()) && failures[0].contains("os error"),
        "{}",
        failures[0]
    );
    // Every other artifact is there, and complete.
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(export["is_complete"], true);
    assert_eq!(export["request_accounting"]["completed"], 20);
    assert_eq!(jsonl(&dir).len(), 20);
    for file in ["profile_export_console.txt", "inputs.json"] {
        assert!(dir.join(file).is_file(), "{file} missing: {}", text(&out));
    }
    assert!(blocked.is_dir());
    // No temp file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
