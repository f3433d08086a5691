//! Endpoint formats and the payload arena.
//!
//! Request bodies are serialized before the clock starts, into one contiguous buffer. The
//! engine then only slices it (a reference-count bump), so the send path never formats JSON.
//! A workload too large for that is rendered a bounded window ahead instead, into a
//! [`BodyRing`] the engine takes bodies from.

mod arena;
mod generate;
pub mod kinds;
pub mod multipart;
pub mod parts;
mod render;
mod retrieval;
mod ring;
mod session;
pub mod template;

pub use arena::PayloadArena;
pub use render::{render_body, render_body_with_media, render_entry_body, RenderOptions};
pub use ring::{BodyRing, Take};
pub use session::{SessionBodies, SessionRenderError};
