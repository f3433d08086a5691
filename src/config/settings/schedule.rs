//! Trace replay (`--fixed-schedule*`) and the routing of multi-turn sessions.

use super::SettingError;
use crate::config::{FixedSchedule, SessionRouting, DEFAULT_SPEEDUP};

/// Trace replay and routing settings, from flags only.
#[derive(Debug, Clone, Default)]
pub struct ScheduleSettings {
    /// `--fixed-schedule`.
    pub fixed_schedule: bool,
    /// `--fixed-schedule-auto-offset`.
    pub fixed_schedule_auto_offset: bool,
    /// `--fixed-schedule-start-offset`, ms.
    pub fixed_schedule_start_offset: Option<u64>,
    /// `--fixed-schedule-end-offset`, ms.
    pub fixed_schedule_end_offset: Option<u64>,
    /// `--fixed-schedule-speedup`.
    pub fixed_schedule_speedup: Option<f64>,
    /// `--session-routing`.
    pub session_routing: Option<SessionRouting>,
}

impl ScheduleSettings {
    /// The fixed schedule, when asked for.
    pub fn fixed_schedule(&self) -> Result<Option<FixedSchedule>, SettingError> {
        if !self.fixed_schedule {
            return Ok(None);
        }
        let speedup = self.fixed_schedule_speedup.unwrap_or(DEFAULT_SPEEDUP);
        if !(speedup.is_finite() && speedup > 0.0) {
            return Err(SettingError::flag(
                "--fixed-schedule-speedup",
                format!("must be a positive number, got {speedup}"),
            ));
        }
        if let (Some(lo), Some(hi)) = (
            self.fixed_schedule_start_offset,
            self.fixed_schedule_end_offset,
        ) {
            if hi < lo {
                return Err(SettingError::flag(
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
        self.session_routing.unwrap_or(SessionRouting::Sticky)
    }
}
