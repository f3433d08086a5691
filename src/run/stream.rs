//! Streamed preparation. A single-turn input file whose prompt text would pass
//! [`threshold_bytes`] (a Mooncake trace replay: prompts of up to 120k tokens, hundreds of MB
//! in all) is not made whole before the clock: its rows are read and checked, then one
//! rendering thread makes prompts and bodies a chunk at a time — each chunk on every core —
//! and puts them into a [`BodyRing`] a bounded window ahead of the requests being sent.
//! `inputs.json` is written from the same bodies as they go by. Memory stays what the window
//! holds, however long the trace or the run.
//!
//! Body `seq` (the run-wide request index, the engine's ticket) is the body of the entry the
//! engine sends for that ticket — `seq % entries` in a rate or closed-loop phase, the trace's
//! next row under `--fixed-schedule` — rendered exactly as the whole path renders it, so the
//! bytes sent are the same either way (tests/streamed_prepare.rs).

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use rayon::prelude::*;

use super::RunError;
use crate::config::{ExportInputs, Phase, PhaseKind, Plan, StopRule};
use crate::dataset::files::deferred::DeferredPrompts;
use crate::dataset::files::PromptSource;
use crate::engine::worker::StreamedBodies;
use crate::media::MediaPart;
use crate::payload::{render_entry_body, BodyRing, RenderOptions};
use crate::rng::RngRoot;
use crate::tokenizer::{Corpus, LazyTokenizer, PromptGenerator};

/// Workloads whose prompt text is estimated above this many bytes are streamed.
pub const DEFAULT_THRESHOLD_BYTES: u64 = 256 << 20;
/// Overrides [`DEFAULT_THRESHOLD_BYTES`] (`0` streams every input file that can be).
pub const THRESHOLD_ENV: &str = "GAUNTLET_STREAM_THRESHOLD_BYTES";
/// Bytes of bodies the window may hold ahead of the requests sent.
pub const DEFAULT_WINDOW_BYTES: u64 = 32 << 20;
/// Overrides [`DEFAULT_WINDOW_BYTES`].
pub const WINDOW_ENV: &str = "GAUNTLET_STREAM_WINDOW_BYTES";
/// Fewest and most bodies the window holds, whatever their size.
const MIN_WINDOW_BODIES: u64 = 16;
const MAX_WINDOW_BODIES: u64 = 8192;
/// Bodies rendered in the first chunk (small, so the first request waits little), and the
/// most in one chunk later.
const FIRST_CHUNK: usize = 16;
const MAX_CHUNK: usize = 128;
/// Bodies queued for `inputs.json` before the rendering waits for the disk.
const INPUTS_QUEUE: usize = 256;

fn env_bytes(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The size above which a workload is streamed.
pub fn threshold_bytes() -> u64 {
    env_bytes(THRESHOLD_ENV, DEFAULT_THRESHOLD_BYTES)
}

/// Whether `plan` can be streamed at all: the standard body shapes (not templates, forms or
/// raw files), entries in file order, and every phase but the last bound by a count, so each phase's first request
/// index is known before it starts.
pub(super) fn can_stream(plan: &Plan) -> bool {
    let bounded_before_last = match plan.phases.split_last() {
        Some((_, before)) => before
            .iter()
            .all(|p| !matches!(p.stop, StopRule::Duration { .. })),
        None => false,
    };
    // A random or shuffled order is laid out as a list of entries before the clock.
    let in_file_order = matches!(
        plan.dataset_sampling,
        None | Some(crate::config::SamplingStrategy::Sequential)
    );
    // A worker takes every n-th ticket; the rendering thread's window would wait on the
    // others' (worker mode builds the bodies whole instead).
    plan.template.is_none()
        && plan.scale_out.worker.is_none()
        && in_file_order
        && plan.raw_payloads.is_none()
        && plan.endpoint != crate::config::EndpointType::ImageEdit
        && bounded_before_last
}

/// Whether synthetic images and audio may be made while the run goes on: a single-turn run
/// that can stream, without videos (a video's stream counts across all entries) or rankings.
pub(super) fn can_defer_media(plan: &Plan) -> bool {
    can_stream(plan) && plan.media.is_enabled() && plan.video.is_none() && plan.rankings.is_none()
}

/// A streamed workload's prompt text.
pub(super) enum Prompts {
    /// Made from an input file's rows a chunk at a time (`dataset::files::deferred`).
    Files {
        prompts: DeferredPrompts,
        corpus: Corpus,
    },
    /// Already made (a synthetic workload, small beside its media), entry by entry.
    Ready(Vec<String>),
}

/// A streamed workload's media.
pub(super) enum Media {
    /// Already made (or none), entry by entry.
    Ready(Vec<Vec<MediaPart>>),
    /// Synthetic images and audio, made a chunk at a time: entry `i`'s from the streams
    /// `("image", i)` and `("audio", i)`, as the whole build makes them.
    Synthetic(Box<crate::config::MediaPlan>),
}

/// What `prepare` keeps for a streamed workload, beside the workload's entries (which carry
/// no prompt text and no media).
pub struct Deferred {
    pub(super) prompts: Prompts,
    pub(super) media: Media,
    pub(super) seed: u64,
    /// Per entry: its body's options (`per_model[model_of[i]]`), budget, media and session.
    pub(super) per_model: Vec<RenderOptions>,
    pub(super) model_of: Vec<usize>,
    pub(super) max_tokens: Vec<Option<u32>>,
    pub(super) session_ids: Vec<Arc<str>>,
    /// Estimated bytes of prompt text in the whole workload.
    pub(super) estimated_bytes: u64,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("entries", &self.max_tokens.len())
            .field("estimated_bytes", &self.estimated_bytes)
            .finish()
    }
}

/// Which entry request `seq` sends: the engine's rule, phase by phase.
#[derive(Debug, Clone)]
pub(super) struct SeqOrder {
    phases: Vec<PhaseOrder>,
    entries: u64,
}

#[derive(Debug, Clone)]
struct PhaseOrder {
    first: u64,
    /// Requests in the phase; `None` = until its time is up (the last phase only).
    len: Option<u64>,
    /// The trace's entries in release order, for a `--fixed-schedule` phase.
    fixed: Option<Arc<[u64]>>,
}

impl SeqOrder {
    /// The order of `plan`'s phases over `entries` entries; `fixed` is the trace's release
    /// list (`(entry, offset)` in time order) when profiling phases replay it.
    pub(super) fn new(plan: &Plan, fixed: Option<&[(u64, u64)]>, entries: u64) -> Self {
        let fixed: Option<Arc<[u64]>> = fixed.map(|t| t.iter().map(|&(e, _)| e).collect());
        let mut first = 0u64;
        let phases = plan
            .phases
            .iter()
            .map(|phase: &Phase| {
                let replay = fixed
                    .as_ref()
                    .filter(|_| phase.kind == PhaseKind::Profiling)
                    .cloned();
                let mut len = match phase.stop {
                    StopRule::Count { requests } => Some(requests),
                    StopRule::Sessions { sessions } => Some(sessions),
                    StopRule::Duration { .. } => None,
                };
                if let Some(order) = &replay {
                    len = Some(len.map_or(order.len() as u64, |n| n.min(order.len() as u64)));
                }
                let this = PhaseOrder {
                    first,
                    len,
                    fixed: replay,
                };
                first = first.saturating_add(len.unwrap_or(u64::MAX - first));
                this
            })
            .collect();
        Self {
            phases,
            entries: entries.max(1),
        }
    }

    /// The entry request `seq` sends; `None` past the last request of the run.
    pub(super) fn entry(&self, seq: u64) -> Option<u64> {
        let phase = self.phases.iter().rev().find(|p| p.first <= seq)?;
        let k = seq - phase.first;
        if phase.len.is_some_and(|len| k >= len) {
            return None;
        }
        match &phase.fixed {
            Some(order) => order.get(k as usize).map(|&e| e % self.entries),
            None => Some(seq % self.entries),
        }
    }
}

/// Where the streamed bodies' copy for `inputs.json` goes.
pub(super) struct InputsSink {
    pub(super) dir: std::path::PathBuf,
    pub(super) export: ExportInputs,
}

/// The running rendering thread.
pub(super) struct Stream {
    ring: Arc<BodyRing>,
    entries: u64,
    thread: Option<JoinHandle<Result<Rendered, RunError>>>,
}

/// What the rendering thread did.
#[derive(Debug, Default)]
pub(super) struct Rendered {
    /// Bodies put into the ring.
    pub bodies: u64,
    /// The most hash blocks held at once.
    pub peak_blocks: usize,
    /// `inputs.json` could not be written (the error names the file).
    pub inputs_error: Option<std::io::Error>,
}

impl Stream {
    /// The engine's view of the bodies.
    pub(super) fn bodies(&self) -> StreamedBodies {
        StreamedBodies {
            ring: self.ring.clone(),
            entries: self.entries,
        }
    }

    /// Stops the rendering (the run is over) and reports how it went.
    pub(super) fn finish(mut self) -> Result<Rendered, RunError> {
        self.ring.close();
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(RunError::Runtime(std::io::Error::other(
                "the workload's rendering thread panicked",
            ))),
            None => Ok(Rendered::default()),
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.ring.close();
    }
}

/// Starts rendering `deferred` in `order`, and returns once the first bodies are in the ring
/// (an error making them is returned here, before the clock starts).
pub(super) fn start(
    deferred: Deferred,
    tokenizer: Arc<LazyTokenizer>,
    order: SeqOrder,
    inputs: Option<InputsSink>,
) -> Result<Stream, RunError> {
    let entries = deferred.max_tokens.len() as u64;
    let average = (deferred.estimated_bytes / entries.max(1)).max(1);
    let window = (env_bytes(WINDOW_ENV, DEFAULT_WINDOW_BYTES) / average)
        .clamp(MIN_WINDOW_BODIES, MAX_WINDOW_BODIES);
    let ring = Arc::new(BodyRing::new(window as usize));
    eprintln!(
        "note: {entries} requests (~{} MB) are made while the run goes on, at most {} \
         requests ahead ({THRESHOLD_ENV}, {WINDOW_ENV}; docs/performance.md)",
        deferred.estimated_bytes >> 20,
        ring.capacity()
    );
    let (first_tx, first_rx) = mpsc::sync_channel::<Result<(), String>>(1);
    let thread = {
        let ring = ring.clone();
        std::thread::Builder::new()
            .name("gauntlet-render".into())
            .spawn(move || render_loop(deferred, &tokenizer, &order, &ring, inputs, first_tx))
            .map_err(RunError::Runtime)?
    };
    let mut stream = Stream {
        ring,
        entries,
        thread: Some(thread),
    };
    match first_rx.recv() {
        Ok(Ok(())) => Ok(stream),
        // The thread ended before its first chunk: its result says why.
        _ => match stream.thread.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => Err(e),
            _ => Err(RunError::Runtime(std::io::Error::other(
                "the workload's rendering thread stopped before its first request",
            ))),
        },
    }
}

fn render_loop(
    mut deferred: Deferred,
    tokenizer: &LazyTokenizer,
    order: &SeqOrder,
    ring: &BodyRing,
    inputs: Option<InputsSink>,
    first: mpsc::SyncSender<Result<(), String>>,
) -> Result<Rendered, RunError> {
    let mut first = Some(first);
    let result = (|| {
        let root = RngRoot::new(deferred.seed);
        let tokenizer = match &deferred.prompts {
            Prompts::Files { .. } => Some(tokenizer.get().ok_or_else(|| {
                RunError::Runtime(std::io::Error::other("the tokenizer could not be loaded"))
            })?),
            Prompts::Ready(_) => None,
        };
        let Deferred {
            prompts,
            media,
            per_model,
            model_of,
            max_tokens,
            session_ids,
            ..
        } = &mut deferred;
        let (mut file_prompts, ready_prompts, corpus) = match prompts {
            Prompts::Files { prompts, corpus } => (Some(prompts), None, Some(&*corpus)),
            Prompts::Ready(ready) => (None, Some(&*ready), None),
        };
        let generator = tokenizer
            .zip(corpus)
            .map(|(tokenizer, corpus)| PromptGenerator::new(tokenizer, corpus));
        let source = tokenizer
            .zip(generator.as_ref())
            .map(|(tokenizer, generator)| PromptSource {
                tokenizer,
                generator,
                root: &root,
            });
        let mut inputs = inputs.map(InputsFeed::start);
        let mut rendered = Rendered::default();
        let mut chunk_len = FIRST_CHUNK.min(ring.capacity());
        let mut seq = 0u64;
        loop {
            let mut seqs = Vec::with_capacity(chunk_len);
            let mut chunk = Vec::with_capacity(chunk_len);
            while seqs.len() < chunk_len {
                match order.entry(seq) {
                    Some(entry) => {
                        seqs.push(seq);
                        chunk.push(entry as usize);
                        seq += 1;
                    }
                    None => break,
                }
            }
            if seqs.is_empty() || ring.is_closed() {
                break;
            }
            let made = match (&mut file_prompts, source) {
                (Some(prompts), Some(source)) => prompts
                    .prompts(&chunk, source)
                    .map_err(|e| RunError::Dataset(crate::dataset::DatasetError::from(e)))?,
                _ => Vec::new(),
            };
            let prompt_of = |k: usize| -> &str {
                match ready_prompts {
                    Some(ready) => &ready[chunk[k]],
                    None => &made[k],
                }
            };
            let made_media = match &*media {
                Media::Synthetic(plan) => crate::media_helper::ffmpeg()
                    .media_parts(plan, None, &chunk, &root)
                    .map_err(|e| match e {
                        crate::media_helper::AttachError::Media(e) => RunError::Media(e),
                        crate::media_helper::AttachError::Video(e) => RunError::Video(e),
                    })?,
                Media::Ready(_) => Vec::new(),
            };
            let media_of = |k: usize| -> &[MediaPart] {
                match &*media {
                    Media::Ready(ready) => ready.get(chunk[k]).map_or(&[], Vec::as_slice),
                    Media::Synthetic(_) => &made_media[k],
                }
            };
            let bodies: Vec<Bytes> = (0..chunk.len())
                .into_par_iter()
                .map(|k| {
                    let i = chunk[k];
                    Bytes::from(render_entry_body(
                        &per_model[model_of[i]],
                        prompt_of(k),
                        &[],
                        max_tokens[i],
                        media_of(k),
                    ))
                })
                .collect();
            drop(made);
            drop(made_media);
            if let Some(feed) = &mut inputs {
                for (&i, body) in chunk.iter().zip(&bodies) {
                    feed.offer(i, &session_ids[i], body);
                }
            }
            for (s, body) in seqs.into_iter().zip(bodies) {
                if !ring.put(s, body) {
                    break;
                }
                rendered.bodies += 1;
            }
            if let Some(first) = first.take() {
                let _ = first.send(Ok(()));
            }
            chunk_len = (chunk_len * 2)
                .min(MAX_CHUNK)
                .min(ring.capacity() / 2)
                .max(1);
        }
        rendered.peak_blocks = file_prompts.map_or(0, |p| p.peak_blocks());
        if let Some(feed) = inputs {
            rendered.inputs_error = feed.finish();
        }
        Ok(rendered)
    })();
    if result.is_err() {
        ring.close();
    }
    drop(first);
    result
}

/// The bodies on their way to `inputs.json`: each entry once (the first time it is rendered),
/// in the order rendered; `--export-inputs sample` stops after the first sessions.
struct InputsFeed {
    tx: Option<mpsc::SyncSender<(Arc<str>, Bytes)>>,
    writer: Option<JoinHandle<std::io::Result<()>>>,
    written: Vec<bool>,
    sessions: usize,
    limit: usize,
}

impl InputsFeed {
    fn start(sink: InputsSink) -> Self {
        let limit = match sink.export {
            ExportInputs::Full => usize::MAX,
            ExportInputs::Sample => ExportInputs::SAMPLE_SESSIONS,
            ExportInputs::None => 0,
        };
        if limit == 0 {
            return Self {
                tx: None,
                writer: None,
                written: Vec::new(),
                sessions: 0,
                limit,
            };
        }
        let (tx, rx) = mpsc::sync_channel::<(Arc<str>, Bytes)>(INPUTS_QUEUE);
        let dir = sink.dir;
        let writer = std::thread::Builder::new()
            .name("gauntlet-inputs".into())
            .spawn(move || crate::report::write_inputs_json_streamed(&dir, rx.into_iter()))
            .ok();
        Self {
            tx: writer.is_some().then_some(tx),
            writer,
            written: Vec::new(),
            sessions: 0,
            limit,
        }
    }

    fn offer(&mut self, entry: usize, session: &Arc<str>, body: &Bytes) {
        let Some(tx) = &self.tx else { return };
        if self.written.len() <= entry {
            self.written.resize(entry + 1, false);
        }
        if self.written[entry] || self.sessions >= self.limit {
            return;
        }
        self.written[entry] = true;
        self.sessions += 1;
        if tx.send((session.clone(), body.clone())).is_err() {
            // The writer failed; its error is reported at the end.
            self.tx = None;
        }
    }

    fn finish(mut self) -> Option<std::io::Error> {
        drop(self.tx.take());
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => Some(e),
            Some(Err(_)) => Some(std::io::Error::other("the inputs.json writer panicked")),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with(phases: Vec<StopRule>, kinds: &[PhaseKind]) -> Plan {
        use crate::config::settings::{flag, Settings};
        let mut plan = Settings {
            model: flag("--model", Some(vec!["m".to_string()])),
            ..Settings::default()
        }
        .resolve(String::new())
        .unwrap()
        .plan;
        let template = plan.phases.last().unwrap().clone();
        plan.phases = phases
            .into_iter()
            .zip(kinds)
            .map(|(stop, &kind)| Phase {
                kind,
                stop,
                ..template.clone()
            })
            .collect();
        plan
    }

    #[test]
    fn rate_phases_cycle_over_the_entries_and_a_fixed_phase_follows_the_trace() {
        let plan = plan_with(
            vec![
                StopRule::Count { requests: 3 },
                StopRule::Count { requests: 100 },
            ],
            &[PhaseKind::Warmup, PhaseKind::Profiling],
        );
        let fixed = [(2u64, 0u64), (0, 5), (1, 9)];
        let order = SeqOrder::new(&plan, Some(&fixed), 3);
        let got: Vec<Option<u64>> = (0..7).map(|s| order.entry(s)).collect();
        // Warmup sends entries 0, 1, 2; profiling replays the trace's order, then ends.
        assert_eq!(
            got,
            [Some(0), Some(1), Some(2), Some(2), Some(0), Some(1), None]
        );
        let cycling = SeqOrder::new(
            &plan_with(
                vec![StopRule::Duration {
                    duration: std::time::Duration::from_secs(1),
                    grace: std::time::Duration::ZERO,
                }],
                &[PhaseKind::Profiling],
            ),
            None,
            4,
        );
        assert_eq!(cycling.entry(9), Some(1));
        assert_eq!(cycling.entry(1 << 40), Some(0));
    }
}
