//! gauntlet: a low-overhead benchmark harness for OpenAI-compatible LLM inference servers.
//!
//! The data flow runs one way (see `docs/architecture.md`):
//! `config::Plan` → `dataset::Workload` → `payload::PayloadArena` → `schedule` → `engine`
//! → `metrics` → `report`. The binary is a thin shell around [`run`].
#![warn(missing_docs)]

pub mod atomic_file;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dataset;
pub mod dist;
pub mod engine;
pub mod json_scan;
pub mod kube;
pub mod media;
pub mod media_helper;
pub mod metrics;
pub mod mock;
pub mod payload;
pub mod printable;
pub mod quiet_panic;
pub mod report;
pub mod rng;
pub mod run;
pub mod schedule;
pub mod telemetry;
#[cfg(test)]
pub(crate) mod test_support;
pub mod tokenizer;
pub mod video;

/// The crate version, as reported by `gauntlet --version` and the C ABI.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
