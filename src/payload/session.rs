//! Pre-rendered pieces of multi-turn chat bodies.
//!
//! A turn's body is `{"messages":[` + the conversation so far + its own user message +
//! `],` + the rest of the body (the Responses API: `{"input":[` …, the same `{role, content}`
//! items; the Messages API: `{"messages":[` …, as chat). Only the conversation is known late (it holds the server's
//! real replies), so everything else is rendered before the clock into two arenas, and the
//! engine assembles a body with a few copies and no JSON formatting.

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::Value;

use super::{render_body_with_media, PayloadArena, RenderOptions};
use crate::config::EndpointType;
use crate::dataset::Workload;

const HEAD: &[u8] = b"{\"messages\":[";
const RESPONSES_HEAD: &[u8] = b"{\"input\":[";

/// Why session bodies cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum SessionRenderError {
    /// Conversations only exist in the chat, Responses and Messages APIs.
    #[error(
        "multi-turn sessions need --endpoint-type chat, responses or messages (got {})",
        .0.name()
    )]
    NotChat(EndpointType),
    /// An extra input replaced `messages`, so turns have nowhere to go.
    #[error("--extra-inputs sets `messages`, which multi-turn sessions build themselves")]
    MessagesOverridden,
}

/// The user message and body tail of every workload entry; or, for `raw` sessions, every
/// turn's whole body, sent as it is.
#[derive(Debug, Clone, Default)]
pub struct SessionBodies {
    users: PayloadArena,
    tails: PayloadArena,
    endpoint: Option<EndpointType>,
    /// `users` holds whole bodies that carry their own conversation (`raw` session files).
    verbatim: bool,
}

impl SessionBodies {
    /// Renders the pieces of every entry of `workload` with the run's options.
    pub fn build(opts: &RenderOptions, workload: &Workload) -> Result<Self, SessionRenderError> {
        Self::build_per_model(std::slice::from_ref(opts), workload, |_| 0)
    }

    /// [`SessionBodies::build`] with several models: entry `i` is rendered with
    /// `opts[model_of(i)]` (the options differ only in their model; the caller gives every
    /// turn of a session the same one).
    pub fn build_per_model(
        opts: &[RenderOptions],
        workload: &Workload,
        model_of: impl Fn(usize) -> usize,
    ) -> Result<Self, SessionRenderError> {
        let key = match opts.first().map_or(EndpointType::Chat, |o| o.endpoint) {
            EndpointType::Chat | EndpointType::Messages => "messages",
            EndpointType::Responses => "input",
            other => return Err(SessionRenderError::NotChat(other)),
        };
        let mut users = Vec::with_capacity(workload.entries.len());
        let mut tails = Vec::with_capacity(workload.entries.len());
        for (i, entry) in workload.entries.iter().enumerate() {
            let opts = &opts[model_of(i).min(opts.len() - 1)];
            let body = render_body_with_media(opts, &entry.prompt, entry.max_tokens, &entry.media);
            let (user, tail) = split(&body, key)?;
            users.push(user);
            tails.push(tail);
        }
        let user_bytes = users.iter().map(Vec::len).sum();
        let tail_bytes = tails.iter().map(Vec::len).sum();
        Ok(Self {
            users: PayloadArena::build(users, user_bytes),
            tails: PayloadArena::build(tails, tail_bytes),
            endpoint: opts.first().map(|o| o.endpoint),
            verbatim: false,
        })
    }

    /// Sessions whose turns are whole bodies, each sent as it is (`raw` session files): no
    /// conversation is added, since each body already holds its own.
    pub fn verbatim(bodies: PayloadArena) -> Self {
        Self {
            users: bodies,
            tails: PayloadArena::default(),
            endpoint: Some(EndpointType::Raw),
            verbatim: true,
        }
    }

    /// Whether turns are sent as they are, without the conversation so far.
    pub fn is_verbatim(&self) -> bool {
        self.verbatim
    }

    /// The API the bodies are for (chat when built empty), which decides how a reply is read.
    pub fn endpoint(&self) -> EndpointType {
        self.endpoint.unwrap_or(EndpointType::Chat)
    }

    /// Entry `index`'s user message, a JSON object.
    pub fn user(&self, index: usize) -> &[u8] {
        self.users.body_bytes(index)
    }

    /// Writes entry `index`'s body after `history` (comma-separated message objects, possibly
    /// empty) into `buf` and returns it. `buf` gives its memory back once the returned bytes
    /// are dropped, so a worker that keeps one buffer stops allocating after its first turns.
    pub fn assemble(&self, buf: &mut BytesMut, history: &[u8], index: usize) -> Bytes {
        if self.verbatim {
            return self.users.body(index);
        }
        let user = self.users.body_bytes(index);
        let tail = self.tails.body_bytes(index);
        let head = match self.endpoint {
            Some(EndpointType::Responses) => RESPONSES_HEAD,
            _ => HEAD,
        };
        buf.reserve(head.len() + history.len() + 1 + user.len() + tail.len());
        buf.put_slice(head);
        if !history.is_empty() {
            buf.put_slice(history);
            buf.put_u8(b',');
        }
        buf.put_slice(user);
        buf.put_slice(tail);
        buf.split().freeze()
    }
}

/// Splits a rendered single-message body into its user message (the one item of `key`; a
/// Responses `input` string becomes a user item) and the `],...}` tail.
fn split(body: &[u8], key: &str) -> Result<(Vec<u8>, Vec<u8>), SessionRenderError> {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(body) else {
        // render_body always emits an object; anything else is a bug upstream.
        return Err(SessionRenderError::MessagesOverridden);
    };
    let message = match map.remove(key) {
        Some(Value::Array(mut messages)) if messages.len() == 1 => messages.remove(0),
        // `type` is optional in OpenAI's API; llama.cpp's server wants it on every item.
        Some(Value::String(prompt)) if key == "input" => {
            serde_json::json!({ "type": "message", "role": "user", "content": prompt })
        }
        _ => return Err(SessionRenderError::MessagesOverridden),
    };
    let user = serde_json::to_vec(&message).unwrap_or_default();
    let rest = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
    let mut tail = Vec::with_capacity(rest.len() + 2);
    tail.push(b']');
    if rest.len() > 2 {
        tail.push(b',');
        tail.extend_from_slice(&rest[1..]);
    } else {
        tail.push(b'}');
    }
    Ok((user, tail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::WorkloadEntry;
    use crate::payload::render_body;

    fn opts(endpoint: EndpointType) -> RenderOptions {
        RenderOptions {
            model: "m".into(),
            endpoint,
            streaming: true,
            extra_inputs: vec![("temperature".into(), Value::from(0.5))],
            output_length: Default::default(),
        }
    }

    fn workload() -> Workload {
        Workload::single_turn(vec![
            WorkloadEntry::single("s0".into(), "first \"q\"".into(), 3, Some(7)),
            WorkloadEntry::single("s0".into(), "second".into(), 1, None),
        ])
    }

    #[test]
    fn assembled_bodies_are_the_rendered_body_plus_history() {
        let bodies = SessionBodies::build(&opts(EndpointType::Chat), &workload()).unwrap();
        let mut buf = BytesMut::new();
        let first = bodies.assemble(&mut buf, b"", 0);
        let expected: Value = serde_json::from_slice(&render_body(
            &opts(EndpointType::Chat),
            "first \"q\"",
            Some(7),
        ))
        .unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&first).unwrap(), expected);

        let history =
            br#"{"role":"user","content":"first \"q\""},{"role":"assistant","content":"a\nb"}"#;
        let second: Value = serde_json::from_slice(&bodies.assemble(&mut buf, history, 1)).unwrap();
        let messages = second["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[1]["content"], "a\nb");
        assert_eq!(messages[2]["content"], "second");
        assert_eq!(second["temperature"], 0.5);
        assert_eq!(second["stream"], true);
        assert!(second.get("max_tokens").is_none());
    }

    #[test]
    fn a_user_message_with_media_keeps_its_content_parts() {
        let mut w = workload();
        w.entries[0].media.push(crate::media::MediaPart::Audio {
            format: "wav".into(),
            data: "UklG".into(),
        });
        let bodies = SessionBodies::build(&opts(EndpointType::Chat), &w).unwrap();
        let user: Value = serde_json::from_slice(bodies.user(0)).unwrap();
        assert_eq!(user["role"], "user");
        assert_eq!(user["content"][0]["text"], "first \"q\"");
        assert_eq!(user["content"][1]["input_audio"]["data"], "UklG");
        let second: Value = serde_json::from_slice(bodies.user(1)).unwrap();
        assert_eq!(second["content"], "second");
    }

    #[test]
    fn the_buffer_is_reused_once_bodies_are_dropped() {
        let bodies = SessionBodies::build(&opts(EndpointType::Chat), &workload()).unwrap();
        let mut buf = BytesMut::with_capacity(4096);
        let base = bodies.assemble(&mut buf, b"", 0).as_ptr() as usize;
        // Far more bytes than the buffer holds: every body still lands inside it.
        for _ in 0..500 {
            let body = bodies.assemble(&mut buf, b"", 0);
            let at = body.as_ptr() as usize;
            assert!(
                at >= base && at + body.len() <= base + 4096,
                "a new allocation"
            );
        }
    }

    #[test]
    fn responses_and_messages_sessions_use_their_own_conversation_field() {
        let history = br#"{"role":"user","content":"a"},{"role":"assistant","content":"b"}"#;
        for (endpoint, key) in [
            (EndpointType::Responses, "input"),
            (EndpointType::Messages, "messages"),
        ] {
            let bodies = SessionBodies::build(&opts(endpoint), &workload()).unwrap();
            assert_eq!(bodies.endpoint(), endpoint);
            let mut buf = BytesMut::new();
            let body: Value =
                serde_json::from_slice(&bodies.assemble(&mut buf, history, 1)).unwrap();
            let items = body[key].as_array().unwrap();
            assert_eq!(items.len(), 3, "{body}");
            assert_eq!(items[2]["role"], "user");
            assert_eq!(items[2]["content"], "second");
            let typed = endpoint == EndpointType::Responses;
            assert_eq!(items[2].get("type").is_some(), typed, "{body}");
            assert_eq!(body["model"], "m");
            assert_eq!(body["stream"], true);
        }
    }

    #[test]
    fn other_endpoints_are_refused() {
        let err = SessionBodies::build(&opts(EndpointType::Completions), &workload()).unwrap_err();
        assert!(err.to_string().contains("--endpoint-type chat"));
    }
}
