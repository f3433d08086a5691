//! Splitting a server URL once, for flags and config files alike, so the engine never parses
//! URLs and both front ends give the same messages.

use super::ServerUrl;

impl ServerUrl {
    /// Parses `http://host:port/base` (scheme optional). A pasted `/v1` or full endpoint path
    /// is dropped, since the endpoint type adds it back. The error says what is wrong with
    /// `raw`; the caller adds the flag or key.
    pub fn parse(raw: &str) -> Result<ServerUrl, String> {
        let rest = if let Some(rest) = raw.strip_prefix("http://") {
            rest
        } else if raw.starts_with("https://") {
            return Err(format!(
                "'{raw}': https is not supported yet; use http:// (or a local TLS-terminating proxy)"
            ));
        } else if raw.contains("://") {
            return Err(format!("'{raw}': only http:// URLs are supported"));
        } else {
            raw
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                let port = p
                    .parse::<u16>()
                    .map_err(|_| format!("'{raw}': port '{p}' is not a number from 1 to 65535"))?;
                (h.trim_start_matches('[').trim_end_matches(']'), port)
            }
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("'{raw}': no host"));
        }
        let base_path = path.trim_end_matches('/');
        let base_path = base_path
            .strip_suffix("/v1/chat/completions")
            .or_else(|| base_path.strip_suffix("/v1/completions"))
            .or_else(|| base_path.strip_suffix("/v1/embeddings"))
            .or_else(|| base_path.strip_suffix("/v1"))
            .unwrap_or(base_path);
        Ok(ServerUrl {
            original: raw.to_string(),
            host: host.to_string(),
            port,
            base_path: base_path.to_string(),
        })
    }
}
