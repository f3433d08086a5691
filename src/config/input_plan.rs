//! The resolved description of an input file, carried in `Plan::input`: the CLI fills it,
//! `run::prepare` consumes it (`dataset::files` and `dataset::flavors` read the file).

use std::path::PathBuf;

/// Which of Veeksha's trace layouts a file follows (`--trace-flavor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceFlavor {
    /// One request per row: `input_length`, `output_length`, optional time and `session_id`.
    RequestLog,
    /// Sessions of synthetic turns with think times (`wait_after_previous_response_s`).
    TimedSyntheticSession,
    /// Real conversations (ShareGPT `conversations` or OpenAI `messages`) replayed turn by turn.
    UntimedContentMultiTurn,
    /// Sessions whose first turn is built from `hash_ids` blocks shared across sessions.
    SharedPrefix,
    /// Single requests that put a per-`doc_id` document before the query.
    Rag,
}

impl TraceFlavor {
    /// Veeksha's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            TraceFlavor::RequestLog => "request_log",
            TraceFlavor::TimedSyntheticSession => "timed_synthetic_session",
            TraceFlavor::UntimedContentMultiTurn => "untimed_content_multi_turn",
            TraceFlavor::SharedPrefix => "shared_prefix",
            TraceFlavor::Rag => "rag",
        }
    }
}

/// Which reader turns the file into a workload (AIPerf's `--custom-dataset-type` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// One independent request per JSONL line (`text`/`texts`, optional timing).
    SingleTurn,
    /// One conversation per JSONL line (`{"session_id", "turns": [...]}`).
    MultiTurn,
    /// Lines (or one pool per file of a folder) sampled with replacement by the seed.
    RandomPool,
    /// Mooncake JSONL: `input_length` + `hash_ids` rows, optionally grouped by `session_id`.
    MooncakeTrace,
    /// A CSV trace with a header row, read like mooncake rows without `hash_ids`.
    CsvTrace,
    /// BurstGPT's CSV log: one independent request per row, timestamps in seconds.
    BurstGptTrace,
    /// Alibaba Bailian's JSONL trace: `chat_id`/`parent_chat_id` chains of self-contained
    /// requests, timestamps in seconds, 16-token `hash_ids` blocks.
    BailianTrace,
    /// One of Veeksha's trace flavors (see docs/trace-flavors.md).
    Flavor {
        /// Which flavor.
        flavor: TraceFlavor,
        /// Veeksha's `wrap_mode`: loop (reshuffling each pass) or cut the trace to exactly
        /// this many sessions; `None` replays it once.
        target_sessions: Option<u32>,
    },
}

impl InputFormat {
    /// The name as `--custom-dataset-type` spells it (CSV traces are `mooncake_trace`).
    pub fn flag_name(self) -> &'static str {
        match self {
            InputFormat::SingleTurn => "single_turn",
            InputFormat::MultiTurn => "multi_turn",
            InputFormat::RandomPool => "random_pool",
            InputFormat::MooncakeTrace | InputFormat::CsvTrace => "mooncake_trace",
            InputFormat::BurstGptTrace => "burst_gpt_trace",
            InputFormat::BailianTrace => "bailian_trace",
            InputFormat::Flavor { flavor, .. } => flavor.name(),
        }
    }
}

/// How to reshape a trace before it becomes a workload (AIPerf's `--synthesis-*` flags).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SynthesisPlan {
    /// Timestamps are divided by this.
    pub speedup_ratio: f64,
    /// Shared-prefix lengths are multiplied by this.
    pub prefix_len_multiplier: f64,
    /// The shared-prefix tree is replicated this many times.
    pub prefix_root_multiplier: u32,
    /// Unique prompt lengths are multiplied by this.
    pub prompt_len_multiplier: f64,
    /// Input lengths are capped here.
    pub max_isl: Option<u32>,
}

/// A user dataset file (or folder, for `random_pool`) to build the workload from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InputFilePlan {
    /// The file or folder.
    pub path: PathBuf,
    /// Its format, given or detected.
    pub format: InputFormat,
    /// Tokens per `hash_ids` block.
    pub block_size: u32,
    /// Conversations a `random_pool` draws (`--num-dataset-entries`).
    pub pool_entries: u32,
    /// Trace synthesis to apply first; `None` replays the trace as written.
    pub synthesis: Option<SynthesisPlan>,
    /// Keep only sessions whose first timestamp (ms) lies in this inclusive window, before
    /// any prompt is made: `--fixed-schedule-start/end-offset`, so replaying a minute of a
    /// long trace does not build the whole trace's prompts.
    pub window_ms: Option<(u64, u64)>,
    /// The run's endpoint type: an `image`, `audio` or `video` key in the file is refused
    /// (with its file:line) unless the endpoint's body has a place for media.
    pub endpoint: super::EndpointType,
}
