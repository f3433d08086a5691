//! The drive step of a run: starts the record processor thread, telemetry and the client
//! runtime, runs the phases, and hands back everything they collected for the report step.

use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam::channel::RecvTimeoutError;

use tokio::sync::watch;

use super::dashboard::Dashboard;
use super::live::{LiveViews, UiType};
use super::overhead::process_cpu_seconds;
use super::progress::Progress;
use super::signals::{Interrupt, SignalWatch};
use super::threshold::FailureWatch;
use super::{artifacts_err, Prepared, RunError};
use crate::clock::WallAnchor;
use crate::config::{ExportInputs, Plan, StopRule};
use crate::dataset::Workload;
use crate::engine::client::Target;
use crate::engine::record::Outcome;
use crate::engine::session_table::SessionTable;
use crate::engine::sink::{self, RecordSink, RecordSource};
use crate::engine::worker::Shared;
use crate::engine::{run_phase, PhaseCounts};
use crate::metrics::goodput::Goodput;
use crate::metrics::processor::{ProcessorContext, RecordProcessor};
use crate::metrics::timeslice::TimeSlices;
use crate::report;
use crate::rng::RngRoot;
use crate::schedule::CancelSchedule;
use crate::tokenizer::LazyTokenizer;

/// Puts the calling thread in Linux's SCHED_BATCH class: it still gets its fair share of CPU,
/// but waking up no longer preempts a running thread. The record processor wakes for every
/// batch of finished records; preempting a client runtime thread each time showed up as
/// milliseconds of send lag at 10,000 requests/s on two cores.
fn yield_to_the_engine() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is the calling thread; the parameter is valid for SCHED_BATCH. A
        // failure leaves the thread in its normal class, which is only slower to yield.
        unsafe {
            libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
        }
    }
}

/// How often the processor thread hands the buffered `profile_export.jsonl` lines to the
/// file, so a process killed outright (SIGKILL, a crash) loses at most this much of it.
const JSONL_FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Records the processor may fall behind by before senders wait.
const RECORD_QUEUE: usize = 8_192;

/// What the phases left for the report step.
pub(super) struct Collected {
    /// Per phase: what was scheduled, sent and whether it was cancelled.
    pub phase_counts: Vec<PhaseCounts>,
    /// The record processor, every record processed, not yet finished.
    pub processor: RecordProcessor,
    /// Monotonic ns of the first request sent, if any.
    pub first_sent_ns: Option<u64>,
    /// What the telemetry collectors gathered.
    pub telemetry: crate::telemetry::Collected,
    /// Process CPU seconds when the first phase started.
    pub cpu_before_phases_s: f64,
    /// Where the per-request records were streamed.
    pub jsonl_path: PathBuf,
    /// The signal that stopped the phases, if one did.
    pub interrupt: Option<Interrupt>,
    /// Artifacts that could not be written so far (each error names its file).
    pub write_failures: Vec<std::io::Error>,
    /// How the `--start-at` wait went.
    pub start: super::worker_mode::StartReport,
}

/// Runs `plan`'s phases over the prepared workload: streams `profile_export.jsonl`, writes
/// `inputs.json` once the phases are over, and returns what was collected. The phases stop
/// early when `signals` catches a terminating signal.
#[allow(clippy::too_many_arguments)]
pub(super) fn drive(
    plan: &Plan,
    dir: &Path,
    anchor: WallAnchor,
    prepared: Prepared,
    fixed_schedule: Option<Vec<(u64, u64)>>,
    sessions: Option<SessionTable>,
    stream: Option<super::stream::Stream>,
    signals: &SignalWatch,
    progress: Option<&Progress>,
) -> Result<Collected, RunError> {
    let Prepared {
        tokenizer,
        workload,
        arena,
        ..
    } = prepared;
    let targets = plan
        .urls
        .iter()
        .map(|u| {
            Target::new(
                u,
                plan.endpoint,
                plan.request_path(),
                plan.streaming,
                plan.api_key.as_deref(),
                &plan.headers,
            )
            .map(|t| t.with_connection(&plan.connection))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let targets = super::tls_check::prepare(plan, targets)?;

    // The engine's count of requests sent, read by the live views a few times a second
    // (and by an embedding program's progress calls).
    let planned = planned_requests(plan, sessions.as_ref());
    let sent = progress.map_or_else(|| Arc::new(AtomicU64::new(0)), |p| p.start(planned));
    let ProcessorThread {
        handle: processor_thread,
        sink,
        progress,
        dashboard,
        session_ids,
        jsonl_path,
        profiling_start,
    } = start_processor(
        plan,
        dir,
        anchor,
        &tokenizer,
        workload,
        sessions.as_ref(),
        FailureWatch::new(plan, signals.stopper()),
        sent.clone(),
        progress.cloned(),
    )?;

    // A second handle on the bodies (the bytes are shared) for `inputs.json`.
    let bodies = arena.clone();
    let root = RngRoot::new(plan.random_seed);
    let cancellation = CancelSchedule::new(&root, &plan.phases);
    let shared = Arc::new(Shared {
        arena,
        stream: stream.as_ref().map(super::stream::Stream::bodies),
        targets,
        streaming: plan.streaming,
        timeout: plan.request_timeout,
        max_response_bytes: plan.max_response_bytes,
        sink,
        sent,
        sessions,
        next_request: Default::default(),
        fixed_schedule,
        cancellation,
        video_job: plan.video_job,
        share: plan.scale_out.share(),
        start_at_ns: Default::default(),
        users: plan.user_centric,
    });
    let runtime = crate::engine::client_runtime(plan.client_threads).map_err(RunError::Runtime)?;
    let cpu_before_phases_s = process_cpu_seconds();
    // Telemetry runs on its own threads; it samples at each phase boundary (run_phases).
    let telemetry = crate::telemetry::Telemetry::start(&plan.telemetry);
    if let Some(dashboard) = &dashboard {
        dashboard.show_telemetry(telemetry.live_gauges());
    }
    let stop = signals.stop_flag();
    // Everything is prepared: wait for the instant all workers begin (`--start-at`).
    let start_wait = super::worker_mode::wait_for_start(plan.scale_out.start_at, &stop);
    if let Some(due) = start_wait.due_ns {
        shared.start_at_ns.store(due, Ordering::Relaxed);
    }
    let phases = run_phases(plan, shared, &root, &telemetry, stop, &profiling_start);
    let phase_counts = runtime.block_on(phases);
    // `inputs.json` (tens of MB for a large workload) is written after the run, so it does not
    // delay the first request.
    let mut inputs = (session_ids.iter().enumerate())
        .map(|(i, session)| (session.as_str(), bodies.body_bytes(i)));
    let mut sessions_seen = 0usize;
    let mut last_session: Option<&str> = None;
    let mut sample = inputs.by_ref().take_while(|(session, _)| {
        if last_session != Some(*session) {
            last_session = Some(*session);
            sessions_seen += 1;
        }
        sessions_seen <= ExportInputs::SAMPLE_SESSIONS
    });
    // A failed write is named at the end, after the results are printed. A streamed
    // workload's `inputs.json` was written as its bodies were rendered.
    let written = match (&stream, plan.export_inputs) {
        (Some(_), _) | (_, ExportInputs::None) => Ok(()),
        (None, ExportInputs::Full) => report::write_inputs_json(dir, &mut inputs),
        (None, ExportInputs::Sample) => report::write_inputs_json(dir, &mut sample),
    };
    let mut write_failures: Vec<std::io::Error> = written.err().into_iter().collect();
    if let Some(stream) = stream {
        match stream.finish() {
            Ok(rendered) => write_failures.extend(rendered.inputs_error),
            // The requests after it were recorded as cancelled; the results are still written.
            Err(e) => eprintln!("error: the workload's rendering stopped during the run: {e}"),
        }
    }
    let phase_counts = phase_counts?;
    let collected = telemetry.stop();
    runtime.shutdown_background();

    let (processor, first_sent_ns) = processor_thread
        .join()
        .map_err(|_| RunError::Runtime(std::io::Error::other("the record processor panicked")))?;
    progress.finish_and_clear();
    // The terminal is back before the report prints.
    drop(dashboard);
    Ok(Collected {
        phase_counts,
        processor,
        first_sent_ns,
        telemetry: collected,
        cpu_before_phases_s,
        jsonl_path,
        interrupt: signals.interrupt(),
        write_failures,
        start: start_wait,
    })
}

/// The record processor's thread, and what the drive step keeps of its setup.
struct ProcessorThread {
    handle: std::thread::JoinHandle<(RecordProcessor, Option<u64>)>,
    /// Where the workers hand finished records.
    sink: RecordSink,
    progress: indicatif::ProgressBar,
    /// `--ui-type dashboard`'s screen; dropping it gives the terminal back.
    dashboard: Option<Dashboard>,
    /// Per workload entry, its session id (for `inputs.json`).
    session_ids: Arc<[String]>,
    jsonl_path: PathBuf,
    /// Monotonic ns when the first profiling phase started (0 until then).
    profiling_start: Arc<AtomicU64>,
}

/// Creates `profile_export.jsonl` and starts the thread that derives metrics from every
/// finished record and streams them there (and feeds the progress line or the dashboard).
#[allow(clippy::too_many_arguments)]
fn start_processor(
    plan: &Plan,
    dir: &Path,
    anchor: WallAnchor,
    tokenizer: &Arc<LazyTokenizer>,
    workload: Workload,
    sessions: Option<&SessionTable>,
    failures: Option<FailureWatch>,
    sent: Arc<AtomicU64>,
    counts: Option<Progress>,
) -> Result<ProcessorThread, RunError> {
    // When the first profiling phase starts (run_phases sets it): time slices count from it.
    let profiling_start = Arc::new(AtomicU64::new(0));
    let jsonl_path = dir.join("profile_export.jsonl");
    let jsonl = std::fs::File::create(&jsonl_path).map_err(artifacts_err(&jsonl_path))?;
    let ctx = ProcessorContext {
        endpoint: plan.endpoint,
        streaming: plan.streaming,
        phase_names: plan.phases.iter().map(|p| p.name.clone()).collect(),
        excluded_phases: plan
            .phases
            .iter()
            .map(|p| p.excluded_from_results())
            .collect(),
        anchor,
        redactor: crate::metrics::Redactor::from_plan(plan),
        reply_field: crate::metrics::template_reply::ReplyField::for_plan(plan),
    };
    let counter = tokenizer.clone();
    let mut processor = RecordProcessor::new(
        ctx,
        Some(Box::new(BufWriter::with_capacity(1 << 20, jsonl))),
        Box::new(move |text: &str| counter.get().map_or(0, |t| t.count(text).unwrap_or(0))),
    );
    if !plan.results.goodput.is_empty() {
        processor = processor.with_goodput(Goodput::new(&plan.results.goodput)?);
    }
    if let Some(width) = plan.results.slice_duration {
        let width_ns = u64::try_from(width.as_nanos()).unwrap_or(u64::MAX);
        let origin = profiling_start.clone();
        let slices = TimeSlices::new(width_ns, origin, plan.endpoint.produces_tokens());
        processor = processor.with_time_slices(slices);
    }
    let (sink, source) = sink::channel(RECORD_QUEUE);
    let total = planned_requests(plan, sessions);
    let ui = super::live::ui();
    let (progress, feed, dashboard) =
        if ui == UiType::Dashboard && super::live::dashboard_possible() {
            let feed = super::live::new_feed();
            let info = crate::report::dashboard::DashboardInfo {
                title: dashboard_title(plan),
                total,
            };
            let dashboard = Dashboard::start(feed.clone(), info).map_err(RunError::Runtime)?;
            (
                indicatif::ProgressBar::hidden(),
                Some(feed),
                Some(dashboard),
            )
        } else if ui == UiType::None {
            (indicatif::ProgressBar::hidden(), None, None)
        } else {
            (progress_bar(total), None, None)
        };
    let live = LiveViews::new(sent, &progress, feed);
    let input_tokens: Vec<u32> = workload.entries.iter().map(|e| e.input_tokens).collect();
    let max_tokens: Vec<Option<u32>> = workload.entries.iter().map(|e| e.max_tokens).collect();
    let multi_turn = workload.is_multi_turn();
    let mut turn_index = vec![0u32; workload.entries.len()];
    for span in &workload.sessions {
        for k in 0..span.turns {
            turn_index[(span.first + k) as usize] = k;
        }
    }
    let session_ids: Arc<[String]> = workload.entries.into_iter().map(|e| e.session_id).collect();
    let ids = session_ids.clone();
    let processor_thread = std::thread::Builder::new()
        .name("gauntlet-records".into())
        .spawn(move || {
            yield_to_the_engine();
            let entries = EntryFacts {
                input_tokens: &input_tokens,
                max_tokens: &max_tokens,
                session_ids: &ids,
                turn_index: &turn_index,
                multi_turn,
            };
            let observers = Observers {
                failures,
                live,
                counts,
            };
            process_records(processor, source, &entries, observers)
        })
        .map_err(RunError::Runtime)?;
    Ok(ProcessorThread {
        handle: processor_thread,
        sink,
        progress,
        dashboard,
        session_ids,
        jsonl_path,
        profiling_start,
    })
}

/// The dashboard's title: model, first server (credentials redacted), endpoint type.
fn dashboard_title(plan: &Plan) -> String {
    let server = plan.urls.first().map_or("", |u| u.original.as_str());
    let more = match plan.urls.len() {
        0 | 1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    let streaming = if plan.streaming { ", streaming" } else { "" };
    format!(
        "{} @ {server}{more} | {}{streaming}",
        plan.model,
        plan.endpoint.name()
    )
}

async fn run_phases(
    plan: &Plan,
    shared: Arc<Shared>,
    root: &RngRoot,
    telemetry: &crate::telemetry::Telemetry,
    stop_rx: watch::Receiver<bool>,
    profiling_start: &AtomicU64,
) -> Result<Vec<PhaseCounts>, RunError> {
    let mut counts = Vec::with_capacity(plan.phases.len());
    let mut first_index = 0u64;
    for (i, phase) in plan.phases.iter().enumerate() {
        if counts.last().is_some_and(|c: &PhaseCounts| c.cancelled) {
            // Phases that never started are planned-but-not-sent requests.
            let planned = crate::engine::planned_requests(
                phase.stop,
                shared.sessions.as_ref(),
                first_index,
                shared.share,
            )
            .unwrap_or(0);
            counts.push(PhaseCounts {
                scheduled: planned,
                issued: 0,
                tickets: 0,
                not_sent: planned,
                cancelled: true,
                ..Default::default()
            });
            continue;
        }
        tokio::task::block_in_place(|| telemetry.boundary());
        if !phase.excluded_from_results() && profiling_start.load(Ordering::Acquire) == 0 {
            // Before the phase's first request is sent, so its every record sees it.
            profiling_start.store(crate::clock::now_ns().max(1), Ordering::Release);
        }
        let c = run_phase(
            shared.clone(),
            phase,
            i as u8,
            first_index,
            root,
            stop_rx.clone(),
        )
        .await?;
        first_index += c.tickets;
        counts.push(c);
    }
    tokio::task::block_in_place(|| telemetry.boundary());
    drop(shared);
    Ok(counts)
}

/// What the record processor needs to know of each workload entry.
#[derive(Clone, Copy)]
struct EntryFacts<'a> {
    /// Prompt tokens per entry.
    input_tokens: &'a [u32],
    /// `max_tokens` each entry asks for.
    max_tokens: &'a [Option<u32>],
    /// Conversation id per entry.
    session_ids: &'a [String],
    /// Place in its conversation per entry.
    turn_index: &'a [u32],
    /// Whether entries are turns of multi-turn sessions.
    multi_turn: bool,
}

/// What watches the processed records besides the processor: the failure threshold, the
/// progress line or dashboard, an embedding program's counts.
struct Observers {
    failures: Option<FailureWatch>,
    live: Option<LiveViews>,
    counts: Option<Progress>,
}

fn process_records(
    mut processor: RecordProcessor,
    source: RecordSource,
    entries: &EntryFacts,
    observers: Observers,
) -> (RecordProcessor, Option<u64>) {
    let Observers {
        mut failures,
        mut live,
        counts,
    } = observers;
    let EntryFacts {
        input_tokens,
        max_tokens,
        session_ids,
        turn_index,
        multi_turn,
    } = *entries;
    let mut first_sent_ns: Option<u64> = None;
    // Tokens of each finished session turn's whole conversation (history, prompt, reply), so
    // a later turn's input length counts everything it sent.
    let mut conversation_tokens: std::collections::HashMap<u64, u32> = Default::default();
    let mut flush_at = Instant::now() + JSONL_FLUSH_EVERY;
    loop {
        let wake_at = live
            .as_ref()
            .map_or(flush_at, |l| l.next_refresh().min(flush_at));
        let record = match source.next_until(wake_at) {
            Ok(record) => record,
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                if let Some(views) = &mut live {
                    views.tick(now);
                }
                if now >= flush_at {
                    processor.flush_jsonl();
                    flush_at = now + JSONL_FLUSH_EVERY;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if record.sent_ns > 0 {
            first_sent_ns = Some(first_sent_ns.map_or(record.sent_ns, |f| f.min(record.sent_ns)));
        }
        let entry = record.entry_index as usize;
        let history = record
            .history_request
            .and_then(|h| conversation_tokens.get(&h).copied())
            .unwrap_or(0);
        let isl = input_tokens[entry].saturating_add(history);
        let requested = max_tokens[entry];
        processor.process(
            &record,
            isl,
            requested,
            &session_ids[entry],
            turn_index[entry],
        );
        if let Some(watch) = &mut failures {
            watch.observe(record.phase_index, processor.last_status());
        }
        if let Some(counts) = &counts {
            counts.observe(processor.last_status());
        }
        if multi_turn && record.outcome == Outcome::Success {
            let reply = processor.last_output_tokens().unwrap_or(0.0) as u32;
            conversation_tokens.insert(record.request_index, isl.saturating_add(reply));
        }
        source.recycle(record);
        let now = Instant::now();
        if let Some(views) = &mut live {
            views.observe(processor.last_metrics(), now);
            views.tick(now);
        }
        if now >= flush_at {
            processor.flush_jsonl();
            flush_at = now + JSONL_FLUSH_EVERY;
        }
    }
    (processor, first_sent_ns)
}

/// Requests the phases will send (this process's share), when counts (not a duration) stop
/// them all.
fn planned_requests(plan: &Plan, sessions: Option<&SessionTable>) -> Option<u64> {
    let mut tickets = 0u64;
    let share = plan.scale_out.share();
    plan.phases
        .iter()
        .map(|p| {
            let planned = crate::engine::planned_requests(p.stop, sessions, tickets, share);
            if let StopRule::Sessions { sessions: count } = p.stop {
                tickets += count;
            }
            planned
        })
        .sum()
}

/// The progress line on stderr (hidden when stderr is not a terminal): the bar, and the live
/// figures the record processor sets as its message.
fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} requests · {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message("waiting for the first reply");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
