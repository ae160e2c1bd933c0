//! The pipeline: inputs in, documents, verified pairs and clusters out. Parallelism is chosen
//! here and only here: per-document work runs on rayon's pool, one batch at a time, while the
//! next batch is read.
//!
//! Memory holds, per document, its id, metadata, location and band keys, never its text; the
//! texts of documents in candidate pairs are read again for exact verification.

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::cluster::{self, Cluster, Facts, Member};
use crate::config::{Config, MINHASH_SEED, SHINGLE_SEED};
use crate::date::parse_date;
use crate::error::{Error, Result};
use crate::input::{Inputs, Location, Meta, Problem, ProblemKind};
use crate::lsh::{self, Candidate, CandidateStats};
use crate::minhash::MinHasher;
use crate::normalize::normalize_into;
use crate::shingle::Shingler;
use crate::verify::{Overlap, Relation, Scored, Verifier};

/// What the pipeline keeps of a document.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: String,
    pub meta: Meta,
    pub location: Location,
    /// Line of the document in its file (0 for a whole text file).
    pub line: u64,
    /// Length of the original text in bytes.
    pub bytes: u32,
    /// Number of distinct features (shingles).
    pub features: u32,
    /// `meta.date` read as seconds since the epoch.
    pub date: Option<i64>,
}

/// Hooks for a caller that wants to show progress or warnings as they happen.
pub trait Observer: Sync {
    /// An input problem: the document or file is skipped (or, with `strict`, the run stops).
    fn problem(&self, _problem: &Problem) {}
    /// Documents and bytes read so far.
    fn progress(&self, _docs: usize, _bytes: u64) {}
    /// A stage begins.
    fn stage(&self, _name: &'static str) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// Counts and timings of one run.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub docs: usize,
    pub bytes: u64,
    pub sources: usize,
    /// Documents without a single word (they cannot match anything).
    pub docs_without_words: usize,
    /// Dates present but unreadable, and one example.
    pub unreadable_dates: (usize, Option<String>),
    pub ignored_files: (usize, Option<String>),
    /// JSONL files in folders that hold no documents (no text field), and one example.
    pub sidecar_files: (usize, Option<String>),
    pub candidates: CandidateStats,
    /// Documents read again for verification.
    pub reread_docs: usize,
    pub pairs: usize,
    pub clusters: usize,
    pub docs_in_clusters: usize,
    /// Wall time of each stage, in order.
    pub timings: Vec<(&'static str, Duration)>,
}

/// Everything a scan found. Pairs are oriented so that `id(a) < id(b)` and sorted by ids;
/// clusters are sorted by size (larger first) then by the original's id.
#[derive(Debug)]
pub struct ScanOutput {
    pub docs: Vec<Doc>,
    pub pairs: Vec<Scored>,
    pub clusters: Vec<Cluster>,
    pub problems: Vec<Problem>,
    pub stats: Stats,
}

/// A configured pipeline. Per-document functions take `&self` and may run on any thread.
#[derive(Debug, Clone)]
pub struct Pipeline {
    config: Config,
    shingler: Shingler,
    hasher: MinHasher,
}

/// Reusable per-thread buffers.
#[derive(Default)]
struct Scratch {
    normalized: String,
    features: Vec<u64>,
    keys: Vec<u64>,
}

impl Pipeline {
    pub fn new(config: Config) -> Self {
        let shingler = Shingler::new(config.ngram, SHINGLE_SEED);
        let hasher = MinHasher::new(config.num_perm, MINHASH_SEED);
        Pipeline { config, shingler, hasher }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The sorted, distinct features of a text: what signatures and verification compare.
    pub fn features(&self, text: &str) -> Vec<u64> {
        let mut s = Scratch::default();
        self.features_into(text, &mut s);
        s.features
    }

    fn features_into(&self, text: &str, s: &mut Scratch) {
        normalize_into(text, &mut s.normalized);
        self.shingler.shingles_into(&s.normalized, &mut s.features);
    }

    /// Band keys of a text's signature, appended to `s.keys`; returns the feature count.
    fn sketch(&self, text: &str, s: &mut Scratch) -> usize {
        self.features_into(text, s);
        let sig = self.hasher.sign(&s.features);
        s.keys.clear();
        self.config.lsh.band_keys(&sig, &mut s.keys);
        s.features.len()
    }

    /// Runs every stage over `inputs`.
    pub fn scan(&self, inputs: &mut Inputs, observer: &dyn Observer) -> Result<ScanOutput> {
        let mut stats =
            Stats { sources: inputs.source_count(), ignored_files: inputs.ignored_files.clone(), ..Stats::default() };
        let mut problems: Vec<Problem> = Vec::new();
        let report = |p: Problem, problems: &mut Vec<Problem>| -> Result<()> {
            observer.problem(&p);
            if self.config.strict {
                return Err(Error::Strict(p));
            }
            problems.push(p);
            Ok(())
        };
        for p in inputs.listing_problems.clone() {
            report(p, &mut problems)?;
        }

        // Stage 1: read, parse, normalize, shingle, sign, band; batches read ahead of the work.
        observer.stage("read+sign");
        let started = Instant::now();
        let bands = self.config.lsh.bands;
        let mut docs: Vec<Doc> = Vec::new();
        let mut keys: Vec<u64> = Vec::new();
        let mut eligible: Vec<bool> = Vec::new();
        let mut seen: ahash::AHashMap<String, u32> = ahash::AHashMap::new();
        let mut failure: Option<Error> = None;
        inputs.read_batches(|inputs, batch| {
            if failure.is_some() {
                return;
            }
            let sketched: Vec<_> = batch
                .units
                .par_iter()
                .map_init(Scratch::default, |s, unit| {
                    let record = inputs.parse(&batch, unit)?;
                    let features = self.sketch(&record.text, s);
                    let bytes = record.text.len() as u32;
                    Ok((record.id, record.meta, record.location, record.line, bytes, features, s.keys.clone()))
                })
                .collect();
            let handle = || -> Result<()> {
                for p in batch.problems.iter().cloned() {
                    report(p, &mut problems)?;
                }
                for name in &batch.sidecars {
                    stats.sidecar_files.0 += 1;
                    stats.sidecar_files.1.get_or_insert_with(|| name.clone());
                }
                for item in sketched {
                    let (id, meta, location, line, bytes, features, doc_keys) = match item {
                        Ok(x) => x,
                        Err(p) => {
                            report(p, &mut problems)?;
                            continue;
                        }
                    };
                    if let Some(&first) = seen.get(&id) {
                        let first = &docs[first as usize];
                        let kind = ProblemKind::DuplicateId { id, first: where_is(inputs, first) };
                        let file = inputs.source_name(location).to_string();
                        report(Problem { file, line: (line > 0).then_some(line), kind }, &mut problems)?;
                        continue;
                    }
                    let date = meta.date.as_deref().and_then(|d| {
                        let parsed = parse_date(d);
                        if parsed.is_none() {
                            stats.unreadable_dates.0 += 1;
                            stats.unreadable_dates.1.get_or_insert_with(|| d.to_string());
                        }
                        parsed
                    });
                    seen.insert(id.clone(), docs.len() as u32);
                    stats.bytes += bytes as u64;
                    if features == 0 {
                        stats.docs_without_words += 1;
                    }
                    eligible.push(features > 0);
                    keys.extend_from_slice(&doc_keys);
                    docs.push(Doc { id, meta, location, line, bytes, features: features as u32, date });
                }
                observer.progress(docs.len(), stats.bytes);
                Ok(())
            };
            if let Err(e) = handle() {
                failure = Some(e);
            }
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        drop(seen);
        stats.docs = docs.len();
        stats.sources -= stats.sidecar_files.0;
        stats.timings.push(("read+sign", started.elapsed()));

        // Stage 2: candidate pairs from shared band keys.
        observer.stage("candidates");
        let started = Instant::now();
        let (cands, cstats) = lsh::candidates(&keys, bands, &eligible, self.config.max_bucket);
        drop(keys);
        stats.candidates = cstats;
        stats.timings.push(("candidates", started.elapsed()));

        // Stage 3: exact verification on the features of the candidates' documents, read again.
        observer.stage("verify");
        let started = Instant::now();
        let sets = self.reread_features(inputs, &docs, &cands)?;
        stats.reread_docs = sets.count();
        let verifier = Verifier { threshold: self.config.threshold, containment: self.config.containment };
        let pairs: Vec<Scored> =
            cands.par_iter().filter_map(|&c| verifier.verify(c, sets.get(c.a), sets.get(c.b))).collect();
        stats.pairs = pairs.len();
        stats.timings.push(("verify", started.elapsed()));

        // Stage 4: clusters, each with its original and every member's score against it.
        observer.stage("cluster");
        let started = Instant::now();
        let clusters = self.cluster(&docs, &pairs, &sets);
        stats.clusters = clusters.len();
        stats.docs_in_clusters = clusters.iter().map(|c| c.members.len()).sum();
        let pairs = orient_and_sort(&docs, pairs);
        stats.timings.push(("cluster", started.elapsed()));

        Ok(ScanOutput { docs, pairs, clusters, problems, stats })
    }

    /// Features of every document that appears in a candidate pair, computed in parallel.
    fn reread_features(&self, inputs: &Inputs, docs: &[Doc], cands: &[Candidate]) -> Result<FeatureSets> {
        let mut involved: Vec<u32> = cands.iter().flat_map(|c| [c.a, c.b]).collect();
        involved.par_sort_unstable();
        involved.dedup();
        let sets: Vec<Vec<u64>> = involved
            .par_iter()
            .map_init(Scratch::default, |s, &d| {
                let text = inputs.reread(docs[d as usize].location)?;
                self.features_into(&text, s);
                Ok(std::mem::take(&mut s.features))
            })
            .collect::<Result<_>>()?;
        let mut slot = vec![u32::MAX; docs.len()];
        for (i, &d) in involved.iter().enumerate() {
            slot[d as usize] = i as u32;
        }
        Ok(FeatureSets { slot, sets })
    }

    fn cluster(&self, docs: &[Doc], pairs: &[Scored], sets: &FeatureSets) -> Vec<Cluster> {
        let comps = cluster::components(docs.len(), pairs);
        let mut comp_of = vec![u32::MAX; docs.len()];
        for (i, c) in comps.iter().enumerate() {
            for &d in c {
                comp_of[d as usize] = i as u32;
            }
        }
        let mut pairs_of: Vec<Vec<&Scored>> = vec![Vec::new(); comps.len()];
        for p in pairs {
            pairs_of[comp_of[p.a as usize] as usize].push(p);
        }
        let facts = |d: u32| {
            let doc = &docs[d as usize];
            Facts { id: &doc.id, date: doc.date, length: doc.features as usize }
        };
        let mut clusters: Vec<Cluster> = comps
            .par_iter()
            .zip(pairs_of.par_iter())
            .map(|(members, inner)| {
                let original = cluster::pick_original(members, inner, &facts, self.config.containment);
                let members = members
                    .iter()
                    .map(|&m| {
                        if m == original {
                            return Member { doc: m, score: 1.0, relation: None };
                        }
                        let overlap = Overlap::of(sets.get(original), sets.get(m));
                        Member { doc: m, score: overlap.score(), relation: Some(Relation::of_overlap(&overlap)) }
                    })
                    .collect();
                Cluster { original, members }
            })
            .collect();
        cluster::sort_clusters(&mut clusters, &|d| docs[d as usize].id.clone());
        clusters
    }
}

/// Feature sets of the documents read again, looked up by document index.
struct FeatureSets {
    slot: Vec<u32>,
    sets: Vec<Vec<u64>>,
}

impl FeatureSets {
    fn get(&self, doc: u32) -> &[u64] {
        match self.slot[doc as usize] {
            u32::MAX => &[],
            i => &self.sets[i as usize],
        }
    }
    fn count(&self) -> usize {
        self.sets.len()
    }
}

/// "file:line" (or "file" for a whole text file) of a document, for messages.
pub fn where_is(inputs: &Inputs, doc: &Doc) -> String {
    let file = inputs.source_name(doc.location);
    if doc.line > 0 {
        format!("{file}:{}", doc.line)
    } else {
        file.to_string()
    }
}

/// Pairs with `id(a) < id(b)` (containments swapped along), sorted by (id(a), id(b)).
fn orient_and_sort(docs: &[Doc], mut pairs: Vec<Scored>) -> Vec<Scored> {
    for p in pairs.iter_mut() {
        if docs[p.a as usize].id > docs[p.b as usize].id {
            std::mem::swap(&mut p.a, &mut p.b);
            std::mem::swap(&mut p.overlap.a_in_b, &mut p.overlap.b_in_a);
        }
    }
    pairs.par_sort_unstable_by(|x, y| {
        (&docs[x.a as usize].id, &docs[x.b as usize].id).cmp(&(&docs[y.a as usize].id, &docs[y.b as usize].id))
    });
    pairs
}
