//! GPU telemetry: samples of every GPU (NVML locally, or DCGM exporters over HTTP) on the
//! run's monotonic clock, and the energy they spent per output token.
//!
//! The field names and units are AIPerf's (`gpu_power_usage` in W, `energy_consumption` in
//! MJ, `gpu_memory_used` in GB, …), so its report tools read ours.

mod dcgm;
mod nvml;
mod summary;
mod thread;

pub use dcgm::samples_from_dcgm;
pub use nvml::NvmlSampler;
pub use summary::{summarize_gpus, EnergySummary, GpuSummary, GpuTelemetrySummary};
pub use thread::{GpuLog, GpuThread};

/// One reading of one GPU. Fields a source cannot read are `None`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GpuSample {
    /// Monotonic ns of the reading (the same clock as request records).
    pub timestamp_ns: u64,
    /// `nvml`, or the DCGM exporter's URL.
    pub source: String,
    /// Index of the GPU on its host.
    pub gpu_index: u32,
    /// The GPU's UUID (empty when unknown).
    pub gpu_uuid: String,
    /// The GPU's model name (empty when unknown).
    pub gpu_model_name: String,
    /// The readings.
    pub telemetry_data: GpuReadings,
}

/// The readings of one sample, in AIPerf's units.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct GpuReadings {
    /// Percent of time a kernel ran.
    pub gpu_utilization: Option<f64>,
    /// Memory in use, GB (10^9 bytes).
    pub gpu_memory_used: Option<f64>,
    /// Memory installed, GB.
    pub total_gpu_memory: Option<f64>,
    /// Power draw, W.
    pub gpu_power_usage: Option<f64>,
    /// Energy counter since the driver loaded, MJ.
    pub energy_consumption: Option<f64>,
    /// SM clock, MHz.
    pub sm_clock_frequency: Option<f64>,
    /// Memory clock, MHz.
    pub memory_clock_frequency: Option<f64>,
    /// GPU temperature, °C.
    pub gpu_temperature: Option<f64>,
}

/// Why a sampler could not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct GpuError(pub String);

/// A source of GPU samples: NVML, or a fake in tests. Called from its own thread.
pub trait GpuSampler: Send {
    /// Reads every GPU now.
    fn sample(&mut self) -> Result<Vec<GpuSample>, GpuError>;
}

/// A scripted sampler for tests: returns its samples in order, then the last one again, with
/// each sample's timestamp replaced by the clock now unless `keep_timestamps`.
#[derive(Debug, Clone, Default)]
pub struct FakeGpuSampler {
    /// Readings to return, one batch per call.
    pub script: Vec<Vec<GpuSample>>,
    /// Whether to return the scripted timestamps instead of `now_ns()`.
    pub keep_timestamps: bool,
    next: usize,
}

impl FakeGpuSampler {
    /// A sampler returning `script` batch by batch.
    pub fn new(script: Vec<Vec<GpuSample>>, keep_timestamps: bool) -> Self {
        Self {
            script,
            keep_timestamps,
            next: 0,
        }
    }
}

impl GpuSampler for FakeGpuSampler {
    fn sample(&mut self) -> Result<Vec<GpuSample>, GpuError> {
        let i = self.next.min(self.script.len().saturating_sub(1));
        self.next += 1;
        let mut batch = self
            .script
            .get(i)
            .cloned()
            .ok_or_else(|| GpuError("no scripted samples".into()))?;
        if !self.keep_timestamps {
            let now = crate::clock::now_ns();
            batch.iter_mut().for_each(|s| s.timestamp_ns = now);
        }
        Ok(batch)
    }
}
