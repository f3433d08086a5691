//! Parsing a server URL once, with a real URL parser (WHATWG, the `url` crate), for flags and
//! config files alike, so the engine never parses URLs and both front ends give the same
//! messages. `--url` and the telemetry URLs (`--server-metrics`, `--gpu-telemetry`) share
//! [`HttpUrl::parse`]; each says what it does with the parts.

use base64::Engine as _;

use super::{BasicAuth, ServerUrl};

/// An `http://` or `https://` URL, checked: a scheme of any case, a host that is not empty, a
/// port from 1 to 65535 (80, or 443 for https, when none is written), and no `#fragment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `https://`: the connection speaks TLS.
    pub tls: bool,
    /// Host name (lower-cased) or address; IPv6 without its brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The path, percent-encoded, at least `/`.
    pub path: String,
    /// The query after `?`, when there is one and it is not empty.
    pub query: Option<String>,
    /// `user:password@` before the host, percent-decoded (the password may be empty).
    pub credentials: Option<(String, String)>,
}

impl HttpUrl {
    /// Parses `[http[s]://][user:password@]host[:port][/path][?query]`. The error quotes `raw`
    /// with any password shown as `***`; the caller adds the flag or key.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let shown = redact_userinfo(raw);
        let bad = |why: &str| format!("'{shown}': {why}");
        let with_scheme = if raw.contains("://") {
            raw.to_owned()
        } else {
            format!("http://{raw}")
        };
        let after_scheme = with_scheme.split_once("://").map_or("", |(_, rest)| rest);
        let authority = after_scheme
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        if authority.contains(char::is_whitespace) {
            return Err(bad("the host has a space in it"));
        }
        let url = url::Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(bad(&format!(
                    "only http:// and https:// URLs are supported, not {other}://"
                )))
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(name)) if !name.trim().is_empty() => name.to_owned(),
            Some(url::Host::Ipv4(addr)) => addr.to_string(),
            Some(url::Host::Ipv6(addr)) => addr.to_string(),
            _ => return Err(bad("no host")),
        };
        let port = url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        if port == 0 {
            return Err(bad(
                "port 0 cannot be connected to; give the server's port (1 to 65535)",
            ));
        }
        if url.fragment().is_some() {
            return Err(bad("a #fragment is never sent to a server; remove it"));
        }
        let credentials = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map(|s| s.into_owned())
                    .map_err(|_| bad("the user name or password is not UTF-8 once decoded"))
            };
            Some((
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            ))
        };
        Ok(HttpUrl {
            tls,
            host,
            port,
            path: url.path().to_owned(),
            query: url.query().filter(|q| !q.is_empty()).map(str::to_owned),
            credentials,
        })
    }

    /// `host:port`, IPv6 in brackets: what a socket connects to and the `Host` header says.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// A metrics URL (`--server-metrics`): the URL and the path (and query) it is scraped at,
    /// `/metrics` when none is given. Credentials are refused: the URL is stored in the
    /// exports as written.
    pub fn parse_metrics(raw: &str) -> Result<(Self, String), String> {
        let parsed = Self::parse(raw)?;
        if parsed.credentials.is_some() {
            return Err(format!(
                "'{}': user:password@ is not supported in a metrics URL (it would be stored in the exports)",
                redact_userinfo(raw)
            ));
        }
        let path = if parsed.path == "/" {
            "/metrics"
        } else {
            parsed.path.as_str()
        };
        let query = parsed
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let path = format!("{path}{query}");
        Ok((parsed, path))
    }
}

/// `text` with the password of every `scheme://user:password@` in it replaced by `***`, for
/// anything that prints or stores what the user typed (the command line, error messages).
pub fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail.find(['/', '?', '#', ' ']).unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

impl ServerUrl {
    /// Parses `http[s]://[user:password@]host:port/base[?query]` (scheme optional, any case). A
    /// pasted `/v1` or full endpoint path is dropped, since the endpoint type adds it back; the
    /// query is kept and sent after the endpoint path; `user:password@` becomes an
    /// `Authorization: Basic` header. The error says what is wrong with `raw` (any password
    /// shown as `***`); the caller adds the flag or key.
    pub fn parse(raw: &str) -> Result<ServerUrl, String> {
        let url = HttpUrl::parse(raw)?;
        let base_path = url.path.trim_end_matches('/');
        let base_path = base_path
            .strip_suffix("/v1/chat/completions")
            .or_else(|| base_path.strip_suffix("/v1/completions"))
            .or_else(|| base_path.strip_suffix("/v1/embeddings"))
            .or_else(|| base_path.strip_suffix("/v1"))
            .unwrap_or(base_path);
        let basic_auth = url.credentials.as_ref().map(|(user, password)| {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            BasicAuth(format!("Basic {encoded}"))
        });
        Ok(ServerUrl {
            tls: url.tls,
            original: redact_userinfo(raw),
            base_path: base_path.to_string(),
            query: url.query.map(|q| format!("?{q}")).unwrap_or_default(),
            host: url.host,
            port: url.port,
            basic_auth,
        })
    }

    /// [`ServerUrl::parse`] keeping the whole path (a trailing `/` aside): the request path
    /// of `--endpoint-type template` and `raw`.
    pub fn parse_as_given(raw: &str) -> Result<ServerUrl, String> {
        let mut url = ServerUrl::parse(raw)?;
        url.base_path = HttpUrl::parse(raw)?.path.trim_end_matches('/').to_string();
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_url_keeps_its_whole_path() {
        let u = ServerUrl::parse_as_given("http://h:1/v1/completions/?a=1").unwrap();
        assert_eq!(
            (u.base_path.as_str(), u.query.as_str()),
            ("/v1/completions", "?a=1")
        );
        let u = ServerUrl::parse_as_given("http://h:1").unwrap();
        assert_eq!(u.base_path, "");
    }

    fn err(raw: &str) -> String {
        ServerUrl::parse(raw).unwrap_err()
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        let u = ServerUrl::parse("HTTP://LocalHost:18001/v1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.base_path.as_str()),
            ("localhost", 18001, "")
        );
        let tls = ServerUrl::parse("HTTPS://Example.COM/v1").unwrap();
        assert!(tls.tls);
        assert_eq!((tls.host.as_str(), tls.port), ("example.com", 443));
        assert!(!ServerUrl::parse("h:8000").unwrap().tls);
        assert_eq!(ServerUrl::parse("https://h:8443").unwrap().port, 8443);
        assert!(err("ftp://h").contains("only http:// and https://"));
        let (metrics, path) = HttpUrl::parse_metrics("https://h").unwrap();
        assert!(metrics.tls);
        assert_eq!((metrics.port, path.as_str()), (443, "/metrics"));
    }

    #[test]
    fn a_query_is_kept_not_read_as_a_port() {
        let u = ServerUrl::parse("http://127.0.0.1:18001?x=1").unwrap();
        assert_eq!(
            (u.port, u.base_path.as_str(), u.query.as_str()),
            (18001, "", "?x=1")
        );
        let u = ServerUrl::parse("http://h/proxy/v1?api-version=2").unwrap();
        assert_eq!(
            (u.base_path.as_str(), u.query.as_str()),
            ("/proxy", "?api-version=2")
        );
        assert_eq!(ServerUrl::parse("http://h:1?").unwrap().query, "");
    }

    #[test]
    fn port_zero_empty_hosts_and_spaces_are_refused() {
        assert!(err("http://127.0.0.1:0").contains("port 0"));
        assert!(err("http://").contains("host"), "{}", err("http://"));
        assert!(
            err("http://:8000").contains("host"),
            "{}",
            err("http://:8000")
        );
        let spaced = err("http://local host:8000");
        assert!(
            spaced.contains("'http://local host:8000': the host has a space"),
            "{spaced}"
        );
        assert!(err("http://h:99999").contains("port"));
        assert!(err("http://h#frag").contains("fragment"));
    }

    #[test]
    fn userinfo_becomes_basic_auth_and_never_shows() {
        let u = ServerUrl::parse("http://user:PASSWORD@h:8000/v1").unwrap();
        assert_eq!(u.host, "h");
        // base64("user:PASSWORD")
        assert_eq!(
            u.basic_auth,
            Some(BasicAuth("Basic dXNlcjpQQVNTV09SRA==".into()))
        );
        assert_eq!(u.original, "http://user:***@h:8000/v1");
        assert!(!format!("{u:?}").contains("PASSWORD"));
        assert!(!serde_json::to_string(&u)
            .unwrap()
            .contains("dXNlcjpQQVNTV09SRA"));
        let decoded = ServerUrl::parse("http://a%40b:p%3Aw@h").unwrap();
        assert_eq!(
            decoded.basic_auth.unwrap().0,
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("a@b:p:w")
            )
        );
        let message = err("ftp://user:PASSWORD@h");
        assert!(
            message.contains("user:***@h") && !message.contains("PASSWORD"),
            "{message}"
        );
    }

    #[test]
    fn redaction_covers_every_url_in_a_text() {
        assert_eq!(
            redact_userinfo("--url=http://u:s3cret@h:1/x and http://v:p@k?q=a:b@c"),
            "--url=http://u:***@h:1/x and http://v:***@k?q=a:b@c"
        );
        assert_eq!(redact_userinfo("http://u@h"), "http://u@h");
        assert_eq!(redact_userinfo("no url here"), "no url here");
    }
}
