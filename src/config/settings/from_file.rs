//! A config file's [`FileSettings`] as [`Settings`]: every value with the file, line and key
//! it came from.

use super::{ExtraInput, Given, Opt, Origin, Settings};
use crate::config::file::{ConfigFile, FileSettings};
use crate::config::walk::{normalize, path_segments, Segment};
use crate::config::yaml::NodeKind;

/// Finds where a key of the file is: the first of `paths` the file holds.
struct Lines<'a> {
    file: Option<&'a ConfigFile>,
}

impl Lines<'_> {
    /// The origin of the first of `paths` the file holds (the first path, line 0, when none).
    fn origin(&self, paths: &[&str]) -> Origin {
        let name = self.file.map_or("config", |f| f.name()).to_string();
        for path in paths {
            if let Some(line) = self.file.and_then(|f| line_of(f, path)) {
                return Origin::Key {
                    file: name,
                    line,
                    path: (*path).to_string(),
                };
            }
        }
        Origin::Key {
            file: name,
            line: 0,
            path: paths[0].to_string(),
        }
    }

    fn given<T>(&self, value: Option<T>, paths: &[&str]) -> Opt<T> {
        value.map(|value| Given {
            value,
            from: self.origin(paths),
        })
    }
}

/// The line of the key `path` names, if the file holds every step of it (0 when a sweep set
/// it, which has no line of its own).
fn line_of(file: &ConfigFile, path: &str) -> Option<usize> {
    let mut node = file.root();
    let mut line = 0;
    for segment in path_segments(path) {
        let (child, at) = match (&node.kind, segment) {
            (NodeKind::Map(entries), Segment::Key(key)) => entries
                .iter()
                .find(|e| normalize(&e.key) == normalize(key))
                .map(|e| (&e.value, e.key_line))?,
            (NodeKind::Seq(items), Segment::Index(i)) => items.get(i).map(|n| (n, n.line))?,
            _ => return None,
        };
        node = child;
        line = at;
    }
    Some(line)
}

const ISL: &[&str] = &["benchmark.dataset.isl", "benchmark.dataset.prompts.isl"];
const OSL: &[&str] = &["benchmark.dataset.osl", "benchmark.dataset.prompts.osl"];
const SEQ: &[&str] = &[
    "benchmark.dataset.sequence_distribution",
    "benchmark.dataset.prompts.sequence_distribution",
];
const SEED: &[&str] = &["benchmark.random_seed", "benchmark.dataset.random_seed"];

impl Settings {
    /// What a config file sets, each value with its file, line and key.
    pub fn from_file(file: &FileSettings) -> Settings {
        let at = Lines {
            file: file.source.as_ref(),
        };
        let headers = file
            .headers
            .iter()
            .map(|(name, value)| Given {
                value: format!("{name}: {value}"),
                from: at.origin(&[&format!("benchmark.endpoint.headers.{name}")]),
            })
            .collect();
        let extra_inputs = file
            .extra_inputs
            .iter()
            .map(|(key, value)| Given {
                value: ExtraInput::Field(key.clone(), value.clone()),
                from: at.origin(&[&format!("benchmark.endpoint.extra_inputs.{key}")]),
            })
            .collect();
        let urls = file
            .urls
            .as_ref()
            .map(|urls| urls.iter().map(|u| u.original.clone()).collect());
        let data = &file.dataset;
        let mut out = Settings {
            model: at.given(file.model.clone().map(|m| vec![m]), &["benchmark.model"]),
            model_selection: at.given(
                file.model_selection,
                &["benchmark.model_selection_strategy"],
            ),
            custom_endpoint: at.given(
                file.custom_endpoint.clone(),
                &["benchmark.endpoint.custom_endpoint"],
            ),
            wait_for_model_timeout: at.given(
                file.wait_for_model_timeout,
                &["benchmark.endpoint.wait_for_model_timeout"],
            ),
            wait_for_model_mode: at.given(
                file.wait_for_model_mode,
                &["benchmark.endpoint.wait_for_model_mode"],
            ),
            wait_for_model_interval: at.given(
                file.wait_for_model_interval,
                &["benchmark.endpoint.wait_for_model_interval"],
            ),
            urls: at.given(urls, &["benchmark.endpoint.url"]),
            endpoint: at.given(file.endpoint, &["benchmark.endpoint.type"]),
            streaming: at.given(file.streaming, &["benchmark.endpoint.streaming"]),
            api_key: at.given(file.api_key.clone(), &["benchmark.endpoint.api_key"]),
            headers,
            extra_inputs,
            request_timeout_s: at.given(
                file.request_timeout.map(|d| d.as_secs_f64()),
                &["benchmark.endpoint.timeout"],
            ),
            max_response_bytes: at.given(
                file.max_response_bytes,
                &["benchmark.endpoint.max_response_bytes"],
            ),
            ca_cert: at.given(file.ca_cert.clone(), &["benchmark.endpoint.ca_cert"]),
            insecure: at.given(file.insecure, &["benchmark.endpoint.insecure"]),
            video_poll_interval_s: at.given(
                file.video_poll_interval,
                &["benchmark.endpoint.video_poll_interval"],
            ),
            download_video_content: at.given(
                file.download_video_content,
                &["benchmark.endpoint.download_video_content"],
            ),
            phases: at.given(file.phases.clone(), &["benchmark.phases"]),
            num_profile_runs: at.given(file.num_profile_runs, &["benchmark.num_profile_runs"]),
            confidence_level: at.given(file.confidence_level, &["benchmark.confidence_level"]),
            cooldown_s: at.given(
                file.profile_run_cooldown_seconds,
                &["benchmark.profile_run_cooldown_seconds"],
            ),
            isl: at.given(data.isl.clone(), ISL),
            osl: at.given(data.osl.clone(), OSL),
            seq_dist: at.given(data.seq_dist.clone(), SEQ),
            entries: at.given(data.entries, &["benchmark.dataset.entries"]),
            random_seed: at.given(file.random_seed, SEED),
            ..Settings::default()
        };
        out.public.public_dataset = data.public_dataset.clone();
        out.public.dataset_sampling_strategy = data.sampling;
        let sessions = &mut out.sessions;
        sessions.turns = at.given(data.turns.clone(), &["benchmark.dataset.turns"]);
        sessions.turn_delay = at.given(data.turn_delay.clone(), &["benchmark.dataset.turn_delay"]);
        sessions.session_graph = at.given(
            data.session_graph.clone(),
            &["benchmark.dataset.session_graph"],
        );
        let media = &mut out.media;
        media.image_width = at.given(
            data.image_width.clone(),
            &["benchmark.dataset.images.width"],
        );
        media.image_height = at.given(
            data.image_height.clone(),
            &["benchmark.dataset.images.height"],
        );
        media.audio_length = at.given(
            data.audio_length.clone(),
            &["benchmark.dataset.audio.length"],
        );
        let rankings = &mut out.rankings;
        rankings.passages = at.given(
            data.rankings_passages.clone(),
            &["benchmark.dataset.rankings.passages"],
        );
        rankings.passage_tokens = at.given(
            data.rankings_passage_tokens.clone(),
            &["benchmark.dataset.rankings.passage_tokens"],
        );
        rankings.query_tokens = at.given(
            data.rankings_query_tokens.clone(),
            &["benchmark.dataset.rankings.query_tokens"],
        );
        let (f, input) = (&data.file, &mut out.input);
        let key = |k: &str| format!("benchmark.dataset.{k}");
        input.input_file = at.given(f.path.clone(), &[&key("path")]);
        input.custom_dataset_type = at.given(
            f.format
                .as_deref()
                .and_then(super::CustomDatasetType::from_name),
            &[&key("format")],
        );
        input.block_size = at.given(f.block_size, &[&key("block_size")]);
        let syn = |k: &str| format!("benchmark.dataset.synthesis.{k}");
        input.synthesis_speedup_ratio = at.given(f.speedup_ratio, &[&syn("speedup_ratio")]);
        input.synthesis_prefix_len_multiplier =
            at.given(f.prefix_len_multiplier, &[&syn("prefix_len_multiplier")]);
        input.synthesis_prefix_root_multiplier =
            at.given(f.prefix_root_multiplier, &[&syn("prefix_root_multiplier")]);
        input.synthesis_prompt_len_multiplier =
            at.given(f.prompt_len_multiplier, &[&syn("prompt_len_multiplier")]);
        input.synthesis_max_isl = at.given(f.max_isl, &[&syn("max_isl")]);
        let prefix = &mut out.prefix;
        prefix.prefix_prompt_pool_size = at.given(
            data.prefix.pool_size,
            &["benchmark.dataset.prefix_prompts.pool_size"],
        );
        prefix.prefix_prompt_length = at.given(
            data.prefix.length,
            &["benchmark.dataset.prefix_prompts.length"],
        );
        let (v, video) = (&data.video, &mut out.video);
        let key = |k: &str| format!("benchmark.dataset.video.{k}");
        video.video_width = at.given(v.width, &[&key("width")]);
        video.video_height = at.given(v.height, &[&key("height")]);
        video.video_fps = at.given(v.fps, &[&key("fps")]);
        video.video_duration = at.given(v.duration, &[&key("duration")]);
        video.video_synth_type = at.given(v.synth_type, &[&key("synth_type")]);
        video.video_codec = at.given(v.codec, &[&key("codec")]);
        video.video_format = at.given(v.format, &[&key("format")]);
        video.video_batch_size = at.given(v.batch_size, &[&key("batch_size")]);
        out
    }
}
