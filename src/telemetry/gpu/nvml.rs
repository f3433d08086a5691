//! Local GPUs through NVML (`nvml-wrapper`, which loads `libnvidia-ml.so` at run time, so a
//! machine without the driver builds, tests and runs: [`NvmlSampler::open`] just fails).

use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::Nvml;

use super::{GpuError, GpuReadings, GpuSample, GpuSampler};
use crate::clock::now_ns;

/// Samples every GPU NVML sees.
pub struct NvmlSampler {
    nvml: Nvml,
    gpus: Vec<(u32, String, String)>,
}

impl std::fmt::Debug for NvmlSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvmlSampler")
            .field("gpus", &self.gpus)
            .finish()
    }
}

impl NvmlSampler {
    /// Loads NVML and lists the GPUs; the error says why NVML is unusable here.
    pub fn open() -> Result<Self, GpuError> {
        let nvml = Nvml::init().map_err(|e| GpuError(e.to_string()))?;
        let count = nvml.device_count().map_err(|e| GpuError(e.to_string()))?;
        if count == 0 {
            return Err(GpuError("the driver reports no GPUs".into()));
        }
        let mut gpus = Vec::with_capacity(count as usize);
        for i in 0..count {
            let device = nvml
                .device_by_index(i)
                .map_err(|e| GpuError(format!("GPU {i}: {e}")))?;
            gpus.push((
                i,
                device.uuid().unwrap_or_default(),
                device.name().unwrap_or_default(),
            ));
        }
        Ok(Self { nvml, gpus })
    }
}

impl GpuSampler for NvmlSampler {
    fn sample(&mut self) -> Result<Vec<GpuSample>, GpuError> {
        let mut out = Vec::with_capacity(self.gpus.len());
        for (index, uuid, name) in &self.gpus {
            let device = self
                .nvml
                .device_by_index(*index)
                .map_err(|e| GpuError(format!("GPU {index}: {e}")))?;
            let memory = device.memory_info().ok();
            let readings = GpuReadings {
                gpu_utilization: device.utilization_rates().ok().map(|u| f64::from(u.gpu)),
                gpu_memory_used: memory.as_ref().map(|m| m.used as f64 / 1e9),
                total_gpu_memory: memory.as_ref().map(|m| m.total as f64 / 1e9),
                gpu_power_usage: device.power_usage().ok().map(|mw| f64::from(mw) / 1e3),
                energy_consumption: device
                    .total_energy_consumption()
                    .ok()
                    .map(|mj| mj as f64 / 1e9),
                sm_clock_frequency: device.clock_info(Clock::SM).ok().map(f64::from),
                memory_clock_frequency: device.clock_info(Clock::Memory).ok().map(f64::from),
                gpu_temperature: device
                    .temperature(TemperatureSensor::Gpu)
                    .ok()
                    .map(f64::from),
            };
            out.push(GpuSample {
                timestamp_ns: now_ns(),
                source: "nvml".into(),
                gpu_index: *index,
                gpu_uuid: uuid.clone(),
                gpu_model_name: name.clone(),
                telemetry_data: readings,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine has no NVIDIA driver: opening must fail with a reason, not panic. On a
    /// GPU host the same test checks that a sample reads every field NVML always has.
    #[test]
    fn open_fails_cleanly_or_samples_every_gpu() {
        match NvmlSampler::open() {
            Err(e) => assert!(!e.0.is_empty()),
            Ok(mut s) => {
                let samples = s.sample().unwrap();
                assert!(!samples.is_empty());
                assert!(samples[0].telemetry_data.total_gpu_memory.is_some());
            }
        }
    }
}
