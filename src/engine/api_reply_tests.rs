use super::*;

fn texts(api: Api, doc: &[u8]) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    api.each_text(doc, &mut |is_output, raw| {
        out.push((is_output, String::from_utf8_lossy(raw).into_owned()));
    });
    out
}

#[test]
fn responses_stream_events_by_type() {
    let api = Api::Responses;
    let delta = br#"{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"Hi \"x\"","sequence_number":4}"#;
    let facts = api.facts(delta);
    assert_eq!(facts.text, Some((true, &br#""Hi \"x\"""#[..])));
    assert!(facts.promised && !facts.error && facts.usage.is_none());
    let reasoning = br#"{"type":"response.reasoning_text.delta","delta":"think"}"#;
    assert_eq!(api.facts(reasoning).text, Some((false, &b"\"think\""[..])));
    let summary = br#"{"type":"response.reasoning_summary_text.delta","delta":"sum"}"#;
    assert_eq!(api.facts(summary).text, Some((false, &b"\"sum\""[..])));
    // The completed event repeats the whole text: it is usage, not text.
    let completed = br#"{"type":"response.completed","response":{"id":"r","object":"response","error":null,"output":[{"type":"message","content":[{"type":"output_text","text":"Hi \"x\" there"}]}],"usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":0},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":1},"total_tokens":10}}}"#;
    let facts = api.facts(completed);
    assert_eq!(facts.text, None);
    let usage = ApiUsage {
        input: Some(7),
        output: Some(3),
        total: Some(10),
    };
    assert_eq!(facts.usage, Some(usage));
    // Lifecycle events carry nothing; an empty delta is not text.
    for doc in [
        &br#"{"type":"response.created","response":{"output":[{"type":"message","content":[{"type":"output_text","text":"x"}]}]}}"#[..],
        br#"{"type":"response.output_text.done","text":"whole"}"#,
        br#"{"type":"response.output_text.delta","delta":""}"#,
    ] {
        let facts = api.facts(doc);
        assert!(facts.promised && facts.text.is_none() && facts.usage.is_none());
    }
    assert!(
        api.facts(br#"{"type":"error","code":"x","message":"m"}"#)
            .error
    );
    assert!(
        api.facts(br#"{"type":"response.failed","response":{}}"#)
            .error
    );
}

#[test]
fn responses_body_reads_output_items() {
    let body = br#"{"id":"r","object":"response","status":"completed","output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"S"}],"content":[{"type":"reasoning_text","text":"R"}]},{"type":"message","role":"assistant","content":[{"type":"output_text","annotations":[],"text":"A"},{"type":"refusal","refusal":"no"},{"type":"output_text","text":"B"}]}],"usage":{"input_tokens":5,"output_tokens":4,"total_tokens":9}}"#;
    let got = texts(Api::Responses, body);
    let want = [
        (false, "\"R\""),
        (false, "\"S\""),
        (true, "\"A\""),
        (true, "\"B\""),
    ];
    let want: Vec<(bool, String)> = want.iter().map(|(o, t)| (*o, t.to_string())).collect();
    assert_eq!(got, want);
    let facts = Api::Responses.facts(body);
    assert!(facts.promised);
    assert_eq!(facts.text, Some((false, &b"\"R\""[..])));
    assert_eq!(facts.usage.unwrap().output, Some(4));
    assert!(!Api::Responses.facts(br#"{"id":"x"}"#).promised);
}

#[test]
fn messages_stream_events_by_type() {
    let api = Api::Messages;
    let start = br#"{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"usage":{"input_tokens":12,"output_tokens":1}}}"#;
    let facts = api.facts(start);
    assert_eq!(facts.text, None);
    assert_eq!(
        facts.usage,
        Some(ApiUsage {
            input: Some(12),
            ..ApiUsage::default()
        })
    );
    let block_start =
        br#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#;
    assert_eq!(api.facts(block_start).text, None);
    let delta =
        br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#;
    assert_eq!(api.facts(delta).text, Some((true, &b"\"Hello\""[..])));
    let thinking = br#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#;
    assert_eq!(api.facts(thinking).text, Some((false, &b"\"hmm\""[..])));
    let signature = br#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}"#;
    assert_eq!(api.facts(signature).text, None);
    let end = br#"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":16}}"#;
    let mut usage = ApiUsage::default();
    merge_usage(&mut usage, api.facts(start).usage.unwrap());
    merge_usage(&mut usage, api.facts(end).usage.unwrap());
    assert_eq!(
        (usage.input, usage.output, usage.total),
        (Some(12), Some(16), None)
    );
    // llama.cpp's: a reused prompt prefix is a cache read, still part of the prompt.
    let cached = br#"{"type":"message_start","message":{"usage":{"cache_read_input_tokens":37,"input_tokens":1,"output_tokens":0}}}"#;
    assert_eq!(api.facts(cached).usage.unwrap().input, Some(38));
    let error = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    assert!(api.facts(error).error);
    assert!(!api.facts(br#"{"choices":[]}"#).promised);
}

#[test]
fn messages_body_reads_content_blocks() {
    let body = br#"{"id":"m","type":"message","role":"assistant","content":[{"type":"thinking","thinking":"T","signature":"s"},{"type":"text","text":"one"},{"type":"text","text":" two"}],"usage":{"input_tokens":3,"output_tokens":6}}"#;
    let got = texts(Api::Messages, body);
    assert_eq!(
        got,
        vec![
            (false, "\"T\"".to_string()),
            (true, "\"one\"".to_string()),
            (true, "\" two\"".to_string())
        ]
    );
    let usage = Api::Messages.facts(body).usage.unwrap();
    assert_eq!((usage.input, usage.output), (Some(3), Some(6)));
}

#[test]
fn tgi_tokens_not_the_repeated_generated_text() {
    let api = Api::Tgi;
    let token = br#"{"index":1,"token":{"id":5,"text":" a","logprob":-0.1,"special":false},"generated_text":null,"details":null}"#;
    let facts = api.facts(token);
    assert!(facts.promised);
    assert_eq!(facts.text, Some((true, &b"\" a\""[..])));
    assert_eq!(facts.usage, None);
    let last = br#"{"index":3,"token":{"id":2,"text":"</s>","logprob":0.0,"special":true},"generated_text":" a b","details":{"finish_reason":"eos_token","generated_tokens":3,"seed":null}}"#;
    let facts = api.facts(last);
    assert_eq!(facts.text, None);
    assert_eq!(facts.usage.unwrap().output, Some(3));
    let body =
        br#"{"generated_text":" a b","details":{"finish_reason":"length","generated_tokens":2}}"#;
    let facts = api.facts(body);
    assert_eq!(facts.text, Some((true, &b"\" a b\""[..])));
    assert_eq!(facts.usage.unwrap().output, Some(2));
    assert!(
        !api.facts(br#"{"error":"boom","error_type":"generation"}"#)
            .promised
    );
}

#[test]
fn every_truncation_of_real_events_is_read_without_panicking() {
    let fixtures = ["responses_stream.sse", "messages_stream.sse"];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llamacpp");
    let mut docs: Vec<Vec<u8>> = Vec::new();
    for f in fixtures {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        docs.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .map(|d| d.as_bytes().to_vec()),
        );
    }
    for f in ["responses_nonstream.json", "messages_nonstream.json"] {
        docs.push(std::fs::read(dir.join(f)).unwrap());
    }
    let mut texts = 0;
    for doc in &docs {
        for cut in 0..=doc.len() {
            for api in [Api::Responses, Api::Messages, Api::Tgi] {
                let facts = api.facts(&doc[..cut]);
                texts += usize::from(facts.text.is_some() && cut == doc.len());
                api.each_text(&doc[..cut], &mut |_, _| {});
            }
        }
    }
    // 16 Responses deltas, 15 Messages deltas, and one text in each body.
    assert_eq!(texts, 16 + 15 + 2);
}
