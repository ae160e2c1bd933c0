//! The pipeline: inputs in, documents, verified pairs and clusters out. Parallelism is chosen
//! here and only here: per-document work runs on rayon's pool, one batch at a time, while the
//! next batch is read.
//!
//! Memory holds, per document, its id, metadata, location and band keys, never its text; the
//! texts of documents in candidate pairs are read again for exact verification.
//!
//! Copy level: read+sign (shingles -> signature -> band keys) -> candidates -> verify (exact
//! Jaccard / containment) -> connected components.
//! Story level: read (story features -> document frequencies) -> sign (each document's heaviest
//! features under the corpus weights -> signature -> band keys) -> candidates -> verify (cosine of
//! weighted vectors, plus the copy-level figures) -> second-order average-link clusters.

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::cluster::{self, Cluster, Edge, Facts, Member};
use crate::config::{Config, Level, MINHASH_SEED, SHINGLE_SEED, TEXT_SEED};
use crate::date::parse_date;
use crate::error::{Error, Result};
use crate::evidence::{self, Aligned};
use crate::input::{Inputs, Location, Meta, Problem, ProblemKind};
use crate::lsh::{self, Candidate, CandidateStats};
use crate::minhash::MinHasher;
use crate::shingle::{self, ShingleScratch, Shingler};
use crate::spill::SpilledKeys;
use crate::story::{self, Sketched, StoryFeaturizer, Vector, Weighting};
use crate::verify::{Overlap, Relation, Scored, Verifier};

/// What the pipeline keeps of a document.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: String,
    /// The id was read from the input, not made from a line number ([`crate::input::Record::id_given`]).
    pub id_given: bool,
    /// Title, date, source and URL as read, boxed when there is any ([`Doc::meta`] reads it): most
    /// dumps carry none, and a record is kept per document.
    pub meta: Option<Box<Meta>>,
    pub location: Location,
    /// Line of the document in its file (0 for a whole text file).
    pub line: u64,
    /// Length of the original text in bytes.
    pub bytes: u32,
    /// Size of the document in features: shingles (repeats counted) at copy level, the larger
    /// of that and its distinct story features at story level.
    pub features: u32,
    /// `meta.date` read as seconds since the epoch.
    pub date: Option<i64>,
    /// xxh3 of the text (seeded with [`TEXT_SEED`]): an index uses it to notice a changed file.
    pub text_hash: u64,
}

impl Doc {
    /// Its title, date, source and URL as read (all `None` when it had none).
    pub fn meta(&self) -> &Meta {
        const NONE: &Meta = &Meta { title: None, date: None, source: None, url: None };
        self.meta.as_deref().unwrap_or(NONE)
    }

    /// `meta` as [`Doc::meta`] keeps it: boxed when it holds anything.
    pub fn boxed_meta(meta: Meta) -> Option<Box<Meta>> {
        (meta != Meta::default()).then(|| Box::new(meta))
    }

    /// Its source or URL names a wire agency.
    pub fn is_wire(&self) -> bool {
        let meta = self.meta();
        [&meta.source, &meta.url].into_iter().flatten().any(|s| cluster::is_wire_source(s))
    }
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
    /// Documents without a single feature (they cannot match anything).
    pub docs_without_words: usize,
    /// Dates present but unreadable, and one example.
    pub unreadable_dates: (usize, Option<String>),
    pub ignored_files: (usize, Option<String>),
    /// What reading found that every command reading inputs tells the user.
    pub notes: InputNotes,
    pub candidates: CandidateStats,
    /// Sorted runs of band keys written to disk because of the memory limit (0: all in memory).
    pub spilled_runs: usize,
    /// Story level: sketch features shared by more documents than the story bucket limit.
    pub story_oversized: usize,
    /// Documents read again for verification.
    pub reread_docs: usize,
    /// Candidate pairs dropped because their dates are further apart than the window.
    pub outside_window: usize,
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
    /// Story level: corpus document frequency of every story feature.
    pub df: story::DocFrequencies,
}

impl ScanOutput {
    /// Document frequency of a story feature seen in the corpus (features held by one
    /// document only are not stored).
    fn df(&self, hash: u64) -> u32 {
        self.df.get(hash)
    }
}

/// A configured pipeline. Per-document functions take `&self` and may run on any thread.
#[derive(Debug)]
pub struct Pipeline {
    config: Config,
    shingler: Shingler,
    hasher: MinHasher,
    story: StoryFeaturizer,
    verifier: Verifier,
}

/// Story feature incidences staged before they are counted (32 MiB of them): counted a few
/// batches at a time, shard by shard, each shard's table is read once per flush instead of once
/// per incidence, and counting takes less of the memory traffic both cores share (100k
/// generated articles: story level -7% wall time, for ~45 MB of buffers).
const STAGED_FEATURES: usize = 4 << 20;

/// Reusable per-thread buffers.
#[derive(Default)]
struct Scratch {
    shingle: ShingleScratch,
    features: Vec<u64>,
    /// Story weights of recent features (for one scan's frequencies: a scratch lives for one
    /// pass over documents).
    weights: story::WeightMemo,
}

/// What the read stage computes per document, by level.
enum Sketch {
    /// Copy level: band keys of the shingle signature.
    Keys(Vec<u64>),
    /// Story level: the copy level's band keys, distinct story feature hashes (for document
    /// frequencies) and the story sketch.
    Story { keys: Vec<u64>, features: Vec<u64>, sketch: Sketched },
}

/// What reading found in the inputs that `scan`, `check` and `index build`/`add` each tell the
/// user in a note ([`crate::report::input_notes`]): each a count and where the first case is.
#[derive(Debug, Clone, Default)]
pub struct InputNotes {
    /// JSONL files in folders that hold no documents (no text field), and one example.
    pub sidecar_files: (usize, Option<String>),
    /// Documents whose id field was null, empty, an object or an array (named by their line
    /// instead), and where the first is.
    pub unusable_ids: (usize, Option<String>),
    /// Documents whose title, source or URL field held an object or an array (dropped), and
    /// where the first is, with the field's name.
    pub dropped_fields: (usize, Option<String>),
}

/// Counts one more case in `tally`, remembering `first()` when it is the first.
fn count_case(tally: &mut (usize, Option<String>), first: impl FnOnce() -> String) {
    tally.0 += 1;
    tally.1.get_or_insert_with(first);
}

/// One document of a batch as the pool parsed and sketched it, or why it was skipped.
type ParsedDoc = std::result::Result<SketchedDoc, Problem>;

/// What the pool makes of one document, for registration in input order.
struct SketchedDoc {
    id: String,
    /// Whether the input gave the id (else it is the line number).
    id_given: bool,
    /// Whether an id field was there but unusable (null, empty, an object or an array).
    id_unusable: bool,
    /// A metadata field left out for holding an object or an array.
    dropped_field: Option<String>,
    meta: Meta,
    location: Location,
    line: u64,
    /// The text's length in bytes, and its hash.
    bytes: u32,
    text_hash: u64,
    /// Its feature count (shingles, or story features when more).
    features: usize,
    sketch: Sketch,
    /// Sampled shingles (`--wrapped` only).
    samples: Vec<u64>,
}

/// A parsed batch waiting to be registered, in input order.
struct Parsed {
    docs: Vec<ParsedDoc>,
    problems: Vec<Problem>,
    sidecars: Vec<String>,
    /// The input bytes the batch held.
    raw_bytes: usize,
}

impl Pipeline {
    pub fn new(config: Config) -> Self {
        let shingler = Shingler::new(config.ngram, SHINGLE_SEED);
        let hasher = MinHasher::new(config.num_perm, MINHASH_SEED);
        let verifier = Verifier { threshold: config.threshold, containment: config.containment };
        Pipeline { config, shingler, hasher, story: StoryFeaturizer::default(), verifier }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The story feature extractor (the same for every run).
    pub fn story(&self) -> &StoryFeaturizer {
        &self.story
    }

    /// The copy-level thresholds.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The sorted, distinct word n-gram shingles of a text.
    pub fn shingles(&self, text: &str) -> Vec<u64> {
        let mut s = Scratch::default();
        self.shingles_into(text, &mut s);
        s.features
    }

    fn shingles_into(&self, text: &str, s: &mut Scratch) {
        self.shingler.shingles_into(text, &mut s.shingle, &mut s.features);
    }

    /// The read stage's work on one text: its feature count, its sketch and (with
    /// [`Config::wrapped`]) its sampled shingles, repeats included.
    fn sketch(&self, text: &str, s: &mut Scratch) -> (usize, (Sketch, Vec<u64>)) {
        // Signing ignores repeats: no need to sort the shingles here.
        self.shingler.hashes_into(text, &mut s.shingle, &mut s.features);
        let sig = self.hasher.sign(&s.features);
        let mut keys = Vec::with_capacity(self.config.lsh.bands);
        self.config.lsh.band_keys(&sig, &mut keys);
        let mut samples = Vec::new();
        if self.config.wrapped {
            samples.extend(shingle::samples_of(&s.features));
        }
        match self.config.level {
            Level::Copy => (s.features.len(), (Sketch::Keys(keys), samples)),
            Level::Story => {
                let (hashes, sketch) = self.story.with_features(text, |features| {
                    (features.iter().map(|f| f.hash).collect::<Vec<u64>>(), self.story_sketch(features))
                });
                (hashes.len().max(s.features.len()), (Sketch::Story { keys, features: hashes, sketch }, samples))
            }
        }
    }

    /// Runs every stage over `inputs`.
    pub fn scan(&self, inputs: &mut Inputs, observer: &dyn Observer) -> Result<ScanOutput> {
        let Signed { docs, keys, spilled, sketches, samples, eligible, df, problems, mut stats } =
            self.read_with(inputs, observer, true)?;

        observer.stage("candidates");
        let started = Instant::now();
        let mut copy_candidates: Vec<Candidate> = Vec::new();
        let (cands, cstats) = match self.config.level {
            Level::Copy => self.copy_candidates(&keys, spilled.as_ref(), &eligible, samples)?,
            Level::Story => {
                let min_dot = (self.config.story.floor * story::SKETCH_VOTE) as f32;
                // Each is parallel inside, but neither keeps both cores busy throughout.
                let ((c, mut s), copies) = rayon::join(
                    || lsh::weighted_candidates(&sketches, min_dot, self.config.story.max_bucket),
                    || self.copy_candidates(&keys, spilled.as_ref(), &eligible, samples),
                );
                let (copies, cs) = copies?;
                stats.story_oversized = s.oversized_buckets;
                let c = lsh::union(&c, &copies);
                s.pairs = c.len();
                s.oversized_buckets = cs.oversized_buckets;
                (s.wrapped_pairs, s.wrapped_oversized) = (cs.wrapped_pairs, cs.wrapped_oversized);
                copy_candidates = copies;
                (c, s)
            }
        };
        drop(keys);
        drop(spilled);
        drop(sketches);
        stats.candidates = cstats;
        stats.timings.push(("candidates", started.elapsed()));

        observer.stage("verify");
        let started = Instant::now();
        let cands = self.within_window(&docs, cands, &mut stats);
        let dates: Vec<Option<i64>> = docs.iter().map(|d| d.date).collect();
        let window = cluster::Window { dates: &dates, seconds: self.config.window };
        let mut out = ScanOutput { docs, pairs: Vec::new(), clusters: Vec::new(), problems, stats, df };
        let (pairs, clusters) = match self.config.level {
            Level::Copy => {
                let (verified, reads) = self.per_pair(
                    inputs,
                    &out.docs,
                    &cands,
                    &|_, text, s| self.shingle_set(text, s),
                    &|d| out.docs[d as usize].features as usize,
                    &|c, a, b| self.verifier.verify(c, a, b),
                )?;
                out.stats.reread_docs = reads;
                let pairs: Vec<Scored> = verified.into_iter().flatten().collect();
                out.stats.timings.push(("verify", started.elapsed()));
                observer.stage("cluster");
                let started = Instant::now();
                let groups = cluster::components(out.docs.len(), &pairs, &window);
                let clusters = self.name_originals(inputs, &out.docs, groups, &pairs, &Weighting { docs: 0 }, &out)?;
                out.stats.timings.push(("cluster", started.elapsed()));
                (pairs, clusters)
            }
            Level::Story => {
                // Cosine on the candidates' weighted vectors; the copy-level figures only for the
                // pairs that are linked: similar enough, or a copy-level candidate (every copy is:
                // it shares nearly all features). The documents of copy-level candidates get their
                // shingles made in the same reading as their vectors; a pair linked by its story
                // alone whose documents lack them is read again for them.
                let weighting = self.weighting(out.docs.len(), &out.df);
                let floor = self.config.story.floor;
                let mut copy_doc = vec![false; out.docs.len()];
                for c in &copy_candidates {
                    copy_doc[c.a as usize] = true;
                    copy_doc[c.b as usize] = true;
                }
                let copy_candidate = |c: &Candidate| copy_candidates.binary_search(c).is_ok();
                let features = |d: u32| out.docs[d as usize].features as usize;
                let (first, reads) = self.per_pair(
                    inputs,
                    &out.docs,
                    &cands,
                    &|d, text, s| {
                        let vector = self.story_vector(text, &weighting, &out, s);
                        (vector, copy_doc[d as usize].then(|| self.shingle_set(text, s)))
                    },
                    &|d| features(d) * (1 + usize::from(copy_doc[d as usize])),
                    &|c, (va, sa), (vb, sb)| {
                        let sim = story::cosine(va, vb);
                        let linked = sim >= floor || copy_candidate(&c);
                        let overlap = match (sa, sb) {
                            (Some(a), Some(b)) if linked => Some(Overlap::of(a, b)),
                            _ => None,
                        };
                        (sim, linked, overlap)
                    },
                )?;
                let unread: Vec<Candidate> = cands
                    .iter()
                    .zip(&first)
                    .filter(|(_, (_, linked, overlap))| *linked && overlap.is_none())
                    .map(|(&c, _)| c)
                    .collect();
                let (more, more_reads) = self.per_pair(
                    inputs,
                    &out.docs,
                    &unread,
                    &|_, text, s| self.shingle_set(text, s),
                    &features,
                    &|_, a, b| Overlap::of(a, b),
                )?;
                out.stats.reread_docs = reads + more_reads;
                let mut more = more.into_iter();
                let linked: Vec<(Candidate, f64, Overlap)> = cands
                    .iter()
                    .zip(first)
                    .filter(|(_, (_, linked, _))| *linked)
                    .map(|(&c, (sim, _, overlap))| {
                        (c, sim, overlap.unwrap_or_else(|| more.next().expect("one overlap per pair read again")))
                    })
                    .collect();
                let scored: Vec<(Scored, bool)> = linked
                    .into_iter()
                    .filter_map(|(c, sim, overlap)| {
                        let copy = self.verifier.is_copy(&overlap);
                        let relation = relation_of(&overlap, copy);
                        (copy || sim >= floor).then(|| {
                            (Scored { a: c.a, b: c.b, relation, score: sim, overlap, evidence: Vec::new() }, copy)
                        })
                    })
                    .collect();
                out.stats.timings.push(("verify", started.elapsed()));
                observer.stage("cluster");
                let started = Instant::now();
                let edges: Vec<Edge> =
                    scored.iter().map(|(p, _)| Edge { a: p.a, b: p.b, similarity: p.score }).collect();
                let must: Vec<(u32, u32)> = scored.iter().filter(|(_, copy)| *copy).map(|(p, _)| (p.a, p.b)).collect();
                let s = self.config.story;
                let groups = cluster::story_clusters(out.docs.len(), &edges, &must, s.neighbors, s.link, &window);
                // Report the pairs inside a cluster, and every verbatim copy.
                let group_of = group_index(out.docs.len(), &groups);
                let pairs: Vec<Scored> = scored
                    .into_iter()
                    .filter(|(p, copy)| *copy || same_group(&group_of, p).is_some())
                    .map(|(p, _)| p)
                    .collect();
                let clusters = self.name_originals(inputs, &out.docs, groups, &pairs, &weighting, &out)?;
                out.stats.timings.push(("cluster", started.elapsed()));
                (pairs, clusters)
            }
        };
        out.stats.pairs = pairs.len();
        out.stats.clusters = clusters.len();
        out.stats.docs_in_clusters = clusters.iter().map(|c| c.members.len()).sum();
        out.pairs = orient_and_sort(&out.docs, pairs);
        out.clusters = clusters;
        if self.config.evidence {
            observer.stage("evidence");
            let started = Instant::now();
            let evidence: Vec<Vec<Aligned>> =
                out.pairs.par_iter().map(|p| self.evidence(inputs, &out, p.a, p.b, 5)).collect::<Result<_>>()?;
            for (p, e) in out.pairs.iter_mut().zip(evidence) {
                p.evidence = e;
            }
            out.stats.timings.push(("evidence", started.elapsed()));
        }
        Ok(out)
    }

    /// Stage 1: read, parse and sketch every document; register ids (a repeated id is a problem,
    /// the first is kept); count story features. What it returns is what candidate generation
    /// needs, and what an index stores.
    ///
    /// All band keys stay in memory ([`Signed::keys`]), whatever [`Config::memory_limit`] says.
    pub fn read(&self, inputs: &mut Inputs, observer: &dyn Observer) -> Result<Signed> {
        self.read_with(inputs, observer, false)
    }

    /// [`Pipeline::read`]; with `may_spill` and a [`Config::memory_limit`], band keys beyond
    /// [`Config::key_budget`] are spilled to disk as sorted runs ([`Signed::spilled`]).
    fn read_with(&self, inputs: &mut Inputs, observer: &dyn Observer, may_spill: bool) -> Result<Signed> {
        let bands = self.config.lsh.bands;
        let key_budget = self.config.key_budget().filter(|_| may_spill);
        let mut r = Signed {
            stats: Stats {
                sources: inputs.source_count(),
                ignored_files: inputs.ignored_files.clone(),
                ..Stats::default()
            },
            ..Signed::default()
        };
        let report = |p: Problem, problems: &mut Vec<Problem>| -> Result<()> {
            observer.problem(&p);
            if self.config.strict {
                return Err(Error::Strict(p));
            }
            problems.push(p);
            Ok(())
        };
        for p in inputs.listing_problems.clone() {
            report(p, &mut r.problems)?;
        }
        if let Some(budget) = key_budget {
            // Never grown past the budget (a doubling Vec would overshoot it by up to 2x).
            r.keys.reserve_exact(budget / 8 + bands);
        }
        observer.stage("read");
        let started = Instant::now();
        // Documents registered so far, by id: their numbers, hashed by the id they hold (no second
        // copy of every id).
        let mut seen: hashbrown::HashTable<u32> = hashbrown::HashTable::new();
        let id_hasher = ahash::RandomState::with_seeds(1, 2, 3, 4);
        let mut failure: Option<Error> = None;
        // Texts whose story features were counted: an exact copy of one is not counted again,
        // so that document frequencies count distinct texts (a story republished verbatim does
        // not make its own words common, nor every one of them "held by another document").
        let mut counted_texts: ahash::AHashSet<u64> = ahash::AHashSet::new();
        // Document frequencies: each document's features are staged (and freed) as it is
        // registered, and counted every STAGED_FEATURES, at the end of a batch. Like the rest of
        // registering, that overlaps the parsing of the next batch.
        let mut df = story::DocFrequencies::default();
        // A batch's documents are registered in order on one thread (ids, problems, keys) while
        // the pool parses and sketches the next batch: `pending` is the batch parsed last.
        let mut pending: Option<Parsed> = None;
        // What grows with the documents is reserved once, from the first batch's documents per
        // input byte: growing by doubling would copy it and touch up to twice its memory (fresh
        // pages are slow to come by). Reserving more than is used costs address space only,
        // and a reservation that fails (an estimate beyond what the system allows) is skipped.
        let mut plain_bytes = inputs.plain_bytes();
        let mut register = |parsed: Parsed, inputs: &Inputs| -> Result<()> {
            if let Some(docs) =
                plain_bytes.take().and_then(|total| expected_docs(total, parsed.docs.len(), parsed.raw_bytes))
            {
                if key_budget.is_none() {
                    let _ = r.keys.try_reserve_exact(docs.saturating_mul(bands));
                }
                let _ = r.docs.try_reserve_exact(docs);
                let _ = r.eligible.try_reserve_exact(docs);
            }
            let handle = || -> Result<()> {
                for p in parsed.problems {
                    report(p, &mut r.problems)?;
                }
                for name in parsed.sidecars {
                    count_case(&mut r.stats.notes.sidecar_files, || name);
                }
                for item in parsed.docs {
                    let SketchedDoc {
                        id,
                        id_given,
                        id_unusable,
                        dropped_field,
                        meta,
                        location,
                        line,
                        bytes,
                        text_hash,
                        features,
                        sketch,
                        samples,
                    } = match item {
                        Ok(x) => x,
                        Err(p) => {
                            report(p, &mut r.problems)?;
                            continue;
                        }
                    };
                    let id_hash = id_hasher.hash_one(&id);
                    if let Some(&first) = seen.find(id_hash, |&d| r.docs[d as usize].id == id) {
                        let first = where_is(inputs, &r.docs[first as usize]);
                        let kind = ProblemKind::DuplicateId { id, first };
                        let file = inputs.source_name(location).to_string();
                        report(Problem { file, line: (line > 0).then_some(line), kind }, &mut r.problems)?;
                        continue;
                    }
                    let date = meta.date.as_deref().and_then(|d| {
                        let parsed = parse_date(d);
                        if parsed.is_none() {
                            count_case(&mut r.stats.unreadable_dates, || d.to_string());
                        }
                        parsed
                    });
                    let at = || format!("{}:{line}", inputs.source_name(location));
                    if let Some(field) = dropped_field {
                        count_case(&mut r.stats.notes.dropped_fields, || format!("{}, {field:?}", at()));
                    }
                    if id_unusable {
                        count_case(&mut r.stats.notes.unusable_ids, at);
                    }
                    r.stats.bytes += bytes as u64;
                    if features == 0 {
                        r.stats.docs_without_words += 1;
                    }
                    r.eligible.push(features > 0);
                    if self.config.wrapped {
                        r.samples.push(samples);
                    }
                    match sketch {
                        Sketch::Keys(k) => r.keys.extend_from_slice(&k),
                        Sketch::Story { keys, features, sketch } => {
                            r.keys.extend_from_slice(&keys);
                            if counted_texts.insert(text_hash) {
                                if df.staged() == 0 {
                                    // A batch more than the threshold may be staged before a
                                    // flush. Reserving what is reserved already does nothing.
                                    df.reserve_staged(STAGED_FEATURES + STAGED_FEATURES / 4);
                                }
                                df.stage(&[features]);
                            }
                            r.sketches.push(&sketch);
                        }
                    }
                    r.docs.push(Doc {
                        id,
                        id_given,
                        meta: Doc::boxed_meta(meta),
                        location,
                        line,
                        bytes,
                        features: features as u32,
                        date,
                        text_hash,
                    });
                    let docs = &r.docs;
                    seen.insert_unique(id_hash, (docs.len() - 1) as u32, |&d| id_hasher.hash_one(&docs[d as usize].id));
                    if key_budget.is_some_and(|budget| r.keys.len() * 8 >= budget) {
                        r.spill(bands)?;
                    }
                }
                observer.progress(r.docs.len(), r.stats.bytes);
                Ok(())
            };
            let done = handle();
            if df.staged() >= STAGED_FEATURES {
                df.flush();
            }
            done
        };
        let read = inputs.read_batches(|inputs, batch| {
            if failure.is_some() {
                return;
            }
            let parse = || -> Vec<ParsedDoc> {
                batch
                    .units
                    .par_iter()
                    .map_init(Scratch::default, |s, unit| {
                        let record = inputs.parse(batch, unit)?;
                        let (features, (sketch, samples)) = self.sketch(&record.text, s);
                        Ok(SketchedDoc {
                            bytes: record.text.len() as u32,
                            text_hash: xxhash_rust::xxh3::xxh3_64_with_seed(record.text.as_bytes(), TEXT_SEED),
                            id: record.id,
                            id_given: record.id_given,
                            id_unusable: record.id_unusable,
                            dropped_field: record.dropped_field,
                            meta: record.meta,
                            location: record.location,
                            line: record.line,
                            features,
                            sketch,
                            samples,
                        })
                    })
                    .collect()
            };
            let previous = pending.take();
            let (docs, registered) = rayon::join(parse, || previous.map_or(Ok(()), |parsed| register(parsed, inputs)));
            match registered {
                Ok(()) => {
                    let (problems, sidecars) = (batch.problems.clone(), batch.sidecars.clone());
                    pending = Some(Parsed { docs, problems, sidecars, raw_bytes: batch.raw_bytes() });
                }
                Err(e) => failure = Some(e),
            }
        });
        if let (Some(parsed), None) = (pending.take(), &failure) {
            if let Err(e) = register(parsed, inputs) {
                failure = Some(e);
            }
        }
        df.shrink_to_fit();
        r.df = df;
        r.df.texts = counted_texts.len();
        read?;
        if let Some(e) = failure {
            return Err(e);
        }
        if r.spilled.is_some() && !r.keys.is_empty() {
            r.spill(bands)?;
        }
        r.stats.spilled_runs = r.spilled.as_ref().map_or(0, |s| s.runs());
        r.stats.docs = r.docs.len();
        r.stats.sources -= r.stats.notes.sidecar_files.0;
        r.stats.timings.push(("read", started.elapsed()));
        Ok(r)
    }

    /// Candidate pairs of the copy-level band keys: from memory, or merged from the runs spilled
    /// to disk (the same pairs either way); with [`Config::wrapped`], and those of the sampled
    /// shingles (`samples`).
    fn copy_candidates(
        &self,
        keys: &[u64],
        spilled: Option<&SpilledKeys>,
        eligible: &[bool],
        samples: lsh::Samples,
    ) -> Result<(Vec<Candidate>, CandidateStats)> {
        let (banded, cstats) = match spilled {
            Some(runs) => runs.candidates(self.config.max_bucket)?,
            None => lsh::candidates(keys, self.config.lsh.bands, eligible, self.config.max_bucket),
        };
        if !self.config.wrapped {
            return Ok((banded, cstats));
        }
        Ok(lsh::add_contained(&banded, cstats, samples))
    }

    /// The story weights of a scan: its corpus is the distinct texts its frequencies counted
    /// (an exact copy adds nothing), or all `docs` when none were counted (copy level).
    fn weighting(&self, docs: usize, df: &story::DocFrequencies) -> Weighting {
        Weighting { docs: if df.texts > 0 { df.texts } else { docs } }
    }

    /// A document's story sketch: its `config.story.sketch` heaviest word, name and number
    /// features, weighted by the background table alone, so that it is known as soon as the
    /// document is read.
    fn story_sketch(&self, features: &[story::Feature]) -> Sketched {
        story::background_sketch(features, self.config.story.sketch)
    }

    /// Drops candidates whose documents' dates are further apart than the window.
    pub(crate) fn within_window(&self, docs: &[Doc], cands: Vec<Candidate>, stats: &mut Stats) -> Vec<Candidate> {
        let Some(window) = self.config.window else { return cands };
        let before = cands.len();
        let kept: Vec<Candidate> = cands
            .into_iter()
            .filter(|c| match (docs[c.a as usize].date, docs[c.b as usize].date) {
                (Some(x), Some(y)) => (x - y).abs() <= window,
                _ => true,
            })
            .collect();
        stats.outside_window = before - kept.len();
        kept
    }

    /// The sorted, distinct shingles of a text.
    fn shingle_set(&self, text: &str, s: &mut Scratch) -> Vec<u64> {
        self.shingles_into(text, s);
        // A copy of exactly its size: the scratch keeps its buffer for the next text.
        s.features.clone()
    }

    /// The story vector of a text under the corpus weights, restricted to features other
    /// documents hold too (the only ones a cosine can use).
    fn story_vector(&self, text: &str, weighting: &Weighting, scan: &ScanOutput, s: &mut Scratch) -> Vector {
        self.story.with_features(text, |features| weighting.shared_vector(features, &scan.df, &mut s.weights))
    }

    /// `score(pair, item(a), item(b))` for every pair, in order, where `item(d, text)` is
    /// computed from document d's re-read text (`size(d)`: the values document d's item holds,
    /// as estimated by the caller from [`Doc::features`]). Also returns the number of document
    /// reads.
    ///
    /// Pairs are taken by connected component of the pair graph: small components, packed into
    /// chunks of at most [`CHUNK_DOCS`] documents whose items fit in a thread's share of
    /// [`Config::verify_block`], are each read, scored and dropped by one thread, so memory is
    /// reused from chunk to chunk and each document is read once. The pairs of larger
    /// components go through [`Pipeline::per_block`], whose blocks stay within
    /// [`Config::verify_block`] values. Chunks read their documents in no order the file has:
    /// when the texts may not all fit in the page cache ([`fits_in_memory`]), every pair goes
    /// by blocks, which read in file order.
    fn per_pair<T: Send + Sync, R: Send>(
        &self,
        inputs: &Inputs,
        docs: &[Doc],
        pairs: &[Candidate],
        item: &(dyn Fn(u32, &str, &mut Scratch) -> T + Sync),
        size: &(dyn Fn(u32) -> usize + Sync),
        score: &(dyn Fn(Candidate, &T, &T) -> R + Sync),
    ) -> Result<(Vec<R>, usize)> {
        let work = PairWork { item, size, score };
        if !fits_in_memory(docs.iter().map(|d| d.bytes as u64).sum()) {
            return self.per_block(inputs, docs, pairs, &work);
        }
        // Each thread holds one chunk: together they stay within the block's bound.
        let limit = self.config.verify_block / rayon::current_num_threads().max(1);
        let (chunks, large) = chunk_components(docs.len(), pairs, size, limit);
        // Each chunk's scores (by pair index) and the documents it read.
        let scored: Vec<(Vec<(u32, R)>, usize)> = chunks
            .par_iter()
            .map_init(Scratch::default, |s, chunk| -> Result<(Vec<(u32, R)>, usize)> {
                let mut which: Vec<u32> =
                    chunk.iter().flat_map(|&i| [pairs[i as usize].a, pairs[i as usize].b]).collect();
                which.sort_unstable();
                which.dedup();
                let items = which
                    .iter()
                    .map(|&d| Ok(item(d, &inputs.reread(docs[d as usize].location)?, s)))
                    .collect::<Result<Vec<T>>>()?;
                let get = |d: u32| &items[which.binary_search(&d).expect("every document of the chunk was read")];
                let scores = chunk
                    .iter()
                    .map(|&i| (i, score(pairs[i as usize], get(pairs[i as usize].a), get(pairs[i as usize].b))))
                    .collect();
                Ok((scores, which.len()))
            })
            .collect::<Result<_>>()?;
        let mut reads = 0;
        let mut out: Vec<Option<R>> = std::iter::repeat_with(|| None).take(pairs.len()).collect();
        for (scores, read) in scored {
            reads += read;
            for (i, r) in scores {
                out[i as usize] = Some(r);
            }
        }
        if !large.is_empty() {
            let rest: Vec<Candidate> = large.iter().map(|&i| pairs[i as usize]).collect();
            let (scores, more) = self.per_block(inputs, docs, &rest, &work)?;
            reads += more;
            for (&i, r) in large.iter().zip(scores) {
                out[i as usize] = Some(r);
            }
        }
        Ok((out.into_iter().map(|r| r.expect("every pair was scored")).collect(), reads))
    }

    /// [`Pipeline::per_pair`] in blocks of pairs, in order, whose documents' items stay within
    /// [`Config::verify_block`] values; a document with pairs in several blocks is read once per
    /// block.
    fn per_block<T: Send + Sync, R: Send>(
        &self,
        inputs: &Inputs,
        docs: &[Doc],
        pairs: &[Candidate],
        work: &PairWork<T, R>,
    ) -> Result<(Vec<R>, usize)> {
        let PairWork { item, size, score } = *work;
        let mut out: Vec<R> = Vec::with_capacity(pairs.len());
        let mut reads = 0;
        let mut block_of = vec![u32::MAX; docs.len()];
        let mut block = 0u32;
        let mut start = 0;
        while start < pairs.len() {
            // Grow the block while its documents' features fit (always at least one pair).
            let (mut end, mut held, mut which) = (start, 0usize, Vec::new());
            while end < pairs.len() {
                let c = pairs[end];
                // A pair's two documents differ, so each is new to the block or not on its own.
                let new = |d: u32| block_of[d as usize] != block;
                let extra: usize = [c.a, c.b].into_iter().filter(|&d| new(d)).map(|d| size(d).max(1)).sum();
                if end > start && held + extra > self.config.verify_block {
                    break;
                }
                for d in [c.a, c.b] {
                    if block_of[d as usize] != block {
                        block_of[d as usize] = block;
                        which.push(d);
                    }
                }
                held += extra;
                end += 1;
            }
            which.sort_unstable();
            reads += which.len();
            let items = self.reread_each(inputs, docs, which, item)?;
            let get = |d: u32| items.item(d).expect("every document of the block was read");
            out.par_extend(pairs[start..end].par_iter().map(|&c| score(c, get(c.a), get(c.b))));
            start = end;
            block += 1;
        }
        Ok((out, reads))
    }

    /// `f` applied to the text of each of `which` (sorted document indices), read again, in
    /// parallel.
    fn reread_each<T: Send>(
        &self,
        inputs: &Inputs,
        docs: &[Doc],
        which: Vec<u32>,
        f: &(dyn Fn(u32, &str, &mut Scratch) -> T + Sync),
    ) -> Result<Indexed<T>> {
        let items: Vec<T> = which
            .par_iter()
            .map_init(Scratch::default, |s, &d| Ok(f(d, &inputs.reread(docs[d as usize].location)?, s)))
            .collect::<Result<_>>()?;
        let mut slot = vec![u32::MAX; docs.len()];
        for (i, &d) in which.iter().enumerate() {
            slot[d as usize] = i as u32;
        }
        Ok(Indexed { slot, items })
    }

    /// Picks each group's original and scores every member against it (members' texts are
    /// read again, in blocks: see [`Pipeline::per_pair`]).
    fn name_originals(
        &self,
        inputs: &Inputs,
        docs: &[Doc],
        groups: Vec<Vec<u32>>,
        pairs: &[Scored],
        weighting: &Weighting,
        scan: &ScanOutput,
    ) -> Result<Vec<Cluster>> {
        let story = self.config.level == Level::Story;
        let wire = |d: u32| docs[d as usize].is_wire();
        let score = |against: &[Candidate]| -> Result<Vec<(f64, Relation)>> {
            let (scores, _) = self.per_pair(
                inputs,
                docs,
                against,
                &|_, text, s| {
                    let vector = if story { self.story_vector(text, weighting, scan, s) } else { Vector::new() };
                    (self.shingle_set(text, s), vector)
                },
                // Shingles, and at story level a vector too.
                &|d| docs[d as usize].features as usize * (1 + usize::from(story)),
                &|_, (sa, va), (sb, vb)| {
                    let overlap = Overlap::of(sa, sb);
                    if story {
                        (story::cosine(va, vb), relation_of(&overlap, self.verifier.is_copy(&overlap)))
                    } else {
                        (overlap.score(), Relation::of_overlap(&overlap))
                    }
                },
            )?;
            Ok(scores)
        };
        self.clusters_with_originals(docs, &wire, groups, pairs, &score)
    }

    /// Picks each group's original and scores every member against it: from the verified pair
    /// when there is one, else by `score` (given every such (original, member) pair at once, it
    /// returns their scores in order). Clusters sorted as [`cluster::sort_clusters`] says.
    pub(crate) fn clusters_with_originals(
        &self,
        docs: &[Doc],
        wire: &(dyn Fn(u32) -> bool + Sync),
        groups: Vec<Vec<u32>>,
        pairs: &[Scored],
        score: &ScoreAgainst,
    ) -> Result<Vec<Cluster>> {
        let group_of = group_index(docs.len(), &groups);
        let mut pairs_of: Vec<Vec<&Scored>> = vec![Vec::new(); groups.len()];
        for p in pairs {
            if let Some(g) = same_group(&group_of, p) {
                pairs_of[g as usize].push(p);
            }
        }
        let facts = |d: u32| {
            let doc = &docs[d as usize];
            Facts { id: &doc.id, date: doc.date, length: doc.features as usize, wire: wire(d) }
        };
        let originals: Vec<u32> = groups
            .par_iter()
            .zip(pairs_of.par_iter())
            .map(|(members, inner)| cluster::pick_original(members, inner, &facts, self.config.containment))
            .collect();
        let verified: ahash::AHashMap<(u32, u32), (f64, Relation)> =
            pairs.iter().map(|p| ((p.a.min(p.b), p.a.max(p.b)), (p.score, p.relation))).collect();
        let known = |o: u32, m: u32| verified.get(&(o.min(m), o.max(m))).copied();
        let against: Vec<Candidate> = groups
            .iter()
            .zip(&originals)
            .flat_map(|(members, &o)| members.iter().filter(move |&&m| m != o).map(move |&m| Candidate { a: o, b: m }))
            .filter(|c| known(c.a, c.b).is_none())
            .collect();
        let scores = score(&against)?;
        let mut scores = scores.into_iter();
        let mut clusters: Vec<Cluster> = groups
            .into_iter()
            .zip(originals)
            .map(|(members, original)| {
                let members = members
                    .into_iter()
                    .map(|m| {
                        if m == original {
                            return Member { doc: m, score: 1.0, relation: None };
                        }
                        let (score, relation) = known(original, m)
                            .unwrap_or_else(|| scores.next().expect("one score per unverified member"));
                        Member { doc: m, score, relation: Some(relation) }
                    })
                    .collect();
                Cluster { original, members }
            })
            .collect();
        cluster::sort_clusters(&mut clusters, &|d| docs[d as usize].id.clone());
        Ok(clusters)
    }

    /// Up to `max` aligned sentence pairs of documents `a` and `b`, quoted from their
    /// original texts, sentences weighted by rarity (story weights).
    pub fn evidence(&self, inputs: &Inputs, scan: &ScanOutput, a: u32, b: u32, max: usize) -> Result<Vec<Aligned>> {
        let ta = inputs.reread(scan.docs[a as usize].location)?;
        let tb = inputs.reread(scan.docs[b as usize].location)?;
        let weighting = self.weighting(scan.docs.len(), &scan.df);
        let keys = |s: &str| self.story.sentence_keys(s);
        // Features never counted (copy level) weigh by the background alone.
        let weight = |h: u64| weighting.rarity(scan.df(h), 0.01);
        Ok(evidence::align(&ta, &tb, &keys, &weight, max, 0.2))
    }
}

/// Copy-level relation, or `Rewrite` when the texts are not copies.
pub(crate) fn relation_of(overlap: &Overlap, copy: bool) -> Relation {
    if copy {
        Relation::of_overlap(overlap)
    } else {
        Relation::Rewrite
    }
}

/// Scores (original, member) pairs, in order: how clusters get their members' scores.
pub(crate) type ScoreAgainst<'a> = dyn Fn(&[Candidate]) -> Result<Vec<(f64, Relation)>> + 'a;

/// The read stage's result: every document read, signed, in input order.
#[derive(Default)]
pub struct Signed {
    pub docs: Vec<Doc>,
    /// `keys[d * bands + i]`: band `i`'s key of document `d`'s copy-level signature. Empty when
    /// the keys were spilled (see `spilled`).
    pub keys: Vec<u64>,
    /// Set when the band keys outgrew the memory limit: every document's keys, as sorted runs in a
    /// temporary folder (only a scan spills; [`Pipeline::read`] never does).
    pub spilled: Option<SpilledKeys>,
    /// Story level: each document's sketch (empty at copy level).
    pub sketches: story::Sketches,
    /// With [`Config::wrapped`]: each document's sampled shingles, else empty.
    pub samples: lsh::Samples,
    /// Documents with at least one feature (the others cannot match anything).
    pub eligible: Vec<bool>,
    /// Story level: document frequencies of story features.
    pub df: story::DocFrequencies,
    pub problems: Vec<Problem>,
    pub stats: Stats,
}

impl Signed {
    /// Moves the keys held in memory (those of the documents after the last run) to a new run.
    fn spill(&mut self, bands: usize) -> Result<()> {
        if self.spilled.is_none() {
            self.spilled = Some(SpilledKeys::new(bands)?);
        }
        let spilled = self.spilled.as_mut().expect("just set");
        spilled.spill(&self.keys, &self.eligible[spilled.docs()..])?;
        self.keys.clear();
        Ok(())
    }
}

/// The closures of [`Pipeline::per_pair`], for [`Pipeline::per_block`].
struct PairWork<'a, T, R> {
    item: &'a (dyn Fn(u32, &str, &mut Scratch) -> T + Sync),
    size: &'a (dyn Fn(u32) -> usize + Sync),
    score: &'a (dyn Fn(Candidate, &T, &T) -> R + Sync),
}

impl<T, R> Clone for PairWork<'_, T, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, R> Copy for PairWork<'_, T, R> {}

/// Whether documents of `text_bytes` in all can be re-read in any order at memory speed: their
/// files (taken as a quarter larger, for JSON's keys and escapes) are at most half the memory
/// the system has available (`MemAvailable`, which counts the page cache). `false` where that
/// is not known (no `/proc/meminfo`).
fn fits_in_memory(text_bytes: u64) -> bool {
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|info| {
        let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    });
    available.is_some_and(|a| text_bytes.saturating_add(text_bytes / 4) <= a / 2)
}

/// The documents to expect in `total` input bytes when `first` bytes held `docs`: a tenth
/// more than in proportion, and never more than one per 16 bytes. `None` for an empty sample.
fn expected_docs(total: u64, docs: usize, first: usize) -> Option<usize> {
    if first == 0 {
        return None;
    }
    let estimate = total as f64 * docs as f64 / first as f64 * 1.1;
    Some((estimate as u64).min(total / 16) as usize)
}

/// Documents in a chunk of verification: components of the pair graph up to this size are
/// read and scored by one thread; larger ones go by blocks.
const CHUNK_DOCS: usize = 256;

/// The pairs (indices into `pairs`) grouped by connected component of the graph they make over
/// `n` documents: components of at most [`CHUNK_DOCS`] documents and `limit` values (document
/// d's item holding `size(d)`, at least 1) packed into chunks within both bounds, in the order
/// of their smallest documents; and the pairs of larger components, in order.
fn chunk_components(
    n: usize,
    pairs: &[Candidate],
    size: &(dyn Fn(u32) -> usize + Sync),
    limit: usize,
) -> (Vec<Vec<u32>>, Vec<u32>) {
    let mut components = cluster::UnionFind::new(n);
    for c in pairs {
        components.union(c.a, c.b);
    }
    // Per component (at its root): documents, values, and its smallest document; each document
    // counted once.
    let mut docs_of = vec![0u32; n];
    let mut values_of = vec![0usize; n];
    let mut first_of = vec![u32::MAX; n];
    let mut counted = vec![false; n];
    let mut root_of = Vec::with_capacity(pairs.len());
    for c in pairs {
        let r = components.find(c.a) as usize;
        root_of.push(r as u32);
        for d in [c.a, c.b] {
            if !std::mem::replace(&mut counted[d as usize], true) {
                docs_of[r] += 1;
                values_of[r] += size(d).max(1);
                first_of[r] = first_of[r].min(d);
            }
        }
    }
    // Pairs by component (their smallest documents'), then by index.
    let mut order: Vec<u32> = (0..pairs.len() as u32).collect();
    order.sort_by_key(|&i| (first_of[root_of[i as usize] as usize], i));
    let (mut chunks, mut large) = (Vec::new(), Vec::new());
    let (mut chunk, mut held, mut values) = (Vec::new(), 0, 0);
    for group in order.chunk_by(|&x, &y| root_of[x as usize] == root_of[y as usize]) {
        let root = root_of[group[0] as usize] as usize;
        let (d, v) = (docs_of[root] as usize, values_of[root]);
        if d > CHUNK_DOCS || v > limit {
            large.extend_from_slice(group);
            continue;
        }
        if held + d > CHUNK_DOCS || values + v > limit {
            chunks.push(std::mem::take(&mut chunk));
            (held, values) = (0, 0);
        }
        chunk.extend_from_slice(group);
        held += d;
        values += v;
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    large.sort_unstable();
    (chunks, large)
}

/// Values computed for some documents, looked up by document index.
struct Indexed<T> {
    slot: Vec<u32>,
    items: Vec<T>,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed { slot: Vec::new(), items: Vec::new() }
    }
}

impl<T> Indexed<T> {
    /// The value of `doc`, if it was computed.
    fn item(&self, doc: u32) -> Option<&T> {
        match self.slot.get(doc as usize) {
            Some(&i) if i != u32::MAX => Some(&self.items[i as usize]),
            _ => None,
        }
    }
}

/// For each document, the index of the group holding it (`u32::MAX`: none).
fn group_index(docs: usize, groups: &[Vec<u32>]) -> Vec<u32> {
    let mut group_of = vec![u32::MAX; docs];
    for (g, members) in groups.iter().enumerate() {
        members.iter().for_each(|&d| group_of[d as usize] = g as u32);
    }
    group_of
}

/// The group both documents of `pair` are in, if they share one.
fn same_group(group_of: &[u32], pair: &Scored) -> Option<u32> {
    let g = group_of[pair.a as usize];
    (g != u32::MAX && g == group_of[pair.b as usize]).then_some(g)
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

/// Pairs with `id(a) < id(b)` (containments and evidence swapped along), sorted by ids.
pub(crate) fn orient_and_sort(docs: &[Doc], mut pairs: Vec<Scored>) -> Vec<Scored> {
    for p in pairs.iter_mut() {
        if docs[p.a as usize].id > docs[p.b as usize].id {
            std::mem::swap(&mut p.a, &mut p.b);
            std::mem::swap(&mut p.overlap.a_in_b, &mut p.overlap.b_in_a);
            for e in p.evidence.iter_mut() {
                std::mem::swap(&mut e.a, &mut e.b);
            }
        }
    }
    pairs.par_sort_unstable_by(|x, y| {
        (&docs[x.a as usize].id, &docs[x.b as usize].id).cmp(&(&docs[y.a as usize].id, &docs[y.b as usize].id))
    });
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: u32, b: u32) -> Candidate {
        Candidate { a, b }
    }

    #[test]
    fn only_texts_well_within_the_available_memory_fit() {
        // No Linux here: nothing is known to fit, and blocks are the safe way.
        let known = std::path::Path::new("/proc/meminfo").exists();
        assert_eq!(fits_in_memory(1 << 20), known);
        assert!(!fits_in_memory(u64::MAX / 2));
    }

    #[test]
    fn expected_documents_follow_the_first_batch() {
        // 3,000 documents in 8 MB of a 280 MB input: 105,000, and a tenth more.
        assert_eq!(expected_docs(280_000_000, 3_000, 8_000_000), Some(115_500));
        // Tiny documents first: never more than one per 16 bytes of the input.
        assert_eq!(expected_docs(1_600, 1_000, 100), Some(100));
        assert_eq!(expected_docs(1_000, 0, 0), None);
        assert_eq!(expected_docs(1_000, 0, 500), Some(0));
    }

    /// Every pair once; each chunk's components whole and within both bounds; the pairs of the
    /// components over a bound left to blocks, in order.
    #[test]
    fn components_are_chunked_whole_and_within_bounds() {
        // Components: {0,1,2} (3 pairs), {3,4}, {350,351}, {6,7,8,...} (a chain of 300 documents).
        let mut pairs = vec![pair(0, 1), pair(3, 4), pair(1, 2), pair(351, 350), pair(0, 2)];
        pairs.extend((0..299).map(|i| pair(6 + i, 7 + i)));
        let n = 400;
        let size = |d: u32| if d == 350 { 50 } else { 10 };
        let (chunks, large) = chunk_components(n, &pairs, &size, 60);
        let mut seen: Vec<u32> = chunks.iter().flatten().chain(&large).copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..pairs.len() as u32).collect::<Vec<_>>());
        // The chain exceeds CHUNK_DOCS documents; {350,351} (60 values) fits alone.
        assert_eq!(large, (5..pairs.len() as u32).collect::<Vec<_>>());
        let docs = |c: &Vec<u32>| {
            let mut d: Vec<u32> = c.iter().flat_map(|&i| [pairs[i as usize].a, pairs[i as usize].b]).collect();
            d.sort_unstable();
            d.dedup();
            d
        };
        let chunk_docs: Vec<Vec<u32>> = chunks.iter().map(docs).collect();
        // {0,1,2} and {3,4} share a chunk (50 values); {350,351} (60) needs its own.
        assert_eq!(chunk_docs, vec![vec![0, 1, 2, 3, 4], vec![350, 351]]);
        // Within a chunk, pairs by component (smallest document first), then in order.
        assert_eq!(chunks[0], vec![0, 2, 4, 1]);
        // A bound too small for any component sends every pair to blocks.
        let (chunks, large) = chunk_components(n, &pairs, &size, 5);
        assert!(chunks.is_empty());
        assert_eq!(large.len(), pairs.len());
    }
}
