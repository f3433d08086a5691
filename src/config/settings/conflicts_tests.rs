//! Issue #18 finding 10: no silent clamping, no silent conflicts, the same rules for a flag
//! and a file key.

use super::*;
use crate::config::ConfigFile;

fn file(body: &str) -> Settings {
    let text = format!("schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n{body}");
    let settings = ConfigFile::parse(&text, "b.yaml")
        .unwrap()
        .resolve()
        .unwrap();
    Settings::from_file(&settings)
}

fn file_err(body: &str) -> String {
    let text = format!("schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n{body}");
    ConfigFile::parse(&text, "b.yaml")
        .unwrap()
        .resolve()
        .unwrap_err()
        .to_string()
}

fn model() -> Settings {
    Settings {
        model: flag("--model", Some(vec!["m".to_string()])),
        ..Settings::default()
    }
}

fn err(s: Settings) -> String {
    s.resolve(String::new()).unwrap_err().to_string()
}

fn warnings(s: Settings) -> Vec<String> {
    s.resolve(String::new()).unwrap().warnings
}

#[test]
fn integers_past_their_type_are_refused_not_clamped() {
    let e = file_err("  phases:\n    - {name: p, type: concurrency, concurrency: 1, requests: 18446744073709551616}\n");
    assert!(e.contains("requests") && e.contains("too large"), "{e}");
    let osl = Settings {
        osl_mean: flag("--output-tokens-mean", Some(1e30)),
        ..model()
    };
    let e = err(osl);
    assert!(
        e.starts_with("--output-tokens-mean: ") && e.contains("4294967295"),
        "{e}"
    );
    let e = err(file("  dataset:\n    isl: {mean: 1e30}\n"));
    assert!(
        e.starts_with("b.yaml:5: benchmark.dataset.isl: a prompt of "),
        "{e}"
    );
    let e = err(file("  dataset:\n    osl: 1e30\n"));
    assert!(
        e.starts_with("b.yaml:5: benchmark.dataset.osl: 1e30 tokens "),
        "{e}"
    );
    let isl = Settings {
        isl_mean: flag("--synthetic-input-tokens-mean", Some(1e12)),
        ..model()
    };
    assert!(err(isl).contains("at most 1048576 tokens"));
}

#[test]
fn a_zero_length_is_refused_from_a_file_as_from_a_flag() {
    let e = err(file("  dataset:\n    isl: {mean: 0}\n"));
    assert_eq!(
        e,
        "b.yaml:5: benchmark.dataset.isl: must be at least 1, got 0"
    );
    let flag_zero = Settings {
        isl_mean: flag("--synthetic-input-tokens-mean", Some(0.0)),
        ..model()
    };
    assert_eq!(
        err(flag_zero),
        "--synthetic-input-tokens-mean: must be at least 1, got 0"
    );
    let e = err(file("  dataset:\n    osl: 0\n"));
    assert!(
        e.starts_with("b.yaml:5: benchmark.dataset.osl: must be at least 1"),
        "{e}"
    );
}

#[test]
fn api_key_and_an_authorization_header_are_refused_on_both_paths() {
    let both = Settings {
        api_key: flag("--api-key", Some("k".to_string())),
        headers: vec![Given::flag(
            "--header",
            "authorization: Bearer x".to_string(),
        )],
        ..model()
    };
    let e = err(both);
    assert!(
        e.starts_with("--api-key: ") && e.contains("--header"),
        "{e}"
    );
    let f = file("  endpoint:\n    headers:\n      Authorization: Bearer x\n");
    let e = err(Settings {
        api_key: flag("--api-key", Some("k".to_string())),
        ..Settings::default()
    }
    .over(f));
    assert!(
        e.contains("benchmark.endpoint.headers.Authorization (b.yaml:6)"),
        "{e}"
    );
}

#[test]
fn with_messages_the_api_key_conflicts_with_x_api_key_not_authorization() {
    let messages = |header: &str| Settings {
        api_key: flag("--api-key", Some("k".to_string())),
        endpoint: flag(
            "--endpoint-type",
            Some(crate::config::EndpointType::Messages),
        ),
        headers: vec![Given::flag("--header", header.to_string())],
        ..model()
    };
    let e = err(messages("X-Api-Key: other"));
    assert!(
        e.starts_with("--api-key: is sent as x-api-key and conflicts with the X-Api-Key header"),
        "{e}"
    );
    assert!(messages("Authorization: Bearer proxy")
        .resolve(String::new())
        .is_ok());
}

#[test]
fn headers_gauntlet_writes_are_refused() {
    for h in ["Content-Length: 5", "host: x", "Transfer-Encoding: chunked"] {
        let s = Settings {
            headers: vec![Given::flag("--header", h.to_string())],
            ..model()
        };
        let e = err(s);
        assert!(
            e.starts_with("--header: ") && e.contains("written by gauntlet"),
            "{e}"
        );
    }
}

#[test]
fn extra_inputs_cannot_replace_the_prompt_or_streaming() {
    for raw in ["messages:[]", "stream:false", "{\"stream\":true}"] {
        let s = Settings {
            extra_inputs: vec![Given::flag("--extra-inputs", ExtraInput::Text(raw.into()))],
            ..model()
        };
        let e = err(s);
        assert!(e.starts_with("--extra-inputs: "), "{e}");
    }
    let e = err(file(
        "  endpoint:\n    streaming: true\n    extra_inputs:\n      stream: false\n",
    ));
    assert!(
        e.starts_with("b.yaml:7: benchmark.endpoint.extra_inputs.stream: ")
            && e.contains("benchmark.endpoint.streaming (b.yaml:5)"),
        "{e}"
    );
    // `prompt` is the completions endpoint's field, not chat's; stream_options stays open.
    for raw in ["prompt:x", "{\"stream_options\":{\"include_usage\":false}}"] {
        let s = Settings {
            extra_inputs: vec![Given::flag("--extra-inputs", ExtraInput::Text(raw.into()))],
            ..model()
        };
        assert!(s.resolve(String::new()).is_ok(), "{raw}");
    }
}

#[test]
fn seq_dist_with_length_flags_is_refused() {
    let s = Settings {
        seq_dist_text: flag("--seq-dist", Some("10,2:100".to_string())),
        isl_mean: flag("--synthetic-input-tokens-mean", Some(5.0)),
        ..model()
    };
    let e = err(s);
    assert!(
        e.starts_with("--seq-dist: ") && e.contains("--synthetic-input-tokens-mean"),
        "{e}"
    );
}

#[test]
fn ignored_values_are_warned_about_in_one_line() {
    let smooth = Settings {
        arrival_smoothness: flag("--arrival-smoothness", Some(2.0)),
        ..model()
    };
    let w = warnings(smooth);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("--arrival-smoothness is ignored")
            && w[0].contains("--arrival-pattern gamma")
    );
    let gamma = Settings {
        arrival_smoothness: flag("--arrival-smoothness", Some(2.0)),
        arrival_pattern: flag("--arrival-pattern", Some(PatternChoice::Gamma)),
        request_rate: flag("--request-rate", Some(1.0)),
        ..model()
    };
    assert!(warnings(gamma).is_empty());
    let input = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/inputs/single_turn.jsonl"
    );
    let with_file = Settings {
        input: InputSettings {
            input_file: flag("--input-file", Some(input.into())),
            ..InputSettings::default()
        },
        ..Settings::default()
    }
    .over(file("  dataset:\n    isl: 64\n"));
    let w = warnings(with_file);
    assert_eq!(
        w,
        ["benchmark.dataset.isl (b.yaml:5) is ignored: --input-file sets the prompts and their lengths"]
    );
    let embeddings = Settings {
        streaming: flag("--streaming", Some(true)),
        endpoint: flag(
            "--endpoint-type",
            Some(crate::config::EndpointType::Embeddings),
        ),
        ..model()
    };
    let w = warnings(embeddings);
    assert!(
        w.len() == 1 && w[0].starts_with("--streaming is ignored"),
        "{w:?}"
    );
}
