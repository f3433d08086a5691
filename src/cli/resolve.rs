//! The flags as [`Settings`] (each value's origin its flag), laid over a config file's, then
//! resolved by config into a `Plan`: a flag that was given wins, else the file's value, else
//! the default.

use super::flag_error::{flag_err, FlagError};
use super::profile::{EndpointArg, PatternArg, ProfileArgs};
use crate::config::settings::{flag, ExtraInput, Given, PatternChoice, Resolved, Settings};
use crate::config::{EndpointType, FileSettings, Plan};

impl ProfileArgs {
    /// The flags given, as settings. Only a comma list (a sweep, split before here) is
    /// refused; every other rule is config's.
    pub fn settings(&self) -> Result<Settings, FlagError> {
        // Every comma list is split into variations before here (`comma_sweep`).
        if let Some(flag) = super::comma_sweep::first_list(self) {
            return Err(flag_err(
                flag,
                "a comma list is a sweep; `gauntlet profile` runs one variation per value",
            ));
        }
        let refused = match self.endpoint_type {
            Some(EndpointArg::SolidoRag) => Some("solido_rag"),
            _ => None,
        };
        if let Some(reason) = refused.and_then(crate::config::refused_type_reason) {
            return Err(flag_err("--endpoint-type", reason));
        }
        let mut settings = Settings {
            model: (!self.model.is_empty()).then(|| Given::flag("--model", self.model.clone())),
            urls: (!self.urls.is_empty()).then(|| Given::flag("--url", self.urls.clone())),
            endpoint: flag(
                "--endpoint-type",
                self.endpoint_type.map(|e| match e {
                    EndpointArg::Chat => EndpointType::Chat,
                    EndpointArg::Completions => EndpointType::Completions,
                    EndpointArg::Embeddings => EndpointType::Embeddings,
                    EndpointArg::NimRankings => EndpointType::NimRankings,
                    EndpointArg::CohereRankings => EndpointType::CohereRankings,
                    EndpointArg::HfTeiRankings => EndpointType::HfTeiRankings,
                    EndpointArg::NimEmbeddings => EndpointType::NimEmbeddings,
                    EndpointArg::ChatEmbeddings => EndpointType::ChatEmbeddings,
                    EndpointArg::ImageGeneration => EndpointType::ImageGeneration,
                    EndpointArg::Responses => EndpointType::Responses,
                    EndpointArg::Messages => EndpointType::Messages,
                    EndpointArg::HuggingfaceGenerate => EndpointType::HuggingfaceGenerate,
                    EndpointArg::ImageRetrieval => EndpointType::ImageRetrieval,
                    // Refused above.
                    EndpointArg::SolidoRag => EndpointType::Chat,
                    EndpointArg::VideoGeneration => EndpointType::VideoGeneration,
                    EndpointArg::Template => EndpointType::Template,
                    EndpointArg::Raw => EndpointType::Raw,
                    EndpointArg::ImageEdit => EndpointType::ImageEdit,
                }),
            ),
            streaming: flag("--streaming", self.streaming.then_some(true)),
            api_key: flag("--api-key", self.api_key.clone()),
            headers: self
                .headers
                .iter()
                .map(|h| Given::flag("--header", h.clone()))
                .collect(),
            extra_inputs: self
                .extra_inputs
                .iter()
                .map(|e| Given::flag("--extra-inputs", ExtraInput::Text(e.clone())))
                .collect(),
            request_timeout_s: flag("--request-timeout-seconds", self.request_timeout_seconds),
            max_response_bytes: flag("--max-response-bytes", self.max_response_bytes),
            ca_cert: flag("--ca-cert", self.ca_cert.clone()),
            insecure: flag("--insecure", self.insecure.then_some(true)),
            video_poll_interval_s: flag("--video-poll-interval", self.video_poll_interval),
            download_video_content: flag(
                "--download-video-content",
                self.download_video_content.then_some(true),
            ),
            tokenizer: self.tokenizer.clone(),
            corpus: self.corpus.clone(),
            artifact_dir: self.output_artifact_dir.clone(),
            tolerated_error_rate: flag("--tolerated-error-rate", self.tolerated_error_rate),
            client_threads: flag("--client-threads", self.client_threads),
            calibrate: self.calibrate.calibrate,
            phases: None,
            concurrency: flag("--concurrency", single("--concurrency", &self.concurrency)?),
            request_rate: flag(
                "--request-rate",
                single("--request-rate", &self.request_rate)?,
            ),
            arrival_pattern: flag(
                "--arrival-pattern",
                self.arrival_pattern.map(|p| match p {
                    PatternArg::Poisson => PatternChoice::Poisson,
                    PatternArg::Constant => PatternChoice::Constant,
                    PatternArg::Gamma => PatternChoice::Gamma,
                }),
            ),
            arrival_smoothness: flag("--arrival-smoothness", self.arrival_smoothness),
            request_count: flag("--request-count", self.request_count.first().copied()),
            benchmark_duration: flag(
                "--benchmark-duration",
                self.benchmark_duration.first().copied(),
            ),
            grace_period: flag("--benchmark-grace-period", self.benchmark_grace_period),
            warmup_request_count: flag("--warmup-request-count", self.warmup_request_count),
            cancellation_rate: flag(
                "--request-cancellation-rate",
                self.request_cancellation_rate,
            ),
            cancellation_delay: flag(
                "--request-cancellation-delay",
                self.request_cancellation_delay,
            ),
            failed_request_threshold: flag(
                "--failed-request-threshold",
                self.failed_request_threshold,
            ),
            num_profile_runs: flag("--num-profile-runs", self.num_profile_runs),
            confidence_level: flag("--confidence-level", self.confidence_level),
            cooldown_s: flag(
                "--profile-run-cooldown-seconds",
                self.profile_run_cooldown_seconds,
            ),
            isl_mean: flag(
                "--synthetic-input-tokens-mean",
                self.synthetic_input_tokens_mean.first().copied(),
            ),
            isl_stddev: flag(
                "--synthetic-input-tokens-stddev",
                self.synthetic_input_tokens_stddev.first().copied(),
            ),
            osl_mean: flag(
                "--output-tokens-mean",
                self.output_tokens_mean.first().copied(),
            ),
            osl_stddev: flag(
                "--output-tokens-stddev",
                self.output_tokens_stddev.first().copied(),
            ),
            seq_dist_text: flag("--seq-dist", self.seq_dist.clone()),
            isl: None,
            osl: None,
            seq_dist: None,
            entries: flag("--num-dataset-entries", self.num_dataset_entries),
            random_seed: flag("--random-seed", self.random_seed),
            sessions: self.sessions.settings(),
            shape: self.shape.settings(),
            media: self.media.settings(),
            video: self.video.settings(),
            prefix: self.prefix.settings(),
            rankings: self.rankings.settings(),
            public: self.public.settings(),
            telemetry: self.telemetry.settings(),
            schedule: self.schedule.settings(),
            connections: self.connections.settings(),
            input: self.files.settings(),
            results: self.results.settings(),
            ..Settings::default()
        };
        self.models.fill(&mut settings);
        Ok(settings)
    }

    /// The flags over `file` (what a config file set, if any), resolved by config: the plan
    /// and how often to run it. Warnings are printed to stderr, one line each.
    pub fn resolve_all(
        &self,
        file: Option<&FileSettings>,
        cli_command: String,
    ) -> Result<Resolved, FlagError> {
        if file.is_some_and(|f| f.sweep.is_some()) {
            // Resolving the base of a sweep would run a plan no variation is.
            return Err(flag_err(
                "--config",
                "the file has sweep:, one plan per variation; `gauntlet profile` and `gauntlet config validate` expand it",
            ));
        }
        let file = file.map(Settings::from_file).unwrap_or_default();
        let resolved = self.settings()?.over(file).resolve(cli_command)?;
        crate::metrics::goodput::Goodput::new(&resolved.plan.results.goodput)
            .map_err(|e| flag_err("--goodput", e.to_string()))?;
        for warning in &resolved.warnings {
            warn_once(warning);
        }
        Ok(resolved)
    }

    /// [`ProfileArgs::resolve_all`]'s plan.
    pub fn resolve(
        self,
        file: Option<FileSettings>,
        cli_command: String,
    ) -> Result<Plan, FlagError> {
        let auto_plot = self.auto_plot;
        let export_inputs = match self.export_inputs {
            None | Some(super::profile::ExportInputsArg::Full) => crate::config::ExportInputs::Full,
            Some(super::profile::ExportInputsArg::Sample) => crate::config::ExportInputs::Sample,
            Some(super::profile::ExportInputsArg::None) => crate::config::ExportInputs::None,
        };
        let env_index = std::env::var(super::scale_out_args::JOB_COMPLETION_INDEX).ok();
        let scale_out = self.scale_out.resolve(env_index)?;
        let mut plan = self.resolve_all(file.as_ref(), cli_command)?.plan;
        plan.scale_out = scale_out;
        plan.auto_plot = auto_plot;
        plan.export_inputs = export_inputs;
        Ok(plan)
    }
}

/// Prints `warning: …` unless this process said it already: a sweep resolves one plan per
/// variation, and the same flag's warning once is enough.
fn warn_once(warning: &str) {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !said.iter().any(|w| w == warning) {
        eprintln!("warning: {warning}");
        said.push(warning.to_owned());
    }
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
