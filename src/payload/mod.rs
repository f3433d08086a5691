//! Endpoint formats and the payload arena.
//!
//! Request bodies are serialized before the clock starts, into one contiguous buffer. The
//! engine then only slices it (a reference-count bump), so the send path never formats JSON.

mod arena;
mod generate;
pub mod kinds;
pub mod multipart;
pub mod parts;
mod render;
mod retrieval;
mod session;
pub mod template;

pub use arena::PayloadArena;
pub use render::{render_body, render_body_with_media, render_entry_body, RenderOptions};
pub use session::{SessionBodies, SessionRenderError};
