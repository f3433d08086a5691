//! The request loop. There is one: a worker takes a ticket from its arrival source, sends the
//! request, records it and hands the record off. Load shapes differ only in the source.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::client::{connect, Connection, ReadError, Target};
use super::failure::{body_failed, count_received, transport, Failure};
use super::http1::ContentCoding;
use super::prefill::PrefillHold;
use super::record::{EventMark, Outcome, RequestRecord};
use super::sink::RecordSink;
use super::sse::SseParser;
use crate::clock::now_ns;
use crate::config::ConnectionReuse;
use crate::config::WorkerShare;
use crate::payload::{BodyRing, PayloadArena, Take};

/// What every worker of a run shares (read-only after start, plus a few counters).
pub struct Shared {
    /// Pre-rendered bodies (empty when they are streamed).
    pub arena: PayloadArena,
    /// Bodies rendered a window ahead of the schedule, when the workload is too large to
    /// render whole before the clock (`run::stream`); `None` = every body is in `arena`.
    pub stream: Option<StreamedBodies>,
    /// One target per `--url`, used round-robin by request index.
    pub targets: Vec<Target>,
    /// Whether responses are SSE streams.
    pub streaming: bool,
    /// Per-request time limit.
    pub timeout: Duration,
    /// Response body bytes a request may receive (`--max-response-bytes`); past it the
    /// request fails and its connection is dropped.
    pub max_response_bytes: u64,
    /// Where finished records go.
    pub sink: RecordSink,
    /// Requests that started sending (shared with the record processor's live figures,
    /// which read it a few times a second).
    pub sent: Arc<AtomicU64>,
    /// Multi-turn sessions; `None` when every request stands alone.
    pub sessions: Option<super::session_table::SessionTable>,
    /// Next run-wide request index for session turns (single-turn requests use their ticket).
    pub next_request: AtomicU64,
    /// Trace replay for profiling phases: `(entry or session, ns after the phase start)`.
    pub fixed_schedule: Option<Vec<(u64, u64)>>,
    /// Requests cancelled on purpose (`--request-cancellation-rate`); `None` = none.
    pub cancellation: Option<crate::schedule::CancelSchedule>,
    /// `video_generation`: each reply is a job, followed until done (`engine::video_job`).
    pub video_job: Option<crate::config::VideoJobPlan>,
    /// Which tickets of the schedule this process sends (all of them outside worker mode).
    pub share: crate::config::WorkerShare,
    /// Monotonic ns the first phase's schedule counts from (`--start-at`, so every worker's
    /// instants are on one wall-clock axis; a late start shows as send lag, not as a shifted
    /// schedule); taken by the first phase, 0 = the phase's own start.
    pub start_at_ns: AtomicU64,
    /// `--user-centric-rate`: the profiling phases' workers are simulated users.
    pub users: Option<crate::config::UserCentric>,
}

/// The streamed bodies of a run: body `seq` is the one of ticket `seq` (its run-wide index).
#[derive(Debug, Clone)]
pub struct StreamedBodies {
    /// The window between the rendering thread and the workers.
    pub ring: Arc<BodyRing>,
    /// Entries in the workload (ticket `entry` modulo this is the entry sent).
    pub entries: u64,
}

/// Waits for body `seq`; `None` when rendering stopped before it. The wait is the request's
/// send lag: a schedule the rendering cannot keep up with shows there.
async fn streamed_body(ring: &BodyRing, seq: u64) -> Option<Bytes> {
    let mut spins = 0u32;
    loop {
        match ring.try_take(seq) {
            Take::Ready(body) => return Some(body),
            Take::Closed => return None,
            Take::Pending if spins < 64 => {
                spins += 1;
                tokio::task::yield_now().await;
            }
            Take::Pending => tokio::time::sleep(Duration::from_micros(100)).await,
        }
    }
}

/// A request released by the arrival source.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    /// Request index in the run (for multi-turn workloads: session ticket index).
    pub index: u64,
    /// Which workload entry (or session) to send.
    pub entry: u64,
    /// Monotonic ns at which the schedule released it.
    pub scheduled_ns: u64,
}

/// The phase facts a worker needs.
#[derive(Debug)]
pub struct PhaseState {
    /// Index of the phase in the plan.
    pub phase_index: u8,
    /// Run-wide index of the phase's first request.
    pub first_index: u64,
    /// Tickets the phase may issue: requests, or sessions when the workload is multi-turn
    /// (u64::MAX when unbounded).
    pub limit: u64,
    /// Session turns the phase may send in all (u64::MAX when unbounded): a multi-turn
    /// phase bound by a request count stops starting sessions, and cuts the last ones short,
    /// when its turns are used up.
    pub turn_limit: u64,
    /// Session turns claimed against `turn_limit`.
    pub turns_claimed: AtomicU64,
    /// Monotonic ns after which no request is released (u64::MAX when count-bound).
    pub deadline_ns: u64,
    /// Set when the run is being stopped.
    pub stopping: AtomicBool,
    /// Requests handed to a worker in this phase (session turns included).
    pub released: AtomicU64,
    /// Monotonic ns an open-loop schedule counts its instants from (the phase start for a
    /// closed loop): every worker's intended send offsets are taken from it.
    pub origin_ns: AtomicU64,
    /// How long the phase's longest ramp lasts, in ns (0 without ramps).
    pub ramp_ns: u64,
    /// Monotonic ns when the phase's last ramp ends (0 without ramps): a request released
    /// before then is marked as sent during the ramp. An open loop's dispatcher moves it to
    /// its own start, the instant its ramps count from.
    pub ramp_end_ns: AtomicU64,
    /// `--prefill-concurrency`: slots for requests waiting for their first token.
    pub prefill: Option<super::prefill::PrefillGate>,
}

impl PhaseState {
    /// Whether the phase may release request number `n` (0-based within the phase) now.
    #[inline]
    pub fn allows(&self, n: u64, now: u64) -> bool {
        n < self.limit
            && now < self.deadline_ns
            && !self.stopping.load(Ordering::Relaxed)
            && self.turns_claimed.load(Ordering::Relaxed) < self.turn_limit
    }

    /// Claims one session turn against the phase's turn budget; false when it is used up.
    #[inline]
    pub fn claim_turn(&self) -> bool {
        self.turn_limit == u64::MAX
            || self.turns_claimed.fetch_add(1, Ordering::Relaxed) < self.turn_limit
    }
}

/// Closed-loop credits: a free worker is the release. Lock-free: one atomic per ticket.
///
/// In worker mode the `m`-th claim is the schedule's ticket `m * count + index`: the share
/// costs a multiply, not a skip, so a worker never claims another's ticket.
#[derive(Debug, Default)]
pub struct Credits {
    next: AtomicU64,
    share: WorkerShare,
}

impl Credits {
    /// Credits for this process's share of the schedule.
    pub fn new(share: WorkerShare) -> Self {
        Self {
            next: AtomicU64::new(0),
            share,
        }
    }

    /// Tickets of the whole schedule used up so far (capped at the phase limit): in worker
    /// mode a multiple of the worker count, so the next phase's tickets keep every worker's
    /// indexes apart.
    pub fn issued(&self, phase: &PhaseState) -> u64 {
        let claims = self.next.load(Ordering::Relaxed);
        claims
            .saturating_mul(u64::from(self.share.count))
            .min(phase.limit)
    }

    /// Whether the phase will release no more credits (its count, deadline or stop reached).
    pub fn exhausted(&self, phase: &PhaseState) -> bool {
        let next = self.share.ticket(self.next.load(Ordering::Relaxed));
        !phase.allows(next, now_ns())
    }
}

/// One simulated user's clock (`--user-centric-rate`): its turns are a gap apart, and a turn
/// never starts before the user's previous one has finished.
#[derive(Debug, Clone, Copy)]
pub struct UserClock {
    next_due_ns: u64,
    gap_ns: u64,
    /// No turn taken yet: the first is due at the user's start even when its worker comes
    /// to it a little later (the lateness shows as send lag, and the clock keeps its place).
    fresh: bool,
}

impl UserClock {
    /// A user whose first turn is due at `start_ns`, the next ones `gap_ns` apart.
    pub fn new(start_ns: u64, gap_ns: u64) -> Self {
        Self {
            next_due_ns: start_ns,
            gap_ns,
            fresh: true,
        }
    }

    /// When the user's next turn goes, at the earliest at `ready_ns` (its previous turn done);
    /// the turn after it is then due a gap later. A late turn does not make the next ones
    /// catch up: the user's clock moves on from the late one.
    #[inline]
    pub fn take(&mut self, ready_ns: u64) -> u64 {
        let ready_ns = if self.fresh { 0 } else { ready_ns };
        self.fresh = false;
        let due = self.next_due_ns.max(ready_ns);
        self.next_due_ns = due + self.gap_ns;
        due
    }
}

/// Where a worker gets its tickets.
pub enum Arrivals {
    /// Closed loop: claim the next index.
    Credits(Arc<Credits>),
    /// A simulated user of `--user-centric-rate`: claims the next index like a credit, but
    /// only at its own clock's next instant.
    User {
        /// The phase's shared credits.
        credits: Arc<Credits>,
        /// This user's clock.
        clock: UserClock,
    },
    /// Open loop: the dispatcher sends tickets to this worker when it reports itself idle.
    Paced {
        /// This worker's id, sent to the dispatcher when idle.
        id: u32,
        /// The dispatcher's idle list.
        idle: mpsc::UnboundedSender<u32>,
        /// Tickets for this worker.
        tickets: mpsc::Receiver<Ticket>,
    },
}

impl Arrivals {
    pub(super) async fn next(&mut self, phase: &PhaseState) -> Option<Ticket> {
        match self {
            Arrivals::Credits(credits) => {
                let now = now_ns();
                if !phase.allows(0, now) {
                    return None;
                }
                let n = credits
                    .share
                    .ticket(credits.next.fetch_add(1, Ordering::Relaxed));
                phase.allows(n, now).then(|| Ticket {
                    index: phase.first_index + n,
                    entry: phase.first_index + n,
                    scheduled_ns: now,
                })
            }
            Arrivals::User { credits, clock } => {
                let due = clock.take(now_ns());
                if due >= phase.deadline_ns {
                    return None;
                }
                super::pacer::sleep_until_ns(due).await;
                let now = now_ns();
                if !phase.allows(0, now) {
                    return None;
                }
                let n = credits.next.fetch_add(1, Ordering::Relaxed);
                phase.allows(n, now).then(|| Ticket {
                    index: phase.first_index + n,
                    entry: phase.first_index + n,
                    scheduled_ns: due,
                })
            }
            Arrivals::Paced { id, idle, tickets } => {
                idle.send(*id).ok()?;
                tickets.recv().await
            }
        }
    }

    /// The user's clock, for the turns of a session after its first.
    pub(super) fn user_clock(&mut self) -> Option<&mut UserClock> {
        match self {
            Arrivals::User { clock, .. } => Some(clock),
            _ => None,
        }
    }
}

/// A record in flight. If the worker is aborted (Ctrl-C, end of the grace period), dropping
/// the guard still hands the record off, marked cancelled, so no request goes unaccounted.
pub(super) struct InFlight<'a> {
    record: Option<Box<RequestRecord>>,
    sink: &'a RecordSink,
}

impl<'a> InFlight<'a> {
    /// Takes a record from the pool and guards it.
    pub(super) async fn new(sink: &'a RecordSink) -> InFlight<'a> {
        InFlight {
            record: Some(sink.take().await),
            sink,
        }
    }

    pub(super) fn record(&mut self) -> &mut RequestRecord {
        // The record is only taken by `finish`, which consumes the guard.
        self.record
            .as_deref_mut()
            .expect("record present until finish")
    }

    pub(super) fn finish(mut self) {
        if let Some(record) = self.record.take() {
            self.sink.submit(record);
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(mut record) = self.record.take() {
            record.outcome = Outcome::Cancelled;
            record.done_ns = now_ns();
            record.error =
                Some("cancelled: the run stopped while the request was in flight".into());
            self.sink.submit(record);
        }
    }
}

/// One worker of a single-turn phase: the request loop.
pub async fn run_request_worker(
    shared: Arc<Shared>,
    phase: Arc<PhaseState>,
    mut arrivals: Arrivals,
) {
    let mut connections: Vec<Option<Connection>> =
        (0..shared.targets.len()).map(|_| None).collect();
    let mut parser = SseParser::new();
    let entries = match &shared.stream {
        Some(stream) => stream.entries,
        None => shared.arena.len() as u64,
    }
    .max(1);
    while let Some(ticket) = arrivals.next(&phase).await {
        let target_index = (ticket.index % shared.targets.len() as u64) as usize;
        let entry_index = (ticket.entry % entries) as usize;
        let mut guard = InFlight::new(&shared.sink).await;
        {
            let record = guard.record();
            record.request_index = ticket.index;
            record.entry_index = entry_index as u32;
            record.phase_index = phase.phase_index;
            record.url_index = target_index as u16;
            record.scheduled_ns = ticket.scheduled_ns;
            record.in_ramp = ticket.scheduled_ns < phase.ramp_end_ns.load(Ordering::Relaxed);
        }
        // An open-loop ticket arrives a little ahead of its instant (see `engine::pacer`).
        super::pacer::yield_until(ticket.scheduled_ns).await;
        phase.released.fetch_add(1, Ordering::Relaxed);
        let mut prefill = match &phase.prefill {
            Some(gate) => gate.enter().await,
            None => PrefillHold::none(),
        };
        let body = match &shared.stream {
            None => shared.arena.body(entry_index),
            Some(stream) => match streamed_body(&stream.ring, ticket.index).await {
                Some(body) => body,
                None => {
                    let record = guard.record();
                    record.outcome = Outcome::Cancelled;
                    record.done_ns = now_ns();
                    record.error = Some(
                        "cancelled: the workload's rendering stopped before this request".into(),
                    );
                    guard.finish();
                    continue;
                }
            },
        };
        let slot = &mut connections[target_index];
        let unreachable = perform(
            &shared,
            target_index,
            body,
            ticket.index,
            slot,
            &mut parser,
            &mut guard,
            &mut prefill,
        )
        .await;
        drop(prefill);
        guard.finish();
        if shared.targets[target_index].reuse == ConnectionReuse::StickyUserSessions {
            // A single-turn request is a session of one: its connection ends with it.
            *slot = None;
        }
        if unreachable {
            // The server is unreachable; pause briefly so a dead server does not turn the
            // run into a busy loop of refused connects.
            tokio::time::sleep(UNREACHABLE_PAUSE).await;
        }
    }
}

/// Pause after a request that could not even connect.
pub(super) const UNREACHABLE_PAUSE: Duration = Duration::from_millis(5);

/// Sends one request under the run's time limit and fills the guarded record with how it
/// went. Returns whether the server could not be reached at all.
#[allow(clippy::too_many_arguments)]
pub(super) async fn perform(
    shared: &Shared,
    target_index: usize,
    body: Bytes,
    session: u64,
    slot: &mut Option<Connection>,
    parser: &mut SseParser,
    guard: &mut InFlight<'_>,
    prefill: &mut PrefillHold<'_>,
) -> bool {
    let result = tokio::time::timeout(
        shared.timeout,
        send_one(
            shared,
            target_index,
            body,
            session,
            slot,
            parser,
            guard.record(),
            prefill,
        ),
    )
    .await;
    prefill.release();
    let record = guard.record();
    match result {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => {
            *slot = None;
            // A reply cut off in the middle of a line (an outsized one) leaves it in the parser.
            parser.reset();
            record.outcome = failure.outcome;
            // A cancellation carries no message (nothing reads one): no allocation.
            record.error = (!failure.message.is_empty()).then_some(failure.message);
        }
        Err(_) => {
            *slot = None;
            record.outcome = Outcome::Timeout;
            record.error = Some(format!(
                "request timed out after {:.1} s",
                shared.timeout.as_secs_f64()
            ));
        }
    }
    if record.done_ns == 0 {
        record.done_ns = now_ns();
    }
    record.outcome == Outcome::Transport && record.sent_ns == 0
}

#[allow(clippy::too_many_arguments)]
async fn send_one(
    shared: &Shared,
    target_index: usize,
    body: Bytes,
    session: u64,
    slot: &mut Option<Connection>,
    parser: &mut SseParser,
    record: &mut RequestRecord,
    prefill: &mut PrefillHold<'_>,
) -> Result<(), Failure> {
    let target = &shared.targets[target_index];
    if slot.as_mut().is_some_and(Connection::peer_closed) {
        *slot = None;
    }
    let reused = slot.is_some();
    let conn = match slot {
        Some(conn) => conn,
        None => {
            let conn = connect(target, shared.timeout).await.map_err(transport)?;
            record.connect_ns = conn.connect_ns;
            slot.insert(conn)
        }
    };
    record.connection_reused = reused;
    conn.uses += 1;
    record.bytes_sent = u32::try_from(body.len()).unwrap_or(u32::MAX);
    record.sent_ns = now_ns();
    shared.sent.fetch_add(1, Ordering::Relaxed);
    let cancel_after = (shared.cancellation.as_ref())
        .and_then(|c| c.delay_for(record.phase_index, record.request_index));
    // AIPerf starts the cancellation timer once the request is fully written, so the server
    // always gets the whole request (a delay of 0: send it, then disconnect).
    let written = match cancel_after {
        Some(_) => Some(conn.send_in(target, &body, session).await),
        None => None,
    };
    let exchange = exchange(
        shared, target, conn, written, body, session, parser, record, prefill,
    );
    let reusable = match cancel_after {
        None => exchange.await?,
        // Dropping the exchange at the deadline leaves the connection mid-response: the
        // caller drops it, which is the disconnect the server sees.
        Some(delay) => tokio::time::timeout(delay, exchange)
            .await
            .map_err(|_| Failure {
                outcome: Outcome::Cancelled,
                message: String::new(),
            })??,
    };
    if !reusable {
        *slot = None;
    }
    if let Some(plan) = &shared.video_job {
        let limits = super::video_job::Limits {
            timeout: shared.timeout,
            max_response_bytes: shared.max_response_bytes,
        };
        super::video_job::follow(&limits, target, slot, record, plan).await?;
    }
    if target.reuse == ConnectionReuse::Never {
        *slot = None;
    }
    Ok(())
}

/// Writes the request on `conn` (unless `written` says how its write went already) and reads
/// its whole response into `record`, giving back its prefill slot at the first SSE event.
/// Returns whether the connection may carry the next request.
#[allow(clippy::too_many_arguments)]
pub(super) async fn exchange(
    shared: &Shared,
    target: &super::client::Target,
    conn: &mut Connection,
    written: Option<Result<(), ReadError>>,
    body: Bytes,
    session: u64,
    parser: &mut SseParser,
    record: &mut RequestRecord,
    prefill: &mut PrefillHold<'_>,
) -> Result<bool, Failure> {
    let answer = match written {
        None => conn.exchange_in(target, &body, session).await,
        // As `Connection::exchange`: a failed write may still have an answer to read.
        Some(Ok(())) => conn.read_head().await,
        Some(Err(failed)) => conn.read_head().await.map_err(|_| failed),
    };
    let (head, head_ns) = match answer {
        Ok(answer) => answer,
        Err(ReadError::NothingReceived(_)) if record.connection_reused => {
            // The server closed the kept-alive connection before answering: some (llama.cpp's)
            // advertise keep-alive but close after a streamed response, and the close can land
            // after we reused it. Nothing of ours was answered, so send once more on a fresh
            // connection, as curl and browsers do.
            *conn = connect(target, shared.timeout).await.map_err(transport)?;
            conn.uses = 1;
            record.connect_ns = conn.connect_ns;
            record.connection_reused = false;
            record.sent_ns = now_ns();
            conn.exchange_in(target, &body, session)
                .await
                .map_err(|e| transport(e.to_string()))?
        }
        Err(e) => return Err(transport(e.to_string())),
    };
    record.first_byte_ns = head_ns;
    record.status = head.status;
    let success = (200..300).contains(&head.status);
    if success && head.coding != ContentCoding::Identity {
        record.done_ns = now_ns();
        return Err(Failure {
            outcome: Outcome::EncodedResponse,
            message: format!(
                "the reply came compressed (Content-Encoding: {}) although the request asked \
                 for identity; gauntlet measures replies as they arrive and does not decode them",
                head.coding.name()
            ),
        });
    }
    let mut framing = head.framing;
    if head.is_sse && shared.streaming && success {
        parser.reset();
        while let Some((piece, ts)) = conn
            .next_body(&mut framing)
            .await
            .map_err(|e| body_failed(record, e))?
        {
            let data = conn.bytes(piece);
            count_received(record, data.len(), shared.max_response_bytes)?;
            parser.feed(data, ts, record);
            if prefill.is_held() && !record.events.is_empty() {
                prefill.release();
            }
        }
        let ts = now_ns();
        parser.finish(ts, record);
        record.done_ns = ts;
    } else {
        let mut last_ts = head_ns;
        while let Some((piece, ts)) = conn
            .next_body(&mut framing)
            .await
            .map_err(|e| body_failed(record, e))?
        {
            last_ts = ts;
            let data = conn.bytes(piece);
            count_received(record, data.len(), shared.max_response_bytes)?;
            record.body.extend_from_slice(data);
        }
        record.done_ns = last_ts.max(now_ns());
        record.events.push(EventMark {
            end: record.body.len() as u64,
            ts_ns: last_ts,
        });
        if !success {
            let text = String::from_utf8_lossy(&record.body[..record.body.len().min(300)]);
            return Err(Failure {
                outcome: Outcome::HttpError,
                message: format!("HTTP {}: {}", record.status, text.trim()),
            });
        }
    }
    Ok(conn.reusable_after(&head))
}

#[cfg(test)]
mod user_clock_tests {
    use super::UserClock;

    #[test]
    fn a_user_keeps_its_gap_and_waits_for_a_slow_turn_without_catching_up() {
        let mut clock = UserClock::new(1_000, 100);
        // The first turn keeps the user's start even when its worker comes late.
        assert_eq!(clock.take(1_050), 1_000);
        // The previous turn finished early: the next waits for its gap.
        assert_eq!(clock.take(1_020), 1_100);
        // It finished late: the next goes at once, and the clock moves on from there.
        assert_eq!(clock.take(1_350), 1_350);
        assert_eq!(clock.take(1_360), 1_450);
    }
}
