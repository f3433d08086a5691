//! Flags for trace replay and for routing multi-turn sessions.

use clap::{Args, ValueEnum};

use crate::config::settings::ScheduleSettings;
use crate::config::SessionRouting;

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
    /// The flags as settings; config resolves them.
    pub fn settings(&self) -> ScheduleSettings {
        ScheduleSettings {
            fixed_schedule: self.fixed_schedule,
            fixed_schedule_auto_offset: self.fixed_schedule_auto_offset,
            fixed_schedule_start_offset: self.fixed_schedule_start_offset,
            fixed_schedule_end_offset: self.fixed_schedule_end_offset,
            fixed_schedule_speedup: self.fixed_schedule_speedup,
            session_routing: self.session_routing.map(|r| match r {
                RoutingArg::Sticky => SessionRouting::Sticky,
                RoutingArg::RoundRobin => SessionRouting::RoundRobin,
            }),
        }
    }
}
