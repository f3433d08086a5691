//! What the harness itself cost during a run: start-up, CPU, memory.

/// What the harness itself cost, so a user can trust (or discount) a run.
pub(super) struct HarnessOverhead {
    from_cache: bool,
    first_request_ms: Option<f64>,
    /// CPU of the whole process (workload preparation included) per 1,000 requests.
    cpu_ms_per_1000: Option<f64>,
    /// CPU spent while the phases ran, per 1,000 requests.
    running_cpu_ms_per_1000: Option<f64>,
    peak_rss_mib: f64,
}

fn rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    }
}

fn cpu_seconds(usage: &libc::rusage) -> f64 {
    usage.ru_utime.tv_sec as f64
        + usage.ru_utime.tv_usec as f64 / 1e6
        + usage.ru_stime.tv_sec as f64
        + usage.ru_stime.tv_usec as f64 / 1e6
}

/// User + system CPU seconds of this process so far, plus the helpers it has waited for
/// (`gauntlet-ffmpeg` makes a run's videos: that is preparation too).
pub(super) fn process_cpu_seconds() -> f64 {
    cpu_seconds(&rusage(libc::RUSAGE_SELF)) + cpu_seconds(&rusage(libc::RUSAGE_CHILDREN))
}

/// Where a run's start-up and preparation CPU are counted from.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunStart {
    ns: u64,
    cpu_s: f64,
}

impl RunStart {
    /// The first run of a process counts from the process start (loading the binary and
    /// the tokenizer are part of its start-up); a later one (sweep, repeat, `speed-bench`
    /// category) from now, so it is not charged for the runs before it.
    pub(super) fn now() -> Self {
        static FIRST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
        if FIRST.swap(false, std::sync::atomic::Ordering::Relaxed) {
            Self {
                ns: crate::clock::process_start_ns(),
                cpu_s: 0.0,
            }
        } else {
            Self {
                ns: crate::clock::now_ns(),
                cpu_s: process_cpu_seconds(),
            }
        }
    }

    /// This start moved later by `waited` (the readiness wait, which is the server's time,
    /// not the harness's start-up).
    pub(super) fn after_wait(self, waited: std::time::Duration) -> Self {
        let waited_ns = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        Self {
            ns: self.ns.saturating_add(waited_ns),
            ..self
        }
    }
}

impl HarnessOverhead {
    pub(super) fn measure(
        start: RunStart,
        from_cache: bool,
        first_sent_ns: Option<u64>,
        requests: u64,
        cpu_before_phases_s: f64,
    ) -> Self {
        let cpu_s = process_cpu_seconds();
        let per_1000 = |s: f64| (requests > 0).then(|| s * 1e6 / requests as f64);
        Self {
            from_cache,
            first_request_ms: first_sent_ns.map(|t| t.saturating_sub(start.ns) as f64 / 1e6),
            cpu_ms_per_1000: per_1000(cpu_s - start.cpu_s),
            running_cpu_ms_per_1000: per_1000(cpu_s - cpu_before_phases_s),
            peak_rss_mib: rusage(libc::RUSAGE_SELF).ru_maxrss as f64 / 1024.0,
        }
    }
}

impl std::fmt::Display for HarnessOverhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Harness: ")?;
        if self.from_cache {
            write!(f, "workload from cache, ")?;
        }
        match self.first_request_ms {
            Some(ms) => write!(f, "first request {ms:.1} ms after start")?,
            None => write!(f, "no request sent")?,
        }
        if let (Some(running), Some(total)) = (self.running_cpu_ms_per_1000, self.cpu_ms_per_1000) {
            write!(
                f,
                ", CPU per 1,000 requests {running:.1} ms while running ({total:.1} ms with preparation)"
            )?;
        }
        write!(f, ", peak RSS {:.1} MiB", self.peak_rss_mib)
    }
}
