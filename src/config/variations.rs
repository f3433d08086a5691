//! A config file's sweep expanded into variations: the base file with each variation's values
//! set by path, each resolved, every problem collected before anything runs.

use super::error::{ConfigError, ConfigErrors};
use super::file::{ConfigFile, FileSettings};
use super::sweep::{self, flow, Sweep};
use super::walk::{normalize, path_segments, Segment, Val, Walker};
use super::yaml::NodeKind;

/// One variation of a config-file sweep, resolved.
#[derive(Debug, Clone)]
pub struct FileVariation {
    /// 1-based, in run order.
    pub index: usize,
    /// `(short name, value)` per swept parameter, values in YAML flow style
    /// (`("isl", "{mean: 512, stddev: 64}")`): the label, the folder name and the summary's
    /// columns are made from these.
    pub parameters: Vec<(String, String)>,
    /// `(dotted path, value)` per swept parameter, as the file wrote the path.
    pub assignments: Vec<(String, String)>,
    /// The base file with these values set, resolved.
    pub settings: FileSettings,
}

impl FileVariation {
    /// `concurrency=8, isl={mean: 512, stddev: 64}`: the run's label in tables and logs.
    pub fn label(&self) -> String {
        self.parameters
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn describe(&self) -> String {
        let set: Vec<String> = self
            .assignments
            .iter()
            .map(|(p, v)| format!("{p}={v}"))
            .collect();
        format!("sweep variation {} ({})", self.index, set.join(", "))
    }
}

impl ConfigFile {
    /// The file's `sweep:` section, validated against the schema; `None` when it has none.
    pub fn sweep(&self) -> Result<Option<Sweep>, ConfigErrors> {
        let NodeKind::Map(entries) = &self.root().kind else {
            return Ok(None);
        };
        let Some(entry) = entries.iter().find(|e| normalize(&e.key) == "sweep") else {
            return Ok(None);
        };
        let mut w = Walker::new(self.name(), self.root());
        let val = Val {
            node: &entry.value,
            line: entry.key_line,
        };
        match sweep::read(&mut w, val) {
            Some(sweep) if w.errors.is_empty() => Ok(Some(sweep)),
            _ => Err(ConfigErrors::sorted(w.errors)),
        }
    }

    /// Every variation of the file's sweep, each resolved; `None` when the file has no
    /// sweep. Errors name the variation and the key; a problem of the base file (the same in
    /// every variation) is reported once, as it is.
    pub fn variations(&self) -> Result<Option<Vec<FileVariation>>, ConfigErrors> {
        let Some(sweep) = self.sweep()? else {
            return Ok(None);
        };
        let mut base = self.clone();
        base.remove_top_key("sweep");
        let mut errors = Vec::new();
        // A path the schema has but the file cannot take (a phase index past the end)
        // fails the same in every variation: say it once, at the parameter's line.
        for p in &sweep.parameters {
            let mut trial = base.clone();
            if let Err(e) = trial.set_node(&p.path, p.values[0].clone()) {
                let message = e
                    .text
                    .strip_prefix(&format!("{}: ", p.path))
                    .unwrap_or(&e.text)
                    .to_string();
                errors.push(ConfigError::at(
                    self.name(),
                    p.line,
                    &format!("sweep.parameters.{}", p.path),
                    message,
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ConfigErrors::sorted(errors));
        }
        let base_errors = base.resolve().err().map(|e| e.0).unwrap_or_default();
        let mut out = Vec::new();
        for (i, combo) in sweep.combinations().into_iter().enumerate() {
            let mut file = base.clone();
            let mut variation = FileVariation {
                index: i + 1,
                parameters: Vec::with_capacity(combo.len()),
                assignments: Vec::with_capacity(combo.len()),
                settings: FileSettings::default(),
            };
            for (p, &v) in sweep.parameters.iter().zip(&combo) {
                let value = &p.values[v];
                let text = flow(value);
                variation.parameters.push((p.name.clone(), text.clone()));
                variation.assignments.push((p.path.clone(), text));
                if let Err(e) = file.set_node(&p.path, value.clone()) {
                    errors.push(e);
                }
            }
            match file.resolve() {
                Ok(settings) => {
                    variation.settings = settings;
                    out.push(variation);
                }
                Err(found) => {
                    for e in found.0 {
                        if base_errors.contains(&e) {
                            if !errors.contains(&e) {
                                errors.push(e);
                            }
                            continue;
                        }
                        let line = if e.line > 0 {
                            e.line
                        } else {
                            value_line(&sweep, &combo, &e.path)
                        };
                        errors.push(ConfigError {
                            line,
                            text: format!("{}: {}", variation.describe(), e.text),
                            ..e
                        });
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(Some(out))
        } else {
            Err(ConfigErrors::sorted(errors))
        }
    }
}

/// The line of the swept value an error at `path` comes from (the parameter whose path
/// contains it, or is contained in it), else the first parameter's line.
fn value_line(sweep: &Sweep, combo: &[usize], path: &str) -> usize {
    let key = |p: &str| -> Vec<String> {
        path_segments(p)
            .iter()
            .map(|s| match s {
                Segment::Key(k) => match k.parse::<usize>() {
                    Ok(i) => i.to_string(),
                    Err(_) => normalize(k),
                },
                Segment::Index(i) => i.to_string(),
            })
            .collect()
    };
    let error_key = key(path);
    sweep
        .parameters
        .iter()
        .zip(combo)
        .find(|(p, _)| {
            let k = key(&p.path);
            error_key.starts_with(&k) || k.starts_with(&error_key)
        })
        .map(|(p, &v)| p.values[v].line.max(p.line))
        .or_else(|| sweep.parameters.first().map(|p| p.line))
        .unwrap_or(0)
}
