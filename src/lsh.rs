//! LSH banding: a signature in, one key per band out; documents sharing a key in any band are
//! candidate pairs. Candidates are only candidates: [`crate::verify`] confirms them exactly.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::config::BAND_SEED;
use crate::error::ConfigError;
use crate::minhash::Signature;
use crate::story::{self, Sketches};

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
    /// With [`crate::config::Config::wrapped`]: pairs from sampled shingles (some also found by
    /// band keys), and samples in more documents than [`crate::config::WRAPPED_MAX_BUCKET`].
    pub wrapped_pairs: usize,
    pub wrapped_oversized: usize,
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
    let stats = CandidateStats { pairs: all.len(), oversized_buckets, ..CandidateStats::default() };
    (all, stats)
}

/// One story sketch entry: (short) feature `h` of document `d`, with (quantized) weight `w`.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    h: u32,
    d: u32,
    w: u16,
}

/// Entries are partitioned by the top `PART_BITS` bits of their feature.
const PART_BITS: u32 = 12;

fn part(h: u32) -> usize {
    (h >> (32 - PART_BITS)) as usize
}

/// The sketch entries of the features in 2 to `max_bucket` sketches (the buckets that make
/// pairs), sorted by feature then document, and how many features are in more than `max_bucket`.
///
/// Each thread owns a range of features (a group of partitions) and reads its stretch of every
/// sketch twice: first counting the sketches that hold each of its features, then keeping the
/// entries whose count links. Only those (a small share: most sketch features are in one sketch or in too
/// many) are ever written out and sorted; the groups' sorted lists, in range order, are the
/// result.
fn linked_entries(sketches: &Sketches, max_bucket: usize) -> (Vec<Entry>, usize) {
    let bounds = part_groups();
    let ranges: Vec<std::ops::Range<usize>> = bounds.windows(2).map(|w| w[0]..w[1]).collect();
    let groups: Vec<(Vec<Entry>, usize)> = ranges
        .into_par_iter()
        .map(|range| {
            // A sketch is sorted by feature, so the thread's features are one stretch of it:
            // found by binary search, rather than asking of every entry whether it is the
            // thread's (a branch as good as random).
            let stretch: Vec<(u32, u32)> = sketches
                .iter()
                .map(|(h, _)| {
                    let lo = h.partition_point(|&x| part(x) < range.start);
                    let hi = lo + h[lo..].partition_point(|&x| part(x) < range.end);
                    (lo as u32, hi as u32)
                })
                .collect();
            let mut counts = FeatureCounts::default();
            for ((hashes, _), &(lo, hi)) in sketches.iter().zip(&stretch) {
                for &h in &hashes[lo as usize..hi as usize] {
                    counts.add(h);
                }
            }
            let oversized = counts.iter().filter(|&n| n as usize > max_bucket).count();
            let mut kept = Vec::new();
            for (d, ((hashes, weights), &(lo, hi))) in sketches.iter().zip(&stretch).enumerate() {
                let (lo, hi) = (lo as usize, hi as usize);
                for (&h, &w) in hashes[lo..hi].iter().zip(&weights[lo..hi]) {
                    let n = counts.get(h) as usize;
                    if n > 1 && n <= max_bucket {
                        kept.push(Entry { h, d: d as u32, w });
                    }
                }
            }
            // (feature, document) pairs repeat only where two features of a sketch share their
            // short form; such entries are kept, in either order (their sums do not depend on it).
            kept.sort_unstable_by_key(|e| (e.h, e.d));
            (kept, oversized)
        })
        .collect();
    let oversized = groups.iter().map(|g| g.1).sum();
    let mut linked = Vec::with_capacity(groups.iter().map(|g| g.0.len()).sum());
    for (g, _) in &groups {
        linked.extend_from_slice(g);
    }
    (linked, oversized)
}

/// Sketch entries by (short) feature: a flat open-addressing table of (feature, count)
/// entries, probed linearly from the feature's low bits, at most half full; count 0 marks an
/// empty entry. Eight bytes an entry, so that a thread's table (the tens of thousands of
/// distinct sketch features of its range) stays in the core's cache.
#[derive(Default)]
struct FeatureCounts {
    entries: Vec<(u32, u32)>,
    len: usize,
}

impl FeatureCounts {
    /// Where `h` is counted, or the empty entry where it would go.
    #[inline]
    fn find(&self, h: u32) -> usize {
        let mask = self.entries.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let (key, n) = self.entries[i];
            if key == h || n == 0 {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Counts one more entry of `h`.
    #[inline]
    fn add(&mut self, h: u32) {
        if (self.len + 1) * 2 > self.entries.len() {
            let size = (self.entries.len() * 2).max(1024);
            let old = std::mem::replace(&mut self.entries, vec![(0, 0); size]);
            for e in old.into_iter().filter(|e| e.1 != 0) {
                let i = self.find(e.0);
                self.entries[i] = e;
            }
        }
        let i = self.find(h);
        let e = &mut self.entries[i];
        self.len += usize::from(e.1 == 0);
        *e = (h, e.1 + 1);
    }

    /// Entries of `h` counted (0: none).
    #[inline]
    fn get(&self, h: u32) -> u32 {
        if self.entries.is_empty() {
            return 0;
        }
        self.entries[self.find(h)].1
    }

    /// Every count, in no particular order.
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries.iter().map(|e| e.1).filter(|&n| n != 0)
    }
}

/// Partitions split into one group of consecutive partitions per thread: group i is
/// `bounds[i]..bounds[i + 1]`.
fn part_groups() -> Vec<usize> {
    let parts = 1usize << PART_BITS;
    let groups = rayon::current_num_threads().clamp(1, parts);
    (0..=groups).map(|i| i * parts / groups).collect()
}

/// Story-level candidates from weighted sketches (`sketches[d]`: document d's (feature, weight)
/// pairs, sorted by feature, as [`crate::story::background_sketch`] makes them). Each feature is
/// a bucket; a pair of documents is a candidate when the products of their weights in the
/// buckets they share sum to at least `min_dot` (a lower bound of their cosine, so a pair
/// sharing one incidental rare word is not). Weights are quantized and the sums are of
/// integers ([`story::dot_threshold`]): exact, whatever the order. Buckets of more than
/// `max_bucket` documents (features too common to tell stories apart; enumerating them costs
/// the square of their size) are left out and counted in the statistics. Pairs are sorted and
/// distinct; the result is the same at any thread count.
pub fn weighted_candidates(sketches: &Sketches, min_dot: f32, max_bucket: usize) -> (Vec<Candidate>, CandidateStats) {
    let n = sketches.len();
    debug_assert!(sketches.iter().all(|(h, _)| h.is_sorted()), "sketches sorted");
    let threshold = story::dot_threshold(min_dot as f64);
    let (entries, oversized_buckets) = linked_entries(sketches, max_bucket);
    assert!(entries.len() < u32::MAX as usize, "{} linked sketch entries do not fit u32 indices", entries.len());

    let (starts, member) = by_document(&entries, n, |e| e.d, |x, y| x.h == y.h, |e| e.w);
    let buckets = Buckets { entries: &entries, member: &member, starts: &starts };

    // Rayon makes an accumulator for every piece of work it splits off, dozens of them; each is
    // as long as the corpus, so they are lent from a pool instead (at most one per running task).
    let pool = std::sync::Mutex::new(Vec::new());
    let pairs: Vec<Candidate> = (0..n as u32)
        .into_par_iter()
        .with_min_len(64)
        .map_init(
            || Pooled::take(&pool, || Shared::new(n)),
            |shared, a| shared.get().candidates_of(&buckets, a, threshold),
        )
        .flat_map_iter(|bs| bs.into_iter())
        .collect();
    let stats = CandidateStats { pairs: pairs.len(), oversized_buckets, ..CandidateStats::default() };
    (pairs, stats)
}

/// Each document's linked entries (of `entries`, sorted by bucket then document, `doc(e)` of
/// `n` documents; `same(x, y)`: x and y are in one bucket), in bucket order: `payload(e)` and
/// the range of the entries after e in its bucket, the document's from `starts[d]` to
/// `starts[d + 1]` (as [`Buckets::member`] and [`Buckets::starts`]). Placed by a counting sort
/// on the document, which keeps the entries' bucket order.
fn by_document<E, W: Copy + Default>(
    entries: &[E],
    n: usize,
    doc: impl Fn(&E) -> u32,
    same: impl Fn(&E, &E) -> bool,
    payload: impl Fn(&E) -> W,
) -> (Vec<u32>, Vec<(W, u32, u32)>) {
    let mut starts = vec![0u32; n + 1];
    entries.iter().for_each(|e| starts[doc(e) as usize + 1] += 1);
    for d in 0..n {
        starts[d + 1] += starts[d];
    }
    let mut next = starts.clone();
    let mut member = vec![(W::default(), 0u32, 0u32); entries.len()];
    let mut start = 0;
    for run in entries.chunk_by(same) {
        let end = start + run.len();
        for (i, e) in run.iter().enumerate() {
            let at = &mut next[doc(e) as usize];
            member[*at as usize] = (payload(e), (start + i + 1) as u32, end as u32);
            *at += 1;
        }
        start = end;
    }
    (starts, member)
}

/// The buckets of [`weighted_candidates`]: for each document, its linked entries.
struct Buckets<'a> {
    /// The sketch entries of linking features, sorted by feature then document.
    entries: &'a [Entry],
    /// Per document (`starts[d]..starts[d + 1]`), in feature order: (weight, start, end), the
    /// entries after the document's in the bucket being `entries[start..end]`.
    member: &'a [(u16, u32, u32)],
    starts: &'a [u32],
}

impl Buckets<'_> {
    /// Document `a`'s weights and the (document, weight) entries after it in each of its
    /// buckets, in feature order.
    fn of(&self, a: u32) -> impl Iterator<Item = (u16, &[Entry])> {
        let a = a as usize;
        self.member[self.starts[a] as usize..self.starts[a + 1] as usize]
            .iter()
            .map(|&(wa, from, end)| (wa, &self.entries[from as usize..end as usize]))
    }
}

/// A per-thread accumulator lent from a pool, and given back when dropped (the join's
/// accumulators are as long as the corpus: one per running task, not one per split of work).
struct Pooled<'a, T> {
    item: Option<T>,
    pool: &'a std::sync::Mutex<Vec<T>>,
}

impl<'a, T> Pooled<'a, T> {
    fn take(pool: &'a std::sync::Mutex<Vec<T>>, make: impl FnOnce() -> T) -> Self {
        let item = pool.lock().expect("no panic while holding the pool").pop().unwrap_or_else(make);
        Pooled { item: Some(item), pool }
    }

    fn get(&mut self) -> &mut T {
        self.item.as_mut().expect("held until dropped")
    }
}

impl<T> Drop for Pooled<'_, T> {
    fn drop(&mut self) {
        // Every accumulator is back to empty after each document (its users take the slots).
        if let (Some(item), Ok(mut pool)) = (self.item.take(), self.pool.lock()) {
            pool.push(item);
        }
    }
}

/// One thread's accumulator of shared weight: per document, the sum of the products of its
/// weights with the document being done (0: none yet), and room for the documents touched.
struct Shared {
    sums: Vec<u64>,
    touched: Vec<u32>,
}

impl Shared {
    fn new(docs: usize) -> Self {
        // Every document but the one being done may be touched, and one more is written.
        Shared { sums: vec![0; docs], touched: vec![0; docs + 1] }
    }

    /// Document `a`'s candidates (a, b), b > a, in order of b: those whose products with `a`
    /// sum to at least `threshold`.
    fn candidates_of(&mut self, buckets: &Buckets, a: u32, threshold: u64) -> Vec<Candidate> {
        // Whether a document is touched for the first time is as good as random: each one is
        // written at the end of `touched`, which only moves on when it is new (no branch).
        let Shared { sums, touched } = self;
        let mut len = 0;
        for (wa, after) in buckets.of(a) {
            for &Entry { d: b, w: wb, .. } in after {
                // False only for a second entry of `a` in one bucket (two features of its sketch
                // with one short form).
                if b > a {
                    // Never 0: weights are at least 1.
                    let t = wa as u64 * wb as u64;
                    let sum = &mut sums[b as usize];
                    touched[len] = b;
                    len += usize::from(*sum == 0);
                    *sum += t;
                }
            }
        }
        let mut out: Vec<Candidate> = Vec::new();
        for &b in &touched[..len] {
            if std::mem::take(&mut sums[b as usize]) >= threshold {
                out.push(Candidate { a, b });
            }
        }
        out.sort_unstable();
        out
    }
}

/// Every document's sampled shingles ([`crate::shingle::sampled`]), for
/// [`contained_candidates`]: 8 bytes a sample (its hash's top 32 bits beside the document's
/// index) and 4 a document. The cut hashes are only ever compared for candidates: two shingles
/// that agree on 32 bits at worst add a pair that verification then drops.
#[derive(Debug, Default)]
pub struct Samples {
    /// (top 32 bits of the sample << 32) | document.
    entries: Vec<u64>,
    /// Distinct (cut) samples per document.
    sizes: Vec<u32>,
}

impl Samples {
    /// Adds the next document's samples (any order, repeats allowed).
    pub fn push(&mut self, samples: impl IntoIterator<Item = u64>) {
        let d = self.sizes.len() as u64;
        assert!(d < u32::MAX as u64, "at most 2^32 - 1 documents");
        let from = self.entries.len();
        self.entries.extend(samples.into_iter().map(|h| ((h >> 32) << 32) | d));
        self.entries[from..].sort_unstable();
        let mut kept = from;
        for i in from..self.entries.len() {
            if kept == from || self.entries[i] != self.entries[kept - 1] {
                self.entries[kept] = self.entries[i];
                kept += 1;
            }
        }
        self.entries.truncate(kept);
        self.sizes.push((kept - from) as u32);
    }

    /// Documents added.
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Distinct (cut) samples of each document, in document order.
    pub fn sizes(&self) -> &[u32] {
        &self.sizes
    }

    /// Each document's samples, in document order: entries whose top 32 bits are the cut sample
    /// (sorted, distinct) and whose low 32 bits are the document.
    pub fn per_document(&self) -> Vec<&[u64]> {
        let mut rest = &self.entries[..];
        self.sizes
            .iter()
            .map(|&k| {
                let (head, tail) = rest.split_at(k as usize);
                rest = tail;
                head
            })
            .collect()
    }

    /// Every (cut sample << 32 | document) entry sorted, that is by sample then document, and
    /// each document's count: the columns an index keeps.
    pub fn into_sorted(self) -> (Vec<u64>, Vec<u32>) {
        let Samples { mut entries, sizes } = self;
        entries.par_sort_unstable();
        (entries, sizes)
    }

    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }
}

/// Pairs in which one text may hold most of the other, from each document's sampled shingles.
/// Sampling by hash value keeps a shingle wherever it occurs, so a text contained in another
/// has its samples among the other's, however much longer that one is (a wire story wrapped in
/// local paragraphs), where band keys of whole signatures only meet when the two are of similar
/// length. A pair is a candidate when the samples it shares are at least 2 and at least
/// `min_share` of the smaller sample set. Samples held by more than `max_bucket` documents
/// (boilerplate) count for no pair; how many there are is returned. Sorted and distinct; the
/// same at any thread count.
pub fn contained_candidates(samples: Samples, min_share: f64, max_bucket: usize) -> (Vec<Candidate>, usize) {
    let n = samples.len();
    let (mut entries, sizes) = samples.into_sorted();
    // Only the samples of buckets of 2 to `max_bucket` documents stay, in place.
    let sample = |e: u64| e >> 32;
    let (mut kept, mut oversized, mut i) = (0, 0, 0);
    while i < entries.len() {
        let first = sample(entries[i]);
        let run = entries[i..].iter().take_while(|&&e| sample(e) == first).count();
        if run > max_bucket {
            oversized += 1;
        } else if run > 1 {
            entries.copy_within(i..i + run, kept);
            kept += run;
        }
        i += run;
    }
    entries.truncate(kept);
    entries.shrink_to_fit();
    // Per document, in sample order: the range of the entries after its own in each bucket.
    let (starts, after) = by_document(&entries, n, |&e| e as u32, |&x, &y| sample(x) == sample(y), |_| ());
    let pool = std::sync::Mutex::new(Vec::new());
    let pairs: Vec<Candidate> = (0..n as u32)
        .into_par_iter()
        .with_min_len(64)
        .map_init(
            || Pooled::take(&pool, || (vec![0u32; n], Vec::<u32>::new())),
            |acc, a| {
                let (shared, touched) = acc.get();
                for &((), from, end) in &after[starts[a as usize] as usize..starts[a as usize + 1] as usize] {
                    // A bucket is sorted by document: the entries after a's are later documents.
                    for &e in &entries[from as usize..end as usize] {
                        let b = e as u32;
                        let slot = &mut shared[b as usize];
                        if *slot == 0 {
                            touched.push(b);
                        }
                        *slot += 1;
                    }
                }
                touched.sort_unstable();
                let mut out = Vec::new();
                for &b in touched.iter() {
                    let k = std::mem::take(&mut shared[b as usize]);
                    if contains_enough(k, sizes[a as usize], sizes[b as usize], min_share) {
                        out.push(Candidate { a, b });
                    }
                }
                touched.clear();
                out
            },
        )
        .flat_map_iter(|pairs| pairs.into_iter())
        .collect();
    (pairs, oversized)
}

/// The rule of [`contained_candidates`]: two documents with `a` and `b` samples that share
/// `shared` of them are a candidate pair.
#[inline]
pub fn contains_enough(shared: u32, a: u32, b: u32, min_share: f64) -> bool {
    shared >= 2 && shared as f64 >= min_share * a.min(b) as f64
}

/// `banded` (candidates from band keys, counted in `stats`) and the [`contained_candidates`] of
/// `samples` under the configured rule, with both counted.
pub fn add_contained(
    banded: &[Candidate],
    stats: CandidateStats,
    samples: Samples,
) -> (Vec<Candidate>, CandidateStats) {
    let (wrapped, oversized) =
        contained_candidates(samples, crate::config::WRAPPED_MIN_SHARE, crate::config::WRAPPED_MAX_BUCKET);
    let all = union(banded, &wrapped);
    let stats =
        CandidateStats { pairs: all.len(), wrapped_pairs: wrapped.len(), wrapped_oversized: oversized, ..stats };
    (all, stats)
}

/// The union of two sorted, distinct candidate lists: sorted and distinct.
pub fn union(x: &[Candidate], y: &[Candidate]) -> Vec<Candidate> {
    let mut out = Vec::with_capacity(x.len() + y.len());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => {
                out.push(x[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(y[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(x[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&x[i..]);
    out.extend_from_slice(&y[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::MinHasher;
    use crate::story::{dot_threshold, quantize, Sketched};
    use std::collections::BTreeSet;

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
            vec![(7, 0.5), (9, 0.5)],           // shares 9 with doc 1: 0.25
        ];
        let sketches: Sketches =
            sketches.into_iter().map(|s| s.into_iter().map(|(h, w)| (h, quantize(w))).collect::<Sketched>()).collect();
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
        let sketches: Vec<Sketched> = (0..300)
            .map(|_| {
                let mut s: Sketched =
                    (0..20).map(|_| ((next() % 400) as u32, quantize((next() % 1000) as f32 / 4000.0))).collect();
                s.sort_by_key(|p| p.0);
                s.dedup_by_key(|p| p.0);
                s
            })
            .collect();
        let (fast, _) = weighted_candidates(&sketches.iter().collect(), 0.05, 10_000);
        let mut brute = Vec::new();
        for a in 0..300u32 {
            for b in a + 1..300 {
                let dot: u64 = sketches[a as usize]
                    .iter()
                    .flat_map(|&(h, wa)| {
                        sketches[b as usize].iter().filter(move |e| e.0 == h).map(move |e| wa as u64 * e.1 as u64)
                    })
                    .sum();
                if dot >= dot_threshold(0.05f32 as f64) {
                    brute.push(Candidate { a, b });
                }
            }
        }
        assert!(brute.len() > 50, "{}", brute.len());
        assert_eq!(fast, brute);
    }

    /// The straightforward method [`weighted_candidates`] promises to equal: all entries sorted
    /// at once, each document's buckets listed, its products sorted by document and summed.
    fn weighted_candidates_naive(sketches: &[Sketched], min_dot: f32, max_bucket: usize) -> Vec<Candidate> {
        let mut entries: Vec<(u32, u32, u16)> = Vec::new();
        for (d, s) in sketches.iter().enumerate() {
            entries.extend(s.iter().map(|&(h, w)| (h, d as u32, w)));
        }
        entries.sort_by_key(|x| (x.0, x.1));
        let mut member_of: Vec<Vec<(usize, usize, u16)>> = vec![Vec::new(); sketches.len()];
        let mut start = 0;
        for run in entries.chunk_by(|x, y| x.0 == y.0) {
            let end = start + run.len();
            if run.len() > 1 && run.len() <= max_bucket {
                run.iter().for_each(|&(_, d, w)| member_of[d as usize].push((start, end, w)));
            }
            start = end;
        }
        let mut pairs = Vec::new();
        for a in 0..sketches.len() as u32 {
            let mut acc: Vec<(u32, u64)> = Vec::new();
            for &(s, e, wa) in &member_of[a as usize] {
                acc.extend(entries[s..e].iter().filter(|x| x.1 > a).map(|x| (x.1, wa as u64 * x.2 as u64)));
            }
            acc.sort_unstable_by_key(|x| x.0);
            pairs.extend(
                acc.chunk_by(|x, y| x.0 == y.0)
                    .filter(|run| run.iter().map(|x| x.1).sum::<u64>() >= dot_threshold(min_dot as f64))
                    .map(|run| Candidate { a, b: run[0].0 }),
            );
        }
        pairs
    }

    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn weighted_candidates_equal_the_straightforward_method() {
        for (seed, docs, features, vocabulary) in [(1, 50, 10, 60), (2, 400, 30, 500), (3, 2000, 40, 5000)] {
            let mut next = xorshift(seed * 7919);
            // Feature hashes spread over all partitions; weights from a few values, so that many
            // sums land on the threshold or near it.
            let spread = |f: u64| crate::hash::short(f.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let sketches: Vec<Sketched> = (0..docs)
                .map(|_| {
                    let mut s: Sketched = (0..1 + next() % features)
                        .map(|_| (spread(next() % vocabulary), quantize([0.1f32, 0.2, 0.3, 0.05][next() as usize % 4])))
                        .collect();
                    s.sort_by_key(|p| p.0);
                    s.dedup_by_key(|p| p.0);
                    s
                })
                .collect();
            for (min_dot, max_bucket) in [(0.02, 10_000), (0.04, 10_000), (0.06, 20), (0.0901, 5), (0.3, 10_000)] {
                let (fast, stats) = weighted_candidates(&sketches.iter().collect(), min_dot, max_bucket);
                let naive = weighted_candidates_naive(&sketches, min_dot, max_bucket);
                assert_eq!(fast, naive, "seed {seed}, min_dot {min_dot}, max_bucket {max_bucket}");
                assert_eq!(stats.pairs, naive.len());
            }
        }
    }

    #[test]
    fn linked_entries_are_the_entries_of_linking_features_in_feature_then_document_order() {
        let mut next = xorshift(99);
        // Feature counts from 1 to about 30 sketches, spread over all partitions.
        let sketches: Vec<Sketched> = (0..3000)
            .map(|_| {
                let mut s: Sketched =
                    (0..next() % 50).map(|_| ((next() % 20_000) as u32 * (u32::MAX / 20_000), 32768)).collect();
                s.sort_by_key(|p| p.0);
                s.dedup_by_key(|p| p.0);
                s
            })
            .collect();
        let mut all: Vec<(u32, u32)> = Vec::new();
        for (d, s) in sketches.iter().enumerate() {
            all.extend(s.iter().map(|&(h, _)| (h, d as u32)));
        }
        all.sort_unstable();
        for max_bucket in [0, 1, 2, 5, 12, 10_000] {
            let runs: Vec<&[(u32, u32)]> = all.chunk_by(|x, y| x.0 == y.0).collect();
            let expected: Vec<(u32, u32)> =
                runs.iter().filter(|r| r.len() > 1 && r.len() <= max_bucket).flat_map(|r| r.iter().copied()).collect();
            let oversized = runs.iter().filter(|r| r.len() > max_bucket).count();
            let (entries, got_oversized) = linked_entries(&sketches.iter().collect(), max_bucket);
            let got: Vec<(u32, u32)> = entries.iter().map(|e| (e.h, e.d)).collect();
            assert_eq!(got, expected, "max_bucket {max_bucket}");
            assert_eq!(got_oversized, oversized, "max_bucket {max_bucket}");
        }
    }

    #[test]
    fn feature_counts_count_every_feature_as_a_map_does() {
        let mut counts = FeatureCounts::default();
        assert_eq!(counts.get(7), 0);
        let mut expected: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
        let mut x = 11u64;
        // Feature 0, the largest one, and enough distinct ones to grow the table several times.
        let keys: Vec<u32> = [0, u32::MAX, 0]
            .into_iter()
            .chain((0..20_000).map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 33) % 5000) as u32 * 7919
            }))
            .collect();
        for &k in &keys {
            counts.add(k);
            *expected.entry(k).or_default() += 1;
        }
        for (&k, &n) in &expected {
            assert_eq!(counts.get(k), n, "{k}");
        }
        assert_eq!(counts.get(1), 0);
        let mut all: Vec<u32> = counts.iter().collect();
        let mut want: Vec<u32> = expected.values().copied().collect();
        all.sort_unstable();
        want.sort_unstable();
        assert_eq!(all, want);
    }

    #[test]
    fn union_is_sort_and_dedup() {
        let mut next = xorshift(5);
        for len in [0, 1, 10, 1000] {
            let mut list = |n: usize| {
                let mut v: Vec<Candidate> =
                    (0..n).map(|_| Candidate { a: (next() % 40) as u32, b: (next() % 40) as u32 }).collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let (x, y) = (list(len), list(len / 2 + 3));
            let mut expected = [x.clone(), y.clone()].concat();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(union(&x, &y), expected);
            assert_eq!(union(&y, &x), expected);
        }
    }

    #[test]
    fn oversized_buckets_become_stars() {
        let keys = vec![5u64; 6]; // six documents, one band, one key
        let (c, stats) = candidates(&keys, 1, &[true; 6], 3);
        assert_eq!(c.len(), 5);
        assert!(c.iter().all(|p| p.a == 0));
        assert_eq!(stats.oversized_buckets, 1);
    }

    /// Brute force of [`contained_candidates`]'s rule over samples cut to 32 bits.
    fn contained_by_brute_force(docs: &[Vec<u64>], min_share: f64, max_bucket: usize) -> Vec<Candidate> {
        let cut: Vec<BTreeSet<u64>> = docs.iter().map(|d| d.iter().map(|h| h >> 32).collect()).collect();
        let mut holders = std::collections::BTreeMap::<u64, usize>::new();
        cut.iter().flatten().for_each(|&h| *holders.entry(h).or_default() += 1);
        let mut out = Vec::new();
        for a in 0..docs.len() {
            for b in a + 1..docs.len() {
                let shared = cut[a].intersection(&cut[b]).filter(|h| holders[h] <= max_bucket).count();
                if shared >= 2 && shared as f64 >= min_share * cut[a].len().min(cut[b].len()) as f64 {
                    out.push(Candidate { a: a as u32, b: b as u32 });
                }
            }
        }
        out
    }

    #[test]
    fn contained_candidates_follow_their_rule_and_find_a_text_inside_a_far_longer_one() {
        let mut next = xorshift(9);
        // 60 documents of 3..40 samples from a small pool (so many overlap a little); then a
        // document inside one ten times its size, and one sharing half of another's samples.
        let mut docs: Vec<Vec<u64>> =
            (0..60).map(|_| (0..3 + next() % 38).map(|_| ((next() % 400) << 40) | 7).collect()).collect();
        let long: Vec<u64> = (0..200).map(|_| next()).collect();
        docs.push(long[50..70].to_vec());
        docs.push(long.clone());
        let mut half: Vec<u64> = docs[5][..docs[5].len() / 2].to_vec();
        half.extend((0..docs[5].len()).map(|_| next()));
        docs.push(half);
        for max_bucket in [2, 5, 1000] {
            let mut samples = Samples::default();
            docs.iter().for_each(|d| samples.push(d.iter().copied()));
            let (found, oversized) = contained_candidates(samples, 0.5, max_bucket);
            assert_eq!(found, contained_by_brute_force(&docs, 0.5, max_bucket), "max bucket {max_bucket}");
            assert_eq!(oversized > 0, max_bucket < 1000, "max bucket {max_bucket}");
            assert!(found.contains(&Candidate { a: 60, b: 61 }), "max bucket {max_bucket}");
        }
        // Repeats and order within a document do not matter.
        let mut samples = Samples::default();
        samples.push([3 << 40, 1 << 40, 3 << 40, 2 << 40]);
        samples.push([2 << 40, 1 << 40]);
        samples.push([1 << 40]);
        assert_eq!(contained_candidates(samples, 0.5, 10).0, vec![Candidate { a: 0, b: 1 }]);
    }
}
