//! The text of `gauntlet analyze-trace`: a mooncake trace's prefix statistics as a table.

use crate::dataset::synthesis::{AnalysisStats, MetricStats};

/// The human-readable report.
pub fn render_report(stats: &AnalysisStats) -> String {
    let mut s = String::new();
    let pct = |x: f64| format!("{:.2}%", x * 100.0);
    s += &format!("requests                 {}\n", stats.total_requests);
    s += &format!("unique prefixes          {}\n", stats.unique_prefixes);
    s += &format!("prefix groups            {}\n", stats.prefix_groups);
    s += &format!(
        "theoretical hit rate     {} ({} of {} blocks of {} tokens)\n",
        pct(stats.cache_hit_rate),
        stats.hit_blocks,
        stats.total_blocks,
        stats.block_size
    );
    s += &format!(
        "prefix reuse ratio       {}\n\n",
        pct(stats.prefix_reuse_ratio)
    );
    s += &format!(
        "{:<22}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n",
        "metric", "mean", "std", "min", "p25", "median", "p75", "max"
    );
    let rows: [(&str, &MetricStats); 5] = [
        ("input length", &stats.isl),
        ("output length", &stats.osl),
        ("context length", &stats.context_length),
        ("unique prompt length", &stats.unique_prompt_length),
        ("hit rate", &stats.hit_rate),
    ];
    for (name, m) in rows {
        let digits = if name == "hit rate" { 3 } else { 1 };
        s += &format!("{name:<22}");
        for v in [m.mean, m.std, m.min, m.p25, m.median, m.p75, m.max] {
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
            "requests                 3993",
            "context length",
            "hit rate",
        ] {
            assert!(text.contains(needle), "{text}");
        }
    }
}
