//! Incremental Server-Sent Events framing, right at every read boundary.
//!
//! Reads arrive cut anywhere: a `data:` line may be split across reads, one read may hold many
//! events. The parser copies `data:` payloads straight into the record's body (the only copy)
//! and keeps just the unfinished tail line between reads. It never parses JSON; that happens
//! off the hot path in the record processor.

use super::record::RequestRecord;

/// Per-connection SSE state, reused across requests.
#[derive(Debug, Default)]
pub struct SseParser {
    /// An incomplete line carried over from the previous read.
    partial: Vec<u8>,
    /// Whether the current event has received a `data:` line yet.
    in_event: bool,
    /// Whether the current event was declared `event: error`.
    error_event: bool,
    /// The last read ended with a CR: a LF starting the next read ends the same line.
    skip_lf: bool,
    /// Nothing of this stream has been read yet (a leading UTF-8 BOM is dropped).
    at_start: bool,
}

/// Bytes of unfinished line the parser keeps allocated between responses.
const KEPT_PARTIAL_BYTES: usize = 64 * 1024;

/// The UTF-8 byte order mark a stream may start with (the SSE specification drops it).
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Prefix added to payloads of `event: error` events so the processor sees them as errors
/// even when their data is not an OpenAI error object.
pub const ERROR_EVENT_PREFIX: &[u8] = b"{\"error\":";

impl SseParser {
    /// A parser with room for a typical split line.
    pub fn new() -> Self {
        Self {
            partial: Vec::with_capacity(512),
            in_event: false,
            error_event: false,
            skip_lf: false,
            at_start: true,
        }
    }

    /// Forgets any state from a previous response; a line buffer that one response grew past
    /// [`KEPT_PARTIAL_BYTES`] (a huge line without a newline) gives its memory back.
    pub fn reset(&mut self) {
        self.partial.clear();
        if self.partial.capacity() > KEPT_PARTIAL_BYTES {
            self.partial.shrink_to(KEPT_PARTIAL_BYTES);
        }
        self.in_event = false;
        self.error_event = false;
        self.skip_lf = false;
        self.at_start = true;
    }

    /// Feeds one read that arrived at `ts_ns`; completed events land in `record`.
    ///
    /// Lines end with LF, CRLF or a lone CR, as the SSE specification allows.
    pub fn feed(&mut self, mut data: &[u8], ts_ns: u64, record: &mut RequestRecord) {
        if data.is_empty() {
            return;
        }
        if self.at_start {
            self.at_start = false;
            data = data.strip_prefix(BOM).unwrap_or(data);
        }
        if self.skip_lf {
            self.skip_lf = false;
            data = data.strip_prefix(b"\n").unwrap_or(data);
        }
        if !self.partial.is_empty() {
            match memchr::memchr2(b'\n', b'\r', data) {
                None => {
                    self.partial.extend_from_slice(data);
                    return;
                }
                Some(pos) => {
                    let mut line = std::mem::take(&mut self.partial);
                    line.extend_from_slice(&data[..pos]);
                    self.line(&line, ts_ns, record);
                    line.clear();
                    self.partial = line;
                    data = self.after_line_end(data, pos);
                }
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', data) {
            self.line(&data[..pos], ts_ns, record);
            data = self.after_line_end(data, pos);
        }
        self.partial.extend_from_slice(data);
    }

    /// The bytes after the line end at `pos`: past its LF, its CRLF, or its lone CR (a CR that
    /// ends the read may be the first half of a CRLF the next read completes).
    fn after_line_end<'d>(&mut self, data: &'d [u8], pos: usize) -> &'d [u8] {
        match (data[pos], data.get(pos + 1)) {
            (b'\r', Some(b'\n')) => &data[pos + 2..],
            (b'\r', None) => {
                self.skip_lf = true;
                &data[pos + 1..]
            }
            _ => &data[pos + 1..],
        }
    }

    /// Ends the stream: a final event without its blank line still counts.
    pub fn finish(&mut self, ts_ns: u64, record: &mut RequestRecord) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, ts_ns, record);
            self.partial = line;
            self.partial.clear();
        }
        self.dispatch(ts_ns, record);
    }

    fn line(&mut self, line: &[u8], ts_ns: u64, record: &mut RequestRecord) {
        if line.is_empty() {
            self.dispatch(ts_ns, record);
            return;
        }
        if let Some(rest) = line.strip_prefix(b"data:") {
            let payload = rest.strip_prefix(b" ").unwrap_or(rest);
            if payload == b"[DONE]" {
                record.saw_done = true;
                return;
            }
            if self.in_event {
                record.body.push(b'\n');
            } else {
                self.in_event = true;
                if self.error_event {
                    record.body.extend_from_slice(ERROR_EVENT_PREFIX);
                }
            }
            record.body.extend_from_slice(payload);
        } else if let Some(rest) = line.strip_prefix(b"event:") {
            let name = rest.strip_prefix(b" ").unwrap_or(rest);
            self.error_event = name == b"error";
        }
        // Comments (":"), "id:", "retry:" and unknown fields carry nothing we measure.
    }

    fn dispatch(&mut self, ts_ns: u64, record: &mut RequestRecord) {
        if self.in_event {
            if self.error_event {
                // Close the wrapper so the payload stays one JSON value.
                record.body.push(b'}');
            }
            record.events.push(super::record::EventMark {
                end: record.body.len() as u64,
                ts_ns,
            });
        }
        self.in_event = false;
        self.error_event = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &[u8] = b"data: {\"a\":1}\n\ndata: {\"b\":2}\n\n: keep-alive\n\ndata: {\"c\":3}\r\n\r\ndata: [DONE]\n\n";

    fn events(record: &RequestRecord) -> Vec<(String, u64)> {
        record
            .event_payloads()
            .map(|(p, ts)| (String::from_utf8_lossy(p).into_owned(), ts))
            .collect()
    }

    #[test]
    fn one_read_with_many_events() {
        let mut parser = SseParser::new();
        let mut record = RequestRecord::default();
        parser.feed(STREAM, 5, &mut record);
        parser.finish(6, &mut record);
        let got = events(&record);
        assert_eq!(
            got,
            vec![
                ("{\"a\":1}".into(), 5),
                ("{\"b\":2}".into(), 5),
                ("{\"c\":3}".into(), 5)
            ]
        );
        assert!(record.saw_done);
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        for cut in 0..=STREAM.len() {
            for cut2 in cut..=STREAM.len() {
                let mut parser = SseParser::new();
                let mut record = RequestRecord::default();
                parser.feed(&STREAM[..cut], 1, &mut record);
                parser.feed(&STREAM[cut..cut2], 2, &mut record);
                parser.feed(&STREAM[cut2..], 3, &mut record);
                parser.finish(4, &mut record);
                let payloads: Vec<String> = events(&record).into_iter().map(|e| e.0).collect();
                assert_eq!(
                    payloads,
                    ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"],
                    "cuts {cut} {cut2}"
                );
                assert!(record.saw_done);
            }
        }
    }

    #[test]
    fn timestamps_are_those_of_the_completing_read() {
        let mut parser = SseParser::new();
        let mut record = RequestRecord::default();
        parser.feed(b"data: {\"a\"", 10, &mut record);
        parser.feed(b":1}\n", 20, &mut record);
        parser.feed(b"\n", 30, &mut record);
        assert_eq!(events(&record), vec![("{\"a\":1}".into(), 30)]);
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        let mut parser = SseParser::new();
        let mut record = RequestRecord::default();
        parser.feed(b"data: {\"a\":\ndata: 1}\n\n", 1, &mut record);
        assert_eq!(events(&record)[0].0, "{\"a\":\n1}");
    }

    #[test]
    fn error_events_are_wrapped_as_error_objects() {
        let mut parser = SseParser::new();
        let mut record = RequestRecord::default();
        parser.feed(
            b"event: error\ndata: {\"message\":\"boom\"}\n\n",
            1,
            &mut record,
        );
        let payload = &events(&record)[0].0;
        let v: serde_json::Value = serde_json::from_str(payload).unwrap();
        assert_eq!(v["error"]["message"], "boom");
    }

    /// The SSE specification's framing: LF, CRLF and lone CR line ends (each split at every
    /// point), an optional space after the colon, a leading BOM, `id:`/`retry:`/comment lines
    /// and unknown fields ignored, and an event without its blank line at the end.
    #[test]
    fn every_line_end_the_specification_allows_and_its_other_framing() {
        let cases: [&[u8]; 4] = [
            b"data: {\"a\":1}\n\ndata:{\"b\":2}\n\n",
            b"data: {\"a\":1}\r\n\r\ndata:{\"b\":2}\r\n\r\n",
            b"data: {\"a\":1}\r\rdata:{\"b\":2}\r\r",
            b"\xEF\xBB\xBF: hello\rid: 7\r\nretry: 10\nfoo: bar\ndata: {\"a\":1}\r\n\rdata:{\"b\":2}",
        ];
        for stream in cases {
            for cut in 0..=stream.len() {
                let mut parser = SseParser::new();
                let mut record = RequestRecord::default();
                parser.feed(&stream[..cut], 1, &mut record);
                parser.feed(&stream[cut..], 2, &mut record);
                parser.finish(3, &mut record);
                let payloads: Vec<String> = events(&record).into_iter().map(|e| e.0).collect();
                assert_eq!(
                    payloads,
                    ["{\"a\":1}", "{\"b\":2}"],
                    "{:?} cut at {cut}",
                    String::from_utf8_lossy(stream)
                );
            }
        }
    }

    #[test]
    fn a_bom_counts_only_at_the_start_and_state_resets_between_responses() {
        let mut parser = SseParser::new();
        let mut record = RequestRecord::default();
        // A CR ending one response must not eat the next response's first LF.
        parser.feed(b"data: 1\r", 1, &mut record);
        parser.finish(2, &mut record);
        parser.reset();
        parser.feed(b"\ndata: 2\n\n", 3, &mut record);
        parser.finish(4, &mut record);
        let payloads: Vec<String> = events(&record).into_iter().map(|e| e.0).collect();
        assert_eq!(payloads, ["1", "2"]);
        // A BOM later in the stream is data.
        let mut record = RequestRecord::default();
        parser.reset();
        parser.feed(b"data: x\n\n", 1, &mut record);
        parser.feed(b"data: \xEF\xBB\xBFy\n\n", 2, &mut record);
        assert_eq!(record.body, b"x\xEF\xBB\xBFy");
    }

    #[test]
    fn unterminated_last_event_is_kept_at_finish() {
        let mut parser = SseParser::new();
        let mut record = RequestRecord::default();
        parser.feed(b"data: {\"a\":1}", 1, &mut record);
        parser.finish(2, &mut record);
        assert_eq!(events(&record), vec![("{\"a\":1}".into(), 2)]);
        assert!(!record.saw_done);
    }

    /// A connection's parser is reset between responses: an aborted response's unfinished
    /// line and event do not leak into the next, and the next may start with its own BOM.
    #[test]
    fn reset_forgets_an_aborted_response() {
        let mut parser = SseParser::new();
        let mut record = RequestRecord::default();
        parser.feed(b"event: error\ndata: {\"half\"", 1, &mut record);
        parser.reset();
        let mut record = RequestRecord::default();
        parser.feed(b"\xEF\xBB\xBFdata: 2\n\n", 2, &mut record);
        parser.finish(3, &mut record);
        assert_eq!(events(&record), vec![("2".into(), 2)]);
    }

    /// A huge line's buffer is given back at reset down to what a typical response needs,
    /// and one of that size is kept for the next response.
    #[test]
    fn reset_keeps_a_moderate_line_buffer_and_shrinks_a_huge_one() {
        let mut parser = SseParser::new();
        let mut record = RequestRecord::default();
        let moderate = vec![b'x'; KEPT_PARTIAL_BYTES / 2];
        parser.feed(b"data: ", 1, &mut record);
        parser.feed(&moderate, 1, &mut record);
        let grown = parser.partial.capacity();
        assert!(grown >= KEPT_PARTIAL_BYTES / 2);
        parser.reset();
        assert_eq!(
            parser.partial.capacity(),
            grown,
            "a moderate buffer is kept"
        );
        let huge = vec![b'x'; 4 * KEPT_PARTIAL_BYTES];
        parser.feed(b"data: ", 1, &mut record);
        parser.feed(&huge, 1, &mut record);
        parser.reset();
        let kept = parser.partial.capacity();
        assert!(
            (KEPT_PARTIAL_BYTES..2 * KEPT_PARTIAL_BYTES).contains(&kept),
            "{kept}"
        );
        assert_eq!(KEPT_PARTIAL_BYTES, 65_536);
    }

    /// A CRLF (or a CR and the LF of the next read) ends one line, not two: a multi-line
    /// event framed with CRLF stays one event, wherever the reads are cut.
    #[test]
    fn a_crlf_inside_a_multi_line_event_ends_one_line() {
        let stream: &[u8] = b"data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n";
        for cut in 0..=stream.len() {
            let mut parser = SseParser::new();
            let mut record = RequestRecord::default();
            parser.feed(&stream[..cut], 1, &mut record);
            parser.feed(&stream[cut..], 2, &mut record);
            parser.finish(3, &mut record);
            let payloads: Vec<String> = events(&record).into_iter().map(|e| e.0).collect();
            assert_eq!(payloads, ["a\nb", "c"], "cut at {cut}");
        }
    }
}
