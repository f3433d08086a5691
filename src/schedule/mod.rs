//! Arrival-time generation for every load mode.
