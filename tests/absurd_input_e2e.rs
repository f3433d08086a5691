//! Absurd values from flags, YAML and files (issue #18, findings 3, 6 and 11): each is refused
//! at load time in one line naming the flag, key or file — never a panic, never a run that
//! fails on every request.

mod common;

use common::gauntlet;

/// Asserts a bad-input exit: code 2, one stderr line containing each of `needles`.
fn assert_one_line_refusal(args: &[&str], needles: &[&str]) {
    let out = gauntlet(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: {needle:?} not in {stderr}"
        );
    }
}

#[test]
fn too_many_client_threads_is_a_flag_error_not_a_panic() {
    let profile = ["profile", "--model", "m", "--request-count", "1"];
    let args = [&profile[..], &["--client-threads", "100000"]].concat();
    assert_one_line_refusal(&args, &["--client-threads", "1024"]);
    assert_one_line_refusal(
        &["calibrate", "--client-threads", "100000"],
        &["--client-threads", "1024"],
    );
}
