//! The thread that calls a [`GpuSampler`] every interval and at phase boundaries.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{GpuSample, GpuSampler};
use crate::clock::now_ns;

enum Command {
    Boundary(Sender<()>),
    Stop,
}

/// What the sampler thread gathered.
#[derive(Debug, Clone, Default)]
pub struct GpuLog {
    /// Samples, oldest first (thinned to stay under the cap).
    pub samples: Vec<GpuSample>,
    /// Calls that failed.
    pub failures: u64,
    /// The last failure's message.
    pub last_error: Option<String>,
}

/// A running sampler thread.
#[derive(Debug)]
pub struct GpuThread {
    commands: Sender<Command>,
    thread: Option<JoinHandle<GpuLog>>,
}

impl GpuThread {
    /// Starts sampling every `interval`, keeping at most `cap` samples.
    pub fn start(
        mut sampler: Box<dyn GpuSampler>,
        interval: Duration,
        cap: usize,
    ) -> std::io::Result<Self> {
        let (commands, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("gauntlet-gpu".into())
            .spawn(move || {
                let mut log = GpuLog::default();
                sample_loop(sampler.as_mut(), interval, cap.max(64), &rx, &mut log);
                log
            })?;
        Ok(Self {
            commands,
            thread: Some(thread),
        })
    }

    /// Asks for a sample now; the receiver hears when it is taken.
    pub fn boundary(&self) -> Receiver<()> {
        let (tx, rx) = mpsc::channel();
        let _ = self.commands.send(Command::Boundary(tx));
        rx
    }

    /// Takes a last sample and returns everything.
    pub fn stop(mut self) -> GpuLog {
        let _ = self.commands.send(Command::Stop);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

fn sample_loop(
    sampler: &mut dyn GpuSampler,
    interval: Duration,
    cap: usize,
    commands: &Receiver<Command>,
    log: &mut GpuLog,
) {
    let interval_ns = interval.as_nanos() as u64;
    let mut next = now_ns();
    loop {
        let now = now_ns();
        if now >= next {
            take(sampler, cap, log);
            next = next.max(now) + interval_ns;
            continue;
        }
        match commands.recv_timeout(Duration::from_nanos(next - now)) {
            Ok(Command::Boundary(done)) => {
                take(sampler, cap, log);
                let _ = done.send(());
            }
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => {
                take(sampler, cap, log);
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

fn take(sampler: &mut dyn GpuSampler, cap: usize, log: &mut GpuLog) {
    match sampler.sample() {
        Ok(batch) => log.samples.extend(batch),
        Err(e) => {
            log.failures += 1;
            log.last_error = Some(e.to_string());
        }
    }
    if log.samples.len() > cap {
        // Keep the first and every other one after, so the span survives at half the rate.
        let mut i = 0usize;
        log.samples.retain(|_| {
            i += 1;
            i == 1 || i.is_multiple_of(2)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FakeGpuSampler, GpuReadings};
    use super::*;

    #[test]
    fn samples_on_boundaries_and_at_stop() {
        let sample = GpuSample {
            timestamp_ns: 0,
            source: "fake".into(),
            gpu_index: 0,
            gpu_uuid: String::new(),
            gpu_model_name: String::new(),
            telemetry_data: GpuReadings::default(),
        };
        let fake = FakeGpuSampler::new(vec![vec![sample]], false);
        // A long interval: only the first tick, the boundary and the stop sample.
        let t = GpuThread::start(Box::new(fake), Duration::from_secs(3600), 1000).unwrap();
        t.boundary().recv_timeout(Duration::from_secs(5)).unwrap();
        let log = t.stop();
        assert_eq!(log.samples.len(), 3);
        assert!(log
            .samples
            .windows(2)
            .all(|w| w[0].timestamp_ns <= w[1].timestamp_ns));
        assert_eq!(log.failures, 0);
    }
}
