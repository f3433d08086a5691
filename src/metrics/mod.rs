//! Records → derived per-request metrics → aggregated statistics.

pub mod record;
