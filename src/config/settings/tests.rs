//! A YAML file alone resolves to a plan; flags over it keep their names in errors, file values
//! keep their file, line and key.

use super::*;
use crate::config::{
    ConfigFile, LengthPlan, ServerUrl, StopRule, TokenizerSpec, DEFAULT_ISL, DEFAULT_URL,
};

/// The settings of `bench.yaml` holding `text` (which must parse).
pub(super) fn file(text: &str) -> Settings {
    let settings = ConfigFile::parse(text, "bench.yaml")
        .unwrap()
        .resolve()
        .unwrap();
    Settings::from_file(&settings)
}

/// The plan `bench.yaml` holding `text` resolves to, or the refusal naming its line.
pub(super) fn file_plan(text: &str) -> Result<crate::config::Plan, SettingError> {
    file(text).resolve(String::new()).map(|r| r.plan)
}

const BENCH: &str = "schemaVersion: \"2.0\"
benchmark:
  model: m
  endpoint:
    url: http://127.0.0.1:9000
    streaming: true
  dataset:
    isl: {mean: 128}
  phases:
    - {name: profiling, type: concurrency, concurrency: 4, requests: 40}
";

#[test]
fn a_yaml_file_alone_resolves_to_a_plan() {
    let r = file(BENCH).resolve(String::new()).unwrap();
    let plan = r.plan;
    assert_eq!(plan.model, "m");
    assert_eq!(plan.urls[0].port, 9000);
    assert!(plan.streaming);
    assert_eq!(plan.phases.len(), 1);
    assert_eq!(plan.phases[0].arrival.concurrency, Some(4));
    assert_eq!(plan.phases[0].stop, StopRule::Count { requests: 40 });
    match plan.synthetic.lengths {
        LengthPlan::Independent { isl, osl } => {
            assert_eq!(isl.to_string(), "normal(mean=128, stddev=0)");
            assert!(osl.is_none());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(plan.tokenizer, TokenizerSpec::Builtin);
    assert_eq!(r.repeat.runs, 1);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn file_values_carry_their_line_and_flags_win() {
    let f = file(BENCH);
    let model = f.model.clone().unwrap();
    assert_eq!(model.from.to_string(), "bench.yaml:3: benchmark.model");
    let isl = f.isl.clone().unwrap();
    assert_eq!(isl.from.to_string(), "bench.yaml:8: benchmark.dataset.isl");
    let flags = Settings {
        model: flag("--model", Some(vec!["x".to_string()])),
        ..Settings::default()
    };
    let merged = flags.over(f);
    assert_eq!(merged.model.unwrap().from, Origin::Flag("--model"));
}

#[test]
fn nothing_set_is_every_default() {
    let none = Settings {
        model: flag("--model", Some(vec!["m".to_string()])),
        ..Settings::default()
    };
    let plan = none.resolve(String::new()).unwrap().plan;
    assert_eq!(plan.urls, vec![ServerUrl::parse(DEFAULT_URL).unwrap()]);
    assert_eq!(
        plan.synthetic.lengths,
        LengthPlan::Independent {
            isl: crate::dist::DistSpec::fixed(DEFAULT_ISL, "x").unwrap(),
            osl: None
        }
    );
    let err = Settings::default().resolve(String::new()).unwrap_err();
    assert_eq!(err.name(), "--model");
}

#[test]
fn urls_are_split_and_errors_name_their_origin() {
    let u = ServerUrl::parse("http://10.0.0.1:9000/proxy/v1/chat/completions").unwrap();
    assert_eq!(
        (u.host.as_str(), u.port, u.base_path.as_str()),
        ("10.0.0.1", 9000, "/proxy")
    );
    let bad = Settings {
        model: flag("--model", Some(vec!["m".to_string()])),
        urls: Some(Given::flag("--url", vec!["ftp://x".to_string()])),
        ..Settings::default()
    };
    let err = bad.resolve(String::new()).unwrap_err();
    assert!(err.to_string().starts_with("--url"), "{err}");
}

#[test]
fn tokenizer_spec_tells_paths_from_hub_ids() {
    use super::resolve::tokenizer_spec;
    assert_eq!(
        tokenizer_spec("Qwen/Qwen2.5-0.5B"),
        TokenizerSpec::Hub("Qwen/Qwen2.5-0.5B".into())
    );
    assert_eq!(tokenizer_spec("./tok"), TokenizerSpec::Path("./tok".into()));
    assert_eq!(
        tokenizer_spec("/x/tokenizer.json"),
        TokenizerSpec::Path("/x/tokenizer.json".into())
    );
}
