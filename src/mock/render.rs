//! Rendering responses in vLLM's exact JSON shapes, without serde.
//!
//! Every event is a per-request `head` (`{"id":…,"object":…,"created":…,"model":…,`) followed
//! by constant byte strings and the generated words, appended into one buffer. The `head` is
//! rendered once per request; nothing else is formatted.

use std::sync::LazyLock;

use bytes::{BufMut, BytesMut};

use super::request::{FinishReason, GenKind};

/// The generated vocabulary: common English words, each one token in common BPE vocabularies
/// when preceded by a space. 64 entries so indexing is a mask.
const WORDS: [&str; 64] = [
    " the", " of", " and", " to", " in", " is", " it", " that", " was", " for", " on", " are",
    " with", " as", " at", " be", " this", " have", " from", " or", " by", " one", " had", " not",
    " but", " what", " all", " were", " when", " we", " there", " can", " an", " your", " which",
    " their", " said", " if", " do", " will", " each", " about", " how", " up", " out", " them",
    " then", " she", " many", " some", " so", " these", " would", " other", " into", " has",
    " more", " her", " two", " like", " him", " see", " time", " could",
];

/// [`WORDS`] twice over, concatenated, with each word's start offset (and the end): any run
/// of up to 64 consecutive tokens is one contiguous slice, copied at once.
static WORD_RUNS: LazyLock<(Vec<u8>, Vec<usize>)> = LazyLock::new(|| {
    let mut text = Vec::new();
    let mut starts = Vec::with_capacity(2 * WORDS.len() + 1);
    for word in WORDS.iter().chain(WORDS.iter()) {
        starts.push(text.len());
        text.extend_from_slice(word.as_bytes());
    }
    starts.push(text.len());
    (text, starts)
});

/// Longest entry of [`WORDS`], for capacity estimates.
const MAX_WORD_LEN: usize = 7;

const DATA: &[u8] = b"data: ";
const CHAT_ROLE: &[u8] =
    b"\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
const CHAT_DELTA_OPEN: &[u8] = b"\"choices\":[{\"index\":0,\"delta\":{\"content\":\"";
const CHAT_DELTA_CLOSE: &[u8] = b"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
const CHAT_DELTA_FINISH: &[u8] = b"\"},\"logprobs\":null,\"finish_reason\":";
const CMPL_TEXT_OPEN: &[u8] = b"\"choices\":[{\"index\":0,\"text\":\"";
const CMPL_TEXT_CLOSE: &[u8] =
    b"\",\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null}]}\n\n";
const CMPL_TEXT_FINISH: &[u8] = b"\",\"logprobs\":null,\"finish_reason\":";
const STOP_CLOSE_EVENT: &[u8] = b",\"stop_reason\":null}]}\n\n";
const USAGE_OPEN: &[u8] = b"\"choices\":[],\"usage\":{\"prompt_tokens\":";
const TOTAL: &[u8] = b",\"total_tokens\":";
const COMPLETION: &[u8] = b",\"completion_tokens\":";
const DONE: &[u8] = b"data: [DONE]\n\n";
/// The SSE error event of `error_event_every`.
pub(crate) const ERROR_EVENT: &[u8] = b"data: {\"error\":{\"message\":\"mock error event\",\"type\":\"InternalServerError\",\"code\":500}}\n\n";

/// Appends `n` in decimal.
pub(crate) fn put_u64(out: &mut BytesMut, n: u64) {
    out.put_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// The per-request part of every event, rendered once: `data: ` + `{"id":…,"object":…,
/// "created":…,"model":…,` + the opening of a content event, so a content event costs three
/// copies (prefix, words, close) instead of five.
#[derive(Debug)]
pub(crate) struct Head {
    bytes: BytesMut,
    json_end: usize,
}

impl Head {
    /// `data: {"id":…,"model":…,` — the start of any SSE event.
    fn sse(&self) -> &[u8] {
        &self.bytes[..self.json_end]
    }

    /// `{"id":…,"model":…,` — the start of a non-streaming body.
    fn json(&self) -> &[u8] {
        &self.bytes[DATA.len()..self.json_end]
    }

    /// `data: {"id":…,"model":…,"choices":[{…"content":"` — everything before a content
    /// event's words.
    fn content_prefix(&self) -> &[u8] {
        &self.bytes
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }
}

/// Renders the [`Head`] of request `seq`. `model_json` is a JSON string literal, quotes
/// included.
pub(crate) fn render_head(
    kind: GenKind,
    streaming: bool,
    seq: u64,
    created: u64,
    model_json: &[u8],
) -> Head {
    if kind.always_reports_usage() {
        return api_render::head(kind, seq, created, model_json);
    }
    let (id, object, open): (&[u8], &[u8], &[u8]) = match (kind, streaming) {
        (GenKind::Chat, true) => (b"chatcmpl", b"chat.completion.chunk", CHAT_DELTA_OPEN),
        (GenKind::Chat, false) => (b"chatcmpl", b"chat.completion", b""),
        (GenKind::Completions, _) => (b"cmpl", b"text_completion", CMPL_TEXT_OPEN),
        _ => (b"", b"", b""), // the other APIs' heads: api_render::head
    };
    let mut head = BytesMut::with_capacity(160 + model_json.len());
    head.put_slice(DATA);
    head.put_slice(b"{\"id\":\"");
    head.put_slice(id);
    head.put_slice(b"-mock-");
    put_u64(&mut head, seq);
    head.put_slice(b"\",\"object\":\"");
    head.put_slice(object);
    head.put_slice(b"\",\"created\":");
    put_u64(&mut head, created);
    head.put_slice(b",\"model\":");
    head.put_slice(model_json);
    head.put_u8(b',');
    let json_end = head.len();
    head.put_slice(open);
    Head {
        bytes: head,
        json_end,
    }
}

/// One event of a streaming response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// Chat only: `delta: {role: assistant, content: ""}`.
    Role,
    /// Content event number `n` (0-based).
    Content(u32),
    /// `choices: []` with `usage`.
    Usage,
    /// The injected SSE error event.
    Error,
    /// `data: [DONE]`.
    Done,
    /// The injected abrupt close: nothing is rendered, the connection is cut.
    Drop,
}

/// Which wait precedes an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Sent right after the previous event.
    None,
    /// Time to first token.
    Ttft,
    /// Inter-token latency.
    Itl,
}

/// A fault chosen for a streaming request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamFault {
    /// A normal response.
    None,
    /// First content event, then the connection is cut.
    Drop,
    /// First content event, an SSE error event, then `[DONE]`.
    ErrorEvent,
}

/// Everything needed to render one response, event by event or whole.
#[derive(Debug)]
pub(crate) struct ResponsePlan {
    /// Chat or completions.
    pub kind: GenKind,
    /// From [`render_head`].
    pub head: Head,
    /// Tokens to generate.
    pub output_tokens: u32,
    /// Tokens per content event (≥ 1).
    pub tokens_per_chunk: u32,
    /// Offset into the word list, so consecutive requests do not repeat the same text.
    pub word_offset: usize,
    /// Whether to send the usage event.
    pub include_usage: bool,
    /// Reported `prompt_tokens`.
    pub prompt_tokens: u64,
    /// Reported `finish_reason`.
    pub finish: FinishReason,
    /// Injected fault, if any.
    pub fault: StreamFault,
}

impl ResponsePlan {
    /// Content events of a normal response: ⌈output_tokens / tokens_per_chunk⌉.
    pub(crate) fn content_events(&self) -> u32 {
        self.output_tokens.div_ceil(self.tokens_per_chunk.max(1))
    }

    fn sent_content_events(&self) -> u32 {
        match self.fault {
            StreamFault::None => self.content_events(),
            _ => self.content_events().min(1),
        }
    }

    /// Event number `i` of the stream, or `None` past the end.
    pub(crate) fn event(&self, i: usize) -> Option<Event> {
        if self.kind.always_reports_usage() {
            return api_render::event(self, i);
        }
        let role = usize::from(self.kind == GenKind::Chat);
        if i < role {
            return Some(Event::Role);
        }
        let contents = self.sent_content_events() as usize;
        if i < role + contents {
            return u32::try_from(i - role).ok().map(Event::Content);
        }
        let rest = i - role - contents;
        let tail: &[Event] = match (self.fault, self.include_usage) {
            (StreamFault::None, true) => &[Event::Usage, Event::Done],
            (StreamFault::None, false) => &[Event::Done],
            (StreamFault::Drop, _) => &[Event::Drop],
            (StreamFault::ErrorEvent, _) => &[Event::Error, Event::Done],
        };
        tail.get(rest).copied()
    }

    /// The wait before event `ev`: TTFT before the first event carrying generated output
    /// (the role event and first content event go out together, as in vLLM), ITL between
    /// content events.
    pub(crate) fn wait_before(&self, ev: Event) -> Wait {
        if self.kind.always_reports_usage() {
            return api_render::wait_before(self, ev);
        }
        match (ev, self.kind) {
            (Event::Role, _) | (Event::Content(0), GenKind::Completions) => Wait::Ttft,
            (Event::Content(0), GenKind::Chat) => Wait::None,
            (Event::Content(_), _) => Wait::Itl,
            _ => Wait::None,
        }
    }

    /// Tokens in content event `n`.
    fn tokens_in(&self, n: u32) -> u32 {
        let k = self.tokens_per_chunk.max(1);
        let start = n.saturating_mul(k);
        self.output_tokens.saturating_sub(start).min(k)
    }

    fn put_words(&self, out: &mut BytesMut, first_token: u32, count: u32) {
        let (text, starts) = &*WORD_RUNS;
        let mut token = first_token as usize;
        let mut left = count as usize;
        while left > 0 {
            let run = left.min(WORDS.len());
            let i = (self.word_offset + token) & (WORDS.len() - 1);
            out.put_slice(&text[starts[i]..starts[i + run]]);
            token += run;
            left -= run;
        }
    }

    fn put_usage_fields(&self, out: &mut BytesMut) {
        let completion = u64::from(self.output_tokens);
        put_u64(out, self.prompt_tokens);
        out.put_slice(TOTAL);
        put_u64(out, self.prompt_tokens + completion);
        out.put_slice(COMPLETION);
        put_u64(out, completion);
    }

    /// Generated tokens the client will actually receive (fewer than planned on a fault).
    pub(crate) fn delivered_tokens(&self) -> u64 {
        match self.fault {
            StreamFault::None => u64::from(self.output_tokens),
            _ => u64::from(self.tokens_in(0)),
        }
    }

    /// Upper bound on the bytes of one event, for reserving.
    pub(crate) fn max_event_len(&self) -> usize {
        self.head.len() + 160 + self.tokens_per_chunk.max(1) as usize * MAX_WORD_LEN
    }

    /// Upper bound on the bytes of the whole stream.
    pub(crate) fn stream_len_estimate(&self) -> usize {
        let events = self.sent_content_events() as usize + 3;
        events * (self.head.len() + 160)
            + self.output_tokens as usize * MAX_WORD_LEN
            + ERROR_EVENT.len()
    }

    /// Appends event `ev` in SSE framing. [`Event::Drop`] renders nothing.
    pub(crate) fn render_event(&self, ev: Event, out: &mut BytesMut) {
        if self.kind.always_reports_usage() {
            return api_render::render_event(self, ev, out);
        }
        match ev {
            Event::Role => {
                out.put_slice(self.head.sse());
                out.put_slice(CHAT_ROLE);
            }
            Event::Content(n) => {
                let last = self.fault == StreamFault::None && n + 1 == self.content_events();
                let (close, finish) = match self.kind {
                    GenKind::Chat => (CHAT_DELTA_CLOSE, CHAT_DELTA_FINISH),
                    GenKind::Completions => (CMPL_TEXT_CLOSE, CMPL_TEXT_FINISH),
                    _ => (CMPL_TEXT_CLOSE, CMPL_TEXT_FINISH), // api_render renders them
                };
                out.put_slice(self.head.content_prefix());
                let k = self.tokens_per_chunk.max(1);
                self.put_words(out, n.saturating_mul(k), self.tokens_in(n));
                if last {
                    // vLLM puts finish_reason on the event that carries the last token.
                    out.put_slice(finish);
                    out.put_slice(self.finish.json());
                    out.put_slice(STOP_CLOSE_EVENT);
                } else {
                    out.put_slice(close);
                }
            }
            Event::Usage => {
                out.put_slice(self.head.sse());
                out.put_slice(USAGE_OPEN);
                self.put_usage_fields(out);
                out.put_slice(b"}}\n\n");
            }
            Event::Error => out.put_slice(ERROR_EVENT),
            Event::Done => out.put_slice(DONE),
            Event::Drop => {}
        }
    }

    /// Renders every event up to (not including) a [`Event::Drop`] into one buffer.
    pub(crate) fn render_stream(&self) -> BytesMut {
        let mut out = BytesMut::with_capacity(self.stream_len_estimate());
        let mut i = 0;
        while let Some(ev) = self.event(i) {
            if ev == Event::Drop {
                break;
            }
            self.render_event(ev, &mut out);
            i += 1;
        }
        out
    }

    /// Renders the non-streaming JSON response (always with `usage`).
    pub(crate) fn render_full(&self) -> BytesMut {
        let mut out = BytesMut::with_capacity(
            self.head.len() + 300 + self.output_tokens as usize * MAX_WORD_LEN,
        );
        if self.kind.always_reports_usage() {
            api_render::render_full(self, &mut out);
            return out;
        }
        out.put_slice(self.head.json());
        match self.kind {
            GenKind::Chat => {
                out.put_slice(
                    b"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"",
                );
                self.put_words(&mut out, 0, self.output_tokens);
                out.put_slice(b"\",\"tool_calls\":[]},\"logprobs\":null,\"finish_reason\":");
                out.put_slice(self.finish.json());
                out.put_slice(b",\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":");
                self.put_usage_fields(&mut out);
                out.put_slice(b",\"prompt_tokens_details\":null},\"prompt_logprobs\":null}");
            }
            GenKind::Completions => {
                out.put_slice(CMPL_TEXT_OPEN);
                self.put_words(&mut out, 0, self.output_tokens);
                out.put_slice(CMPL_TEXT_FINISH);
                out.put_slice(self.finish.json());
                out.put_slice(b",\"stop_reason\":null,\"prompt_logprobs\":null}],\"usage\":{\"prompt_tokens\":");
                self.put_usage_fields(&mut out);
                out.put_slice(b",\"prompt_tokens_details\":null}}");
            }
            _ => {} // api_render::render_full above
        }
        out
    }
}

#[path = "api_render.rs"]
mod api_render;

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
