//! Splitting a server URL once, for flags and config files alike, so the engine never parses
//! URLs and both front ends give the same messages.

use super::ServerUrl;

/// A URL cut at its seams, with nothing checked yet: each reader (the server URL here, the
/// metrics URLs in telemetry) says what it accepts and in its own words, but all of them
/// split the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// What comes before `://`, when there is one (`http`, `https`, …).
    pub scheme: Option<&'a str>,
    /// `host[:port]`, up to the first `/` after the scheme.
    pub authority: &'a str,
    /// From that `/` on (query included); empty when there is none.
    pub path: &'a str,
}

impl<'a> UrlParts<'a> {
    /// Splits `raw` (`[scheme://]authority[/path]`).
    pub fn split(raw: &'a str) -> Self {
        let (scheme, rest) = match raw.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, raw),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        UrlParts {
            scheme,
            authority,
            path,
        }
    }

    /// The host (IPv6 brackets removed) and the port as written, if the authority has one: a
    /// `:` inside `[...]` belongs to the address, not the port.
    pub fn host_port(&self) -> (&'a str, Option<&'a str>) {
        let (host, port) = match self.authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, Some(port)),
            _ => (self.authority, None),
        };
        (host.trim_start_matches('[').trim_end_matches(']'), port)
    }
}

impl ServerUrl {
    /// Parses `http://host:port/base` (scheme optional). A pasted `/v1` or full endpoint path
    /// is dropped, since the endpoint type adds it back. The error says what is wrong with
    /// `raw`; the caller adds the flag or key.
    pub fn parse(raw: &str) -> Result<ServerUrl, String> {
        let parts = UrlParts::split(raw);
        match parts.scheme {
            None | Some("http") => {}
            Some("https") => {
                return Err(format!(
                    "'{raw}': https is not supported yet; use http:// (or a local TLS-terminating proxy)"
                ))
            }
            Some(_) => return Err(format!("'{raw}': only http:// URLs are supported")),
        }
        let (host, port) = match parts.host_port() {
            (host, Some(p)) => {
                let port = p
                    .parse::<u16>()
                    .map_err(|_| format!("'{raw}': port '{p}' is not a number from 1 to 65535"))?;
                (host, port)
            }
            (host, None) => (host, 80),
        };
        if host.is_empty() {
            return Err(format!("'{raw}': no host"));
        }
        let base_path = parts.path.trim_end_matches('/');
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
