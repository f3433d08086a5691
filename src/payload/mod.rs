//! Endpoint formats and the payload arena.
