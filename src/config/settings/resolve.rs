//! [`Settings`] → a validated [`Plan`]: every default applied, every value checked, errors
//! naming the flag or file key that gave the value.

use std::path::PathBuf;
use std::time::Duration;

use super::{ExtraInput, Given, Opt, Origin, SettingError, Settings};
use crate::config::{
    check_client_threads, default_client_threads, EndpointType, Phase, PhaseKind, Plan, ServerUrl,
    TokenizerSpec, DEFAULT_CONFIDENCE_LEVEL, DEFAULT_COOLDOWN_SECS, DEFAULT_ENTRIES,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_PROFILE_RUNS, DEFAULT_RANDOM_SEED, DEFAULT_TIMEOUT_SECS,
    DEFAULT_TOLERATED_ERROR_PCT, DEFAULT_URL,
};

/// What settings resolve to: the plan, how often to run it, and one-line warnings about
/// values that are given but have no effect.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The validated plan.
    pub plan: Plan,
    /// Runs of the plan and their statistics.
    pub repeat: RepeatPlan,
    /// `warning:` lines to print before the run, each naming both options.
    pub warnings: Vec<String>,
}

/// `--num-profile-runs` and friends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatPlan {
    /// Runs of the same plan (1: no repetition).
    pub runs: u32,
    /// Confidence level of the across-runs intervals.
    pub confidence: f64,
    /// Pause between runs.
    pub cooldown: Duration,
}

impl Settings {
    /// Applies the defaults and every rule; `cli_command` is recorded in the plan.
    pub fn resolve(self, cli_command: String) -> Result<Resolved, SettingError> {
        let models = self.model_plan()?;
        let model = models.names[0].clone();
        let endpoint = value(&self.endpoint).unwrap_or(EndpointType::Chat);
        // A template or raw request goes to the URL's path as given (AIPerf's
        // `--url http://host/custom-endpoint`); the other types add their own path.
        let parse = match endpoint {
            EndpointType::Template | EndpointType::Raw => ServerUrl::parse_as_given,
            _ => ServerUrl::parse,
        };
        let urls = match &self.urls {
            Some(Given { value, from }) => value
                .iter()
                .map(|u| parse(u).map_err(|m| SettingError::new(from, m)))
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![parse(DEFAULT_URL).map_err(|m| SettingError::flag("--url", m))?],
        };
        // With sessions or an input file and no stop rule given, the dataset is sent once
        // (AIPerf's --conversation-num and file datasets), not the default request count.
        let dataset_sized = self.request_count.is_none()
            && self.benchmark_duration.is_none()
            && self.phases.is_none();
        let phases = self.resolve_phases()?;
        let lengths = self.lengths()?;
        let entries = match &self.entries {
            Some(Given { value: 0, from }) => {
                return Err(SettingError::new(from, "must be at least 1"))
            }
            Some(g) => g.value,
            None => DEFAULT_ENTRIES,
        };
        let mut extra_inputs = extra_inputs(&self.extra_inputs)?;
        let raw_response_field = if endpoint == EndpointType::Raw {
            crate::config::template_plan::take_raw_response_field(&mut extra_inputs)
        } else {
            Ok(None)
        };
        let template = raw_response_field
            .clone()
            .and_then(|_| {
                crate::config::template_plan::take_template(
                    endpoint == EndpointType::Template,
                    &mut extra_inputs,
                )
            })
            .map_err(|m| {
                // The extra input that gave the template (or the field), else the flag.
                let from = self
                    .extra_inputs
                    .iter()
                    .rev()
                    .find(|g| {
                        super::conflicts::extra_input_keys(g).iter().any(|k| {
                            k == crate::config::template_plan::PAYLOAD_TEMPLATE_KEY
                                || k == crate::config::template_plan::RESPONSE_FIELD_KEY
                        })
                    })
                    .map_or(Origin::Flag("--extra-inputs"), |g| g.from.clone());
                SettingError::new(&from, m)
            })?;
        if let (EndpointType::Raw, Some((key, _))) = (endpoint, extra_inputs.first()) {
            let from = self
                .extra_inputs
                .iter()
                .find(|g| {
                    super::conflicts::extra_input_keys(g)
                        .iter()
                        .any(|k| k == key)
                })
                .map_or(Origin::Flag("--extra-inputs"), |g| g.from.clone());
            return Err(SettingError::new(
                &from,
                format!("raw sends each body as it is, so '{key}' would be ignored; put it in the payload file (only response_field is read with raw)"),
            ));
        }
        let headers = headers(&self.headers)?;
        let api_key = self.api_key.clone().map(|k| k.value);
        let authorization_given = api_key.is_some()
            || headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        if authorization_given && urls.iter().any(|u| u.basic_auth.is_some()) {
            return Err(SettingError::new(
                &origin(&self.urls, "--url"),
                "user:password@ in the URL is sent as Authorization: Basic, which conflicts with --api-key or an Authorization header; give one",
            ));
        }
        let tokenizer = match &self.tokenizer {
            None => TokenizerSpec::Builtin,
            Some(t) => tokenizer_spec(t),
        };
        let request_timeout = match &self.request_timeout_s {
            Some(g) => positive_secs(&g.from, g.value)?,
            None => Duration::from_secs_f64(DEFAULT_TIMEOUT_SECS),
        };
        let max_response_bytes = match &self.max_response_bytes {
            Some(Given { value: 0, from }) => {
                return Err(SettingError::new(
                    from,
                    "must be at least 1 (bytes of response body per request)",
                ))
            }
            Some(g) => g.value,
            None => DEFAULT_MAX_RESPONSE_BYTES,
        };
        let tls = self.tls()?;
        let video_job = self.video_job(endpoint)?;
        let tolerated = value(&self.tolerated_error_rate).unwrap_or(DEFAULT_TOLERATED_ERROR_PCT);
        if !(0.0..=100.0).contains(&tolerated) {
            return Err(SettingError::new(
                &origin(&self.tolerated_error_rate, "--tolerated-error-rate"),
                "must be a percentage between 0 and 100",
            ));
        }
        let client_threads = match &self.client_threads {
            Some(g) => check_client_threads(g.value).map_err(|e| SettingError::new(&g.from, e))?,
            None => default_client_threads(),
        };
        let artifact_dir = self
            .artifact_dir
            .clone()
            .unwrap_or_else(|| default_artifact_dir(&model, endpoint, &phases));
        let media = self.media.resolve(endpoint)?;
        let repeat = self.repeat()?;
        let prompt = self.prefix.prompt_plan()?;
        let synthetic = self.sessions.synthetic(lengths, entries, prompt)?;
        let user_centric = self.connections.user_centric(
            &self.concurrency,
            &self.request_rate,
            self.schedule.fixed_schedule,
            &phases,
        )?;
        let plan = Plan {
            model,
            telemetry: crate::config::TelemetryPlan {
                tls: tls.clone(),
                ..self.telemetry.resolve(&metrics_hosts(endpoint, &urls))?
            },
            urls,
            endpoint,
            streaming: value(&self.streaming).unwrap_or(false),
            phases,
            synthetic,
            tokenizer,
            corpus: self.corpus.clone(),
            random_seed: value(&self.random_seed).unwrap_or(DEFAULT_RANDOM_SEED),
            extra_inputs,
            template,
            raw_response_field: raw_response_field.unwrap_or_default(),
            send_dataset_once: dataset_sized,
            calibrate: self.calibrate,
            fixed_schedule: self.schedule.fixed_schedule()?,
            session_routing: self.schedule.session_routing(),
            connection: self.connections.plan()?,
            user_centric,
            headers,
            api_key,
            request_timeout,
            max_response_bytes,
            tls,
            video_job,
            artifact_dir,
            tolerated_error_rate_pct: tolerated,
            cli_command,
            client_threads,
            raw_payloads: self.raw_payloads(endpoint)?,
            input: self.input_unless_raw(endpoint, entries)?.map(|mut input| {
                input.window_ms = self.schedule.fixed_schedule_window();
                input
            }),
            output_length: self.prefix.output_length()?,
            public_dataset: self.public.resolve()?,
            vision_dataset: self.public.resolve_vision(endpoint)?,
            media,
            video: self.video.video_plan()?,
            models,
            custom_endpoint: self.custom_endpoint()?,
            wait_for_model: self.wait_for_model()?,
            rankings: self
                .rankings
                .resolve(endpoint, self.endpoint.as_ref().map(|g| &g.from))?,
            // Set by the CLI (`--auto-plot`); no file key.
            auto_plot: false,
            // Set by the CLI (`--export-inputs`); no file key.
            export_inputs: Default::default(),
            results: self.results.resolve()?,
            dataset_sampling: self.public.dataset_sampling_strategy,
            // Set by the CLI (`--worker-count`, `--start-at`); no file key.
            scale_out: Default::default(),
        };
        let mut warnings = Vec::new();
        self.check_conflicts(&plan, &mut warnings)?;
        Ok(Resolved {
            plan,
            repeat,
            warnings,
        })
    }

    /// `--num-profile-runs`, `--confidence-level`, `--profile-run-cooldown-seconds`.
    pub fn repeat(&self) -> Result<RepeatPlan, SettingError> {
        let runs = value(&self.num_profile_runs).unwrap_or(DEFAULT_PROFILE_RUNS);
        if runs == 0 {
            return Err(SettingError::new(
                &origin(&self.num_profile_runs, "--num-profile-runs"),
                "must be at least 1",
            ));
        }
        let confidence = value(&self.confidence_level).unwrap_or(DEFAULT_CONFIDENCE_LEVEL);
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(SettingError::new(
                &origin(&self.confidence_level, "--confidence-level"),
                format!("must be between 0 and 1 (e.g. 0.95), got {confidence}"),
            ));
        }
        let cooldown = value(&self.cooldown_s).unwrap_or(DEFAULT_COOLDOWN_SECS);
        if !(cooldown.is_finite() && cooldown >= 0.0) {
            return Err(SettingError::new(
                &origin(&self.cooldown_s, "--profile-run-cooldown-seconds"),
                format!("must be zero or more seconds, got {cooldown}"),
            ));
        }
        Ok(RepeatPlan {
            runs,
            confidence,
            cooldown: Duration::try_from_secs_f64(cooldown).map_err(|_| {
                SettingError::new(
                    &origin(&self.cooldown_s, "--profile-run-cooldown-seconds"),
                    format!("must be zero or more seconds, got {cooldown}"),
                )
            })?,
        })
    }
}

/// The value of an optional setting.
pub(super) fn value<T: Copy>(given: &Opt<T>) -> Option<T> {
    given.as_ref().map(|g| g.value)
}

/// Where an optional setting came from, or `flag` when nothing set it.
pub(super) fn origin<T>(given: &Opt<T>, flag: &'static str) -> Origin {
    given
        .as_ref()
        .map_or(Origin::Flag(flag), |g| g.from.clone())
}

impl Settings {
    /// `--endpoint-type raw`'s payload file: the `--input-file` (required).
    fn raw_payloads(&self, endpoint: EndpointType) -> Result<Option<PathBuf>, SettingError> {
        if endpoint != EndpointType::Raw {
            return Ok(None);
        }
        match self.input.input_file.as_ref().map(|g| &g.value) {
            Some(path) if path.is_file() || path.is_dir() => Ok(Some(path.clone())),
            Some(path) => Err(SettingError::new(
                &self.input.input_origin(),
                format!("{} is neither a file nor a folder (raw payloads are a file with a JSON body per line, or a folder of such .jsonl files, one session each)", path.display()),
            )),
            None => Err(SettingError::flag(
                "--input-file",
                "--endpoint-type raw sends each line of a file as a request body; pass --input-file payloads.jsonl",
            )),
        }
    }

    /// The input file plan, except with `raw`, whose file is read as payloads.
    fn input_unless_raw(
        &self,
        endpoint: EndpointType,
        entries: u32,
    ) -> Result<Option<crate::config::InputFilePlan>, SettingError> {
        if endpoint == EndpointType::Raw {
            return Ok(None);
        }
        self.input.resolve(entries, endpoint)
    }
}

/// The servers whose `/metrics` are scraped: a template or raw URL's path is the request's
/// own, so its metrics are looked for at the server's root.
fn metrics_hosts(endpoint: EndpointType, urls: &[ServerUrl]) -> Vec<ServerUrl> {
    let mut hosts = urls.to_vec();
    if matches!(endpoint, EndpointType::Template | EndpointType::Raw) {
        hosts.iter_mut().for_each(|u| u.base_path.clear());
    }
    hosts
}

/// Extra inputs in order, a later key replacing an earlier one.
fn extra_inputs(
    given: &[Given<ExtraInput>],
) -> Result<Vec<(String, serde_json::Value)>, SettingError> {
    let mut out: Vec<(String, serde_json::Value)> = Vec::new();
    for g in given {
        let fields = match &g.value {
            ExtraInput::Field(key, value) => vec![(key.clone(), value.clone())],
            ExtraInput::Text(raw) => {
                parse_extra_input(raw).map_err(|m| SettingError::new(&g.from, m))?
            }
        };
        for (key, value) in fields {
            out.retain(|(k, _)| *k != key);
            out.push((key, value));
        }
    }
    Ok(out)
}

/// Headers in order, a later name (any case) replacing an earlier one.
fn headers(given: &[Given<String>]) -> Result<Vec<(String, String)>, SettingError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for g in given {
        let (name, value) = parse_header(&g.value).map_err(|m| SettingError::new(&g.from, m))?;
        out.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        out.push((name, value));
    }
    Ok(out)
}

/// `Name: value` (or `Name:value`); a bad one is described without its value, which may be a
/// secret.
pub fn parse_header(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| format!("'{}' is not NAME:VALUE", redact(raw)))?;
    let name = name.trim();
    if name.is_empty() {
        return Err("the header name is empty".to_string());
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Shows only the start of something that may hold a secret.
fn redact(raw: &str) -> String {
    let visible: String = raw.chars().take(4).collect();
    format!("{visible}…")
}

/// `key:value` (the value parsed as JSON when it is JSON) or a JSON object.
pub fn parse_extra_input(raw: &str) -> Result<Vec<(String, serde_json::Value)>, String> {
    let trimmed = raw.trim();
    if trimmed.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|e| format!("'{trimmed}' is not a valid JSON object: {e}"))?;
        return match value {
            serde_json::Value::Object(map) => Ok(map.into_iter().collect()),
            _ => Err("expected a JSON object".to_string()),
        };
    }
    let (key, value) = trimmed
        .split_once(':')
        .ok_or_else(|| format!("'{trimmed}' is not KEY:VALUE"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("'{trimmed}' has an empty key"));
    }
    let value = value.trim();
    let parsed = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::from(value));
    Ok(vec![(key.to_string(), parsed)])
}

/// A tokenizer path, or a Hugging Face hub id (`org/name` that does not exist locally).
pub fn tokenizer_spec(raw: &str) -> TokenizerSpec {
    let path = PathBuf::from(raw);
    let looks_like_hub_id = !path.exists()
        && !raw.starts_with('.')
        && !raw.starts_with('/')
        && !raw.ends_with(".json")
        && raw.split('/').count() <= 2;
    if looks_like_hub_id {
        TokenizerSpec::Hub(raw.to_string())
    } else {
        TokenizerSpec::Path(path)
    }
}

fn default_artifact_dir(model: &str, endpoint: EndpointType, phases: &[Phase]) -> PathBuf {
    let arrival = phases
        .iter()
        .find(|p| p.kind == PhaseKind::Profiling)
        .map(|p| p.arrival);
    let load = match arrival.map(|a| (a.request_rate, a.concurrency)) {
        Some((Some(r), _)) => format!("request_rate{r}"),
        Some((None, c)) => format!("concurrency{}", c.unwrap_or(1)),
        None => "concurrency1".to_string(),
    };
    let model = model.replace(['/', '\\', ' '], "_");
    PathBuf::from("artifacts").join(format!("{model}-openai-{}-{load}", endpoint_name(endpoint)))
}

fn endpoint_name(endpoint: EndpointType) -> &'static str {
    endpoint.name()
}

pub(super) fn positive_secs(from: &Origin, secs: f64) -> Result<Duration, SettingError> {
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if secs > 0.0 => Ok(d),
        _ => Err(SettingError::new(
            from,
            format!("must be a positive number of seconds, got {secs}"),
        )),
    }
}

pub(super) fn non_negative_secs(from: &Origin, secs: f64) -> Result<Duration, SettingError> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        SettingError::new(
            from,
            format!("must be zero or a positive number of seconds, got {secs}"),
        )
    })
}
