//! Reading the replies of the non-OpenAI-chat generation APIs exactly, by each event's type:
//! the OpenAI Responses API, Anthropic's Messages API and Hugging Face TGI.
//!
//! The chat and completions replies are read by [`super::reply::event_text`], a type-blind
//! key scan that is exact for their shapes. These APIs repeat text (a Responses
//! `response.completed` event holds the whole output again, TGI's last event its
//! `generated_text`) and nest it in typed blocks, so an event is read by its top-level `type`
//! and only the fields that type defines are taken. The walk is over the object's top-level
//! members ([`members`]), allocation-free; strings stay JSON-escaped.

use super::json_walk::{elements, top_level};
use crate::config::EndpointType;
use crate::json_scan::{value_kind, ValueKind};

/// A generation API read by event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// OpenAI Responses API (`/v1/responses`).
    Responses,
    /// Anthropic Messages API (`/v1/messages`).
    Messages,
    /// Hugging Face TGI (`/generate`, `/generate_stream`).
    Tgi,
}

/// Token usage a reply reported; `None` where it said nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiUsage {
    /// Prompt tokens (`input_tokens`).
    pub input: Option<u64>,
    /// Generated tokens, reasoning included (`output_tokens`, TGI's `generated_tokens`).
    pub output: Option<u64>,
    /// `total_tokens`, where the API sends it (Responses).
    pub total: Option<u64>,
}

/// What one event (or a whole non-streaming body) says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventFacts<'a> {
    /// Whether the event has the API's shape (its promise: a top-level `type`, or TGI's
    /// `token` / `generated_text`).
    pub promised: bool,
    /// Its first generated text: `(is_output, raw JSON string)`; reasoning is not output.
    pub text: Option<(bool, &'a [u8])>,
    /// Whether it is an error event (`type: error`, `response.failed`).
    pub error: bool,
    /// Usage it carries, if any.
    pub usage: Option<ApiUsage>,
}

impl Api {
    /// The API of an endpoint type, or `None` for the types read by key scan.
    pub fn of(endpoint: EndpointType) -> Option<Api> {
        match endpoint {
            EndpointType::Responses => Some(Api::Responses),
            EndpointType::Messages => Some(Api::Messages),
            EndpointType::HuggingfaceGenerate => Some(Api::Tgi),
            _ => None,
        }
    }

    /// The message of a 2xx reply without this API's shape.
    pub fn missing_message(self) -> &'static str {
        match self {
            Api::Responses => {
                "the JSON reply has no \"type\" (stream) or \"output\" (body) of the Responses API"
            }
            Api::Messages => "the JSON reply has no \"type\" of the Anthropic Messages API",
            Api::Tgi => "the JSON reply has no \"token\" (stream) or \"generated_text\" (body)",
        }
    }

    /// Reads one SSE event's payload or a whole non-streaming body.
    pub fn facts(self, doc: &[u8]) -> EventFacts<'_> {
        let mut facts = EventFacts::default();
        match self {
            Api::Responses => responses_facts(doc, &mut facts),
            Api::Messages => messages_facts(doc, &mut facts),
            Api::Tgi => tgi_facts(doc, &mut facts),
        }
        if facts.text.is_none() {
            self.each_text(doc, &mut |is_output, raw| {
                if facts.text.is_none() {
                    facts.text = Some((is_output, raw));
                }
            });
        }
        facts
    }

    /// Calls `f(is_output, raw JSON string)` for every generated text in `doc`, in order:
    /// the delta of a streaming event, or every text block of a whole body. Empty strings are
    /// not text.
    pub fn each_text<'a>(self, doc: &'a [u8], f: &mut dyn FnMut(bool, &'a [u8])) {
        let mut emit = |is_output: bool, value: Option<&'a [u8]>| {
            if let Some(v) = value.filter(|v| value_kind(v) == ValueKind::String) {
                f(is_output, v);
            }
        };
        match self {
            Api::Responses => match top_level(doc, "type") {
                Some(b"\"response.output_text.delta\"") => emit(true, top_level(doc, "delta")),
                Some(b"\"response.reasoning_text.delta\"")
                | Some(b"\"response.reasoning_summary_text.delta\"") => {
                    emit(false, top_level(doc, "delta"))
                }
                // A Response object (a non-streaming body) has no top-level `type`.
                None => {
                    for item in top_level(doc, "output").into_iter().flat_map(elements) {
                        responses_item(item, &mut emit);
                    }
                }
                Some(_) => {}
            },
            Api::Messages => match top_level(doc, "type") {
                Some(b"\"content_block_delta\"") => {
                    if let Some(delta) = top_level(doc, "delta") {
                        match top_level(delta, "type") {
                            Some(b"\"text_delta\"") => emit(true, top_level(delta, "text")),
                            Some(b"\"thinking_delta\"") => {
                                emit(false, top_level(delta, "thinking"))
                            }
                            _ => {}
                        }
                    }
                }
                Some(b"\"message\"") => {
                    for block in top_level(doc, "content").into_iter().flat_map(elements) {
                        match top_level(block, "type") {
                            Some(b"\"text\"") => emit(true, top_level(block, "text")),
                            Some(b"\"thinking\"") => emit(false, top_level(block, "thinking")),
                            _ => {}
                        }
                    }
                }
                _ => {}
            },
            Api::Tgi => match top_level(doc, "token") {
                // A stream event: only its token (the last event repeats the whole text in
                // `generated_text`). Special tokens (end of sequence) are not text.
                Some(token) => {
                    if top_level(token, "special") != Some(b"true") {
                        emit(true, top_level(token, "text"));
                    }
                }
                None => emit(true, top_level(doc, "generated_text")),
            },
        }
    }
}

/// One item of a Response's `output`: a `message`'s `output_text` parts are output; a
/// `reasoning` item's `content` (`reasoning_text`) and `summary` (`summary_text`) are not.
fn responses_item<'a>(item: &'a [u8], emit: &mut impl FnMut(bool, Option<&'a [u8]>)) {
    let (wanted, is_output, lists): (&[u8], bool, &[&str]) = match top_level(item, "type") {
        Some(b"\"message\"") => (b"\"output_text\"", true, &["content"]),
        Some(b"\"reasoning\"") => (b"", false, &["content", "summary"]),
        _ => return,
    };
    for list in lists {
        for part in top_level(item, list).into_iter().flat_map(elements) {
            let kind = top_level(part, "type");
            let take = if is_output {
                kind == Some(wanted)
            } else {
                matches!(
                    kind,
                    Some(b"\"reasoning_text\"") | Some(b"\"summary_text\"")
                )
            };
            if take {
                emit(is_output, top_level(part, "text"));
            }
        }
    }
}

fn responses_facts<'a>(doc: &'a [u8], facts: &mut EventFacts<'a>) {
    match top_level(doc, "type") {
        Some(b"\"response.completed\"") | Some(b"\"response.incomplete\"") => {
            facts.promised = true;
            facts.usage = top_level(doc, "response")
                .and_then(|r| top_level(r, "usage"))
                .map(responses_usage);
        }
        Some(b"\"error\"") | Some(b"\"response.failed\"") => {
            facts.promised = true;
            facts.error = true;
        }
        Some(_) => facts.promised = true,
        None => {
            let output = top_level(doc, "output");
            facts.promised = output.is_some_and(|o| o.first() == Some(&b'['));
            facts.usage = top_level(doc, "usage").map(responses_usage);
        }
    }
}

fn responses_usage(usage: &[u8]) -> ApiUsage {
    ApiUsage {
        input: top_level_u64(usage, "input_tokens"),
        output: top_level_u64(usage, "output_tokens"),
        total: top_level_u64(usage, "total_tokens"),
    }
}

fn messages_facts<'a>(doc: &'a [u8], facts: &mut EventFacts<'a>) {
    let Some(kind) = top_level(doc, "type") else {
        return;
    };
    facts.promised = true;
    match kind {
        // The input count arrives first; the output count in message_delta (cumulative).
        b"\"message_start\"" => {
            let usage = top_level(doc, "message").and_then(|m| top_level(m, "usage"));
            facts.usage = usage.map(|u| ApiUsage {
                input: messages_input(u),
                ..ApiUsage::default()
            });
        }
        b"\"message_delta\"" | b"\"message\"" => {
            facts.usage = top_level(doc, "usage").map(|u| ApiUsage {
                input: messages_input(u),
                output: top_level_u64(u, "output_tokens"),
                total: None,
            });
        }
        b"\"error\"" => facts.error = true,
        _ => {}
    }
}

/// Anthropic's prompt tokens: `input_tokens` counts only the uncached part, so the cache
/// reads and writes are added (llama.cpp reports a reused prompt prefix as
/// `cache_read_input_tokens`).
fn messages_input(usage: &[u8]) -> Option<u64> {
    let input = top_level_u64(usage, "input_tokens")?;
    let cached = ["cache_read_input_tokens", "cache_creation_input_tokens"]
        .iter()
        .filter_map(|key| top_level_u64(usage, key))
        .sum::<u64>();
    Some(input + cached)
}

fn tgi_facts<'a>(doc: &'a [u8], facts: &mut EventFacts<'a>) {
    facts.promised =
        top_level(doc, "token").is_some() || top_level(doc, "generated_text").is_some();
    let generated = top_level(doc, "details").and_then(|d| top_level_u64(d, "generated_tokens"));
    if generated.is_some() {
        facts.usage = Some(ApiUsage {
            output: generated,
            ..ApiUsage::default()
        });
    }
}

fn top_level_u64(doc: &[u8], key: &str) -> Option<u64> {
    crate::json_scan::parse_u64(top_level(doc, key)?)
}

/// Merges a later event's usage into what earlier events reported: a field it carries wins.
pub fn merge_usage(into: &mut ApiUsage, later: ApiUsage) {
    into.input = later.input.or(into.input);
    into.output = later.output.or(into.output);
    into.total = later.total.or(into.total);
}

#[cfg(test)]
#[path = "api_reply_tests.rs"]
mod tests;
