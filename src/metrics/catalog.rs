//! The metrics gauntlet produces: tag, header and unit as AIPerf names them.
//!
//! A small static table instead of loading AIPerf's registry at run time: the exports must use
//! AIPerf's tags, headers and units where the concept is the same, and a table in the code is
//! checked by the compiler and the tests. Raw values are kept in their measured unit
//! (nanoseconds, bytes, tokens); `scale` converts them to the unit written in the exports.

/// Whether a metric has one value per request or one value per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// One value per request (percentiles, min, max, …).
    PerRequest,
    /// One value for the whole run (throughputs, counts, totals).
    Aggregate,
}

/// How one metric is named, measured and shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSpec {
    /// AIPerf's tag (the JSON key).
    pub tag: &'static str,
    /// AIPerf's header (the CSV and console label, without the unit).
    pub header: &'static str,
    /// The unit written in the exports (AIPerf's display unit when it has one).
    pub unit: &'static str,
    /// Raw value ÷ `scale` = exported value (ns → ms is 1e6, bytes → KB is 1024).
    pub scale: f64,
    /// Per-request or aggregate.
    pub kind: MetricKind,
    /// Whether a larger value is better (throughputs, counts of work done).
    pub larger_is_better: bool,
    /// Whether the console table shows it.
    pub console: bool,
    /// Whether per-request values are whole numbers (written as integers in JSONL).
    pub integer: bool,
}

impl MetricSpec {
    /// The header with its unit in parentheses, as AIPerf's CSV and console write it.
    pub fn label(&self) -> String {
        format!("{} ({})", self.header, self.unit)
    }

    /// Converts a raw value into the exported unit.
    #[inline]
    pub fn display(&self, raw: f64) -> f64 {
        raw / self.scale
    }
}

const NS_PER_MS: f64 = 1e6;

const fn per_request(
    tag: &'static str,
    header: &'static str,
    unit: &'static str,
    scale: f64,
    larger_is_better: bool,
    console: bool,
    integer: bool,
) -> MetricSpec {
    MetricSpec {
        tag,
        header,
        unit,
        scale,
        kind: MetricKind::PerRequest,
        larger_is_better,
        console,
        integer,
    }
}

const fn aggregate(
    tag: &'static str,
    header: &'static str,
    unit: &'static str,
    scale: f64,
    larger_is_better: bool,
    console: bool,
) -> MetricSpec {
    MetricSpec {
        tag,
        header,
        unit,
        scale,
        kind: MetricKind::Aggregate,
        larger_is_better,
        console,
        integer: false,
    }
}

/// Per-request metrics, indexed by [`RecordMetric`]; the order is the console order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum RecordMetric {
    /// `time_to_first_token`
    TimeToFirstToken,
    /// `time_to_second_token`
    TimeToSecondToken,
    /// `time_to_first_output_token`
    TimeToFirstOutputToken,
    /// `request_latency`
    RequestLatency,
    /// `inter_token_latency`
    InterTokenLatency,
    /// `inter_chunk_latency` (several values per request)
    InterChunkLatency,
    /// `output_token_throughput_per_user`
    OutputTokenThroughputPerUser,
    /// `e2e_output_token_throughput`
    E2eOutputTokenThroughput,
    /// `output_sequence_length`
    OutputSequenceLength,
    /// `input_sequence_length`
    InputSequenceLength,
    /// `credit_to_start_latency` (the send lag)
    CreditToStartLatency,
    /// `output_token_count`
    OutputTokenCount,
    /// `usage_prompt_tokens`
    UsagePromptTokens,
    /// `usage_completion_tokens`
    UsageCompletionTokens,
    /// `usage_total_tokens`
    UsageTotalTokens,
    /// `http_req_connection_reused`
    HttpConnectionReused,
    /// `http_req_chunks_received`
    HttpChunksReceived,
    /// `http_req_data_sent`
    HttpDataSent,
    /// `http_req_data_received`
    HttpDataReceived,
    /// `http_req_waiting`
    HttpWaiting,
    /// `http_req_connecting`
    HttpConnecting,
    /// `num_output_images` (image generation: images in the reply)
    NumOutputImages,
    /// `num_images` (image retrieval: images the server read)
    NumImages,
    /// `image_throughput` (image retrieval: images / request latency)
    ImageThroughput,
    /// `image_latency` (image retrieval: request latency / images)
    ImageLatency,
    /// `prefill_throughput_per_user` (input tokens / TTFT)
    PrefillThroughputPerUser,
    /// `reasoning_token_count` (the server's reasoning tokens, else the reasoning text counted)
    ReasoningTokenCount,
    /// `usage_reasoning_tokens` (`completion_tokens_details.reasoning_tokens`)
    UsageReasoningTokens,
    /// `usage_prompt_cache_read_tokens` (`prompt_tokens_details.cached_tokens`)
    UsagePromptCacheReadTokens,
    /// `usage_prompt_audio_tokens` (`prompt_tokens_details.audio_tokens`)
    UsagePromptAudioTokens,
    /// `usage_completion_audio_tokens` (`completion_tokens_details.audio_tokens`)
    UsageCompletionAudioTokens,
    /// `osl_mismatch_diff_pct` ((output tokens - requested) / requested × 100)
    OslMismatchDiffPct,
}

/// How many per-request metrics there are.
pub const RECORD_METRIC_COUNT: usize = 32;

impl RecordMetric {
    /// Every per-request metric, in table order.
    pub const ALL: [RecordMetric; RECORD_METRIC_COUNT] = [
        RecordMetric::TimeToFirstToken,
        RecordMetric::TimeToSecondToken,
        RecordMetric::TimeToFirstOutputToken,
        RecordMetric::RequestLatency,
        RecordMetric::InterTokenLatency,
        RecordMetric::InterChunkLatency,
        RecordMetric::OutputTokenThroughputPerUser,
        RecordMetric::E2eOutputTokenThroughput,
        RecordMetric::OutputSequenceLength,
        RecordMetric::InputSequenceLength,
        RecordMetric::CreditToStartLatency,
        RecordMetric::OutputTokenCount,
        RecordMetric::UsagePromptTokens,
        RecordMetric::UsageCompletionTokens,
        RecordMetric::UsageTotalTokens,
        RecordMetric::HttpConnectionReused,
        RecordMetric::HttpChunksReceived,
        RecordMetric::HttpDataSent,
        RecordMetric::HttpDataReceived,
        RecordMetric::HttpWaiting,
        RecordMetric::HttpConnecting,
        RecordMetric::NumOutputImages,
        RecordMetric::NumImages,
        RecordMetric::ImageThroughput,
        RecordMetric::ImageLatency,
        RecordMetric::PrefillThroughputPerUser,
        RecordMetric::ReasoningTokenCount,
        RecordMetric::UsageReasoningTokens,
        RecordMetric::UsagePromptCacheReadTokens,
        RecordMetric::UsagePromptAudioTokens,
        RecordMetric::UsageCompletionAudioTokens,
        RecordMetric::OslMismatchDiffPct,
    ];

    /// The metric's naming and unit.
    #[inline]
    pub fn spec(self) -> &'static MetricSpec {
        &RECORD_METRICS[self as usize]
    }
}

/// Specs of the per-request metrics, in [`RecordMetric`] order.
#[rustfmt::skip]
pub static RECORD_METRICS: [MetricSpec; RECORD_METRIC_COUNT] = [
    per_request("time_to_first_token", "Time to First Token", "ms", NS_PER_MS, false, true, false),
    per_request("time_to_second_token", "Time to Second Token", "ms", NS_PER_MS, false, true, false),
    per_request("time_to_first_output_token", "Time to First Output Token", "ms", NS_PER_MS, false, true, false),
    per_request("request_latency", "Request Latency", "ms", NS_PER_MS, false, true, false),
    per_request("inter_token_latency", "Inter Token Latency", "ms", NS_PER_MS, false, true, false),
    per_request("inter_chunk_latency", "Inter Chunk Latency", "ms", NS_PER_MS, false, true, false),
    per_request("output_token_throughput_per_user", "Output Token Throughput Per User", "tokens/sec/user", 1.0, true, true, false),
    per_request("e2e_output_token_throughput", "E2E Output Token Throughput", "tokens/sec/user", 1.0, true, true, false),
    per_request("output_sequence_length", "Output Sequence Length", "tokens", 1.0, true, true, true),
    per_request("input_sequence_length", "Input Sequence Length", "tokens", 1.0, true, true, true),
    per_request("credit_to_start_latency", "Credit-to-Start Latency", "ms", NS_PER_MS, false, true, false),
    per_request("output_token_count", "Output Token Count", "tokens", 1.0, true, false, true),
    per_request("usage_prompt_tokens", "Usage Prompt Tokens", "tokens", 1.0, true, false, true),
    per_request("usage_completion_tokens", "Usage Completion Tokens", "tokens", 1.0, true, false, true),
    per_request("usage_total_tokens", "Usage Total Tokens", "tokens", 1.0, true, false, true),
    per_request("http_req_connection_reused", "HTTP Connection Reused", "ratio", 1.0, false, false, true),
    per_request("http_req_chunks_received", "HTTP Chunks Received", "count", 1.0, false, false, true),
    per_request("http_req_data_sent", "HTTP Data Sent", "KB", 1024.0, false, false, false),
    per_request("http_req_data_received", "HTTP Data Received", "KB", 1024.0, false, false, false),
    per_request("http_req_waiting", "HTTP Waiting (TTFB)", "ms", NS_PER_MS, false, false, false),
    per_request("http_req_connecting", "HTTP Connecting", "ms", NS_PER_MS, false, false, false),
    per_request("num_output_images", "Output Images", "images", 1.0, true, true, true),
    per_request("num_images", "Number of Images", "images", 1.0, false, true, true),
    // AIPerf flags neither as larger-is-better; its registry is followed.
    per_request("image_throughput", "Image Throughput", "images/sec", 1.0, false, true, false),
    per_request("image_latency", "Image Latency", "ms/image", NS_PER_MS, false, true, false),
    per_request("prefill_throughput_per_user", "Prefill Throughput Per User", "tokens/sec/user", 1.0, true, true, false),
    per_request("reasoning_token_count", "Reasoning Token Count", "tokens", 1.0, true, true, true),
    per_request("usage_reasoning_tokens", "Usage Reasoning Tokens", "tokens", 1.0, true, false, true),
    per_request("usage_prompt_cache_read_tokens", "Usage Prompt Cache Read Tokens", "tokens", 1.0, true, false, true),
    per_request("usage_prompt_audio_tokens", "Usage Prompt Audio Tokens", "tokens", 1.0, true, false, true),
    per_request("usage_completion_audio_tokens", "Usage Completion Audio Tokens", "tokens", 1.0, true, false, true),
    per_request("osl_mismatch_diff_pct", "OSL Mismatch Diff %", "%", 1.0, false, false, false),
];

/// Run-level metrics, indexed by [`AggregateMetric`]; the order is the console order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum AggregateMetric {
    /// `output_token_throughput`
    OutputTokenThroughput,
    /// `input_token_throughput`
    InputTokenThroughput,
    /// `total_token_throughput`
    TotalTokenThroughput,
    /// `request_throughput`
    RequestThroughput,
    /// `completed_request_count`
    CompletedRequestCount,
    /// `request_error_rate`
    RequestErrorRate,
    /// `request_count`
    RequestCount,
    /// `error_request_count`
    ErrorRequestCount,
    /// `benchmark_duration`
    BenchmarkDuration,
    /// `total_isl`
    TotalIsl,
    /// `total_osl`
    TotalOsl,
    /// `total_output_tokens`
    TotalOutputTokens,
    /// `total_usage_prompt_tokens`
    TotalUsagePromptTokens,
    /// `total_usage_completion_tokens`
    TotalUsageCompletionTokens,
    /// `total_usage_total_tokens`
    TotalUsageTotalTokens,
    /// `total_output_images` (image generation)
    TotalOutputImages,
    /// `output_image_throughput` (image generation: output images / benchmark duration)
    OutputImageThroughput,
    /// `good_request_count` (`--goodput`: successful requests meeting every objective)
    GoodRequestCount,
    /// `goodput` (`--goodput`: good requests / benchmark duration)
    Goodput,
    /// `good_request_fraction` (`--goodput`: good requests / completed requests)
    GoodRequestFraction,
    /// `effective_concurrency` (requests in flight, time-weighted over the benchmark window)
    EffectiveConcurrency,
    /// `cancelled_request_count` (requests cancelled on purpose or by the run ending)
    CancelledRequestCount,
    /// `total_reasoning_tokens`
    TotalReasoningTokens,
    /// `total_usage_reasoning_tokens`
    TotalUsageReasoningTokens,
    /// `total_usage_prompt_cache_read_tokens`
    TotalUsagePromptCacheReadTokens,
    /// `total_usage_prompt_audio_tokens`
    TotalUsagePromptAudioTokens,
    /// `total_usage_completion_audio_tokens`
    TotalUsageCompletionAudioTokens,
    /// `osl_mismatch_count` (requests whose output length missed the requested one)
    OslMismatchCount,
}

/// How many aggregate metrics there are.
pub const AGGREGATE_METRIC_COUNT: usize = 28;

impl AggregateMetric {
    /// Every aggregate metric, in table order.
    pub const ALL: [AggregateMetric; AGGREGATE_METRIC_COUNT] = [
        AggregateMetric::OutputTokenThroughput,
        AggregateMetric::InputTokenThroughput,
        AggregateMetric::TotalTokenThroughput,
        AggregateMetric::RequestThroughput,
        AggregateMetric::CompletedRequestCount,
        AggregateMetric::RequestErrorRate,
        AggregateMetric::RequestCount,
        AggregateMetric::ErrorRequestCount,
        AggregateMetric::BenchmarkDuration,
        AggregateMetric::TotalIsl,
        AggregateMetric::TotalOsl,
        AggregateMetric::TotalOutputTokens,
        AggregateMetric::TotalUsagePromptTokens,
        AggregateMetric::TotalUsageCompletionTokens,
        AggregateMetric::TotalUsageTotalTokens,
        AggregateMetric::TotalOutputImages,
        AggregateMetric::OutputImageThroughput,
        AggregateMetric::GoodRequestCount,
        AggregateMetric::Goodput,
        AggregateMetric::GoodRequestFraction,
        AggregateMetric::EffectiveConcurrency,
        AggregateMetric::CancelledRequestCount,
        AggregateMetric::TotalReasoningTokens,
        AggregateMetric::TotalUsageReasoningTokens,
        AggregateMetric::TotalUsagePromptCacheReadTokens,
        AggregateMetric::TotalUsagePromptAudioTokens,
        AggregateMetric::TotalUsageCompletionAudioTokens,
        AggregateMetric::OslMismatchCount,
    ];

    /// The metric's naming and unit.
    #[inline]
    pub fn spec(self) -> &'static MetricSpec {
        &AGGREGATE_METRICS[self as usize]
    }
}

/// Specs of the aggregate metrics, in [`AggregateMetric`] order. Raw values are already in the
/// exported unit except `benchmark_duration` (ns → sec).
#[rustfmt::skip]
pub static AGGREGATE_METRICS: [MetricSpec; AGGREGATE_METRIC_COUNT] = [
    aggregate("output_token_throughput", "Output Token Throughput", "tokens/sec", 1.0, true, true),
    aggregate("input_token_throughput", "Input Token Throughput", "tokens/sec", 1.0, true, true),
    aggregate("total_token_throughput", "Total Token Throughput", "tokens/sec", 1.0, true, true),
    aggregate("request_throughput", "Request Throughput", "requests/sec", 1.0, true, true),
    aggregate("completed_request_count", "Completed Requests (Success + Error)", "requests", 1.0, false, true),
    aggregate("request_error_rate", "Request Error Rate", "%", 1.0, false, true),
    aggregate("request_count", "Request Count", "requests", 1.0, true, true),
    aggregate("error_request_count", "Error Request Count", "requests", 1.0, false, false),
    aggregate("benchmark_duration", "Benchmark Duration", "sec", 1e9, false, true),
    aggregate("total_isl", "Total Input Sequence Length", "tokens", 1.0, true, false),
    aggregate("total_osl", "Total Output Sequence Length", "tokens", 1.0, true, false),
    aggregate("total_output_tokens", "Total Output Tokens", "tokens", 1.0, true, false),
    aggregate("total_usage_prompt_tokens", "Total Usage Prompt Tokens", "tokens", 1.0, true, false),
    aggregate("total_usage_completion_tokens", "Total Usage Completion Tokens", "tokens", 1.0, true, false),
    aggregate("total_usage_total_tokens", "Total Usage Total Tokens", "tokens", 1.0, true, false),
    aggregate("total_output_images", "Total Output Images", "images", 1.0, true, true),
    aggregate("output_image_throughput", "Output Image Throughput", "images/sec", 1.0, true, true),
    aggregate("good_request_count", "Good Request Count", "requests", 1.0, false, true),
    aggregate("goodput", "Goodput", "requests/sec", 1.0, false, true),
    aggregate("good_request_fraction", "GoodRequestFraction", "ratio", 1.0, true, true),
    aggregate("effective_concurrency", "Effective Concurrency", "requests", 1.0, false, true),
    aggregate("cancelled_request_count", "Cancelled Request Count", "requests", 1.0, false, false),
    aggregate("total_reasoning_tokens", "Total Reasoning Tokens", "tokens", 1.0, true, false),
    aggregate("total_usage_reasoning_tokens", "Total Usage Reasoning Tokens", "tokens", 1.0, true, false),
    aggregate("total_usage_prompt_cache_read_tokens", "Total Usage Prompt Cache Read Tokens", "tokens", 1.0, true, false),
    aggregate("total_usage_prompt_audio_tokens", "Total Usage Prompt Audio Tokens", "tokens", 1.0, true, false),
    aggregate("total_usage_completion_audio_tokens", "Total Usage Completion Audio Tokens", "tokens", 1.0, true, false),
    aggregate("osl_mismatch_count", "OSL Mismatch Count", "requests", 1.0, false, true),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_order_matches_the_tables() {
        let expected_record = [
            "time_to_first_token",
            "time_to_second_token",
            "time_to_first_output_token",
            "request_latency",
            "inter_token_latency",
            "inter_chunk_latency",
            "output_token_throughput_per_user",
            "e2e_output_token_throughput",
            "output_sequence_length",
            "input_sequence_length",
            "credit_to_start_latency",
            "output_token_count",
            "usage_prompt_tokens",
            "usage_completion_tokens",
            "usage_total_tokens",
            "http_req_connection_reused",
            "http_req_chunks_received",
            "http_req_data_sent",
            "http_req_data_received",
            "http_req_waiting",
            "http_req_connecting",
            "num_output_images",
            "num_images",
            "image_throughput",
            "image_latency",
            "prefill_throughput_per_user",
            "reasoning_token_count",
            "usage_reasoning_tokens",
            "usage_prompt_cache_read_tokens",
            "usage_prompt_audio_tokens",
            "usage_completion_audio_tokens",
            "osl_mismatch_diff_pct",
        ];
        for (metric, tag) in RecordMetric::ALL.iter().zip(expected_record) {
            assert_eq!(metric.spec().tag, tag);
            assert_eq!(metric.spec().kind, MetricKind::PerRequest);
        }
        for (i, metric) in AggregateMetric::ALL.iter().enumerate() {
            assert_eq!(*metric as usize, i);
            assert_eq!(metric.spec().kind, MetricKind::Aggregate);
        }
    }

    /// Every tag that AIPerf's registry knows must carry AIPerf's header and display unit.
    #[test]
    fn names_and_units_match_aiperfs_registry() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/shared/aiperf-reference/metrics_registry.tsv"
        );
        let registry = std::fs::read_to_string(path).unwrap();
        let mut checked = 0;
        for spec in RECORD_METRICS.iter().chain(AGGREGATE_METRICS.iter()) {
            let Some(line) = registry
                .lines()
                .find(|l| l.split('\t').next() == Some(spec.tag))
            else {
                continue;
            };
            let cols: Vec<&str> = line.split('\t').collect();
            let unit = if cols[3].is_empty() { cols[2] } else { cols[3] };
            assert_eq!(spec.header, cols[1], "header of {}", spec.tag);
            assert_eq!(spec.unit, unit, "unit of {}", spec.tag);
            assert_eq!(
                spec.larger_is_better,
                cols[5].contains("LARGER_IS_BETTER"),
                "direction of {}",
                spec.tag
            );
            checked += 1;
        }
        assert!(checked >= 30, "only {checked} tags found in the registry");
    }
}
