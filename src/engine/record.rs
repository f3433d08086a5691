//! The per-request record: what the engine measured, before any metric is derived.
//!
//! Records are preallocated and recycled through a pool: the engine fills one per request on
//! the hot path (timestamps and raw bytes only, no JSON parsing), hands it to the record
//! processor through a lock-free queue, and gets it back cleared. The processor derives
//! metrics from it off the hot path.

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outcome {
    /// The response completed (HTTP 2xx, stream finished).
    #[default]
    Success,
    /// The server answered with a non-2xx status.
    HttpError,
    /// Connecting, writing or reading failed (refused, reset, closed early).
    Transport,
    /// The request outlived `--request-timeout-seconds`.
    Timeout,
    /// The run was stopped (Ctrl-C or the end of a duration run) while the request was in flight.
    Cancelled,
    /// The server sent an error object inside a 2xx response (an SSE error event).
    ServerError,
    /// The response body passed `--max-response-bytes`; the connection was dropped.
    ResponseTooLarge,
    /// A 2xx response came compressed (`Content-Encoding`) although the request asked for
    /// `identity`; its body was not read.
    EncodedResponse,
    /// A `video_generation` job the server reported `failed`, or answered without a job id.
    JobFailed,
}

impl Outcome {
    /// Whether the request counts as failed (cancelled requests are counted apart).
    pub fn is_error(self) -> bool {
        !matches!(self, Outcome::Success | Outcome::Cancelled)
    }
}

/// One SSE event (or the whole body of a non-streaming response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventMark {
    /// End offset of this event's `data:` payload in [`RequestRecord::body`]; the payload
    /// starts where the previous event ended. A u64, not a u32: `--max-response-bytes` may be
    /// raised past 4 GiB, and the mark is 16 bytes either way.
    pub end: u64,
    /// Monotonic ns when the read that completed this event arrived.
    pub ts_ns: u64,
}

/// Body bytes a recycled record keeps allocated: far above a typical reply (a few KB), so
/// only an outsized one gives memory back.
pub const KEPT_BODY_BYTES: usize = 1 << 20;
/// Event marks a recycled record keeps allocated (16 bytes each).
pub const KEPT_EVENTS: usize = 1 << 14;

/// Everything measured about one request. Field names say their unit.
#[derive(Debug, Clone, Default)]
pub struct RequestRecord {
    /// Position of the request in the run (0-based, across phases).
    pub request_index: u64,
    /// Index of the workload entry (dataset row) the payload came from.
    pub entry_index: u32,
    /// For a session turn sent with history: the request whose conversation it carries, so
    /// the input length can count the whole conversation.
    pub history_request: Option<u64>,
    /// Index of the phase in `Plan::phases`.
    pub phase_index: u8,
    /// Which `--url` served the request.
    pub url_index: u16,
    /// Monotonic ns when the schedule released the request (the credit was issued).
    pub scheduled_ns: u64,
    /// Monotonic ns just before the request was written to the connection.
    pub sent_ns: u64,
    /// Monotonic ns when the response head arrived.
    pub first_byte_ns: u64,
    /// Monotonic ns when the response finished (or failed).
    pub done_ns: u64,
    /// Time spent connecting, when this request opened a new connection.
    pub connect_ns: u64,
    /// Whether the request reused a kept-alive connection.
    pub connection_reused: bool,
    /// Whether the schedule released it while one of its phase's ramps was still rising.
    pub in_ramp: bool,
    /// HTTP status, 0 when none arrived.
    pub status: u16,
    /// How the request ended.
    pub outcome: Outcome,
    /// Error text for failed requests (allocated only on failure).
    pub error: Option<String>,
    /// Whether the stream ended with `data: [DONE]`.
    pub saw_done: bool,
    /// Request body size in bytes.
    pub bytes_sent: u32,
    /// Response body bytes received (before SSE framing is removed).
    pub bytes_received: u64,
    /// HTTP body frames received.
    pub chunks_received: u32,
    /// Concatenated `data:` payloads of the SSE events (or the whole non-streaming body).
    pub body: Vec<u8>,
    /// One mark per SSE event, in arrival order.
    pub events: Vec<EventMark>,
}

impl RequestRecord {
    /// A record whose buffers are ready for a typical response without reallocating.
    pub fn with_capacity(body_bytes: usize, events: usize) -> Self {
        Self {
            body: Vec::with_capacity(body_bytes),
            events: Vec::with_capacity(events),
            ..Self::default()
        }
    }

    /// Clears the record for reuse, keeping its buffers unless one response made them larger
    /// than [`KEPT_BODY_BYTES`] / [`KEPT_EVENTS`]: a huge reply's memory goes back at once
    /// instead of staying with a pooled record for the rest of the run.
    pub fn reset(&mut self) {
        let mut body = std::mem::take(&mut self.body);
        let mut events = std::mem::take(&mut self.events);
        body.clear();
        events.clear();
        if body.capacity() > KEPT_BODY_BYTES {
            body.shrink_to(KEPT_BODY_BYTES);
        }
        if events.capacity() > KEPT_EVENTS {
            events.shrink_to(KEPT_EVENTS);
        }
        *self = Self {
            body,
            events,
            ..Self::default()
        };
    }

    /// Appends one event's payload with its arrival time.
    #[inline]
    pub fn push_event(&mut self, payload: &[u8], ts_ns: u64) {
        self.body.extend_from_slice(payload);
        self.events.push(EventMark {
            end: self.body.len() as u64,
            ts_ns,
        });
    }

    /// Iterates over `(payload, ts_ns)` of every event.
    pub fn event_payloads(&self) -> impl Iterator<Item = (&[u8], u64)> {
        let mut start = 0usize;
        self.events.iter().map(move |mark| {
            let end = mark.end as usize;
            let payload = &self.body[start..end];
            start = end;
            (payload, mark.ts_ns)
        })
    }

    /// The reply as `(payload, ts_ns)` pieces: every SSE event, or, for a response that was
    /// not a stream, the whole body once, stamped when it ended.
    pub fn reply_payloads(&self) -> impl Iterator<Item = (&[u8], u64)> {
        let whole = self
            .events
            .is_empty()
            .then_some((self.body.as_slice(), self.done_ns));
        self.event_payloads().chain(whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_the_body_in_order() {
        let mut record = RequestRecord::with_capacity(64, 4);
        record.push_event(b"{\"a\":1}", 10);
        record.push_event(b"{\"b\":2}", 20);
        let events: Vec<_> = record.event_payloads().collect();
        assert_eq!(
            events,
            vec![(&b"{\"a\":1}"[..], 10), (&b"{\"b\":2}"[..], 20)]
        );
    }

    #[test]
    fn reset_keeps_capacity_and_clears_fields() {
        let mut record = RequestRecord::with_capacity(64, 4);
        record.push_event(b"xyz", 1);
        record.status = 200;
        record.reset();
        assert!(record.body.is_empty() && record.events.is_empty());
        assert_eq!(record.status, 0);
        assert!(record.body.capacity() >= 64);
    }

    #[test]
    fn reset_gives_back_the_memory_of_an_outsized_reply() {
        let mut record = RequestRecord::with_capacity(64, 4);
        record.push_event(&vec![b'x'; 8 * KEPT_BODY_BYTES], 1);
        for i in 0..2 * KEPT_EVENTS as u64 {
            record.push_event(b"", i);
        }
        record.reset();
        assert!(record.body.capacity() <= KEPT_BODY_BYTES);
        assert!(record.events.capacity() <= KEPT_EVENTS);
    }
}
