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

/// Every file under `dir` and the run's output hold no `secret`.
fn assert_no_secret(out: &std::process::Output, dir: &std::path::Path, secret: &str) {
    let all = common::text(out);
    assert!(!all.contains(secret), "{all}");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let content = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!content.contains(secret), "secret in {}", path.display());
    }
}

#[test]
fn urls_are_parsed_by_a_real_url_parser() {
    let server = common::mock(0, 0);
    let upper = server.url().replacen("http://", "HTTP://", 1);
    let small = ["--isl", "8", "--osl", "2", "--request-count", "2"];
    // An upper-case scheme and a query both reach the server.
    for url in [upper.clone(), format!("{}?x=1", server.url())] {
        let dir = common::artifact_dir("url-forms");
        let out = common::profile(&url, &dir, &small);
        assert!(out.status.success(), "{url}: {}", common::text(&out));
        assert!(
            common::text(&out).contains("2 succeeded"),
            "{}",
            common::text(&out)
        );
    }
    // user:password@ is sent as Basic auth; the password is in no output or artifact.
    let dir = common::artifact_dir("url-userinfo");
    let with_user = server.url().replacen("http://", "http://user:PASSWORD@", 1);
    let out = common::profile(&with_user, &dir, &small);
    assert!(out.status.success(), "{}", common::text(&out));
    assert_no_secret(&out, &dir, "PASSWORD");
    let cli_command =
        common::json(&dir, "profile_export_aiperf.json")["run_info"]["cli_command"].to_string();
    assert!(cli_command.contains("user:***@"), "{cli_command}");

    let profile = ["profile", "--model", "m", "--request-count", "1", "--url"];
    for (url, needle) in [
        ("http://127.0.0.1:0", "port 0"),
        ("http://local host:8000", "local host"),
        ("http://", "host"),
    ] {
        assert_one_line_refusal(&[&profile[..], &[url]].concat(), &["--url", needle]);
    }
    let conflict = [&profile[..], &["http://u:PASSWORD@h:1", "--api-key", "k"]].concat();
    assert_one_line_refusal(&conflict, &["--url", "--api-key"]);
    let conflict = [
        &profile[..],
        &["http://u:PASSWORD@h:1", "-H", "Authorization: x"],
    ]
    .concat();
    assert_one_line_refusal(&conflict, &["--url", "Authorization"]);
    let metrics = [
        &profile[..],
        &["http://h:1", "--server-metrics", "http://u:PASSWORD@h:9090"],
    ]
    .concat();
    let out = gauntlet(&metrics);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--server-metrics") && !stderr.contains("PASSWORD"),
        "{stderr}"
    );
}

#[test]
fn prompts_longer_than_the_cap_are_refused_before_memory_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let profile = ["profile", "--model", "m", "--request-count", "1"];
    // 1e12 tokens asked for: refused at once, not grown until the machine runs out of memory.
    let args = [
        &profile[..],
        &["--isl", "1000000000000", "--url", "http://127.0.0.1:9"],
    ];
    assert_one_line_refusal(&args.concat(), &["at most 1048576 tokens"]);
    // A trace row asking for 1e9 tokens is named by file and line.
    let trace = dir.path().join("absurd.jsonl");
    std::fs::write(
        &trace,
        "{\"timestamp\": 0, \"input_length\": 8, \"output_length\": 2}\n\
         {\"timestamp\": 1, \"input_length\": 1000000000, \"output_length\": 2}\n",
    )
    .unwrap();
    let trace = trace.to_str().unwrap();
    let args = [
        &profile[..],
        &[
            "--input-file",
            trace,
            "--custom-dataset-type",
            "mooncake_trace",
        ],
        &["--url", "http://127.0.0.1:9"],
    ];
    assert_one_line_refusal(&args.concat(), &["absurd.jsonl:2", "1000000000 tokens"]);
}

#[test]
fn a_line_longer_than_the_cap_is_refused_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    let mut text = String::from("{\"text\": \"short\"}\n{\"text\": \"");
    text.push_str(&"a".repeat(gauntlet::config::MAX_LINE_BYTES));
    text.push_str("\"}\n");
    std::fs::write(&path, text).unwrap();
    let file = path.to_str().unwrap();
    let args = [
        "profile",
        "--model",
        "m",
        "--url",
        "http://127.0.0.1:9",
        "--input-file",
        file,
        "--custom-dataset-type",
        "single_turn",
    ];
    assert_one_line_refusal(&args, &["long.jsonl:2", "67108864 bytes"]);
    // analyze-trace streams its trace: the long line is refused after reading one byte past
    // the cap, not after reading it whole.
    let trace = dir.path().join("long-trace.jsonl");
    let mut text = String::from("{\"input_length\": 8, \"output_length\": 2}\n");
    text.push_str(&" ".repeat(gauntlet::config::MAX_LINE_BYTES + 10));
    std::fs::write(&trace, text).unwrap();
    let trace = trace.to_str().unwrap();
    assert_one_line_refusal(
        &["analyze-trace", trace],
        &["long-trace.jsonl:2", "67108864 bytes"],
    );
}
