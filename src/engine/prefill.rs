//! `--prefill-concurrency`: at most N requests sent and still waiting for the first event of
//! their streamed reply (AIPerf's prefill limit). A request takes a slot before it is sent and
//! gives it back when its first SSE event arrives, or when it ends without one.
//!
//! The count is one atomic; taking and giving back a free slot is a compare-and-swap and a
//! lock-free `Notify::notify_one` (tokio locks its waiter list only when a request is
//! waiting, i.e. while the cap binds).

use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::Notify;

/// The prefill slots of one phase.
#[derive(Debug)]
pub struct PrefillGate {
    held: AtomicU32,
    limit: AtomicU32,
    freed: Notify,
}

impl PrefillGate {
    /// A gate of `limit` slots (at least 1).
    pub fn new(limit: u32) -> Self {
        Self {
            held: AtomicU32::new(0),
            limit: AtomicU32::new(limit.max(1)),
            freed: Notify::new(),
        }
    }

    /// Raises (or sets) the number of slots, waking the requests waiting for one.
    pub fn set_limit(&self, limit: u32) {
        self.limit.store(limit.max(1), Ordering::Release);
        self.freed.notify_waiters();
    }

    /// Waits for a slot; the slot is given back when the returned hold is released or
    /// dropped.
    pub async fn enter(&self) -> PrefillHold<'_> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a slot freed in between still wakes us.
            freed.as_mut().enable();
            if self.try_enter() {
                return PrefillHold { gate: Some(self) };
            }
            freed.await;
        }
    }

    fn try_enter(&self) -> bool {
        let mut held = self.held.load(Ordering::Acquire);
        loop {
            if held >= self.limit.load(Ordering::Acquire) {
                return false;
            }
            match self.held.compare_exchange_weak(
                held,
                held + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(now) => held = now,
            }
        }
    }

    fn leave(&self) {
        self.held.fetch_sub(1, Ordering::AcqRel);
        self.freed.notify_one();
    }

    /// Requests holding a slot now.
    pub fn held(&self) -> u32 {
        self.held.load(Ordering::Acquire)
    }
}

/// A prefill slot held by one request (or none, when the phase has no cap).
#[derive(Debug, Default)]
pub struct PrefillHold<'a> {
    gate: Option<&'a PrefillGate>,
}

impl PrefillHold<'_> {
    /// No slot: the phase has no prefill cap.
    pub fn none() -> Self {
        Self { gate: None }
    }

    /// Whether a slot is still held.
    #[inline]
    pub fn is_held(&self) -> bool {
        self.gate.is_some()
    }

    /// Gives the slot back (the first token arrived); a second call does nothing.
    #[inline]
    pub fn release(&mut self) {
        if let Some(gate) = self.gate.take() {
            gate.leave();
        }
    }
}

impl Drop for PrefillHold<'_> {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_third_request_waits_until_a_slot_is_given_back() {
        let gate = Arc::new(PrefillGate::new(2));
        let mut a = gate.enter().await;
        let _b = gate.enter().await;
        assert_eq!(gate.held(), 2);
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _c = gate.enter().await;
                gate.held()
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !waiting.is_finished(),
            "the cap of 2 let a third request in"
        );
        a.release();
        a.release();
        assert_eq!(waiting.await.unwrap(), 2);
        assert!(!a.is_held());
    }

    #[tokio::test]
    async fn raising_the_limit_lets_waiting_requests_in() {
        let gate = Arc::new(PrefillGate::new(1));
        let _a = gate.enter().await;
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter().await.is_held() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        gate.set_limit(2);
        assert!(waiting.await.unwrap());
        assert_eq!(gate.held(), 1);
    }
}
