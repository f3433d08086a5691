//! untimed_content_multi_turn: real conversations, ShareGPT style
//! (`conversations: [{from: human|gpt, value}]`) or OpenAI style
//! (`messages: [{role: user|assistant, content}]`). Each user message followed by an assistant
//! reply is one turn, chained linearly: the engine sends the previous turn's conversation with
//! the server's real reply, then this user message. `max_tokens` is the recorded reply's length
//! in tokens (as vLLM's ShareGPT benchmark does). Leading assistant messages, system messages
//! and a trailing unanswered user message are skipped, as in Veeksha. Rows sharing a
//! `session_id` are one conversation.

use rayon::prelude::*;
use serde_json::Value;

use super::rows::{group_by, Row};
use super::{
    linear_links, Content, FlavorError, FlavorOptions, Loc, SessionTemplate, Trace, TurnTemplate,
};
use crate::tokenizer::Tokenizer;

const FLAVOR: &str = "untimed_content_multi_turn";
const NEEDS: &str = "conversations [{from, value}] or messages [{role, content}]";

enum Speaker {
    User,
    Assistant,
    Other,
}

/// A user message and the reply that answered it.
struct Pair {
    at: Loc,
    user: String,
    reply: String,
}

/// Rows → one linear session per conversation.
pub(crate) fn parse(
    rows: Vec<Row>,
    opts: &FlavorOptions,
    tokenizer: &Tokenizer,
) -> Result<Trace, FlavorError> {
    let mut conversations = Vec::new();
    for (id, group) in group_by(rows, "session_id")? {
        let mut pairs = Vec::new();
        for row in &group {
            let found = pairs_of(row, opts)?;
            if found.is_empty() {
                return Err(FlavorError::EmptyConversation { at: row.at.clone() });
            }
            pairs.extend(found);
        }
        if pairs.len() > usize::from(u16::MAX) {
            return Err(FlavorError::Topology {
                at: group[0].at.clone(),
                session: id,
                reason: format!("{} turns; at most {} are supported", pairs.len(), u16::MAX),
            });
        }
        conversations.push(pairs);
    }
    let sessions = conversations
        .into_par_iter()
        .map(|pairs| {
            let turns = pairs
                .into_iter()
                .enumerate()
                .map(|(i, pair)| {
                    let count = |text: &str| {
                        tokenizer.count(text).map_err(|source| FlavorError::Count {
                            at: pair.at.clone(),
                            source,
                        })
                    };
                    let tokens = count(&pair.user)?;
                    let reply_tokens = count(&pair.reply)?;
                    let (parents, history) = linear_links(i);
                    Ok(TurnTemplate {
                        at: pair.at.clone(),
                        max_tokens: Some(reply_tokens.max(1)),
                        content: Content::Text {
                            text: pair.user,
                            tokens,
                        },
                        parents,
                        history,
                        delay_ms: 0,
                        timestamp_ms: None,
                    })
                })
                .collect::<Result<_, FlavorError>>()?;
            Ok(SessionTemplate { turns })
        })
        .collect::<Result<_, FlavorError>>()?;
    Ok(Trace {
        sessions,
        documents: Vec::new(),
        grouped: true,
    })
}

/// The (user, reply) pairs of one row's conversation.
fn pairs_of(row: &Row, opts: &FlavorOptions) -> Result<Vec<Pair>, FlavorError> {
    let column = match &opts.conversation_column {
        Some(column) => column.as_str(),
        None if row.has("conversations") => "conversations",
        None => "messages",
    };
    let value = row
        .opt_json(column)?
        .ok_or_else(|| FlavorError::MissingColumn {
            at: row.at.clone(),
            key: column.to_string(),
            flavor: FLAVOR,
            needs: NEEDS,
        })?;
    let Value::Array(messages) = value else {
        return Err(FlavorError::WrongType {
            at: row.at.clone(),
            key: column.to_string(),
            expected: "a list of messages",
            found: value.to_string().chars().take(60).collect(),
        });
    };
    let mut parsed = Vec::with_capacity(messages.len());
    for (index, message) in messages.iter().enumerate() {
        parsed.push(message_of(row, column, index, message)?);
    }
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < parsed.len() {
        match (&parsed[i], parsed.get(i + 1)) {
            ((Speaker::User, user), Some((Speaker::Assistant, reply))) => {
                pairs.push(Pair {
                    at: row.at.clone(),
                    user: user.clone(),
                    reply: reply.clone(),
                });
                i += 2;
            }
            _ => i += 1,
        }
    }
    Ok(pairs)
}

fn message_of(
    row: &Row,
    column: &str,
    index: usize,
    message: &Value,
) -> Result<(Speaker, String), FlavorError> {
    let (role_key, content_key) = if message.get("from").is_some() {
        ("from", "value")
    } else {
        ("role", "content")
    };
    let field = |key: &str| -> Result<&str, FlavorError> {
        match message.get(key) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(FlavorError::MissingColumn {
                at: row.at.clone(),
                key: format!("{column}[{index}].{key}"),
                flavor: FLAVOR,
                needs: NEEDS,
            }),
            Some(other) => Err(FlavorError::WrongType {
                at: row.at.clone(),
                key: format!("{column}[{index}].{key}"),
                expected: "a string",
                found: other.to_string().chars().take(60).collect(),
            }),
        }
    };
    let role = field(role_key)?;
    let speaker = match role.to_ascii_lowercase().as_str() {
        "human" | "user" => Speaker::User,
        "gpt" | "assistant" | "chatgpt" | "model" | "bard" => Speaker::Assistant,
        "system" => Speaker::Other,
        _ => {
            return Err(FlavorError::UnknownRole {
                at: row.at.clone(),
                index,
                key: role_key,
                role: role.to_string(),
            })
        }
    };
    let content = match speaker {
        Speaker::Other => String::new(),
        _ => field(content_key)?.to_string(),
    };
    Ok((speaker, content))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{count, error_of, load, temp_trace};
    use super::super::{FlavorOptions, TraceFlavor};

    const FLAVOR: TraceFlavor = TraceFlavor::UntimedContentMultiTurn;

    #[test]
    fn human_turns_become_a_linear_session_with_reply_lengths() {
        let w = load(FLAVOR, "sharegpt.jsonl", &FlavorOptions::default()).unwrap();
        assert_eq!(w.sessions.len(), 3);
        let s = w.session(0);
        assert_eq!(s.len(), 2, "the trailing unanswered question is skipped");
        assert_eq!(s[0].prompt, "What is the capital of France?");
        assert_eq!(s[0].input_tokens, count("What is the capital of France?"));
        assert_eq!(
            s[0].max_tokens,
            Some(count("The capital of France is Paris."))
        );
        assert_eq!(s[1].prompt, "And of Italy?");
        assert_eq!(
            (s[1].turn.parents.clone(), s[1].turn.history),
            (vec![0], Some(0))
        );
        assert!(s
            .iter()
            .all(|e| e.timestamp_ms.is_none() && e.turn.delay_ms == 0));
        // OpenAI style with a system prompt and a leading assistant message.
        let s = w.session(1);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].prompt, "Write a haiku about rain.");
        // Two rows with one session_id are one conversation.
        assert_eq!(w.session(2).len(), 2);
        assert_eq!(w.session(2)[1].prompt, "Thanks!");
    }

    #[test]
    fn json_array_files_and_wrapping_keep_the_real_text() {
        let opts = FlavorOptions {
            target_sessions: Some(5),
            ..FlavorOptions::default()
        };
        let w = load(FLAVOR, "sharegpt_array.json", &opts).unwrap();
        assert_eq!(w.sessions.len(), 5);
        let firsts: Vec<&str> = (0..5).map(|i| w.session(i)[0].prompt.as_str()).collect();
        assert_eq!(&firsts[..2], &["Hello there", "Name a prime."]);
        assert!(firsts[2..]
            .iter()
            .all(|p| ["Hello there", "Name a prime."].contains(p)));
    }

    #[test]
    fn malformed_conversations_are_named() {
        let (_d, path) = temp_trace(
            "c.jsonl",
            "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"robot\", \"value\": \"x\"}]}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("c.jsonl:1: message 1 has unknown from role 'robot'"),
            "{msg}"
        );

        let (_d, path) = temp_trace(
            "c.jsonl",
            "{\"conversations\": [{\"from\": \"gpt\", \"value\": \"hi\"}]}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(msg.contains("c.jsonl:1: empty conversation"), "{msg}");

        let (_d, path) = temp_trace(
            "c.jsonl",
            "{\"messages\": [{\"role\": \"user\"}, {\"role\": \"assistant\", \"content\": \"x\"}]}\n",
        );
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("missing column 'messages[0].content'"),
            "{msg}"
        );

        let (_d, path) = temp_trace("c.jsonl", "{\"text\": \"hello\"}\n");
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("c.jsonl:1: missing column 'messages'"),
            "{msg}"
        );

        let (_d, path) = temp_trace("c.jsonl", "{\"conversations\": \"nope\"}\n");
        let msg = error_of(FLAVOR, &path);
        assert!(
            msg.contains("column 'conversations' should be JSON"),
            "{msg}"
        );
    }
}
