//! End-to-end: `https://` against the mock over TLS — trusted through `--ca-cert`, the
//! system store (`SSL_CERT_FILE`) or `--insecure`, and each certificate failure and
//! plain-HTTP/TLS mix-up told in one line (issue #19).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use gauntlet::mock::{MockTls, Validity};

/// A TLS mock with `tls`, and its CA written to a file in `dir`.
fn tls_mock(tls: MockTls, dir: &Path) -> (MockServer, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, tls.ca_pem()).unwrap();
    let server = MockServer::start(MockConfig {
        tls: Some(tls),
        ..MockConfig::default()
    })
    .unwrap();
    (server, ca)
}

const LOAD: [&str; 8] = [
    "--streaming",
    "--isl",
    "16",
    "--osl",
    "8",
    "--concurrency",
    "4",
    "--request-count",
];

fn run(url: &str, dir: &Path, requests: &str, extra: &[&str]) -> std::process::Output {
    let mut flags = LOAD.to_vec();
    flags.push(requests);
    flags.extend_from_slice(extra);
    profile(url, dir, &flags)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one `error:` line of a run refused before the clock.
fn refusal(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{}", text(out));
    lines[0].to_owned()
}

#[test]
fn ca_cert_trusts_the_mock_and_connections_are_kept_alive() {
    let dir = artifact_dir("tls-ca-cert");
    let (server, ca) = tls_mock(MockTls::self_signed().unwrap(), &dir.with_extension("ca"));
    let out = run(
        &server.url(),
        &dir,
        "200",
        &["--ca-cert", ca.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(server.url().starts_with("https://"));
    let stats = server.stats();
    assert_eq!(stats.snapshot().chat_requests, 200);
    assert_eq!(stats.snapshot().successful_requests, 200);
    // Four workers keep one connection each; the pre-flight handshake is the fifth; each
    // /metrics scrape (over TLS too, with the run's --ca-cert) opens its own.
    let scrapes = stats.snapshot().metrics_requests;
    assert!(scrapes >= 2, "{scrapes} scrapes");
    assert!(
        stats.connections() <= 5 + scrapes,
        "{} connections",
        stats.connections()
    );
    let export = json(&dir, "server_metrics_export.json");
    assert_eq!(
        export["summary"]["scrape_failures"], 0,
        "{}",
        export["summary"]
    );
    let url = format!("{}/metrics", server.url());
    assert_eq!(export["summary"]["endpoints_successful"][0], url.as_str());
    let chat = &export["metrics"]["vllm:request_success_total"]["series"][0]["stats"];
    assert_eq!(chat["total"], 200.0, "{chat}");
    let records = jsonl(&dir);
    assert_eq!(records.len(), 200);
    let metric = |r: &serde_json::Value, tag: &str| r["metrics"][tag]["value"].as_f64().unwrap();
    let fresh: Vec<&serde_json::Value> = (records.iter())
        .filter(|r| metric(r, "http_req_connection_reused") == 0.0)
        .collect();
    assert!(fresh.len() <= 4, "{} fresh connections", fresh.len());
    // A fresh connection's connect time includes the TLS handshake: well above zero.
    for r in &fresh {
        assert!(metric(r, "http_req_connecting") > 0.0, "{r}");
    }
    for r in &records {
        assert!(r["error"].is_null(), "{r}");
        assert_eq!(metric(r, "output_sequence_length"), 8.0, "{r}");
    }
}

#[test]
fn ssl_cert_file_is_the_system_store() {
    let dir = artifact_dir("tls-ssl-cert-file");
    let (server, ca) = tls_mock(MockTls::self_signed().unwrap(), &dir.with_extension("ca"));
    let mut flags = LOAD.to_vec();
    flags.push("20");
    let out = profile_with_env(
        &server.url(),
        &dir,
        &flags,
        &[("SSL_CERT_FILE", ca.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.stats().snapshot().successful_requests, 20);
}

#[test]
fn insecure_skips_verification_and_says_so_once() {
    let dir = artifact_dir("tls-insecure");
    // Expired and for another name: --insecure accepts it anyway.
    let tls = MockTls::generate(&["elsewhere.example"], Validity::Expired).unwrap();
    let (server, _) = tls_mock(tls, &dir.with_extension("ca"));
    let out = run(&server.url(), &dir, "20", &["--insecure"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.stats().snapshot().successful_requests, 20);
    let err = stderr(&out);
    assert_eq!(
        err.matches("--insecure: server certificates are not verified")
            .count(),
        1,
        "{}",
        text(&out)
    );
}

#[test]
fn an_unknown_ca_is_refused_in_one_line_naming_both_fixes() {
    let dir = artifact_dir("tls-unknown-ca");
    let (server, _) = tls_mock(MockTls::self_signed().unwrap(), &dir.with_extension("ca"));
    let out = run(&server.url(), &dir, "20", &[]);
    let line = refusal(&out);
    assert!(line.contains("signed by an unknown CA"), "{line}");
    assert!(
        line.contains("--ca-cert FILE") && line.contains("--insecure"),
        "{line}"
    );
    // Refused before the clock: no request reached the server.
    assert_eq!(server.stats().snapshot().chat_requests, 0);
}

#[test]
fn a_certificate_for_another_name_lists_the_names_it_has() {
    let dir = artifact_dir("tls-wrong-name");
    let tls = MockTls::generate(&["api.example.com", "10.9.8.7"], Validity::Current).unwrap();
    let (server, ca) = tls_mock(tls, &dir.with_extension("ca"));
    let out = run(
        &server.url(),
        &dir,
        "20",
        &["--ca-cert", ca.to_str().unwrap()],
    );
    let line = refusal(&out);
    let port = server.addr().port();
    assert!(
        line.contains(&format!(
            "the certificate of 127.0.0.1:{port} is not valid for '127.0.0.1': it names \
             api.example.com, 10.9.8.7"
        )),
        "{line}"
    );
}

#[test]
fn an_expired_certificate_says_when_it_expired() {
    let dir = artifact_dir("tls-expired");
    let tls = MockTls::generate(&["127.0.0.1"], Validity::Expired).unwrap();
    let (server, ca) = tls_mock(tls, &dir.with_extension("ca"));
    let out = run(
        &server.url(),
        &dir,
        "20",
        &["--ca-cert", ca.to_str().unwrap()],
    );
    let line = refusal(&out);
    assert!(line.contains("expired on 2020-12-31"), "{line}");
    assert!(line.contains("--insecure"), "{line}");
}

#[test]
fn http_to_a_tls_port_says_use_https() {
    let dir = artifact_dir("tls-http-to-tls");
    let (server, _) = tls_mock(MockTls::self_signed().unwrap(), &dir.with_extension("ca"));
    let plain = format!("http://{}", server.addr());
    let out = run(&plain, &dir, "10", &["--no-server-metrics"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    let summary = export["error_summary"].as_array().unwrap();
    assert_eq!(summary.len(), 1, "{summary:?}");
    assert_eq!(summary[0]["count"], 10);
    let message = summary[0]["error_details"]["message"].as_str().unwrap();
    assert_eq!(message, "the server speaks TLS: use https:// in --url");
}

#[test]
fn https_to_a_plain_port_says_use_http() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let dir = artifact_dir("tls-https-to-plain");
    let url = format!("https://{}", server.addr());
    let out = run(&url, &dir, "10", &[]);
    let line = refusal(&out);
    assert!(
        line.contains("answered in plain HTTP, not TLS: use http://"),
        "{line}"
    );
}

#[test]
fn a_yaml_file_sets_the_ca_and_a_bad_ca_file_is_named_with_its_line() {
    let dir = artifact_dir("tls-yaml");
    let (server, ca) = tls_mock(MockTls::self_signed().unwrap(), &dir.with_extension("ca"));
    let config = dir.with_extension("yaml");
    let write = |ca: &str| {
        std::fs::write(
            &config,
            format!(
                "schemaVersion: \"2.0\"\nbenchmark:\n  model: mock-model\n  endpoint:\n    \
                 url: {}\n    streaming: true\n    ca_cert: {ca}\n",
                server.url()
            ),
        )
        .unwrap();
    };
    write(ca.to_str().unwrap());
    let config_arg = config.to_str().unwrap();
    let dir_arg = dir.to_str().unwrap();
    let args = [
        "profile",
        "--config",
        config_arg,
        "--request-count",
        "10",
        "--output-artifact-dir",
        dir_arg,
    ];
    let out = gauntlet(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.stats().snapshot().successful_requests, 10);

    write("/nonexistent/ca.pem");
    let line = refusal(&gauntlet(&args));
    assert!(
        line.contains("tls-yaml.yaml:7: benchmark.endpoint.ca_cert")
            && line.contains("/nonexistent/ca.pem"),
        "{line}"
    );
}

/// `gauntlet mock-server --tls` as a user runs it: the CA path and the https:// URL it prints
/// are what `profile` needs.
#[test]
fn mock_server_tls_prints_its_ca_file_and_an_https_url() {
    struct Child(std::process::Child);
    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_gauntlet"))
            .args(["mock-server", "--port", "0", "--tls"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let ca_line = lines.next().unwrap().unwrap();
    let ca = ca_line
        .strip_prefix("CA certificate: ")
        .unwrap_or_else(|| panic!("{ca_line}"))
        .to_owned();
    let url_line = lines.next().unwrap().unwrap();
    let url = url_line
        .strip_prefix("mock server listening on ")
        .unwrap_or_else(|| panic!("{url_line}"))
        .to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let dir = artifact_dir("tls-mock-server-cli");
    let out = run(&url, &dir, "20", &["--ca-cert", &ca]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(jsonl(&dir).len(), 20);
    drop(child);
    let _ = std::fs::remove_dir_all(Path::new(&ca).parent().unwrap());
}

#[test]
fn discovery_and_the_readiness_wait_speak_https() {
    let dir = artifact_dir("tls-discovery");
    std::fs::create_dir_all(dir.with_extension("ca")).unwrap();
    let tls = MockTls::self_signed().unwrap();
    let ca = dir.with_extension("ca").join("ca.pem");
    std::fs::write(&ca, tls.ca_pem()).unwrap();
    let server = MockServer::start(MockConfig {
        tls: Some(tls),
        model: "served-model".into(),
        ready_after: Some(std::time::Duration::from_millis(700)),
        ..MockConfig::default()
    })
    .unwrap();
    // No --model: /v1/models is asked over TLS (again each interval while the server loads),
    // then the inference check of the wait, then the run.
    let out = gauntlet(&[
        "profile",
        "--url",
        &server.url(),
        "--ca-cert",
        ca.to_str().unwrap(),
        "--isl",
        "8",
        "--osl",
        "4",
        "--request-count",
        "3",
        "--wait-for-model-timeout",
        "20",
        "--wait-for-model-interval",
        "0.2",
        "--output-artifact-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "model: served-model (from {}/v1/models)",
            server.url()
        )),
        "{err}"
    );
    assert_eq!(server.stats().snapshot().successful_requests, 4, "{err}");
    // Without the CA, discovery fails in one line naming the TLS cause.
    let out = gauntlet(&[
        "profile",
        "--url",
        &server.url(),
        "--request-count",
        "1",
        "--output-artifact-dir",
        dir.to_str().unwrap(),
    ]);
    let line = refusal(&out);
    assert!(
        line.contains("/v1/models") && line.contains("TLS"),
        "{line}"
    );
}
