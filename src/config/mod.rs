//! The run's configuration: the resolved [`Plan`] and its validation.

mod plan;

pub use plan::*;
