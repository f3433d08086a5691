//! A built-in OpenAI-compatible server with a timing model and fault injection.
//!
//! It answers `/v1/chat/completions`, `/v1/completions` (streaming and not, in vLLM's exact
//! JSON shapes), `/v1/responses`, `/v1/messages`, TGI's `/generate` and `/generate_stream`,
//! `/v1/embeddings` (also chat-style), the rerank APIs (`/v1/ranking`, `/v1/rerank`, `/rerank`),
//! `/v1/images/generations`, `/v1/infer`, `/v1/models`, `/health` and `/metrics` (vLLM metric names; optionally speculative-decoding counters whose
//! acceptance depends on the request, and DCGM-style GPU series).
//! Its answers are cheap enough (pre-rendered fragments, no serde on the hot path) that one core
//! serves 100k+ streaming responses per second, so benchmarks of the harness measure the
//! harness. Tests start it in-process with [`MockServer::start`] and read [`MockStats`];
//! `gauntlet mock-server` runs it standalone. See `docs/mock-server.md`.

mod body;
mod config;
mod embeddings;
mod extra_routes;
mod gpu;
mod handler;
mod histogram;
mod image_edit;
mod images;
mod media_scan;
mod rankings;
mod render;
mod reply;
mod request;
mod retrieval;
mod scan;
mod server;
mod snapshot;
mod spec;
mod stats;
#[cfg(test)]
mod test_client_tests;
mod tls;
mod videos;

pub use config::{LatencyModel, MockConfig, SseMode};
pub use server::{listen, serve, MockServer};
pub use snapshot::MockStatsSnapshot;
pub use spec::{SpecDecodeConfig, MAX_DRAFT_TOKENS};
pub use stats::MockStats;
pub use tls::{MockTls, Validity};

pub(crate) use server::build_runtime;
