//! End to end: AIPerf's `video_generation` (issue #19) from the real CLI. Against the mock,
//! each request is a whole job: submitted, polled until `completed`, and with
//! `--download-video-content` downloaded; its latency covers all of it. Against servers
//! written here, a job the server fails, a reply without a job id and a job that never ends
//! are each one clear error.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{
    artifact_dir, captured_bodies, json, jsonl, profile, stat, text, MockConfig, MockServer,
};

const JOB_MS: u64 = 150;

fn video_mock() -> MockServer {
    MockServer::start(MockConfig {
        video_job: Duration::from_millis(JOB_MS),
        capture_requests: true,
        ..MockConfig::default()
    })
    .expect("mock server starts")
}

#[test]
fn each_request_is_a_job_polled_until_completed() {
    let server = video_mock();
    let dir = artifact_dir("video-generation");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--endpoint-type",
            "video_generation",
            "--request-count",
            "4",
            "--concurrency",
            "2",
            "--video-poll-interval",
            "0.04",
            "--extra-inputs",
            "size:1280x720",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let snapshot = server.stats().snapshot();
    assert_eq!(snapshot.video_jobs, 4);
    assert_eq!(snapshot.video_downloads, 0);
    // Polled at once, then every 40 ms until 150 ms have passed: at least 4 polls a job.
    assert!(snapshot.video_polls >= 16, "{snapshot:?}");
    for body in captured_bodies(&server) {
        assert_eq!(body["size"], "1280x720", "{body}");
        assert!(
            body["prompt"].as_str().is_some_and(|p| !p.is_empty()),
            "{body}"
        );
        assert!(body.get("messages").is_none(), "{body}");
    }
    let records = jsonl(&dir);
    assert_eq!(records.len(), 4);
    for record in &records {
        let latency = record["metrics"]["request_latency"]["value"]
            .as_f64()
            .unwrap();
        assert!(
            latency >= JOB_MS as f64,
            "latency {latency} ms < the job's {JOB_MS} ms"
        );
        assert!(
            record["metrics"].get("time_to_first_token").is_none(),
            "{record}"
        );
        assert!(
            record["metrics"].get("output_sequence_length").is_none(),
            "{record}"
        );
    }
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 4.0);
    assert!(stat(&export, "request_latency", "min") >= JOB_MS as f64);
}

#[test]
fn download_video_content_fetches_each_video_once_done() {
    let server = video_mock();
    let dir = artifact_dir("video-generation-download");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--endpoint-type",
            "video_generation",
            "--request-count",
            "2",
            "--video-poll-interval",
            "0.05",
            "--download-video-content",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let snapshot = server.stats().snapshot();
    assert_eq!((snapshot.video_jobs, snapshot.video_downloads), (2, 2));
    for record in jsonl(&dir) {
        let kb = record["metrics"]["http_req_data_received"]["value"]
            .as_f64()
            .unwrap();
        // The mock's video is 32 KiB; the job replies come on top.
        assert!(kb > 32.0, "{kb} KB received");
    }
}

/// A server that answers each request to `/v1/videos…` with the next of `answers` (status,
/// JSON body), on kept-alive connections; anything else (the `/metrics` scrapes) gets a 404.
fn scripted_server(answers: Vec<(u16, &'static str)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut answers = answers.into_iter();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            loop {
                let mut length = 0usize;
                let mut line = String::new();
                let mut first = true;
                let mut path = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if first {
                        path = line.split(' ').nth(1).unwrap_or_default().to_owned();
                    }
                    first = false;
                    if line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                if first {
                    break;
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    break;
                }
                let (status, reply) = if path.starts_with("/v1/videos") {
                    match answers.next() {
                        Some(answer) => answer,
                        None => return,
                    }
                } else {
                    (404, "{}")
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    reply.len()
                );
                if writer.write_all(head.as_bytes()).is_err()
                    || writer.write_all(reply.as_bytes()).is_err()
                {
                    break;
                }
            }
        }
    });
    url
}

fn one_failed_request(url: &str, name: &str, extra: &[&str]) -> serde_json::Value {
    let dir = artifact_dir(name);
    let mut args = vec![
        "--endpoint-type",
        "video_generation",
        "--request-count",
        "1",
        "--video-poll-interval",
        "0.01",
    ];
    args.extend_from_slice(extra);
    let out = profile(url, &dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "error_request_count", "avg"), 1.0);
    export["error_summary"][0]["error_details"].clone()
}

#[test]
fn a_failed_job_is_an_error_with_the_servers_message() {
    let url = scripted_server(vec![
        (200, r#"{"id":"job-1","object":"video","status":"queued"}"#),
        (
            200,
            r#"{"id":"job-1","status":"in_progress","progress":40}"#,
        ),
        (
            200,
            r#"{"id":"job-1","status":"failed","error":{"code":"oom","message":"GPU out of memory"}}"#,
        ),
    ]);
    let error = one_failed_request(&url, "video-generation-failed", &[]);
    assert_eq!(error["type"], "VideoGenerationError", "{error}");
    assert_eq!(
        error["message"], "video generation failed: GPU out of memory",
        "{error}"
    );
}

#[test]
fn a_reply_without_a_job_id_and_a_job_that_never_ends_fail_in_one_line() {
    let url = scripted_server(vec![(200, r#"{"object":"video","status":"queued"}"#)]);
    let error = one_failed_request(&url, "video-generation-no-id", &[]);
    assert_eq!(error["type"], "VideoGenerationError", "{error}");
    assert_eq!(
        error["message"], "the video job reply has no \"id\" to poll",
        "{error}"
    );

    let mut forever = vec![(200, r#"{"id":"j","status":"queued"}"#)];
    forever.extend(std::iter::repeat_n(
        (200, r#"{"id":"j","status":"in_progress"}"#),
        10_000,
    ));
    let url = scripted_server(forever);
    let error = one_failed_request(
        &url,
        "video-generation-timeout",
        &["--request-timeout-seconds", "0.5"],
    );
    assert_eq!(error["type"], "Timeout", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("timed out"),
        "{error}"
    );
}

#[test]
fn a_poll_answered_with_an_http_error_names_the_step() {
    let url = scripted_server(vec![
        (200, r#"{"id":"job-9","status":"queued"}"#),
        (
            404,
            r#"{"error":{"message":"No video found with id 'job-9'"}}"#,
        ),
    ]);
    let error = one_failed_request(&url, "video-generation-poll-404", &[]);
    assert_eq!(error["code"], 404, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("HTTP 404 polling the video job: "),
        "{message}"
    );
}
