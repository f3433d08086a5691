//! Ramps as the request loop sees them: closed-loop workers that join at the concurrency
//! ramp's steps, and the prefill cap raised at its ramp's steps (`schedule::LimitRamp` says
//! when). The rate ramp lives in the rate schedule itself.

use std::future::Future;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::pacer;
use super::worker::PhaseState;
use crate::clock::now_ns;
use crate::config::LoadShape;
use crate::schedule::LimitRamp;

/// How often a worker waiting for its ramp step looks whether the phase is over already.
const STEP_WAIT_POLL_NS: u64 = 20_000_000;

/// Runs `work` from the monotonic instant `at_ns` on (at once when it has passed), unless
/// `over` says the phase ended first: a count-bound phase whose requests are all sent does
/// not wait for the rest of its ramp.
pub(super) async fn after<F: Future<Output = ()>>(at_ns: u64, over: impl Fn() -> bool, work: F) {
    loop {
        let now = now_ns();
        if now >= at_ns {
            break;
        }
        if over() {
            return;
        }
        pacer::sleep_until_ns(at_ns.min(now + STEP_WAIT_POLL_NS)).await;
    }
    work.await
}

/// Raises the phase's prefill cap by one at each step of its ramp, from the phase start
/// `start_ns`; `None` when the phase has no prefill ramp. The caller aborts the task when the
/// phase ends.
pub(super) fn spawn_prefill_ramp(
    state: &Arc<PhaseState>,
    shape: &LoadShape,
    start_ns: u64,
) -> Option<JoinHandle<()>> {
    let (Some(target), Some(duration)) = (shape.prefill_concurrency, shape.prefill_ramp) else {
        return None;
    };
    state.prefill.as_ref()?;
    let ramp = LimitRamp::new(target, Some(duration));
    let state = state.clone();
    Some(tokio::spawn(async move {
        for k in 1..target {
            pacer::sleep_until_ns(start_ns + ramp.step_ns(k)).await;
            if let Some(gate) = &state.prefill {
                gate.set_limit(k + 1);
            }
        }
    }))
}
