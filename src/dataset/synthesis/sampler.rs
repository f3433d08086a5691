//! Sampling from observed values with their observed frequencies, so a synthesized trace's
//! lengths follow the input's distribution (modes, tails and all) without fitting a shape.

use rand::Rng;

/// The empirical distribution of a set of observations.
#[derive(Debug, Clone, PartialEq)]
pub struct EmpiricalSampler<T> {
    values: Vec<T>,
    /// `cumulative[i]` = number of observations `<= values[i]`.
    cumulative: Vec<u64>,
}

impl<T: Copy + PartialOrd> EmpiricalSampler<T> {
    /// Builds the distribution; `None` when there are no observations (nothing to imitate).
    pub fn new(observations: impl IntoIterator<Item = T>) -> Option<Self> {
        let mut sorted: Vec<T> = observations.into_iter().collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let mut values = Vec::new();
        let mut cumulative = Vec::new();
        for (i, value) in sorted.iter().enumerate() {
            if values.last().is_some_and(|last| last == value) {
                if let Some(c) = cumulative.last_mut() {
                    *c = i as u64 + 1;
                }
            } else {
                values.push(*value);
                cumulative.push(i as u64 + 1);
            }
        }
        Some(Self { values, cumulative })
    }

    /// One draw: each distinct value with probability count / total.
    pub fn sample(&self, rng: &mut impl Rng) -> T {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let u = rng.random_range(0..total);
        let index = self.cumulative.partition_point(|&c| c <= u);
        self.values[index.min(self.values.len() - 1)]
    }

    /// The distinct values observed, ascending.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// How many observations were made.
    pub fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngRoot;

    #[test]
    fn frequencies_follow_the_observations() {
        let sampler = EmpiricalSampler::new([5u32, 1, 5, 5]).unwrap();
        assert_eq!(sampler.values(), &[1, 5]);
        assert_eq!(sampler.total(), 4);
        let mut rng = RngRoot::new(1).stream("t", 0);
        let fives = (0..40_000)
            .filter(|_| sampler.sample(&mut rng) == 5)
            .count();
        // Expected 30,000; 4 sigma of a binomial(40k, 0.75) is about 350.
        assert!((29_650..=30_350).contains(&fives), "{fives}");
        assert!(EmpiricalSampler::<u32>::new([]).is_none());
    }
}
