//! Which model each request names (AIPerf's `--model-names` and `--model-selection-strategy`),
//! and the readiness wait before the clock starts (`--wait-for-model-*`).

use std::time::Duration;

use rand::Rng;

use crate::rng::RngRoot;

/// How a request (or a multi-turn session) is given one of several models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSelection {
    /// Entry `n` gets model `n mod len(models)`.
    #[default]
    RoundRobin,
    /// Uniformly at random, drawn from the run's seed and the entry's index.
    Random,
}

/// The models requests name, in the order given; never empty.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelPlan {
    /// Every model name, the first one the run's label (artifact folder, exports).
    pub names: Vec<String>,
    /// How an entry is given one of them.
    pub selection: ModelSelection,
}

impl ModelPlan {
    /// One model.
    pub fn single(name: impl Into<String>) -> Self {
        Self {
            names: vec![name.into()],
            selection: ModelSelection::RoundRobin,
        }
    }

    /// The index into `names` of the model for entry (or session) `index`; the same seed and
    /// index give the same model on every run.
    pub fn pick(&self, index: u64, root: &RngRoot) -> usize {
        let n = self.names.len().max(1);
        match self.selection {
            _ if n == 1 => 0,
            ModelSelection::RoundRobin => (index % n as u64) as usize,
            ModelSelection::Random => root.stream("model-selection", index).random_range(0..n),
        }
    }
}

/// What the readiness probe asks the server (AIPerf's `--wait-for-model-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitMode {
    /// `GET /v1/models` until the model is listed.
    Models,
    /// One tiny inference request (one output token) until it succeeds.
    #[default]
    Inference,
    /// The models check, then the inference check.
    Both,
}

impl WaitMode {
    /// Its flag value.
    pub fn name(self) -> &'static str {
        match self {
            WaitMode::Models => "models",
            WaitMode::Inference => "inference",
            WaitMode::Both => "both",
        }
    }
}

/// Wait for every server to serve the model before the clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct WaitForModel {
    /// Give up after this long (per server).
    #[serde(serialize_with = "secs")]
    pub timeout: Duration,
    /// What is checked.
    pub mode: WaitMode,
    /// Pause between two attempts.
    #[serde(serialize_with = "secs")]
    pub interval: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Checks a `--custom-endpoint` path: it must start with `/` and be a valid request path.
pub fn check_custom_endpoint(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!(
            "'{path}' must start with '/' (e.g. /v1/chat/completions); the URL's own path goes in --url"
        ));
    }
    if path.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'#') {
        return Err(format!(
            "'{path}' holds a space, control character or '#'; write a plain path"
        ));
    }
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(selection: ModelSelection) -> ModelPlan {
        ModelPlan {
            names: vec!["a".into(), "b".into(), "c".into()],
            selection,
        }
    }

    #[test]
    fn round_robin_cycles_in_order() {
        let root = RngRoot::new(1);
        let p = plan(ModelSelection::RoundRobin);
        let picks: Vec<usize> = (0..6).map(|i| p.pick(i, &root)).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn random_depends_only_on_seed_and_index() {
        let p = plan(ModelSelection::Random);
        let a: Vec<usize> = (0..200).map(|i| p.pick(i, &RngRoot::new(7))).collect();
        let b: Vec<usize> = (0..200).map(|i| p.pick(i, &RngRoot::new(7))).collect();
        let c: Vec<usize> = (0..200).map(|i| p.pick(i, &RngRoot::new(8))).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        for m in 0..3 {
            let n = a.iter().filter(|&&x| x == m).count();
            assert!((40..=95).contains(&n), "model {m} picked {n} of 200");
        }
    }

    #[test]
    fn one_model_is_always_picked() {
        let p = ModelPlan {
            names: vec!["x".into()],
            selection: ModelSelection::Random,
        };
        assert!((0..50).all(|i| p.pick(i, &RngRoot::new(3)) == 0));
    }

    #[test]
    fn custom_endpoint_needs_a_leading_slash() {
        assert_eq!(check_custom_endpoint("/v1/x").unwrap(), "/v1/x");
        assert!(check_custom_endpoint("v1/x")
            .unwrap_err()
            .contains("start with '/'"));
        assert!(check_custom_endpoint("/a b").is_err());
    }
}
