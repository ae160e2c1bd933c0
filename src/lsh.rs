//! LSH banding: a signature in, one key per band out; documents sharing a key in any band are
//! candidate pairs. Candidates are only candidates: [`crate::verify`] confirms them exactly.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::config::BAND_SEED;
use crate::error::ConfigError;
use crate::minhash::Signature;

/// `bands` x `rows` of the signature used for banding; `bands * rows <= num_perm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LshParams {
    pub bands: usize,
    pub rows: usize,
}

/// A pair of document indices (a < b) that share at least one band key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Candidate {
    pub a: u32,
    pub b: u32,
}

/// What candidate generation did, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CandidateStats {
    /// Distinct candidate pairs.
    pub pairs: usize,
    /// Buckets larger than the limit, linked as stars instead of all pairs.
    pub oversized_buckets: usize,
}

impl LshParams {
    /// Checked banding: both at least 1 and `bands * rows <= num_perm`.
    pub fn new(bands: usize, rows: usize, num_perm: usize) -> Result<Self, ConfigError> {
        if bands == 0 || rows == 0 || bands * rows > num_perm {
            return Err(ConfigError::BandsRows { bands, rows, product: bands * rows, num_perm });
        }
        Ok(LshParams { bands, rows })
    }

    /// The banding whose S-curve `1 - (1 - s^r)^b` best separates pairs below and above
    /// `threshold`: it minimises the weighted false-positive area (integral of P over 0..t)
    /// plus false-negative area (integral of 1 - P over t..1), over all b x r <= num_perm.
    /// The weights are [`FALSE_POSITIVE_WEIGHT`] and [`FALSE_NEGATIVE_WEIGHT`].
    pub fn optimal(threshold: f64, num_perm: usize) -> Self {
        let mut best = (f64::INFINITY, LshParams { bands: 1, rows: num_perm.max(1) });
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let p = LshParams { bands, rows };
                let fp = integrate(|s| p.probability(s), 0.0, threshold);
                let fn_ = integrate(|s| 1.0 - p.probability(s), threshold, 1.0);
                let cost = FALSE_POSITIVE_WEIGHT * fp + FALSE_NEGATIVE_WEIGHT * fn_;
                if cost < best.0 - 1e-12 {
                    best = (cost, p);
                }
            }
        }
        best.1
    }

    /// Probability that two documents of Jaccard similarity `s` share at least one band key.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// One key per band of `sig`, appended to `out`. Keys of different bands never collide by
    /// construction (the band index is hashed in).
    pub fn band_keys(&self, sig: &Signature, out: &mut Vec<u64>) {
        let mut bytes = Vec::with_capacity(self.rows * 4);
        for (band, rows) in sig.0.chunks_exact(self.rows).take(self.bands).enumerate() {
            bytes.clear();
            rows.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
            out.push(xxh3_64_with_seed(&bytes, BAND_SEED ^ band as u64));
        }
    }
}

/// Weight of the false-positive area in [`LshParams::optimal`]: a false candidate costs one
/// exact check.
pub const FALSE_POSITIVE_WEIGHT: f64 = 0.1;
/// Weight of the false-negative area: a pair LSH misses is lost for good, so misses weigh 9x
/// more. (Equal weights put only ~50% probability at the threshold itself.)
pub const FALSE_NEGATIVE_WEIGHT: f64 = 0.9;

fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const STEPS: usize = 200;
    let h = (b - a) / STEPS as f64;
    (0..STEPS).map(|i| f(a + (i as f64 + 0.5) * h)).sum::<f64>() * h
}

/// Candidate pairs from band keys: `keys[d * bands + i]` is band `i`'s key of document `d`;
/// documents with `eligible[d] == false` (no features) take no part. Sorted and distinct.
/// A bucket of more than `max_bucket` documents links each member to its first one only.
pub fn candidates(
    keys: &[u64],
    bands: usize,
    eligible: &[bool],
    max_bucket: usize,
) -> (Vec<Candidate>, CandidateStats) {
    let n = eligible.len();
    debug_assert_eq!(keys.len(), n * bands);
    let per_band: Vec<(Vec<Candidate>, usize)> = (0..bands)
        .into_par_iter()
        .map(|band| {
            let mut entries: Vec<(u64, u32)> =
                (0..n).filter(|&d| eligible[d]).map(|d| (keys[d * bands + band], d as u32)).collect();
            entries.sort_unstable();
            let mut pairs = Vec::new();
            let mut oversized = 0;
            let mut docs: Vec<u32> = Vec::new();
            for bucket in entries.chunk_by(|x, y| x.0 == y.0).filter(|b| b.len() > 1) {
                docs.clear();
                docs.extend(bucket.iter().map(|x| x.1));
                oversized += bucket_pairs(&docs, max_bucket, &mut pairs) as usize;
            }
            pairs.sort_unstable();
            pairs.dedup();
            (pairs, oversized)
        })
        .collect();
    merge_bands(per_band)
}

/// The pairs of one bucket (its documents in increasing order) appended to `pairs`: all of them,
/// or, for a bucket of more than `max_bucket` documents, each member with the first one only (a
/// star). Returns whether the bucket was oversized. Shared by the in-memory and the spilled
/// ([`crate::spill`]) band tables, so both find the same pairs.
pub(crate) fn bucket_pairs(bucket: &[u32], max_bucket: usize, pairs: &mut Vec<Candidate>) -> bool {
    if bucket.len() < 2 {
        return false;
    }
    if bucket.len() > max_bucket {
        pairs.extend(bucket[1..].iter().map(|&b| Candidate { a: bucket[0], b }));
        return true;
    }
    for (i, &a) in bucket.iter().enumerate() {
        pairs.extend(bucket[i + 1..].iter().map(|&b| Candidate { a, b }));
    }
    false
}

/// Every band's pairs (each sorted and distinct) and oversized-bucket count joined: all pairs
/// sorted and distinct, and the statistics.
pub(crate) fn merge_bands(per_band: Vec<(Vec<Candidate>, usize)>) -> (Vec<Candidate>, CandidateStats) {
    let oversized_buckets = per_band.iter().map(|p| p.1).sum();
    let mut all: Vec<Candidate> = per_band.into_iter().flat_map(|p| p.0).collect();
    all.par_sort_unstable();
    all.dedup();
    let stats = CandidateStats { pairs: all.len(), oversized_buckets };
    (all, stats)
}

/// Every sketch entry as (feature, document, weight), sorted by feature then document: scattered
/// by the feature's top bits into partitions (stably, so documents stay in order), then each
/// partition sorted on its own, in parallel. Much faster than one sort of all entries.
fn sorted_entries(sketches: &[Vec<(u64, f32)>]) -> Vec<(u64, u32, f32)> {
    const BITS: u32 = 12;
    let part = |h: u64| (h >> (64 - BITS)) as usize;
    let mut starts = vec![0usize; (1 << BITS) + 1];
    for s in sketches {
        for &(h, _) in s {
            starts[part(h) + 1] += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let total = starts[starts.len() - 1];
    let mut entries = vec![(0u64, 0u32, 0f32); total];
    let mut next = starts.clone();
    for (d, s) in sketches.iter().enumerate() {
        for &(h, w) in s {
            let p = part(h);
            entries[next[p]] = (h, d as u32, w);
            next[p] += 1;
        }
    }
    let mut parts: Vec<&mut [(u64, u32, f32)]> = Vec::with_capacity(1 << BITS);
    let mut rest = entries.as_mut_slice();
    for w in starts.windows(2) {
        let (head, tail) = rest.split_at_mut(w[1] - w[0]);
        parts.push(head);
        rest = tail;
    }
    parts.into_par_iter().for_each(|p| p.sort_unstable_by_key(|x| (x.0, x.1)));
    entries
}

/// Story-level candidates from weighted sketches (`sketches[d]`: document d's (feature, weight)
/// pairs). Each feature is a bucket; a pair of documents is a candidate when the weight products
/// of the buckets they share sum to at least `min_dot` (a lower bound of their cosine, so a
/// pair sharing one incidental rare word is not). Buckets of more than `max_bucket` documents
/// (features too common to tell stories apart; enumerating them costs the square of their
/// size) are left out and counted. Sorted and distinct.
pub fn weighted_candidates(
    sketches: &[Vec<(u64, f32)>],
    min_dot: f32,
    max_bucket: usize,
) -> (Vec<Candidate>, CandidateStats) {
    let entries = sorted_entries(sketches);
    // Per document: the buckets it is in (start, end in `entries`) and its weight there.
    let mut member_of: Vec<Vec<(u32, u32, f32)>> = vec![Vec::new(); sketches.len()];
    let mut oversized_buckets = 0;
    let mut start = 0;
    for run in entries.chunk_by(|x, y| x.0 == y.0) {
        let end = start + run.len();
        if run.len() > max_bucket {
            oversized_buckets += 1;
        } else if run.len() > 1 {
            for &(_, d, w) in run {
                member_of[d as usize].push((start as u32, end as u32, w));
            }
        }
        start = end;
    }
    let per_doc: Vec<Vec<Candidate>> = (0..sketches.len() as u32)
        .into_par_iter()
        .map_init(Vec::<(u32, f32)>::new, |acc, a| {
            acc.clear();
            for &(s, e, wa) in &member_of[a as usize] {
                acc.extend(entries[s as usize..e as usize].iter().filter(|x| x.1 > a).map(|x| (x.1, wa * x.2)));
            }
            acc.sort_unstable_by_key(|x| x.0);
            acc.chunk_by(|x, y| x.0 == y.0)
                .filter(|run| run.iter().map(|x| x.1).sum::<f32>() >= min_dot)
                .map(|run| Candidate { a, b: run[0].0 })
                .collect()
        })
        .collect();
    let pairs = per_doc.concat();
    let stats = CandidateStats { pairs: pairs.len(), oversized_buckets };
    (pairs, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::MinHasher;

    #[test]
    fn optimal_banding_puts_the_steep_part_near_the_threshold() {
        for t in [0.3, 0.5, 0.8] {
            let p = LshParams::optimal(t, 128);
            assert!(p.bands * p.rows <= 128);
            assert!(p.probability(t) > 0.8, "{t}: {p:?}");
            assert!(p.probability(t + 0.1) > 0.97, "{t}: {p:?}");
            assert!(p.probability(t / 3.0) < 0.35, "{t}: {p:?}");
        }
    }

    #[test]
    fn refuses_more_rows_than_the_signature_has() {
        assert!(LshParams::new(16, 8, 128).is_ok());
        assert!(LshParams::new(17, 8, 128).is_err());
        assert!(LshParams::new(0, 8, 128).is_err());
    }

    #[test]
    fn similar_sets_become_candidates_and_unrelated_ones_do_not() {
        let h = MinHasher::new(128, 3);
        let p = LshParams::optimal(0.5, 128);
        let base: Vec<u64> = (0..200).collect();
        let near: Vec<u64> = (20..220).collect(); // Jaccard 180/220 = 0.82
        let far: Vec<u64> = (10_000..10_200).collect();
        let mut keys = Vec::new();
        for set in [&base, &near, &far] {
            p.band_keys(&h.sign(set), &mut keys);
        }
        let (c, stats) = candidates(&keys, p.bands, &[true, true, true], 100);
        assert_eq!(c, vec![Candidate { a: 0, b: 1 }]);
        assert_eq!(stats.pairs, 1);
        let (c, _) = candidates(&keys, p.bands, &[true, false, true], 100);
        assert!(c.is_empty());
    }

    #[test]
    fn weighted_candidates_need_enough_shared_weight() {
        let sketches = vec![
            vec![(1, 0.5), (2, 0.5), (3, 0.1)],
            vec![(1, 0.4), (2, 0.3), (9, 0.5)], // shares 1 and 2 with doc 0: 0.2 + 0.15
            vec![(3, 0.1), (8, 0.9)],           // shares 3 with doc 0 only: 0.01
            vec![(9, 0.5), (7, 0.5)],           // shares 9 with doc 1: 0.25
        ];
        let (c, stats) = weighted_candidates(&sketches, 0.02, 100);
        assert_eq!(c, vec![Candidate { a: 0, b: 1 }, Candidate { a: 1, b: 3 }]);
        assert_eq!(stats.oversized_buckets, 0);
        let (c, stats) = weighted_candidates(&sketches, 0.02, 1);
        assert!(c.is_empty());
        assert_eq!(stats.oversized_buckets, 4);

        // Brute force agrees on random sketches.
        let mut x = 12345u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let sketches: Vec<Vec<(u64, f32)>> = (0..300)
            .map(|_| {
                let mut s: Vec<(u64, f32)> = (0..20).map(|_| (next() % 400, (next() % 1000) as f32 / 4000.0)).collect();
                s.sort_by_key(|p| p.0);
                s.dedup_by_key(|p| p.0);
                s
            })
            .collect();
        let (fast, _) = weighted_candidates(&sketches, 0.05, 10_000);
        let mut brute = Vec::new();
        for a in 0..300u32 {
            for b in a + 1..300 {
                if crate::story::cosine(&sketches[a as usize], &sketches[b as usize]) >= 0.05 {
                    brute.push(Candidate { a, b });
                }
            }
        }
        assert!(brute.len() > 50, "{}", brute.len());
        assert_eq!(fast, brute);
    }

    #[test]
    fn oversized_buckets_become_stars() {
        let keys = vec![5u64; 6]; // six documents, one band, one key
        let (c, stats) = candidates(&keys, 1, &[true; 6], 3);
        assert_eq!(c.len(), 5);
        assert!(c.iter().all(|p| p.a == 0));
        assert_eq!(stats.oversized_buckets, 1);
    }
}
