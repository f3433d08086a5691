//! The response body: one buffer, or an SSE stream produced event by event with waits.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};
use rand_chacha::ChaCha8Rng;
use tokio::time::{Instant, Sleep};

use super::config::LatencyModel;
use super::render::{Event, ResponsePlan, Wait};
use super::stats::RunningGuard;

/// The error that makes hyper cut the connection for `drop_every`.
#[derive(Debug, thiserror::Error)]
#[error("mock server dropped the connection on purpose (drop_every)")]
pub struct DroppedOnPurpose;

/// Draws the waits of one request.
#[derive(Debug)]
pub(crate) struct Timing {
    pub ttft: LatencyModel,
    pub itl: LatencyModel,
    pub rng: ChaCha8Rng,
}

impl Timing {
    /// The wait of kind `wait`.
    pub(crate) fn draw(&mut self, wait: Wait) -> Duration {
        match wait {
            Wait::None => Duration::ZERO,
            Wait::Ttft => self.ttft.sample(&mut self.rng),
            Wait::Itl => self.itl.sample(&mut self.rng),
        }
    }
}

/// A response body hyper can write.
#[derive(Debug)]
pub enum MockBody {
    /// Everything at once (JSON answers, one-body SSE).
    Full {
        /// The bytes, taken on the first poll.
        data: Option<Bytes>,
        /// Keeps the running gauge up until the body is written or dropped.
        guard: Option<RunningGuard>,
    },
    /// One HTTP chunk per SSE event.
    Stream(Box<SseStream>),
}

impl MockBody {
    /// A complete body.
    pub(crate) fn full(data: impl Into<Bytes>, guard: Option<RunningGuard>) -> Self {
        MockBody::Full {
            data: Some(data.into()),
            guard,
        }
    }
}

/// The state of a chunked SSE response.
#[derive(Debug)]
pub struct SseStream {
    plan: ResponsePlan,
    next: usize,
    waited: bool,
    flushed_before_drop: bool,
    timing: Option<Timing>,
    sleep: Option<Pin<Box<Sleep>>>,
    sleeping: bool,
    /// The previous event's deadline: waits are added to it, not to "now", so tokio's
    /// millisecond timer rounding delays single events but never accumulates into the ITL.
    last_deadline: Option<Instant>,
    buf: BytesMut,
    _guard: RunningGuard,
}

impl SseStream {
    /// A stream over `plan`; `timing` is `None` when no wait is configured, so the stream
    /// never touches a timer.
    pub(crate) fn new(plan: ResponsePlan, timing: Option<Timing>, guard: RunningGuard) -> Self {
        let buf = BytesMut::with_capacity(plan.max_event_len() * 4);
        Self {
            plan,
            next: 0,
            waited: false,
            flushed_before_drop: false,
            timing,
            sleep: None,
            sleeping: false,
            last_deadline: None,
            buf,
            _guard: guard,
        }
    }

    fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, DroppedOnPurpose>>> {
        let Some(ev) = self.plan.event(self.next) else {
            return Poll::Ready(None);
        };
        if !self.waited {
            self.waited = true;
            if let Some(timing) = self.timing.as_mut() {
                let wait = timing.draw(self.plan.wait_before(ev));
                if !wait.is_zero() {
                    let now = Instant::now();
                    let deadline = self.last_deadline.unwrap_or(now) + wait;
                    self.last_deadline = Some(deadline);
                    match self.sleep.as_mut() {
                        Some(sleep) => sleep.as_mut().reset(deadline),
                        None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
                    }
                    self.sleeping = true;
                }
            }
        }
        if self.sleeping {
            if let Some(sleep) = self.sleep.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
            }
            self.sleeping = false;
        }
        if ev == Event::Drop {
            // hyper drops buffered output when the body fails, so give it one turn to flush
            // the event already handed over before cutting the connection.
            if !self.flushed_before_drop {
                self.flushed_before_drop = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            return Poll::Ready(Some(Err(DroppedOnPurpose)));
        }
        if self.buf.capacity() < self.plan.max_event_len() {
            self.buf.reserve(self.plan.max_event_len() * 4);
        }
        self.plan.render_event(ev, &mut self.buf);
        self.next += 1;
        self.waited = false;
        Poll::Ready(Some(Ok(self.buf.split().freeze())))
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = DroppedOnPurpose;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, DroppedOnPurpose>>> {
        match self.get_mut() {
            MockBody::Full { data, guard } => {
                let frame = data.take().map(|d| Ok(Frame::data(d)));
                guard.take();
                Poll::Ready(frame)
            }
            MockBody::Stream(stream) => stream
                .poll_event(cx)
                .map(|item| item.map(|res| res.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            MockBody::Full { data, .. } => data.is_none(),
            MockBody::Stream(stream) => stream.plan.event(stream.next).is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full { data, .. } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            MockBody::Stream(_) => SizeHint::default(),
        }
    }
}
