//! The YAML keys of flag groups (`dataset.prefix_prompts`, `dataset.video`, a `type: file`
//! dataset) resolve to the very plan their flags make, refuse bad values naming file:line:
//! key, and lose to a flag given beside them.

use super::tests::file;
use super::*;
use crate::config::ConfigFile;

const HEAD: &str = "schemaVersion: \"2.0\"
benchmark:
  model: m
  endpoint:
    url: http://127.0.0.1:9000
  dataset:
";

/// The file: [`HEAD`] then `dataset` (its keys indented by four spaces), dataset keys from
/// line 7 on.
fn yaml(dataset: &str) -> String {
    format!("{HEAD}{dataset}")
}

/// The plan `gauntlet profile -m m --url … ARGS` makes, as JSON.
fn flags_plan(args: &[&str]) -> serde_json::Value {
    use clap::Parser;
    let mut full = vec![
        "gauntlet",
        "profile",
        "-m",
        "m",
        "--url",
        "http://127.0.0.1:9000",
    ];
    full.extend_from_slice(args);
    let cli = crate::cli::Cli::try_parse_from(full).unwrap();
    let crate::cli::Command::Profile(profile) = cli.command else {
        panic!("profile expected")
    };
    serde_json::to_value(profile.into_plan(String::new()).unwrap()).unwrap()
}

/// The plan the file alone makes, as JSON.
fn yaml_plan(dataset: &str) -> serde_json::Value {
    let plan = file(&yaml(dataset)).resolve(String::new()).unwrap().plan;
    serde_json::to_value(plan).unwrap()
}

/// The refusal the file alone gets, whether the walk or the resolver gives it.
fn yaml_error(dataset: &str) -> String {
    match ConfigFile::parse(&yaml(dataset), "bench.yaml")
        .unwrap()
        .resolve()
    {
        Err(errors) => errors.to_string(),
        Ok(settings) => {
            if let Some(e) = settings.unsupported.first() {
                return e.to_string();
            }
            Settings::from_file(&settings)
                .resolve(String::new())
                .map(drop)
                .expect_err("a refusal")
                .to_string()
        }
    }
}

#[test]
fn prefix_prompts_are_the_prefix_flags() {
    let flags = flags_plan(&[
        "--prefix-prompt-length",
        "32",
        "--prefix-prompt-pool-size",
        "4",
    ]);
    let keys = yaml_plan("    prefix_prompts: {pool_size: 4, length: 32}\n");
    assert_eq!(flags, keys);
    assert_ne!(
        keys,
        yaml_plan("    isl: 550\n"),
        "the keys change the plan"
    );
}

#[test]
fn video_keys_are_the_video_flags() {
    let flags = flags_plan(&[
        "--video-width",
        "64",
        "--video-height",
        "48",
        "--video-fps",
        "8",
        "--video-duration",
        "2.5",
        "--video-synth-type",
        "noise",
        "--video-codec",
        "libx264",
        "--video-format",
        "mp4",
        "--video-batch-size",
        "2",
    ]);
    let keys = yaml_plan(concat!(
        "    video:\n",
        "      width: 64\n",
        "      height: 48\n",
        "      fps: 8\n",
        "      duration: 2.5\n",
        "      synthType: noise\n",
        "      codec: libx264\n",
        "      format: mp4\n",
        "      batch_size: 2\n",
    ));
    assert_eq!(flags, keys);
    assert_eq!(keys["video"]["fps"], 8);
}

#[test]
fn a_file_dataset_is_the_input_file_flags() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    std::fs::write(&trace, "{\"input_length\": 3, \"hash_ids\": [1]}\n").unwrap();
    let t = trace.to_str().unwrap();
    let flags = flags_plan(&[
        "--input-file",
        t,
        "--custom-dataset-type",
        "mooncake_trace",
        "--prompt-input-tokens-block-size",
        "64",
        "--synthesis-speedup-ratio",
        "2",
        "--synthesis-prefix-root-multiplier",
        "3",
        "--synthesis-max-isl",
        "100",
    ]);
    let keys = yaml_plan(&format!(
        "    type: file\n    path: {t}\n    format: mooncake_trace\n    block_size: 64\n    \
         synthesis: {{speedup_ratio: 2, prefix_root_multiplier: 3, max_isl: 100}}\n"
    ));
    assert_eq!(flags, keys);
    assert_eq!(keys["input"]["block_size"], 64);
    // Without format the type is detected, as without --custom-dataset-type.
    let detected = yaml_plan(&format!("    type: file\n    path: {t}\n"));
    assert_eq!(detected, flags_plan(&["--input-file", t]));
    assert_eq!(detected["input"]["format"], "mooncake_trace");
}

#[test]
fn bad_values_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("s.jsonl");
    std::fs::write(&single, "{\"text\": \"a\"}\n").unwrap();
    let s = single.to_str().unwrap();
    let cases = [
        (
            "    video: {width: 63, height: 48}\n".to_string(),
            "bench.yaml:7: benchmark.dataset.video.width: must be an even number",
        ),
        (
            "    video:\n      width: 64\n      height: 48\n      fps: 0\n".to_string(),
            "bench.yaml:10: benchmark.dataset.video.fps: must be 1 to 240",
        ),
        (
            "    video: {fps: 8}\n".to_string(),
            "bench.yaml:7: benchmark.dataset.video.fps: video settings were given without a size",
        ),
        (
            "    video: {width: 64, height: 48, codec: h263}\n".to_string(),
            "bench.yaml:7: benchmark.dataset.video.codec: unknown value 'h263'",
        ),
        (
            "    video:\n      width: 64\n      height: 48\n      codec: libx264\n      format: webm\n"
                .to_string(),
            "bench.yaml:11: benchmark.dataset.video.format: WebM holds VP9",
        ),
        (
            "    prefix_prompts:\n      length: 8\n".to_string(),
            "bench.yaml:8: benchmark.dataset.prefix_prompts.length: needs a pool size",
        ),
        (
            "    prefix_prompts: {pool_size: 3}\n".to_string(),
            "bench.yaml:7: benchmark.dataset.prefix_prompts.length: must be at least 1 when benchmark.dataset.prefix_prompts.pool_size is set",
        ),
        (
            "    prefix_prompts: {shared_system_length: 100}\n".to_string(),
            "bench.yaml:7: benchmark.dataset.prefix_prompts.shared_system_length: the shared system prompt",
        ),
        (
            "    type: file\n    format: single_turn\n".to_string(),
            "bench.yaml:7: benchmark.dataset.path: missing",
        ),
        (
            format!("    path: {s}\n"),
            "bench.yaml:7: benchmark.dataset.path: belongs to a file dataset",
        ),
        (
            format!("    type: file\n    path: {s}\n    format: csv\n"),
            "bench.yaml:9: benchmark.dataset.format: unknown format 'csv'",
        ),
        (
            "    type: file\n    path: /no/such/file.jsonl\n    format: single_turn\n".to_string(),
            "bench.yaml:8: benchmark.dataset.path: /no/such/file.jsonl does not exist",
        ),
        (
            format!("    type: file\n    path: {s}\n    block_size: 0\n"),
            "bench.yaml:9: benchmark.dataset.block_size: must be at least 1",
        ),
        (
            format!("    type: file\n    path: {s}\n    synthesis:\n      speedup_ratio: 0\n"),
            "bench.yaml:10: benchmark.dataset.synthesis.speedup_ratio: must be a number > 0",
        ),
        (
            format!("    type: file\n    path: {s}\n    synthesis: {{max_isl: 9}}\n"),
            "bench.yaml:9: benchmark.dataset.synthesis.max_isl: trace synthesis needs a trace input",
        ),
        (
            format!("    type: file\n    path: {s}\n    synthesis: {{speed: 2}}\n"),
            "bench.yaml:9: benchmark.dataset.synthesis.speed: unknown key 'speed'",
        ),
    ];
    for (dataset, says) in cases {
        let err = yaml_error(&dataset);
        assert!(err.contains(says), "{dataset}\n{err}\ndoes not say\n{says}");
    }
}

#[test]
fn flags_win_over_the_keys_one_by_one() {
    let video = "    video: {width: 64, height: 48, fps: 8}\n";
    let flags = Settings {
        video: VideoSettings {
            video_fps: flag("--video-fps", Some(12)),
            ..VideoSettings::default()
        },
        prefix: PrefixSettings {
            prefix_prompt_length: flag("--prefix-prompt-length", Some(16)),
            ..PrefixSettings::default()
        },
        ..Settings::default()
    };
    let both = flags.over(file(&yaml(&format!(
        "{video}    prefix_prompts: {{pool_size: 2, length: 64}}\n"
    ))));
    let plan = both.resolve(String::new()).unwrap().plan;
    let plan = serde_json::to_value(plan).unwrap();
    assert_eq!(
        (&plan["video"]["fps"], &plan["video"]["width"]),
        (&12.into(), &64.into())
    );
    assert_eq!(
        plan["synthetic"]["prompt"]["prefix"],
        serde_json::json!({"type": "pool", "length": 16, "pool_size": 2})
    );
}

#[test]
fn a_file_dataset_and_a_public_dataset_flag_are_refused_together() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("s.jsonl");
    std::fs::write(&single, "{\"text\": \"a\"}\n").unwrap();
    let name = crate::config::SpeedBenchVariant::all()[0].name();
    let flags = Settings {
        public: PublicSettings {
            public_dataset: Some(name.to_string()),
            ..PublicSettings::default()
        },
        ..Settings::default()
    };
    let keys = format!("    type: file\n    path: {}\n", single.display());
    let err = flags
        .over(file(&yaml(&keys)))
        .resolve(String::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "bench.yaml:8: benchmark.dataset.path: cannot be combined with --public-dataset"
        ),
        "{err}"
    );
}
