//! DCGM exporter scrapes → GPU samples: the exporter's fields mapped onto the NVML fields,
//! one sample per GPU (`gpu` label) per scrape.

use std::collections::BTreeMap;

use super::{GpuReadings, GpuSample};
use crate::telemetry::store::{EndpointLog, Part};

/// Picks the reading a field fills.
type Slot = fn(&mut GpuReadings) -> &mut Option<f64>;

/// Which reading a DCGM field fills, and the factor to AIPerf's unit.
fn field(family: &str) -> Option<(Slot, f64)> {
    Some(match family {
        "DCGM_FI_DEV_GPU_UTIL" => (|r| &mut r.gpu_utilization, 1.0),
        // MiB → GB
        "DCGM_FI_DEV_FB_USED" => (|r| &mut r.gpu_memory_used, 1048576.0 / 1e9),
        "DCGM_FI_DEV_FB_TOTAL" => (|r| &mut r.total_gpu_memory, 1048576.0 / 1e9),
        "DCGM_FI_DEV_POWER_USAGE" => (|r| &mut r.gpu_power_usage, 1.0),
        // mJ → MJ
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" => (|r| &mut r.energy_consumption, 1e-9),
        "DCGM_FI_DEV_SM_CLOCK" => (|r| &mut r.sm_clock_frequency, 1.0),
        "DCGM_FI_DEV_MEM_CLOCK" => (|r| &mut r.memory_clock_frequency, 1.0),
        "DCGM_FI_DEV_GPU_TEMP" => (|r| &mut r.gpu_temperature, 1.0),
        _ => return None,
    })
}

/// Turns a DCGM exporter's scrapes into GPU samples. GPUs are told apart by the `gpu` label
/// (with `UUID` and `modelName` as the exporter writes them); `FB_USED + FB_FREE` stands in
/// for the total when `FB_TOTAL` is not exported.
pub fn samples_from_dcgm(log: &EndpointLog) -> Vec<GpuSample> {
    let label = |labels: &[(String, String)], key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for scrape in &log.scrapes {
        let mut gpus: BTreeMap<u32, (GpuSample, Option<f64>)> = BTreeMap::new();
        for (id, key) in log.series.iter().enumerate() {
            if key.part != Part::Value {
                continue;
            }
            let value = log.value(scrape, id);
            if !value.is_finite() {
                continue;
            }
            let free = key.family == "DCGM_FI_DEV_FB_FREE";
            let target = field(&key.family);
            if target.is_none() && !free {
                continue;
            }
            let index: u32 = label(&key.labels, "gpu").parse().unwrap_or(0);
            let (sample, fb_free) = gpus.entry(index).or_insert_with(|| {
                (
                    GpuSample {
                        timestamp_ns: scrape.ts_ns,
                        source: log.url.clone(),
                        gpu_index: index,
                        gpu_uuid: label(&key.labels, "UUID"),
                        gpu_model_name: label(&key.labels, "modelName"),
                        telemetry_data: GpuReadings::default(),
                    },
                    None,
                )
            });
            match target {
                Some((slot, factor)) => *slot(&mut sample.telemetry_data) = Some(value * factor),
                None => *fb_free = Some(value * 1048576.0 / 1e9),
            }
        }
        for (_, (mut sample, fb_free)) in gpus {
            let r = &mut sample.telemetry_data;
            if r.total_gpu_memory.is_none() {
                r.total_gpu_memory = r.gpu_memory_used.zip(fb_free).map(|(u, f)| u + f);
            }
            out.push(sample);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::expo::parse;

    const DCGM: &str = r#"# HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency (in MHz).
# TYPE DCGM_FI_DEV_SM_CLOCK gauge
DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="h"} 1980
DCGM_FI_DEV_SM_CLOCK{gpu="1",UUID="GPU-b",device="nvidia1",modelName="NVIDIA H100 80GB HBM3",Hostname="h"} 1755
# TYPE DCGM_FI_DEV_MEM_CLOCK gauge
DCGM_FI_DEV_MEM_CLOCK{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 2619
# TYPE DCGM_FI_DEV_GPU_TEMP gauge
DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 39
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 348.5
# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 229901671
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 66
# TYPE DCGM_FI_DEV_FB_FREE gauge
DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 1000
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"} 3000
"#;

    #[test]
    fn maps_every_field_per_gpu_in_aiperf_units() {
        let mut log = EndpointLog::new("http://dcgm:9400/metrics", 100);
        log.ingest(42, &parse(DCGM).unwrap(), false);
        let s = samples_from_dcgm(&log);
        assert_eq!(s.len(), 2);
        let g0 = &s[0];
        assert_eq!((g0.gpu_index, g0.gpu_uuid.as_str()), (0, "GPU-a"));
        assert_eq!(g0.gpu_model_name, "NVIDIA H100 80GB HBM3");
        assert_eq!(g0.timestamp_ns, 42);
        let r = g0.telemetry_data;
        assert_eq!(r.sm_clock_frequency, Some(1980.0));
        assert_eq!(r.memory_clock_frequency, Some(2619.0));
        assert_eq!(r.gpu_temperature, Some(39.0));
        assert_eq!(r.gpu_power_usage, Some(348.5));
        assert_eq!(r.gpu_utilization, Some(66.0));
        assert!((r.energy_consumption.unwrap() - 0.229901671).abs() < 1e-12);
        assert!((r.gpu_memory_used.unwrap() - 3.145728).abs() < 1e-9);
        assert!((r.total_gpu_memory.unwrap() - 4.194304).abs() < 1e-9);
        assert_eq!(s[1].telemetry_data.sm_clock_frequency, Some(1755.0));
        assert_eq!(s[1].telemetry_data.gpu_power_usage, None);
    }
}
