use super::file::ConfigFile;
use super::StopRule;

const BASE: &str = "schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  phases:\n    - {type: concurrency, concurrency: 2, requests: 3}\n";

#[test]
fn set_edits_a_dotted_path_before_resolution() {
    let mut file = ConfigFile::parse(BASE, "w.yaml").unwrap();
    file.set("benchmark.phases[0].concurrency", "16").unwrap();
    file.set("benchmark.dataset.isl", "{mean: 100, stddev: 5}")
        .unwrap();
    let s = file.resolve().unwrap();
    assert_eq!(s.phases.unwrap()[0].arrival.concurrency, Some(16));
    assert_eq!(
        s.dataset.isl.unwrap().to_string(),
        "normal(mean=100, stddev=5)"
    );
    // A bad value set this way has no line in the file.
    file.set("benchmark.phases[0].requests", "0").unwrap();
    let err = file.resolve().unwrap_err();
    assert_eq!(
        err.to_string(),
        "w.yaml: benchmark.phases[0].requests: 0 is less than 1; expected at least 1"
    );
    assert!(file.set("benchmark.phases[5].rate", "1").is_err());
}

#[test]
fn future_features_are_unsupported_only_when_they_ask_for_something() {
    let with = |extra: &str| {
        let text = format!("{BASE}  dataset:\n{extra}");
        ConfigFile::parse(&text, "w.yaml")
            .unwrap()
            .resolve()
            .unwrap()
            .unsupported
    };
    assert!(with("    turns: 1\n    images: {width: 0}\n").is_empty());
    // Multi-turn is supported now (issue #5).
    assert!(with("    turns: {mean: 3}\n    turn_delay: 500\n").is_empty());
    // Images and audio are supported now (issue #6), rankings too (issue #19).
    let u = with("    audio: {length: 5}\n    rankings: {passages: 4}\n");
    assert!(u.is_empty(), "{u:?}");
    let d = dataset("    rankings: {passages: {mean: 6, stddev: 2}, query_tokens: 16}\n").unwrap();
    assert_eq!(
        d.rankings_passages.unwrap().to_string(),
        "normal(mean=6, stddev=2)"
    );
    assert!(d.rankings_query_tokens.is_some() && d.rankings_passage_tokens.is_none());
    assert!(dataset("    rankings: {passage: 4}\n").is_err());
    let d =
        dataset("    images: {width: {mean: 64, stddev: 4}, height: 32}\n    audio: {length: 2}\n")
            .unwrap();
    assert_eq!(
        d.image_width.unwrap().to_string(),
        "normal(mean=64, stddev=4)"
    );
    assert!(d.image_height.is_some() && d.audio_length.is_some());
}

fn dataset(extra: &str) -> Result<super::DatasetSettings, String> {
    let text = format!("{BASE}  dataset:\n{extra}");
    ConfigFile::parse(&text, "w.yaml")
        .unwrap()
        .resolve()
        .map(|s| s.dataset)
        .map_err(|e| e.to_string())
}

#[test]
fn turns_and_turn_delay_are_distributions() {
    let d =
        dataset("    turns: {mean: 3, stddev: 1, min: 1}\n    turnDelay: {mean: 200}\n").unwrap();
    assert_eq!(
        d.turns.unwrap().to_string(),
        "normal(mean=3, stddev=1) clamped [1, ∞)"
    );
    assert!(d.turn_delay.is_some() && d.session_graph.is_none());
    assert_eq!(
        dataset("    turns: 0\n").unwrap_err(),
        "w.yaml:7: benchmark.dataset.turns: every draw would be 0; expected counts of at least 1"
    );
    let err = dataset("    turns: 3\n    turn_delay: {value: -5}\n").unwrap_err();
    assert!(
        err.starts_with("w.yaml:8: benchmark.dataset.turn_delay: every delay would be negative"),
        "{err}"
    );
    let err = dataset("    turns: 70000\n").unwrap_err();
    assert!(
        err.contains("benchmark.dataset.turns: more than 65535 turns"),
        "{err}"
    );
}

#[test]
fn session_graphs_read_veeksha_keys_and_defaults() {
    use crate::config::{SessionGraphSpec, WaitSpec};
    let linear = "    session_graph:\n      type: linear\n      num_request_generator: {type: uniform, min: 2, max: 4}\n      request_wait_generator: {type: gamma, arrival_rate: 2, cv: 0.5}\n      inherit_history: false\n";
    match dataset(linear).unwrap().session_graph.unwrap() {
        SessionGraphSpec::Linear {
            turns,
            wait,
            inherit_history,
        } => {
            assert_eq!(turns.to_string(), "uniform(min=2, max=4)");
            assert_eq!(
                wait,
                WaitSpec::Gamma {
                    mean_ms: 500.0,
                    cv: 0.5
                }
            );
            assert!(!inherit_history);
        }
        other => panic!("{other:?}"),
    }
    let branching = "    session_graph:\n      type: branching\n      fan_in_generator: 2\n      request_wait_generator: {type: fixed, interval: 0.25}\n";
    match dataset(branching).unwrap().session_graph.unwrap() {
        SessionGraphSpec::Branching {
            layers,
            fan_in,
            wait,
            inherit_history,
            single_root,
            ..
        } => {
            assert_eq!(layers.to_string(), "uniform(min=2, max=5)");
            assert_eq!(fan_in.to_string(), "fixed(2)");
            assert_eq!(wait, WaitSpec::Fixed { ms: 250.0 });
            assert!(inherit_history && single_root);
        }
        other => panic!("{other:?}"),
    }
    let single = "    session_graph: {type: single_request}\n";
    assert!(dataset(single).unwrap().session_graph.is_none());
}

#[test]
fn session_graph_errors_name_the_key() {
    let err = |extra: &str| dataset(extra).unwrap_err();
    assert_eq!(
        err("    session_graph: {type: tree}\n"),
        "w.yaml:7: benchmark.dataset.session_graph.type: unknown session graph type 'tree'; expected linear, branching or single_request"
    );
    let e = err("    session_graph: {type: linear, fan_in_generator: 2}\n");
    assert!(
        e.contains(
            "benchmark.dataset.session_graph.fan_in_generator: not a key of a linear session graph"
        ),
        "{e}"
    );
    let e = err("    session_graph:\n      type: branching\n      layer_width_generator: 2\n      fan_in_generator: 3\n");
    assert!(
        e.starts_with("w.yaml:10: benchmark.dataset.session_graph.fan_in_generator: a fan-in of 3 can never be met"),
        "{e}"
    );
    let e = err("    session_graph: {type: linear, request_wait_generator: {type: poisson, arrival_rate: 0}}\n");
    assert!(
        e.contains(
            "benchmark.dataset.session_graph.request_wait_generator.arrival_rate: 0 is not > 0"
        ),
        "{e}"
    );
    let e = err("    turns: 3\n    session_graph: {type: linear}\n");
    assert!(
        e.contains("benchmark.dataset.session_graph: also set as benchmark.dataset.turns"),
        "{e}"
    );
    let e = err("    session_graph: {type: branching, num_layers_generator: 0}\n");
    assert!(
        e.contains("benchmark.dataset.session_graph.num_layers_generator: every draw would be 0"),
        "{e}"
    );
}

#[test]
fn secrets_are_not_echoed() {
    let text =
        format!("{BASE}  endpoint:\n    api_key: 12345678\n    headers: {{X-Key: [s3cr3t]}}\n");
    let err = ConfigFile::parse(&text, "w.yaml")
        .unwrap()
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        !err.contains("12345678") && !err.contains("s3cr3t"),
        "{err}"
    );
    let text = format!("{BASE}  endpoint:\n    api_key: sk-secret\n");
    let s = ConfigFile::parse(&text, "w.yaml")
        .unwrap()
        .resolve()
        .unwrap();
    assert!(!format!("{s:?}").contains("sk-secret"));
}

#[test]
fn duration_phases_default_their_grace() {
    let text =
        "schemaVersion: 2.0\nbenchmark:\n  phases:\n    - {type: constant, rate: 2, duration: 4}\n";
    let s = ConfigFile::parse(text, "w.yaml")
        .unwrap()
        .resolve()
        .unwrap();
    assert_eq!(
        s.phases.unwrap()[0].stop,
        StopRule::Duration {
            duration: std::time::Duration::from_secs(4),
            grace: std::time::Duration::from_secs(30)
        }
    );
}

#[test]
fn sessions_phases_count_whole_sessions_and_take_one_stop_key() {
    let phase = |keys: &str| {
        let text = format!(
            "schemaVersion: 2.0\nbenchmark:\n  phases:\n    - {{type: concurrency, concurrency: 2, {keys}}}\n"
        );
        ConfigFile::parse(&text, "w.yaml").and_then(|f| f.resolve())
    };
    let s = phase("sessions: 12").unwrap();
    assert_eq!(
        s.phases.unwrap()[0].stop,
        StopRule::Sessions { sessions: 12 }
    );
    let err = phase("requests: 4, sessions: 12").unwrap_err().to_string();
    assert!(
        err.contains(
            "w.yaml:4: benchmark.phases[0]: has both 'requests' and 'sessions'; a phase stops on exactly one of them"
        ),
        "{err}"
    );
    let err = phase("sessions: 0").unwrap_err().to_string();
    assert!(err.contains("benchmark.phases[0].sessions"), "{err}");
    let err = phase("sessions: 3, grace_period: 1")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a sessions phase waits for every request"),
        "{err}"
    );
}

#[test]
fn max_response_bytes_is_a_whole_number_of_bytes() {
    let with = |value: &str| {
        let text = format!("{BASE}  endpoint:\n    max_response_bytes: {value}\n");
        ConfigFile::parse(&text, "w.yaml").unwrap().resolve()
    };
    assert_eq!(with("1048576").unwrap().max_response_bytes, Some(1 << 20));
    let err = with("0").unwrap_err().to_string();
    assert_eq!(
        err,
        "w.yaml:7: benchmark.endpoint.max_response_bytes: 0 is less than 1; expected at least 1"
    );
    assert!(with("1.5").is_err());
}

#[test]
fn phases_read_aiperf_cancellation_and_the_failure_threshold() {
    use super::{FailureThreshold, RequestCancellation};
    let phases = |phase: &str| {
        let text =
            format!("schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  phases:\n    - {phase}\n");
        ConfigFile::parse(&text, "w.yaml")
            .unwrap()
            .resolve()
            .map(|s| s.phases.unwrap())
            .map_err(|e| e.to_string())
    };
    let got = phases(
        "{type: concurrency, concurrency: 2, requests: 3, cancellation: {rate: 20, delay: 0.5}, failed_request_threshold: 0.1}",
    )
    .unwrap();
    assert_eq!(
        got[0].controls.cancellation,
        Some(RequestCancellation {
            rate_pct: 20.0,
            delay: std::time::Duration::from_millis(500)
        })
    );
    assert_eq!(
        got[0].controls.failed_request_threshold,
        Some(FailureThreshold::Ratio(0.1))
    );
    let err = phases("{type: concurrency, concurrency: 2, requests: 3, cancellation: {delay: 1}}")
        .unwrap_err();
    assert!(
        err.contains("benchmark.phases[0].cancellation.delay: needs a cancellation rate"),
        "{err}"
    );
    let err = phases(
        "{type: concurrency, concurrency: 2, requests: 3, exclude_from_results: true, cancellation: {rate: 5}}",
    )
    .unwrap_err();
    assert!(err.contains("applies to measured phases only"), "{err}");
    let err =
        phases("{type: concurrency, concurrency: 2, requests: 3, failed_request_threshold: 2.5}")
            .unwrap_err();
    assert!(
        err.contains("benchmark.phases[0].failed_request_threshold: 2.5 is neither"),
        "{err}"
    );
}

#[test]
fn endpoint_types_take_aiperfs_names() {
    use super::EndpointType;
    let with = |value: &str| {
        let text = format!("{BASE}  endpoint:\n    type: {value}\n");
        ConfigFile::parse(&text, "w.yaml").unwrap().resolve()
    };
    for (name, endpoint) in [
        ("responses", EndpointType::Responses),
        ("messages", EndpointType::Messages),
        ("huggingface_generate", EndpointType::HuggingfaceGenerate),
        ("image_retrieval", EndpointType::ImageRetrieval),
        ("template", EndpointType::Template),
        ("raw", EndpointType::Raw),
        ("image_edit", EndpointType::ImageEdit),
    ] {
        assert_eq!(with(name).unwrap().endpoint, Some(endpoint));
        assert_eq!(endpoint.name(), name);
    }
    let err = with("solido_rag").unwrap_err().to_string();
    assert!(err.contains("solido_rag is not supported: "), "{err}");
    assert!(err.contains("no public API"), "{err}");
    let err = with("tgi").unwrap_err().to_string();
    assert!(
        err.contains("unknown endpoint type 'tgi'; expected one of: chat, completions, embeddings, nim_rankings, cohere_rankings, hf_tei_rankings, nim_embeddings, chat_embeddings, image_generation, responses, messages, huggingface_generate, image_retrieval, template, raw, image_edit"),
        "{err}"
    );
}
