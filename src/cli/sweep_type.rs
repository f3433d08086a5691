//! `--sweep-type`: how the comma lists of several flags combine (read by `comma_sweep`).

use clap::ValueEnum;

/// `--sweep-type` values (AIPerf's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SweepTypeArg {
    /// Every combination of the lists.
    #[default]
    Grid,
    /// The i-th values of every list together; the lists have the same length.
    Zip,
}
