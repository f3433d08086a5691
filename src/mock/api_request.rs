//! What differs in the requests of the OpenAI Responses API, Anthropic's Messages API and
//! TGI: where the output budget and the prompt are, and whether usage is always reported.

use super::request::GenKind;
use super::scan::{count_key, value_of, Key};

impl GenKind {
    /// The keys that may carry the output budget, first found wins.
    pub(crate) fn max_keys(self) -> &'static [Key] {
        match self {
            GenKind::Chat | GenKind::Completions => &[Key::MaxTokens, Key::MaxCompletionTokens],
            GenKind::Responses => &[Key::MaxOutputTokens],
            GenKind::Messages => &[Key::MaxTokens],
            GenKind::Generate | GenKind::GenerateStream => &[Key::MaxNewTokens],
        }
    }

    /// Whether a stream always ends with usage (these APIs have no `include_usage` option).
    pub(crate) fn always_reports_usage(self) -> bool {
        !matches!(self, GenKind::Chat | GenKind::Completions)
    }
}

/// The prompt-length estimate (words) of the new kinds: Responses' `input` (a string, or
/// items whose `content` holds the text), Messages' `content` strings, TGI's `inputs`.
pub(crate) fn prompt_tokens(body: &[u8], kind: GenKind) -> u64 {
    match kind {
        GenKind::Responses => match value_of(body, Key::Input) {
            Some([b'"', ..]) => count_key(body, Key::Input),
            _ => count_key(body, Key::Content),
        },
        GenKind::Generate | GenKind::GenerateStream => count_key(body, Key::Inputs),
        _ => count_key(body, Key::Content),
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::parse_gen_request;
    use super::*;

    #[test]
    fn each_kind_reads_its_own_budget_and_prompt() {
        let r = br#"{"model":"m","input":"one two three","max_output_tokens":9,"stream":true}"#;
        let r = parse_gen_request(r, GenKind::Responses, 16).unwrap();
        assert_eq!((r.output_tokens, r.prompt_tokens), (9, 3));
        assert!(r.stream && r.include_usage);
        let items = br#"{"input":[{"role":"user","content":"a b"},{"role":"assistant","content":"c"}],"max_tokens":99}"#;
        let r = parse_gen_request(items, GenKind::Responses, 16).unwrap();
        assert_eq!((r.output_tokens, r.prompt_tokens), (16, 3));
        let m = br#"{"messages":[{"role":"user","content":"x y"}],"max_tokens":4}"#;
        let r = parse_gen_request(m, GenKind::Messages, 16).unwrap();
        assert_eq!((r.output_tokens, r.prompt_tokens, r.stream), (4, 2, false));
        let g = br#"{"inputs":"p q r s","parameters":{"max_new_tokens":5,"details":true}}"#;
        let r = parse_gen_request(g, GenKind::GenerateStream, 16).unwrap();
        assert_eq!((r.output_tokens, r.prompt_tokens), (5, 4));
        assert!(r.stream && r.include_usage);
        assert!(!parse_gen_request(g, GenKind::Generate, 16).unwrap().stream);
        let zero = br#"{"inputs":"p","parameters":{"max_new_tokens":0}}"#;
        assert!(parse_gen_request(zero, GenKind::Generate, 16).is_err());
    }
}
