//! `gauntlet speed-bench`: every SPEED-Bench category (or a chosen list) in one command, one
//! artifact folder each, then the per-category matrix. See docs/speed-bench.md.
//!
//! Server counters cover the whole server, so each category is its own run, one after the
//! other (a sweep whose variations differ only in `--public-dataset speed_bench_<category>`);
//! the matrix is then read back from the folders exactly as `speed-bench-report` reads them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::profile::ProfileArgs;
use super::speed_bench::MetricArg;
use crate::config::CATEGORIES;
use crate::report::speed_bench::{build_matrix, Metric};

/// Flags of `gauntlet speed-bench`: the profile flags, minus `--public-dataset`, plus the list
/// of categories and the matrix's metric.
#[derive(Debug, Clone, Args)]
#[command(
    mut_arg("dataset_path", |a| a.requires(clap::builder::Resettable::<clap::Id>::Reset)),
    mut_arg("public_dataset_multi_turn", |a| a.requires(clap::builder::Resettable::<clap::Id>::Reset)),
    mut_arg("public_dataset_max_tokens", |a| a.requires(clap::builder::Resettable::<clap::Id>::Reset)),
    mut_arg("public_dataset", |a| a.hide(true))
)]
pub struct SpeedBenchArgs {
    /// Categories to run, in this order [default: all 11: coding, humanities, math,
    /// multilingual, qa, rag, reasoning, roleplay, stem, summarization, writing].
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        help_heading = "SPEED-Bench"
    )]
    pub categories: Vec<String>,

    /// What the matrix cells hold.
    #[arg(long, value_enum, default_value_t = MetricArg::AcceptLength, help_heading = "SPEED-Bench")]
    pub metric: MetricArg,

    /// The profile flags, applied to every category's run; --output-artifact-dir is the
    /// parent of the per-category folders [default: artifacts/<model>-speed-bench].
    #[command(flatten)]
    pub profile: Box<ProfileArgs>,
}

/// The categories to run: the list given (checked, duplicates refused) or all 11.
pub fn categories(list: &[String]) -> anyhow::Result<Vec<&'static str>> {
    if list.is_empty() {
        return Ok(CATEGORIES.to_vec());
    }
    let mut out: Vec<&'static str> = Vec::with_capacity(list.len());
    for name in list {
        let name = name.trim().to_ascii_lowercase();
        let name = name.strip_prefix("speed_bench_").unwrap_or(&name);
        let Some(category) = CATEGORIES.iter().find(|c| **c == name) else {
            anyhow::bail!(
                "--categories: unknown category '{name}'; expected some of: {}",
                CATEGORIES.join(",")
            );
        };
        if out.contains(category) {
            anyhow::bail!("--categories: '{category}' is listed twice");
        }
        out.push(category);
    }
    Ok(out)
}

/// SPEED-Bench's defaults on top of the user's flags: temperature 0 unless the user set a
/// temperature in `--extra-inputs` (the 4,096-token cap and no `ignore_eos` are already the
/// public dataset's defaults).
pub fn with_seed_defaults(mut args: ProfileArgs) -> ProfileArgs {
    let sets_temperature = args.extra_inputs.iter().any(|e| {
        let e = e.trim_start();
        e.starts_with("temperature:")
            || e.starts_with("temperature=")
            || (e.starts_with('{') && e.contains("\"temperature\""))
    });
    if !sets_temperature {
        args.extra_inputs.push("temperature:0".to_owned());
    }
    args
}

/// The runs, one [`crate::run::Variation`] per category, labelled with the category and
/// writing into `<base>/<category>/`; returns them with the base folder.
pub fn variations(
    args: &SpeedBenchArgs,
    command_line: &str,
) -> anyhow::Result<(Vec<crate::run::Variation>, PathBuf)> {
    let profile = &args.profile;
    if profile.public.public_dataset.is_some() {
        anyhow::bail!(
            "--public-dataset: speed-bench picks the dataset per category; use --categories"
        );
    }
    if profile.concurrency.len() > 1 || profile.request_rate.len() > 1 {
        anyhow::bail!("--concurrency/--request-rate: speed-bench takes one value each, not a list; run it once per value");
    }
    if profile.num_profile_runs.is_some_and(|n| n > 1) {
        anyhow::bail!("--num-profile-runs: speed-bench runs each category once; repeat the command to repeat it");
    }
    let base_args = with_seed_defaults((**profile).clone());
    // The base folder: --output-artifact-dir, else artifacts/<model>-speed-bench; each
    // category's folder is its name.
    let mut out = crate::run::Variations::new(profile.output_artifact_dir.clone(), "speed-bench");
    for category in categories(&args.categories)? {
        let mut one = base_args.clone();
        one.public.public_dataset = Some(format!("speed_bench_{category}"));
        let plan = one
            .into_plan(command_line.to_owned())
            .with_context(|| format!("category {category}"))?;
        out.push(category.to_owned(), plan);
    }
    Ok(out.finish())
}

/// Runs every category, then prints the matrix and writes `speed_bench_report.csv` into the
/// base folder. Returns the worst run's exit code (2 when the matrix cannot be made).
pub fn run(args: SpeedBenchArgs, command_line: String) -> anyhow::Result<ExitCode> {
    let (variations, base) = variations(&args, &command_line)?;
    let outcome = crate::run::run_sweep(&variations, &base, None)?;
    let dirs: Vec<PathBuf> = outcome
        .runs
        .iter()
        .map(|(_, o)| o.artifact_dir.clone())
        .collect();
    print_matrix(&dirs, args.metric.into(), &base)?;
    Ok(ExitCode::from(outcome.exit_code))
}

/// Prints the matrix of `dirs` and writes its CSV into `base`.
fn print_matrix(dirs: &[PathBuf], metric: Metric, base: &Path) -> anyhow::Result<()> {
    let matrix = build_matrix(dirs, metric).with_context(|| {
        format!(
            "every category ran (artifacts in {}), but the {} matrix cannot be made",
            base.display(),
            metric.name()
        )
    })?;
    super::stdout::print(&format!("\n{}", matrix.to_console()))?;
    let path = matrix.write_csv(base)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SpeedBenchArgs,
    }

    fn parse(flags: &[&str]) -> SpeedBenchArgs {
        let mut all = vec!["x"];
        all.extend_from_slice(flags);
        Wrapper::try_parse_from(all).expect("valid flags").args
    }

    #[test]
    fn categories_default_to_all_and_lists_are_checked() {
        assert_eq!(categories(&[]).unwrap().len(), 11);
        let list = ["math".to_owned(), "speed_bench_Coding".to_owned()];
        assert_eq!(categories(&list).unwrap(), ["math", "coding"]);
        let err = categories(&["maths".to_owned()]).unwrap_err().to_string();
        assert!(err.contains("unknown category 'maths'"), "{err}");
        let twice = ["qa".to_owned(), "qa".to_owned()];
        assert!(categories(&twice).is_err());
    }

    #[test]
    fn temperature_zero_unless_given() {
        let args = with_seed_defaults(ProfileArgs::default());
        assert_eq!(args.extra_inputs, ["temperature:0"]);
        let given = ProfileArgs {
            extra_inputs: vec!["temperature:0.7".into(), "top_p:1".into()],
            ..ProfileArgs::default()
        };
        assert_eq!(with_seed_defaults(given).extra_inputs.len(), 2);
    }

    #[test]
    fn one_plan_per_category_in_its_own_folder() {
        let args = parse(&[
            "-m",
            "m1",
            "--categories",
            "math,coding",
            "--dataset-path",
            "data.parquet",
            "--output-artifact-dir",
            "out",
        ]);
        let (runs, base) = variations(&args, "gauntlet speed-bench").unwrap();
        assert_eq!(base, PathBuf::from("out"));
        let labels: Vec<&str> = runs.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels, ["math", "coding"]);
        assert_eq!(runs[1].plan.artifact_dir, PathBuf::from("out/coding"));
        let defaults = parse(&["-m", "a/b"]);
        let (runs, base) = variations(&defaults, "").unwrap();
        assert_eq!(runs.len(), 11);
        assert_eq!(base, PathBuf::from("artifacts/a_b-speed-bench"));
    }

    #[test]
    fn public_dataset_and_lists_are_refused() {
        let args = parse(&["-m", "m", "--public-dataset", "speed_bench_math"]);
        let err = variations(&args, "").unwrap_err().to_string();
        assert!(err.contains("--categories"), "{err}");
        let args = parse(&["-m", "m", "--concurrency", "1,2"]);
        assert!(variations(&args, "").is_err());
    }
}
