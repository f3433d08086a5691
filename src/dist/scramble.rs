//! A fixed, seed-independent permutation of `0..n`, for zipf's `scramble: true`.
//!
//! Veeksha (after YCSB) scrambles by hashing the rank modulo n, which maps several ranks to
//! one value and leaves others unreachable. A balanced Feistel network over the next even
//! power of two is a true bijection; cycle-walking (re-applying it until the result lands
//! below `n`) keeps it one on `0..n`. The domain is below 4n, so fewer than 4 rounds of
//! walking are expected, and the walk always ends because `rank` itself lies on its cycle.

/// Rounds of the network; 4 rounds of a good round function mix well enough that adjacent
/// ranks land far apart, which is all the scramble is for.
const ROUNDS: u64 = 4;

/// The image of `rank` (< `n`) under the permutation of `0..n`.
pub(crate) fn permute(rank: u64, n: u64) -> u64 {
    if n <= 1 || rank >= n {
        return rank;
    }
    let bits = 64 - (n - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = (1u64 << half) - 1;
    let mut x = rank;
    loop {
        x = feistel(x, half, mask);
        if x < n {
            return x;
        }
    }
}

fn feistel(x: u64, half: u32, mask: u64) -> u64 {
    let mut left = x >> half;
    let mut right = x & mask;
    for round in 0..ROUNDS {
        let mixed = left ^ (mix(right ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15)) & mask);
        left = right;
        right = mixed;
    }
    (left << half) | right
}

/// A 64-bit finaliser (the splitmix64 one): every input bit flips about half the output bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn is_a_bijection_on_every_small_domain() {
        for n in 1..=300u64 {
            let mut seen = vec![false; n as usize];
            for rank in 0..n {
                let image = permute(rank, n);
                assert!(image < n, "n={n} rank={rank} image={image}");
                assert!(!seen[image as usize], "n={n}: {image} hit twice");
                seen[image as usize] = true;
            }
        }
    }

    #[test]
    fn spreads_the_first_ranks() {
        let n = 10_000;
        let firsts: Vec<u64> = (0..5).map(|r| permute(r, n)).collect();
        assert_ne!(firsts, vec![0, 1, 2, 3, 4]);
        assert!(firsts.iter().any(|&v| v > n / 4), "{firsts:?}");
    }
}
