//! The synthesizer's side of the plan's [`SynthesisPlan`] (which lives in `config`): the
//! configuration a plan, a block size and a seed make.

use crate::config::SynthesisPlan;
use crate::dataset::synthesis::SynthesisConfig;

impl SynthesisPlan {
    /// The synthesizer's configuration for this plan, block size and seed.
    pub fn config(&self, block_size: u32, seed: u64) -> SynthesisConfig {
        SynthesisConfig {
            speedup_ratio: self.speedup_ratio,
            prefix_len_multiplier: self.prefix_len_multiplier,
            prefix_root_multiplier: self.prefix_root_multiplier,
            prompt_len_multiplier: self.prompt_len_multiplier,
            max_isl: self.max_isl,
            block_size,
            seed,
        }
    }
}
