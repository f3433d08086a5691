//! `gauntlet kube render` (issue #22): the manifests it prints pass an independent validator,
//! kubernetes-validate with the Kubernetes 1.34 schemas it bundles (installed into .tools/venv
//! by scripts/setup-python-tools.sh, which scripts/setup.sh runs), and say what the pods need.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The Kubernetes version k8s-openapi's `v1_34` feature builds the objects for.
const KUBERNETES_VERSION: &str = "1.34.0";

/// The validator, installed by scripts/setup.sh (the README's test command runs it first); a
/// machine without it fails here rather than passing unchecked.
fn validator() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin/kubernetes-validate");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup-python-tools.sh (scripts/setup.sh does)",
        path.display()
    );
    Some(path)
}

/// Runs kubernetes-validate --strict on `files`; returns (passed, its output).
fn validate(files: &[PathBuf]) -> Option<(bool, String)> {
    let tool = validator()?;
    let out = Command::new(tool)
        .args(["--strict", "-k", KUBERNETES_VERSION])
        .args(files)
        .output()
        .expect("kubernetes-validate runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

fn render(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut all = vec!["kube", "render"];
    all.extend_from_slice(args);
    let out = gauntlet_with_env(&all, env);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).expect("UTF-8 manifests")
}

/// The objects of YAML documents, as JSON values.
fn yaml_objects(text: &str) -> Vec<serde_json::Value> {
    fn to_json(y: &yaml_rust2::Yaml) -> serde_json::Value {
        use yaml_rust2::Yaml;
        match y {
            Yaml::Null => serde_json::Value::Null,
            Yaml::Boolean(b) => (*b).into(),
            Yaml::Integer(i) => (*i).into(),
            Yaml::Real(r) => r.parse::<f64>().unwrap().into(),
            Yaml::String(s) => s.clone().into(),
            Yaml::Array(a) => a.iter().map(to_json).collect(),
            Yaml::Hash(h) => h
                .iter()
                .map(|(k, v)| (k.as_str().unwrap().to_string(), to_json(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => panic!("unexpected YAML node {other:?}"),
        }
    }
    yaml_rust2::YamlLoader::load_from_str(text)
        .expect("valid YAML")
        .iter()
        .map(to_json)
        .collect()
}

/// Writes each object to its own JSON file (kubernetes-validate does not look inside a List).
fn object_files(dir: &Path, objects: &[serde_json::Value]) -> Vec<PathBuf> {
    objects
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let path = dir.join(format!("object-{i}.json"));
            std::fs::write(&path, serde_json::to_string_pretty(o).unwrap()).unwrap();
            path
        })
        .collect()
}

fn kind<'a>(objects: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {objects:?}"))
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

const PROFILE: &[&str] = &[
    "-m",
    "my-model",
    "-u",
    "http://vllm.serving:8000",
    "--streaming",
    "--isl",
    "64",
    "--osl",
    "16",
    "--request-count",
    "300",
    "--concurrency",
    "12",
];

#[test]
fn a_plain_render_is_a_config_map_and_an_indexed_job_that_pass_the_schema() {
    let dir = artifact_dir("kube-render-plain");
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec![
        "--workers",
        "3",
        "--image",
        "reg.example/gauntlet:0.1",
        "--pvc",
        "results",
    ];
    args.extend_from_slice(PROFILE);
    let yaml = render(&args, &[]);
    let file = dir.join("plain.yaml");
    std::fs::write(&file, &yaml).unwrap();
    if let Some((ok, out)) = validate(&[file]) {
        assert!(ok, "{out}\n{yaml}");
        assert_eq!(out.matches("passed").count(), 2, "{out}");
    }

    let objects = yaml_objects(&yaml);
    assert_eq!(objects.len(), 2, "{yaml}");
    let config_map = kind(&objects, "ConfigMap");
    assert_eq!(config_map["metadata"]["name"], "gauntlet-plan");
    let plan: serde_json::Value =
        serde_json::from_str(config_map["data"]["plan.json"].as_str().unwrap()).unwrap();
    assert_eq!(plan["model"], "my-model");
    let job = kind(&objects, "Job");
    assert_eq!(job["apiVersion"], "batch/v1");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"], 3);
    assert_eq!(spec["parallelism"], 3);
    assert_eq!(spec["backoffLimitPerIndex"], 0);
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "reg.example/gauntlet:0.1");
    assert_eq!(strings(&container["command"]), ["gauntlet"]);
    let mut expected: Vec<String> = vec!["profile".into()];
    expected.extend(PROFILE.iter().map(|s| s.to_string()));
    expected.extend(
        [
            "--worker-count",
            "3",
            "--output-artifact-dir",
            "/artifacts/gauntlet",
        ]
        .map(String::from),
    );
    assert_eq!(strings(&container["args"]), expected);
    let args_record: serde_json::Value =
        serde_json::from_str(config_map["data"]["profile-args.json"].as_str().unwrap()).unwrap();
    assert_eq!(strings(&args_record), expected);
    // No start instant unless asked for; JOB_COMPLETION_INDEX is the Job controller's.
    assert!(!yaml.contains("--start-at"), "{yaml}");
    assert!(container.get("env").is_none(), "{yaml}");
    let volumes = pod["volumes"].as_array().unwrap();
    assert!(volumes
        .iter()
        .any(|v| v["configMap"]["name"] == "gauntlet-plan"));
    assert!(volumes
        .iter()
        .any(|v| v["persistentVolumeClaim"]["claimName"] == "results"));
}

#[test]
fn every_option_renders_schema_valid_yaml_and_json() {
    let dir = artifact_dir("kube-render-variants");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("workload.yaml");
    std::fs::write(
        &config,
        "schemaVersion: \"2.0\"\nbenchmark:\n  model: cfg-model\n  endpoint:\n    url: \"http://vllm.serving:8000\"\n    streaming: true\n  phases:\n    - {type: concurrency, concurrency: 8, requests: 400}\n",
    )
    .unwrap();
    let config_arg = config.to_str().unwrap();
    let full: Vec<&str> = vec![
        "--workers",
        "4",
        "--image",
        "reg.example/gauntlet:0.1",
        "--namespace",
        "bench",
        "--name",
        "run-7",
        "--start-at",
        "2026-12-07T01:00:00Z",
        "--cpu-request",
        "2",
        "--cpu-limit",
        "2",
        "--memory-request",
        "1Gi",
        "--memory-limit",
        "1536Mi",
        "--pvc",
        "shared.results",
        "--api-key-secret",
        "llm-keys/token",
    ];
    let mut files = Vec::new();
    let variants: Vec<(&str, Vec<&str>, bool)> = vec![
        (
            "full-flags",
            [full.clone(), PROFILE.to_vec()].concat(),
            false,
        ),
        (
            "full-config",
            [full.clone(), vec!["--config", config_arg]].concat(),
            false,
        ),
        (
            "json-config",
            [
                vec!["--output-format", "json"],
                full.clone(),
                vec!["--config", config_arg, "--url", "http://other:9000"],
            ]
            .concat(),
            true,
        ),
        (
            "json-delay",
            [
                vec![
                    "--output-format",
                    "json",
                    "--workers",
                    "2",
                    "--image",
                    "g:1",
                    "--pvc",
                    "c",
                    "--start-delay",
                    "90",
                ],
                PROFILE.to_vec(),
            ]
            .concat(),
            true,
        ),
    ];
    // A key in this shell must not reach the manifests (the pods read the Secret).
    let env = [("GAUNTLET_API_KEY", "sk-never-printed")];
    for (name, args, json) in &variants {
        let out = render(args, &env);
        assert!(!out.contains("sk-never-printed"), "{name}: {out}");
        let objects = if *json {
            let list: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
            assert_eq!(list["kind"], "List", "{name}");
            list["items"].as_array().unwrap().clone()
        } else {
            let path = dir.join(format!("{name}.yaml"));
            std::fs::write(&path, &out).unwrap();
            files.push(path);
            yaml_objects(&out)
        };
        let sub = dir.join(name);
        std::fs::create_dir_all(&sub).unwrap();
        files.extend(object_files(&sub, &objects));
        let job = kind(&objects, "Job");
        let container = &job["spec"]["template"]["spec"]["containers"][0];
        let args = strings(&container["args"]);
        if name.starts_with("json-delay") {
            let at = &args[args.iter().position(|a| a == "--start-at").unwrap() + 1];
            let at: jiff::Timestamp = at.parse().expect("RFC 3339");
            let ahead = at.duration_since(jiff::Timestamp::now()).as_secs_f64();
            assert!((60.0..=91.0).contains(&ahead), "{ahead}");
            continue;
        }
        assert_eq!(job["metadata"]["namespace"], "bench", "{name}");
        assert_eq!(job["metadata"]["name"], "run-7", "{name}");
        assert_eq!(container["resources"]["requests"]["cpu"], "2", "{name}");
        assert_eq!(
            container["resources"]["limits"]["memory"], "1536Mi",
            "{name}"
        );
        assert_eq!(
            container["env"][0]["valueFrom"]["secretKeyRef"],
            serde_json::json!({"name": "llm-keys", "key": "token"}),
            "{name}"
        );
        assert_eq!(container["env"][0]["name"], "GAUNTLET_API_KEY");
        assert!(
            args.ends_with(&["--start-at".into(), "2026-12-07T01:00:00Z".into()]),
            "{args:?}"
        );
        let config_map = kind(&objects, "ConfigMap");
        if name.contains("config") {
            assert_eq!(
                config_map["data"]["config.yaml"].as_str().unwrap(),
                std::fs::read_to_string(&config).unwrap(),
                "{name}"
            );
            assert!(
                args.contains(&"/etc/gauntlet/config.yaml".to_string()),
                "{args:?}"
            );
            let plan: serde_json::Value =
                serde_json::from_str(config_map["data"]["plan.json"].as_str().unwrap()).unwrap();
            assert_eq!(plan["model"], "cfg-model");
        }
    }
    if let Some((ok, out)) = validate(&files) {
        assert!(ok, "{out}");
        assert!(!out.contains("ERROR") && !out.contains("WARN"), "{out}");
    }
}

#[test]
fn the_validator_catches_a_broken_job() {
    // The schema check can fail: the same Job with a wrong type and an unknown field does.
    let dir = artifact_dir("kube-render-broken");
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec![
        "--output-format",
        "json",
        "--workers",
        "2",
        "--image",
        "g:1",
        "--pvc",
        "c",
    ];
    args.extend_from_slice(PROFILE);
    let list: serde_json::Value = serde_json::from_str(&render(&args, &[])).unwrap();
    let mut job = kind(list["items"].as_array().unwrap(), "Job").clone();
    job["spec"]["completions"] = "two".into();
    job["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always".into();
    let files = object_files(&dir, &[job]);
    if let Some((ok, out)) = validate(&files) {
        assert!(!ok, "{out}");
        assert!(out.contains("completions"), "{out}");
    }
}

#[test]
fn mistakes_are_refused_at_render_time_in_one_line() {
    let base = [
        "kube",
        "render",
        "--workers",
        "2",
        "--image",
        "g:1",
        "--pvc",
        "c",
    ];
    let cases: &[(&[&str], &str)] = &[
        (&["-m", "m", "--isl", "0"], "--synthetic-input-tokens-mean"),
        (
            &["-m", "m", "--api-key", "sk-secret-1"],
            "--api-key among the profile flags",
        ),
        (
            &["-m", "m", "-H", "X-Token: sk-secret-2"],
            "-H among the profile flags",
        ),
        (&["-m", "m", "--bogus-flag"], "--bogus-flag"),
        (
            &["-m", "m", "--namespace", "x"],
            "--namespace is a kube flag",
        ),
        (
            &["-m", "m", "--config", "/nonexistent/w.yaml"],
            "/nonexistent/w.yaml",
        ),
        (&["--cpu-limit", "two", "-m", "m"], "--cpu-limit"),
        (
            &["--artifacts-url", "s3://b/p", "-m", "m"],
            "--artifacts-url",
        ),
        (&["--name", "Bad_Name", "-m", "m"], "--name"),
        (
            &["--api-key-secret", "nokey", "-m", "m"],
            "--api-key-secret",
        ),
    ];
    for (extra, named) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = gauntlet(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", text(&out));
        assert!(out.stdout.is_empty(), "{extra:?}: {}", text(&out));
        assert_eq!(err.trim().lines().count(), 1, "{extra:?}: {err}");
        assert!(err.contains(named), "{extra:?}: {err}");
        assert!(!err.contains("sk-secret"), "{err}");
    }
    let out = gauntlet(&[
        "kube",
        "render",
        "--workers",
        "2",
        "--image",
        "g:1",
        "-m",
        "m",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--pvc"),
        "{}",
        text(&out)
    );
}
