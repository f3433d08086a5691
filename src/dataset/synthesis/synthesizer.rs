//! Trace synthesis: a new trace whose prefix sharing follows the input's radix tree and whose
//! lengths follow the input's empirical distributions, optionally stretched.
//!
//! How: the input's paths go into a radix tree; nodes visited by one request only (blocks no
//! one shares) are pruned, leaving the shared-prefix skeleton. Each synthesized request walks
//! the skeleton from the root with the per-node transition CDFs (so popular prefixes stay
//! popular), then appends fresh blocks for a unique part drawn from the input's unique-length
//! distribution. Request `i` draws only from stream `("trace-synthesis", i)`.

use rand::Rng;

use super::fast_hash::FastMap;
use super::radix::{RadixTree, TransitionCdf};
use super::sampler::EmpiricalSampler;
use super::trace::TraceRequest;
use super::SynthesisError;
use crate::rng::RngRoot;

/// How the synthesized trace differs from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthesisConfig {
    /// Timestamps are divided by this (2 = arrivals twice as fast).
    pub speedup_ratio: f64,
    /// Shared-prefix lengths are multiplied by this (sharing structure kept).
    pub prefix_len_multiplier: f64,
    /// The shared-prefix tree is replicated this many times; each request picks a copy, so
    /// the same shape is shared by fewer requests.
    pub prefix_root_multiplier: u32,
    /// Unique (non-shared) prompt lengths are multiplied by this.
    pub prompt_len_multiplier: f64,
    /// Input lengths are capped here (shared blocks first kept, then unique tokens).
    pub max_isl: Option<u32>,
    /// Tokens per hash id.
    pub block_size: u32,
    /// Root seed.
    pub seed: u64,
}

impl Default for SynthesisConfig {
    fn default() -> Self {
        Self {
            speedup_ratio: 1.0,
            prefix_len_multiplier: 1.0,
            prefix_root_multiplier: 1,
            prompt_len_multiplier: 1.0,
            max_isl: None,
            block_size: 512,
            seed: 0,
        }
    }
}

impl SynthesisConfig {
    fn validate(&self) -> Result<(), SynthesisError> {
        let positive = |name, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(SynthesisError::Option {
                    name,
                    value: value.to_string(),
                    reason: "must be a finite number > 0",
                })
            }
        };
        positive("--speedup-ratio", self.speedup_ratio)?;
        positive("--prefix-len-multiplier", self.prefix_len_multiplier)?;
        positive("--prompt-len-multiplier", self.prompt_len_multiplier)?;
        let at_least_one = |name, value: u32| {
            if value >= 1 {
                Ok(())
            } else {
                Err(SynthesisError::Option {
                    name,
                    value: value.to_string(),
                    reason: "must be at least 1",
                })
            }
        };
        at_least_one("--prefix-root-multiplier", self.prefix_root_multiplier)?;
        at_least_one("--block-size", self.block_size)?;
        at_least_one("--max-isl", self.max_isl.unwrap_or(1))
    }
}

/// Builds synthesized traces from an input trace.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    config: SynthesisConfig,
}

impl Synthesizer {
    /// Checks the options; errors name the flag.
    pub fn new(config: SynthesisConfig) -> Result<Self, SynthesisError> {
        config.validate()?;
        Ok(Self { config })
    }

    /// A trace with as many requests as `input`, request `i` arriving at input request `i`'s
    /// time divided by the speedup ratio. Requests keep their `session_id`; a session's later
    /// turns extend its previous synthesized turn (grouped, session-preserving synthesis).
    pub fn synthesize(&self, input: &[TraceRequest]) -> Vec<TraceRequest> {
        let config = &self.config;
        let bs = u64::from(config.block_size);
        let tree = shared_skeleton(input);
        let cdfs = tree.compute_transition_cdfs();
        let nodes = tree.nodes();

        // Unique length of each input request = what follows its shared (skeleton) prefix.
        let unique_lengths = input.iter().map(|request| {
            let mut node = 0;
            let mut shared = 0u64;
            for &id in &request.hash_ids {
                match tree.child(node, id) {
                    Some(child) => {
                        node = child;
                        shared += 1;
                    }
                    None => break,
                }
            }
            u64::from(request.input_length).saturating_sub(shared * bs)
        });
        let (Some(unique_sampler), Some(osl_sampler)) = (
            EmpiricalSampler::new(unique_lengths),
            EmpiricalSampler::new(input.iter().map(|r| r.output_length)),
        ) else {
            return Vec::new();
        };

        let root = RngRoot::new(config.seed);
        let mut ids = IdSpace::default();
        let mut sessions: std::collections::HashMap<&str, Vec<u64>> = Default::default();
        input
            .iter()
            .enumerate()
            .map(|(i, source)| {
                let mut rng = root.stream("trace-synthesis", i as u64);
                let copy = rng.random_range(0..config.prefix_root_multiplier);
                let path = walk(&cdfs, &mut rng);
                let history = source
                    .session_id
                    .as_deref()
                    .and_then(|session| sessions.get(session));
                // A later turn of a session extends that session's previous turn, as a chat
                // resends its history; first turns share prefixes through the tree.
                let mut hash_ids = history.cloned().unwrap_or_default();
                let path = if history.is_some() { Vec::new() } else { path };
                for node in path {
                    let depth = nodes[node].depth as f64;
                    let from = ((depth - 1.0) * config.prefix_len_multiplier).round() as u64;
                    let to = (depth * config.prefix_len_multiplier).round() as u64;
                    for part in from..to {
                        hash_ids.push(ids.shared(copy, node, part));
                    }
                }
                let unique = (unique_sampler.sample(&mut rng) as f64 * config.prompt_len_multiplier)
                    .round() as u64;
                let mut isl = hash_ids.len() as u64 * bs + unique;
                if let Some(max) = config.max_isl {
                    let max = u64::from(max);
                    if isl > max {
                        isl = max;
                        hash_ids.truncate((max / bs) as usize);
                    }
                }
                let isl = isl.clamp(1, u64::from(u32::MAX));
                while (hash_ids.len() as u64) < isl.div_ceil(bs) {
                    hash_ids.push(ids.fresh());
                }
                if let Some(session) = source.session_id.as_deref() {
                    sessions.insert(session, hash_ids.clone());
                }
                TraceRequest {
                    timestamp_ms: source.timestamp_ms.map(|t| t / config.speedup_ratio),
                    input_length: isl as u32,
                    output_length: osl_sampler.sample(&mut rng),
                    hash_ids,
                    session_id: source.session_id.clone(),
                }
            })
            .collect()
    }
}

/// The radix tree of `input` without nodes visited by one request only. A node visited twice
/// has an id that occurs twice, so paths are cut at the first id seen once in the whole trace
/// before they enter the tree: the tree never holds the (usually dominant) unique blocks, which
/// keeps a million-request trace's tree small. Pruning then removes what the cut missed.
fn shared_skeleton(input: &[TraceRequest]) -> RadixTree {
    let mut occurrences: FastMap<u64, u32> = FastMap::default();
    for request in input {
        for &id in &request.hash_ids {
            let count = occurrences.entry(id).or_insert(0);
            *count = count.saturating_add(1);
        }
    }
    let mut tree = RadixTree::new();
    for request in input {
        let shared = request
            .hash_ids
            .iter()
            .take_while(|id| occurrences.get(id).is_some_and(|&c| c >= 2))
            .count();
        // Per-block trees cannot fail add_path; only merged trees refuse it.
        let _ = tree.add_path(&request.hash_ids[..shared]);
    }
    drop(occurrences);
    tree.remove_leaves(1);
    tree
}

/// One walk from the root along the transition CDFs: the nodes of a shared prefix.
fn walk(cdfs: &[TransitionCdf], rng: &mut impl Rng) -> Vec<usize> {
    let mut path = Vec::new();
    let mut node = 0;
    while let Some(child) = cdfs.get(node).and_then(|cdf| cdf.sample(rng)) {
        path.push(child);
        node = child;
    }
    path
}

/// Dense output ids in first-use order, like mooncake's: a shared block is keyed by
/// (tree copy, node, sub-block) so every request reaching it gets the same id.
#[derive(Default)]
struct IdSpace {
    shared: FastMap<(u32, usize, u64), u64>,
    next: u64,
}

impl IdSpace {
    fn shared(&mut self, copy: u32, node: usize, part: u64) -> u64 {
        let next = &mut self.next;
        *self.shared.entry((copy, node, part)).or_insert_with(|| {
            *next += 1;
            *next - 1
        })
    }

    fn fresh(&mut self) -> u64 {
        self.next += 1;
        self.next - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::synthesis::analyze;

    fn input() -> Vec<TraceRequest> {
        (0..400u64)
            .map(|i| {
                let mut hash_ids = vec![0, 1 + i % 3];
                hash_ids.push(100 + i);
                TraceRequest {
                    timestamp_ms: Some(i as f64 * 10.0),
                    input_length: 1200 + (i % 7) as u32 * 100,
                    output_length: 10 + (i % 5) as u32,
                    hash_ids,
                    session_id: None,
                }
            })
            .collect()
    }

    fn synth(config: SynthesisConfig) -> Vec<TraceRequest> {
        Synthesizer::new(config).unwrap().synthesize(&input())
    }

    #[test]
    fn root_multiplier_lowers_sharing_and_len_multiplier_lengthens_prefixes() {
        let base = analyze(&synth(SynthesisConfig::default()), 512);
        let rooted = analyze(
            &synth(SynthesisConfig {
                prefix_root_multiplier: 4,
                ..Default::default()
            }),
            512,
        );
        assert!(rooted.num_prefix_groups > base.num_prefix_groups);
        let longer = analyze(
            &synth(SynthesisConfig {
                prefix_len_multiplier: 2.0,
                ..Default::default()
            }),
            512,
        );
        let context = |s: &crate::dataset::synthesis::AnalysisStats| {
            s.context_length_stats.map_or(0.0, |c| c.mean)
        };
        assert!(context(&longer) > 1.8 * context(&base));
    }

    #[test]
    fn bad_options_name_the_flag() {
        let err = Synthesizer::new(SynthesisConfig {
            speedup_ratio: 0.0,
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("--speedup-ratio"), "{err}");
        assert!(Synthesizer::new(SynthesisConfig {
            prefix_root_multiplier: 0,
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn hash_ids_cover_the_input_length() {
        for request in synth(SynthesisConfig {
            prompt_len_multiplier: 1.7,
            ..Default::default()
        }) {
            let blocks = u64::from(request.input_length).div_ceil(512);
            assert_eq!(request.hash_ids.len() as u64, blocks);
        }
    }

    #[test]
    fn sessions_extend_their_previous_turn() {
        let mut input = input();
        for (i, request) in input.iter_mut().enumerate() {
            request.session_id = Some(format!("s{}", i % 2));
        }
        let output = Synthesizer::new(SynthesisConfig::default())
            .unwrap()
            .synthesize(&input);
        for pair in [0, 1] {
            let turns: Vec<&TraceRequest> = output.iter().skip(pair).step_by(2).collect();
            assert!(turns
                .iter()
                .all(|t| t.session_id == Some(format!("s{pair}"))));
            // The first few turns only: later ones grow past what the test needs.
            for window in turns[..5].windows(2) {
                assert!(window[1].hash_ids.starts_with(&window[0].hash_ids));
                assert!(window[1].hash_ids.len() > window[0].hash_ids.len());
            }
        }
    }
}
