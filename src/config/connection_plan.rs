//! How the engine uses its connections (`--connection-reuse-strategy`), the header that
//! names a request's session (`--session-header`), and AIPerf's user-centric rate
//! (`--user-centric-rate` with `--num-users`).

/// When a connection is closed and a new one opened: AIPerf's `--connection-reuse-strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionReuse {
    /// Every connection is kept alive and carries the worker's next request, whatever
    /// session it belongs to.
    #[default]
    Pooled,
    /// A new connection for every request, closed after its response (`Connection: close`).
    Never,
    /// A connection carries the turns of one session and is closed after the session's
    /// last turn; a single-turn request is a session of one (so it gets its own connection).
    /// Lets a load balancer that pins connections keep a conversation on one server.
    StickyUserSessions,
}

impl ConnectionReuse {
    /// AIPerf's name of the strategy.
    pub fn name(self) -> &'static str {
        match self {
            ConnectionReuse::Pooled => "pooled",
            ConnectionReuse::Never => "never",
            ConnectionReuse::StickyUserSessions => "sticky-user-sessions",
        }
    }
}

/// Longest `--session-header` name: the header is written per request from a stack buffer.
pub const MAX_SESSION_HEADER_LEN: usize = 64;

/// The engine's connection settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConnectionPlan {
    /// When connections are closed.
    pub reuse: ConnectionReuse,
    /// A header carrying the session's id on every request of a session (single-turn: the
    /// request's own), for routers that pin sessions; `None` sends none.
    pub session_header: Option<String>,
}

/// AIPerf's user-centric rate: `users` simulated users share `rate` requests per second, each
/// sending its next turn `users / rate` seconds after its previous one (or when that one
/// finishes, if later), never two at once. Users start `1 / rate` apart; a user whose session
/// ends takes the next session on the same clock, so the total rate holds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct UserCentric {
    /// Requests per second over all users.
    pub rate: f64,
    /// Simulated users (the profiling phase's workers).
    pub users: u32,
}

impl UserCentric {
    /// Nanoseconds between two turns of one user.
    pub fn gap_ns(&self) -> u64 {
        (f64::from(self.users) / self.rate * 1e9) as u64
    }

    /// Nanoseconds after the phase start at which user `user` (0-based) sends first.
    pub fn start_offset_ns(&self, user: u32) -> u64 {
        (f64::from(user) / self.rate * 1e9) as u64
    }
}

/// Checks a `--session-header` name: a valid HTTP header name, short enough to be written
/// without allocating.
pub fn check_session_header(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_SESSION_HEADER_LEN {
        return Err(format!(
            "a header name of 1 to {MAX_SESSION_HEADER_LEN} characters, e.g. X-Session-ID"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(format!(
            "'{name}' is not an HTTP header name (letters, digits and -_. only, e.g. X-Session-ID)"
        ));
    }
    const TAKEN: [&str; 5] = [
        "content-length",
        "host",
        "connection",
        "transfer-encoding",
        "content-type",
    ];
    if TAKEN.iter().any(|t| t.eq_ignore_ascii_case(name)) {
        return Err(format!("'{name}' is a header gauntlet writes itself"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_centric_spaces_users_and_turns() {
        let u = UserCentric {
            rate: 4.0,
            users: 2,
        };
        assert_eq!(u.gap_ns(), 500_000_000);
        assert_eq!(u.start_offset_ns(1), 250_000_000);
    }

    #[test]
    fn session_header_names_are_checked() {
        assert!(check_session_header("X-Session-ID").is_ok());
        assert!(check_session_header("").is_err());
        assert!(check_session_header("bad header").is_err());
        assert!(check_session_header("Content-Length").is_err());
        assert!(check_session_header(&"x".repeat(65)).is_err());
    }
}
