//! The text of `gauntlet analyze-trace`: a mooncake trace's prefix statistics as a table.

use crate::dataset::synthesis::{AnalysisStats, MetricStats};

/// The human-readable report, every figure under its AIPerf name (`AnalysisStats`'s field),
/// then gauntlet's block-weighted extra.
pub fn render_report(stats: &AnalysisStats) -> String {
    let mut s = String::new();
    let mut line = |name: &str, value: String| s += &format!("{name:<28}{value}\n");
    line("total_requests", stats.total_requests.to_string());
    line("unique_prefixes", stats.unique_prefixes.to_string());
    line("num_prefix_groups", stats.num_prefix_groups.to_string());
    line(
        "cache_hit_rate",
        format!(
            "{:.4} (mean per-request hit rate, infinite cache)",
            stats.cache_hit_rate
        ),
    );
    line(
        "prefix_reuse_ratio",
        format!("{:.4}", stats.prefix_reuse_ratio),
    );
    line(
        "min_isl / avg_isl / max_isl",
        format!(
            "{} / {:.1} / {}",
            stats.min_isl, stats.avg_isl, stats.max_isl
        ),
    );
    line(
        "min_osl / avg_osl / max_osl",
        format!(
            "{} / {:.1} / {}",
            stats.min_osl, stats.avg_osl, stats.max_osl
        ),
    );
    line(
        "block_weighted_hit_rate",
        format!(
            "{:.4} ({} of {} blocks of {} tokens seen before)",
            stats.block_weighted_hit_rate, stats.hit_blocks, stats.total_blocks, stats.block_size
        ),
    );
    s += &format!(
        "\n{:<28}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n",
        "", "mean", "std_dev", "min", "p25", "median", "p75", "max"
    );
    let rows: [(&str, Option<&MetricStats>); 5] = [
        ("isl_stats", stats.isl_stats.as_ref()),
        ("osl_stats", stats.osl_stats.as_ref()),
        ("context_length_stats", stats.context_length_stats.as_ref()),
        (
            "unique_prompt_length_stats",
            stats.unique_prompt_length_stats.as_ref(),
        ),
        ("hit_rate_stats", stats.hit_rate_stats.as_ref()),
    ];
    for (name, m) in rows {
        s += &format!("{name:<28}");
        let Some(m) = m else {
            s += "         - (no values)\n";
            continue;
        };
        let digits = if name == "hit_rate_stats" { 4 } else { 1 };
        for v in [m.mean, m.std_dev, m.min, m.p25, m.median, m.p75, m.max] {
            s += &format!("{v:>10.digits$}");
        }
        s += "\n";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::synthesis::analyze_file;

    const TRACE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/shared/traces/mooncake_synthetic_trace.jsonl"
    );

    #[test]
    fn report_lists_every_metric() {
        let stats = analyze_file(std::path::Path::new(TRACE), 512).unwrap();
        let text = render_report(&stats);
        for needle in [
            "total_requests              3993\n",
            "unique_prefixes             43924\n",
            "num_prefix_groups           408\n",
            "cache_hit_rate              0.4232 ",
            "prefix_reuse_ratio          0.7894\n",
            "context_length_stats",
            "hit_rate_stats",
        ] {
            assert!(text.contains(needle), "{text}");
        }
    }
}
