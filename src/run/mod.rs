//! One benchmark run, end to end: workload → arena → phases → records → reports.
//!
//! [`run`] goes in three steps: [`prepare`] (everything that does not depend on the clock),
//! `drive::drive` (the processor thread, telemetry and the phases) and
//! `finish::write_reports` (artifacts and the console).

use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::WallAnchor;
use crate::config::{Plan, StopRule};
use crate::dataset::{self, Workload};
use crate::engine::session_table::SessionTable;
use crate::metrics::Summary;
use crate::payload::{render_entry_body, PayloadArena, RenderOptions, SessionBodies};
use crate::rng::RngRoot;
use crate::tokenizer::{Corpus, LazyTokenizer, PromptGenerator, Tokenizer};

pub mod calibrate;
mod cancel;
mod dashboard;
mod drive;
pub mod exit;
mod finish;
pub mod live;
mod models;
mod overhead;
mod progress;
pub mod ready;
mod repeat;
mod replay;
mod signals;
pub mod stream;
mod sweep;
mod threshold;
mod tls_check;
mod wallclock;
pub mod worker_mode;

pub use cancel::Cancel;
pub use progress::{Progress, ProgressCounts};
pub use repeat::{run_repeated, Repeat, RepeatError, RepeatOutcome};
pub use signals::Interrupt;
pub use sweep::{folder_name, run_sweep, SweepError, SweepOutcome, Variation, Variations};

use overhead::RunStart;
use wallclock::local_iso_time;

/// What a finished run left behind.
#[derive(Debug)]
pub struct RunOutcome {
    /// Where the artifacts are.
    pub artifact_dir: PathBuf,
    /// The aggregated results.
    pub summary: Summary,
    /// 0 on success; 1 when more requests failed than tolerated; when a signal stopped it,
    /// 128 + the signal's number (SIGINT 130, SIGTERM 143, SIGHUP 129, see [`Interrupt`]).
    pub exit_code: u8,
}

impl RunOutcome {
    /// Whether a signal stopped the run (its artifacts are marked partial).
    pub fn interrupted(&self) -> bool {
        self.summary.was_cancelled
    }
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
    /// The `--ca-cert` file or the TLS configuration is unusable.
    #[error(transparent)]
    TlsSetup(#[from] crate::engine::tls::TlsSetupError),
    /// The first TLS handshake failed: every request would fail the same way.
    #[error("{0}")]
    TlsHandshake(String),
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
    /// An `image_edit` body cannot be built (no image, or the boundary inside a part).
    #[error(transparent)]
    Multipart(#[from] crate::payload::multipart::MultipartError),
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
    /// A `--endpoint-type template` body could not be rendered as one JSON value.
    #[error("--extra-inputs payload_template: {0}")]
    Template(String),
    /// A `--endpoint-type raw` payload file is unusable.
    #[error("{0}")]
    Raw(String),
    /// The servers never served the model (`--wait-for-model-timeout`).
    #[error(transparent)]
    NotReady(#[from] ready::ReadyError),
    /// The async runtime could not start.
    #[error("cannot start the client runtime: {0}")]
    Runtime(std::io::Error),
    /// A `--goodput` objective names no per-request metric.
    #[error("--goodput: {0}")]
    Goodput(#[from] crate::metrics::goodput::GoodputError),
}

fn artifacts_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> RunError {
    let path = path.into();
    move |error| RunError::Artifacts { path, error }
}

/// Builds everything that does not depend on the clock: tokenizer, workload, payload arena.
/// A synthetic workload built before with the same inputs is read from the workload cache,
/// and then the tokenizer is only loaded if a response needs its tokens counted.
pub fn prepare(plan: &Plan) -> Result<Prepared, RunError> {
    if let Some(path) = &plan.raw_payloads {
        return prepare_raw(plan, path);
    }
    let slot = workload_cache_slot(plan);
    let cached = slot
        .as_ref()
        .and_then(|(path, key)| dataset::cache::read(path, key));
    let from_cache = cached.is_some();
    let (tokenizer, mut workload, to_cache, deferred) = match cached {
        Some(workload) => {
            // A workload cached without the media its plan asks for had them deferred.
            let later = (stream::can_defer_media(plan)
                && !workload.is_multi_turn()
                && workload.entries.iter().all(|e| e.media.is_empty()))
            .then_some(Later {
                prompts: None,
                media: true,
                estimated_bytes: 0,
            });
            (
                LazyTokenizer::deferred(plan.tokenizer.clone()),
                workload,
                None,
                later,
            )
        }
        None => {
            let tokenizer = Tokenizer::load(&plan.tokenizer)?;
            let (workload, deferred) = build_workload(plan, &tokenizer)?;
            (
                LazyTokenizer::loaded(plan.tokenizer.clone(), tokenizer),
                workload,
                slot,
                deferred,
            )
        }
    };
    let opts = render_options(plan);
    if let Some(later) = deferred {
        if let Some((path, key)) = &to_cache {
            // Prompts and entries only: the media are made again on every run.
            if let Err(e) = dataset::cache::write(path, key, &workload) {
                eprintln!("warning: workload cache not written ({e}); building it on every start");
            }
        }
        let per_model = models::options_per_model(plan, &opts);
        let model_of = models::entry_models(plan, &workload);
        let entries = &mut workload.entries;
        let estimated_bytes = later.estimated_bytes.max(estimate_bytes(entries));
        // The rendering thread owns the prompts and media; the processor never reads them.
        let prompts = match later.prompts {
            Some((prompts, corpus)) => stream::Prompts::Files { prompts, corpus },
            None => stream::Prompts::Ready(
                entries
                    .iter_mut()
                    .map(|e| std::mem::take(&mut e.prompt))
                    .collect(),
            ),
        };
        let media = match later.media {
            true => stream::Media::Synthetic(Box::new(plan.media.clone())),
            false => stream::Media::Ready(
                entries
                    .iter_mut()
                    .map(|e| std::mem::take(&mut e.media))
                    .collect(),
            ),
        };
        let deferred = stream::Deferred {
            prompts,
            media,
            seed: plan.random_seed,
            per_model,
            model_of,
            max_tokens: entries.iter().map(|e| e.max_tokens).collect(),
            session_ids: entries
                .iter()
                .map(|e| Arc::from(e.session_id.as_str()))
                .collect(),
            estimated_bytes,
        };
        return Ok(Prepared {
            tokenizer: Arc::new(tokenizer),
            workload,
            arena: PayloadArena::default(),
            from_cache,
            deferred: Some(deferred),
        });
    }
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
        let per_model = models::options_per_model(plan, &opts);
        let model_of = models::entry_models(plan, &workload);
        if let Some(template) = &plan.template {
            return render_template_arena(plan, template, &workload, &per_model, &model_of);
        }
        if plan.endpoint == crate::config::EndpointType::ImageEdit {
            return render_multipart_arena(&workload, &per_model, &model_of);
        }
        Ok(PayloadArena::build_parallel(workload.entries.len(), |i| {
            let e = &workload.entries[i];
            let opts = &per_model[model_of[i]];
            render_entry_body(opts, &e.prompt, &e.passages, e.max_tokens, &e.media)
        }))
    })?;
    Ok(Prepared {
        tokenizer: Arc::new(tokenizer),
        workload,
        arena,
        from_cache,
        deferred: None,
    })
}

/// The bodies of a `--endpoint-type template` run: every entry rendered (in parallel) and
/// checked to be one JSON value; the first entry that is not stops the run.
fn render_template_arena(
    plan: &Plan,
    template: &crate::config::template_plan::TemplatePlan,
    workload: &Workload,
    per_model: &[RenderOptions],
    model_of: &[usize],
) -> Result<PayloadArena, RunError> {
    use crate::payload::template::{TemplateEntry, TemplateRenderer};
    use rayon::prelude::*;
    let renderer = TemplateRenderer::new(template, plan.streaming, &plan.extra_inputs)
        .map_err(RunError::Template)?;
    let bodies: Vec<Vec<u8>> = workload
        .entries
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            renderer.render(
                i,
                &TemplateEntry {
                    prompt: &e.prompt,
                    passages: &e.passages,
                    max_tokens: e.max_tokens,
                    media: &e.media,
                    model: &per_model[model_of[i]].model,
                },
            )
        })
        .collect::<Result<_, String>>()
        .map_err(RunError::Template)?;
    Ok(PayloadArena::build_parallel(bodies.len(), |i| {
        bodies[i].clone()
    }))
}

/// The bodies of an `--endpoint-type image_edit` run: every entry's multipart form, rendered
/// in parallel; the first entry that cannot be framed stops the run.
fn render_multipart_arena(
    workload: &Workload,
    per_model: &[RenderOptions],
    model_of: &[usize],
) -> Result<PayloadArena, RunError> {
    use crate::payload::multipart;
    use rayon::prelude::*;
    let bodies: Vec<Vec<u8>> = workload
        .entries
        .par_iter()
        .enumerate()
        .map(|(i, e)| multipart::render(&per_model[model_of[i]], &e.prompt, &e.media))
        .collect::<Result<_, _>>()?;
    Ok(PayloadArena::build_parallel(bodies.len(), |i| {
        bodies[i].clone()
    }))
}

/// [`prepare`] for `--endpoint-type raw`: the file's lines are the bodies.
fn prepare_raw(plan: &Plan, path: &std::path::Path) -> Result<Prepared, RunError> {
    let tokenizer = Tokenizer::load(&plan.tokenizer)?;
    let raw = dataset::raw::load(path, &tokenizer, plan.streaming).map_err(RunError::Raw)?;
    let bodies = raw.bodies;
    let arena = PayloadArena::build_parallel(bodies.len(), |i| bodies[i].clone());
    Ok(Prepared {
        tokenizer: Arc::new(LazyTokenizer::loaded(plan.tokenizer.clone(), tokenizer)),
        workload: raw.workload,
        arena,
        from_cache: false,
        deferred: None,
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
    /// A workload too large to render whole: its prompts and bodies are made while the run
    /// goes on (`stream`), and `arena` is empty.
    pub deferred: Option<stream::Deferred>,
}

/// Environment variable that turns the workload cache off (`GAUNTLET_NO_WORKLOAD_CACHE=1`).
pub const NO_WORKLOAD_CACHE_ENV: &str = "GAUNTLET_NO_WORKLOAD_CACHE";

/// Where `plan`'s workload is cached and under which key; `None` when it is not cacheable:
/// input files and public datasets (their contents would have to be hashed on every start),
/// no cache folder, the cache turned off, or an input file that cannot be stamped (the normal
/// build then reports it).
fn workload_cache_slot(plan: &Plan) -> Option<(std::path::PathBuf, [u8; 32])> {
    if plan.input.is_some() || plan.public_dataset.is_some() || plan.vision_dataset.is_some() {
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
        &plan.rankings,
    ))
    .ok()?;
    let key = dataset::cache::key(&[
        &dataset::cache::file_stamp(&tokenizer_file).ok()?,
        &dataset::cache::file_stamp(&corpus_file).ok()?,
        &config,
    ]);
    Some((dataset::cache::cache_file(&dir, &key), key))
}

/// What [`build_workload`] leaves to the rendering thread (`stream`).
struct Later {
    /// An input file's prompts and the corpus they are cut from.
    prompts: Option<(crate::dataset::files::deferred::DeferredPrompts, Corpus)>,
    /// Whether the plan's synthetic images and audio are made then too.
    media: bool,
    /// The workload's estimated bytes of prompt text and media.
    estimated_bytes: u64,
}

/// Bytes of prompt text the entries stand for, by their token counts.
fn estimate_bytes(entries: &[crate::dataset::WorkloadEntry]) -> u64 {
    entries
        .iter()
        .map(|e| u64::from(e.input_tokens) * dataset::files::BYTES_PER_TOKEN_ESTIMATE)
        .sum()
}

/// Builds the workload from its source (synthetic, input file or public dataset) and adds
/// its media. A large single-turn input file comes back without its prompt text, which
/// `stream` makes while the run goes on.
fn build_workload(
    plan: &Plan,
    tokenizer: &Tokenizer,
) -> Result<(Workload, Option<Later>), RunError> {
    let corpus = Corpus::load(tokenizer, plan.corpus.as_deref())?;
    let generator = PromptGenerator::new(tokenizer, &corpus);
    let root = RngRoot::new(plan.random_seed);
    let mut deferred = None;
    let mut workload = match (&plan.input, &plan.public_dataset) {
        _ if plan.vision_dataset.is_some() => {
            let vision = plan.vision_dataset.as_ref().expect("checked");
            let env = dataset::public::HubEnv::from_env();
            dataset::public::vision::build(vision, tokenizer, &env)?
        }
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
            let threshold = stream::can_stream(plan).then(stream::threshold_bytes);
            match dataset::files::build_streamable(input, source, threshold)
                .map_err(dataset::DatasetError::from)?
            {
                dataset::files::Built::Whole(workload) => workload,
                dataset::files::Built::Deferred(workload, prompts) => {
                    deferred = Some(prompts);
                    workload
                }
            }
        }
        (None, None) => match &plan.rankings {
            Some(rankings) => {
                dataset::rankings::build(rankings, plan.synthetic.entries, &root, &generator)?
            }
            None => dataset::synthetic::build(&plan.synthetic, &root, &generator)?,
        },
    };
    if plan.input.is_some() || plan.public_dataset.is_some() {
        workload = dataset::sampling::for_plan(plan, workload, &root);
    }
    let text_bytes = estimate_bytes(&workload.entries);
    if stream::can_defer_media(plan) && !workload.is_multi_turn() {
        // One entry's media, made as the run would make it, stand for the others'.
        let one = crate::media_helper::ffmpeg()
            .media_parts(&plan.media, None, &[0], &root)
            .map_err(|e| match e {
                crate::media_helper::AttachError::Media(e) => RunError::Media(e),
                crate::media_helper::AttachError::Video(e) => RunError::Video(e),
            })?;
        let per_entry: u64 = one.iter().flatten().map(|p| p.payload_bytes() as u64).sum();
        let estimated = text_bytes + per_entry * workload.entries.len() as u64;
        if estimated > stream::threshold_bytes() {
            let prompts = deferred.map(|p| (p, corpus));
            return Ok((
                workload,
                Some(Later {
                    prompts,
                    media: true,
                    estimated_bytes: estimated,
                }),
            ));
        }
    }
    if plan.media.is_enabled() || plan.video.is_some() {
        // Media go to session roots; the FFmpeg work runs in the helper process unless this
        // program links FFmpeg (media_helper::use_in_process).
        let roots = workload.session_roots();
        let media = crate::media_helper::ffmpeg()
            .media_parts(&plan.media, plan.video.as_ref(), &roots, &root)
            .map_err(|e| match e {
                crate::media_helper::AttachError::Media(e) => RunError::Media(e),
                crate::media_helper::AttachError::Video(e) => RunError::Video(e),
            })?;
        workload.add_root_media(&roots, media);
    }
    let later = deferred.map(|prompts| Later {
        prompts: Some((prompts, corpus)),
        media: false,
        estimated_bytes: text_bytes,
    });
    Ok((workload, later))
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

/// Runs the plan and writes its artifacts: [`prepare`], then drive the phases
/// (`drive::drive`), then write the reports (`finish::write_reports`).
///
/// A terminating signal (SIGINT, SIGTERM, SIGHUP) at any point stops the run: requests stop,
/// and the artifacts are written marked partial (see [`Interrupt`]).
pub fn run(plan: &Plan) -> Result<RunOutcome, RunError> {
    run_cancellable(plan, &Cancel::new())
}

/// [`run`], which `cancel` stops from another thread as Ctrl-C would (for programs that embed
/// gauntlet; a cancel during `--wait-for-model-*` takes effect once the wait is over).
pub fn run_cancellable(plan: &Plan, cancel: &Cancel) -> Result<RunOutcome, RunError> {
    run_inner(plan, cancel, None)
}

/// [`run_cancellable`], whose request counts `progress` shows from another thread while it
/// runs (from the start of its phases).
pub fn run_observed(
    plan: &Plan,
    cancel: &Cancel,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    run_inner(plan, cancel, Some(progress))
}

fn run_inner(
    plan: &Plan,
    cancel: &Cancel,
    progress: Option<&Progress>,
) -> Result<RunOutcome, RunError> {
    let mut run_start = RunStart::now();
    if let Some(wait) = &plan.wait_for_model {
        let waiting = std::time::Instant::now();
        ready::wait_for_model(plan, wait)?;
        run_start = run_start.after_wait(waiting.elapsed());
    }
    let signals = signals::SignalWatch::start();
    cancel.attach(signals.stopper());
    let anchor = WallAnchor::now();
    let start_time = local_iso_time();
    let prepared = prepare(plan)?;
    let from_cache = prepared.from_cache;
    let workload = &prepared.workload;
    let fixed_schedule = plan
        .fixed_schedule
        .as_ref()
        .map(|s| replay::release_times(workload, s))
        .transpose()?;
    let sessions = session_table(plan, workload, &prepared.arena)?;
    let resized = replayed_plan(plan, workload, fixed_schedule.as_deref());
    let plan = resized.as_ref().unwrap_or(plan);
    let dir = worker_mode::artifact_dir(plan);
    std::fs::create_dir_all(&dir).map_err(artifacts_err(&dir))?;
    remove_previous_artifacts(&dir)?;
    if plan.calibrate {
        let figures = calibrate::calibrate(&calibrate::CalibrateOptions {
            client_threads: plan.client_threads,
            ..Default::default()
        })?;
        eprintln!("{figures}");
        let path = dir.join(CALIBRATION_JSON);
        let json = serde_json::to_vec_pretty(&figures).unwrap_or_default();
        crate::atomic_file::write_bytes(&path, &json).map_err(artifacts_err(&path))?;
    }
    let mut prepared = prepared;
    let stream = match prepared.deferred.take() {
        Some(deferred) => {
            let entries = prepared.workload.entries.len() as u64;
            let order = stream::SeqOrder::new(plan, fixed_schedule.as_deref(), entries);
            let inputs = stream::InputsSink {
                dir: dir.clone(),
                export: plan.export_inputs,
            };
            Some(stream::start(
                deferred,
                prepared.tokenizer.clone(),
                order,
                Some(inputs),
            )?)
        }
        None => None,
    };
    let collected = drive::drive(
        plan,
        &dir,
        anchor,
        prepared,
        fixed_schedule,
        sessions,
        stream,
        &signals,
        progress,
    )?;
    let mut collected = collected;
    let worker_file = worker_mode::write_worker_json(
        &dir,
        plan,
        &anchor,
        collected.start,
        &collected.phase_counts,
    );
    collected.write_failures.extend(worker_file.err());
    let started = finish::Started {
        run_start,
        anchor,
        start_time,
        from_cache,
    };
    finish::write_reports(plan, dir, started, collected)
}

/// Name of the `--calibrate` figures in the artifact folder.
const CALIBRATION_JSON: &str = "calibration.json";

/// Removes the files an earlier run left in `dir` (every file a run writes there, nothing
/// else), so a run stopped half way never sits beside an earlier run's complete-looking
/// results. Like AIPerf, a run takes its artifact folder over rather than refusing it; a
/// directory where a file goes is left for the write to name.
fn remove_previous_artifacts(dir: &std::path::Path) -> Result<(), RunError> {
    use crate::report::{files, telemetry_files as telemetry};
    let names = [
        files::JSON,
        files::CSV,
        files::CONSOLE,
        files::INPUTS,
        files::JSONL,
        telemetry::SERVER_JSON,
        telemetry::SERVER_CSV,
        telemetry::SERVER_JSONL,
        telemetry::GPU_JSONL,
        telemetry::GPU_JSON,
        CALIBRATION_JSON,
        crate::report::plot::REPORT_HTML,
        worker_mode::WORKER_JSON,
        worker_mode::WORKER_HISTOGRAMS,
    ];
    for name in names {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if !meta.is_dir() => {
                std::fs::remove_file(&path).map_err(artifacts_err(&path))?
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(artifacts_err(&path)(e)),
        }
    }
    Ok(())
}

/// The session table of a multi-turn workload; `None` when every request stands alone.
fn session_table(
    plan: &Plan,
    workload: &Workload,
    arena: &PayloadArena,
) -> Result<Option<SessionTable>, RunError> {
    if !workload.is_multi_turn() {
        return Ok(None);
    }
    let bodies = if plan.raw_payloads.is_some() {
        // `raw` session files: each turn's body is the file's line, already in the arena.
        SessionBodies::verbatim(arena.clone())
    } else {
        let per_model = models::options_per_model(plan, &render_options(plan));
        let model_of = models::entry_models(plan, workload);
        SessionBodies::build_per_model(&per_model, workload, |i| model_of[i])?
    };
    let speedup = plan.fixed_schedule.as_ref().map(|s| s.speedup);
    Ok(Some(SessionTable::new(
        bodies,
        workload,
        plan.session_routing,
        speedup,
    )))
}

/// `plan` with its phases resized to a replay: one request per trace time under a fixed
/// schedule, or the dataset once under `--send-dataset-once`; `None` when nothing changes.
fn replayed_plan(
    plan: &Plan,
    workload: &Workload,
    fixed_schedule: Option<&[(u64, u64)]>,
) -> Option<Plan> {
    let multi_turn = workload.is_multi_turn();
    let dataset_size = if multi_turn {
        workload.sessions.len()
    } else {
        workload.entries.len()
    } as u64;
    let once = plan.send_dataset_once
        && (multi_turn
            || plan.input.is_some()
            || plan.public_dataset.is_some()
            || plan.vision_dataset.is_some()
            || plan.raw_payloads.is_some());
    // A trace's times and the dataset both count sessions when the workload has them.
    let size = match (fixed_schedule, once) {
        (Some(times), _) => times.len() as u64,
        (None, true) => dataset_size,
        (None, false) => return None,
    };
    let stop = if multi_turn {
        StopRule::Sessions { sessions: size }
    } else {
        StopRule::Count { requests: size }
    };
    Some(Plan {
        phases: replay::replay_phases(&plan.phases, stop),
        ..plan.clone()
    })
}
