//! GPU samples over the profiling window → per-GPU statistics and energy per output token.

use std::collections::BTreeMap;

use super::{GpuReadings, GpuSample};
use crate::telemetry::window::{bracket, counter_delta, distribution, Distribution, Window};

/// One GPU's statistics over the window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GpuSummary {
    /// `nvml` or the DCGM URL.
    pub source: String,
    /// Index on its host.
    pub gpu_index: u32,
    /// UUID.
    pub gpu_uuid: String,
    /// Model name.
    pub gpu_name: String,
    /// Metric name (AIPerf's) → statistics and unit.
    pub metrics: BTreeMap<&'static str, (Distribution, &'static str)>,
    /// Joules this GPU used in the window (energy counter delta, or power integrated over
    /// time when the counter is missing).
    pub energy_j: Option<f64>,
}

/// Energy over the window, all GPUs together.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EnergySummary {
    /// Joules used by every GPU in the window.
    pub total_energy_j: f64,
    /// Output tokens the run counted in the window.
    pub output_tokens: f64,
    /// Joules per output token.
    pub energy_per_output_token_j: Option<f64>,
    /// Output tokens per joule.
    pub output_tokens_per_joule: Option<f64>,
}

/// Everything the GPU exports say.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GpuTelemetrySummary {
    /// The window the statistics cover.
    pub window: Window,
    /// One entry per GPU.
    pub gpus: Vec<GpuSummary>,
    /// Energy per token, when any GPU reported energy or power.
    pub energy: Option<EnergySummary>,
}

type Reading = (&'static str, &'static str, fn(&GpuReadings) -> Option<f64>);

/// The readings summarized, with AIPerf's names and units.
const READINGS: [Reading; 8] = [
    ("gpu_power_usage", "W", |r| r.gpu_power_usage),
    ("energy_consumption", "MJ", |r| r.energy_consumption),
    ("gpu_utilization", "%", |r| r.gpu_utilization),
    ("gpu_memory_used", "GB", |r| r.gpu_memory_used),
    ("total_gpu_memory", "GB", |r| r.total_gpu_memory),
    ("sm_clock_frequency", "MHz", |r| r.sm_clock_frequency),
    ("memory_clock_frequency", "MHz", |r| {
        r.memory_clock_frequency
    }),
    ("gpu_temperature", "°C", |r| r.gpu_temperature),
];

/// Summarizes `samples` over `window`; `output_tokens` is the run's total over the same
/// phases (from the summary), for energy per token.
pub fn summarize_gpus(
    samples: &[GpuSample],
    window: Window,
    output_tokens: f64,
) -> GpuTelemetrySummary {
    let mut by_gpu: BTreeMap<(String, u32), Vec<&GpuSample>> = BTreeMap::new();
    for s in samples {
        by_gpu
            .entry((s.source.clone(), s.gpu_index))
            .or_default()
            .push(s);
    }
    let mut gpus = Vec::new();
    for ((source, index), mut list) in by_gpu {
        list.sort_by_key(|s| s.timestamp_ns);
        let mut inside: Vec<&GpuSample> = list
            .iter()
            .copied()
            .filter(|s| window.contains(s.timestamp_ns))
            .collect();
        if inside.is_empty() {
            // A window shorter than the interval holds no sample of its own: the boundary
            // samples taken at its edges describe it.
            let ts: Vec<u64> = list.iter().map(|s| s.timestamp_ns).collect();
            if let Some((a, b)) = bracket(&ts, window) {
                inside = vec![list[a], list[b]];
                inside.dedup_by_key(|s| s.timestamp_ns);
            }
        }
        let mut metrics = BTreeMap::new();
        for (name, unit, get) in READINGS {
            if let Some(d) = distribution(inside.iter().filter_map(|s| get(&s.telemetry_data))) {
                metrics.insert(name, (d, unit));
            }
        }
        let first = list[0];
        gpus.push(GpuSummary {
            source,
            gpu_index: index,
            gpu_uuid: first.gpu_uuid.clone(),
            gpu_name: first.gpu_model_name.clone(),
            metrics,
            energy_j: energy_j(&list, window),
        });
    }
    let energies: Vec<f64> = gpus.iter().filter_map(|g| g.energy_j).collect();
    let energy = (!energies.is_empty()).then(|| {
        let total: f64 = energies.iter().sum();
        EnergySummary {
            total_energy_j: total,
            output_tokens,
            energy_per_output_token_j: (output_tokens > 0.0).then(|| total / output_tokens),
            output_tokens_per_joule: (total > 0.0).then(|| output_tokens / total),
        }
    });
    GpuTelemetrySummary {
        window,
        gpus,
        energy,
    }
}

/// The energy counter's rise between the samples bracketing the window; without a counter,
/// power integrated (trapezoids) over the samples inside it.
fn energy_j(list: &[&GpuSample], window: Window) -> Option<f64> {
    let with_counter: Vec<&GpuSample> = list
        .iter()
        .copied()
        .filter(|s| s.telemetry_data.energy_consumption.is_some())
        .collect();
    let ts: Vec<u64> = with_counter.iter().map(|s| s.timestamp_ns).collect();
    if let Some((a, b)) = bracket(&ts, window).filter(|(a, b)| b > a) {
        let mj = counter_delta(
            with_counter[a..=b]
                .iter()
                .filter_map(|s| s.telemetry_data.energy_consumption),
        );
        return Some(mj * 1e6);
    }
    let power: Vec<(u64, f64)> = list
        .iter()
        .filter(|s| window.contains(s.timestamp_ns))
        .filter_map(|s| {
            s.telemetry_data
                .gpu_power_usage
                .map(|p| (s.timestamp_ns, p))
        })
        .collect();
    (power.len() >= 2).then(|| {
        power
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) as f64 / 1e9 * (w[0].1 + w[1].1) / 2.0)
            .sum()
    })
}

#[cfg(test)]
mod tests {
    use super::super::{FakeGpuSampler, GpuSampler};
    use super::*;

    fn sample(ts_s: u64, gpu: u32, power_w: f64, energy_j: Option<f64>) -> GpuSample {
        GpuSample {
            timestamp_ns: ts_s * 1_000_000_000,
            source: "fake".into(),
            gpu_index: gpu,
            gpu_uuid: format!("GPU-{gpu}"),
            gpu_model_name: "Fake".into(),
            telemetry_data: GpuReadings {
                gpu_power_usage: Some(power_w),
                energy_consumption: energy_j.map(|j| j / 1e6),
                gpu_utilization: Some(50.0),
                ..Default::default()
            },
        }
    }

    fn window(a: u64, b: u64) -> Window {
        Window {
            start_ns: a * 1_000_000_000,
            end_ns: b * 1_000_000_000,
        }
    }

    /// Drives the summary from the fake sampler: 2 GPUs, energy counters rising 300 J/s and
    /// 100 J/s; the warmup second before the window must not count.
    #[test]
    fn energy_per_token_from_counter_deltas_over_the_window() {
        let script: Vec<Vec<GpuSample>> = (0..=5)
            .map(|t| {
                vec![
                    sample(t, 0, 300.0, Some(1000.0 + 300.0 * t as f64)),
                    sample(t, 1, 100.0, Some(50.0 + 100.0 * t as f64)),
                ]
            })
            .collect();
        let mut fake = FakeGpuSampler::new(script, true);
        let samples: Vec<GpuSample> = (0..6).flat_map(|_| fake.sample().unwrap()).collect();
        let s = summarize_gpus(&samples, window(1, 4), 600.0);
        assert_eq!(s.gpus.len(), 2);
        assert!((s.gpus[0].energy_j.unwrap() - 900.0).abs() < 1e-6);
        assert!((s.gpus[1].energy_j.unwrap() - 300.0).abs() < 1e-6);
        let e = s.energy.unwrap();
        assert!((e.total_energy_j - 1200.0).abs() < 1e-6);
        assert!((e.energy_per_output_token_j.unwrap() - 2.0).abs() < 1e-9);
        assert!((e.output_tokens_per_joule.unwrap() - 0.5).abs() < 1e-12);
        let (power, unit) = s.gpus[0].metrics["gpu_power_usage"];
        assert_eq!((power.avg, power.count, unit), (300.0, 4, "W"));
    }

    #[test]
    fn power_is_integrated_when_there_is_no_energy_counter() {
        let samples: Vec<GpuSample> = (0..=4).map(|t| sample(t, 0, 200.0, None)).collect();
        let s = summarize_gpus(&samples, window(1, 3), 0.0);
        assert_eq!(s.gpus[0].energy_j, Some(400.0));
        let e = s.energy.unwrap();
        assert_eq!(e.energy_per_output_token_j, None);
        assert_eq!(e.output_tokens_per_joule, Some(0.0));
    }

    #[test]
    fn no_samples_no_energy() {
        let s = summarize_gpus(&[], window(0, 1), 10.0);
        assert!(s.gpus.is_empty());
        assert!(s.energy.is_none());
    }
}
