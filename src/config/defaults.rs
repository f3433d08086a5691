//! Every default a run resolves to when neither a flag nor the config file says otherwise, in
//! one place, so the CLI, the config file reader and library callers agree. AIPerf's value is
//! kept wherever gauntlet has the same knob, so command lines carry over unchanged.

use std::time::Duration;

/// The server when no `--url` (or `endpoint.urls`) is given: AIPerf's default,
/// `localhost:8000`, where vLLM, SGLang and TensorRT-LLM listen out of the box.
pub const DEFAULT_URL: &str = "http://localhost:8000";

/// Per-request time limit in seconds (`--request-timeout-seconds`): ten minutes, long enough
/// for any single generation on a healthy server, short enough that a hung request cannot
/// stall a run for hours (AIPerf waits six).
pub const DEFAULT_TIMEOUT_SECS: f64 = 600.0;
/// Seconds between two polls of a `video_generation` job's status (the default of AIPerf's
/// `AIPERF_HTTP_VIDEO_POLL_INTERVAL`).
pub const DEFAULT_VIDEO_POLL_INTERVAL_SECS: f64 = 0.1;
/// Seconds between two readiness attempts (`--wait-for-model-interval`), AIPerf's default.
pub const DEFAULT_WAIT_FOR_MODEL_INTERVAL_SECS: f64 = 5.0;

/// Response body bytes one request may receive (`--max-response-bytes`): 64 MiB. The longest
/// real replies are long streamed generations: ~250–400 bytes of SSE per token in OpenAI's
/// chunk format, so a 128k-token completion is ~32–50 MB; an embeddings reply of a few
/// thousand floats per input is far below. A server that sends more is broken (an endless
/// stream, a body without framing), and the cap keeps it from taking the machine's memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// Mean prompt length in tokens of synthetic prompts (`--synthetic-input-tokens-mean`):
/// AIPerf's default.
pub const DEFAULT_ISL: f64 = 550.0;

/// Requests in the profiling phase when neither a count nor a duration is given
/// (`--request-count`): AIPerf's default.
pub const DEFAULT_REQUESTS: u64 = 10;

/// Distinct synthetic prompts (`--num-dataset-entries`); requests cycle through them:
/// AIPerf's default.
pub const DEFAULT_ENTRIES: u32 = 100;

/// Default tokens per `hash_ids` block (Mooncake's and AIPerf's).
pub const DEFAULT_BLOCK_SIZE: u32 = 512;

/// Tokens per `hash_ids` block of an Alibaba Bailian trace (its files are `*_blksz_16.jsonl`;
/// AIPerf applies 16 for `bailian_trace` too).
pub const BAILIAN_BLOCK_SIZE: u32 = 16;

/// Frames per second of synthetic video (`--video-fps`): AIPerf's default.
pub const DEFAULT_FPS: u32 = 4;

/// Length in seconds of a synthetic video clip (`--video-duration`): AIPerf's default.
pub const DEFAULT_DURATION_S: f64 = 5.0;

/// Root seed when none is given (`--random-seed`): a fixed seed, so the same command sends
/// byte-identical prompts every time (AIPerf draws one from system entropy instead).
pub const DEFAULT_RANDOM_SEED: u64 = 0;

/// Level of the confidence intervals of repeated runs (`--confidence-level`): the usual 95 %,
/// AIPerf's default.
pub const DEFAULT_CONFIDENCE_LEVEL: f64 = 0.95;

/// Seconds in-flight requests get after a duration phase ends, when the file does not say.
pub const DEFAULT_GRACE_SECS: f64 = 30.0;

/// AIPerf's default scrape interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(333);

/// The `max_tokens` SPEED-Bench runs ask for unless told otherwise (its recommended cap for
/// non-reasoning models; the model stops at its end-of-sequence token before that).
pub const DEFAULT_MAX_TOKENS: u32 = 4_096;

/// The most client runtime threads `--client-threads` accepts. The engine needs about one per
/// core; past a few hundred, threads only add context switches, and far past it the OS refuses
/// to start them.
pub const MAX_CLIENT_THREADS: usize = 1_024;

/// Checks a `--client-threads` value: 1 to [`MAX_CLIENT_THREADS`].
pub fn check_client_threads(threads: usize) -> Result<usize, String> {
    match threads {
        0 => Err("must be at least 1".into()),
        n if n > MAX_CLIENT_THREADS => Err(format!(
            "{n} is more than the {MAX_CLIENT_THREADS} threads allowed (about one per core is enough)"
        )),
        n => Ok(n),
    }
}

/// The longest mean gap between requests a rate may ask for: one day. A lower rate's first
/// request would not be sent within any real run (`1e-300` requests/s is one every 1e300 s).
pub const MAX_MEAN_INTERVAL_S: f64 = 86_400.0;

/// Checks a request rate (requests/s): a finite number whose mean gap is at most
/// [`MAX_MEAN_INTERVAL_S`]. The error says why; the caller adds the flag or key.
pub fn check_request_rate(rate: f64) -> Result<f64, String> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(format!("must be a positive number, got {rate}"));
    }
    if 1.0 / rate > MAX_MEAN_INTERVAL_S {
        return Err(format!(
            "{rate:e} requests/s is one request every {:.3e} s; the lowest rate is \
             1/{MAX_MEAN_INTERVAL_S} ({:.3e}, one request a day)",
            1.0 / rate,
            1.0 / MAX_MEAN_INTERVAL_S
        ));
    }
    Ok(rate)
}

/// The default number of client runtime threads: the cores, at most [`MAX_CLIENT_THREADS`].
pub fn default_client_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(MAX_CLIENT_THREADS)
}

/// Runs of the same plan (`--num-profile-runs`): one, no across-runs statistics.
pub const DEFAULT_PROFILE_RUNS: u32 = 1;

/// Seconds between repeated runs (`--profile-run-cooldown-seconds`).
pub const DEFAULT_COOLDOWN_SECS: f64 = 0.0;

/// Failed-request percentage still a success for the exit code (`--tolerated-error-rate`).
pub const DEFAULT_TOLERATED_ERROR_PCT: f64 = 0.0;

/// Gamma shape of `--arrival-pattern gamma` when no smoothness is given (1 = Poisson).
pub const DEFAULT_SMOOTHNESS: f64 = 1.0;

/// Images, audio clips or videos per request (`--image-batch-size`, `--audio-batch-size`,
/// `--video-batch-size`): AIPerf's default.
pub const DEFAULT_MEDIA_BATCH: u32 = 1;

/// Sample rate of synthetic audio in kHz (`--audio-sample-rates`): speech models' usual rate.
pub const DEFAULT_AUDIO_KHZ: f64 = 16.0;

/// Bit depth of synthetic audio (`--audio-depths`).
pub const DEFAULT_AUDIO_DEPTH: u16 = 16;

/// Channels of synthetic audio (`--audio-num-channels`): mono.
pub const DEFAULT_AUDIO_CHANNELS: u16 = 1;

/// Turns per session when only other session flags are given (`--conversation-turn-mean`).
pub const DEFAULT_TURNS: f64 = 1.0;

/// Factor on every think time (`--conversation-turn-delay-ratio`): as drawn.
pub const DEFAULT_DELAY_RATIO: f64 = 1.0;

/// Replay speed of a trace and of trace synthesis (`--fixed-schedule-speedup`,
/// `--synthesis-*` multipliers): as recorded.
pub const DEFAULT_SPEEDUP: f64 = 1.0;

/// Share of root prompts that use the shared prefix (`--shared-prefix-probability`): all.
pub const DEFAULT_SHARED_PREFIX_PROBABILITY: f64 = 1.0;
