//! Prefix analysis, AIPerf's `PrefixAnalyzer`: how much of a trace's input a prefix cache
//! could reuse, and the length statistics a synthesized trace should match. Streams requests
//! one at a time; per block it does one hash lookup (two for ids met under a second prefix or
//! position) and per request it keeps four numbers (20 bytes).

use std::path::Path;

use serde::Serialize;

use super::prefix_counts::PrefixCounts;
use super::stats::MetricStats;
use super::trace::{visit_trace, TraceRequest};
use super::SynthesisError;

/// What a trace looks like to a prefix cache: AIPerf's `AnalysisStats`, same names, same
/// definitions and order, then gauntlet's extras. Definitions are in docs/traces.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisStats {
    /// Requests in the trace.
    pub total_requests: u64,
    /// Distinct prefixes `hash_ids[..=i]` over all requests and positions.
    pub unique_prefixes: u64,
    /// Distinct first blocks that start two or more requests.
    pub num_prefix_groups: u64,
    /// Mean over requests with blocks of each one's hit rate with an infinite cache: the
    /// index of its first block no earlier request had, over its block count (a prefix cache
    /// reuses only a contiguous prefix).
    pub cache_hit_rate: f64,
    /// Smallest input length (0 without requests).
    pub min_isl: u32,
    /// Largest input length.
    pub max_isl: u32,
    /// Mean input length.
    pub avg_isl: f64,
    /// Smallest output length.
    pub min_osl: u32,
    /// Largest output length.
    pub max_osl: u32,
    /// Mean output length.
    pub avg_osl: f64,
    /// Share of prefix occurrences (one per block of every request) whose prefix occurs more
    /// than once in the trace.
    pub prefix_reuse_ratio: f64,
    /// Input lengths.
    pub isl_stats: Option<MetricStats>,
    /// Output lengths.
    pub osl_stats: Option<MetricStats>,
    /// Per request: its input length when every `(position, id)` pair of it recurs somewhere
    /// in the trace, else `block_size` × its recurring pairs; 0 without blocks.
    pub context_length_stats: Option<MetricStats>,
    /// Per request: input length − context length (negative when a short request has more
    /// recurring blocks than its length holds, as in AIPerf).
    pub unique_prompt_length_stats: Option<MetricStats>,
    /// The per-request hit rates that `cache_hit_rate` averages (`None` without blocks).
    pub hit_rate_stats: Option<MetricStats>,
    /// Tokens per hash id the context lengths were computed with (gauntlet's extra).
    pub block_size: u32,
    /// Input blocks in all requests (gauntlet's extra).
    pub total_blocks: u64,
    /// Input blocks whose id appeared earlier in the trace, at any position (gauntlet's extra).
    pub hit_blocks: u64,
    /// `hit_blocks / total_blocks`: an infinite cache's hit rate weighted by blocks instead of
    /// by requests, the share of all input blocks it serves (gauntlet's extra).
    pub block_weighted_hit_rate: f64,
}

/// Streaming analyzer: feed requests in trace order, then [`finish`](Self::finish).
#[derive(Debug, Clone)]
pub struct PrefixAnalyzer {
    block_size: u32,
    counts: PrefixCounts,
    isl: Vec<u32>,
    osl: Vec<u32>,
    blocks: Vec<u32>,
    hit_rates: Vec<f64>,
    total_blocks: u64,
    hit_blocks: u64,
}

impl PrefixAnalyzer {
    /// An analyzer for hash ids of `block_size` tokens (mooncake: 512); 0 is treated as 1.
    pub fn new(block_size: u32) -> Self {
        Self {
            block_size: block_size.max(1),
            counts: PrefixCounts::default(),
            isl: Vec::new(),
            osl: Vec::new(),
            blocks: Vec::new(),
            hit_rates: Vec::new(),
            total_blocks: 0,
            hit_blocks: 0,
        }
    }

    /// Accounts one request, as the next one in arrival order.
    pub fn observe(&mut self, request: &TraceRequest) {
        let index = u32::try_from(self.isl.len()).unwrap_or(u32::MAX);
        let hits = self.counts.observe(index, &request.hash_ids);
        let blocks = request.hash_ids.len();
        if blocks > 0 {
            self.hit_rates.push(hits.leading as f64 / blocks as f64);
        }
        self.total_blocks += blocks as u64;
        self.hit_blocks += hits.anywhere;
        self.isl.push(request.input_length);
        self.osl.push(request.output_length);
        self.blocks.push(u32::try_from(blocks).unwrap_or(u32::MAX));
    }

    /// The statistics of everything observed.
    pub fn finish(self) -> AnalysisStats {
        let share = |part: f64, whole: f64| if whole == 0.0 { 0.0 } else { part / whole };
        let unshared = self.counts.unshared_pairs(self.isl.len());
        let block_size = i64::from(self.block_size);
        let (mut context, mut unique): (Vec<f64>, Vec<f64>) = self
            .isl
            .iter()
            .zip(&self.blocks)
            .zip(&unshared)
            .map(|((&isl, &blocks), &unshared)| {
                let isl = i64::from(isl);
                let context = match (blocks, unshared) {
                    (0, _) => 0,
                    (_, 0) => isl,
                    _ => i64::from(blocks.saturating_sub(unshared)) * block_size,
                };
                (context as f64, (isl - context) as f64)
            })
            .unzip();
        let stats_of = |values: &[u32]| {
            let mut v: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
            MetricStats::from_values(&mut v)
        };
        let mean_of = |values: &[u32]| {
            let sum: u64 = values.iter().map(|&v| u64::from(v)).sum();
            share(sum as f64, values.len() as f64)
        };
        let mut hit_rates = self.hit_rates;
        AnalysisStats {
            total_requests: self.isl.len() as u64,
            unique_prefixes: self.counts.unique_prefixes(),
            num_prefix_groups: self.counts.shared_first_blocks(),
            cache_hit_rate: share(hit_rates.iter().sum(), hit_rates.len() as f64),
            min_isl: self.isl.iter().copied().min().unwrap_or(0),
            max_isl: self.isl.iter().copied().max().unwrap_or(0),
            avg_isl: mean_of(&self.isl),
            min_osl: self.osl.iter().copied().min().unwrap_or(0),
            max_osl: self.osl.iter().copied().max().unwrap_or(0),
            avg_osl: mean_of(&self.osl),
            prefix_reuse_ratio: self.counts.prefix_reuse_ratio(),
            isl_stats: stats_of(&self.isl),
            osl_stats: stats_of(&self.osl),
            context_length_stats: MetricStats::from_values(&mut context),
            unique_prompt_length_stats: MetricStats::from_values(&mut unique),
            hit_rate_stats: MetricStats::from_values(&mut hit_rates),
            block_size: self.block_size,
            total_blocks: self.total_blocks,
            hit_blocks: self.hit_blocks,
            block_weighted_hit_rate: share(self.hit_blocks as f64, self.total_blocks as f64),
        }
    }
}

/// Analyses requests already in memory.
pub fn analyze(requests: &[TraceRequest], block_size: u32) -> AnalysisStats {
    let mut analyzer = PrefixAnalyzer::new(block_size);
    for request in requests {
        analyzer.observe(request);
    }
    analyzer.finish()
}

/// Analyses a trace file without holding its requests in memory.
pub fn analyze_file(path: &Path, block_size: u32) -> Result<AnalysisStats, SynthesisError> {
    let mut analyzer = PrefixAnalyzer::new(block_size);
    visit_trace(path, |request| analyzer.observe(&request))?;
    Ok(analyzer.finish())
}

#[cfg(test)]
#[path = "analyzer_tests.rs"]
mod tests;
