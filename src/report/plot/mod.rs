//! `gauntlet plot` and `--auto-plot`: charts (PNG or SVG) and a self-contained `report.html`
//! drawn from a run directory's exported files only — `profile_export.jsonl`,
//! `profile_export_aiperf.json`, `server_metrics_export.jsonl`, `gpu_telemetry_export.*` and a
//! sweep's `sweep_summary.csv` with its variation folders — so a run copied off another
//! machine plots the same. A chart whose input is missing is skipped with one line saying why.

mod charts;
mod charts_runs;
mod draw;
mod figure;
mod html;
mod load;

use std::path::{Path, PathBuf};

use crate::atomic_file;
pub use figure::Figure;
use load::{Run, Source};

/// Name of the HTML report, in the run (or sweep) folder or in `--output`.
pub const REPORT_HTML: &str = "report.html";
/// Folder the charts go to inside a run folder when no `--output` is given.
pub const PLOTS_DIR: &str = "plots";

/// Image format of the chart files (report.html always inlines SVG).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotFormat {
    /// PNG bitmaps, text drawn with the embedded font.
    Png,
    /// SVG documents.
    Svg,
}

impl PlotFormat {
    fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }
}

/// Why `gauntlet plot` could not run.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The path is not a run or sweep folder.
    #[error("{path}: not a gauntlet run directory: {1}", path = .0.display())]
    NotARun(PathBuf, &'static str),
    /// A file could not be read.
    #[error("reading {path}: {1}", path = .0.display())]
    Read(PathBuf, std::io::Error),
    /// A file is not what a run writes.
    #[error("{path}{line}: {2}", path = .0.display(), line = if *.1 > 0 { format!(":{}", .1) } else { String::new() })]
    Parse(PathBuf, usize, serde_json::Error),
    /// An output could not be written.
    #[error("writing {path}: {1}", path = .0.display())]
    Write(PathBuf, std::io::Error),
    /// plotters failed to draw a chart.
    #[error("drawing {0}: {1}")]
    Draw(String, String),
    /// Nothing was given.
    #[error("no RUN_DIR given")]
    NoRuns,
}

impl PlotError {
    fn read(path: &Path, e: std::io::Error) -> Self {
        Self::Read(path.to_path_buf(), e)
    }
    fn parse(path: &Path, line: usize, e: serde_json::Error) -> Self {
        Self::Parse(path.to_path_buf(), line, e)
    }
}

/// One chart file written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Where.
    pub path: PathBuf,
    /// Series drawn.
    pub series: usize,
    /// Points drawn over every series.
    pub points: usize,
}

/// What a plot wrote and what it skipped.
#[derive(Debug, Default)]
pub struct PlotOutcome {
    /// The chart files, in drawing order.
    pub written: Vec<Written>,
    /// One line per chart not drawn, saying why.
    pub skipped: Vec<String>,
    /// The HTML report.
    pub report: PathBuf,
}

impl PlotOutcome {
    /// One line per chart written (series and points drawn), per chart skipped, and the
    /// report's path.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for w in &self.written {
            out.push_str(&format!(
                "wrote {} ({} series, {} points)\n",
                w.path.display(),
                w.series,
                w.points
            ));
        }
        for why in &self.skipped {
            out.push_str(&format!("skipped {why}\n"));
        }
        out.push_str(&format!("report: {}\n", self.report.display()));
        out
    }
}

/// Where outputs go: the charts' folder and report.html's path.
fn destinations(dirs: &[PathBuf], output: Option<&Path>) -> (PathBuf, PathBuf) {
    match (output, dirs) {
        (Some(out), _) => (out.to_path_buf(), out.join(REPORT_HTML)),
        (None, [one]) => (one.join(PLOTS_DIR), one.join(REPORT_HTML)),
        (None, _) => (
            PathBuf::from(PLOTS_DIR),
            PathBuf::from(PLOTS_DIR).join(REPORT_HTML),
        ),
    }
}

/// Draws every chart the runs in `dirs` have data for into `output` (default: `RUN_DIR/plots`
/// for one folder, `./plots` for several) and writes `report.html` (default: in the run or
/// sweep folder for one folder, else in `output`).
pub fn plot(
    dirs: &[PathBuf],
    output: Option<&Path>,
    format: PlotFormat,
) -> Result<PlotOutcome, PlotError> {
    if dirs.is_empty() {
        return Err(PlotError::NoRuns);
    }
    let sources = dirs
        .iter()
        .map(|d| load::source(d))
        .collect::<Result<Vec<_>, _>>()?;
    let (out_dir, report) = destinations(dirs, output);
    let built = build(&sources);
    std::fs::create_dir_all(&out_dir).map_err(|e| PlotError::Write(out_dir.clone(), e))?;
    let mut outcome = PlotOutcome {
        report,
        ..PlotOutcome::default()
    };
    let mut svgs = Vec::new();
    for b in built {
        let fig = match b {
            Ok(fig) => fig,
            Err(why) => {
                outcome.skipped.push(why);
                continue;
            }
        };
        let svg = draw::svg(&fig).map_err(|e| PlotError::Draw(fig.name.clone(), e))?;
        let path = out_dir.join(format!("{}.{}", fig.name, format.extension()));
        let bytes = match format {
            PlotFormat::Svg => svg.clone().into_bytes(),
            PlotFormat::Png => draw::png(&fig).map_err(|e| PlotError::Draw(fig.name.clone(), e))?,
        };
        atomic_file::write_bytes(&path, &bytes).map_err(|e| PlotError::Write(path.clone(), e))?;
        outcome.written.push(Written {
            path,
            series: fig.series(),
            points: fig.points(),
        });
        svgs.push((fig, svg));
    }
    let runs: Vec<&Run> = sources.iter().flat_map(runs_of).collect();
    let page = html::render(&sources, &runs, &svgs, &outcome.skipped);
    if let Some(parent) = outcome
        .report
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| PlotError::Write(parent.to_path_buf(), e))?;
    }
    atomic_file::write_bytes(&outcome.report, page.as_bytes())
        .map_err(|e| PlotError::Write(outcome.report.clone(), e))?;
    Ok(outcome)
}

fn runs_of(source: &Source) -> Vec<&Run> {
    match source {
        Source::Run(run) => vec![run],
        Source::Sweep(_, runs) => runs.iter().collect(),
    }
}

/// Every chart, or why it was skipped, for the sources together.
fn build(sources: &[Source]) -> Vec<charts::Built> {
    let runs: Vec<&Run> = sources.iter().flat_map(runs_of).collect();
    let mut out = charts::distributions(&runs);
    out.push(charts::latency_over_time(&runs));
    out.push(charts::throughput_over_time(&runs));
    out.push(charts::lengths_vs_latency(&runs));
    out.push(charts::send_lag_over_time(&runs));
    let suffix = |run: &Run, fig: charts::Built| -> charts::Built {
        if runs.len() == 1 {
            return fig;
        }
        fig.map(|mut f| {
            f.name = format!("{}-{}", f.name, run.name);
            f.title = format!("{} ({})", f.title, run.name);
            f
        })
    };
    for run in &runs {
        out.push(suffix(run, charts_runs::telemetry(run)));
        out.push(suffix(run, charts_runs::swim_lanes(run)));
    }
    let mut groups: Vec<(String, Vec<&Run>)> = Vec::new();
    let singles: Vec<&Run> = (sources.iter())
        .filter_map(|s| match s {
            Source::Run(r) => Some(r),
            Source::Sweep(..) => None,
        })
        .collect();
    if !singles.is_empty() {
        groups.push(("runs".into(), singles));
    }
    for s in sources {
        if let Source::Sweep(dir, runs) = s {
            let name = dir.file_name().map_or_else(
                || dir.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            groups.push((name, runs.iter().collect()));
        }
    }
    out.extend(charts_runs::across_runs(&groups));
    out
}
