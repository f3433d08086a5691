//! Flags for how connections are reused, the session header, and the user-centric rate.

use clap::{Args, ValueEnum};

use crate::config::settings::ConnectionSettings;
use crate::config::ConnectionReuse;

/// `gauntlet profile` flags of the "Connections and users" group.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connections and users")]
pub struct ConnectionArgs {
    /// When a connection is closed (AIPerf's names) [default: pooled].
    #[arg(long, value_enum, value_name = "STRATEGY")]
    pub connection_reuse_strategy: Option<ReuseArg>,

    /// Send the session's id in this header on every request of a session (a single-turn
    /// request is a session of one), for routers that pin sessions, e.g. X-Session-ID.
    #[arg(long, value_name = "NAME")]
    pub session_header: Option<String>,

    /// Requests per second shared by --num-users simulated users: each user sends its next
    /// turn num_users / rate seconds after its previous one (or once it finishes, if later),
    /// one turn at a time; users start 1 / rate apart. Replaces --concurrency and
    /// --request-rate in the profiling phase.
    #[arg(long, value_name = "QPS")]
    pub user_centric_rate: Option<f64>,

    /// Simulated users for --user-centric-rate. A comma list is a sweep.
    #[arg(long, value_name = "N", value_delimiter = ',', num_args = 1)]
    pub num_users: Vec<u32>,
}

/// `--connection-reuse-strategy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReuseArg {
    /// Keep connections alive and reuse them for any request.
    Pooled,
    /// A new connection for every request, closed after its response.
    Never,
    /// One connection per session, closed after its last turn (single-turn: per request).
    StickyUserSessions,
}

impl ConnectionArgs {
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> ConnectionSettings {
        ConnectionSettings {
            reuse: self.connection_reuse_strategy.map(|r| match r {
                ReuseArg::Pooled => ConnectionReuse::Pooled,
                ReuseArg::Never => ConnectionReuse::Never,
                ReuseArg::StickyUserSessions => ConnectionReuse::StickyUserSessions,
            }),
            session_header: self.session_header.clone(),
            user_centric_rate: self.user_centric_rate,
            num_users: self.num_users.first().copied(),
        }
    }
}
