//! One [`RequestRecord`] → its per-request metrics, off the hot path.
//!
//! The engine stores raw SSE payloads with their arrival times; this module reads them with the
//! allocation-free key scanner ([`crate::json_scan`]) and fills a reusable [`RequestMetrics`]:
//! its buffers are cleared, not dropped, so steady-state derivation does not allocate. Strings
//! are unescaped (with serde_json) only when the server sent no usage and the output has to be
//! counted with the tokenizer.

use std::sync::LazyLock;

use super::catalog::{RecordMetric, RECORD_METRIC_COUNT};
use super::redact::Redactor;
use super::usage_details::{read_details, reasoning_of, UsageDetails};
use crate::config::EndpointType;
use crate::engine::api_reply::{merge_usage, Api, ApiUsage};
use crate::engine::record::{Outcome, RequestRecord};
use crate::engine::reply::event_text;
use crate::json_scan::{container_at, find_object, is_json_object, value_kind, Key, ValueKind};

static USAGE: LazyLock<Key> = LazyLock::new(|| Key::new("usage"));
static TIMINGS: LazyLock<Key> = LazyLock::new(|| Key::new("timings"));
static ERROR: LazyLock<Key> = LazyLock::new(|| Key::new("error"));
static PREDICTED_N: LazyLock<Key> = LazyLock::new(|| Key::new("predicted_n"));
static PROMPT_TOKENS: LazyLock<Key> = LazyLock::new(|| Key::new("prompt_tokens"));
static COMPLETION_TOKENS: LazyLock<Key> = LazyLock::new(|| Key::new("completion_tokens"));
static TOTAL_TOKENS: LazyLock<Key> = LazyLock::new(|| Key::new("total_tokens"));

/// A request misses its requested output length when it is off by more than this percentage
/// of it…
pub const OSL_MISMATCH_PCT: f64 = 5.0;
/// …or by more than this many tokens, whichever is smaller (AIPerf's adaptive threshold).
pub const OSL_MISMATCH_MAX_TOKENS: f64 = 50.0;

/// Error messages longer than this are cut: some servers echo whole prompts into errors.
const MAX_ERROR_CHARS: usize = 500;

/// What derivation needs to know about the run.
pub struct DeriveContext<'a> {
    /// The API flavour (embeddings carry no output tokens).
    pub endpoint: EndpointType,
    /// Whether responses are SSE streams (TTFT and ITL exist only then).
    pub streaming: bool,
    /// Counts output tokens when the server sent no `usage` (the run's tokenizer).
    pub count_tokens: &'a dyn Fn(&str) -> u32,
    /// Takes the run's secrets out of error text (a server may echo request headers).
    pub redactor: &'a Redactor,
    /// Where the text is in a template or raw run's replies (`None` for the other types).
    pub reply_field: Option<&'a super::template_reply::ReplyField>,
}

/// How a request ended, as the metrics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestStatus {
    /// Completed without an error: feeds the per-request statistics.
    #[default]
    Success,
    /// Failed (HTTP error, transport, timeout or an error event): feeds the error summary.
    Failed,
    /// Stopped by the run ending: counted apart.
    Cancelled,
}

/// AIPerf's `ErrorDetails`: the HTTP code when there was one, a type and the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorInfo {
    /// HTTP status (or the code of an error event), when known.
    pub code: Option<u16>,
    /// The kind of failure ("Internal Server Error", "TransportError", "Timeout", …).
    pub kind: String,
    /// The message.
    pub message: String,
}

/// The derived metrics of one request; reused from request to request.
#[derive(Debug, Clone, Default)]
pub struct RequestMetrics {
    values: [Option<f64>; RECORD_METRIC_COUNT],
    inter_chunk_ns: Vec<u64>,
    status: RequestStatus,
    error: ErrorInfo,
    text: String,
    malformed_events: u32,
    /// Whether the output length missed the requested one ([`RequestMetrics::compare_osl`]).
    osl_mismatched: Option<bool>,
}

/// The timing and usage facts found in the events, before metrics are computed.
#[derive(Default)]
struct Scan {
    /// Events (or the one plain body) seen.
    events: u32,
    /// Events that are not one JSON object; skipped.
    malformed: u32,
    /// Whether a JSON event carries the key the endpoint promises (`choices`, or `data` for
    /// embeddings).
    promised: bool,
    first_ns: Option<u64>,
    second_ns: Option<u64>,
    first_output_ns: Option<u64>,
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    total_tokens: Option<u64>,
    /// llama.cpp's `timings.predicted_n`: the server's own token count, sent even when the
    /// request did not ask for usage.
    predicted_tokens: Option<u64>,
    /// Whether an event carried reasoning text (`reasoning_content`, `reasoning`, the
    /// Responses API's reasoning deltas).
    reasoning_seen: bool,
    /// The usage details the server sent.
    details: UsageDetails,
}

impl RequestMetrics {
    /// An empty set of metrics (buffers grow to the largest response seen, then stay).
    pub fn new() -> Self {
        Self::default()
    }

    /// Metrics read back from a `profile_export.jsonl` line, in raw units (`gauntlet merge`
    /// aggregates the lines of several workers as one run's processor would have).
    pub fn restored(
        values: impl IntoIterator<Item = (RecordMetric, f64)>,
        inter_chunk_ns: Vec<u64>,
        status: RequestStatus,
        error: Option<ErrorInfo>,
    ) -> Self {
        let mut metrics = Self {
            inter_chunk_ns,
            status,
            error: error.unwrap_or_default(),
            ..Self::default()
        };
        for (metric, value) in values {
            metrics.values[metric as usize] = Some(value);
        }
        metrics
    }

    /// A per-request metric, in its raw unit (ns, bytes, tokens, tokens/s).
    #[inline]
    pub fn get(&self, metric: RecordMetric) -> Option<f64> {
        self.values[metric as usize]
    }

    /// Gaps between consecutive content events, in ns.
    pub fn inter_chunk_ns(&self) -> &[u64] {
        &self.inter_chunk_ns
    }

    /// Success, failure or cancellation.
    pub fn status(&self) -> RequestStatus {
        self.status
    }

    /// Events of a successful request that were not one JSON object and were skipped (the
    /// other events carried the reply).
    pub fn malformed_events(&self) -> u32 {
        self.malformed_events
    }

    /// Whether the output length missed the length the request asked for, when it asked.
    pub fn osl_mismatched(&self) -> Option<bool> {
        self.osl_mismatched
    }

    /// The error of a failed request.
    pub fn error(&self) -> Option<&ErrorInfo> {
        (self.status == RequestStatus::Failed).then_some(&self.error)
    }

    fn set(&mut self, metric: RecordMetric, value: f64) {
        self.values[metric as usize] = Some(value);
    }

    /// Derives every metric of `record`; `input_tokens` is the exact prompt length.
    pub fn derive(&mut self, record: &RequestRecord, input_tokens: u32, ctx: &DeriveContext) {
        self.values = [None; RECORD_METRIC_COUNT];
        self.osl_mismatched = None;
        self.inter_chunk_ns.clear();
        self.text.clear();
        self.error.code = None;
        self.error.kind.clear();
        self.error.message.clear();
        self.status = match record.outcome {
            Outcome::Success => RequestStatus::Success,
            Outcome::Cancelled => RequestStatus::Cancelled,
            _ => RequestStatus::Failed,
        };
        if self.status == RequestStatus::Failed {
            self.fill_error(record, ctx.redactor);
        }
        self.malformed_events = 0;
        self.derive_common(record, input_tokens);
        if ctx.endpoint == EndpointType::ImageRetrieval {
            // Its body carries images only: there is no input text to count.
            self.values[RecordMetric::InputSequenceLength as usize] = None;
        }
        if self.status != RequestStatus::Success {
            return;
        }
        let scan = self.scan_events(record, ctx);
        if self.status == RequestStatus::Success && !scan.promised {
            self.fail_unusable(record, &scan, ctx);
        }
        if self.status == RequestStatus::Success
            && matches!(
                ctx.endpoint,
                EndpointType::ImageGeneration | EndpointType::ImageEdit
            )
        {
            if let Some(n) = super::kinds::output_images(&record.body) {
                self.set(RecordMetric::NumOutputImages, n as f64);
            }
        }
        if self.status == RequestStatus::Success && ctx.endpoint == EndpointType::ImageRetrieval {
            self.derive_images(record);
        }
        if self.status != RequestStatus::Success || !ctx.endpoint.produces_tokens() {
            // An error event inside the stream, or no usable reply: the output is not a
            // completed response.
            self.inter_chunk_ns.clear();
            return;
        }
        self.malformed_events = scan.malformed;
        self.derive_tokens(record, &scan, ctx);
    }

    /// A 2xx response without what its endpoint promises: an error grouped by what was
    /// wrong. The messages are fixed per kind, so one misbehaving server makes one group.
    fn fail_unusable(&mut self, record: &RequestRecord, scan: &Scan, ctx: &DeriveContext) {
        let (kind, message) = if scan.events == 0 || record.body.is_empty() {
            if record.bytes_received > 0 {
                (
                    "NoSseData",
                    "the SSE stream has no data: event with a payload (lines without data:)",
                )
            } else if record.status == 204 {
                (
                    "EmptyResponse",
                    "HTTP 204 No Content: a success must carry the reply",
                )
            } else {
                ("EmptyResponse", "the reply has an empty body")
            }
        } else if scan.malformed == scan.events {
            if ctx.streaming {
                (
                    "InvalidJson",
                    "no event of the stream is a JSON object (truncated, not JSON, or lines \
                     not split: the parser splits SSE lines on LF and CRLF)",
                )
            } else {
                (
                    "InvalidJson",
                    "the body is not a JSON object (truncated by its Content-Length, or not JSON)",
                )
            }
        } else if let Some(api) = Api::of(ctx.endpoint) {
            ("MissingOutput", api.missing_message())
        } else {
            super::kinds::missing_reply(ctx.endpoint)
        };
        self.status = RequestStatus::Failed;
        self.error.code = Some(record.status);
        self.error.kind.push_str(kind);
        self.error.message.push_str(message);
    }

    /// Image retrieval: the images the reply reports (one `data` element each), and the
    /// request latency per image and images per second of it (AIPerf's image metrics).
    fn derive_images(&mut self, record: &RequestRecord) {
        let Some(n) = super::kinds::output_images(&record.body).filter(|&n| n > 0) else {
            return;
        };
        self.set(RecordMetric::NumImages, n as f64);
        if let Some(latency_ns) = self.values[RecordMetric::RequestLatency as usize] {
            self.set(RecordMetric::ImageLatency, latency_ns / n as f64);
            if latency_ns > 0.0 {
                self.set(RecordMetric::ImageThroughput, n as f64 * 1e9 / latency_ns);
            }
        }
    }

    fn derive_common(&mut self, record: &RequestRecord, input_tokens: u32) {
        use RecordMetric as M;
        let sent = record.sent_ns;
        if sent > 0 {
            self.set(
                M::CreditToStartLatency,
                sent.saturating_sub(record.scheduled_ns) as f64,
            );
            if record.done_ns >= sent {
                self.set(M::RequestLatency, (record.done_ns - sent) as f64);
            }
            if record.first_byte_ns >= sent {
                self.set(M::HttpWaiting, (record.first_byte_ns - sent) as f64);
            }
            self.set(M::HttpConnecting, record.connect_ns as f64);
            self.set(
                M::HttpConnectionReused,
                f64::from(u8::from(record.connection_reused)),
            );
            self.set(M::HttpDataSent, f64::from(record.bytes_sent));
        }
        if record.first_byte_ns > 0 {
            self.set(M::HttpChunksReceived, f64::from(record.chunks_received));
            self.set(M::HttpDataReceived, record.bytes_received as f64);
        }
        self.set(M::InputSequenceLength, f64::from(input_tokens));
    }

    /// One pass over the events: content timing, the last usage, and error events.
    fn scan_events(&mut self, record: &RequestRecord, ctx: &DeriveContext) -> Scan {
        if let Some(field) = ctx.reply_field {
            return self.scan_reply_field(record, ctx, field);
        }
        let streaming = ctx.streaming;
        let redactor = ctx.redactor;
        let promised = super::kinds::promised_key(ctx.endpoint);
        let api = Api::of(ctx.endpoint);
        let mut api_usage = ApiUsage::default();
        let mut scan = Scan::default();
        let mut prev_ns: Option<u64> = None;
        // A non-streaming response is one "event": the whole body, arriving at the end.
        for (payload, ts_ns) in record.reply_payloads() {
            scan.events += 1;
            if super::kinds::is_bare_array_reply(ctx.endpoint, payload) {
                scan.promised = true;
                continue;
            }
            if !is_json_object(payload) {
                // An `event: error` whose data is not JSON is still an error event.
                if ERROR
                    .find(payload)
                    .is_some_and(|e| value_kind(e) != ValueKind::Null)
                {
                    self.fill_error_event(payload, redactor);
                    return scan;
                }
                scan.malformed += 1;
                continue;
            }
            let text = match api {
                None => {
                    // One event with the key is enough: later events skip the search.
                    scan.promised = scan.promised || promised.find(payload).is_some();
                    content_of(payload)
                }
                Some(api) => {
                    let facts = api.facts(payload);
                    scan.promised |= facts.promised;
                    if facts.error {
                        self.fill_error_event(payload, redactor);
                        return scan;
                    }
                    if let Some(usage) = facts.usage {
                        if let Some(object) = find_object(payload, &USAGE) {
                            read_details(object, &mut scan.details);
                        }
                        merge_usage(&mut api_usage, usage);
                        scan.prompt_tokens = api_usage.input;
                        scan.completion_tokens = api_usage.output;
                        scan.total_tokens = api_usage.total;
                    }
                    facts.text
                }
            };
            if let Some((is_output, _)) = text {
                scan.reasoning_seen |= !is_output;
                if scan.first_ns.is_none() {
                    scan.first_ns = Some(ts_ns);
                } else if scan.second_ns.is_none() {
                    scan.second_ns = Some(ts_ns);
                }
                if is_output && scan.first_output_ns.is_none() {
                    scan.first_output_ns = Some(ts_ns);
                }
                if let Some(prev) = prev_ns {
                    if streaming {
                        self.inter_chunk_ns.push(ts_ns.saturating_sub(prev));
                    }
                }
                prev_ns = Some(ts_ns);
            } else if let Some(error) = ERROR.find(payload) {
                if value_kind(error) != ValueKind::Null {
                    self.fill_error_event(payload, redactor);
                    return scan;
                }
            }
            if api.is_none() {
                read_usage(payload, &mut scan);
                // A whole reply's message may carry reasoning beside its content (a stream
                // sends it in deltas of its own, seen above).
                if !streaming && !scan.reasoning_seen {
                    scan.reasoning_seen = reasoning_of(payload).is_some();
                }
            }
        }
        scan
    }

    fn derive_tokens(&mut self, record: &RequestRecord, scan: &Scan, ctx: &DeriveContext) {
        use RecordMetric as M;
        let osl = match scan.completion_tokens.or(scan.predicted_tokens) {
            Some(n) => n as f64,
            None => {
                // A template or raw run's text was collected while scanning.
                match Api::of(ctx.endpoint) {
                    _ if ctx.reply_field.is_some() => {}
                    Some(api) => self.collect_api_text(record, api),
                    None => self.collect_text(record),
                }
                f64::from((ctx.count_tokens)(&self.text))
            }
        };
        self.set(M::OutputSequenceLength, osl);
        self.set(M::OutputTokenCount, osl);
        if let Some(n) = scan.prompt_tokens {
            self.set(M::UsagePromptTokens, n as f64);
        }
        if let Some(n) = scan.completion_tokens {
            self.set(M::UsageCompletionTokens, n as f64);
        }
        if let Some(n) = scan.total_tokens {
            self.set(M::UsageTotalTokens, n as f64);
        }
        self.derive_details(record, scan, ctx);
        let latency_ns = self.get(M::RequestLatency);
        if let Some(latency) = latency_ns.filter(|&l| l > 0.0) {
            self.set(M::E2eOutputTokenThroughput, osl * 1e9 / latency);
        }
        if !ctx.streaming {
            self.inter_chunk_ns.clear();
            return;
        }
        let sent = record.sent_ns;
        let Some(first) = scan.first_ns else {
            return;
        };
        let ttft = first.saturating_sub(sent) as f64;
        self.set(M::TimeToFirstToken, ttft);
        if let Some(isl) = self.get(M::InputSequenceLength).filter(|_| ttft > 0.0) {
            self.set(M::PrefillThroughputPerUser, isl * 1e9 / ttft);
        }
        if let Some(second) = scan.second_ns {
            self.set(M::TimeToSecondToken, second.saturating_sub(first) as f64);
        }
        if let Some(first_output) = scan.first_output_ns {
            self.set(
                M::TimeToFirstOutputToken,
                first_output.saturating_sub(sent) as f64,
            );
        }
        if let Some(latency) = latency_ns {
            if osl > 1.0 {
                let itl = (latency - ttft).max(0.0) / (osl - 1.0);
                self.set(M::InterTokenLatency, itl);
                if itl > 0.0 {
                    self.set(M::OutputTokenThroughputPerUser, 1e9 / itl);
                }
            }
        }
    }

    /// Concatenates the unescaped generated text of every content event (reasoning included:
    /// usage's `completion_tokens` counts it too).
    fn collect_text(&mut self, record: &RequestRecord) {
        self.text.clear();
        if record.events.is_empty() {
            if let Some((_, raw)) = content_of(&record.body) {
                push_unescaped(&mut self.text, raw);
            }
            return;
        }
        for (payload, _) in record.event_payloads() {
            if !is_json_object(payload) {
                continue;
            }
            if let Some((_, raw)) = content_of(payload) {
                push_unescaped(&mut self.text, raw);
            }
        }
    }

    /// [`Self::collect_text`] for the APIs read by event type: every text their reader finds.
    fn collect_api_text(&mut self, record: &RequestRecord, api: Api) {
        self.text.clear();
        let text = &mut self.text;
        let mut push = |_: bool, raw: &[u8]| push_unescaped(text, raw);
        if record.events.is_empty() {
            api.each_text(&record.body, &mut push);
            return;
        }
        for (payload, _) in record.event_payloads() {
            if is_json_object(payload) {
                api.each_text(payload, &mut push);
            }
        }
    }

    fn fill_error(&mut self, record: &RequestRecord, redactor: &Redactor) {
        self.error.code = (record.status != 0).then_some(record.status);
        let kind = match record.outcome {
            Outcome::HttpError => http::StatusCode::from_u16(record.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("HttpError"),
            Outcome::Transport => "TransportError",
            Outcome::Timeout => "Timeout",
            Outcome::ServerError => "ServerError",
            Outcome::ResponseTooLarge => "ResponseTooLarge",
            Outcome::EncodedResponse => "EncodedResponse",
            // AIPerf's error type for the same failure.
            Outcome::JobFailed => "VideoGenerationError",
            Outcome::Success | Outcome::Cancelled => "Error",
        };
        self.error.kind.push_str(kind);
        match &record.error {
            Some(message) => push_truncated(&mut self.error.message, &redactor.redact(message)),
            None => {
                use std::fmt::Write;
                let _ = write!(self.error.message, "{kind} (HTTP status {})", record.status);
            }
        }
    }

    /// An `{"error": …}` event inside a 2xx stream: the request failed with the server's message.
    fn fill_error_event(&mut self, payload: &[u8], redactor: &Redactor) {
        self.status = RequestStatus::Failed;
        self.error.kind.push_str("ServerError");
        let parsed: Option<serde_json::Value> = serde_json::from_slice(payload).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let message = &mut self.error.message;
        let mut push = |text: &str| push_truncated(message, &redactor.redact(text));
        match error {
            Some(serde_json::Value::String(s)) => push(s),
            Some(obj) => {
                // Anthropic's error event (`event: error` wraps it once more):
                // `{"type":"error","error":{"type":…,"message":…}}`.
                let obj = obj.get("error").filter(|e| e.is_object()).unwrap_or(obj);
                match obj.get("message").and_then(|m| m.as_str()) {
                    Some(m) => push(m),
                    None => push(&obj.to_string()),
                }
                self.error.code = obj
                    .get("code")
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok());
                if let Some(t) = obj.get("type").and_then(|t| t.as_str()) {
                    self.error.kind.clear();
                    self.error.kind.push_str(&redactor.redact(t));
                }
            }
            None => push(&String::from_utf8_lossy(payload)),
        }
    }
}

/// The generated text of an event, if it carries any: `(is_output, raw JSON string)`.
/// `content`/`text` are output; `reasoning_content`/`reasoning` are reasoning.
fn content_of(payload: &[u8]) -> Option<(bool, &[u8])> {
    event_text(payload).map(|(key, raw)| (key.is_output(), raw))
}

/// Reads `usage` when the event has a non-null usage object; later events overwrite earlier.
fn read_usage(payload: &[u8], scan: &mut Scan) {
    if let Some(timings) = TIMINGS.find(payload) {
        if timings.first() == Some(&b'{') {
            let start = timings.as_ptr() as usize - payload.as_ptr() as usize;
            if let Some(n) = PREDICTED_N.find_u64(&payload[start..]) {
                scan.predicted_tokens = Some(n);
            }
        }
    }
    let Some(value) = USAGE.find(payload) else {
        return;
    };
    if value.first() != Some(&b'{') {
        return;
    }
    // `Key::find` returns a subslice of `payload`; scan from the usage object onwards.
    let start = value.as_ptr() as usize - payload.as_ptr() as usize;
    let usage = &payload[start..];
    if let Some(object) = container_at(payload, start) {
        read_details(object, &mut scan.details);
    }
    let prompt = PROMPT_TOKENS.find_u64(usage);
    let completion = COMPLETION_TOKENS.find_u64(usage);
    let total = TOTAL_TOKENS.find_u64(usage);
    if prompt.is_some() || completion.is_some() || total.is_some() {
        scan.prompt_tokens = prompt;
        scan.completion_tokens = completion;
        scan.total_tokens = total;
    }
}

/// Appends a raw JSON string (quotes included), unescaped; plain strings skip serde_json.
fn push_unescaped(out: &mut String, raw: &[u8]) {
    let inner = match raw {
        [b'"', inner @ .., b'"'] => inner,
        _ => return,
    };
    if !inner.contains(&b'\\') {
        if let Ok(s) = std::str::from_utf8(inner) {
            out.push_str(s);
        }
    } else if let Ok(s) = serde_json::from_slice::<String>(raw) {
        out.push_str(&s);
    }
}

fn push_truncated(out: &mut String, message: &str) {
    match message.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => {
            out.push_str(&message[..cut]);
            out.push('…');
        }
        None => out.push_str(message),
    }
}

#[cfg(test)]
#[path = "derive_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "derive_api_tests.rs"]
mod api_tests;

#[cfg(test)]
#[path = "derive_usage_tests.rs"]
mod usage_tests;

#[path = "derive_template.rs"]
mod template;

#[path = "derive_details.rs"]
mod details;
