//! Settings that contradict each other or have no effect (issue #18, finding 10), on both
//! paths alike: refused when the run would send something other than what was asked, warned
//! about when a value is only ignored. Each message names both options.

use super::{Given, Origin, SettingError, Settings};
use crate::config::{ArrivalPattern, EndpointType, Plan};

/// Headers gauntlet writes itself for every request; one given would be sent twice or
/// contradict the body.
const OWN_HEADERS: &[&str] = &["content-length", "host", "transfer-encoding"];

impl Settings {
    /// Checks the combinations the resolved `plan` came from; pushes a line per ignored value.
    pub(super) fn check_conflicts(
        &self,
        plan: &Plan,
        warnings: &mut Vec<String>,
    ) -> Result<(), SettingError> {
        self.check_headers(plan.endpoint)?;
        self.check_extra_inputs(plan.endpoint)?;
        self.check_lengths()?;
        self.check_streaming(plan.endpoint)?;
        check_video_place(plan)?;
        self.check_rankings_inputs(plan)?;
        if plan.input.is_some() && plan.public_dataset.is_some() {
            // The flags exclude each other in clap; a file's dataset path beside the flag not.
            return Err(SettingError::new(
                &self.input.input_origin(),
                "cannot be combined with --public-dataset: both say where the prompts come from",
            ));
        }
        self.warn_ignored(plan, warnings);
        super::public::check_sampling(plan, warnings)?;
        Ok(())
    }

    /// `--api-key` beside an Authorization header; headers gauntlet writes itself.
    fn check_headers(&self, endpoint: EndpointType) -> Result<(), SettingError> {
        // The Messages API takes the key as x-api-key (engine::client::Target).
        let (key_header, sent_as) = match endpoint {
            EndpointType::Messages => ("x-api-key", "x-api-key"),
            _ => ("authorization", "Authorization: Bearer"),
        };
        for given in &self.headers {
            let name = header_name(&given.value);
            if OWN_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
                return Err(SettingError::new(
                    &given.from,
                    format!("{name} is written by gauntlet for every request; drop this header"),
                ));
            }
            if let Some(key) = self
                .api_key
                .as_ref()
                .filter(|_| name.eq_ignore_ascii_case(key_header))
            {
                return Err(SettingError::new(
                    &key.from,
                    format!(
                        "is sent as {sent_as} and conflicts with the {name} header given by {}; give one",
                        given.from.described()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Extra inputs that would replace what gauntlet builds: the prompt field of the endpoint,
    /// or `stream` (which `--streaming` decides).
    fn check_extra_inputs(&self, endpoint: EndpointType) -> Result<(), SettingError> {
        let prompt_field = endpoint.prompt_field();
        for given in &self.extra_inputs {
            for key in extra_input_keys(given) {
                if key == prompt_field {
                    return Err(SettingError::new(
                        &given.from,
                        format!("'{key}' would replace the {key} gauntlet builds from the dataset; give the prompts as a dataset (--input-file) instead"),
                    ));
                }
                // `stream_options` stays open: include_usage: false is a documented probe
                // (docs/real-servers.md).
                if key == "stream" {
                    let streaming = self
                        .streaming
                        .as_ref()
                        .map_or("--streaming".to_string(), |s| s.from.described());
                    return Err(SettingError::new(
                        &given.from,
                        format!("'{key}' conflicts with {streaming}, which decides streaming; use --streaming (or benchmark.endpoint.streaming) instead"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `--seq-dist` with the ISL/OSL flags: one would silently replace the others.
    fn check_lengths(&self) -> Result<(), SettingError> {
        let Some(seq) = &self.seq_dist_text else {
            return Ok(());
        };
        let length_flag = [
            self.isl_mean.as_ref().map(|g| &g.from),
            self.isl_stddev.as_ref().map(|g| &g.from),
            self.osl_mean.as_ref().map(|g| &g.from),
            self.osl_stddev.as_ref().map(|g| &g.from),
        ]
        .into_iter()
        .flatten()
        .next();
        match length_flag {
            Some(other) => Err(SettingError::new(
                &seq.from,
                format!(
                    "pairs ISL with OSL and replaces {}; give one or the other",
                    other.described()
                ),
            )),
            None => Ok(()),
        }
    }

    /// Values given that the plan does not use.
    fn warn_ignored(&self, plan: &Plan, warnings: &mut Vec<String>) {
        if plan.input.is_some() || plan.public_dataset.is_some() || plan.vision_dataset.is_some() {
            let input_from = self.input.input_origin();
            let source = if plan.input.is_some() {
                input_from.name()
            } else {
                "--public-dataset"
            };
            let lengths: [Option<&Origin>; 5] = [
                self.isl_mean.as_ref().map(|g| &g.from),
                self.isl_stddev.as_ref().map(|g| &g.from),
                self.seq_dist_text.as_ref().map(|g| &g.from),
                self.isl.as_ref().map(|g| &g.from),
                self.seq_dist.as_ref().map(|g| &g.from),
            ];
            for from in lengths.into_iter().flatten() {
                warnings.push(format!(
                    "{} is ignored: {source} sets the prompts and their lengths",
                    from.described()
                ));
            }
        }
        if let Some(s) = &self.arrival_smoothness {
            let gamma = plan
                .phases
                .iter()
                .any(|p| matches!(p.arrival.pattern, ArrivalPattern::Gamma { .. }));
            if !gamma {
                warnings.push(format!(
                    "{} is ignored: it shapes gamma arrivals only; add --arrival-pattern gamma",
                    s.from.described()
                ));
            }
        }
        if let Some(Given { value: true, from }) = &self.streaming {
            if plan.endpoint == EndpointType::Embeddings {
                warnings.push(format!(
                    "{} is ignored: embeddings answer in one piece (--endpoint-type embeddings); TTFT and ITL are not measured",
                    from.described()
                ));
            }
        }
    }
}

impl Settings {
    /// The rankings types build their query and passages from the `--rankings-*` shapes;
    /// prompts from elsewhere (files, public datasets, sessions, `--isl`) would be dropped or
    /// sent without passages, so they are refused, as AIPerf refuses the prompt-token flags.
    fn check_rankings_inputs(&self, plan: &Plan) -> Result<(), SettingError> {
        if !plan.endpoint.is_rankings() {
            return Ok(());
        }
        let name = plan.endpoint.name();
        let refuse = |from: &Origin, what: &str| {
            Err(SettingError::new(
                from,
                format!("{name} builds each query and its passages from --rankings-* ({what} cannot shape them); drop it"),
            ))
        };
        if plan.input.is_some() {
            return refuse(&self.input.input_origin(), "an input file");
        }
        if plan.public_dataset.is_some() {
            return refuse(&Origin::Flag("--public-dataset"), "a public dataset");
        }
        if let Some(g) = &self.isl_mean {
            return refuse(&g.from, "an input length");
        }
        if let Some(g) = &self.isl {
            return refuse(&g.from, "an input length");
        }
        if plan.synthetic.sessions.is_some() {
            let from = self
                .sessions
                .turns
                .as_ref()
                .map(|g| g.from.clone())
                .unwrap_or(Origin::Flag("--conversation-turn-mean"));
            return refuse(&from, "multi-turn sessions");
        }
        Ok(())
    }

    /// `--streaming` with a type whose API answers in one piece (rankings, NIM and chat
    /// embeddings, image generation): refused, since nothing streamed could be measured.
    fn check_streaming(&self, endpoint: EndpointType) -> Result<(), SettingError> {
        match &self.streaming {
            Some(Given { value: true, from }) if !endpoint.can_stream() => Err(SettingError::new(
                from,
                format!(
                    "{} answers in one piece and cannot stream; drop --streaming",
                    endpoint.name()
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// Video goes in chat content parts; a type without them would send the prompt alone.
fn check_video_place(plan: &Plan) -> Result<(), SettingError> {
    if plan.video.is_some() && !plan.endpoint.accepts_media() {
        return Err(SettingError::flag(
            "--video-width",
            format!(
                "video is sent as chat content parts or template variables; use --endpoint-type chat, chat_embeddings or template (got {})",
                plan.endpoint.name()
            ),
        ));
    }
    Ok(())
}

/// The header name of `Name: value` (the whole text when it has no colon; parsing refused
/// that already).
fn header_name(raw: &str) -> &str {
    raw.split_once(':').map_or(raw, |(n, _)| n).trim()
}

/// The keys an extra input sets (none when it does not parse; parsing refused that already).
pub(super) fn extra_input_keys(given: &Given<super::ExtraInput>) -> Vec<String> {
    match &given.value {
        super::ExtraInput::Field(key, _) => vec![key.clone()],
        super::ExtraInput::Text(raw) => super::resolve::parse_extra_input(raw)
            .map(|fields| fields.into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default(),
    }
}
