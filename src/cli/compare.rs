//! `gauntlet compare RUN_A RUN_B [RUN_C…]`: finished runs side by side, the first as the
//! baseline. See docs/compare.md.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::report::compare::{compare, read_run, render_console, render_csv, render_markdown};

/// Flags of `gauntlet compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Artifact folders of finished runs, the baseline first. A run made with
    /// --num-profile-runs is read from its profile_runs/run_*/ repeats, and each difference is
    /// tested against their spread (Welch's t-test).
    #[arg(value_name = "RUN_DIR", required = true, num_args = 2..)]
    pub dirs: Vec<PathBuf>,

    /// Folder that receives compare.csv and compare.md (the console table is always printed).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Which files --output receives, a comma list.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [CompareFormat::Csv, CompareFormat::Markdown])]
    pub format: Vec<CompareFormat>,

    /// Confidence level of the test: a difference is beyond the noise when Welch's p-value is
    /// below 1 − level.
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95)]
    pub confidence_level: f64,

    /// Also draw the runs' charts overlaid (as `gauntlet plot RUN_DIR...`), in this format,
    /// into OUTPUT/plots/ (./plots/ without --output) with a side-by-side report.html. A run
    /// with repeats is drawn from its first repeat.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub plot: Option<super::plot::FormatArg>,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// compare.csv: every metric and statistic.
    Csv,
    /// compare.md: the console's rows as a markdown table.
    #[value(alias = "md")]
    Markdown,
}

/// Reads the runs, prints the comparison, writes the files asked for.
pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let runs = args
        .dirs
        .iter()
        .map(|d| read_run(d))
        .collect::<Result<Vec<_>, _>>()?;
    let cmp = compare(runs, args.confidence_level)?;
    super::stdout::print(&render_console(&cmp))?;
    if let Some(dir) = &args.output {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--output {}: cannot create the folder", dir.display()))?;
        for format in &args.format {
            let (name, text) = match format {
                CompareFormat::Csv => ("compare.csv", render_csv(&cmp)),
                CompareFormat::Markdown => ("compare.md", render_markdown(&cmp)),
            };
            let path = dir.join(name);
            crate::atomic_file::write_bytes(&path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    if let Some(format) = args.plot {
        let format = match format {
            super::plot::FormatArg::Png => crate::report::plot::PlotFormat::Png,
            super::plot::FormatArg::Svg => crate::report::plot::PlotFormat::Svg,
        };
        let out = args
            .output
            .as_deref()
            .unwrap_or(std::path::Path::new("."))
            .join(crate::report::plot::PLOTS_DIR);
        let outcome = crate::report::plot::plot(&args.dirs, Some(&out), format)?;
        eprint!("{}", outcome.render());
    }
    Ok(ExitCode::SUCCESS)
}
