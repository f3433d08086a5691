//! The profile flags of `kube render|run`: checked exactly as `gauntlet profile` checks them
//! (its parser, its config loader, its resolver), so a mistake surfaces at render time rather
//! than in N pods; then turned into the pods' argument list.

use std::path::{Path, PathBuf};

use clap::Parser;

use super::error::KubeError;
use crate::cli::profile::ProfileArgs;
use crate::cli::Cli;
use crate::config::{ConfigFile, FileSettings};

/// Where the ConfigMap is mounted in each pod.
pub const PLAN_DIR: &str = "/etc/gauntlet";
/// The config file's name in the ConfigMap (and so in [`PLAN_DIR`]).
pub const CONFIG_KEY: &str = "config.yaml";

/// Flags kube sets on the pods itself.
const SET_BY_KUBE: &[&str] = &[
    "--worker-count",
    "--worker-index",
    "--start-at",
    "--output-artifact-dir",
    "--artifact-dir",
];

/// The profile flags, checked.
#[derive(Debug, Clone)]
pub struct CheckedProfile {
    /// The flags as the pods get them: as typed, with `--config` naming the mounted file.
    pub pod_args: Vec<String>,
    /// The `--config` file's text.
    pub config_text: Option<String>,
    /// The resolved plan as JSON (its secrets redacted by `Plan`'s serializer), for the record.
    pub plan_json: String,
}

/// Checks `flags` as `gauntlet profile FLAGS` would (with the pods' `--output-artifact-dir
/// run_dir`) and returns what the manifests carry.
pub fn check(flags: &[String], run_dir: &str) -> Result<CheckedProfile, KubeError> {
    refuse_flags_kube_owns(flags)?;
    let mut args = parse(flags)?;
    args.output_artifact_dir = Some(PathBuf::from(run_dir));
    // The pods read the key from the Secret (--api-key-secret); a GAUNTLET_API_KEY in this
    // shell must not reach the plan printed into the ConfigMap.
    args.api_key = None;
    if args.concurrency.len() > 1 || args.request_rate.len() > 1 {
        return Err(KubeError::ProfileFlags(
            "a comma list of --concurrency or --request-rate is a sweep (many runs); give one value"
                .into(),
        ));
    }
    if args.num_profile_runs.is_some_and(|n| n > 1) {
        return Err(KubeError::ProfileFlags(
            "--num-profile-runs above 1 is not supported by kube; run it again instead".into(),
        ));
    }
    let config_text = match &args.config {
        Some(path) => Some(check_config(path)?),
        None => None,
    };
    let command_line = crate::cli::redacted_command_line(std::env::args());
    let plan = args.into_plan(command_line)?;
    let plan_json = serde_json::to_string_pretty(&plan).expect("a Plan serializes");
    Ok(CheckedProfile {
        pod_args: pod_args(flags),
        config_text,
        plan_json,
    })
}

/// `gauntlet profile FLAGS`, parsed by the CLI's own definition.
fn parse(flags: &[String]) -> Result<ProfileArgs, KubeError> {
    let argv = ["gauntlet", "profile"]
        .into_iter()
        .map(String::from)
        .chain(flags.iter().cloned());
    match Cli::try_parse_from(argv) {
        Ok(Cli {
            command: crate::cli::Command::Profile(args),
        }) => Ok(*args),
        Ok(_) => unreachable!("parsed as `profile`"),
        Err(e) => Err(KubeError::ProfileFlags(clap_line(&e))),
    }
}

/// A clap error's first line, without its `error: ` prefix; a kube flag given after the
/// profile flags is named as such.
fn clap_line(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return "--help and --version go before the profile flags (`gauntlet kube render --help`; the profile flags: `gauntlet profile --help`)".into();
    }
    let text = e.to_string();
    let line = text.lines().next().unwrap_or("").trim();
    let line = line.strip_prefix("error: ").unwrap_or(line).to_string();
    if let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) {
        let name = arg.split([' ', '=']).next().unwrap_or("");
        if KUBE_FLAGS.contains(&name) {
            return format!("{name} is a kube flag: give the kube flags before the profile flags");
        }
    }
    if line.is_empty() {
        "see `gauntlet profile --help`".into()
    } else {
        line
    }
}

/// Every flag of `kube render|run`, to tell a misplaced one from a misspelt profile flag.
const KUBE_FLAGS: &[&str] = &[
    "--workers",
    "--image",
    "--namespace",
    "--name",
    "--start-delay",
    "--cpu-request",
    "--cpu-limit",
    "--memory-request",
    "--memory-limit",
    "--pvc",
    "--artifacts-url",
    "--api-key-secret",
    "--output-format",
    "--output",
    "--kubeconfig",
    "--timeout",
    "--collect-image",
];

/// The name of `arg` when it is a flag (`--x=v` → `--x`; `-Hv` → `-H`).
fn flag_name(arg: &str) -> Option<&str> {
    if let Some(long) = arg.strip_prefix("--") {
        (!long.is_empty()).then(|| arg.split('=').next().unwrap_or(arg))
    } else if arg.starts_with('-') && arg.len() >= 2 {
        Some(&arg[..2])
    } else {
        None
    }
}

fn refuse_flags_kube_owns(flags: &[String]) -> Result<(), KubeError> {
    for arg in flags {
        let Some(name) = flag_name(arg) else { continue };
        let why = if SET_BY_KUBE.contains(&name) {
            "kube sets it on every pod (--start-at is a kube flag: give it before the profile flags)"
        } else if matches!(name, "--api-key") {
            "the key would be printed into the manifests; put it in a Secret and give --api-key-secret NAME/KEY"
        } else if matches!(name, "--header" | "-H") {
            "header values would be printed into the manifests; kube does not take headers (an API key goes through --api-key-secret NAME/KEY)"
        } else {
            continue;
        };
        return Err(KubeError::ProfileFlagRefused {
            flag: name.to_string(),
            why,
        });
    }
    if let Some(arg) = flags
        .iter()
        .find(|a| crate::config::redact_userinfo(a) != **a)
    {
        return Err(KubeError::ProfileFlagRefused {
            flag: crate::config::redact_userinfo(arg),
            why: "a password in a URL would be printed into the manifests; give the key through --api-key-secret NAME/KEY",
        });
    }
    Ok(())
}

/// Reads the config file, refusing a sweep and anything secret it would carry into the
/// ConfigMap; returns its text.
fn check_config(path: &Path) -> Result<String, KubeError> {
    let text = std::fs::read_to_string(path).map_err(|source| KubeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file = ConfigFile::parse(&text, &path.display().to_string())?;
    if file.variations()?.is_some() {
        return Err(KubeError::ProfileFlags(format!(
            "{}: a sweep is many runs; kube runs one (give one variation's config)",
            path.display()
        )));
    }
    let settings: FileSettings = file.resolve()?;
    let secret = |key| KubeError::SecretInConfig {
        file: PathBuf::from(path),
        key,
    };
    if settings.api_key.is_some() {
        return Err(secret("benchmark.endpoint.api_key"));
    }
    if !settings.headers.is_empty() {
        return Err(secret("benchmark.endpoint.headers"));
    }
    if crate::config::redact_userinfo(&text) != text {
        return Err(secret("a URL's password"));
    }
    if settings.num_profile_runs.is_some_and(|n| n > 1) {
        return Err(KubeError::ProfileFlags(format!(
            "{}: benchmark.num_profile_runs above 1 is not supported by kube",
            path.display()
        )));
    }
    Ok(text)
}

/// The flags as typed, with the config file's path replaced by the mounted copy's.
fn pod_args(flags: &[String]) -> Vec<String> {
    let mounted = format!("{PLAN_DIR}/{CONFIG_KEY}");
    let mut out = Vec::with_capacity(flags.len());
    let mut next_is_config = false;
    for arg in flags {
        if next_is_config {
            out.push(mounted.clone());
            next_is_config = false;
        } else if arg == "--config" || arg == "-f" {
            out.push(arg.clone());
            next_is_config = true;
        } else if arg.starts_with("--config=") {
            out.push(format!("--config={mounted}"));
        } else if arg.starts_with("-f") && arg.len() > 2 && !arg.starts_with("--") {
            out.push(format!("-f{mounted}"));
        } else {
            out.push(arg.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_here(flags: &[String]) -> Result<CheckedProfile, KubeError> {
        check(flags, "/artifacts/t")
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_config_path_becomes_the_mounted_file() {
        let args = pod_args(&strings(&["--config", "w.yaml", "-u", "http://x:1"]));
        assert_eq!(
            args,
            strings(&["--config", "/etc/gauntlet/config.yaml", "-u", "http://x:1"])
        );
        let args = pod_args(&strings(&["--config=w.yaml", "-fw.yaml", "-f", "a"]));
        assert_eq!(
            args,
            strings(&[
                "--config=/etc/gauntlet/config.yaml",
                "-f/etc/gauntlet/config.yaml",
                "-f",
                "/etc/gauntlet/config.yaml"
            ])
        );
    }

    #[test]
    fn secrets_and_flags_kube_sets_are_refused() {
        for (flags, named) in [
            (vec!["--api-key", "sk"], "--api-key"),
            (vec!["--api-key=sk"], "--api-key"),
            (vec!["-H", "X: y"], "-H"),
            (vec!["-HX: y"], "-H"),
            (vec!["--header=X: y"], "--header"),
            (vec!["--worker-count", "2"], "--worker-count"),
            (vec!["--output-artifact-dir", "d"], "--output-artifact-dir"),
        ] {
            let err = check_here(&strings(&flags)).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{named} among the profile flags")),
                "{err}"
            );
            assert!(!err.contains("sk") || named != "--api-key", "{err}");
        }
        let err = check_here(&strings(&["-u", "http://u:hunter2@h:1", "-m", "m"]))
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("hunter2") && err.contains("password"),
            "{err}"
        );
    }

    #[test]
    fn profile_mistakes_surface_as_profile_would_say_them() {
        let err = check_here(&strings(&["-m", "m", "--isl", "abc"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--isl") || err.contains("--synthetic-input-tokens-mean"),
            "{err}"
        );
        let err = check_here(&strings(&["-m", "m", "--help"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("gauntlet profile --help"), "{err}");
        let err = check_here(&strings(&["-m", "m", "--pvc", "c"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--pvc is a kube flag"), "{err}");
        let err = check_here(&strings(&["-m", "m", "--concurrency", "1,2"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("sweep"), "{err}");
    }

    #[test]
    fn a_good_plan_is_kept_as_json_with_the_flags_as_typed() {
        let flags = strings(&["-m", "my-model", "--isl", "32", "--request-count", "40"]);
        let checked = check_here(&flags).unwrap();
        assert_eq!(checked.pod_args, flags);
        let plan: serde_json::Value = serde_json::from_str(&checked.plan_json).unwrap();
        assert_eq!(plan["model"], "my-model");
        assert_eq!(plan["artifact_dir"], "/artifacts/t");
        assert!(checked.config_text.is_none());
    }
}
