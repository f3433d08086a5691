//! The `--ui-type dashboard` terminal: a thread that owns stderr's screen while the phases run
//! and redraws [`crate::report::dashboard`] from the latest snapshot the record processor
//! published, every [`super::live::REFRESH`].
//!
//! The terminal is given back however the run ends: dropping [`Dashboard`] (end of the
//! phases, an error returned, a panic unwinding through the drive step) stops the thread, which
//! leaves the alternate screen and restores the keyboard. Raw mode is not used: the keyboard
//! only stops echoing, so Ctrl-C is still SIGINT and ends the run the way it always does.
//!
//! While it shows, whatever else the process writes to stderr (a telemetry note, a warning)
//! is held back, so it cannot scroll the screen under the dashboard; it is written out once
//! the terminal is restored.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::Terminal;

use crate::metrics::live::LiveFeed;
use crate::report::dashboard::{draw, DashboardInfo};
use crate::telemetry::LiveGauges;

/// The telemetry the dashboard shows, once the collectors have started.
type TelemetrySlot = Arc<Mutex<Option<LiveGauges>>>;

/// The running dashboard; dropping it restores the terminal.
pub(super) struct Dashboard {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    held: Option<HeldStderr>,
    telemetry: TelemetrySlot,
}

impl Dashboard {
    /// Takes over stderr's terminal and starts redrawing from `feed`.
    pub(super) fn start(feed: LiveFeed, info: DashboardInfo) -> io::Result<Self> {
        let held = HeldStderr::start()?;
        let tty = held.terminal()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let telemetry = TelemetrySlot::default();
        let gauges = telemetry.clone();
        let thread = std::thread::Builder::new()
            .name("gauntlet-dashboard".into())
            .spawn(move || {
                if let Err(e) = show(&feed, &gauges, &info, &flag, tty) {
                    // Held with the rest of stderr, it is printed once the screen is back.
                    eprintln!("--ui-type dashboard stopped: {e}");
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
            held: Some(held),
            telemetry,
        })
    }

    /// Shows the scraped endpoints' newest gauges from now on.
    pub(super) fn show_telemetry(&self, gauges: LiveGauges) {
        if let Ok(mut slot) = self.telemetry.lock() {
            *slot = Some(gauges);
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Only now that the screen is restored does stderr reach the terminal again.
        drop(self.held.take());
    }
}

/// Stderr pointed at a pipe while the dashboard shows; dropping it points stderr back at
/// the terminal and writes out what was held.
struct HeldStderr {
    /// The terminal stderr was (a duplicate of the original descriptor).
    saved: RawFd,
    reader: Option<JoinHandle<Vec<u8>>>,
}

impl HeldStderr {
    fn start() -> io::Result<Self> {
        let mut ends = [0 as RawFd; 2];
        // SAFETY: plain descriptor calls; every result is checked and nothing is leaked on
        // the error paths that matter (a failed dup2 leaves stderr as it was).
        unsafe {
            let saved = libc::dup(libc::STDERR_FILENO);
            if saved < 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                let e = io::Error::last_os_error();
                libc::close(saved);
                return Err(e);
            }
            if libc::dup2(ends[1], libc::STDERR_FILENO) < 0 {
                let e = io::Error::last_os_error();
                libc::close(ends[0]);
                libc::close(ends[1]);
                libc::close(saved);
                return Err(e);
            }
            libc::close(ends[1]);
            let mut pipe = File::from_raw_fd(ends[0]);
            let reader = std::thread::Builder::new()
                .name("gauntlet-stderr".into())
                .spawn(move || {
                    let mut held = Vec::new();
                    let _ = pipe.read_to_end(&mut held);
                    held
                });
            match reader {
                Ok(reader) => Ok(Self {
                    saved,
                    reader: Some(reader),
                }),
                Err(e) => {
                    libc::dup2(saved, libc::STDERR_FILENO);
                    libc::close(saved);
                    Err(e)
                }
            }
        }
    }

    /// A handle on the terminal itself, for the dashboard to draw on.
    fn terminal(&self) -> io::Result<File> {
        // SAFETY: `saved` is open for as long as `self` lives; the duplicate is owned by the File.
        let fd = unsafe { libc::fcntl(self.saved, libc::F_DUPFD_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nothing else owns.
        Ok(unsafe { File::from_raw_fd(fd) })
    }
}

impl Drop for HeldStderr {
    fn drop(&mut self) {
        // SAFETY: `saved` is the original stderr; dup2 closes the pipe's write end, so the
        // reader sees the end of the pipe.
        unsafe {
            libc::dup2(self.saved, libc::STDERR_FILENO);
            libc::close(self.saved);
        }
        if let Some(held) = self.reader.take().and_then(|r| r.join().ok()) {
            let _ = io::stderr().write_all(&held);
        }
    }
}

/// Draws on `tty` until `stop` is set; the screen is restored when this returns, by value or
/// error.
fn show(
    feed: &LiveFeed,
    telemetry: &TelemetrySlot,
    info: &DashboardInfo,
    stop: &AtomicBool,
    tty: File,
) -> io::Result<()> {
    let _screen = Screen::enter(tty.try_clone()?)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(tty))?;
    terminal.clear()?;
    const STEP: Duration = Duration::from_millis(50);
    loop {
        let mut snapshot = feed.lock().ok().and_then(|s| s.clone());
        if let (Some(snap), Ok(slot)) = (&mut snapshot, telemetry.lock()) {
            if let Some(gauges) = slot.as_ref() {
                snap.telemetry = gauges.readings();
            }
        }
        terminal.draw(|frame| draw(frame, info, snapshot.as_ref()))?;
        let mut waited = Duration::ZERO;
        while waited < super::live::REFRESH {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            std::thread::sleep(STEP);
            waited += STEP;
        }
    }
}

/// The alternate screen with the cursor hidden and keystrokes not echoed; dropping it puts
/// everything back.
struct Screen {
    tty: io::BufWriter<File>,
    keyboard: Option<libc::termios>,
}

impl Screen {
    fn enter(tty: File) -> io::Result<Self> {
        let mut screen = Screen {
            tty: io::BufWriter::new(tty),
            keyboard: quiet_keyboard(),
        };
        execute!(screen.tty, terminal::EnterAlternateScreen, cursor::Hide)?;
        Ok(screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(self.tty, cursor::Show, terminal::LeaveAlternateScreen);
        let _ = self.tty.flush();
        if let Some(saved) = &self.keyboard {
            // SAFETY: fd 0 is the terminal the settings were read from; `saved` is valid.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved) };
        }
    }
}

/// Turns off echo and line editing on the terminal at stdin (keys typed during the run would
/// otherwise be drawn over the dashboard), keeping signals on; returns the settings to
/// restore, or `None` when stdin is not a terminal.
fn quiet_keyboard() -> Option<libc::termios> {
    // SAFETY: tcgetattr writes a termios into valid memory and fails cleanly on a non-tty.
    unsafe {
        let mut saved: libc::termios = std::mem::zeroed();
        if libc::isatty(libc::STDIN_FILENO) != 1
            || libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0
        {
            return None;
        }
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ICANON);
        libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet);
        Some(saved)
    }
}
