//! Check: new documents in, each one's verified matches in an index (and among the other new
//! documents) out. The pipeline of a scan, with the archive's half read from the index:
//!
//! 1. the new documents are read and signed exactly as a scan signs ([`Pipeline::read`]);
//! 2. candidates: indexed documents sharing a band key with a new one (copy level), or whose
//!    stored sketch shares enough weight with its sketch (story level), or, in an index built
//!    with `--wrapped`, enough of its sampled shingles (the rule of
//!    [`lsh::contained_candidates`]; a sample held by more than
//!    [`crate::config::WRAPPED_MAX_BUCKET`] indexed documents counts for none); pairs of new
//!    documents as a scan finds them;
//! 3. verification: the candidates' texts are read again (indexed ones from their files, checked
//!    against the hash the index keeps) and scored exactly, as a scan scores them.
//!
//! Story weights use the index's document frequencies plus the new documents'. A feature the
//! index holds in one document only is not stored; for a pair it is counted as held by the
//! indexed document of the pair when that document holds it, so the features two documents
//! share weigh exactly as in a scan of archive and new documents together.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::Level;
use crate::error::{IndexError, Result};
use crate::evidence::{self, Aligned};
use crate::index::{DocEntry, Index};
use crate::input::{Inputs, Problem};
use crate::lsh;
use crate::pipeline::{relation_of, Doc, InputNotes, Observer, Pipeline};
use crate::story::{self, Feature, Vector, Weighting};
use crate::verify::{Overlap, Relation};

/// The other side of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// An indexed document (global number in the index).
    Indexed(u32),
    /// Another new document (index into [`CheckOutput::docs`]).
    New(u32),
}

/// A verified match of a new document.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub target: Target,
    pub relation: Relation,
    /// The level's similarity: containment at copy level, story cosine at story level.
    pub score: f64,
    /// `a`: the new document, `b`: the match (`a_in_b`: how much of the new one is in the match).
    pub overlap: Overlap,
    /// Aligned sentence pairs, the new document's sentence first.
    pub evidence: Vec<Aligned>,
}

/// What a check found.
#[derive(Debug, Default)]
pub struct CheckOutput {
    /// The new documents, in input order.
    pub docs: Vec<Doc>,
    /// Per new document, its matches: strongest relation first, then higher score, then id.
    pub matches: Vec<Vec<Match>>,
    /// The indexed documents that matched, with the file each lives in.
    pub indexed: BTreeMap<u32, (DocEntry, std::path::PathBuf)>,
    pub problems: Vec<Problem>,
    pub stats: CheckStats,
}

/// Counts and timings of one check.
#[derive(Debug, Default, Clone)]
pub struct CheckStats {
    pub docs: usize,
    pub indexed_docs: usize,
    /// Candidate pairs (new, indexed) and (new, new).
    pub candidates: (usize, usize),
    /// Indexed documents read again for verification.
    pub reread_indexed: usize,
    /// Band buckets holding more indexed documents than the bucket limit (only the first ones
    /// were checked).
    pub oversized_buckets: usize,
    /// Candidate pairs (new, indexed) and (new, new) found from sampled shingles (an index with
    /// samples only; some are band or sketch candidates too).
    pub wrapped_candidates: (usize, usize),
    /// Sampled shingles of new documents skipped as too common (see [`lsh::contained_candidates`]).
    pub wrapped_oversized: usize,
    /// What reading the new documents found that the user is told.
    pub notes: InputNotes,
    pub timings: Vec<(&'static str, Duration)>,
}

impl CheckOutput {
    /// The id of a match's document.
    pub fn target_id(&self, t: Target) -> &str {
        match t {
            Target::Indexed(d) => &self.indexed[&d].0.id,
            Target::New(d) => &self.docs[d as usize].id,
        }
    }
}

/// The indexed documents one new document may match.
struct Found {
    hits: Vec<u32>,
    /// Band buckets cut at the bucket limit.
    oversized: usize,
    /// Hits from sampled shingles, and samples skipped as too common.
    wrapped: usize,
    wrapped_oversized: usize,
}

/// A document prepared for verification.
struct Prepared {
    text: String,
    shingles: Vec<u64>,
    features: Vec<Feature>,
}

/// Checks the documents of `inputs` against `index`. `pipeline` must sign with the index's
/// parameters (see [`crate::index::config_of`]); its level says which matches are looked for.
/// `evidence`: aligned sentence pairs to attach to each match.
pub fn check(
    pipeline: &Pipeline,
    index: &Index,
    inputs: &mut Inputs,
    observer: &dyn Observer,
    evidence: usize,
) -> Result<CheckOutput> {
    let config = pipeline.config();
    let story = config.level == Level::Story;
    if story && !index.has_story() {
        return Err(IndexError::NoStory.into());
    }
    let mut signed = pipeline.read(inputs, observer)?;
    let mut stats = CheckStats {
        docs: signed.docs.len(),
        indexed_docs: index.live(),
        notes: signed.stats.notes.clone(),
        ..CheckStats::default()
    };
    stats.timings = signed.stats.timings.clone();
    let n = signed.docs.len();
    let bands = config.lsh.bands;

    observer.stage("candidates");
    let started = Instant::now();
    let min_dot = (config.story.floor * story::SKETCH_VOTE) as f32;
    let dot_threshold = story::dot_threshold(min_dot as f64);
    // Sampled shingles: looked up when the index keeps them (it was built with --wrapped, and
    // `pipeline` signs with its parameters).
    let samples = std::mem::take(&mut signed.samples);
    let wrapped = index.has_samples() && samples.len() == n;
    let own_samples = if wrapped { samples.per_document() } else { Vec::new() };
    let per_doc: Vec<Found> = (0..n)
        .into_par_iter()
        .map(|d| {
            let mut hits = Vec::new();
            let (mut oversized, mut wrapped_oversized) = (0, 0);
            if signed.eligible[d] {
                for b in 0..bands {
                    let before = hits.len();
                    let total =
                        index.band_hits(b, signed.keys[d * bands + b], before + config.max_bucket, &mut hits)?;
                    oversized += (total > config.max_bucket) as usize;
                }
            }
            if story {
                // The sums of `lsh::weighted_candidates`.
                let mut dot: ahash::AHashMap<u32, u64> = ahash::AHashMap::new();
                let (hashes, weights) = signed.sketches.get(d);
                for (&h, &w) in hashes.iter().zip(weights) {
                    if index.sketch_bucket(h) > config.story.max_bucket {
                        continue;
                    }
                    index.sketch_hits(h, |a, wa| *dot.entry(a).or_default() += w as u64 * wa as u64)?;
                }
                hits.extend(dot.into_iter().filter(|&(_, s)| s >= dot_threshold).map(|(a, _)| a));
            }
            let before = hits.len();
            if wrapped {
                // Per indexed document: samples shared with this one, and its own count.
                let mut shared: ahash::AHashMap<u32, (u32, u32)> = ahash::AHashMap::new();
                for &sample in own_samples[d] {
                    let count = |a, size| shared.entry(a).or_insert((0, size)).0 += 1;
                    if !index.sample_hits(sample, crate::config::WRAPPED_MAX_BUCKET, count)? {
                        wrapped_oversized += 1;
                    }
                }
                let mine = samples.sizes()[d];
                hits.extend(
                    shared
                        .into_iter()
                        .filter(|&(_, (k, size))| lsh::contains_enough(k, mine, size, crate::config::WRAPPED_MIN_SHARE))
                        .map(|(a, _)| a),
                );
            }
            let from_samples = hits.len() - before;
            hits.sort_unstable();
            hits.dedup();
            Ok(Found { hits, oversized, wrapped: from_samples, wrapped_oversized })
        })
        .collect::<Result<_>>()?;
    drop(own_samples);
    stats.oversized_buckets = per_doc.iter().map(|x| x.oversized).sum();
    stats.wrapped_oversized = per_doc.iter().map(|x| x.wrapped_oversized).sum();
    let mut among_new = lsh::candidates(&signed.keys, bands, &signed.eligible, config.max_bucket).0;
    if story {
        among_new.extend(lsh::weighted_candidates(&signed.sketches, min_dot, config.story.max_bucket).0);
        among_new.sort_unstable();
        among_new.dedup();
    }
    let mut wrapped_among_new = 0;
    if wrapped {
        let (found, oversized) =
            lsh::contained_candidates(samples, crate::config::WRAPPED_MIN_SHARE, crate::config::WRAPPED_MAX_BUCKET);
        wrapped_among_new = found.len();
        stats.wrapped_oversized += oversized;
        among_new = lsh::union(&among_new, &found);
    }
    stats.wrapped_candidates = (per_doc.iter().map(|x| x.wrapped).sum(), wrapped_among_new);
    let per_doc: Vec<Vec<u32>> = per_doc.into_iter().map(|x| x.hits).collect();
    stats.candidates = (per_doc.iter().map(Vec::len).sum(), among_new.len());
    stats.timings.push(("candidates", started.elapsed()));

    observer.stage("verify");
    let started = Instant::now();
    let prepare = |text: String| {
        let shingles = pipeline.shingles(&text);
        let features = if story || evidence > 0 { pipeline.story().features(&text) } else { Vec::new() };
        Prepared { text, shingles, features }
    };
    let mut indexed_docs: Vec<u32> = per_doc.iter().flat_map(|x| x.iter().copied()).collect();
    indexed_docs.par_sort_unstable();
    indexed_docs.dedup();
    let indexed: Vec<Prepared> =
        indexed_docs.par_iter().map(|&a| Ok(prepare(index.text(a)?))).collect::<Result<_>>()?;
    stats.reread_indexed = indexed.len();
    let mut new_docs: Vec<u32> = (0..n as u32)
        .filter(|&d| !per_doc[d as usize].is_empty())
        .chain(among_new.iter().flat_map(|c| [c.a, c.b]))
        .collect();
    new_docs.sort_unstable();
    new_docs.dedup();
    let fresh: Vec<Prepared> = new_docs
        .par_iter()
        .map(|&d| Ok(prepare(inputs.reread(signed.docs[d as usize].location)?)))
        .collect::<Result<_>>()?;
    let slot = |list: &[u32], d: u32| list.binary_search(&d).expect("prepared");

    // Story weights: the index's counts plus the new documents'.
    let weighting = Weighting { docs: index.len() + n };
    let new_count = |h: u64| signed.df.count(h);
    let fresh_vectors: Vec<Vector> = if story {
        fresh.par_iter().map(|p| weighting.vector(&p.features, &|h| index.df(h).unwrap_or(0) + new_count(h))).collect()
    } else {
        Vec::new()
    };
    let indexed_vectors: Vec<Vector> = if story {
        indexed
            .par_iter()
            .map(|p| weighting.vector(&p.features, &|h| index.df(h).unwrap_or(1) + new_count(h)))
            .collect()
    } else {
        Vec::new()
    };
    let holds = |f: &[Feature], h: u64| f.binary_search_by_key(&h, |x| x.hash).is_ok();
    let weight = |h: u64| weighting.rarity(index.df(h).unwrap_or(0) + new_count(h), 0.01);
    let keys = |s: &str| pipeline.story().sentence_keys(s);
    let verifier = pipeline.verifier();
    let score = |a: &Prepared, b: &Prepared, cosine: &dyn Fn() -> f64| -> Option<(Relation, f64, Overlap)> {
        let overlap = Overlap::of(&a.shingles, &b.shingles);
        let copy = verifier.is_copy(&overlap);
        if !story {
            return copy.then(|| (Relation::of_overlap(&overlap), overlap.score(), overlap));
        }
        let sim = cosine();
        (copy || sim >= config.story.floor).then(|| (relation_of(&overlap, copy), sim, overlap))
    };
    let align = |a: &Prepared, b: &Prepared| {
        if evidence == 0 {
            return Vec::new();
        }
        evidence::align(&a.text, &b.text, &keys, &weight, evidence, 0.2)
    };

    let vs_index: Vec<Vec<Match>> = (0..n)
        .into_par_iter()
        .map(|d| {
            let Ok(fi) = new_docs.binary_search(&(d as u32)) else { return Vec::new() };
            let new = &fresh[fi];
            per_doc[d]
                .iter()
                .filter_map(|&a| {
                    let ai = slot(&indexed_docs, a);
                    let old = &indexed[ai];
                    let cosine = || {
                        // The new document's features the index holds once are the indexed one's.
                        let v = weighting.vector(&new.features, &|h| {
                            index.df(h).unwrap_or(holds(&old.features, h) as u32) + new_count(h)
                        });
                        story::cosine(&v, &indexed_vectors[ai])
                    };
                    let (relation, score, overlap) = score(new, old, &cosine)?;
                    Some(Match { target: Target::Indexed(a), relation, score, overlap, evidence: align(new, old) })
                })
                .collect()
        })
        .collect();
    let pairs: Vec<(u32, u32, Relation, f64, Overlap, Vec<Aligned>)> = among_new
        .par_iter()
        .filter_map(|c| {
            let (ia, ib) = (slot(&new_docs, c.a), slot(&new_docs, c.b));
            let cosine = || story::cosine(&fresh_vectors[ia], &fresh_vectors[ib]);
            let (relation, score, overlap) = score(&fresh[ia], &fresh[ib], &cosine)?;
            Some((c.a, c.b, relation, score, overlap, align(&fresh[ia], &fresh[ib])))
        })
        .collect();
    let mut matches = vs_index;
    for (a, b, relation, score, overlap, evidence) in pairs {
        let swapped = Overlap { jaccard: overlap.jaccard, a_in_b: overlap.b_in_a, b_in_a: overlap.a_in_b };
        let back = evidence.iter().map(|e| Aligned { a: e.b.clone(), b: e.a.clone(), score: e.score }).collect();
        matches[a as usize].push(Match { target: Target::New(b), relation, score, overlap, evidence });
        matches[b as usize].push(Match { target: Target::New(a), relation, score, overlap: swapped, evidence: back });
    }
    stats.timings.push(("verify", started.elapsed()));

    let mut out = CheckOutput { docs: signed.docs, problems: signed.problems, stats, ..CheckOutput::default() };
    for m in matches.iter().flatten() {
        if let Target::Indexed(a) = m.target {
            if let std::collections::btree_map::Entry::Vacant(e) = out.indexed.entry(a) {
                e.insert((index.doc(a)?, index.file(a)?.path.clone()));
            }
        }
    }
    for list in matches.iter_mut() {
        list.sort_by(|x, y| {
            x.relation
                .cmp(&y.relation)
                .then(y.score.total_cmp(&x.score))
                .then_with(|| out.target_id(x.target).cmp(out.target_id(y.target)))
                .then(x.target.cmp(&y.target))
        });
    }
    out.matches = matches;
    Ok(out)
}
