//! Flags + config-file settings + defaults → `Plan`, in one place: a flag that was given
//! wins, else the file's value, else the default.

use std::path::PathBuf;
use std::time::Duration;

use super::flag_error::{flag_err, FlagError};
use super::profile::{EndpointArg, PatternArg, ProfileArgs};
use super::values::{parse_extra_input, parse_header, parse_url, tokenizer_spec};
use crate::config::{
    Arrival, ArrivalPattern, CancellationField, EndpointType, FailureThreshold, FileSettings,
    LengthPlan, Phase, PhaseKind, Plan, RequestCancellation, RequestControls, StopRule,
    TokenizerSpec, DEFAULT_ENTRIES, DEFAULT_GRACE_SECS, DEFAULT_ISL, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RANDOM_SEED, DEFAULT_REQUESTS, DEFAULT_TIMEOUT_SECS, DEFAULT_URL,
};
use crate::dist::{DistSpec, SeqDist, Shape};

impl ProfileArgs {
    /// Resolves the flags over `file` (what a config file set, if any) into a validated
    /// `Plan`. Errors name the flag; file values were validated when the file was resolved.
    pub fn resolve(
        self,
        file: Option<FileSettings>,
        cli_command: String,
    ) -> Result<Plan, FlagError> {
        let file = file.unwrap_or_default();
        if file.sweep.is_some() {
            // Resolving the base of a sweep would run a plan no variation is.
            return Err(flag_err(
                "--config",
                "the file has sweep:, one plan per variation; `gauntlet profile` and `gauntlet config validate` expand it",
            ));
        }
        let model = self.model.clone().or(file.model.clone()).ok_or_else(|| {
            flag_err(
                "--model",
                "required: pass --model NAME, or set benchmark.model in a --config file",
            )
        })?;
        let urls = if self.urls.is_empty() {
            match file.urls.clone() {
                Some(urls) => urls,
                None => vec![parse_url(DEFAULT_URL)?],
            }
        } else {
            self.urls
                .iter()
                .map(|u| parse_url(u))
                .collect::<Result<Vec<_>, _>>()?
        };
        let endpoint = match self.endpoint_type {
            Some(EndpointArg::Chat) => EndpointType::Chat,
            Some(EndpointArg::Completions) => EndpointType::Completions,
            Some(EndpointArg::Embeddings) => EndpointType::Embeddings,
            None => file.endpoint.unwrap_or(EndpointType::Chat),
        };
        // With sessions or an input file and no stop rule given, the dataset is sent once
        // (AIPerf's --conversation-num and file datasets), not the default request count.
        let dataset_sized = self.request_count.is_none()
            && self.benchmark_duration.is_none()
            && file.phases.is_none();
        let phases = self.phases(file.phases.clone())?;
        let lengths = self.lengths(&file)?;
        let entries = self
            .num_dataset_entries
            .or(file.dataset.entries)
            .unwrap_or(DEFAULT_ENTRIES);
        if entries == 0 {
            return Err(flag_err("--num-dataset-entries", "must be at least 1"));
        }
        let mut extra_inputs = file.extra_inputs.clone();
        for raw in &self.extra_inputs {
            for (key, value) in parse_extra_input(raw)? {
                extra_inputs.retain(|(k, _)| *k != key);
                extra_inputs.push((key, value));
            }
        }
        let mut headers = file.headers.clone();
        for raw in &self.headers {
            let (name, value) = parse_header(raw)?;
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }
        let api_key = self.api_key.clone().or(file.api_key.clone());
        let authorization_given = api_key.is_some()
            || headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        if authorization_given && urls.iter().any(|u| u.basic_auth.is_some()) {
            return Err(flag_err(
                "--url",
                "user:password@ in the URL is sent as Authorization: Basic, which conflicts with --api-key or an Authorization header; give one",
            ));
        }
        let tokenizer = match &self.tokenizer {
            None => TokenizerSpec::Builtin,
            Some(t) => tokenizer_spec(t),
        };
        let request_timeout = match (self.request_timeout_seconds, file.request_timeout) {
            (Some(secs), _) => positive_secs("--request-timeout-seconds", secs)?,
            (None, Some(d)) => d,
            (None, None) => Duration::from_secs_f64(DEFAULT_TIMEOUT_SECS),
        };
        let max_response_bytes = match (self.max_response_bytes, file.max_response_bytes) {
            (Some(0), _) => {
                return Err(flag_err(
                    "--max-response-bytes",
                    "must be at least 1 (bytes of response body per request)",
                ))
            }
            (Some(n), _) | (None, Some(n)) => n,
            (None, None) => DEFAULT_MAX_RESPONSE_BYTES,
        };
        if !(0.0..=100.0).contains(&self.tolerated_error_rate) {
            return Err(flag_err(
                "--tolerated-error-rate",
                "must be a percentage between 0 and 100",
            ));
        }
        let client_threads = match self.client_threads {
            Some(n) => crate::config::check_client_threads(n)
                .map_err(|e| flag_err("--client-threads", e))?,
            None => crate::config::default_client_threads(),
        };
        let artifact_dir = self
            .output_artifact_dir
            .clone()
            .unwrap_or_else(|| default_artifact_dir(&model, endpoint, &phases));
        let media = self.media.resolve(&file, endpoint)?;
        Ok(Plan {
            model,
            telemetry: self.telemetry.resolve(&urls)?,
            urls,
            endpoint,
            streaming: self.streaming || file.streaming.unwrap_or(false),
            phases,
            synthetic: self.sessions.synthetic(
                lengths,
                entries,
                &file,
                self.prefix.prompt_plan()?,
            )?,
            tokenizer,
            corpus: self.corpus,
            random_seed: self
                .random_seed
                .or(file.random_seed)
                .unwrap_or(DEFAULT_RANDOM_SEED),
            extra_inputs,
            send_dataset_once: dataset_sized,
            calibrate: self.calibrate.calibrate,
            fixed_schedule: self.schedule.fixed_schedule()?,
            session_routing: self.schedule.session_routing(),
            headers,
            api_key,
            request_timeout,
            max_response_bytes,
            artifact_dir,
            tolerated_error_rate_pct: self.tolerated_error_rate,
            cli_command,
            client_threads,
            input: self.files.resolve(entries)?.map(|mut input| {
                input.window_ms = self.schedule.fixed_schedule_window();
                input
            }),
            output_length: self.prefix.output_length()?,
            public_dataset: self.public.resolve()?,
            media,
            video: self.video.video_plan()?,
        })
    }

    /// `--request-cancellation-rate/-delay` (`Some(None)`: given, cancellation off) and
    /// `--failed-request-threshold`, for the measured phases.
    #[allow(clippy::type_complexity)]
    fn request_controls(
        &self,
    ) -> Result<
        (
            Option<Option<RequestCancellation>>,
            Option<FailureThreshold>,
        ),
        FlagError,
    > {
        let given =
            self.request_cancellation_rate.is_some() || self.request_cancellation_delay.is_some();
        let cancellation = crate::config::request_cancellation(
            self.request_cancellation_rate,
            self.request_cancellation_delay,
        )
        .map_err(|(field, e)| match field {
            CancellationField::Rate => flag_err("--request-cancellation-rate", e),
            CancellationField::Delay => flag_err("--request-cancellation-delay", e),
        })?;
        let threshold = self
            .failed_request_threshold
            .map(FailureThreshold::from_number)
            .transpose()
            .map_err(|e| flag_err("--failed-request-threshold", e))?;
        Ok((given.then_some(cancellation), threshold))
    }

    /// The phases: built from the load flags, or the file's phases with the load flags given
    /// applied to every measured phase (and `--warmup-request-count` replacing its warmups).
    fn phases(&self, file: Option<Vec<Phase>>) -> Result<Vec<Phase>, FlagError> {
        let concurrency = single("--concurrency", &self.concurrency)?;
        let request_rate = single("--request-rate", &self.request_rate)?;
        if concurrency == Some(0) {
            return Err(flag_err("--concurrency", "must be at least 1"));
        }
        if self.schedule.fixed_schedule && request_rate.is_some() {
            return Err(flag_err(
                "--request-rate",
                "cannot be combined with --fixed-schedule, which sends at the trace's timestamps",
            ));
        }
        if let Some(rate) = request_rate {
            crate::config::check_request_rate(rate).map_err(|e| flag_err("--request-rate", e))?;
        }
        if let Some(s) = self.arrival_smoothness {
            if !(s.is_finite() && s > 0.0) {
                return Err(flag_err(
                    "--arrival-smoothness",
                    "must be a positive number",
                ));
            }
        }
        if self.request_count == Some(0) {
            return Err(flag_err("--request-count", "must be at least 1"));
        }
        let duration = self
            .benchmark_duration
            .map(|s| positive_secs("--benchmark-duration", s))
            .transpose()?;
        let grace = self
            .benchmark_grace_period
            .map(|s| non_negative_secs("--benchmark-grace-period", s))
            .transpose()?;
        let (cancellation, failed_request_threshold) = self.request_controls()?;
        let Some(mut phases) = file else {
            let arrival = Arrival {
                concurrency: match (concurrency, request_rate) {
                    // A replayed trace opens as many connections as its timing needs.
                    (None, None) if self.schedule.fixed_schedule => None,
                    (None, None) => Some(1),
                    (c, _) => c,
                },
                request_rate,
                pattern: pattern(self.arrival_pattern, self.arrival_smoothness.unwrap_or(1.0)),
            };
            let profiling = Phase {
                name: "profiling".into(),
                kind: PhaseKind::Profiling,
                arrival,
                stop: stop_rule(self.request_count, duration, grace),
                controls: RequestControls {
                    cancellation: cancellation.flatten(),
                    failed_request_threshold,
                },
            };
            return Ok(with_warmup(vec![profiling], self.warmup_request_count));
        };
        for phase in phases.iter_mut().filter(|p| p.kind == PhaseKind::Profiling) {
            if let Some(c) = cancellation {
                phase.controls.cancellation = c;
            }
            if failed_request_threshold.is_some() {
                phase.controls.failed_request_threshold = failed_request_threshold;
            }
            let arrival = &mut phase.arrival;
            if let Some(c) = concurrency {
                arrival.concurrency = Some(c);
            }
            if let Some(r) = request_rate {
                arrival.request_rate = Some(r);
            }
            let file_smoothness = match arrival.pattern {
                ArrivalPattern::Gamma { smoothness } => Some(smoothness),
                _ => None,
            };
            let smoothness = self.arrival_smoothness.or(file_smoothness).unwrap_or(1.0);
            match self.arrival_pattern {
                Some(p) => arrival.pattern = pattern(Some(p), smoothness),
                None if file_smoothness.is_some() => {
                    arrival.pattern = ArrivalPattern::Gamma { smoothness }
                }
                None => {}
            }
            let file_grace = match phase.stop {
                StopRule::Duration { grace, .. } => Some(grace),
                StopRule::Count { .. } => None,
            };
            phase.stop = match (self.request_count, duration, &phase.stop) {
                (Some(_), _, _) | (None, Some(_), _) => {
                    stop_rule(self.request_count, duration, grace.or(file_grace))
                }
                (None, None, StopRule::Duration { duration, .. }) => StopRule::Duration {
                    duration: *duration,
                    grace: grace.or(file_grace).unwrap_or_default(),
                },
                (None, None, count) => *count,
            };
        }
        if self.warmup_request_count.is_some() {
            phases.retain(|p| p.kind == PhaseKind::Profiling);
        }
        Ok(with_warmup(phases, self.warmup_request_count))
    }

    /// Prompt and output lengths: `--seq-dist`, else the ISL/OSL flags over the file's
    /// distributions, else the file's, else 550 tokens in and the server's choice out.
    fn lengths(&self, file: &FileSettings) -> Result<LengthPlan, FlagError> {
        if let Some(text) = &self.seq_dist {
            let seq_dist = SeqDist::parse(text, "--seq-dist")
                .map_err(|e| flag_err("--seq-dist", e.to_string()))?;
            return Ok(LengthPlan::Paired { seq_dist });
        }
        let isl_flag = flag_length(
            "--synthetic-input-tokens-mean",
            self.synthetic_input_tokens_mean,
            self.synthetic_input_tokens_stddev,
            file.dataset.isl.as_ref(),
        )?;
        let osl_flag = flag_length(
            "--output-tokens-mean",
            self.output_tokens_mean,
            self.output_tokens_stddev,
            file.dataset.osl.as_ref(),
        )?;
        if let (None, None, Some(seq_dist)) = (&isl_flag, &osl_flag, &file.dataset.seq_dist) {
            return Ok(LengthPlan::Paired {
                seq_dist: seq_dist.clone(),
            });
        }
        let isl = match isl_flag.or(file.dataset.isl.clone()) {
            Some(isl) => isl,
            None => length("--synthetic-input-tokens-mean", DEFAULT_ISL, 0.0)?,
        };
        Ok(LengthPlan::Independent {
            isl,
            osl: osl_flag.or(file.dataset.osl.clone()),
        })
    }
}

/// A length from the mean/stddev flags, if either was given: a missing mean comes from the
/// file's fixed or normal distribution, then the default (ISL only; OSL has none).
fn flag_length(
    flag: &'static str,
    mean: Option<f64>,
    stddev: Option<f64>,
    file: Option<&DistSpec>,
) -> Result<Option<DistSpec>, FlagError> {
    if mean.is_none() && stddev.is_none() {
        return Ok(None);
    }
    let file_mean = file.and_then(|d| match d.shape() {
        Shape::Fixed { value } => Some(*value),
        Shape::Normal { mean, .. } => Some(*mean),
        _ => None,
    });
    let default = (flag == "--synthetic-input-tokens-mean").then_some(DEFAULT_ISL);
    match mean.or(file_mean).or(default) {
        Some(mean) => length(flag, mean, stddev.unwrap_or(0.0)).map(Some),
        None => Ok(None),
    }
}

fn pattern(arg: Option<PatternArg>, smoothness: f64) -> ArrivalPattern {
    match arg {
        None | Some(PatternArg::Poisson) => ArrivalPattern::Poisson,
        Some(PatternArg::Constant) => ArrivalPattern::Constant,
        Some(PatternArg::Gamma) => ArrivalPattern::Gamma { smoothness },
    }
}

fn stop_rule(count: Option<u64>, duration: Option<Duration>, grace: Option<Duration>) -> StopRule {
    match (count, duration) {
        (Some(requests), _) => StopRule::Count { requests },
        (None, Some(duration)) => StopRule::Duration {
            duration,
            grace: grace.unwrap_or(Duration::from_secs_f64(DEFAULT_GRACE_SECS)),
        },
        (None, None) => StopRule::Count {
            requests: DEFAULT_REQUESTS,
        },
    }
}

/// Puts a warmup phase of `count` requests first, with the first measured phase's arrival.
fn with_warmup(mut phases: Vec<Phase>, count: Option<u64>) -> Vec<Phase> {
    let Some(requests) = count.filter(|n| *n > 0) else {
        return phases;
    };
    let Some(arrival) = phases
        .iter()
        .find(|p| p.kind == PhaseKind::Profiling)
        .map(|p| p.arrival)
    else {
        return phases;
    };
    phases.insert(
        0,
        Phase {
            name: "warmup".into(),
            kind: PhaseKind::Warmup,
            arrival,
            stop: StopRule::Count { requests },
            controls: Default::default(),
        },
    );
    phases
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
    match endpoint {
        EndpointType::Chat => "chat",
        EndpointType::Completions => "completions",
        EndpointType::Embeddings => "embeddings",
    }
}

/// A normal length distribution (AIPerf's mean/stddev flags), at least 1 token.
fn length(flag: &'static str, mean: f64, stddev: f64) -> Result<DistSpec, FlagError> {
    if !(mean.is_finite() && mean >= 1.0) {
        return Err(flag_err(flag, format!("must be at least 1, got {mean}")));
    }
    if !(stddev.is_finite() && stddev >= 0.0) {
        return Err(flag_err(
            flag,
            format!("the stddev must be finite and ≥ 0, got {stddev}"),
        ));
    }
    let shape = if stddev == 0.0 {
        Shape::Fixed { value: mean }
    } else {
        Shape::Normal { mean, stddev }
    };
    DistSpec::new(shape, None, None, flag).map_err(|e| flag_err(flag, e.to_string()))
}

fn positive_secs(flag: &'static str, secs: f64) -> Result<Duration, FlagError> {
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if secs > 0.0 => Ok(d),
        _ => Err(flag_err(
            flag,
            format!("must be a positive number of seconds, got {secs}"),
        )),
    }
}

fn non_negative_secs(flag: &'static str, secs: f64) -> Result<Duration, FlagError> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        flag_err(
            flag,
            format!("must be zero or a positive number of seconds, got {secs}"),
        )
    })
}

/// The one value of a flag that may hold a comma list; lists are sweeps, split before here.
fn single<T: Copy>(flag: &'static str, values: &[T]) -> Result<Option<T>, FlagError> {
    match values {
        [] => Ok(None),
        [v] => Ok(Some(*v)),
        _ => Err(flag_err(
            flag,
            "a comma list is a sweep; `gauntlet profile` runs one variation per value",
        )),
    }
}
