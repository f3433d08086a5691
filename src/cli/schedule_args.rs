//! Flags for trace replay and for routing multi-turn sessions.

use clap::{Args, ValueEnum};

use super::flag_error::{flag_err, FlagError};
use crate::config::{FixedSchedule, SessionRouting};

/// `gauntlet profile` flags of the "Trace replay and sessions" group.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Trace replay and sessions")]
pub struct ScheduleArgs {
    /// Send each request at its dataset timestamp (ms) instead of at a rate or concurrency;
    /// the profiling phase sends every request in the window once. How late each request
    /// left is reported as credit_to_start_latency.
    #[arg(long)]
    pub fixed_schedule: bool,

    /// Start the replay clock at the first kept request's timestamp.
    #[arg(long, requires = "fixed_schedule")]
    pub fixed_schedule_auto_offset: bool,

    /// Skip requests with timestamps before this (ms); without --fixed-schedule-auto-offset
    /// the replay clock starts here.
    #[arg(long, value_name = "MS", requires = "fixed_schedule")]
    pub fixed_schedule_start_offset: Option<u64>,

    /// Skip requests with timestamps after this (ms).
    #[arg(long, value_name = "MS", requires = "fixed_schedule")]
    pub fixed_schedule_end_offset: Option<u64>,

    /// Replay this many times faster than the trace [default: 1].
    #[arg(long, value_name = "RATIO", requires = "fixed_schedule")]
    pub fixed_schedule_speedup: Option<f64>,

    /// Where the turns of a multi-turn session go when several --url are given [default:
    /// sticky].
    #[arg(long, value_enum)]
    pub session_routing: Option<RoutingArg>,
}

/// `--session-routing` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoutingArg {
    /// Every turn of a session to the same server (its prefix cache can help).
    Sticky,
    /// Turns round-robin by request index, like single-turn requests.
    RoundRobin,
}

impl ScheduleArgs {
    /// The fixed schedule, when asked for.
    pub fn fixed_schedule(&self) -> Result<Option<FixedSchedule>, FlagError> {
        if !self.fixed_schedule {
            return Ok(None);
        }
        let speedup = self.fixed_schedule_speedup.unwrap_or(1.0);
        if !(speedup.is_finite() && speedup > 0.0) {
            return Err(flag_err(
                "--fixed-schedule-speedup",
                format!("must be a positive number, got {speedup}"),
            ));
        }
        if let (Some(lo), Some(hi)) = (
            self.fixed_schedule_start_offset,
            self.fixed_schedule_end_offset,
        ) {
            if hi < lo {
                return Err(flag_err(
                    "--fixed-schedule-end-offset",
                    format!("{hi} is before --fixed-schedule-start-offset {lo}"),
                ));
            }
        }
        Ok(Some(FixedSchedule {
            start_offset_ms: self.fixed_schedule_start_offset,
            end_offset_ms: self.fixed_schedule_end_offset,
            auto_offset: self.fixed_schedule_auto_offset,
            speedup,
        }))
    }

    /// The trace window `--fixed-schedule` replays, in ms, when offsets narrow it.
    pub fn fixed_schedule_window(&self) -> Option<(u64, u64)> {
        let narrowed =
            self.fixed_schedule_start_offset.is_some() || self.fixed_schedule_end_offset.is_some();
        (self.fixed_schedule && narrowed).then(|| {
            (
                self.fixed_schedule_start_offset.unwrap_or(0),
                self.fixed_schedule_end_offset.unwrap_or(u64::MAX),
            )
        })
    }

    /// How session turns are routed.
    pub fn session_routing(&self) -> SessionRouting {
        match self.session_routing {
            Some(RoutingArg::RoundRobin) => SessionRouting::RoundRobin,
            Some(RoutingArg::Sticky) | None => SessionRouting::Sticky,
        }
    }
}
