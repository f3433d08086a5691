//! `--connection-reuse-strategy`, `--session-header`, `--user-centric-rate` and `--num-users`.

use super::{Opt, SettingError};
use crate::config::{
    check_session_header, ConnectionPlan, ConnectionReuse, Phase, PhaseKind, UserCentric,
};

/// Connection and user-centric settings, from flags only.
#[derive(Debug, Clone, Default)]
pub struct ConnectionSettings {
    /// `--connection-reuse-strategy`.
    pub reuse: Option<ConnectionReuse>,
    /// `--session-header`.
    pub session_header: Option<String>,
    /// `--user-centric-rate`, requests per second.
    pub user_centric_rate: Option<f64>,
    /// `--num-users`.
    pub num_users: Option<u32>,
}

impl ConnectionSettings {
    /// The connection plan.
    pub fn plan(&self) -> Result<ConnectionPlan, SettingError> {
        if let Some(name) = &self.session_header {
            check_session_header(name).map_err(|e| SettingError::flag("--session-header", e))?;
        }
        Ok(ConnectionPlan {
            reuse: self.reuse.unwrap_or_default(),
            session_header: self.session_header.clone(),
        })
    }

    /// The user-centric rate, checked against the load flags it replaces.
    pub fn user_centric(
        &self,
        concurrency: &Opt<u32>,
        request_rate: &Opt<f64>,
        fixed_schedule: bool,
        phases: &[Phase],
    ) -> Result<Option<UserCentric>, SettingError> {
        let (rate, users) = match (self.user_centric_rate, self.num_users) {
            (None, None) => return Ok(None),
            (None, Some(_)) => {
                return Err(SettingError::flag(
                    "--num-users",
                    "needs --user-centric-rate (the requests per second the users share)",
                ))
            }
            (Some(_), None) => {
                return Err(SettingError::flag(
                    "--user-centric-rate",
                    "needs --num-users (how many users share the rate)",
                ))
            }
            (Some(rate), Some(users)) => (rate, users),
        };
        let refuse = |m: &str| Err(SettingError::flag("--user-centric-rate", m));
        if !(rate.is_finite() && rate > 0.0) {
            return refuse("must be a positive number of requests per second");
        }
        if users == 0 {
            return Err(SettingError::flag("--num-users", "must be at least 1"));
        }
        if let Some(r) = request_rate {
            return Err(SettingError::new(
                &r.from,
                "cannot be combined with --user-centric-rate, which sets the rate per user",
            ));
        }
        if let Some(c) = concurrency {
            return Err(SettingError::new(
                &c.from,
                "cannot be combined with --user-centric-rate: --num-users is the concurrency",
            ));
        }
        if fixed_schedule {
            return refuse(
                "cannot be combined with --fixed-schedule, which sends at the trace's timestamps",
            );
        }
        let rated = phases
            .iter()
            .any(|p| p.kind == PhaseKind::Profiling && p.arrival.request_rate.is_some());
        if rated {
            return refuse("cannot be combined with a profiling phase that has a request_rate");
        }
        Ok(Some(UserCentric { rate, users }))
    }
}
