//! DCGM-exporter-style GPU series for the mock's `/metrics` (`MockConfig::gpu_metrics`), with
//! values derived from the mock's own activity, so GPU telemetry from a DCGM URL can be tested
//! without a GPU.
//!
//! One pretend GPU, `gpu="0"`:
//! - utilisation = min(100, 10 × running requests) %;
//! - framebuffer used = 1,024 MiB + 16 MiB per running request, of 81,559 MiB;
//! - power = 100 W + 5 W per running request (at most 100 of them);
//! - total energy = 1,000 mJ (1 J) per generated token, so energy per output token is 1 J;
//! - SM clock 1,980 MHz, memory clock 2,619 MHz, temperature 30 °C + 1 per running request
//!   (at most 60).

use std::fmt::Write as _;

use super::snapshot::MockStatsSnapshot;

/// Framebuffer of the pretend GPU, MiB (an H100 80GB's).
const FB_TOTAL_MIB: u64 = 81_559;

/// Energy the pretend GPU spends per generated token, mJ.
pub(crate) const MILLIJOULES_PER_TOKEN: u64 = 1_000;

const LABELS: &str = "gpu=\"0\",UUID=\"GPU-00000000-mock-0000-0000-000000000000\",\
device=\"nvidia0\",modelName=\"gauntlet mock GPU\",Hostname=\"gauntlet-mock\"";

/// Appends the DCGM series for the activity in `s`.
pub(crate) fn render_dcgm(out: &mut String, s: &MockStatsSnapshot) {
    let running = s.running.min(100);
    let fb_used = 1_024 + 16 * running;
    let series: [(&str, &str, &str, u64); 9] = [
        (
            "DCGM_FI_DEV_GPU_UTIL",
            "gauge",
            "GPU utilization (in %).",
            (10 * running).min(100),
        ),
        (
            "DCGM_FI_DEV_FB_USED",
            "gauge",
            "Framebuffer memory used (in MiB).",
            fb_used,
        ),
        (
            "DCGM_FI_DEV_FB_FREE",
            "gauge",
            "Framebuffer memory free (in MiB).",
            FB_TOTAL_MIB - fb_used,
        ),
        (
            "DCGM_FI_DEV_FB_TOTAL",
            "gauge",
            "Framebuffer memory total (in MiB).",
            FB_TOTAL_MIB,
        ),
        (
            "DCGM_FI_DEV_POWER_USAGE",
            "gauge",
            "Power draw (in W).",
            100 + 5 * running,
        ),
        (
            "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
            "counter",
            "Total energy consumption since boot (in mJ).",
            s.generation_tokens * MILLIJOULES_PER_TOKEN,
        ),
        (
            "DCGM_FI_DEV_SM_CLOCK",
            "gauge",
            "SM clock frequency (in MHz).",
            1_980,
        ),
        (
            "DCGM_FI_DEV_MEM_CLOCK",
            "gauge",
            "Memory clock frequency (in MHz).",
            2_619,
        ),
        (
            "DCGM_FI_DEV_GPU_TEMP",
            "gauge",
            "GPU temperature (in C).",
            30 + running.min(60),
        ),
    ];
    for (name, kind, help, value) in series {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{{LABELS}}} {value}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_follow_activity_and_map_onto_gpu_readings() {
        let snapshot = MockStatsSnapshot {
            running: 3,
            generation_tokens: 250,
            ..MockStatsSnapshot::default()
        };
        let mut text = String::new();
        render_dcgm(&mut text, &snapshot);
        assert!(text.contains("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\","), "{text}");
        assert!(text.contains("} 30\n"));
        assert!(text.contains("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{"));
        assert!(text.contains("} 250000\n"));
        let expo = crate::telemetry::expo::parse(&text).unwrap();
        assert_eq!(expo.samples.len(), 9);
    }
}
