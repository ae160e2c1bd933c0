//! A persistent index: an archive's signatures, band tables, story sketches and document
//! frequencies, kept on disk so that new documents can be checked against the archive without
//! signing it again ([`crate::check`]).
//!
//! An index is a folder:
//!
//! - `manifest`: the parameters that shape a signature, the list of segments and the matching
//!   thresholds the index was built for; replaced atomically by every command that writes;
//! - `seg-NNNNNN.wdx`: segments ([`segment`]), each written once and never changed;
//! - `lock`: present while a command writes; holds the writer's process id.
//!
//! `build` writes one segment and a manifest naming only it; `add` writes a new segment, then a
//! manifest naming the old ones and it (with `--replace`, the manifest also lists the older
//! documents the new ones replace, by id; lookups skip them); `compact` merges all segments into
//! one, leaving replaced documents out. Files that no
//! manifest names (left by a crash) are deleted by the next writer. Readers take no lock: they
//! read the manifest, then the segments it names.
//!
//! A document's text is not stored: the index keeps where it lives (file, byte range) and a hash
//! of it, and [`Index::text`] reads it again, refusing a text that changed since.
//!
//! Document frequencies: each segment keeps the story features two or more of its documents
//! hold, with their counts, and a Bloom filter of every feature its documents hold, which tells
//! a feature held once from one held by none (up to about 1% false positives), so that a
//! feature held by one document in each of two segments counts 2, as in a scan, and `compact`
//! keeps every segment's filter. Segments written before the filters existed count such a
//! feature 0 in both.

pub mod format;
pub mod segment;

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{self, Config, Level};
use crate::error::{Error, IndexError, Result};
use crate::input::{Inputs, Location};
use crate::pipeline::{InputNotes, Observer, Pipeline, Signed};
use ahash::AHashMap;

use format::Kind;
pub use format::Params;
pub use segment::{DocEntry, FileEntry, Paths, Segment, SegmentData};

/// Story features kept per indexed document (of the 100 a scan keeps): the heaviest carry most
/// of a sketch's weight, and 32 keep the index near 1 KB per document.
pub const INDEX_SKETCH: usize = 32;

const MANIFEST: &str = "manifest";
const LOCK: &str = "lock";
const SECTION_MANIFEST: u32 = 1;

/// What the manifest says besides the parameters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub segments: Vec<SegmentRef>,
    /// Number of the next segment file.
    pub next: u64,
    /// Thresholds the banding was tuned for (`check` verifies with these unless told otherwise).
    pub threshold: f64,
    pub containment: f64,
}

/// A segment as the manifest lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SegmentRef {
    pub file: String,
    pub docs: u64,
    pub bytes: u64,
    /// Its documents replaced by a later `add --replace` (numbers within the segment, sorted):
    /// no lookup returns them, and `compact` drops them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<u32>,
}

/// The parameters a pipeline signs with, as an index records them.
pub fn params_of(config: &Config, story: bool) -> Params {
    Params {
        signature_version: config::SIGNATURE_VERSION,
        normalization_version: crate::normalize::NORMALIZATION_VERSION,
        ngram: config.ngram as u32,
        num_perm: config.num_perm as u32,
        bands: config.lsh.bands as u32,
        rows: config.lsh.rows as u32,
        shingle_seed: config::SHINGLE_SEED,
        minhash_seed: config::MINHASH_SEED,
        band_seed: config::BAND_SEED,
        story_seed: crate::story::STORY_SEED,
        sketch: if story { INDEX_SKETCH as u32 } else { 0 },
        wrapped: config.wrapped,
    }
}

/// Refuses parameters of an index that this build of wiredup cannot match: other algorithm
/// versions or seeds. Names both values.
pub fn check_compatible(index: &Params) -> Result<(), IndexError> {
    let rebuild = "rebuild the index with `wiredup index build`";
    let checks: [(&'static str, u64, u64); 6] = [
        ("signature version", index.signature_version as u64, config::SIGNATURE_VERSION as u64),
        ("normalization version", index.normalization_version as u64, crate::normalize::NORMALIZATION_VERSION as u64),
        ("shingle seed", index.shingle_seed, config::SHINGLE_SEED),
        ("MinHash seed", index.minhash_seed, config::MINHASH_SEED),
        ("band seed", index.band_seed, config::BAND_SEED),
        ("story seed", index.story_seed, crate::story::STORY_SEED),
    ];
    for (what, i, c) in checks {
        if i != c {
            return Err(IndexError::Mismatch {
                what,
                index: i.to_string(),
                given_by: "this wiredup uses",
                given: c.to_string(),
                advice: rebuild,
            });
        }
    }
    Ok(())
}

/// An open index: its manifest and checked segments.
#[derive(Debug)]
pub struct Index {
    pub dir: PathBuf,
    pub params: Params,
    pub manifest: Manifest,
    pub segments: Vec<Segment>,
    /// First global document number of each segment.
    bases: Vec<u32>,
    docs: usize,
    /// Per global document number: replaced by a later `add --replace`.
    replaced: Vec<bool>,
}

impl Index {
    /// Opens the index in `dir`, checking every file it names (magic number, version, checksums,
    /// parameters). Fast: segments are memory-mapped and their checksums computed in place.
    pub fn open(dir: &Path) -> Result<Index> {
        let (params, manifest) = read_manifest(dir)?;
        check_compatible(&params)?;
        let segments = manifest
            .segments
            .iter()
            .map(|s| {
                let path = dir.join(&s.file);
                let seg = Segment::open(&path)?;
                if seg.params != params {
                    return Err(IndexError::Corrupt {
                        path,
                        what: "its parameters differ from the manifest's (a segment from another index?)".into(),
                    }
                    .into());
                }
                if s.replaced.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(IndexError::Corrupt {
                        path,
                        what: "the manifest's replaced documents are not sorted".into(),
                    }
                    .into());
                }
                if let Some(&d) = s.replaced.iter().find(|&&d| d as usize >= seg.len()) {
                    return Err(IndexError::Corrupt {
                        path,
                        what: format!("the manifest marks document {d} of {} replaced", seg.len()),
                    }
                    .into());
                }
                if seg.len() as u64 != s.docs || seg.size() != s.bytes {
                    return Err(IndexError::Corrupt {
                        path,
                        what: format!(
                            "{} documents in {} bytes, the manifest says {} in {}",
                            seg.len(),
                            seg.size(),
                            s.docs,
                            s.bytes
                        ),
                    }
                    .into());
                }
                Ok(seg)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Index::assemble(dir.to_path_buf(), params, manifest, segments))
    }

    /// An index of one segment held in memory (for `check --against`).
    pub fn in_memory(params: Params, threshold: f64, containment: f64, data: &SegmentData) -> Result<Index> {
        let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let path = dir.path().join("seg-000000.wdx");
        let bytes = data.write(&path, &params)?;
        let seg = Segment::open(&path)?;
        let manifest = Manifest {
            segments: vec![SegmentRef {
                file: "seg-000000.wdx".into(),
                docs: seg.len() as u64,
                bytes,
                replaced: Vec::new(),
            }],
            next: 1,
            threshold,
            containment,
        };
        Ok(Index::assemble(dir.path().to_path_buf(), params, manifest, vec![seg]))
    }

    fn assemble(dir: PathBuf, params: Params, manifest: Manifest, segments: Vec<Segment>) -> Index {
        let mut bases = Vec::with_capacity(segments.len());
        let mut docs = 0usize;
        for s in &segments {
            bases.push(docs as u32);
            docs += s.len();
        }
        let mut replaced = vec![false; docs];
        for (s, &base) in manifest.segments.iter().zip(&bases) {
            for &d in &s.replaced {
                replaced[(base + d) as usize] = true;
            }
        }
        Index { dir, params, manifest, segments, bases, docs, replaced }
    }

    /// Documents the index stores, replaced ones included (global numbers run below this).
    pub fn len(&self) -> usize {
        self.docs
    }

    /// Documents lookups can return: [`Index::len`] less the replaced ones.
    pub fn live(&self) -> usize {
        self.docs - self.replaced()
    }

    /// Documents replaced by a later `add --replace`, until `compact` drops them.
    pub fn replaced(&self) -> usize {
        self.manifest.segments.iter().map(|s| s.replaced.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.docs == 0
    }

    /// The index holds story sketches and document frequencies.
    pub fn has_story(&self) -> bool {
        self.params.sketch > 0
    }

    /// Bytes on disk (manifest and segments).
    pub fn size(&self) -> u64 {
        let manifest = std::fs::metadata(self.dir.join(MANIFEST)).map(|m| m.len()).unwrap_or(0);
        manifest + self.segments.iter().map(Segment::size).sum::<u64>()
    }

    fn locate(&self, doc: u32) -> (usize, u32) {
        let s = self.bases.partition_point(|&b| b <= doc) - 1;
        (s, doc - self.bases[s])
    }

    /// Indexed documents whose band `band` key is `key` (compared on its top 32 bits), appended
    /// to `out`, at most `max` of them. Returns how many there are (replaced documents are
    /// counted, not returned).
    pub fn band_hits(&self, band: usize, key: u64, max: usize, out: &mut Vec<u32>) -> Result<usize> {
        let mut total = 0;
        for (seg, &base) in self.segments.iter().zip(&self.bases) {
            let hits = seg.band_hits(band, segment::short(key));
            total += hits.len();
            for i in hits {
                if out.len() >= max {
                    break;
                }
                let d = base + seg.band_doc(band, i)?;
                if !self.replaced[d as usize] {
                    out.push(d);
                }
            }
        }
        Ok(total)
    }

    /// Number of indexed sketches holding (short) story feature `feature` (replaced documents'
    /// included).
    pub fn sketch_bucket(&self, feature: u32) -> usize {
        self.segments.iter().map(|s| s.sketch_hits(feature).len()).sum()
    }

    /// Calls `f(document, quantized weight)` for every indexed sketch holding (short) story
    /// feature `feature`.
    pub fn sketch_hits(&self, feature: u32, mut f: impl FnMut(u32, u16)) -> Result<()> {
        for (seg, &base) in self.segments.iter().zip(&self.bases) {
            for i in seg.sketch_hits(feature) {
                let (d, w) = seg.sketch_entry(i)?;
                if !self.replaced[(base + d) as usize] {
                    f(base + d, w);
                }
            }
        }
        Ok(())
    }

    /// The index keeps sampled shingles, so `check` finds wrapped copies (built with `--wrapped`).
    pub fn has_samples(&self) -> bool {
        self.params.wrapped
    }

    /// Calls `f(document, its distinct samples)` for every indexed document holding sampled
    /// shingle `sample` (its top 32 bits), unless more than `max` documents hold it (replaced
    /// ones included): then returns `false` and calls nothing.
    pub fn sample_hits(&self, sample: u64, max: usize, mut f: impl FnMut(u32, u32)) -> Result<bool> {
        let hits: Vec<_> = self.segments.iter().map(|s| s.sample_hits(segment::short(sample))).collect();
        if hits.iter().map(|r| r.len()).sum::<usize>() > max {
            return Ok(false);
        }
        for ((seg, &base), hits) in self.segments.iter().zip(&self.bases).zip(hits) {
            for i in hits {
                let d = seg.sample_doc(i)?;
                if !self.replaced[(base + d) as usize] {
                    f(base + d, seg.sample_size(d));
                }
            }
        }
        Ok(true)
    }

    /// Indexed documents holding story feature `feature`, as far as the index counted them: per
    /// segment its count, or else how many of its seen filters hold it (a feature held by one
    /// document; about 1% of the features no document holds read as held once). `None` when no
    /// segment has seen it, or when it is held by one document of a segment written before
    /// segments kept seen filters.
    pub fn df(&self, feature: u64) -> Option<u32> {
        let mut total = None;
        for seg in &self.segments {
            let c = seg.df(feature).unwrap_or_else(|| seg.seen(feature));
            if c > 0 {
                *total.get_or_insert(0) += c;
            }
        }
        total
    }

    /// Indexed document `doc`.
    pub fn doc(&self, doc: u32) -> Result<DocEntry> {
        let (s, d) = self.locate(doc);
        Ok(self.segments[s].doc(d)?)
    }

    /// The file indexed document `doc` lives in.
    pub fn file(&self, doc: u32) -> Result<&FileEntry> {
        let (s, d) = self.locate(doc);
        let entry = self.segments[s].doc(d)?;
        Ok(&self.segments[s].files[entry.file as usize])
    }

    /// The text of indexed document `doc`, read again from its file; an error naming the file
    /// when it is gone or its text changed since it was indexed. A JSONL or JSON file may have
    /// changed elsewhere (lines appended to a growing dump): only the document's own bytes must
    /// still hold its text. A text file is one document, so any change of size is one of its text.
    pub fn text(&self, doc: u32) -> Result<String> {
        let (s, d) = self.locate(doc);
        let entry = self.segments[s].doc(d)?;
        let file = &self.segments[s].files[entry.file as usize];
        let changed = |what: String| -> Error {
            IndexError::ArchiveChanged { path: file.path.clone(), id: entry.id.clone(), what }.into()
        };
        let f = File::open(&file.path).map_err(|e| changed(format!("cannot open its file: {e}")))?;
        let size = f.metadata().map_err(|e| Error::io(&file.path, e))?.len();
        if file.whole && size != file.size {
            return Err(changed(format!("its file was {} bytes, now {size}", file.size)));
        }
        let mut buf = vec![0u8; entry.len as usize];
        read_exact_at(&f, &mut buf, entry.offset).map_err(|e| changed(format!("cannot read its bytes: {e}")))?;
        let text = if file.whole {
            let text = String::from_utf8(buf).map_err(|_| changed("invalid UTF-8".into()))?;
            match text.strip_prefix('\u{feff}') {
                Some(t) => t.to_string(),
                None => text,
            }
        } else {
            let raw = std::str::from_utf8(&buf).map_err(|_| changed("invalid UTF-8".into()))?;
            let fields = config::Fields { text: file.text_field.clone(), ..config::Fields::default() };
            crate::input::json_text(raw, &fields).map_err(|_| changed("no longer a JSON document there".into()))?
        };
        if xxhash_rust::xxh3::xxh3_64_with_seed(text.as_bytes(), config::TEXT_SEED) != entry.text_hash {
            return Err(changed("its text differs".into()));
        }
        Ok(text)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

/// Reads and checks `dir/manifest`.
pub fn read_manifest(dir: &Path) -> Result<(Params, Manifest)> {
    let path = dir.join(MANIFEST);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(IndexError::Missing { path: dir.to_path_buf() }.into())
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    let names = |id| if id == SECTION_MANIFEST { "manifest" } else { "unknown" };
    let parsed = format::parse(&path, &bytes, Kind::Manifest, &names)?;
    let json = parsed.section(&bytes, SECTION_MANIFEST);
    let manifest: Manifest = serde_json::from_slice(json)
        .map_err(|e| IndexError::Corrupt { path: path.clone(), what: format!("manifest: {e}") })?;
    for s in &manifest.segments {
        if !valid_segment_name(&s.file) {
            return Err(IndexError::Corrupt { path, what: format!("manifest names {:?}", s.file) }.into());
        }
    }
    Ok((parsed.params, manifest))
}

fn valid_segment_name(name: &str) -> bool {
    name.strip_prefix("seg-")
        .and_then(|s| s.strip_suffix(".wdx"))
        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

fn write_manifest(dir: &Path, params: &Params, manifest: &Manifest) -> Result<()> {
    let json = serde_json::to_vec(manifest).expect("a manifest serializes");
    format::write_atomic(&dir.join(MANIFEST), Kind::Manifest, params, &[(SECTION_MANIFEST, &json)])?;
    Ok(())
}

/// The write lock of an index folder, released when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the lock of `dir`, or says who holds it. A lock left by a process that no longer
    /// runs (killed mid-write) is taken over where that can be told (Linux: `/proc`).
    pub fn acquire(dir: &Path) -> Result<Lock> {
        let path = dir.join(LOCK);
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id()).map_err(|e| Error::io(&path, e))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default().trim().to_string();
                    let gone = cfg!(target_os = "linux")
                        && Path::new("/proc/self").exists()
                        && holder.parse::<u32>().is_ok_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
                    if gone {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    let holder = if holder.is_empty() { "(unknown)".to_string() } else { holder };
                    return Err(IndexError::Locked { path, holder }.into());
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(IndexError::Locked { path, holder: "(unknown)".into() }.into())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Folder of an index holding its copies of the inputs it read through a spool.
const TEXTS: &str = "texts";

/// Copies the spool of every input of `signed`'s documents that was read through one (stdin, a
/// compressed file, Parquet) into the index's [`TEXTS`] folder as `SEGMENT-SOURCE.jsonl`, so that
/// their texts can be read again after this run. Returns the copies by source.
fn keep_spooled(dir: &Path, inputs: &Inputs, signed: &Signed, segment: u64) -> Result<AHashMap<u32, PathBuf>> {
    let mut copies = AHashMap::new();
    for doc in &signed.docs {
        let (Location::Text { source } | Location::Json { source, .. }) = doc.location;
        if copies.contains_key(&source) {
            continue;
        }
        let Some(spool) = inputs.spool_path(doc.location) else { continue };
        let texts = dir.join(TEXTS);
        std::fs::create_dir_all(&texts).map_err(|e| Error::io(&texts, e))?;
        let target = texts.join(format!("{segment:06}-{source}.jsonl"));
        let tmp = texts.join(format!(".tmp-{segment:06}-{source}"));
        std::fs::copy(spool, &tmp).map_err(|e| Error::io(&tmp, e))?;
        let file = std::fs::File::open(&tmp).map_err(|e| Error::io(&tmp, e))?;
        crate::report::make_readable(&file).map_err(|e| Error::io(&tmp, e))?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))?;
        copies.insert(source, target);
    }
    Ok(copies)
}

/// Deletes the text copies (and leftovers) that segments other than `segment` made: after a build,
/// no segment but the new one is listed.
fn remove_other_texts(dir: &Path, segment: u64) {
    let Ok(entries) = std::fs::read_dir(dir.join(TEXTS)) else { return };
    let own = format!("{segment:06}-");
    for e in entries.flatten() {
        if !e.file_name().to_string_lossy().starts_with(&own) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// What to do with an input an index cannot re-read.
pub(crate) const SAVE_IT: &str = "decompress it or save it to a file first";

/// What a write did.
#[derive(Debug)]
pub struct Written {
    /// Input problems met (each was reported to the observer and skipped).
    pub problems: Vec<crate::input::Problem>,
    /// Documents in the index afterwards.
    pub docs: usize,
    /// Documents written by this command.
    pub added: usize,
    /// Indexed documents the added ones replaced (`add --replace`).
    pub replaced: usize,
    /// The index's size on disk after the command ([`Index::size`]).
    pub bytes: u64,
    /// What reading the added documents found that the user is told.
    pub notes: InputNotes,
}

/// Signs `inputs` and writes them as a new index in `dir` (created if needed; an index already
/// there is replaced atomically: readers see the old one or the new one).
pub fn build(dir: &Path, pipeline: &Pipeline, inputs: &mut Inputs, observer: &dyn Observer) -> Result<Written> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            let is_index = dir.join(MANIFEST).exists();
            if !is_index && entries.next().is_some() {
                return Err(IndexError::NotEmpty { path: dir.to_path_buf() }.into());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            // A build that fails leaves no folder it made (only its own files are in it).
            let built = build_into(dir, pipeline, inputs, observer);
            if built.is_err() {
                let _ = std::fs::remove_dir_all(dir);
            }
            return built;
        }
        Err(e) => return Err(Error::io(dir, e)),
    }
    build_into(dir, pipeline, inputs, observer)
}

/// [`build`] into `dir`, which exists and is empty or an index.
fn build_into(dir: &Path, pipeline: &Pipeline, inputs: &mut Inputs, observer: &dyn Observer) -> Result<Written> {
    let _lock = Lock::acquire(dir)?;
    let old = read_manifest(dir).ok();
    let config = pipeline.config();
    let story = config.level == Level::Story;
    let params = params_of(config, story);
    let mut signed = pipeline.read(inputs, observer)?;
    observer.stage("write");
    let next = old.as_ref().map_or(1, |(_, m)| m.next);
    let copies = keep_spooled(dir, inputs, &signed, next)?;
    let problems = std::mem::take(&mut signed.problems);
    let notes = std::mem::take(&mut signed.stats.notes);
    let data = segment_of(signed, inputs, config, story, &copies)?;
    let file = segment_name(next);
    let bytes = data.write(&dir.join(&file), &params)?;
    let manifest = Manifest {
        segments: vec![SegmentRef { file, docs: data.docs.len() as u64, bytes, replaced: Vec::new() }],
        next: next + 1,
        threshold: config.threshold,
        containment: config.containment,
    };
    write_manifest(dir, &params, &manifest)?;
    remove_unlisted(dir, &manifest);
    remove_other_texts(dir, next);
    let docs = data.docs.len();
    // The whole index's size, as `add` and `info` give it (the manifest and kept texts too).
    let bytes = Index::open(dir)?.size();
    Ok(Written { problems, docs, added: docs, replaced: 0, bytes, notes })
}

/// `config` as `index build` and `add` sign with: story sketches cut while reading to the
/// [`INDEX_SKETCH`] features a segment keeps, instead of holding the [`crate::story::SALIENT_FEATURES`]
/// a scan needs until the segment is written (the heaviest of those are the same features with
/// the same weights, so the segment is the same).
pub fn for_indexing(mut config: Config) -> Config {
    config.story.sketch = config.story.sketch.min(INDEX_SKETCH);
    config
}

/// The segment of `signed` as an index stores it; `copies`: the index's copies of spooled inputs.
pub fn segment_of(
    signed: Signed,
    inputs: &Inputs,
    config: &Config,
    story: bool,
    copies: &AHashMap<u32, PathBuf>,
) -> Result<SegmentData> {
    let sketch = if story { INDEX_SKETCH } else { 0 };
    let paths = Paths::Persistent { copies };
    SegmentData::from_signed(signed, inputs, &config.fields.text, config.lsh.bands, sketch, paths)
}

/// The pipeline configuration an index signs with: its parameters, and `fields` to read inputs.
pub fn config_of(params: &Params, manifest: &Manifest, fields: config::Fields) -> Result<Config> {
    let level = if params.sketch > 0 { Level::Story } else { Level::Copy };
    let mut config = Config::new(
        level,
        params.ngram as usize,
        params.num_perm as usize,
        manifest.threshold,
        manifest.containment,
        Some((params.bands as usize, params.rows as usize)),
    )?;
    config.fields = fields;
    config.wrapped = params.wrapped;
    Ok(config)
}

/// Signs `inputs` and adds them to the index in `dir` as a new segment. A document whose id the
/// index holds already is refused (nothing is written then), or with `replace` replaces the
/// indexed one (marked in the same new manifest, so readers see both changes or neither).
/// `pipeline` must sign with the index's parameters ([`config_of`]).
pub fn add(
    dir: &Path,
    pipeline: &Pipeline,
    inputs: &mut Inputs,
    observer: &dyn Observer,
    replace: bool,
) -> Result<Written> {
    let _lock = Lock::acquire(dir)?;
    let index = Index::open(dir)?;
    let config = pipeline.config();
    if params_of(config, index.has_story()) != index.params {
        return Err(
            IndexError::Corrupt { path: dir.to_path_buf(), what: "add: signing parameters differ".into() }.into()
        );
    }
    let mut signed = pipeline.read(inputs, observer)?;
    observer.stage("write");
    // Ids already indexed: compared by hash first, then by the id itself.
    let hash = |id: &str| xxhash_rust::xxh3::xxh3_64(id.as_bytes());
    let mut known: ahash::AHashMap<u64, Vec<u32>> = ahash::AHashMap::new();
    for (s, seg) in index.segments.iter().enumerate() {
        for d in 0..seg.len() as u32 {
            if index.replaced[(index.bases[s] + d) as usize] {
                continue;
            }
            let id = seg.doc(d)?.id;
            known.entry(hash(&id)).or_default().push(index.bases[s] + d);
        }
    }
    let mut duplicates = Vec::new();
    let mut example = None;
    for doc in &signed.docs {
        if let Some(cands) = known.get(&hash(&doc.id)) {
            for &c in cands {
                if index.doc(c)?.id == doc.id {
                    if replace && !doc.id_given {
                        let place = format!("{}:{}", inputs.source_name(doc.location), doc.line);
                        return Err(IndexError::ReplaceWithoutId { place, id: doc.id.clone() }.into());
                    }
                    duplicates.push(c);
                    example.get_or_insert_with(|| doc.id.clone());
                }
            }
        }
    }
    if let (Some(example), false) = (example, replace) {
        return Err(IndexError::DuplicateIds { count: duplicates.len(), example }.into());
    }
    let mut manifest = index.manifest.clone();
    let newly_replaced = duplicates.len();
    for c in duplicates {
        let (s, d) = index.locate(c);
        manifest.segments[s].replaced.push(d);
    }
    manifest.segments.iter_mut().for_each(|s| s.replaced.sort_unstable());
    let copies =
        if signed.docs.is_empty() { AHashMap::new() } else { keep_spooled(dir, inputs, &signed, manifest.next)? };
    let problems = std::mem::take(&mut signed.problems);
    let notes = std::mem::take(&mut signed.stats.notes);
    let data = segment_of(signed, inputs, config, index.has_story(), &copies)?;
    let added = data.docs.len();
    if added > 0 {
        let file = segment_name(manifest.next);
        let bytes = data.write(&dir.join(&file), &index.params)?;
        manifest.segments.push(SegmentRef { file, docs: added as u64, bytes, replaced: Vec::new() });
        manifest.next += 1;
        write_manifest(dir, &index.params, &manifest)?;
    }
    let docs = index.live() + added - newly_replaced;
    drop(index);
    remove_unlisted(dir, &manifest);
    let bytes = Index::open(dir)?.size();
    Ok(Written { problems, docs, added, replaced: newly_replaced, bytes, notes })
}

/// Merges every segment of the index in `dir` into one, without the replaced documents (their
/// document frequencies stay counted: only `build` recounts).
pub fn compact(dir: &Path) -> Result<Written> {
    let _lock = Lock::acquire(dir)?;
    let index = Index::open(dir)?;
    let mut manifest = index.manifest.clone();
    if index.segments.len() > 1 || index.replaced() > 0 {
        let parts = index
            .segments
            .iter()
            .zip(&manifest.segments)
            .map(|(seg, s)| Ok(seg.decode()?.without(&s.replaced)))
            .collect::<Result<Vec<_>>>()?;
        let data = SegmentData::merge(parts);
        let file = segment_name(manifest.next);
        let bytes = data.write(&dir.join(&file), &index.params)?;
        manifest.segments = vec![SegmentRef { file, docs: data.docs.len() as u64, bytes, replaced: Vec::new() }];
        manifest.next += 1;
        write_manifest(dir, &index.params, &manifest)?;
    }
    let docs = index.live();
    drop(index);
    remove_unlisted(dir, &manifest);
    let bytes = Index::open(dir)?.size();
    Ok(Written { problems: Vec::new(), docs, added: 0, replaced: 0, bytes, notes: InputNotes::default() })
}

fn segment_name(n: u64) -> String {
    format!("seg-{n:06}.wdx")
}

/// Deletes segment and temporary files the manifest does not name (left by a crash, or replaced).
/// Best effort: a file that cannot be deleted is only wasted space.
fn remove_unlisted(dir: &Path, manifest: &Manifest) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let listed = manifest.segments.iter().any(|s| s.file == name);
        if (valid_segment_name(&name) && !listed) || name.starts_with(".tmp-") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
