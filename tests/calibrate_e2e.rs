//! `gauntlet calibrate` and `profile --calibrate` through the real CLI.

mod common;

use common::*;

#[test]
fn calibrate_prints_and_writes_its_figures() {
    let dir = artifact_dir("calibrate");
    std::fs::create_dir_all(&dir).unwrap();
    let out_file = dir.join("c.json");
    let out = gauntlet(&[
        "calibrate",
        "--rates",
        "400,200",
        "--step-seconds",
        "0.2",
        "--client-threads",
        "1",
        "--output",
        out_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("clock read") && text.contains("first SSE event"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    // Rates are stepped in ascending order whatever order they were given in.
    assert_eq!(json["rates"][0]["target_rps"], 200.0);
    assert_eq!(json["rates"][1]["target_rps"], 400.0);
    assert!(json["first_event_us"]["p99"].as_f64().unwrap() > 0.0);
    assert!(json["loopback_floor_us"]["p50"].as_f64().unwrap() > 0.0);
    assert_eq!(json["lag_target_us"], 100.0);

    let bad = gauntlet(&["calibrate", "--rates", "0"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--rates"));
}

#[test]
fn profile_calibrate_writes_calibration_json_into_the_artifacts() {
    let server = mock(0, 0);
    let dir = artifact_dir("profile-calibrate");
    let out = profile(
        &server.url(),
        &dir,
        &["--streaming", "--request-count", "5", "--calibrate"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = json(&dir, "calibration.json");
    assert!(c["clock_read_ns"].as_f64().unwrap() > 0.0);
    assert!(!c["rates"].as_array().unwrap().is_empty());
}
