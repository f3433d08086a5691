//! Mooncake JSONL traces: one request per line with `timestamp` (ms), `input_length`,
//! `output_length` and `hash_ids` (one id per block of the prompt, shared blocks share ids).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use serde::Deserialize;

use super::SynthesisError;
use crate::config::MAX_LINE_BYTES;

/// One request of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRequest {
    /// Arrival time in milliseconds from the trace start; `None` when the trace has no timing.
    pub timestamp_ms: Option<f64>,
    /// Prompt length in tokens.
    pub input_length: u32,
    /// Output budget in tokens.
    pub output_length: u32,
    /// One id per prompt block; equal ids mean equal content with an equal prefix.
    pub hash_ids: Vec<u64>,
    /// Session label for multi-turn traces.
    pub session_id: Option<String>,
}

#[derive(Deserialize)]
struct RawRequest {
    #[serde(default)]
    timestamp: Option<f64>,
    input_length: u32,
    output_length: u32,
    #[serde(default)]
    hash_ids: Vec<u64>,
    #[serde(default)]
    session_id: Option<String>,
}

/// Reads a whole trace into memory.
pub fn read_trace(path: &Path) -> Result<Vec<TraceRequest>, SynthesisError> {
    let mut out = Vec::new();
    visit_trace(path, |request| out.push(request))?;
    Ok(out)
}

/// Reads a trace from any reader; `label` names it in errors.
pub fn read_trace_from(
    reader: impl BufRead,
    label: &Path,
) -> Result<Vec<TraceRequest>, SynthesisError> {
    let mut out = Vec::new();
    visit_reader(reader, label, |request| out.push(request))?;
    Ok(out)
}

/// Streams a trace request by request, so a huge trace never sits in memory whole.
/// Returns the number of requests seen.
pub fn visit_trace(path: &Path, visit: impl FnMut(TraceRequest)) -> Result<usize, SynthesisError> {
    let file = File::open(path).map_err(|source| SynthesisError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    visit_reader(BufReader::with_capacity(1 << 20, file), path, visit)
}

fn visit_reader(
    mut reader: impl BufRead,
    label: &Path,
    mut visit: impl FnMut(TraceRequest),
) -> Result<usize, SynthesisError> {
    let mut line = String::new();
    let mut line_number = 0;
    let mut count = 0;
    loop {
        line.clear();
        // At most one byte past the cap is read, so an endless line never fills memory.
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_line(&mut line)
            .map_err(|source| SynthesisError::Io {
                path: label.to_path_buf(),
                source,
            })?;
        if read == 0 {
            break;
        }
        line_number += 1;
        if line.trim_end_matches('\n').len() > MAX_LINE_BYTES {
            return Err(SynthesisError::Parse {
                path: label.to_path_buf(),
                line: line_number,
                message: format!(
                    "the line is longer than {MAX_LINE_BYTES} bytes, the most a line may have \
                     (gauntlet's cap, docs/reliability.md)"
                ),
            });
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        visit(parse_line(text, label, line_number)?);
        count += 1;
    }
    if count == 0 {
        return Err(SynthesisError::Empty {
            path: label.to_path_buf(),
        });
    }
    Ok(count)
}

fn parse_line(text: &str, label: &Path, line: usize) -> Result<TraceRequest, SynthesisError> {
    let error = |message: String| SynthesisError::Parse {
        path: label.to_path_buf(),
        line,
        message,
    };
    let raw: RawRequest = serde_json::from_str(text).map_err(|e| {
        error(format!(
            "{e}; expected {{\"timestamp\": ms, \"input_length\": n, \"output_length\": n, \"hash_ids\": [..]}}"
        ))
    })?;
    if let Some(ts) = raw.timestamp {
        if !ts.is_finite() || ts < 0.0 {
            return Err(error(format!(
                "timestamp {ts} must be a finite number of milliseconds >= 0"
            )));
        }
    }
    Ok(TraceRequest {
        timestamp_ms: raw.timestamp,
        input_length: raw.input_length,
        output_length: raw.output_length,
        hash_ids: raw.hash_ids,
        session_id: raw.session_id,
    })
}

/// Writes requests as mooncake JSONL (whole-millisecond timestamps are written as integers).
pub fn write_trace(path: &Path, requests: &[TraceRequest]) -> Result<(), SynthesisError> {
    let io = |source| SynthesisError::Io {
        path: path.to_path_buf(),
        source,
    };
    crate::atomic_file::write_with(path, |mut out| {
        for request in requests {
            write_request(&mut out, request)?;
        }
        Ok(())
    })
    .map_err(io)
}

fn write_request(out: &mut impl Write, request: &TraceRequest) -> std::io::Result<()> {
    out.write_all(b"{")?;
    if let Some(ts) = request.timestamp_ms {
        // f64's Display never uses exponents and prints 1000.0 as "1000": valid JSON either way.
        write!(out, "\"timestamp\": {ts}, ")?;
    }
    write!(
        out,
        "\"input_length\": {}, \"output_length\": {}, \"hash_ids\": [",
        request.input_length, request.output_length
    )?;
    for (i, id) in request.hash_ids.iter().enumerate() {
        if i > 0 {
            out.write_all(b", ")?;
        }
        write!(out, "{id}")?;
    }
    out.write_all(b"]")?;
    if let Some(session) = &request.session_id {
        let quoted = serde_json::to_string(session).map_err(std::io::Error::other)?;
        write!(out, ", \"session_id\": {quoted}")?;
    }
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<TraceRequest>, SynthesisError> {
        read_trace_from(text.as_bytes(), Path::new("t.jsonl"))
    }

    #[test]
    fn reads_mooncake_lines_and_skips_blank_ones() {
        let trace = parse(
            "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 3, \"hash_ids\": [0, 1]}\n\n\
             {\"input_length\": 1, \"output_length\": 2, \"session_id\": \"s\"}\n",
        )
        .unwrap();
        assert_eq!(trace.len(), 2);
        assert_eq!(trace[0].timestamp_ms, Some(5.0));
        assert_eq!(trace[0].hash_ids, vec![0, 1]);
        assert_eq!(trace[1].timestamp_ms, None);
        assert_eq!(trace[1].session_id.as_deref(), Some("s"));
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let good =
            "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [0]}";
        let cases = [
            (format!("{good}\n{{\"timestamp\": 0"), 2, "EOF"),
            (
                format!("{good}\n{good}\n{{\"input_length\": 1}}"),
                3,
                "output_length",
            ),
            (
                "{\"input_length\": -4, \"output_length\": 1}".to_string(),
                1,
                "input_length",
            ),
            (
                "\n{\"timestamp\": -1, \"input_length\": 1, \"output_length\": 1}".to_string(),
                2,
                "timestamp",
            ),
            (
                "{\"input_length\": 1, \"output_length\": 1, \"hash_ids\": [\"a\"]}".to_string(),
                1,
                "invalid type",
            ),
        ];
        for (text, line, needle) in cases {
            let err = parse(&text).unwrap_err().to_string();
            assert!(err.starts_with(&format!("t.jsonl:{line}: ")), "{err}");
            assert!(err.contains(needle), "{err} lacks {needle}");
        }
        assert!(parse("\n\n")
            .unwrap_err()
            .to_string()
            .contains("no requests"));
    }

    #[test]
    fn write_then_read_round_trips() {
        let requests = vec![
            TraceRequest {
                timestamp_ms: Some(1500.0),
                input_length: 700,
                output_length: 9,
                hash_ids: vec![3, 4],
                session_id: Some("a\"b".into()),
            },
            TraceRequest {
                timestamp_ms: Some(2.5),
                input_length: 1,
                output_length: 1,
                hash_ids: vec![],
                session_id: None,
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        write_trace(&path, &requests).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\"timestamp\": 1500, "), "{text}");
        assert_eq!(read_trace(&path).unwrap(), requests);
    }
}
