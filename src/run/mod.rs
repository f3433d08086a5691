//! One benchmark run, end to end: workload → arena → phases → records → reports.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use crate::clock::WallAnchor;
use crate::config::{Plan, StopRule};
use crate::dataset::{self, Workload};
use crate::engine::client::Target;
use crate::engine::record::Outcome;
use crate::engine::session_table::SessionTable;
use crate::engine::sink::{self, RecordSource};
use crate::engine::worker::Shared;
use crate::engine::{run_phase, PhaseCounts};
use crate::metrics::processor::{ProcessorContext, RecordProcessor, RunTotals};
use crate::metrics::Summary;
use crate::payload::{render_body_with_media, PayloadArena, RenderOptions, SessionBodies};
use crate::report::{self, RunInfo};
use crate::rng::RngRoot;
use crate::tokenizer::{Corpus, LazyTokenizer, PromptGenerator, Tokenizer};

pub mod calibrate;
mod overhead;
mod repeat;
mod replay;
mod sweep;
mod wallclock;

pub use repeat::{run_repeated, Repeat, RepeatError, RepeatOutcome};
pub use sweep::{folder_name, run_sweep, SweepError, SweepOutcome, Variation};

use overhead::{process_cpu_seconds, HarnessOverhead, RunStart};
use wallclock::local_iso_time;

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

/// Records the processor may fall behind by before senders wait.
const RECORD_QUEUE: usize = 8_192;

/// What a finished run left behind.
#[derive(Debug)]
pub struct RunOutcome {
    /// Where the artifacts are.
    pub artifact_dir: PathBuf,
    /// The aggregated results.
    pub summary: Summary,
    /// 0 on success; 1 when more requests failed than tolerated; 130 when interrupted.
    pub exit_code: u8,
}

/// Why a run could not happen (problems during the run are counted, not raised).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Loading the tokenizer or corpus failed.
    #[error(transparent)]
    Tokenizer(#[from] crate::tokenizer::TokenizerError),
    /// Building the workload failed.
    #[error(transparent)]
    Dataset(#[from] crate::dataset::DatasetError),
    /// A server URL or header is unusable.
    #[error(transparent)]
    Target(#[from] crate::engine::client::TargetError),
    /// The arrival schedule is invalid.
    #[error(transparent)]
    Schedule(#[from] crate::schedule::ScheduleError),
    /// Artifacts could not be written.
    #[error("cannot write artifacts to {path}: {error}")]
    Artifacts {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error (in the message, not chained, so it is printed once).
        error: std::io::Error,
    },
    /// Multi-turn bodies cannot be built for this endpoint.
    #[error(transparent)]
    Session(#[from] crate::payload::SessionRenderError),
    /// The workload cannot be replayed on its timestamps.
    #[error(transparent)]
    Replay(#[from] replay::ReplayError),
    /// `--calibrate` could not measure.
    #[error(transparent)]
    Calibrate(#[from] calibrate::CalibrateError),
    /// A public dataset could not be read.
    #[error(transparent)]
    PublicDataset(#[from] crate::dataset::public::PublicDatasetError),
    /// Synthetic media could not be made.
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
    /// Synthetic videos could not be made.
    #[error(transparent)]
    Video(#[from] crate::video::VideoError),
    /// The async runtime could not start.
    #[error("cannot start the client runtime: {0}")]
    Runtime(std::io::Error),
}

fn artifacts_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> RunError {
    let path = path.into();
    move |error| RunError::Artifacts { path, error }
}

/// Builds everything that does not depend on the clock: tokenizer, workload, payload arena.
/// A synthetic workload built before with the same inputs is read from the workload cache,
/// and then the tokenizer is only loaded if a response needs its tokens counted.
pub fn prepare(plan: &Plan) -> Result<Prepared, RunError> {
    let slot = workload_cache_slot(plan);
    let cached = slot
        .as_ref()
        .and_then(|(path, key)| dataset::cache::read(path, key));
    let from_cache = cached.is_some();
    let (tokenizer, workload, to_cache) = match cached {
        Some(workload) => (
            LazyTokenizer::deferred(plan.tokenizer.clone()),
            workload,
            None,
        ),
        None => {
            let tokenizer = Tokenizer::load(&plan.tokenizer)?;
            let workload = build_workload(plan, &tokenizer)?;
            (
                LazyTokenizer::loaded(plan.tokenizer.clone(), tokenizer),
                workload,
                slot,
            )
        }
    };
    let opts = render_options(plan);
    // A fresh workload is written to the cache while its bodies are rendered.
    let arena = std::thread::scope(|scope| {
        if let Some((path, key)) = &to_cache {
            let workload = &workload;
            scope.spawn(move || {
                if let Err(e) = dataset::cache::write(path, key, workload) {
                    eprintln!(
                        "warning: workload cache not written ({e}); building it on every start"
                    );
                }
            });
        }
        PayloadArena::build_parallel(workload.entries.len(), |i| {
            let e = &workload.entries[i];
            render_body_with_media(&opts, &e.prompt, e.max_tokens, &e.media)
        })
    });
    Ok(Prepared {
        tokenizer: Arc::new(tokenizer),
        workload,
        arena,
        from_cache,
    })
}

/// What [`prepare`] makes before the clock starts.
pub struct Prepared {
    /// The run's tokenizer (not loaded yet when the workload came from the cache).
    pub tokenizer: Arc<LazyTokenizer>,
    /// The prompts and media.
    pub workload: Workload,
    /// Every request body, rendered.
    pub arena: PayloadArena,
    /// Whether the workload was read from the workload cache.
    pub from_cache: bool,
}

/// Environment variable that turns the workload cache off (`GAUNTLET_NO_WORKLOAD_CACHE=1`).
pub const NO_WORKLOAD_CACHE_ENV: &str = "GAUNTLET_NO_WORKLOAD_CACHE";

/// Where `plan`'s workload is cached and under which key; `None` when it is not cacheable:
/// input files and public datasets (their contents would have to be hashed on every start),
/// no cache folder, the cache turned off, or an input file that cannot be stamped (the normal
/// build then reports it).
fn workload_cache_slot(plan: &Plan) -> Option<(std::path::PathBuf, [u8; 32])> {
    if plan.input.is_some() || plan.public_dataset.is_some() {
        return None;
    }
    if std::env::var_os(NO_WORKLOAD_CACHE_ENV).is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let dir = crate::tokenizer::default_cache_dir()?;
    let (tokenizer_file, _) = crate::tokenizer::tokenizer_file_of(&plan.tokenizer).ok()?;
    let corpus_file = match &plan.corpus {
        Some(path) => path.clone(),
        None => crate::tokenizer::asset_path(crate::tokenizer::BUILTIN_CORPUS).ok()?,
    };
    let config = serde_json::to_vec(&(
        &plan.synthetic,
        plan.random_seed,
        &plan.tokenizer,
        &plan.media,
        &plan.video,
    ))
    .ok()?;
    let key = dataset::cache::key(&[
        &dataset::cache::file_stamp(&tokenizer_file).ok()?,
        &dataset::cache::file_stamp(&corpus_file).ok()?,
        &config,
    ]);
    Some((dataset::cache::cache_file(&dir, &key), key))
}

/// Builds the workload from its source (synthetic, input file or public dataset) and adds
/// its media.
fn build_workload(plan: &Plan, tokenizer: &Tokenizer) -> Result<Workload, RunError> {
    let corpus = Corpus::load(tokenizer, plan.corpus.as_deref())?;
    let generator = PromptGenerator::new(tokenizer, &corpus);
    let root = RngRoot::new(plan.random_seed);
    let mut workload = match (&plan.input, &plan.public_dataset) {
        (_, Some(public)) => {
            let env = dataset::public::HubEnv::from_env();
            let (workload, report) = dataset::public::build(public, tokenizer, &env)?;
            if let Some(line) = report.placeholder_line(&public.variant.name()) {
                eprintln!("{line}");
            }
            workload
        }
        (Some(input), None) => {
            let source = dataset::files::PromptSource {
                tokenizer,
                generator: &generator,
                root: &root,
            };
            dataset::files::build(input, source).map_err(dataset::DatasetError::from)?
        }
        (None, None) => dataset::synthetic::build(&plan.synthetic, &root, &generator)?,
    };
    crate::media_helper::attach_media(&plan.media, plan.video.as_ref(), &mut workload, &root)
        .map_err(|e| match e {
            crate::media_helper::AttachError::Media(e) => RunError::Media(e),
            crate::media_helper::AttachError::Video(e) => RunError::Video(e),
        })?;
    Ok(workload)
}

/// What every request body of the run shares.
fn render_options(plan: &Plan) -> RenderOptions {
    RenderOptions {
        model: plan.model.clone(),
        endpoint: plan.endpoint,
        streaming: plan.streaming,
        extra_inputs: plan.extra_inputs.clone(),
        output_length: plan.output_length.clone(),
    }
}

/// Runs the plan and writes its artifacts.
pub fn run(plan: &Plan) -> Result<RunOutcome, RunError> {
    let run_start = RunStart::now();
    let anchor = WallAnchor::now();
    let start_time = local_iso_time();
    let Prepared {
        tokenizer,
        workload,
        arena,
        from_cache,
    } = prepare(plan)?;
    let fixed_schedule = plan
        .fixed_schedule
        .as_ref()
        .map(|s| replay::release_times(&workload, s))
        .transpose()?;
    let sessions = if workload.is_multi_turn() {
        let bodies = SessionBodies::build(&render_options(plan), &workload)?;
        let speedup = plan.fixed_schedule.as_ref().map(|s| s.speedup);
        Some(SessionTable::new(
            bodies,
            &workload,
            plan.session_routing,
            speedup,
        ))
    } else {
        None
    };
    let dataset_size = if workload.is_multi_turn() {
        workload.sessions.len()
    } else {
        workload.entries.len()
    } as u64;
    let once = plan.send_dataset_once
        && (workload.is_multi_turn() || plan.input.is_some() || plan.public_dataset.is_some());
    let resized;
    let plan = match (&fixed_schedule, once) {
        (Some(times), _) => {
            resized = Plan {
                phases: replay::replay_phases(&plan.phases, times.len() as u64),
                ..plan.clone()
            };
            &resized
        }
        (None, true) => {
            resized = Plan {
                phases: replay::replay_phases(&plan.phases, dataset_size),
                ..plan.clone()
            };
            &resized
        }
        (None, false) => plan,
    };
    let dir = plan.artifact_dir.clone();
    std::fs::create_dir_all(&dir).map_err(artifacts_err(&dir))?;
    if plan.calibrate {
        let figures = calibrate::calibrate(&calibrate::CalibrateOptions {
            client_threads: plan.client_threads,
            ..Default::default()
        })?;
        eprintln!("{figures}");
        let path = dir.join("calibration.json");
        let json = serde_json::to_vec_pretty(&figures).unwrap_or_default();
        std::fs::write(&path, json).map_err(artifacts_err(&path))?;
    }
    let targets = plan
        .urls
        .iter()
        .map(|u| {
            Target::new(
                u,
                plan.endpoint,
                plan.streaming,
                plan.api_key.as_deref(),
                &plan.headers,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;

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
    };
    let counter = tokenizer.clone();
    let processor = RecordProcessor::new(
        ctx,
        Some(Box::new(BufWriter::with_capacity(1 << 20, jsonl))),
        Box::new(move |text: &str| counter.get().map_or(0, |t| t.count(text).unwrap_or(0))),
    );
    let (sink, source) = sink::channel(RECORD_QUEUE);
    let progress = progress_bar(plan, sessions.as_ref());
    let input_tokens: Vec<u32> = workload.entries.iter().map(|e| e.input_tokens).collect();
    let multi_turn = workload.is_multi_turn();
    let mut turn_index = vec![0u32; workload.entries.len()];
    for span in &workload.sessions {
        for k in 0..span.turns {
            turn_index[(span.first + k) as usize] = k;
        }
    }
    let session_ids: Arc<[String]> = workload.entries.into_iter().map(|e| e.session_id).collect();
    let ids = session_ids.clone();
    let bar = progress.clone();
    let processor_thread = std::thread::Builder::new()
        .name("gauntlet-records".into())
        .spawn(move || {
            yield_to_the_engine();
            process_records(
                processor,
                source,
                &input_tokens,
                &ids,
                &turn_index,
                multi_turn,
                &bar,
            )
        })
        .map_err(RunError::Runtime)?;

    // A second handle on the bodies (the bytes are shared) for `inputs.json`.
    let bodies = arena.clone();
    let shared = Arc::new(Shared {
        arena,
        targets,
        streaming: plan.streaming,
        timeout: plan.request_timeout,
        sink,
        sent: Default::default(),
        sessions,
        next_request: Default::default(),
        fixed_schedule,
    });
    let runtime = crate::engine::client_runtime(plan.client_threads).map_err(RunError::Runtime)?;
    let root = RngRoot::new(plan.random_seed);
    let cpu_before_phases_s = process_cpu_seconds();
    // Telemetry runs on its own threads; it samples at each phase boundary (run_phases).
    let telemetry = crate::telemetry::Telemetry::start(&plan.telemetry);
    let phase_counts = runtime.block_on(run_phases(plan, shared, &root, &telemetry));
    // `inputs.json` (tens of MB for a large workload) is written after the run, so it does not
    // delay the first request.
    let mut inputs = (session_ids.iter().enumerate())
        .map(|(i, session)| (session.as_str(), bodies.body_bytes(i)));
    report::write_inputs_json(&dir, &mut inputs).map_err(artifacts_err(dir.join("inputs.json")))?;
    let phase_counts = phase_counts?;
    let collected = telemetry.stop();
    runtime.shutdown_background();

    let (processor, first_sent_ns) = processor_thread
        .join()
        .map_err(|_| RunError::Runtime(std::io::Error::other("the record processor panicked")))?
        .map_err(artifacts_err(&jsonl_path))?;
    progress.finish_and_clear();

    let was_cancelled = phase_counts.iter().any(|c| c.cancelled);
    let totals = RunTotals {
        scheduled: phase_counts.iter().map(|c| c.scheduled).sum(),
        not_sent: phase_counts.iter().map(|c| c.not_sent).sum(),
        was_cancelled,
    };
    let summary = processor
        .finish(totals)
        .map_err(artifacts_err(&jsonl_path))?;
    let windows: Vec<(bool, u64, u64)> = (plan.phases.iter().zip(&phase_counts))
        .map(|(p, c)| (p.excluded_from_results(), c.start_ns, c.end_ns))
        .collect();
    let telemetry = report::finish_telemetry(&dir, collected, &windows, &summary, &anchor)
        .map_err(artifacts_err(&dir))?;
    let info = RunInfo {
        benchmark_id: benchmark_id(&anchor),
        start_time,
        end_time: local_iso_time(),
        was_cancelled,
        is_complete: !was_cancelled,
        random_seed: plan.random_seed,
        cli_command: plan.cli_command.clone(),
        telemetry_data: telemetry.telemetry_data,
    };
    report::write_artifacts(&dir, &summary, plan, &info).map_err(artifacts_err(&dir))?;
    let console = report::render_console(&summary);
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (piped into `head`) is not an error worth failing the run over.
    let _ = writeln!(stdout, "{console}");
    let _ = write!(stdout, "{}", telemetry.console);
    let overhead = HarnessOverhead::measure(
        run_start,
        from_cache,
        first_sent_ns,
        summary.accounting.scheduled,
        cpu_before_phases_s,
    );
    let _ = writeln!(stdout, "{overhead}");
    if let Some(warning) = send_lag_warning(&summary) {
        let _ = writeln!(stdout, "{warning}");
    }
    let _ = writeln!(stdout, "Artifacts: {}", dir.display());
    let exit_code = if was_cancelled {
        130
    } else if error_rate_pct(&summary) > plan.tolerated_error_rate_pct {
        1
    } else {
        0
    };
    Ok(RunOutcome {
        artifact_dir: dir,
        summary,
        exit_code,
    })
}

/// p99 send lag (credit-to-start) above which a run says its schedule was not held.
const SEND_LAG_WARN_MS: f64 = 1.0;

/// A loud line when requests left later than their schedule said: latencies are measured from
/// the actual send, so without it a harness that fell behind would report flattering numbers.
fn send_lag_warning(summary: &Summary) -> Option<String> {
    let lag = summary.metric(crate::metrics::catalog::RecordMetric::CreditToStartLatency)?;
    let p99 = lag.percentile(99.0)?;
    (p99 > SEND_LAG_WARN_MS).then(|| {
        format!(
            "WARNING: the schedule was not held: requests left late, send lag (credit-to-start) \
             p50 {:.2} ms, p99 {p99:.2} ms, max {:.2} ms. Latencies are timed from the actual send, \
             so the load the server saw was lighter than asked: raise --concurrency, lower the \
             rate, or see `gauntlet calibrate` for what this machine can schedule.",
            lag.percentile(50.0).unwrap_or(0.0),
            lag.max
        )
    })
}

/// Failed share of the requests that finished, in percent.
fn error_rate_pct(summary: &Summary) -> f64 {
    let a = &summary.accounting;
    let finished = a.completed + a.failed;
    if finished == 0 {
        // Nothing finished: only a run with nothing scheduled is a success.
        return if a.scheduled == 0 { 0.0 } else { 100.0 };
    }
    a.failed as f64 * 100.0 / finished as f64
}

async fn run_phases(
    plan: &Plan,
    shared: Arc<Shared>,
    root: &RngRoot,
    telemetry: &crate::telemetry::Telemetry,
) -> Result<Vec<PhaseCounts>, RunError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: stopping, writing partial artifacts (Ctrl-C again to abort)");
            let _ = stop_tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let mut counts = Vec::with_capacity(plan.phases.len());
    let mut first_index = 0u64;
    for (i, phase) in plan.phases.iter().enumerate() {
        if counts.last().is_some_and(|c: &PhaseCounts| c.cancelled) {
            // Phases that never started are planned-but-not-sent requests.
            let planned = match (phase.stop, &shared.sessions) {
                (StopRule::Count { requests }, None) => requests,
                (StopRule::Count { requests: sessions }, Some(table)) => {
                    table.turns_in(first_index, sessions)
                }
                (StopRule::Duration { .. }, _) => 0,
            };
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
    signal.abort();
    drop(shared);
    Ok(counts)
}

fn process_records(
    mut processor: RecordProcessor,
    source: RecordSource,
    input_tokens: &[u32],
    session_ids: &[String],
    turn_index: &[u32],
    multi_turn: bool,
    progress: &indicatif::ProgressBar,
) -> std::io::Result<(RecordProcessor, Option<u64>)> {
    let mut first_sent_ns: Option<u64> = None;
    // Tokens of each finished session turn's whole conversation (history, prompt, reply), so
    // a later turn's input length counts everything it sent.
    let mut conversation_tokens: std::collections::HashMap<u64, u32> = Default::default();
    while let Some(record) = source.next() {
        if record.sent_ns > 0 {
            first_sent_ns = Some(first_sent_ns.map_or(record.sent_ns, |f| f.min(record.sent_ns)));
        }
        let entry = record.entry_index as usize;
        let history = record
            .history_request
            .and_then(|h| conversation_tokens.get(&h).copied())
            .unwrap_or(0);
        let isl = input_tokens[entry].saturating_add(history);
        processor.process(&record, isl, &session_ids[entry], turn_index[entry])?;
        if multi_turn && record.outcome == Outcome::Success {
            let reply = processor.last_output_tokens().unwrap_or(0.0) as u32;
            conversation_tokens.insert(record.request_index, isl.saturating_add(reply));
        }
        progress.inc(1);
        source.recycle(record);
    }
    Ok((processor, first_sent_ns))
}

fn benchmark_id(anchor: &WallAnchor) -> String {
    let mixed = anchor.epoch_ns ^ (u64::from(std::process::id()) << 40) ^ anchor.mono_ns;
    format!("{:012x}", mixed & 0xffff_ffff_ffff)
}

fn progress_bar(plan: &Plan, sessions: Option<&SessionTable>) -> indicatif::ProgressBar {
    let mut tickets = 0u64;
    let total: Option<u64> = plan
        .phases
        .iter()
        .map(|p| match (p.stop, sessions) {
            (StopRule::Count { requests }, None) => Some(requests),
            (StopRule::Count { requests: count }, Some(table)) => {
                let turns = table.turns_in(tickets, count);
                tickets += count;
                Some(turns)
            }
            (StopRule::Duration { .. }, _) => None,
        })
        .sum();
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} requests ({per_sec})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
