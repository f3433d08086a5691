//! `sweep:` in a config file: expansion order, and one test per error, each asserting that
//! the message names the key (and the line, where the file has one).

use super::file::ConfigFile;
use super::sweep::SweepKind;

const BASE: &str = "schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  phases:\n    - {type: concurrency, concurrency: 2, requests: 3}\n";

fn file(sweep: &str) -> ConfigFile {
    ConfigFile::parse(&format!("{BASE}sweep:\n{sweep}"), "w.yaml").unwrap()
}

/// Every error message of the file's variations, one string each.
fn errors(sweep: &str) -> Vec<String> {
    match file(sweep).variations() {
        Ok(v) => panic!("expected errors, got {v:?}"),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

fn labels(sweep: &str) -> Vec<String> {
    file(sweep)
        .variations()
        .unwrap()
        .unwrap()
        .iter()
        .map(|v| v.label())
        .collect()
}

#[test]
fn grid_varies_the_first_parameter_slowest() {
    let v = labels(
        "  type: grid\n  parameters:\n    benchmark.phases[0].concurrency: [1, 4]\n    benchmark.dataset.isl: [{mean: 64, stddev: 8}, 128]\n",
    );
    assert_eq!(
        v,
        [
            "concurrency=1, isl={mean: 64, stddev: 8}",
            "concurrency=1, isl=128",
            "concurrency=4, isl={mean: 64, stddev: 8}",
            "concurrency=4, isl=128",
        ]
    );
}

#[test]
fn each_variation_resolves_with_its_values() {
    let vars = file(
        "  parameters:\n    benchmark.phases.0.concurrency: [3, 5]\n    benchmark.dataset.isl: [{mean: 64, stddev: 8}]\n",
    )
    .variations()
    .unwrap()
    .unwrap();
    assert_eq!(vars.len(), 2);
    let s = &vars[1].settings;
    assert_eq!(s.phases.as_ref().unwrap()[0].arrival.concurrency, Some(5));
    assert_eq!(
        s.dataset.isl.as_ref().unwrap().to_string(),
        "normal(mean=64, stddev=8)"
    );
    assert!(s.sweep.is_none(), "a variation has no sweep of its own");
    assert_eq!(vars[1].index, 2);
    assert_eq!(
        vars[1].assignments[0],
        (
            "benchmark.phases.0.concurrency".to_string(),
            "5".to_string()
        )
    );
}

#[test]
fn zip_takes_the_lists_element_wise() {
    let v = labels(
        "  type: zip\n  parameters:\n    benchmark.phases[0].concurrency: [1, 2, 3]\n    benchmark.phases[0].requests: [10, 20, 30]\n",
    );
    assert_eq!(
        v,
        [
            "concurrency=1, requests=10",
            "concurrency=2, requests=20",
            "concurrency=3, requests=30"
        ]
    );
    let sweep = file("  type: zip\n  parameters:\n    benchmark.model: [a, b]\n")
        .sweep()
        .unwrap()
        .unwrap();
    assert_eq!(sweep.kind, SweepKind::Zip);
}

#[test]
fn zip_lists_of_different_lengths_are_named_with_their_lengths() {
    let e = errors(
        "  type: zip\n  parameters:\n    benchmark.phases[0].concurrency: [1, 2, 3]\n    benchmark.phases[0].requests: [10, 20]\n",
    );
    assert_eq!(
        e,
        ["w.yaml:8: sweep.parameters: a zip sweep needs lists of the same length; got 3 (benchmark.phases[0].concurrency), 2 (benchmark.phases[0].requests)"]
    );
}

#[test]
fn unknown_type_is_named() {
    let e = errors("  type: random\n  parameters:\n    benchmark.model: [a]\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("w.yaml:7: sweep.type: unknown sweep type 'random'; expected grid"),
        "{e:?}"
    );
}

#[test]
fn empty_lists_and_missing_parameters_are_named() {
    let e = errors("  parameters:\n    benchmark.model: []\n");
    assert_eq!(
        e,
        ["w.yaml:8: sweep.parameters.benchmark.model: empty list; give at least one value"]
    );
    let e = errors("  parameters: {}\n");
    assert!(
        e[0].starts_with("w.yaml:7: sweep.parameters: empty;"),
        "{e:?}"
    );
    let e = errors("  type: grid\n");
    assert!(e[0].contains("sweep.parameters: missing"), "{e:?}");
    let e = errors("  parameters:\n    benchmark.model: a\n");
    assert!(
        e[0].starts_with("w.yaml:8: sweep.parameters.benchmark.model: expected a list of values"),
        "{e:?}"
    );
}

#[test]
fn unknown_keys_under_sweep_are_named() {
    let e = errors("  parameters:\n    benchmark.model: [a]\n  mode: grid\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("w.yaml:9: sweep.mode: unknown key 'mode'; sweep takes: type, parameters"),
        "{e:?}"
    );
}

#[test]
fn paths_outside_the_schema_are_named_with_what_is_allowed() {
    let e = errors("  parameters:\n    benchmark.dataset.isll: [1]\n");
    assert!(
        e[0].starts_with("w.yaml:8: sweep.parameters.benchmark.dataset.isll: 'isll' is not a key of benchmark.dataset; it takes: type,"),
        "{e:?}"
    );
    let e = errors("  parameters:\n    benchmark.phases.concurrency: [1]\n");
    assert!(e[0].contains("benchmark.phases is a list"), "{e:?}");
    let e = errors("  parameters:\n    benchmark.phases[0].concurrency.x: [1]\n");
    assert!(e[0].contains("takes a single value"), "{e:?}");
    let e = errors("  parameters:\n    bench.model: [1]\n");
    assert!(
        e[0].contains("'bench' is not a key of the top level"),
        "{e:?}"
    );
    let e = errors("  parameters:\n    benchmark.num_profile_runs: [1, 2]\n");
    assert!(
        e[0].contains("repeat settings apply to the whole sweep"),
        "{e:?}"
    );
    // The schema has phases, but the file has only one.
    let e = errors("  parameters:\n    benchmark.phases[3].concurrency: [1]\n");
    assert_eq!(
        e,
        ["w.yaml:8: sweep.parameters.benchmark.phases[3].concurrency: index 3 is past the end of a list of 1"]
    );
}

#[test]
fn the_same_path_twice_is_refused() {
    let e = errors(
        "  parameters:\n    benchmark.phases[0].concurrency: [1]\n    benchmark.phases.0.concurrency: [2]\n",
    );
    assert!(
        e[0].starts_with("w.yaml:9: sweep.parameters.benchmark.phases.0.concurrency: swept twice (also on line 8)"),
        "{e:?}"
    );
}

#[test]
fn a_variation_that_does_not_resolve_is_named_with_its_values() {
    let e = errors("  parameters:\n    benchmark.dataset.isl: [128, {mean: 64, stddev: -1}]\n    benchmark.phases[0].concurrency: [0, 1]\n");
    // Variation 1 (isl=128, concurrency=0) and 3 (isl={mean: 64, stddev: -1}, concurrency=0) fail on the
    // concurrency; 3 and 4 on the isl.
    assert!(
        e.iter().any(|e| e.starts_with("w.yaml:9: sweep variation 1 (benchmark.dataset.isl=128, benchmark.phases[0].concurrency=0): benchmark.phases[0].concurrency:")),
        "{e:#?}"
    );
    assert!(
        e.iter().any(|e| e.starts_with("w.yaml:8: sweep variation 4 (benchmark.dataset.isl={mean: 64, stddev: -1}, benchmark.phases[0].concurrency=1): benchmark.dataset.isl")),
        "{e:#?}"
    );
    assert!(!e.iter().any(|e| e.contains("variation 2 ")), "{e:#?}");
}

#[test]
fn base_errors_are_reported_once_not_per_variation() {
    let text =
        format!("{BASE}  random_seed: -1\nsweep:\n  parameters:\n    benchmark.model: [a, b, c]\n");
    let e = ConfigFile::parse(&text, "w.yaml")
        .unwrap()
        .variations()
        .unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    assert!(
        e.0[0]
            .to_string()
            .starts_with("w.yaml:6: benchmark.random_seed"),
        "{e}"
    );
}

#[test]
fn a_file_without_a_sweep_has_no_variations_and_resolve_keeps_the_sweep() {
    let f = ConfigFile::parse(BASE, "w.yaml").unwrap();
    assert!(f.variations().unwrap().is_none());
    let s = file("  parameters:\n    benchmark.model: [a]\n")
        .resolve()
        .unwrap();
    assert!(s.unsupported.is_empty());
    assert_eq!(s.sweep.unwrap().parameters[0].name, "model");
}

#[test]
fn clashing_short_names_fall_back_to_the_path() {
    let text = "schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  phases:\n    - {type: concurrency, concurrency: 2, requests: 3, exclude_from_results: true}\n    - {type: concurrency, concurrency: 2, requests: 3}\nsweep:\n  parameters:\n    benchmark.phases[0].concurrency: [1]\n    benchmark.phases[1].concurrency: [2]\n";
    let v = ConfigFile::parse(text, "w.yaml")
        .unwrap()
        .variations()
        .unwrap()
        .unwrap();
    assert_eq!(
        v[0].label(),
        "benchmark.phases[0].concurrency=1, benchmark.phases[1].concurrency=2"
    );
}

#[test]
fn repeat_keys_are_read_in_either_spelling() {
    let text = format!(
        "{BASE}  numProfileRuns: 3\n  confidence_level: 0.9\n  profileRunCooldownSeconds: 0.5\n"
    );
    let s = ConfigFile::parse(&text, "w.yaml")
        .unwrap()
        .resolve()
        .unwrap();
    assert_eq!(s.num_profile_runs, Some(3));
    assert_eq!(s.confidence_level, Some(0.9));
    assert_eq!(s.profile_run_cooldown_seconds, Some(0.5));
    let text = format!("{BASE}  num_profile_runs: 0\n  confidenceLevel: 95\n");
    let e = ConfigFile::parse(&text, "w.yaml")
        .unwrap()
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("w.yaml:6: benchmark.num_profile_runs: 0 is less than 1"),
        "{e}"
    );
    assert!(
        e.contains("w.yaml:7: benchmark.confidence_level: 95 is not between 0 and 1"),
        "{e}"
    );
}

#[test]
fn a_phase_s_cancellation_and_failure_threshold_can_be_swept() {
    let vars = file(
        "  type: zip\n  parameters:\n    benchmark.phases[0].cancellation: [{rate: 10}, {rate: 50, delay: 1}]\n    benchmark.phases[0].failed_request_threshold: [0.1, 3]\n",
    )
    .variations()
    .unwrap()
    .unwrap();
    let controls = |i: usize| vars[i].settings.phases.as_ref().unwrap()[0].controls;
    assert_eq!(controls(0).cancellation.unwrap().rate_pct, 10.0);
    assert_eq!(
        controls(1).cancellation.unwrap().delay,
        std::time::Duration::from_secs(1)
    );
    assert_eq!(
        controls(1).failed_request_threshold,
        Some(super::FailureThreshold::Count(3))
    );
    // One key inside the phase's cancellation mapping.
    let text = "schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  phases:\n    - {type: concurrency, concurrency: 2, requests: 3, cancellation: {rate: 5, delay: 2}}\nsweep:\n  parameters:\n    benchmark.phases[0].cancellation.rate: [10, 50]\n";
    let vars = ConfigFile::parse(text, "w.yaml")
        .unwrap()
        .variations()
        .unwrap()
        .unwrap();
    let c = vars[1].settings.phases.as_ref().unwrap()[0]
        .controls
        .cancellation;
    assert_eq!(c.unwrap().rate_pct, 50.0);
    assert_eq!(c.unwrap().delay, std::time::Duration::from_secs(2));
    let e = errors("  parameters:\n    benchmark.phases[0].cancellation.rat: [1]\n");
    assert!(e[0].contains("cancellation.rat"), "{e:?}");
}
