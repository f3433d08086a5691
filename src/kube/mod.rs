//! `gauntlet kube render|run`: one benchmark from many pods. Kubernetes does the scheduling;
//! gauntlet brings the manifests (a ConfigMap with the plan and an Indexed Job whose pods run
//! `gauntlet profile` in worker mode), and `run` applies them with kubectl, waits, collects
//! the workers' folders and hands them to `gauntlet merge`.
//!
//! Downstream of `cli` in the layer order: it reuses `gauntlet profile`'s parser and resolver,
//! and the binary's `main` hands [`extension`] to `cli::main`.

mod args;
mod checks;
mod emit;
mod error;
mod kubectl;
mod objects;
mod profile_flags;
mod run;
mod start;

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, FromArgMatches};

pub use args::{JobArgs, KubeArgs, KubeCommand, OutputFormat, RenderArgs, RunArgs};
pub use error::KubeError;
pub use objects::{JobShape, Objects};
pub use profile_flags::CheckedProfile;

/// The `kube` subcommand, for `cli::main`.
pub fn extension() -> crate::cli::Extension {
    let command = KubeArgs::augment_args(clap::Command::new("kube")).about(
        "Run one benchmark from many pods of a Kubernetes Indexed Job: print the manifests \
         (`kube render`), or apply them, wait, collect the workers' folders and merge them \
         (`kube run`).",
    );
    crate::cli::Extension {
        command,
        run: run_matches,
    }
}

fn run_matches(matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    let args = KubeArgs::from_arg_matches(matches)?;
    match args.command {
        KubeCommand::Render(args) => {
            render(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        KubeCommand::Run(args) => Ok(ExitCode::from(run::run(&args)?)),
    }
}

/// `kube render`: the objects on stdout.
fn render(args: &RenderArgs) -> anyhow::Result<()> {
    let name = args.job.name.clone().unwrap_or_else(|| "gauntlet".into());
    let start_at = start::start_at(args.job.start_at.as_deref(), args.job.start_delay)?;
    let (shape, profile) = checked(&args.job, name, start_at, None)?;
    let objects = objects::build(&shape, &profile).map_err(KubeError::ProfileFlags)?;
    let text = match args.output_format {
        OutputFormat::Yaml => emit::yaml(&objects.values()),
        OutputFormat::Json => emit::json(&objects.values()),
    };
    crate::cli::stdout::print(&text)?;
    Ok(())
}

/// The kube flags checked and the profile flags checked as `gauntlet profile` would.
pub fn checked(
    job: &JobArgs,
    name: String,
    start_at: Option<String>,
    deadline_secs: Option<u64>,
) -> Result<(JobShape, CheckedProfile), KubeError> {
    if let Some(url) = &job.artifacts_url {
        return Err(KubeError::BadFlag {
            flag: "--artifacts-url",
            value: crate::config::redact_userinfo(url),
            why: "uploading to an object store is not supported yet; give --pvc CLAIM (a claim every worker pod can mount)".into(),
        });
    }
    let Some(pvc) = job.pvc.clone() else {
        return Err(KubeError::BadFlag {
            flag: "--pvc",
            value: String::new(),
            why: "a claim is needed: the workers' folders must outlive their pods (give --pvc CLAIM, ReadWriteMany when pods land on several nodes)".into(),
        });
    };
    checks::job_name(&name)?;
    checks::subdomain("--pvc", &pvc)?;
    if let Some(ns) = &job.namespace {
        checks::label("--namespace", ns, 63)?;
    }
    if job.image.trim().is_empty() || job.image.chars().any(char::is_whitespace) {
        return Err(KubeError::BadFlag {
            flag: "--image",
            value: job.image.clone(),
            why: "expected an image reference (registry/name:tag)".into(),
        });
    }
    let api_key_secret = job
        .api_key_secret
        .as_deref()
        .map(checks::secret_ref)
        .transpose()?;
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    for (flag, value, kind, is_limit) in [
        ("--cpu-request", &job.cpu_request, "cpu", false),
        ("--memory-request", &job.memory_request, "memory", false),
        ("--cpu-limit", &job.cpu_limit, "cpu", true),
        ("--memory-limit", &job.memory_limit, "memory", true),
    ] {
        if let Some(value) = value {
            checks::quantity(flag, value)?;
            let into = if is_limit { &mut limits } else { &mut requests };
            into.insert(kind.to_string(), value.clone());
        }
    }
    let run_dir = format!("{}/{name}", objects::ARTIFACTS_DIR);
    let profile = profile_flags::check(&job.profile, &run_dir)?;
    let shape = JobShape {
        name,
        namespace: job.namespace.clone(),
        workers: job.workers,
        image: job.image.clone(),
        start_at,
        requests,
        limits,
        pvc,
        api_key_secret,
        deadline_secs,
    };
    Ok((shape, profile))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_kube_command_fits_beside_the_cli() {
        let command = crate::cli::Cli::command().subcommand(extension().command);
        command.debug_assert();
    }

    #[test]
    fn profile_flags_follow_the_kube_flags_as_typed() {
        let matches = crate::cli::Cli::command()
            .subcommand(extension().command)
            .try_get_matches_from([
                "gauntlet",
                "kube",
                "render",
                "--workers",
                "2",
                "--image",
                "g:1",
                "--pvc",
                "c",
                "-m",
                "m",
                "--isl",
                "5",
                "--streaming",
            ])
            .unwrap();
        let (_, sub) = matches.subcommand().unwrap();
        let KubeCommand::Render(args) = KubeArgs::from_arg_matches(sub).unwrap().command else {
            panic!("render");
        };
        assert_eq!(args.job.workers, 2);
        assert_eq!(args.job.profile, ["-m", "m", "--isl", "5", "--streaming"]);
    }
}
