//! Segments: one batch of indexed documents. Built in memory ([`SegmentData`]) from what the
//! read stage signed, written once, never modified; read back ([`Segment`]) without decoding its
//! large parts: lookups binary-search its sorted columns in place.
//!
//! Sections (ids in brackets):
//!
//! - files \[2\]: count, then per file its path, size, whether each document is the whole file,
//!   and the JSON text field it is read with;
//! - docs \[3\]: one fixed [`DOC_LEN`]-byte record per document: where its metadata starts, byte
//!   offset and length of its text in its file, xxh3 of its text, date, file, line, text length
//!   and feature count;
//! - meta \[4\]: per document its id, title, date, source and url (length-prefixed strings);
//! - bands \[5\]: bands, entries; then per band, sorted by key, a column of 32-bit band keys and a
//!   column of documents (the documents with at least one shingle);
//! - sketch \[6\]: entries, then columns sorted by (feature, document): the top 32 bits of story
//!   feature hashes, documents, weights (u16, of 65535);
//! - df \[7\]: entries, then columns sorted by feature: story feature hashes (u64) held by two or
//!   more of this segment's documents, and their counts;
//! - samples \[8\] (only in an index built with `--wrapped`): documents (u32), entries (u64), each
//!   document's count of distinct samples (u32), then columns sorted by (sample, document): the
//!   top 32 bits of sampled shingles ([`crate::shingle::sampled`]) and documents;
//! - seen \[9\] (absent from indexes written before 2026-12-05, which then know only the
//!   features held twice): Bloom filters of the story features this segment's documents hold
//!   ([`crate::story::SeenFilter`]; one per segment merged into it): sets (u32), then per set its
//!   parts (u32) and per part its shard and 64-bit words (u32 each), then every part's words.
//!   A feature's count in the segment is its df entry, or else the number of sets holding it.
//!
//! Band keys, sketch features and samples keep their top 32 bits: a false match of two different keys
//! only adds a candidate, which exact verification then rejects; the index is half the size.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::{Error, IndexError};
use crate::input::{Inputs, Location, Meta};
use crate::pipeline::Signed;
use crate::story::{bloom_part_contains, frequency_shard, SeenFilter, SeenPart};

use super::format::{self, u32_at, u32_le, u64_at, u64_le, Cursor, Kind, Params};
use super::SAVE_IT;

pub const SECTION_INFO: u32 = 1;
pub const SECTION_FILES: u32 = 2;
pub const SECTION_DOCS: u32 = 3;
pub const SECTION_META: u32 = 4;
pub const SECTION_BANDS: u32 = 5;
pub const SECTION_SKETCH: u32 = 6;
pub const SECTION_DF: u32 = 7;
pub const SECTION_SAMPLES: u32 = 8;
pub const SECTION_SEEN: u32 = 9;

/// Section names for messages.
pub fn section_name(id: u32) -> &'static str {
    match id {
        SECTION_INFO => "info",
        SECTION_FILES => "files",
        SECTION_DOCS => "docs",
        SECTION_META => "meta",
        SECTION_BANDS => "bands",
        SECTION_SKETCH => "sketch",
        SECTION_DF => "df",
        SECTION_SAMPLES => "samples",
        SECTION_SEEN => "seen",
        _ => "unknown",
    }
}

/// Bytes of one document record.
pub const DOC_LEN: usize = 52;

/// A file the indexed texts are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Absolute path (a spooled copy, for an index that lives only in memory).
    pub path: PathBuf,
    /// Size when indexed, for messages when it changed.
    pub size: u64,
    /// Each document is the whole file (a text file), not a JSON object at a byte range.
    pub whole: bool,
    /// The JSON field holding the text.
    pub text_field: String,
}

/// One indexed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocEntry {
    pub id: String,
    pub meta: Meta,
    /// Index into the segment's files.
    pub file: u32,
    /// Line in its file (0 for a whole text file).
    pub line: u32,
    /// Byte range of its JSON object (offset 0 and the file size for a whole file).
    pub offset: u64,
    pub len: u32,
    /// xxh3 of the text as read ([`crate::config::TEXT_SEED`]).
    pub text_hash: u64,
    /// Text length in bytes.
    pub bytes: u32,
    /// Distinct features (shingles or story features).
    pub features: u32,
    pub date: Option<i64>,
}

/// A segment in memory, as built or merged, ready to be written.
#[derive(Debug, Default, Clone)]
pub struct SegmentData {
    pub files: Vec<FileEntry>,
    pub docs: Vec<DocEntry>,
    /// Per band, (key, document) sorted.
    pub bands: Vec<Vec<(u32, u32)>>,
    /// (feature, document, weight) sorted.
    pub sketch: Vec<(u32, u32, u16)>,
    /// (feature, documents holding it) sorted, counts >= 2.
    pub df: Vec<(u64, u32)>,
    /// (cut sample, document) sorted; empty unless the index keeps samples.
    pub samples: Vec<(u32, u32)>,
    /// Distinct samples per document (one per document when the index keeps samples, else none).
    pub sample_sizes: Vec<u32>,
    /// The story features seen, one filter per segment built (a merged segment keeps each
    /// part's); with `df`, a feature held by one document is told from one held by none.
    pub seen: Vec<SeenFilter>,
}

pub use crate::hash::short;

/// How an index names the file a document lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paths<'a> {
    /// The user's own files, absolute, or for an input read through a spool (stdin, compressed,
    /// Parquet) the index's own copy of the spool, from `copies` by source: the index outlives
    /// the run.
    Persistent { copies: &'a ahash::AHashMap<u32, PathBuf> },
    /// Wherever the run can re-read them (spooled copies included): the index dies with the run.
    InMemory,
}

impl SegmentData {
    /// A segment of every document `signed` holds. `bands`: bands of the copy signature;
    /// `sketch`: story features kept per document (0: none); sampled shingles when `signed`
    /// holds them (a pipeline with [`crate::config::Config::wrapped`]). Each part of `signed` is freed as
    /// soon as its columns are built, so the two are never both held whole.
    pub fn from_signed(
        signed: Signed,
        inputs: &Inputs,
        fields_text: &str,
        bands: usize,
        sketch: usize,
        paths: Paths,
    ) -> Result<Self, Error> {
        let Signed { docs, keys, sketches, eligible, df, samples, .. } = signed;
        let n = docs.len();
        let mut seg = SegmentData::default();
        seg.docs.reserve_exact(n);
        let mut file_of: ahash::AHashMap<u32, u32> = ahash::AHashMap::new();
        for doc in docs {
            let (source, offset, len) = match doc.location {
                Location::Text { source } => (source, 0u64, None),
                Location::Json { source, offset, len } => (source, offset, Some(len)),
            };
            let file = match file_of.get(&source) {
                Some(&f) => f,
                None => {
                    let path = match paths {
                        Paths::Persistent { copies } => match copies.get(&source) {
                            Some(copy) => Some(format::absolute(copy)),
                            None => inputs.source_path(doc.location).map(format::absolute),
                        },
                        Paths::InMemory => inputs.reread_path(doc.location).map(Path::to_path_buf),
                    };
                    let Some(path) = path else {
                        let name = inputs.source_name(doc.location).to_string();
                        return Err(IndexError::NotAFile { name, why: "standard input", advice: SAVE_IT }.into());
                    };
                    let size = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
                    let f = seg.files.len() as u32;
                    seg.files.push(FileEntry { path, size, whole: len.is_none(), text_field: fields_text.to_string() });
                    file_of.insert(source, f);
                    f
                }
            };
            let len = match len {
                Some(l) => l,
                None => {
                    let size = seg.files[file as usize].size;
                    u32::try_from(size).map_err(|_| IndexError::TooLarge {
                        what: "a text file",
                        count: size,
                        max: u32::MAX as u64,
                    })?
                }
            };
            seg.docs.push(DocEntry {
                id: doc.id,
                meta: doc.meta.map(|m| *m).unwrap_or_default(),
                file,
                line: doc.line.min(u32::MAX as u64) as u32,
                offset,
                len,
                text_hash: doc.text_hash,
                bytes: doc.bytes,
                features: doc.features,
                date: doc.date,
            });
        }
        seg.bands = (0..bands)
            .map(|b| {
                let mut col: Vec<(u32, u32)> =
                    (0..n).filter(|&d| eligible[d]).map(|d| (short(keys[d * bands + b]), d as u32)).collect();
                col.sort_unstable();
                col
            })
            .collect();
        drop(keys);
        if !samples.is_empty() {
            let (entries, sizes) = samples.into_sorted();
            seg.samples = entries.iter().map(|&e| ((e >> 32) as u32, e as u32)).collect();
            seg.sample_sizes = sizes;
        }
        if sketch > 0 {
            for (d, (hashes, weights)) in sketches.iter().enumerate() {
                // The `sketch` heaviest, ties to the earlier (smaller feature): what reading with
                // sketches of that size keeps (`background_sketch`).
                let mut top: Vec<(u16, usize)> = weights.iter().enumerate().map(|(i, &w)| (u16::MAX - w, i)).collect();
                if top.len() > sketch {
                    top.select_nth_unstable(sketch);
                    top.truncate(sketch);
                }
                seg.sketch.extend(top.iter().map(|&(_, i)| (hashes[i], d as u32, weights[i])));
            }
            seg.sketch.sort_unstable();
            drop(sketches);
            seg.df = df.counted().collect();
            seg.seen = vec![df.into_seen_filter()];
            seg.df.sort_unstable();
        }
        Ok(seg)
    }

    /// One segment holding `parts` in order: documents renumbered, files shared when they are
    /// the same file as indexed (path, text field and size: a file changed between two segments,
    /// such as an article replaced with `add --replace`, stays two entries, each checked against
    /// its own size), document frequencies added up: a feature counted in one part and held by
    /// one document of another (in that part's seen filters, not its counts) counts that too,
    /// and the parts' seen filters are all kept, for the features no part counted.
    pub fn merge(parts: Vec<SegmentData>) -> SegmentData {
        let mut out = SegmentData::default();
        let mut file_of: ahash::AHashMap<(PathBuf, String, u64), u32> = ahash::AHashMap::new();
        // (feature, count, part): which parts counted a feature.
        let mut df: Vec<(u64, u32, u32)> = Vec::new();
        // Per part, its seen filters in `out.seen`.
        let mut filters_of: Vec<Range<usize>> = Vec::new();
        for (p, part) in parts.into_iter().enumerate() {
            let first = out.seen.len();
            out.seen.extend(part.seen);
            filters_of.push(first..out.seen.len());
            let base = out.docs.len() as u32;
            let files: Vec<u32> = part
                .files
                .into_iter()
                .map(|f| {
                    *file_of.entry((f.path.clone(), f.text_field.clone(), f.size)).or_insert_with(|| {
                        out.files.push(f);
                        (out.files.len() - 1) as u32
                    })
                })
                .collect();
            out.docs.extend(part.docs.into_iter().map(|mut d| {
                d.file = files[d.file as usize];
                d
            }));
            if out.bands.len() < part.bands.len() {
                out.bands.resize(part.bands.len(), Vec::new());
            }
            for (band, col) in out.bands.iter_mut().zip(part.bands) {
                band.extend(col.into_iter().map(|(k, d)| (k, d + base)));
            }
            out.sketch.extend(part.sketch.into_iter().map(|(h, d, w)| (h, d + base, w)));
            out.samples.extend(part.samples.into_iter().map(|(h, d)| (h, d + base)));
            out.sample_sizes.extend(part.sample_sizes);
            df.extend(part.df.into_iter().map(|(h, c)| (h, c, p as u32)));
        }
        out.bands.iter_mut().for_each(|b| b.sort_unstable());
        out.sketch.sort_unstable();
        out.samples.sort_unstable();
        df.sort_unstable_by_key(|&(h, _, p)| (h, p));
        for run in df.chunk_by(|a, b| a.0 == b.0) {
            let feature = run[0].0;
            // Runs are sorted by part: the parts that did not count the feature are the others.
            let held_once: usize = (0..filters_of.len() as u32)
                .filter(|p| run.binary_search_by_key(p, |x| x.2).is_err())
                .map(|p| out.seen[filters_of[p as usize].clone()].iter().filter(|f| f.contains(feature)).count())
                .sum();
            out.df.push((feature, run.iter().map(|x| x.1).sum::<u32>() + held_once as u32));
        }
        out
    }

    /// The segment without documents `gone` (sorted numbers), the others renumbered in order.
    /// Document frequencies are kept as they are (they cannot be taken apart by document).
    pub fn without(mut self, gone: &[u32]) -> SegmentData {
        if gone.is_empty() {
            return self;
        }
        let mut renumbered = Vec::with_capacity(self.docs.len());
        let mut next = 0u32;
        for d in 0..self.docs.len() as u32 {
            if gone.binary_search(&d).is_ok() {
                renumbered.push(u32::MAX);
            } else {
                renumbered.push(next);
                next += 1;
            }
        }
        let kept = |d: u32| renumbered[d as usize] != u32::MAX;
        retain_by_index(&mut self.docs, |d| kept(d as u32));
        if !self.sample_sizes.is_empty() {
            retain_by_index(&mut self.sample_sizes, |d| kept(d as u32));
        }
        // Files no kept document lives in are dropped (a replaced article's file has changed).
        let mut used = vec![false; self.files.len()];
        self.docs.iter().for_each(|doc| used[doc.file as usize] = true);
        let mut file_no = Vec::with_capacity(used.len());
        let mut next = 0u32;
        for &u in &used {
            file_no.push(next);
            next += u32::from(u);
        }
        retain_by_index(&mut self.files, |f| used[f]);
        self.docs.iter_mut().for_each(|doc| doc.file = file_no[doc.file as usize]);
        // Renumbering keeps the documents' order, so every column stays sorted.
        for band in &mut self.bands {
            band.retain(|&(_, d)| kept(d));
            band.iter_mut().for_each(|e| e.1 = renumbered[e.1 as usize]);
        }
        self.sketch.retain(|&(_, d, _)| kept(d));
        self.sketch.iter_mut().for_each(|e| e.1 = renumbered[e.1 as usize]);
        self.samples.retain(|&(_, d)| kept(d));
        self.samples.iter_mut().for_each(|e| e.1 = renumbered[e.1 as usize]);
        self
    }

    /// Writes the segment to `path` atomically, one section at a time (only one section's bytes
    /// are held besides the segment). Returns the file's size.
    pub fn write(&self, path: &Path, params: &Params) -> Result<u64, Error> {
        let too_large = |what, count: usize| IndexError::TooLarge { what, count: count as u64, max: u32::MAX as u64 };
        if self.docs.len() >= u32::MAX as usize {
            return Err(too_large("a segment's documents", self.docs.len()).into());
        }
        if self.sketch.len() >= u32::MAX as usize {
            return Err(too_large("a segment's sketch entries", self.sketch.len()).into());
        }
        let mut sections = vec![
            SECTION_INFO,
            SECTION_FILES,
            SECTION_DOCS,
            SECTION_META,
            SECTION_BANDS,
            SECTION_SKETCH,
            SECTION_DF,
            SECTION_SEEN,
        ];
        if params.wrapped {
            assert_eq!(self.sample_sizes.len(), self.docs.len(), "an index with samples has them for every document");
            sections.push(SECTION_SAMPLES);
        }
        // The meta section is made with the docs section (whose entries point into it) and kept
        // until its turn: about 15 bytes a document.
        let mut meta = None;
        format::write_atomic_with(path, Kind::Segment, params, &sections, |i| {
            Ok(match sections[i] {
                SECTION_DOCS => {
                    let (docs, m) = self.docs_and_meta();
                    meta = Some(m);
                    docs.into()
                }
                SECTION_META => meta.take().expect("the docs section comes first").into(),
                id => self.section(id).into(),
            })
        })
    }

    /// The docs section, whose entries point into the meta section, and the meta section.
    fn docs_and_meta(&self) -> (Vec<u8>, Vec<u8>) {
        let mut docs = Vec::with_capacity(self.docs.len() * DOC_LEN);
        let mut meta = Vec::new();
        for d in &self.docs {
            docs.extend_from_slice(&(meta.len() as u64).to_le_bytes());
            docs.extend_from_slice(&d.offset.to_le_bytes());
            docs.extend_from_slice(&d.text_hash.to_le_bytes());
            docs.extend_from_slice(&d.date.unwrap_or(i64::MIN).to_le_bytes());
            for v in [d.file, d.line, d.len, d.bytes, d.features] {
                docs.extend_from_slice(&v.to_le_bytes());
            }
            format::put_str(&mut meta, &d.id);
            for s in [&d.meta.title, &d.meta.date, &d.meta.source, &d.meta.url] {
                format::put_opt_str(&mut meta, s.as_deref());
            }
        }
        (docs, meta)
    }

    /// The bytes of section `id` (not docs or meta: [`SegmentData::docs_and_meta`]).
    fn section(&self, id: u32) -> Vec<u8> {
        let mut out = Vec::new();
        match id {
            SECTION_INFO => {
                out.extend_from_slice(serde_json::json!({ "docs": self.docs.len() }).to_string().as_bytes())
            }
            SECTION_FILES => {
                format::put_varint(&mut out, self.files.len() as u64);
                for f in &self.files {
                    format::put_str(&mut out, &f.path.to_string_lossy());
                    out.extend_from_slice(&f.size.to_le_bytes());
                    out.push(f.whole as u8);
                    format::put_str(&mut out, &f.text_field);
                }
            }
            SECTION_BANDS => {
                let entries = self.bands.first().map_or(0, Vec::len);
                out.reserve_exact(8 + self.bands.len() * entries * 8);
                out.extend_from_slice(&(self.bands.len() as u32).to_le_bytes());
                out.extend_from_slice(&(entries as u32).to_le_bytes());
                for col in &self.bands {
                    debug_assert_eq!(col.len(), entries);
                    col.iter().for_each(|(k, _)| out.extend_from_slice(&k.to_le_bytes()));
                    col.iter().for_each(|(_, d)| out.extend_from_slice(&d.to_le_bytes()));
                }
            }
            SECTION_SKETCH => {
                out.reserve_exact(4 + self.sketch.len() * 10);
                out.extend_from_slice(&(self.sketch.len() as u32).to_le_bytes());
                self.sketch.iter().for_each(|(h, _, _)| out.extend_from_slice(&h.to_le_bytes()));
                self.sketch.iter().for_each(|(_, d, _)| out.extend_from_slice(&d.to_le_bytes()));
                self.sketch.iter().for_each(|(_, _, w)| out.extend_from_slice(&w.to_le_bytes()));
            }
            SECTION_DF => {
                out.reserve_exact(8 + self.df.len() * 12);
                out.extend_from_slice(&(self.df.len() as u64).to_le_bytes());
                self.df.iter().for_each(|(h, _)| out.extend_from_slice(&h.to_le_bytes()));
                self.df.iter().for_each(|(_, c)| out.extend_from_slice(&c.to_le_bytes()));
            }
            SECTION_SEEN => {
                out.extend_from_slice(&(self.seen.len() as u32).to_le_bytes());
                for set in &self.seen {
                    out.extend_from_slice(&(set.parts.len() as u32).to_le_bytes());
                    for p in &set.parts {
                        out.extend_from_slice(&p.shard.to_le_bytes());
                        out.extend_from_slice(&(p.words.len() as u32).to_le_bytes());
                    }
                }
                for p in self.seen.iter().flat_map(|set| &set.parts) {
                    p.words.iter().for_each(|w| out.extend_from_slice(&w.to_le_bytes()));
                }
            }
            SECTION_SAMPLES => {
                out.reserve_exact(12 + self.sample_sizes.len() * 4 + self.samples.len() * 8);
                out.extend_from_slice(&(self.sample_sizes.len() as u32).to_le_bytes());
                out.extend_from_slice(&(self.samples.len() as u64).to_le_bytes());
                self.sample_sizes.iter().for_each(|k| out.extend_from_slice(&k.to_le_bytes()));
                self.samples.iter().for_each(|(h, _)| out.extend_from_slice(&h.to_le_bytes()));
                self.samples.iter().for_each(|(_, d)| out.extend_from_slice(&d.to_le_bytes()));
            }
            _ => unreachable!("a segment section other than docs and meta"),
        }
        out
    }
}

/// Keeps the elements of `v` whose index `keep` accepts, in order.
fn retain_by_index<T>(v: &mut Vec<T>, keep: impl Fn(usize) -> bool) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        keep(i - 1)
    });
}

/// The bytes of a segment: mapped from its file, or owned.
pub enum Bytes {
    /// Memory-mapped: opening costs no copy, and pages are read as lookups touch them.
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({})", self.len())
    }
}

/// A checked segment, read in place.
#[derive(Debug)]
pub struct Segment {
    pub path: PathBuf,
    bytes: Bytes,
    pub params: Params,
    pub files: Vec<FileEntry>,
    docs: Range<usize>,
    meta: Range<usize>,
    /// Band columns start here; `entries` per band.
    bands: Range<usize>,
    band_entries: usize,
    sketch: Range<usize>,
    sketch_entries: usize,
    df: Range<usize>,
    df_entries: usize,
    /// Per-document sample counts, then the sample and document columns (empty without samples).
    samples: Range<usize>,
    sample_entries: usize,
    /// Per seen filter, its parts: (shard, words, where the words start in `bytes`).
    seen: Vec<Vec<(u32, usize, usize)>>,
}

impl Segment {
    /// Maps the segment file at `path` and checks all of it.
    pub fn open(path: &Path) -> Result<Segment, Error> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // Safety: segments are written to a temporary file and renamed into place, never written
        // again; `compact` deletes them (unlinking keeps the mapping valid). Only a program that
        // truncates a segment in place while it is mapped could make a read fault.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        Segment::from_bytes(path, Bytes::Mapped(map)).map_err(Error::from)
    }

    /// Checks a whole segment held in `bytes`.
    pub fn from_bytes(path: &Path, bytes: Bytes) -> Result<Segment, IndexError> {
        let parsed = format::parse(path, &bytes, Kind::Segment, &section_name)?;
        let corrupt = |what: String| IndexError::Corrupt { path: path.to_path_buf(), what };
        let need = |id: u32| parsed.range(id).ok_or_else(|| corrupt(format!("no {} section", section_name(id))));
        let mut cur = Cursor::new(parsed.section(&bytes, SECTION_FILES), path, "files");
        let count = cur.varint()?;
        let mut files = Vec::new();
        for _ in 0..count {
            let path = PathBuf::from(cur.str()?);
            let size = cur.u64()?;
            let whole = cur.take(1)?[0] != 0;
            let text_field = cur.str()?.to_string();
            files.push(FileEntry { path, size, whole, text_field });
        }
        if !cur.done() {
            return Err(corrupt("section files has trailing bytes".into()));
        }
        let docs = need(SECTION_DOCS)?;
        let meta = need(SECTION_META)?;
        if docs.len() % DOC_LEN != 0 {
            return Err(corrupt(format!("section docs holds {} bytes, not whole records", docs.len())));
        }
        let bands = need(SECTION_BANDS)?;
        let b = &bytes[bands.clone()];
        let (nb, entries) = if b.len() >= 8 { (u32_le(b) as usize, u32_le(&b[4..]) as usize) } else { (0, 0) };
        if b.len() < 8 || nb != parsed.params.bands as usize || b.len() as u64 != 8 + (nb * entries) as u64 * 8 {
            return Err(corrupt("section bands does not match its counts".into()));
        }
        let sketch = need(SECTION_SKETCH)?;
        let s = &bytes[sketch.clone()];
        let sketch_entries = if s.len() >= 4 { u32_le(s) as usize } else { usize::MAX };
        if s.len() < 4 || s.len() as u64 != 4 + sketch_entries as u64 * 10 {
            return Err(corrupt("section sketch does not match its count".into()));
        }
        let df = need(SECTION_DF)?;
        let f = &bytes[df.clone()];
        let df_entries = if f.len() >= 8 { u64_le(f) } else { u64::MAX };
        if f.len() < 8 || f.len() as u64 != 8u64.saturating_add(df_entries.saturating_mul(12)) {
            return Err(corrupt("section df does not match its count".into()));
        }
        let (samples, sample_entries) = if parsed.params.wrapped {
            let r = need(SECTION_SAMPLES)?;
            let b = &bytes[r.clone()];
            let (n, entries) = if b.len() >= 12 { (u32_le(b) as u64, u64_le(&b[4..])) } else { (0, u64::MAX) };
            let expected = 12u64.saturating_add(n * 4).saturating_add(entries.saturating_mul(8));
            if b.len() < 12 || n != (docs.len() / DOC_LEN) as u64 || b.len() as u64 != expected {
                return Err(corrupt("section samples does not match its counts".into()));
            }
            (r.start + 12..r.end, entries as usize)
        } else {
            (0..0, 0)
        };
        let seen = match parsed.range(SECTION_SEEN) {
            Some(r) => seen_parts(&bytes[r.clone()], r.start)
                .ok_or_else(|| corrupt("section seen does not match its counts".into()))?,
            None => Vec::new(),
        };
        Ok(Segment {
            path: path.to_path_buf(),
            params: parsed.params,
            files,
            docs,
            meta,
            bands: bands.start + 8..bands.end,
            band_entries: entries,
            sketch: sketch.start + 4..sketch.end,
            sketch_entries,
            df: df.start + 8..df.end,
            df_entries: df_entries as usize,
            samples,
            sample_entries,
            seen,
            bytes,
        })
    }

    pub fn len(&self) -> usize {
        self.docs.len() / DOC_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the segment in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Entries of the sketch and df sections, for `index info`.
    pub fn story_entries(&self) -> (usize, usize) {
        (self.sketch_entries, self.df_entries)
    }

    fn corrupt(&self, what: String) -> IndexError {
        IndexError::Corrupt { path: self.path.clone(), what }
    }

    /// Documents whose band `band` has the (short) key `key`: positions, then `band_doc`.
    pub fn band_hits(&self, band: usize, key: u32) -> Range<usize> {
        let n = self.band_entries;
        let keys = &self.bytes[self.bands.start + band * n * 8..][..n * 4];
        format::equal_range(n, &key, |i| u32_at(keys, i))
    }

    /// The document at position `i` of band `band`.
    pub fn band_doc(&self, band: usize, i: usize) -> Result<u32, IndexError> {
        let n = self.band_entries;
        let d = u32_at(&self.bytes[self.bands.start + band * n * 8 + n * 4..], i);
        self.check_doc(d)
    }

    /// Sketch entries of the (short) feature `feature`: positions, then `sketch_entry`.
    pub fn sketch_hits(&self, feature: u32) -> Range<usize> {
        let hashes = &self.bytes[self.sketch.start..][..self.sketch_entries * 4];
        format::equal_range(self.sketch_entries, &feature, |i| u32_at(hashes, i))
    }

    /// Document and (quantized) weight of sketch entry `i`.
    pub fn sketch_entry(&self, i: usize) -> Result<(u32, u16), IndexError> {
        let n = self.sketch_entries;
        let d = u32_at(&self.bytes[self.sketch.start + n * 4..], i);
        let w = u16::from_le_bytes(self.bytes[self.sketch.start + n * 8 + i * 2..][..2].try_into().expect("2 bytes"));
        Ok((self.check_doc(d)?, w))
    }

    /// Documents of this segment holding story feature `feature`, when two or more do.
    pub fn df(&self, feature: u64) -> Option<u32> {
        let n = self.df_entries;
        let hashes = &self.bytes[self.df.start..][..n * 8];
        let r = format::equal_range(n, &feature, |i| u64_at(hashes, i));
        (!r.is_empty()).then(|| u32_at(&self.bytes[self.df.start + n * 8..], r.start))
    }

    /// How many of this segment's seen filters hold story feature `feature` (for a feature
    /// without a [`Segment::df`] entry: the documents holding it, 0 or 1 per filter, up to the
    /// filters' false positives; 0 in a segment written without them).
    pub fn seen(&self, feature: u64) -> u32 {
        let shard = frequency_shard(feature);
        let word = |at: usize| move |i: usize| u64_at(&self.bytes[at..], i);
        self.seen
            .iter()
            .filter(|parts| {
                parts.iter().any(|&(s, words, at)| s == shard && bloom_part_contains(feature, words, word(at)))
            })
            .count() as u32
    }

    /// Entries of the (short) sample `sample`: positions, then `sample_doc`. Empty in a segment
    /// without samples.
    pub fn sample_hits(&self, sample: u32) -> Range<usize> {
        let hashes = &self.bytes[self.samples.start + self.len() * 4..][..self.sample_entries * 4];
        format::equal_range(self.sample_entries, &sample, |i| u32_at(hashes, i))
    }

    /// The document of sample entry `i`.
    pub fn sample_doc(&self, i: usize) -> Result<u32, IndexError> {
        let d = u32_at(&self.bytes[self.samples.start + self.len() * 4 + self.sample_entries * 4..], i);
        self.check_doc(d)
    }

    /// Distinct samples of document `d` (0 in a segment without samples).
    pub fn sample_size(&self, d: u32) -> u32 {
        if self.samples.is_empty() {
            return 0;
        }
        u32_at(&self.bytes[self.samples.start..], d as usize)
    }

    /// Entries of the samples section, for `index info`.
    pub fn sample_entries(&self) -> usize {
        self.sample_entries
    }

    fn check_doc(&self, d: u32) -> Result<u32, IndexError> {
        if (d as usize) < self.len() {
            Ok(d)
        } else {
            Err(self.corrupt(format!("document {d} of {} referenced", self.len())))
        }
    }

    /// Document `d` of this segment, decoded.
    pub fn doc(&self, d: u32) -> Result<DocEntry, IndexError> {
        let d = self.check_doc(d)? as usize;
        let r = &self.bytes[self.docs.start + d * DOC_LEN..][..DOC_LEN];
        let meta_at = u64_le(r) as usize;
        let date = i64::from_le_bytes(r[24..32].try_into().expect("8 bytes"));
        let file = u32_le(&r[32..]);
        if file as usize >= self.files.len() {
            return Err(self.corrupt(format!("document {d} names file {file} of {}", self.files.len())));
        }
        let meta = &self.bytes[self.meta.clone()];
        if meta_at > meta.len() {
            return Err(self.corrupt(format!("document {d}'s metadata lies outside section meta")));
        }
        let mut cur = Cursor::new(meta, &self.path, "meta").at(meta_at);
        let id = cur.str()?.to_string();
        let mut opt = || cur.opt_str().map(|s| s.map(str::to_string));
        let meta = Meta { title: opt()?, date: opt()?, source: opt()?, url: opt()? };
        Ok(DocEntry {
            id,
            meta,
            file,
            line: u32_le(&r[36..]),
            offset: u64_le(&r[8..]),
            len: u32_le(&r[40..]),
            text_hash: u64_le(&r[16..]),
            bytes: u32_le(&r[44..]),
            features: u32_le(&r[48..]),
            date: (date != i64::MIN).then_some(date),
        })
    }

    /// The whole segment decoded, to be merged into another.
    pub fn decode(&self) -> Result<SegmentData, IndexError> {
        let docs = (0..self.len() as u32).map(|d| self.doc(d)).collect::<Result<Vec<_>, _>>()?;
        let n = self.band_entries;
        let mut bands = Vec::with_capacity(self.params.bands as usize);
        for b in 0..self.params.bands as usize {
            let keys = &self.bytes[self.bands.start + b * n * 8..][..n * 4];
            let col = (0..n).map(|i| Ok((u32_at(keys, i), self.band_doc(b, i)?))).collect::<Result<Vec<_>, _>>()?;
            bands.push(col);
        }
        let hashes = &self.bytes[self.sketch.start..];
        let sketch = (0..self.sketch_entries)
            .map(|i| {
                let (d, _) = self.sketch_entry(i)?;
                let w = u16::from_le_bytes(
                    self.bytes[self.sketch.start + self.sketch_entries * 8 + i * 2..][..2].try_into().expect("2 bytes"),
                );
                Ok((u32_at(hashes, i), d, w))
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        let m = self.df_entries;
        let df_bytes = &self.bytes[self.df.start..];
        let df = (0..m).map(|i| (u64_at(df_bytes, i), u32_at(&df_bytes[m * 8..], i))).collect();
        let (sample_sizes, samples) = if self.params.wrapped {
            let sizes = (0..self.len() as u32).map(|d| self.sample_size(d)).collect();
            let hashes = &self.bytes[self.samples.start + self.len() * 4..];
            let samples = (0..self.sample_entries)
                .map(|i| Ok((u32_at(hashes, i), self.sample_doc(i)?)))
                .collect::<Result<Vec<_>, IndexError>>()?;
            (sizes, samples)
        } else {
            (Vec::new(), Vec::new())
        };
        let seen = self
            .seen
            .iter()
            .map(|parts| SeenFilter {
                parts: parts
                    .iter()
                    .map(|&(shard, words, at)| SeenPart {
                        shard,
                        words: (0..words).map(|i| u64_at(&self.bytes[at..], i)).collect(),
                    })
                    .collect(),
            })
            .collect();
        Ok(SegmentData { files: self.files.clone(), docs, bands, sketch, df, samples, sample_sizes, seen })
    }
}

/// The parts of a seen section's filters, `bytes` being the section at offset `at` of its file:
/// per filter, each part's (shard, words, where its words start); `None` when the counts do not
/// match the section's length or a part is not a power of two of words.
fn seen_parts(bytes: &[u8], at: usize) -> Option<Vec<Vec<(u32, usize, usize)>>> {
    let mut cur = 0usize;
    let mut u32_next = || {
        let v = bytes.get(cur..cur + 4).map(u32_le);
        cur += 4;
        v
    };
    let sets = u32_next()?;
    let mut headers = Vec::new();
    for _ in 0..sets {
        let parts = u32_next()?;
        let mut set = Vec::new();
        for _ in 0..parts {
            let (shard, words) = (u32_next()?, u32_next()? as usize);
            if !words.is_power_of_two() {
                return None;
            }
            set.push((shard, words));
        }
        headers.push(set);
    }
    let mut next = at + cur;
    let mut out = Vec::with_capacity(headers.len());
    for set in headers {
        let mut parts = Vec::with_capacity(set.len());
        for (shard, words) in set {
            parts.push((shard, words, next));
            next = next.checked_add(words.checked_mul(8)?)?;
        }
        out.push(parts);
    }
    (next == at + bytes.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::DocFrequencies;

    #[test]
    fn the_seen_section_reads_back_as_the_filters_it_was_written_from() {
        // Two filters, as a merged segment holds: one feature in the first, another in both.
        let filter = |features: &[u64]| {
            let mut df = DocFrequencies::default();
            df.add_batch(features);
            df.into_seen_filter()
        };
        let seg =
            SegmentData { seen: vec![filter(&[11, 22, 33 << 58]), filter(&[22, 44 << 58])], ..Default::default() };
        let bytes = seg.section(SECTION_SEEN);
        // At an offset, as in a file.
        let mut file = vec![0u8; 24];
        file.extend_from_slice(&bytes);
        let parts = seen_parts(&file[24..], 24).expect("well formed");
        assert_eq!(parts.len(), 2);
        let held = |f: u64| {
            let shard = frequency_shard(f);
            parts
                .iter()
                .filter(|set| {
                    set.iter().any(|&(s, w, at)| s == shard && bloom_part_contains(f, w, |i| u64_at(&file[at..], i)))
                })
                .count()
        };
        assert_eq!([held(11), held(22), held(33 << 58), held(44 << 58)], [1, 2, 1, 1]);
        for f in [11, 22, 33 << 58, 44 << 58, 55, 66 << 58] {
            assert_eq!(held(f), seg.seen.iter().filter(|s| s.contains(f)).count(), "{f}");
        }
        // A cut, a longer or an emptied section is refused, as is a part that is not a power of
        // two of words.
        assert!(seen_parts(&bytes[..bytes.len() - 8], 0).is_none());
        assert!(seen_parts(&[bytes.as_slice(), &[0; 8]].concat(), 0).is_none());
        assert!(seen_parts(&[], 0).is_none());
        let mut odd = bytes.clone();
        odd[12..16].copy_from_slice(&3u32.to_le_bytes());
        assert!(seen_parts(&odd, 0).is_none());
        assert_eq!(seen_parts(&0u32.to_le_bytes(), 0), Some(Vec::new()));
    }
}
