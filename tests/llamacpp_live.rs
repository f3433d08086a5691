//! Live against a running llama.cpp `llama-server` (started with `--metrics`), only when
//! `GAUNTLET_LLAMA_SERVER` names it (e.g. `http://127.0.0.1:8080`; docs/real-servers.md):
//! for `responses` and `messages`, streaming and not, the output tokens gauntlet counts equal
//! the server's own `llamacpp:tokens_predicted_total` delta over the run. Without the
//! variable the test passes at once and says so.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

/// `llamacpp:tokens_predicted_total` from the server's `/metrics`.
fn tokens_predicted(base: &str) -> f64 {
    let hostport = base.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = TcpStream::connect(hostport).expect("connect to GAUNTLET_LLAMA_SERVER");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    reply
        .lines()
        .find_map(|l| l.strip_prefix("llamacpp:tokens_predicted_total "))
        .unwrap_or_else(|| panic!("no llamacpp:tokens_predicted_total (start with --metrics)"))
        .trim()
        .parse()
        .unwrap()
}

/// The tests share one server, and the first compares the server's own token counter before
/// and after its runs: they take turns, or one's requests land in the other's delta.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn llamacpp_live_output_tokens_equal_the_servers_count() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Ok(base) = std::env::var("GAUNTLET_LLAMA_SERVER") else {
        eprintln!("GAUNTLET_LLAMA_SERVER not set: live llama-server test skipped");
        return;
    };
    for endpoint_type in ["responses", "messages"] {
        for streaming in [false, true] {
            let before = tokens_predicted(&base);
            let dir = artifact_dir(&format!("llamacpp-live-{endpoint_type}-{streaming}"));
            let mut args = vec![
                "--endpoint-type",
                endpoint_type,
                "--isl",
                "32",
                "--osl",
                "24",
            ];
            args.extend(["--request-count", "6", "--concurrency", "2"]);
            if streaming {
                args.push("--streaming");
            }
            let out = profile(&base, &dir, &args);
            assert!(out.status.success(), "{}", text(&out));
            let records = jsonl(&dir);
            assert_eq!(records.len(), 6);
            let counted: f64 = records
                .iter()
                .map(|r| {
                    r["metrics"]["output_sequence_length"]["value"]
                        .as_f64()
                        .unwrap()
                })
                .sum();
            let delta = tokens_predicted(&base) - before;
            eprintln!(
                "{endpoint_type} streaming={streaming}: gauntlet {counted} output tokens, \
                 server tokens_predicted_total +{delta}"
            );
            assert_eq!(counted, delta, "{endpoint_type} streaming={streaming}");
            let export = json(&dir, "profile_export_aiperf.json");
            assert_eq!(export["time_to_first_token"].is_null(), !streaming);
        }
    }
}

#[test]
fn llamacpp_live_sessions_send_a_history_the_server_accepts() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Ok(base) = std::env::var("GAUNTLET_LLAMA_SERVER") else {
        eprintln!("GAUNTLET_LLAMA_SERVER not set: live llama-server test skipped");
        return;
    };
    for endpoint_type in ["responses", "messages"] {
        let dir = artifact_dir(&format!("llamacpp-live-sessions-{endpoint_type}"));
        let args = [
            "--endpoint-type",
            endpoint_type,
            "--streaming",
            "--conversation-num",
            "2",
            "--conversation-turn-mean",
            "3",
            "--isl",
            "32",
            "--osl",
            "8",
        ];
        let out = profile(&base, &dir, &args);
        assert!(out.status.success(), "{endpoint_type}: {}", text(&out));
        let records = jsonl(&dir);
        assert_eq!(records.len(), 6, "{endpoint_type}");
        // Later turns carry the history: the server saw longer prompts.
        let prompts: Vec<f64> = records
            .iter()
            .map(|r| {
                r["metrics"]["usage_prompt_tokens"]["value"]
                    .as_f64()
                    .unwrap()
            })
            .collect();
        let (min, max) = prompts
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), &p| (a.min(p), b.max(p)));
        assert!(max > min + 32.0, "{endpoint_type}: {prompts:?}");
        eprintln!("{endpoint_type} sessions: 6 turns, server prompt tokens {prompts:?}");
    }
}
