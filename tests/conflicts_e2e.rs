//! Silent clamping and silent conflicts (issue #18, finding 10), through the real binary: a
//! flag and a config key follow the same rules, and each refusal or warning is one line naming
//! both options. Nothing here reaches a server: every case is decided while resolving.

mod common;

use std::path::{Path, PathBuf};

use common::gauntlet;

const INPUT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/inputs/single_turn.jsonl"
);

fn yaml_file(name: &str, body: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conflicts-e2e");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    let text = format!("schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n{body}");
    std::fs::write(&path, text).expect("write yaml");
    path
}

/// Exit 2 and one stderr line holding each of `needles`.
fn refused(args: &[&str], needles: &[&str]) {
    let out = gauntlet(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: {needle:?} not in {stderr}"
        );
    }
}

/// `config validate` accepts and prints one `warning:` line holding each of `needles`.
fn warned(args: &[&str], needles: &[&str]) {
    let out = gauntlet(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            warnings[0].contains(needle),
            "{args:?}: {needle:?} not in {stderr}"
        );
    }
}

const PROFILE: [&str; 5] = ["profile", "--model", "m", "--url", "http://127.0.0.1:1"];

#[test]
fn numbers_past_their_type_are_refused_not_clamped() {
    refused(
        &[&PROFILE[..], &["--osl", "1e30"]].concat(),
        &["--output-tokens-mean", "4294967295"],
    );
    let f = yaml_file(
        "requests.yaml",
        "  phases:\n    - {name: p, type: concurrency, concurrency: 1, requests: 18446744073709551616}\n",
    );
    let f = f.to_str().unwrap();
    let out = gauntlet(&["config", "validate", f]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("requests.yaml:5: benchmark.phases[0].requests: ")
            && stderr.contains("too large"),
        "{stderr}"
    );
}

#[test]
fn a_zero_isl_is_refused_from_a_file_as_from_a_flag() {
    refused(
        &[&PROFILE[..], &["--isl", "0"]].concat(),
        &["--synthetic-input-tokens-mean: must be at least 1, got 0"],
    );
    let f = yaml_file("isl0.yaml", "  dataset:\n    isl: {mean: 0}\n");
    refused(
        &["config", "validate", f.to_str().unwrap()],
        &["isl0.yaml:5: benchmark.dataset.isl: must be at least 1, got 0"],
    );
}

#[test]
fn conflicting_options_are_refused_naming_both() {
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["--api-key", "k", "-H", "Authorization: x"],
            &["--api-key", "--header"],
        ),
        (
            &["-H", "Content-Length: 3"],
            &["--header", "Content-Length"],
        ),
        (
            &["--extra-inputs", "messages:[]"],
            &["--extra-inputs", "messages"],
        ),
        (
            &["--streaming", "--extra-inputs", "stream:false"],
            &["--extra-inputs", "--streaming"],
        ),
        (
            &["--seq-dist", "10,2:100", "--isl", "5"],
            &["--seq-dist", "--synthetic-input-tokens-mean"],
        ),
    ];
    for (flags, needles) in cases {
        refused(&[&PROFILE[..], flags].concat(), needles);
    }
    let f = yaml_file(
        "auth.yaml",
        "  endpoint:\n    headers:\n      Authorization: Bearer x\n",
    );
    refused(
        &["config", "validate", f.to_str().unwrap(), "--api-key", "k"],
        &[
            "--api-key",
            "benchmark.endpoint.headers.Authorization (",
            "auth.yaml:6)",
        ],
    );
}

#[test]
fn ignored_options_are_warned_about_naming_both() {
    let f = yaml_file("plain.yaml", "");
    let f = f.to_str().unwrap();
    warned(
        &[
            "config",
            "validate",
            f,
            "--input-file",
            INPUT,
            "--isl",
            "100",
        ],
        &["--synthetic-input-tokens-mean is ignored", "--input-file"],
    );
    warned(
        &["config", "validate", f, "--arrival-smoothness", "2"],
        &["--arrival-smoothness is ignored", "--arrival-pattern gamma"],
    );
    warned(
        &[
            "config",
            "validate",
            f,
            "--endpoint-type",
            "embeddings",
            "--streaming",
        ],
        &["--streaming is ignored", "--endpoint-type embeddings"],
    );
}
