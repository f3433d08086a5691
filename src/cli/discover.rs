//! `--model` left out (and no `benchmark.model` in `--config`): the server's first
//! `GET /v1/models` entry, asked once before anything is resolved, and said on stderr. The
//! plan itself stays pure: config resolves it with the name found here as if it were given.

use super::profile::ProfileArgs;
use crate::config::settings::{Given, Settings};
use crate::config::ConfigFile;

/// Placeholder model of the probe plan that only carries the servers, auth and headers.
const PROBE_MODEL: &str = "-";

/// The model to use when none is given, or `None` when one is (or when the config file
/// cannot be read: the normal load reports that, with file and line).
pub(super) fn model_if_missing(args: &ProfileArgs) -> anyhow::Result<Option<String>> {
    if !args.model.is_empty() {
        return Ok(None);
    }
    let file_settings = match &args.config {
        None => None,
        Some(path) => {
            let Ok(file) = ConfigFile::read(path) else {
                return Ok(None);
            };
            let Ok(settings) = file.resolve() else {
                return Ok(None);
            };
            if settings.model.is_some() {
                return Ok(None);
            }
            // A sweep may set the model per variation.
            match file.variations() {
                Ok(Some(found)) if found.iter().any(|v| v.settings.model.is_some()) => {
                    return Ok(None)
                }
                Err(_) => return Ok(None),
                _ => {}
            }
            Some(settings)
        }
    };
    // The probe plan: the servers, auth and headers as the run will use them. Comma lists
    // (sweeps) do not matter here.
    let flags = super::comma_sweep::first_of_each(args);
    let mut settings = flags.settings()?.over(
        file_settings
            .as_ref()
            .map(Settings::from_file)
            .unwrap_or_default(),
    );
    settings.model = Some(Given::flag("--model", vec![PROBE_MODEL.to_string()]));
    let plan = settings.resolve(String::new())?.plan;
    let model = crate::run::ready::discover_model(&plan)?;
    let url = crate::run::ready::shown(&plan.urls[0]);
    eprintln!("model: {model} (from {url}/v1/models)");
    Ok(Some(model))
}
