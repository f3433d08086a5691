//! `gauntlet analyze-trace` and `gauntlet synthesize`: mooncake trace tools, AIPerf's flag
//! names. Wire with `AnalyzeTrace(trace::AnalyzeTraceArgs)` and
//! `Synthesize(trace::SynthesizeArgs)` in `Command`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::dataset::synthesis::{
    analyze_file, read_trace, write_trace, SynthesisConfig, Synthesizer,
};
use crate::report::trace_analysis::render_report;

/// Flags of `gauntlet analyze-trace`.
#[derive(Debug, Args)]
pub struct AnalyzeTraceArgs {
    /// Mooncake JSONL trace to analyse.
    pub file: PathBuf,
    /// Tokens per hash id in the trace.
    #[arg(long, default_value_t = 512)]
    pub block_size: u32,
    /// Also write the report as JSON to this file. Without it nothing is written, as with
    /// AIPerf's `analyze-trace`.
    #[arg(long)]
    pub output_file: Option<PathBuf>,
}

/// Flags of `gauntlet synthesize`.
#[derive(Debug, Args)]
pub struct SynthesizeArgs {
    /// Mooncake JSONL trace to imitate.
    pub file: PathBuf,
    /// Where to write the synthesized trace (default: `<input stem>_synth.jsonl`).
    #[arg(long)]
    pub output_file: Option<PathBuf>,
    /// Divide timestamps by this (2 = twice the arrival rate).
    #[arg(long, default_value_t = 1.0)]
    pub speedup_ratio: f64,
    /// Multiply shared-prefix lengths by this.
    #[arg(long, default_value_t = 1.0)]
    pub prefix_len_multiplier: f64,
    /// Replicate the shared-prefix tree this many times (fewer requests share each prefix).
    #[arg(long, default_value_t = 1)]
    pub prefix_root_multiplier: u32,
    /// Multiply unique (non-shared) prompt lengths by this.
    #[arg(long, default_value_t = 1.0)]
    pub prompt_len_multiplier: f64,
    /// Cap every input length at this many tokens.
    #[arg(long)]
    pub max_isl: Option<u32>,
    /// Tokens per hash id.
    #[arg(long, default_value_t = 512)]
    pub block_size: u32,
    /// Root seed; same seed and input give the same trace.
    #[arg(long, default_value_t = 0)]
    pub random_seed: u64,
}

/// Analyses the trace, prints a report and, with `--output-file`, writes it as JSON.
pub fn run_analyze(args: AnalyzeTraceArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let stats = analyze_file(&args.file, args.block_size)?;
    let elapsed = start.elapsed();
    if let Some(path) = &args.output_file {
        let json = serde_json::to_string_pretty(&stats).context("serialising the report")?;
        crate::atomic_file::write_bytes(path, (json + "\n").as_bytes())
            .with_context(|| format!("writing --output-file {}", path.display()))?;
    }
    super::stdout::print(&render_report(&stats))?;
    let analysed = format!(
        "analysed {} in {:.2} s",
        args.file.display(),
        elapsed.as_secs_f64()
    );
    match &args.output_file {
        Some(path) => super::stdout::print(&format!(
            "{analysed}; report written to {}\n",
            path.display()
        ))?,
        None => {
            super::stdout::print(&format!("{analysed}\n"))?;
            // AIPerf writes no file without --output-file either; say so, so that nobody
            // looks for a report.json.
            eprintln!(
                "analyze-trace: the report went to stdout only, no file written; \
                 --output-file FILE also writes it as JSON"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Synthesizes a trace like the input and writes it as mooncake JSONL.
pub fn run_synthesize(args: SynthesizeArgs) -> anyhow::Result<ExitCode> {
    let synthesizer = Synthesizer::new(SynthesisConfig {
        speedup_ratio: args.speedup_ratio,
        prefix_len_multiplier: args.prefix_len_multiplier,
        prefix_root_multiplier: args.prefix_root_multiplier,
        prompt_len_multiplier: args.prompt_len_multiplier,
        max_isl: args.max_isl,
        block_size: args.block_size,
        seed: args.random_seed,
    })?;
    let input = read_trace(&args.file)?;
    let output = synthesizer.synthesize(&input);
    let path = args.output_file.unwrap_or_else(|| {
        let stem = args
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trace".into());
        args.file.with_file_name(format!("{stem}_synth.jsonl"))
    });
    write_trace(&path, &output)?;
    super::stdout::print(&format!(
        "wrote {} requests to {}\n",
        output.len(),
        path.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    enum Cli {
        AnalyzeTrace(AnalyzeTraceArgs),
        Synthesize(SynthesizeArgs),
    }

    const TRACE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/shared/traces/mooncake_synthetic_trace.jsonl"
    );

    #[test]
    fn analyze_then_synthesize_end_to_end() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.json");
        let synth = dir.path().join("s.jsonl");
        let Cli::AnalyzeTrace(args) = Cli::parse_from([
            "x",
            "analyze-trace",
            TRACE,
            "--output-file",
            report.to_str().unwrap(),
        ]) else {
            panic!("parsed the wrong subcommand")
        };
        assert_eq!(args.block_size, 512);
        run_analyze(args).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(json["total_requests"], 3993);
        // AIPerf 0.13's figures for this trace, under AIPerf's keys.
        assert_eq!(json["num_prefix_groups"], 408);
        assert_eq!(json["unique_prefixes"], 43_924);
        let hit_rate = json["cache_hit_rate"].as_f64().unwrap();
        assert!((hit_rate - 0.4232).abs() < 5e-5, "{hit_rate}");
        assert!(json["hit_rate_stats"]["std_dev"].is_f64());

        let Cli::Synthesize(args) = Cli::parse_from([
            "x",
            "synthesize",
            TRACE,
            "--output-file",
            synth.to_str().unwrap(),
            "--speedup-ratio",
            "4",
            "--max-isl",
            "4096",
            "--random-seed",
            "3",
        ]) else {
            panic!("parsed the wrong subcommand")
        };
        run_synthesize(args).unwrap();
        let out = read_trace(&synth).unwrap();
        assert_eq!(out.len(), 3993);
        assert!(out.iter().all(|r| r.input_length <= 4096));
    }
}
