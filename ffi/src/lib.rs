//! The C ABI of gauntlet: create a run from a YAML v2 (or JSON) config text, start it on a
//! background thread, poll its progress, cancel it, wait for it, read its summary and its
//! artifact folder, free it. docs/embedding.md is the user's guide; `include/gauntlet.h` is
//! generated from this file by cbindgen (`tests/header.rs` fails when it is stale).
//!
//! Every call but [`gauntlet_version`] and [`gauntlet_last_error`] returns a status code
//! (`GAUNTLET_OK` or one of the `GAUNTLET_ERR_*` codes); the message of the last failed call
//! on the calling thread is [`gauntlet_last_error`]'s. No panic crosses the boundary: every
//! body runs under `catch_unwind`, and a panic is `GAUNTLET_ERR_PANIC`.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::time::{Duration, Instant};

use gauntlet::config::Plan;

/// Success.
pub const GAUNTLET_OK: c_int = 0;
/// A pointer argument was NULL.
pub const GAUNTLET_ERR_NULL: c_int = 1;
/// A text argument was not UTF-8.
pub const GAUNTLET_ERR_UTF8: c_int = 2;
/// The config text is invalid (the message names the key and line).
pub const GAUNTLET_ERR_CONFIG: c_int = 3;
/// The call does not fit the run's state (start twice, summary before the run ended).
pub const GAUNTLET_ERR_STATE: c_int = 4;
/// The run failed (could not prepare its workload, reach the server, write its artifacts).
pub const GAUNTLET_ERR_RUN: c_int = 5;
/// A panic inside gauntlet, caught at the boundary.
pub const GAUNTLET_ERR_PANIC: c_int = 6;
/// The operating system refused a thread.
pub const GAUNTLET_ERR_SYSTEM: c_int = 7;

/// The library version as a NUL-terminated string with static lifetime.
#[no_mangle]
pub extern "C" fn gauntlet_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// The message of the last call that failed on this thread ("" when none has). The pointer
/// stays valid until the next failing call on the same thread; copy it to keep it.
#[no_mangle]
pub extern "C" fn gauntlet_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

fn set_error(message: &str) {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
}

/// A failed call: its status code and message.
struct Failure(c_int, String);

fn fail<T>(code: c_int, message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure(code, message.into()))
}

/// Runs `body` with panics caught; a failure's message goes to [`gauntlet_last_error`].
fn guard(body: impl FnOnce() -> Result<(), Failure>) -> c_int {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => GAUNTLET_OK,
        Ok(Err(Failure(code, message))) => {
            set_error(&message);
            code
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            set_error(&format!("internal error (panic): {what}"));
            GAUNTLET_ERR_PANIC
        }
    }
}

/// A run: opaque to C. Made by [`gauntlet_run_create`], released by [`gauntlet_run_free`].
/// Every call may come from any thread, several at once; only `gauntlet_run_free` must be
/// the last call on a handle.
pub struct GauntletRun {
    shared: Arc<Shared>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

struct Shared {
    plan: Plan,
    state: Mutex<State>,
    ended: Condvar,
    cancel: AtomicBool,
    /// Stops this run only (not the process's other runs).
    switch: gauntlet::run::Cancel,
    /// The run's request counts while it runs.
    live: gauntlet::run::Progress,
}

enum State {
    Created,
    Running { since: Instant },
    Ended { elapsed: Duration, result: Ended },
}

enum Ended {
    /// The run wrote its artifacts (an interrupted run's are marked partial).
    Done {
        exit_code: u8,
        dir: PathBuf,
        accounting: gauntlet::metrics::Accounting,
        cancelled: bool,
    },
    /// Cancelled before it started: nothing ran, nothing was written.
    NotStarted,
    /// The run failed; the message.
    Failed(String),
}

fn run_ref<'a>(run: *const GauntletRun) -> Result<&'a GauntletRun, Failure> {
    // SAFETY: the caller passes a handle from gauntlet_run_create not yet freed (the
    // documented contract); NULL is refused here.
    unsafe { run.as_ref() }.map_or_else(|| fail(GAUNTLET_ERR_NULL, "run handle is NULL"), Ok)
}

fn text_arg<'a>(text: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if text.is_null() {
        return fail(GAUNTLET_ERR_NULL, format!("{what} is NULL"));
    }
    // SAFETY: non-NULL, and the caller passes a NUL-terminated string (the contract).
    let bytes = unsafe { CStr::from_ptr(text) };
    bytes
        .to_str()
        .or_else(|e| fail(GAUNTLET_ERR_UTF8, format!("{what} is not UTF-8: {e}")))
}

fn out_string(out: *mut *mut c_char, text: &str) -> Result<(), Failure> {
    if out.is_null() {
        return fail(GAUNTLET_ERR_NULL, "output pointer is NULL");
    }
    let owned = CString::new(text.replace('\0', " ")).unwrap_or_default();
    // SAFETY: non-NULL, and the caller passes a writable `char *` slot (the contract).
    unsafe { *out = owned.into_raw() };
    Ok(())
}

/// Parses `config` (a YAML v2 config, or the same as JSON) exactly as
/// `gauntlet profile --config FILE` would, and makes a run of it in `*out` (not started).
/// `name` names the config in error messages (NULL: "config"); `artifact_dir` is where the
/// run writes its artifacts, as `--output-artifact-dir` (NULL: the CLI's default folder under
/// the working directory). A config with `sweep:` is refused. On failure `*out` is left as
/// it was.
///
/// # Safety
/// `config` (and `name`, `artifact_dir` unless NULL) are NUL-terminated strings; `out` is
/// writable.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_run_create(
    config: *const c_char,
    name: *const c_char,
    artifact_dir: *const c_char,
    out: *mut *mut GauntletRun,
) -> c_int {
    guard(|| {
        if out.is_null() {
            return fail(GAUNTLET_ERR_NULL, "output pointer is NULL");
        }
        let text = text_arg(config, "config")?;
        let name = if name.is_null() {
            "config"
        } else {
            text_arg(name, "name")?
        };
        let dir = if artifact_dir.is_null() {
            None
        } else {
            Some(PathBuf::from(text_arg(artifact_dir, "artifact_dir")?))
        };
        let plan = gauntlet::cli::profile::plan_from_text(text, name, dir)
            .or_else(|e| fail(GAUNTLET_ERR_CONFIG, e.to_string()))?;
        let run = Box::new(GauntletRun {
            shared: Arc::new(Shared {
                plan,
                state: Mutex::new(State::Created),
                ended: Condvar::new(),
                cancel: AtomicBool::new(false),
                switch: gauntlet::run::Cancel::new(),
                live: gauntlet::run::Progress::new(),
            }),
            thread: Mutex::new(None),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(run) };
        Ok(())
    })
}

/// Starts the run on a background thread and returns at once. A run starts once
/// (`GAUNTLET_ERR_STATE` after that).
///
/// # Safety
/// `run` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_run_start(run: *const GauntletRun) -> c_int {
    guard(|| {
        let run = run_ref(run)?;
        let mut thread = lock(&run.thread);
        {
            let mut state = lock(&run.shared.state);
            if !matches!(*state, State::Created) {
                return fail(GAUNTLET_ERR_STATE, "the run was already started");
            }
            if run.shared.cancel.load(Ordering::SeqCst) {
                *state = State::Ended {
                    elapsed: Duration::ZERO,
                    result: Ended::NotStarted,
                };
                run.shared.ended.notify_all();
                return Ok(());
            }
            take_signals();
            *state = State::Running {
                since: Instant::now(),
            };
        }
        let shared = run.shared.clone();
        let spawned = std::thread::Builder::new()
            .name("gauntlet-run".into())
            .spawn(move || background(&shared));
        match spawned {
            Ok(handle) => {
                *thread = Some(handle);
                Ok(())
            }
            Err(e) => {
                let mut state = lock(&run.shared.state);
                *state = State::Created;
                fail(GAUNTLET_ERR_SYSTEM, format!("cannot start a thread: {e}"))
            }
        }
    })
}

/// The run thread: the library's run, its result kept.
fn background(shared: &Shared) {
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        gauntlet::run::run_observed(&shared.plan, &shared.switch, &shared.live)
    }));
    let result = match result {
        Ok(Ok(outcome)) => Ended::Done {
            exit_code: outcome.exit_code,
            dir: outcome.artifact_dir,
            cancelled: outcome.summary.was_cancelled,
            accounting: outcome.summary.accounting,
        },
        Ok(Err(e)) => Ended::Failed(format!("{e:#}")),
        Err(_) => Ended::Failed("internal error (panic) in the run".to_string()),
    };
    let mut state = lock(&shared.state);
    *state = State::Ended {
        elapsed: started.elapsed(),
        result,
    };
    shared.ended.notify_all();
}

/// The run's progress as a JSON object in `*out` (free it with [`gauntlet_string_free`]):
/// `state` ("created", "running", "cancelling", "finished", "cancelled", "failed"),
/// `elapsed_s`, and the request counts. While the run runs they are live: `scheduled` (the
/// phases' total, `null` while a phase runs for a duration), `sent`, `completed`, `failed`,
/// `cancelled`, `in_flight` (all 0 until the phases start), `not_sent` `null`. Once it has
/// ended they are its accounting (`in_flight` 0) and `exit_code` is there.
///
/// # Safety
/// `run` is a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_run_progress(
    run: *const GauntletRun,
    out: *mut *mut c_char,
) -> c_int {
    guard(|| {
        let run = run_ref(run)?;
        let json = progress_json(&run.shared);
        out_string(out, &json.to_string())
    })
}

fn progress_json(shared: &Shared) -> serde_json::Value {
    use serde_json::{json, Value};
    let cancel = shared.cancel.load(Ordering::SeqCst);
    let state = lock(&shared.state);
    let counts = |a: Option<&gauntlet::metrics::Accounting>| match a {
        Some(a) => json!({
            "scheduled": a.scheduled,
            "sent": a.completed + a.failed + a.cancelled,
            "completed": a.completed,
            "failed": a.failed,
            "cancelled": a.cancelled,
            "not_sent": a.not_sent,
            "in_flight": 0,
        }),
        None => json!({
            "scheduled": Value::Null,
            "sent": Value::Null,
            "completed": Value::Null,
            "failed": Value::Null,
            "cancelled": Value::Null,
            "not_sent": Value::Null,
            "in_flight": Value::Null,
        }),
    };
    let live = || {
        let c = shared.live.counts();
        json!({
            "scheduled": c.scheduled,
            "sent": c.sent,
            "completed": c.completed,
            "failed": c.failed,
            "cancelled": c.cancelled,
            "not_sent": Value::Null,
            "in_flight": c.in_flight,
        })
    };
    let (name, elapsed, mut body) = match &*state {
        State::Created => ("created", 0.0, counts(None)),
        State::Running { since } => (
            if cancel { "cancelling" } else { "running" },
            since.elapsed().as_secs_f64(),
            live(),
        ),
        State::Ended { elapsed, result } => match result {
            Ended::Done {
                exit_code,
                accounting,
                cancelled,
                ..
            } => {
                let mut body = counts(Some(accounting));
                body["exit_code"] = json!(exit_code);
                let name = if *cancelled { "cancelled" } else { "finished" };
                (name, elapsed.as_secs_f64(), body)
            }
            Ended::NotStarted => ("cancelled", 0.0, counts(None)),
            Ended::Failed(message) => {
                let mut body = counts(None);
                body["error"] = json!(message);
                ("failed", elapsed.as_secs_f64(), body)
            }
        },
    };
    body["state"] = json!(name);
    body["elapsed_s"] = json!(elapsed);
    body
}

/// Asks the run to stop and returns at once: requests stop, in-flight ones are cancelled,
/// and the artifacts are written marked partial — the path Ctrl-C takes, for this run only
/// (other runs in the process go on). A run not started yet will not start; one waiting for
/// its model stops when the wait is over. Cancelling an ended run does nothing.
///
/// # Safety
/// `run` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_run_cancel(run: *const GauntletRun) -> c_int {
    guard(|| {
        let run = run_ref(run)?;
        if !run.shared.cancel.swap(true, Ordering::SeqCst) {
            run.shared.switch.cancel();
        }
        Ok(())
    })
}

/// Installs the runtime's handler for SIGINT, SIGTERM and SIGHUP once per process, before
/// the first run: a signal then never ends the process, even before a run's watcher starts
/// (the handler chains to one the host installed before).
fn take_signals() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let _ = signal(SignalKind::interrupt());
            let _ = signal(SignalKind::terminate());
            let _ = signal(SignalKind::hangup());
        });
    });
}

/// Waits until the run has ended, at most `timeout_ms` milliseconds (negative: no limit).
/// `GAUNTLET_OK` when it has ended (whatever its outcome: see [`gauntlet_run_progress`]),
/// `GAUNTLET_ERR_STATE` when it was never started, `GAUNTLET_ERR_TIMEOUT` on the timeout.
///
/// # Safety
/// `run` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_run_wait(run: *const GauntletRun, timeout_ms: i64) -> c_int {
    guard(|| {
        let run = run_ref(run)?;
        let state = lock(&run.shared.state);
        if matches!(*state, State::Created) {
            return fail(GAUNTLET_ERR_STATE, "the run was not started");
        }
        let not_ended = |s: &mut State| !matches!(s, State::Ended { .. });
        let state = if timeout_ms < 0 {
            run.shared
                .ended
                .wait_while(state, not_ended)
                .unwrap_or_else(|p| p.into_inner())
        } else {
            let limit = Duration::from_millis(timeout_ms.unsigned_abs());
            run.shared
                .ended
                .wait_timeout_while(state, limit, not_ended)
                .unwrap_or_else(|p| p.into_inner())
                .0
        };
        if !matches!(*state, State::Ended { .. }) {
            return fail(GAUNTLET_ERR_TIMEOUT, "the run has not ended yet");
        }
        drop(state);
        // The thread has kept its result; join it so none outlives the wait.
        if let Some(handle) = lock(&run.thread).take() {
            let _ = handle.join();
        }
        Ok(())
    })
}

/// The wait's time limit passed before the run ended.
pub const GAUNTLET_ERR_TIMEOUT: c_int = 8;

/// The ended run's `profile_export_aiperf.json` document, as the file holds it, in `*out`
/// (free it with [`gauntlet_string_free`]). `GAUNTLET_ERR_STATE` before the run has ended or
/// when it wrote none (cancelled before it started); `GAUNTLET_ERR_RUN` when the run failed.
///
/// # Safety
/// `run` is a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_run_summary(
    run: *const GauntletRun,
    out: *mut *mut c_char,
) -> c_int {
    guard(|| {
        let run = run_ref(run)?;
        let dir = ended_dir(&run.shared)?;
        let path = dir.join(gauntlet::report::files::JSON);
        let text = std::fs::read_to_string(&path).or_else(|e| {
            fail(
                GAUNTLET_ERR_RUN,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        out_string(out, &text)
    })
}

/// The ended run's artifact folder (the same files the CLI writes) in `*out` (free it with
/// [`gauntlet_string_free`]); errors as [`gauntlet_run_summary`]'s.
///
/// # Safety
/// `run` is a live handle; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_run_artifact_dir(
    run: *const GauntletRun,
    out: *mut *mut c_char,
) -> c_int {
    guard(|| {
        let run = run_ref(run)?;
        let dir = ended_dir(&run.shared)?;
        out_string(out, &dir.display().to_string())
    })
}

fn ended_dir(shared: &Shared) -> Result<PathBuf, Failure> {
    match &*lock(&shared.state) {
        State::Ended {
            result: Ended::Done { dir, .. },
            ..
        } => Ok(dir.clone()),
        State::Ended {
            result: Ended::Failed(message),
            ..
        } => fail(GAUNTLET_ERR_RUN, message.clone()),
        State::Ended {
            result: Ended::NotStarted,
            ..
        } => fail(
            GAUNTLET_ERR_STATE,
            "the run was cancelled before it started",
        ),
        _ => fail(GAUNTLET_ERR_STATE, "the run has not ended"),
    }
}

/// Releases a run. A run still running is cancelled and waited for first (its artifacts
/// are written). NULL is allowed and does nothing. The handle must not be used after.
///
/// # Safety
/// `run` is NULL or a live handle that no other thread is using.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_run_free(run: *mut GauntletRun) -> c_int {
    guard(|| {
        if run.is_null() {
            return Ok(());
        }
        // SAFETY: a live handle from gauntlet_run_create, given up by the caller.
        let run = unsafe { Box::from_raw(run) };
        let running = matches!(*lock(&run.shared.state), State::Running { .. });
        if running {
            // SAFETY: a live handle.
            unsafe { gauntlet_run_cancel(&*run) };
        }
        if let Some(handle) = lock(&run.thread).take() {
            let _ = handle.join();
        }
        Ok(())
    })
}

/// Releases a string this library returned. NULL is allowed.
///
/// # Safety
/// `text` is NULL or a string from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn gauntlet_string_free(text: *mut c_char) -> c_int {
    guard(|| {
        if !text.is_null() {
            // SAFETY: made by CString::into_raw in out_string.
            drop(unsafe { CString::from_raw(text) });
        }
        Ok(())
    })
}

/// Locks `m`; a lock poisoned by a panic still holds consistent data (every write is one
/// assignment).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_is_the_library_version() {
        // SAFETY: gauntlet_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(gauntlet_version()) };
        assert_eq!(v.to_str().unwrap(), gauntlet::VERSION);
    }

    fn last_error() -> String {
        // SAFETY: gauntlet_last_error returns a valid NUL-terminated string.
        unsafe { CStr::from_ptr(gauntlet_last_error()) }
            .to_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn bad_config_is_a_config_error_naming_the_key() {
        let text = CString::new("schemaVersion: \"2.0\"\nbenchmark:\n  nonsense_key: 3\n").unwrap();
        let mut run: *mut GauntletRun = std::ptr::null_mut();
        // SAFETY: valid strings and out slot.
        let code = unsafe {
            gauntlet_run_create(text.as_ptr(), std::ptr::null(), std::ptr::null(), &mut run)
        };
        assert_eq!(code, GAUNTLET_ERR_CONFIG, "{}", last_error());
        assert!(run.is_null());
        assert!(last_error().contains("nonsense_key"), "{}", last_error());
    }

    #[test]
    fn null_arguments_are_refused() {
        // SAFETY: NULLs are part of the contract.
        unsafe {
            assert_eq!(gauntlet_run_start(std::ptr::null()), GAUNTLET_ERR_NULL);
            assert_eq!(
                gauntlet_run_create(
                    std::ptr::null(),
                    std::ptr::null(),
                    std::ptr::null(),
                    std::ptr::null_mut()
                ),
                GAUNTLET_ERR_NULL
            );
            assert_eq!(gauntlet_run_free(std::ptr::null_mut()), GAUNTLET_OK);
        }
        assert!(last_error().contains("NULL"));
    }

    #[test]
    fn a_run_cancelled_before_start_never_runs() {
        let text = CString::new(
            "schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  endpoint: {url: \"http://127.0.0.1:9\"}\n",
        )
        .unwrap();
        let mut run: *mut GauntletRun = std::ptr::null_mut();
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: valid strings, out slots and a live handle until the free.
        unsafe {
            let code =
                gauntlet_run_create(text.as_ptr(), std::ptr::null(), std::ptr::null(), &mut run);
            assert_eq!(code, GAUNTLET_OK, "{}", last_error());
            assert_eq!(gauntlet_run_wait(run, 0), GAUNTLET_ERR_STATE);
            assert_eq!(gauntlet_run_cancel(run), GAUNTLET_OK);
            assert_eq!(gauntlet_run_start(run), GAUNTLET_OK);
            assert_eq!(gauntlet_run_wait(run, -1), GAUNTLET_OK);
            assert_eq!(gauntlet_run_progress(run, &mut out), GAUNTLET_OK);
            let progress: serde_json::Value =
                serde_json::from_str(CStr::from_ptr(out).to_str().unwrap()).unwrap();
            gauntlet_string_free(out);
            assert_eq!(progress["state"], "cancelled");
            assert_eq!(gauntlet_run_summary(run, &mut out), GAUNTLET_ERR_STATE);
            assert!(last_error().contains("before it started"));
            assert_eq!(gauntlet_run_start(run), GAUNTLET_ERR_STATE);
            assert_eq!(gauntlet_run_free(run), GAUNTLET_OK);
        }
    }
}
