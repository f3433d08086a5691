//! Prefix analysis: how much of a trace's input a prefix cache could reuse, and the length
//! statistics a synthesized trace should match. Streams requests one at a time; per request
//! it does O(len(hash_ids)) hash-set work and keeps five numbers, nothing else.

use std::path::Path;

use serde::Serialize;

use super::fast_hash::FastSet;
use super::trace::{visit_trace, TraceRequest};
use super::SynthesisError;

/// Mean, spread and quartiles of one per-request quantity (percentiles interpolate linearly
/// between order statistics, as numpy's default does, so figures match AIPerf's pandas).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MetricStats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// 25th percentile.
    pub p25: f64,
    /// 50th percentile.
    pub median: f64,
    /// 75th percentile.
    pub p75: f64,
    /// Largest value.
    pub max: f64,
}

impl MetricStats {
    /// Statistics of `values` (all zero for an empty slice). Sorts the slice in place.
    pub fn from_values(values: &mut [f64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_by(f64::total_cmp);
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        Self {
            mean,
            std: var.sqrt(),
            min: values[0],
            p25: percentile(values, 0.25),
            median: percentile(values, 0.5),
            p75: percentile(values, 0.75),
            max: values[values.len() - 1],
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = q * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

/// What a trace looks like to a prefix cache. Definitions are in docs/traces.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisStats {
    /// Block size the context lengths were computed with (tokens per hash id).
    pub block_size: u32,
    /// Requests in the trace.
    pub total_requests: u64,
    /// Distinct hash ids: each names one distinct prefix.
    pub unique_prefixes: u64,
    /// Distinct first-block ids: requests grouped by the root they start from.
    pub prefix_groups: u64,
    /// Input blocks in all requests.
    pub total_blocks: u64,
    /// Input blocks whose id appeared earlier in the trace.
    pub hit_blocks: u64,
    /// `hit_blocks / total_blocks`: the hit rate of an infinite prefix cache.
    pub cache_hit_rate: f64,
    /// Share of requests with at least one block seen earlier.
    pub prefix_reuse_ratio: f64,
    /// Smallest input length.
    pub isl_min: u32,
    /// Mean input length.
    pub isl_avg: f64,
    /// Largest input length.
    pub isl_max: u32,
    /// Smallest output length.
    pub osl_min: u32,
    /// Mean output length.
    pub osl_avg: f64,
    /// Largest output length.
    pub osl_max: u32,
    /// Input lengths.
    pub isl: MetricStats,
    /// Output lengths.
    pub osl: MetricStats,
    /// Cached-prefix tokens per request: the leading run of already-seen blocks.
    pub context_length: MetricStats,
    /// Tokens per request after its cached prefix.
    pub unique_prompt_length: MetricStats,
    /// Per-request share of blocks seen earlier.
    pub hit_rate: MetricStats,
}

/// Streaming analyzer: feed requests in trace order, then [`finish`](Self::finish).
#[derive(Debug, Clone)]
pub struct PrefixAnalyzer {
    block_size: u32,
    seen: FastSet<u64>,
    roots: FastSet<u64>,
    isl: Vec<u32>,
    osl: Vec<u32>,
    context: Vec<u32>,
    hit_rates: Vec<f32>,
    total_blocks: u64,
    hit_blocks: u64,
    requests_with_hit: u64,
}

impl PrefixAnalyzer {
    /// An analyzer for hash ids of `block_size` tokens (mooncake: 512); 0 is treated as 1.
    pub fn new(block_size: u32) -> Self {
        Self {
            block_size: block_size.max(1),
            seen: FastSet::default(),
            roots: FastSet::default(),
            isl: Vec::new(),
            osl: Vec::new(),
            context: Vec::new(),
            hit_rates: Vec::new(),
            total_blocks: 0,
            hit_blocks: 0,
            requests_with_hit: 0,
        }
    }

    /// Accounts one request, as the next one in arrival order.
    pub fn observe(&mut self, request: &TraceRequest) {
        let mut hits = 0u64;
        let mut leading = 0u64;
        let mut in_prefix = true;
        for &id in &request.hash_ids {
            let hit = !self.seen.insert(id);
            if hit {
                hits += 1;
            }
            in_prefix &= hit;
            if in_prefix {
                leading += 1;
            }
        }
        if let Some(&first) = request.hash_ids.first() {
            self.roots.insert(first);
        }
        let blocks = request.hash_ids.len() as u64;
        self.total_blocks += blocks;
        self.hit_blocks += hits;
        self.requests_with_hit += u64::from(hits > 0);
        let context = (leading * u64::from(self.block_size)).min(u64::from(request.input_length));
        self.isl.push(request.input_length);
        self.osl.push(request.output_length);
        // context <= input_length, a u32.
        self.context.push(context as u32);
        self.hit_rates.push(if blocks == 0 {
            0.0
        } else {
            (hits as f64 / blocks as f64) as f32
        });
    }

    /// The statistics of everything observed.
    pub fn finish(self) -> AnalysisStats {
        let n = self.isl.len() as u64;
        let share = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let stats_of = |values: &mut dyn Iterator<Item = f64>| {
            let mut v: Vec<f64> = values.collect();
            MetricStats::from_values(&mut v)
        };
        let isl = stats_of(&mut self.isl.iter().map(|&v| f64::from(v)));
        let osl = stats_of(&mut self.osl.iter().map(|&v| f64::from(v)));
        let context_length = stats_of(&mut self.context.iter().map(|&v| f64::from(v)));
        let unique_prompt_length = stats_of(
            &mut self
                .isl
                .iter()
                .zip(&self.context)
                .map(|(&i, &c)| f64::from(i - c)),
        );
        let hit_rate = stats_of(&mut self.hit_rates.iter().map(|&v| f64::from(v)));
        AnalysisStats {
            block_size: self.block_size,
            total_requests: n,
            unique_prefixes: self.seen.len() as u64,
            prefix_groups: self.roots.len() as u64,
            total_blocks: self.total_blocks,
            hit_blocks: self.hit_blocks,
            cache_hit_rate: share(self.hit_blocks, self.total_blocks),
            prefix_reuse_ratio: share(self.requests_with_hit, n),
            isl_min: self.isl.iter().copied().min().unwrap_or(0),
            isl_avg: isl.mean,
            isl_max: self.isl.iter().copied().max().unwrap_or(0),
            osl_min: self.osl.iter().copied().min().unwrap_or(0),
            osl_avg: osl.mean,
            osl_max: self.osl.iter().copied().max().unwrap_or(0),
            isl,
            osl,
            context_length,
            unique_prompt_length,
            hit_rate,
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
mod tests {
    use super::*;

    fn request(isl: u32, osl: u32, ids: &[u64]) -> TraceRequest {
        TraceRequest {
            timestamp_ms: None,
            input_length: isl,
            output_length: osl,
            hash_ids: ids.to_vec(),
            session_id: None,
        }
    }

    #[test]
    fn hand_computed_trace() {
        let stats = analyze(
            &[
                request(1000, 10, &[0, 1]),
                request(1500, 20, &[0, 1, 2]),
                request(600, 30, &[3, 1]),
            ],
            512,
        );
        assert_eq!(stats.total_requests, 3);
        assert_eq!(stats.total_blocks, 7);
        // Request 2 hits 0 and 1; request 3 hits 1 (not a leading run).
        assert_eq!(stats.hit_blocks, 3);
        assert!((stats.cache_hit_rate - 3.0 / 7.0).abs() < 1e-12);
        assert_eq!(stats.unique_prefixes, 4);
        assert_eq!(stats.prefix_groups, 2);
        assert!((stats.prefix_reuse_ratio - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!((stats.isl_min, stats.isl_max), (600, 1500));
        // Context: 0, 1024, 0; unique: 1000, 476, 600.
        assert_eq!(stats.context_length.max, 1024.0);
        assert_eq!(stats.unique_prompt_length.min, 476.0);
        assert_eq!(stats.osl.median, 20.0);
        assert!((stats.hit_rate.max - 2.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn metric_stats_interpolate() {
        let s = MetricStats::from_values(&mut [4.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.min, s.max, s.mean), (1.0, 4.0, 2.5));
        assert_eq!((s.p25, s.median, s.p75), (1.75, 2.5, 3.25));
        assert!((s.std - 1.25f64.sqrt()).abs() < 1e-12);
    }
}
