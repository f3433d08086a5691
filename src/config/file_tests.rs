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
    let u = with("    turns: {mean: 3}\n");
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].path, "benchmark.dataset.turns");
    assert_eq!(u[0].line, 7);
    let u = with("    audio: {length: 5}\n    rankings: {passages: 4}\n");
    assert_eq!(u.len(), 2, "{u:?}");
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
