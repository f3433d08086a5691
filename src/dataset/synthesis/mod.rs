//! Trace analysis and synthesis: read mooncake traces, measure how much of their input a prefix
//! cache could reuse, and build new traces with the same prefix-sharing shape and length
//! statistics (optionally stretched: faster arrivals, longer prefixes, more roots).
//!
//! Everything here is keyed by `u64` block ids in hash maps, so a million-request trace is
//! analysed in seconds with memory that grows with the distinct blocks, not with text.

mod analyzer;
mod fast_hash;
mod hasher;
mod prefix_counts;
mod radix;
mod sampler;
mod stats;
mod synthesizer;
mod trace;

#[cfg(test)]
mod real_traces_tests;

pub use analyzer::{analyze, analyze_file, AnalysisStats, PrefixAnalyzer};
pub use hasher::{HasherStats, RollingHasher};
pub use radix::{RadixNode, RadixTree, TransitionCdf, TreeStats};
pub use sampler::EmpiricalSampler;
pub use stats::MetricStats;
pub use synthesizer::{SynthesisConfig, Synthesizer};
pub use trace::{read_trace, read_trace_from, visit_trace, write_trace, TraceRequest};

use std::path::PathBuf;

/// Why a trace could not be read, analysed or synthesized.
#[derive(Debug, thiserror::Error)]
pub enum SynthesisError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// One line of a trace is not a valid mooncake request.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The trace has no requests, so there is nothing to analyse or imitate.
    #[error("{path}: the trace has no requests; expected one JSON object per line")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A synthesis option is out of range.
    #[error("{name} = {value} is invalid: {reason}")]
    Option {
        /// The option's name, as the CLI spells it.
        name: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// A radix tree broke one of its invariants (a bug, or a tree edited by hand).
    #[error("radix tree invalid: {0}")]
    Tree(String),
}
