//! The keys of the config file's top level, `benchmark` and `benchmark.endpoint` sections: the
//! file reader checks files against them and the sweep reader checks swept paths against them,
//! so they sit below both.

/// Top-level keys.
pub const TOP_KEYS: &[&str] = &["schema_version", "benchmark", "sweep"];
/// Keys of `benchmark`.
pub const BENCHMARK_KEYS: &[&str] = &[
    "model",
    "endpoint",
    "dataset",
    "phases",
    "random_seed",
    "num_profile_runs",
    "confidence_level",
    "profile_run_cooldown_seconds",
    "model_selection_strategy",
];
/// Keys of `benchmark` that say how often to run the whole plan (`--num-profile-runs` and
/// friends), not what one run does.
pub const REPEAT_KEYS: &[&str] = &[
    "num_profile_runs",
    "confidence_level",
    "profile_run_cooldown_seconds",
];
/// Keys of `benchmark.endpoint`.
pub const ENDPOINT_KEYS: &[&str] = &[
    "url",
    "type",
    "streaming",
    "api_key",
    "headers",
    "extra_inputs",
    "timeout",
    "max_response_bytes",
    "custom_endpoint",
    "wait_for_model_timeout",
    "wait_for_model_mode",
    "wait_for_model_interval",
    "ca_cert",
    "insecure",
    "video_poll_interval",
    "download_video_content",
];
