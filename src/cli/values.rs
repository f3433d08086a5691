//! Parsers for flag values that carry structure: URLs, headers, extra inputs, tokenizers.

use std::path::PathBuf;

use super::flag_error::{flag_err, FlagError};
use crate::config::{ServerUrl, TokenizerSpec};

/// Splits `http://host:port/base` once, so the engine never parses URLs.
pub fn parse_url(raw: &str) -> Result<ServerUrl, FlagError> {
    ServerUrl::parse(raw).map_err(|message| flag_err("--url", message))
}

pub(super) fn parse_header(raw: &str) -> Result<(String, String), FlagError> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| flag_err("--header", format!("'{}' is not NAME:VALUE", redact(raw))))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(flag_err("--header", "the header name is empty"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Shows only the start of something that may hold a secret.
fn redact(raw: &str) -> String {
    let visible: String = raw.chars().take(4).collect();
    format!("{visible}…")
}

pub(super) fn parse_extra_input(raw: &str) -> Result<Vec<(String, serde_json::Value)>, FlagError> {
    let trimmed = raw.trim();
    if trimmed.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| {
            flag_err(
                "--extra-inputs",
                format!("'{trimmed}' is not a valid JSON object: {e}"),
            )
        })?;
        return match value {
            serde_json::Value::Object(map) => Ok(map.into_iter().collect()),
            _ => Err(flag_err("--extra-inputs", "expected a JSON object")),
        };
    }
    let (key, value) = trimmed
        .split_once(':')
        .ok_or_else(|| flag_err("--extra-inputs", format!("'{trimmed}' is not KEY:VALUE")))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(flag_err(
            "--extra-inputs",
            format!("'{trimmed}' has an empty key"),
        ));
    }
    let value = value.trim();
    let parsed = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::from(value));
    Ok(vec![(key.to_string(), parsed)])
}

pub(super) fn tokenizer_spec(raw: &str) -> TokenizerSpec {
    let path = PathBuf::from(raw);
    // A hub id looks like "org/name" and does not exist locally.
    let looks_like_hub_id = !path.exists()
        && !raw.starts_with('.')
        && !raw.starts_with('/')
        && !raw.ends_with(".json")
        && raw.split('/').count() <= 2;
    if looks_like_hub_id {
        TokenizerSpec::Hub(raw.to_string())
    } else {
        TokenizerSpec::Path(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_and_endpoint_suffixes_dropped() {
        let u = parse_url("http://10.0.0.1:9000/proxy/v1/chat/completions").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.base_path.as_str()),
            ("10.0.0.1", 9000, "/proxy")
        );
        let u = parse_url("localhost:8080").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.base_path.as_str()),
            ("localhost", 8080, "")
        );
        let u = parse_url("http://[::1]:8000/v1").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 8000));
        assert!(parse_url("https://x")
            .unwrap_err()
            .to_string()
            .starts_with("--url"));
        assert!(parse_url("http://h:99999")
            .unwrap_err()
            .to_string()
            .contains("port"));
    }

    #[test]
    fn tokenizer_spec_tells_paths_from_hub_ids() {
        assert_eq!(
            tokenizer_spec("Qwen/Qwen2.5-0.5B"),
            TokenizerSpec::Hub("Qwen/Qwen2.5-0.5B".into())
        );
        assert_eq!(tokenizer_spec("./tok"), TokenizerSpec::Path("./tok".into()));
        assert_eq!(
            tokenizer_spec("/x/tokenizer.json"),
            TokenizerSpec::Path("/x/tokenizer.json".into())
        );
    }
}
