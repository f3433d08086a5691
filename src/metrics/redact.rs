//! Taking the run's configured secrets out of server text before it is stored or printed.
//!
//! A server may echo request headers into an error body or an SSE error event; without this
//! the API key, a `--header` value or the URL's password would land verbatim in
//! `profile_export.jsonl`, the error summary and the console. The record processor applies
//! the run's [`Redactor`] to every error it derives (off the request loop: only failed
//! requests pay for it).

use std::borrow::Cow;

use base64::Engine as _;

use crate::config::{Plan, ServerUrl};

/// What a secret is replaced with.
pub const REDACTED: &str = "***";

/// A redactor with no secrets (a run with no key, header or password; tests).
pub static NO_SECRETS: Redactor = Redactor {
    secrets: Vec::new(),
};

/// The run's secret values, longest first, each replaced by [`REDACTED`] wherever it appears.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for `secrets` (empty ones are ignored), plus their JSON-escaped forms, since
    /// a server that echoes headers into a JSON body escapes `"` and `\`.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut all: Vec<String> = Vec::new();
        for secret in secrets {
            if secret.is_empty() {
                continue;
            }
            let escaped = serde_json::to_string(&secret).unwrap_or_default();
            let escaped = escaped
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or_default();
            if !escaped.is_empty() && escaped != secret {
                all.push(escaped.to_owned());
            }
            all.push(secret);
        }
        // Longest first, so `Bearer KEY` is replaced whole rather than leaving `Bearer `.
        all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        all.dedup();
        Self { secrets: all }
    }

    /// The secrets of `plan`: the API key (and `Bearer <key>`), every `--header` value, and
    /// for each URL with `user:password@` the `Basic …` value, its base64, `user:password` and
    /// the password.
    pub fn from_plan(plan: &Plan) -> Self {
        Self::from_parts(plan.api_key.as_deref(), &plan.headers, &plan.urls)
    }

    /// [`Redactor::from_plan`] from the plan's parts.
    pub fn from_parts(
        api_key: Option<&str>,
        headers: &[(String, String)],
        urls: &[ServerUrl],
    ) -> Self {
        let mut secrets = Vec::new();
        if let Some(key) = api_key {
            secrets.push(format!("Bearer {key}"));
            secrets.push(key.trim().to_owned());
        }
        for (_, value) in headers {
            secrets.push(value.trim().to_owned());
        }
        for url in urls {
            let Some(basic) = &url.basic_auth else {
                continue;
            };
            secrets.push(basic.0.clone());
            let encoded = basic.0.strip_prefix("Basic ").unwrap_or(&basic.0);
            secrets.push(encoded.to_owned());
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            if let Some(user_password) = decoded {
                if let Some((_, password)) = user_password.split_once(':') {
                    secrets.push(password.to_owned());
                }
                secrets.push(user_password);
            }
        }
        Self::new(secrets)
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced by `***`; borrowed when none occurs in it.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.secrets.iter().any(|s| text.contains(s.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'scan: while let Some(c) = rest.chars().next() {
            // A secret is valid UTF-8, so a match always starts and ends on a char boundary.
            for secret in &self.secrets {
                if let Some(after) = rest.strip_prefix(secret.as_str()) {
                    out.push_str(REDACTED);
                    rest = after;
                    continue 'scan;
                }
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_secret_longest_first() {
        let r = Redactor::new(["Bearer sk-1".to_owned(), "sk-1".to_owned(), String::new()]);
        assert_eq!(
            r.redact("auth: Bearer sk-1, key sk-1, again sk-1sk-1 ünï"),
            "auth: ***, key ***, again ****** ünï"
        );
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
        assert!(Redactor::new([String::new()]).is_empty());
    }

    #[test]
    fn json_escaped_forms_are_redacted_too() {
        let r = Redactor::new([r#"a"b\c"#.to_owned()]);
        assert_eq!(r.redact(r#"{"h":"a\"b\\c"}"#), r#"{"h":"***"}"#);
        assert_eq!(r.redact(r#"raw a"b\c"#), "raw ***");
    }

    #[test]
    fn plan_secrets_cover_key_headers_and_userinfo() {
        let mut url = ServerUrl::parse("http://alice:pa55word@h:1").unwrap();
        let headers = [("X-Token".to_owned(), " tok-9 ".to_owned())];
        let r = Redactor::from_parts(Some("KEY123"), &headers, &[url.clone()]);
        let basic = url.basic_auth.take().unwrap().0;
        let encoded = basic.strip_prefix("Basic ").unwrap().to_owned();
        for leak in [
            "Bearer KEY123",
            "KEY123",
            "tok-9",
            basic.as_str(),
            encoded.as_str(),
            "alice:pa55word",
            "pa55word",
        ] {
            let text = format!("echo {leak} end");
            let shown = r.redact(&text);
            assert!(!shown.contains(leak), "{leak} in {shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
    }
}
