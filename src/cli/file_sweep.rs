//! A `--config` file with `sweep:`: every variation resolved, flags over each, into a plan
//! with its own artifact folder, all before any request is sent.

use std::path::PathBuf;

use super::flag_error::flag_err;
use super::profile::{ProfileArgs, ProfileError};
use crate::config::{ConfigError, ConfigFile, FileSettings, SweepKind};
use crate::run::{Variation, Variations};

/// What `--config` holds, read once.
pub(super) enum ConfigLoad {
    /// No `--config`.
    None,
    /// A file without `sweep:`, resolved.
    Single(Box<FileSettings>),
    /// A file with `sweep:`, expanded.
    Sweep(Box<FileSweep>),
}

/// A file's sweep, ready to run.
pub(super) struct FileSweep {
    /// Grid or zip, for messages.
    pub kind: SweepKind,
    /// One per variation, in run order, artifact folders set.
    pub variations: Vec<Variation>,
    /// Where the variations' folders and `sweep_summary.csv` go.
    pub summary_dir: PathBuf,
    /// The repeat keys etc. as the file sets them (the same in every variation: the repeat
    /// keys cannot be swept).
    pub settings: FileSettings,
    /// Keys asking for features gauntlet lacks, once each.
    pub unsupported: Vec<ConfigError>,
}

/// Reads `--config` (if any) and, for a sweep, resolves every variation with the flags.
pub(super) fn load(args: &ProfileArgs, cli_command: &str) -> Result<ConfigLoad, ProfileError> {
    let Some(path) = &args.config else {
        return Ok(ConfigLoad::None);
    };
    let file = ConfigFile::read(path)?;
    let Some(found) = file.variations()? else {
        return Ok(ConfigLoad::Single(Box::new(file.resolve()?)));
    };
    let kind = file.sweep()?.map_or(SweepKind::Grid, |s| s.kind);
    if let Some(flag) = super::comma_sweep::first_list(args) {
        return Err(flag_err(
            flag,
            format!(
                "a comma list is a sweep, and {} has sweep: too; put the values in its sweep.parameters (e.g. benchmark.phases[0].concurrency: [8, 16])",
                file.name()
            ),
        )
        .into());
    }
    if args.sweep_type.is_some() {
        return Err(flag_err(
            "--sweep-type",
            format!(
                "combines comma lists on the command line; {} has sweep: with its own type (set sweep.type: zip there)",
                file.name()
            ),
        )
        .into());
    }
    let mut variations = Variations::new(args.output_artifact_dir.clone(), "openai-sweep");
    let mut unsupported: Vec<ConfigError> = Vec::new();
    let mut first_settings = None;
    for v in found {
        for u in &v.settings.unsupported {
            if !unsupported.contains(u) {
                unsupported.push(u.clone());
            }
        }
        let label = v.label();
        let plan = args
            .clone()
            .resolve(Some(v.settings.clone()), cli_command.to_string())?;
        first_settings.get_or_insert(v.settings);
        variations.push(label, plan);
    }
    let (variations, summary_dir) = variations.finish();
    Ok(ConfigLoad::Sweep(Box::new(FileSweep {
        kind,
        variations,
        summary_dir,
        settings: first_settings.unwrap_or_default(),
        unsupported,
    })))
}
