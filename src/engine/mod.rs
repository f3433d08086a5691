//! The request loop: queues, HTTP client, SSE parsing, timestamps.
//!
//! [`run_phase`] drives one phase: it starts workers (see `worker`), feeds them tickets from
//! the phase's arrival source, enforces the stop rule and the grace period, and on
//! cancellation aborts in-flight requests, whose records are still handed off as cancelled.

pub mod api_reply;
pub mod client;
mod failure;
pub mod http1;
mod json_walk;
mod pacer;
pub mod prefill;
mod ramp;
pub mod record;
pub mod reply;
pub mod session;
pub mod session_table;
pub mod sink;
pub mod sse;
pub mod tls;
mod tls_records;
mod video_job;
pub mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::clock::now_ns;
use crate::config::{Phase, PhaseKind, StopRule};
use crate::rng::RngRoot;
use crate::schedule::{LimitRamp, RateSchedule};
use worker::{Arrivals, Credits, PhaseState, Shared, Ticket, UserClock};

pub use worker::Shared as EngineShared;

/// One worker of a phase: the session loop when the workload is multi-turn, else the request
/// loop. The choice is made here, above both, so neither loop's module imports the other.
async fn run_worker(shared: Arc<Shared>, phase: Arc<PhaseState>, arrivals: Arrivals) {
    if shared.sessions.is_some() {
        return session::run_session_worker(shared, phase, arrivals).await;
    }
    worker::run_request_worker(shared, phase, arrivals).await
}

/// The client's tokio runtime: `threads` workers, I/O and timers. Runs and `calibrate` both
/// build it here, so calibrate measures what a run uses.
///
/// tokio panics ("OS can't spawn worker thread") when the OS refuses the first thread (a low
/// `ulimit -u`, a container's pids limit); that panic comes back here as an error naming
/// `--client-threads`, like the builder's own errors, never as a crash.
pub fn client_runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    let threads = threads.max(1);
    let build = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    crate::quiet_panic::catch(build)
        .unwrap_or_else(|message| Err(std::io::Error::other(message)))
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("{threads} threads (--client-threads): {e}; try fewer threads"),
            )
        })
}

/// Open-loop phases without a concurrency cap grow their worker pool on demand up to this.
const UNCAPPED_WORKER_LIMIT: u32 = 10_000;

/// How a phase ended, for the accounting line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseCounts {
    /// Requests the phase planned (count rules) or released (duration rules).
    pub scheduled: u64,
    /// Requests released to a worker.
    pub issued: u64,
    /// Tickets handed out: requests, or sessions when the workload is multi-turn.
    pub tickets: u64,
    /// Planned requests never released (the run was stopped first).
    pub not_sent: u64,
    /// Whether the phase was cut short by a stop signal.
    pub cancelled: bool,
    /// Monotonic ns when the phase started and ended (0 when it never ran): the telemetry
    /// window.
    pub start_ns: u64,
    /// See `start_ns`.
    pub end_ns: u64,
    /// Monotonic ns the phase's schedule counts from (an open loop's first instant).
    pub origin_ns: u64,
}

/// Runs one phase to its stop rule (or until `stop` turns true) and waits for its requests.
pub async fn run_phase(
    shared: Arc<Shared>,
    phase: &Phase,
    phase_index: u8,
    first_index: u64,
    root: &RngRoot,
    mut stop: watch::Receiver<bool>,
) -> Result<PhaseCounts, crate::schedule::ScheduleError> {
    let now = now_ns();
    let start = match shared.start_at_ns.swap(0, Ordering::Relaxed) {
        0 => now,
        at => at.min(now),
    };
    let origin = if start < now { start } else { 0 };
    let multi_turn = shared.sessions.is_some();
    let share = shared.share;
    // (tickets, session turns, deadline, grace); tickets count the whole schedule (each
    // worker keeps its share of them), a turn budget is split by the share.
    let (limit, turn_limit, deadline_ns, grace) = match phase.stop {
        StopRule::Count { requests } if multi_turn => {
            (u64::MAX, share.of(requests), u64::MAX, None)
        }
        StopRule::Count { requests } => (requests, u64::MAX, u64::MAX, None),
        StopRule::Sessions { sessions } => (sessions, u64::MAX, u64::MAX, None),
        StopRule::Duration { duration, grace } => (
            u64::MAX,
            u64::MAX,
            start + duration.as_nanos() as u64,
            Some(grace),
        ),
    };
    let ramp_ns = phase
        .shape
        .ramp_length()
        .as_nanos()
        .min(u128::from(u64::MAX)) as u64;
    let state = Arc::new(PhaseState {
        phase_index,
        first_index,
        limit,
        turn_limit,
        turns_claimed: Default::default(),
        deadline_ns,
        stopping: Default::default(),
        released: Default::default(),
        // An open loop's dispatcher sets it when it starts, unless `--start-at` gave it.
        origin_ns: AtomicU64::new(origin),
        ramp_ns,
        ramp_end_ns: (if ramp_ns == 0 {
            0
        } else {
            start.saturating_add(ramp_ns)
        })
        .into(),
        prefill: phase.shape.prefill_concurrency.map(|limit| {
            prefill::PrefillGate::new(match phase.shape.prefill_ramp {
                Some(_) => 1,
                None => limit,
            })
        }),
    });
    let prefill_ramp = ramp::spawn_prefill_ramp(&state, &phase.shape, start);
    let concurrency_ramp = |target: u32| LimitRamp::new(target, phase.shape.concurrency_ramp);
    let mut workers = JoinSet::new();
    let mut cancelled = *stop.borrow();
    let tickets;
    let fixed = shared.fixed_schedule.is_some() && phase.kind == PhaseKind::Profiling;
    match phase.arrival.request_rate {
        None if !fixed => {
            let credits = Arc::new(Credits::new(share));
            let users = shared.users.filter(|_| phase.kind == PhaseKind::Profiling);
            match users {
                // Each worker is a user with its own clock, the users `1 / rate` apart; a
                // process in worker mode runs its share of the users.
                Some(users) => {
                    for user in (0..users.users).filter(|&u| share.owns(u64::from(u))) {
                        let clock =
                            UserClock::new(start + users.start_offset_ns(user), users.gap_ns());
                        workers.spawn(run_worker(
                            shared.clone(),
                            state.clone(),
                            Arrivals::User {
                                credits: credits.clone(),
                                clock,
                            },
                        ));
                    }
                }
                None => {
                    let concurrency = share.slots(phase.arrival.concurrency.unwrap_or(1).max(1));
                    let own = share.of(limit).min(turn_limit);
                    let concurrency = u64::from(concurrency).min(own.max(1)) as u32;
                    let ramp = concurrency_ramp(concurrency);
                    for k in 0..concurrency {
                        let worker = run_worker(
                            shared.clone(),
                            state.clone(),
                            Arrivals::Credits(credits.clone()),
                        );
                        // A concurrency ramp is workers joining at its steps: a free worker is
                        // a credit, so the k-th worker is the k-th request in flight.
                        let (credits, state) = (credits.clone(), state.clone());
                        let over = move || credits.exhausted(&state);
                        workers.spawn(ramp::after(start + ramp.step_ns(k), over, worker));
                    }
                }
            }
            cancelled |=
                wait_for_workers(&mut workers, &state, deadline_ns, grace, &mut stop).await;
            tickets = credits.issued(&state);
        }
        rate => {
            let release = match (fixed, rate) {
                (true, _) => Release::Fixed,
                (false, Some(rate)) => Release::Rate(Box::new(
                    RateSchedule::new(rate, phase.arrival.pattern, root, u64::from(phase_index))?
                        .with_ramp(phase.shape.rate_ramp),
                )),
                // Unreachable: the outer match sends rate-less phases to the closed loop
                // unless a fixed schedule applies.
                (false, None) => Release::Fixed,
            };
            let cap = concurrency_ramp(match phase.arrival.concurrency {
                Some(c) => share.slots(c.max(1)),
                None => UNCAPPED_WORKER_LIMIT,
            });
            // The dispatcher runs as a task on the runtime, not in `block_on` on the calling
            // thread: a ticket it sends then wakes its worker on the same runtime thread
            // (tokio's LIFO slot) instead of unparking another thread, which cost ~50 µs of
            // send lag per request on a VM.
            let cancel = Arc::new(tokio::sync::Notify::new());
            let mut task = {
                let (state, shared, cancel) = (state.clone(), shared.clone(), cancel.clone());
                let mut pool = std::mem::take(&mut workers);
                tokio::spawn(async move {
                    let mut dispatched = 0u64;
                    tokio::select! {
                        () = dispatch(release, &state, cap, &shared, &mut pool, &mut dispatched) => {}
                        () = cancel.notified() => {}
                    }
                    (pool, dispatched)
                })
            };
            let joined = tokio::select! {
                joined = &mut task => joined,
                () = stop_signal(&mut stop) => {
                    cancelled = true;
                    cancel.notify_one();
                    task.await
                }
            };
            let (pool, dispatched) = match joined {
                Ok(done) => done,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => (JoinSet::new(), 0),
            };
            workers = pool;
            // A duration-bound phase ends at a ticket number each worker finds for itself:
            // rounded up to a whole round of workers, the next phase's indexes stay apart.
            let dispatched = match share.is_partial() && limit == u64::MAX {
                true => dispatched.div_ceil(u64::from(share.count)) * u64::from(share.count),
                false => dispatched,
            };
            if !cancelled {
                cancelled |=
                    wait_for_workers(&mut workers, &state, deadline_ns, grace, &mut stop).await;
            } else {
                abort_all(&mut workers, &state).await;
            }
            tickets = dispatched;
        }
    }
    if let Some(task) = prefill_ramp {
        task.abort();
    }
    let issued = state.released.load(Ordering::Relaxed);
    let scheduled = planned_requests(phase.stop, shared.sessions.as_ref(), first_index, share)
        .unwrap_or(issued);
    Ok(PhaseCounts {
        scheduled,
        issued,
        tickets,
        not_sent: scheduled - issued.min(scheduled),
        cancelled,
        start_ns: start,
        end_ns: now_ns(),
        origin_ns: match state.origin_ns.load(Ordering::Relaxed) {
            0 => start,
            at => at,
        },
    })
}

/// Requests a phase plans before it starts (this process's share of them), or `None` for a
/// duration rule, whose requests are known only once it ran.
pub fn planned_requests(
    stop: StopRule,
    sessions: Option<&session_table::SessionTable>,
    first_index: u64,
    share: crate::config::WorkerShare,
) -> Option<u64> {
    match (stop, sessions) {
        (StopRule::Duration { .. }, _) => None,
        // Every turn of a whole session is planned when its ticket is.
        (StopRule::Sessions { sessions }, Some(table)) => {
            Some(table.turns_in_share(first_index, sessions, share))
        }
        (StopRule::Count { requests } | StopRule::Sessions { sessions: requests }, _) => {
            Some(share.of(requests))
        }
    }
}

/// Where an open-loop phase's release times come from.
enum Release {
    /// Gaps drawn for a request rate.
    Rate(Box<RateSchedule>),
    /// The trace's `(entry, offset from the phase start in ns)` pairs in
    /// `Shared::fixed_schedule`, in time order.
    Fixed,
}

/// Releases tickets at the schedule's times to idle workers, spawning workers up to `cap`.
async fn dispatch(
    mut release: Release,
    state: &Arc<PhaseState>,
    cap: LimitRamp,
    shared: &Arc<Shared>,
    workers: &mut JoinSet<()>,
    dispatched: &mut u64,
) {
    let (idle_tx, mut idle_rx) = mpsc::unbounded_channel::<u32>();
    let mut senders: Vec<mpsc::Sender<Ticket>> = Vec::new();
    let timer = pacer::Timer::new().ok();
    let start = match state.origin_ns.load(Ordering::Relaxed) {
        0 => {
            let now = now_ns();
            state.origin_ns.store(now, Ordering::Relaxed);
            now
        }
        at => at,
    };
    if state.ramp_ns > 0 {
        // The rate line and the pool's limit count from here: so does the ramp's end.
        state
            .ramp_end_ns
            .store(start.saturating_add(state.ramp_ns), Ordering::Relaxed);
    }
    let mut due = start as f64;
    let mut n = 0u64;
    let times = shared.fixed_schedule.as_deref().unwrap_or_default();
    loop {
        let (entry, due_ns) = match &release {
            Release::Rate(_) => (state.first_index + n, due as u64),
            Release::Fixed => match times.get(n as usize) {
                Some(&(entry, offset)) => (entry, start + offset),
                None => break,
            },
        };
        if !state.allows(n, due_ns) {
            break;
        }
        if !shared.share.owns(n) {
            // Another worker's ticket: its gap is still drawn, so every worker walks the same
            // global sequence and keeps the instants of its own tickets.
            n += 1;
            *dispatched = n;
            if let Release::Rate(schedule) = &mut release {
                due += schedule.next_gap_ns();
            }
            continue;
        }
        // Wake a margin before the instant and hand the ticket over then: the worker yields
        // through the rest, so neither the timer's nor the hand-off's latency makes it late.
        let wake_ns = due_ns.saturating_sub(pacer::EARLY_NS);
        let woken = match &timer {
            Some(timer) => timer.wake_at(wake_ns).await.is_ok(),
            None => false,
        };
        if !woken {
            pacer::sleep_until_ns(wake_ns).await;
        }
        let worker_id = match idle_rx.try_recv() {
            Ok(id) => id,
            Err(_) if (senders.len() as u32) < cap.at(now_ns().saturating_sub(start)) => {
                let id = senders.len() as u32;
                let (tx, rx) = mpsc::channel(1);
                senders.push(tx);
                workers.spawn(run_worker(
                    shared.clone(),
                    state.clone(),
                    Arrivals::Paced {
                        id,
                        idle: idle_tx.clone(),
                        tickets: rx,
                    },
                ));
                // The new worker announces itself idle before taking its first ticket.
                match idle_rx.recv().await {
                    Some(id) => id,
                    None => break,
                }
            }
            Err(_) => match idle_rx.recv().await {
                Some(id) => id,
                None => break,
            },
        };
        if !state.allows(n, now_ns().min(due_ns)) {
            break;
        }
        let ticket = Ticket {
            index: state.first_index + n,
            entry,
            scheduled_ns: due_ns,
        };
        if senders[worker_id as usize].send(ticket).await.is_err() {
            break;
        }
        n += 1;
        *dispatched = n;
        if let Release::Rate(schedule) = &mut release {
            due += schedule.next_gap_after_ns(due - start as f64);
        }
    }
    // Dropping the senders ends each worker after its current request.
    drop(senders);
}

async fn stop_signal(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            // The sender is gone: nobody can stop us any more.
            std::future::pending::<()>().await;
        }
    }
}

/// Waits for the workers to drain; aborts them at deadline + grace or on a stop signal.
/// Returns whether the phase was cancelled by the signal.
async fn wait_for_workers(
    workers: &mut JoinSet<()>,
    state: &Arc<PhaseState>,
    deadline_ns: u64,
    grace: Option<Duration>,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    let abort_at = grace.map(|g| deadline_ns.saturating_add(g.as_nanos() as u64));
    let drain = async { while workers.join_next().await.is_some() {} };
    let timer = async {
        match abort_at {
            Some(at) => {
                let now = now_ns();
                tokio::time::sleep(Duration::from_nanos(at.saturating_sub(now))).await
            }
            None => std::future::pending().await,
        }
    };
    let cancelled = tokio::select! {
        _ = drain => return false,
        _ = timer => false,
        _ = stop_signal(stop) => true,
    };
    abort_all(workers, state).await;
    cancelled
}

async fn abort_all(workers: &mut JoinSet<()>, state: &Arc<PhaseState>) {
    state.stopping.store(true, Ordering::Relaxed);
    workers.abort_all();
    while workers.join_next().await.is_some() {}
}

#[cfg(test)]
mod runtime_tests {
    use super::*;

    #[test]
    fn a_thread_spawn_panic_becomes_an_error_message() {
        let result: Result<(), String> = crate::quiet_panic::catch(|| {
            panic!("OS can't spawn worker thread: Resource unavailable")
        });
        let message = result.unwrap_err();
        assert!(
            message.contains("OS can't spawn worker thread"),
            "{message}"
        );
    }

    #[test]
    fn a_runtime_within_the_cap_starts() {
        let runtime = client_runtime(2).unwrap();
        assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
        assert_eq!(crate::quiet_panic::catch(|| 7), Ok(7));
    }
}
