//! Staged runs: the copy level of [`Pipeline::scan`] cut at its seams, so that an engine (Spark,
//! or a loop over shards) can move the data between stages while this crate does the work.
//!
//! - [`Pipeline::sign`]: documents -> [`SignedDoc`] rows (band keys, shingle set, what choosing an
//!   original needs), written as Parquet or Arrow IPC ([`signature_schema`]);
//! - [`Corpus::verify`]: signature rows -> candidate pairs (the same banding and bucket limit as a
//!   scan) -> verified pairs ([`edge_schema`]); or [`verify_stream`] over pairs already joined
//!   to their signatures;
//! - [`Corpus::cluster`]: verified pairs -> clusters with their originals, as a [`ScanOutput`],
//!   so the reports are written by the same code as a scan's.
//!
//! Every row of a signature table carries the fingerprint of the [`Params`] it was made with;
//! rows made under other parameters are refused. Unsigned 64-bit hashes are stored as signed
//! int64, bit for bit (Spark reads unsigned 64-bit integers as decimals).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Int64Builder, ListBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;

use crate::cluster::{self, Cluster, Window};
use crate::error::{Error, Result, StageError};
use crate::input::{Inputs, Location, Problem, ProblemKind};
use crate::lsh::{self, Candidate};
use crate::params::Params;
use crate::pipeline::{Doc, Observer, Pipeline, ScanOutput, Signed, Stats};
use crate::verify::{Overlap, Relation, Scored};

/// Rows per written batch.
const ROWS_PER_BATCH: usize = 8192;

/// One document's signature row: what verification and choosing an original need.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedDoc {
    pub id: String,
    /// Publication time, seconds since the epoch.
    pub date: Option<i64>,
    /// Its source or URL names a wire agency.
    pub wire: bool,
    /// Shingles in the text, repeats counted.
    pub features: u32,
    /// Length of the text in bytes.
    pub bytes: u32,
    /// Band keys, one per band.
    pub keys: Vec<u64>,
    /// Sorted, distinct shingle hashes.
    pub shingles: Vec<u64>,
}

/// A verified pair named by document ids, `a < b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub a: String,
    pub b: String,
    pub relation: Relation,
    pub score: f64,
    pub overlap: Overlap,
}

/// Columns of a signature table.
pub fn signature_schema() -> SchemaRef {
    let list = || DataType::List(Arc::new(Field::new("item", DataType::Int64, true)));
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("params", DataType::Int64, false),
        Field::new("date", DataType::Int64, true),
        Field::new("wire", DataType::Boolean, false),
        Field::new("features", DataType::Int64, false),
        Field::new("bytes", DataType::Int64, false),
        Field::new("keys", list(), false),
        Field::new("shingles", list(), false),
    ]))
}

/// Columns of a table of verified pairs (and of `verify --ipc`'s output): those of a scan's
/// Parquet pairs, with unrounded scores.
pub fn edge_schema() -> SchemaRef {
    crate::report::pairs_schema()
}

fn hashes_array<'a>(lists: impl Iterator<Item = &'a [u64]>) -> ArrayRef {
    let mut b = ListBuilder::new(Int64Builder::new());
    for list in lists {
        b.values().append_slice(bytemuck_i64(list).as_slice());
        b.append(true);
    }
    Arc::new(b.finish())
}

fn bytemuck_i64(values: &[u64]) -> Vec<i64> {
    values.iter().map(|&v| v as i64).collect()
}

/// Signature rows as one batch; every row carries `params`' fingerprint.
pub fn signatures_batch(rows: &[SignedDoc], params: &Params) -> RecordBatch {
    let fp = params.fingerprint() as i64;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(rows.iter().map(|r| Some(r.id.as_str())).collect::<StringArray>()),
        Arc::new(Int64Array::from(vec![fp; rows.len()])),
        Arc::new(rows.iter().map(|r| r.date).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|r| Some(r.wire)).collect::<BooleanArray>()),
        Arc::new(rows.iter().map(|r| r.features as i64).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|r| r.bytes as i64).collect::<Int64Array>()),
        hashes_array(rows.iter().map(|r| r.keys.as_slice())),
        hashes_array(rows.iter().map(|r| r.shingles.as_slice())),
    ];
    RecordBatch::try_new(signature_schema(), columns).expect("columns match the schema")
}

/// Verified pairs as one batch.
pub fn edges_batch(edges: &[Edge]) -> RecordBatch {
    let number = |f: &dyn Fn(&Edge) -> f64| -> ArrayRef { Arc::new(edges.iter().map(f).collect::<Float64Array>()) };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(edges.iter().map(|e| Some(e.a.as_str())).collect::<StringArray>()),
        Arc::new(edges.iter().map(|e| Some(e.b.as_str())).collect::<StringArray>()),
        Arc::new(edges.iter().map(|e| Some(e.relation.as_str())).collect::<StringArray>()),
        number(&|e| e.score),
        number(&|e| e.overlap.jaccard),
        number(&|e| e.overlap.a_in_b),
        number(&|e| e.overlap.b_in_a),
    ];
    RecordBatch::try_new(edge_schema(), columns).expect("columns match the schema")
}

/// Reads the columns of one batch by name, with messages naming `place`.
struct Columns<'a> {
    batch: &'a RecordBatch,
    place: &'a str,
}

impl<'a> Columns<'a> {
    fn table_error(&self, why: String) -> Error {
        StageError::Table { place: self.place.to_string(), why }.into()
    }

    fn get(&self, name: &str) -> Result<&'a ArrayRef> {
        self.batch.column_by_name(name).ok_or_else(|| {
            let have: Vec<String> = self.batch.schema().fields().iter().map(|f| format!("{:?}", f.name())).collect();
            self.table_error(format!("no column {name:?}; its columns are {}", have.join(", ")))
        })
    }

    fn strings(&self, name: &str) -> Result<Vec<Option<&'a str>>> {
        let a = self.get(name)?;
        Ok(match a.data_type() {
            DataType::Utf8 => a.as_string::<i32>().iter().collect(),
            DataType::LargeUtf8 => a.as_string::<i64>().iter().collect(),
            DataType::Utf8View => a.as_string_view().iter().collect(),
            t => return Err(self.table_error(format!("column {name:?} is {t}, expected strings"))),
        })
    }

    fn required_strings(&self, name: &str, first_row: u64) -> Result<Vec<&'a str>> {
        let values = self.strings(name)?;
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                v.ok_or_else(|| self.table_error(format!("row {}: {name} is null", first_row + i as u64 + 1)))
            })
            .collect()
    }

    fn ints(&self, name: &str) -> Result<&'a Int64Array> {
        let a = self.get(name)?;
        a.as_primitive_opt::<Int64Type>()
            .ok_or_else(|| self.table_error(format!("column {name:?} is {}, expected int64", a.data_type())))
    }

    fn floats(&self, name: &str) -> Result<&'a Float64Array> {
        let a = self.get(name)?;
        a.as_primitive_opt::<arrow_array::types::Float64Type>()
            .ok_or_else(|| self.table_error(format!("column {name:?} is {}, expected float64", a.data_type())))
    }

    /// A list<int64> column as u64 lists (bit for bit).
    fn hash_lists(&self, name: &str) -> Result<Vec<Vec<u64>>> {
        let a = self.get(name)?;
        let lists: Vec<Option<ArrayRef>> = match a.data_type() {
            DataType::List(_) => a.as_list::<i32>().iter().collect(),
            DataType::LargeList(_) => a.as_list::<i64>().iter().collect(),
            t => return Err(self.table_error(format!("column {name:?} is {t}, expected list<int64>"))),
        };
        lists
            .into_iter()
            .map(|l| {
                let l = l.unwrap_or_else(|| Arc::new(Int64Array::from(Vec::<i64>::new())));
                let values = l.as_primitive_opt::<Int64Type>().ok_or_else(|| {
                    self.table_error(format!("column {name:?} holds {}, expected int64", l.data_type()))
                })?;
                Ok(values.values().iter().map(|&v| v as u64).collect())
            })
            .collect()
    }

    /// Checks that every row's `params` column holds `params`' fingerprint.
    fn check_params(&self, column: &str, params: &Params, params_name: &str, first_row: u64) -> Result<()> {
        let expected = params.fingerprint();
        if let Some((i, found)) =
            self.ints(column)?.iter().enumerate().find(|(_, v)| v.map(|v| v as u64) != Some(expected))
        {
            return Err(StageError::RowParams {
                place: format!("{} row {}", self.place, first_row + i as u64 + 1),
                found: found.unwrap_or(0) as u64,
                expected,
                params: params_name.to_string(),
            }
            .into());
        }
        Ok(())
    }
}

/// Signature rows of one batch, checked against `params`.
pub fn signatures_of(
    batch: &RecordBatch,
    place: &str,
    first_row: u64,
    params: &Params,
    params_name: &str,
) -> Result<Vec<SignedDoc>> {
    let c = Columns { batch, place };
    c.check_params("params", params, params_name, first_row)?;
    let ids = c.required_strings("id", first_row)?;
    let dates = c.ints("date")?;
    let wire = c.get("wire")?.as_boolean_opt().ok_or_else(|| c.table_error("column \"wire\" is not boolean".into()))?;
    let features = c.ints("features")?;
    let bytes = c.ints("bytes")?;
    let keys = c.hash_lists("keys")?;
    let shingles = c.hash_lists("shingles")?;
    let mut rows = Vec::with_capacity(ids.len());
    for (i, ((id, keys), shingles)) in ids.into_iter().zip(keys).zip(shingles).enumerate() {
        let row = first_row + i as u64 + 1;
        if keys.len() != params.bands {
            let why = format!("row {row}: {} band keys, the parameters have {} bands", keys.len(), params.bands);
            return Err(c.table_error(why));
        }
        if !shingles.windows(2).all(|w| w[0] < w[1]) {
            return Err(c.table_error(format!("row {row}: shingles are not sorted and distinct")));
        }
        rows.push(SignedDoc {
            id: id.to_string(),
            date: dates.is_valid(i).then(|| dates.value(i)),
            wire: wire.is_valid(i) && wire.value(i),
            features: features.value(i).clamp(0, u32::MAX as i64) as u32,
            bytes: bytes.value(i).clamp(0, u32::MAX as i64) as u32,
            keys,
            shingles,
        });
    }
    Ok(rows)
}

/// Verified pairs of one batch.
pub fn edges_of(batch: &RecordBatch, place: &str, first_row: u64) -> Result<Vec<Edge>> {
    let c = Columns { batch, place };
    let a = c.required_strings("a", first_row)?;
    let b = c.required_strings("b", first_row)?;
    let relation = c.required_strings("relation", first_row)?;
    let (score, jaccard, a_in_b, b_in_a) =
        (c.floats("score")?, c.floats("jaccard")?, c.floats("a_in_b")?, c.floats("b_in_a")?);
    let mut edges = Vec::with_capacity(a.len());
    for i in 0..a.len() {
        let relation = Relation::parse(relation[i]).ok_or_else(|| {
            c.table_error(format!("row {}: unknown relation {:?}", first_row + i as u64 + 1, relation[i]))
        })?;
        let overlap = Overlap { jaccard: jaccard.value(i), a_in_b: a_in_b.value(i), b_in_a: b_in_a.value(i) };
        edges.push(Edge { a: a[i].to_string(), b: b[i].to_string(), relation, score: score.value(i), overlap });
    }
    Ok(edges)
}

/// Writes batches as Parquet to `path`, atomically.
pub fn write_parquet(path: &Path, schema: &SchemaRef, batches: impl Iterator<Item = RecordBatch>) -> Result<()> {
    crate::report::write_atomic(path, |out| {
        let mut writer = crate::report::parquet_writer(out, schema)?;
        for batch in batches {
            writer.write(&batch).map_err(std::io::Error::other)?;
        }
        writer.close().map_err(std::io::Error::other)?;
        Ok(())
    })
}

/// Every batch of the Parquet file at `path`, with its first row's number (from 0).
pub fn read_parquet(path: &Path, mut each: impl FnMut(&RecordBatch, u64) -> Result<()>) -> Result<()> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let shown = path.display().to_string();
    let bad = |why: String| -> Error { StageError::Table { place: shown.clone(), why }.into() };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(ROWS_PER_BATCH).build())
        .map_err(|e| bad(format!("not readable as Parquet: {e}")))?;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| bad(format!("after row {rows}: {e}")))?;
        each(&batch, rows)?;
        rows += batch.num_rows() as u64;
    }
    Ok(())
}

impl Pipeline {
    /// Reads and signs every document of `inputs`, handing `sink` its rows in input order, a
    /// block at a time (shingle sets are computed from the texts read again, in blocks of at
    /// most [`crate::config::Config::verify_block`] values). Returns what the read stage found
    /// (documents, problems, counts); its band keys are handed to `sink`, not kept.
    pub fn sign(
        &self,
        inputs: &mut Inputs,
        observer: &dyn Observer,
        sink: &mut dyn FnMut(Vec<SignedDoc>) -> Result<()>,
    ) -> Result<Signed> {
        let mut signed = self.read(inputs, observer)?;
        let bands = self.config().lsh.bands;
        observer.stage("sign");
        let budget = self.config().verify_block;
        let mut start = 0;
        while start < signed.docs.len() {
            let mut end = start;
            let mut size = 0usize;
            while end < signed.docs.len() && (end == start || size + signed.docs[end].features as usize <= budget) {
                size += signed.docs[end].features.max(1) as usize;
                end += 1;
            }
            let docs = &signed.docs[start..end];
            let shingles: Vec<Vec<u64>> =
                docs.par_iter().map(|d| Ok(self.shingles(&inputs.reread(d.location)?))).collect::<Result<_>>()?;
            let rows = docs
                .iter()
                .zip(shingles)
                .enumerate()
                .map(|(i, (d, shingles))| SignedDoc {
                    id: d.id.clone(),
                    date: d.date,
                    wire: d.is_wire(),
                    features: d.features,
                    bytes: d.bytes,
                    keys: signed.keys[(start + i) * bands..(start + i + 1) * bands].to_vec(),
                    shingles,
                })
                .collect();
            sink(rows)?;
            start = end;
        }
        signed.keys = Vec::new();
        Ok(signed)
    }
}

/// Signature rows of several files (shards) together, in the order given: what `verify` and
/// `cluster` work on. Holds every shingle set in memory.
#[derive(Debug, Default)]
pub struct Corpus {
    pub docs: Vec<Doc>,
    wire: Vec<bool>,
    keys: Vec<u64>,
    shingles: Vec<Vec<u64>>,
    index: ahash::AHashMap<String, u32>,
    /// Each signature file's name, by source.
    files: Vec<String>,
    /// Repeated ids (the first row is kept, as a scan keeps the first document).
    pub problems: Vec<Problem>,
}

impl Corpus {
    /// Reads the signature files at `paths` (Parquet), in order, checking every row against
    /// `params`.
    pub fn load(paths: &[&Path], params: &Params, params_name: &str) -> Result<Corpus> {
        let mut corpus = Corpus::default();
        for (source, path) in paths.iter().enumerate() {
            let name = path.display().to_string();
            corpus.files.push(name.clone());
            read_parquet(path, |batch, first| {
                for (i, row) in signatures_of(batch, &name, first, params, params_name)?.into_iter().enumerate() {
                    let line = first + i as u64 + 1;
                    corpus.push(row, source as u32, &name, line);
                }
                Ok(())
            })?;
        }
        Ok(corpus)
    }

    fn push(&mut self, row: SignedDoc, source: u32, file: &str, line: u64) {
        if let Some(&first) = self.index.get(&row.id) {
            // Named as the warning names its own row: file:row.
            let first = &self.docs[first as usize];
            let (Location::Text { source: s } | Location::Json { source: s, .. }) = first.location;
            let first = format!("{}:{}", self.files[s as usize], first.line);
            let kind = ProblemKind::DuplicateId { id: row.id, first };
            self.problems.push(Problem { file: file.to_string(), line: Some(line), kind });
            return;
        }
        self.index.insert(row.id.clone(), self.docs.len() as u32);
        self.docs.push(Doc {
            id: row.id,
            id_given: true,
            meta: None,
            location: Location::Text { source },
            line,
            bytes: row.bytes,
            features: row.features,
            date: row.date,
            text_hash: 0,
        });
        self.wire.push(row.wire);
        self.keys.extend_from_slice(&row.keys);
        self.shingles.push(row.shingles);
    }

    /// Candidate pairs from the band keys, exactly as a copy-level scan forms them, verified.
    /// Pairs are oriented `a < b` by id and sorted by ids.
    pub fn verify(&self, pipeline: &Pipeline) -> (Vec<Edge>, Stats) {
        let config = pipeline.config();
        let eligible: Vec<bool> = self.docs.iter().map(|d| d.features > 0).collect();
        let mut stats = Stats { docs: self.docs.len(), ..Stats::default() };
        let (mut cands, mut cstats) = lsh::candidates(&self.keys, config.lsh.bands, &eligible, config.max_bucket);
        if config.wrapped {
            // The samples a scan takes while reading, from the shingle sets.
            let mut samples = lsh::Samples::default();
            self.shingles.iter().for_each(|set| samples.push(crate::shingle::samples_of(set)));
            (cands, cstats) = lsh::add_contained(&cands, cstats, samples);
        }
        stats.candidates = cstats;
        let cands = pipeline.within_window(&self.docs, cands, &mut stats);
        let verifier = pipeline.verifier();
        let pairs: Vec<Scored> = cands
            .par_iter()
            .filter_map(|&c| verifier.verify(c, &self.shingles[c.a as usize], &self.shingles[c.b as usize]))
            .collect();
        stats.pairs = pairs.len();
        let pairs = crate::pipeline::orient_and_sort(&self.docs, pairs);
        let edges = pairs.iter().map(|p| self.edge(p)).collect();
        (edges, stats)
    }

    fn edge(&self, p: &Scored) -> Edge {
        Edge {
            a: self.docs[p.a as usize].id.clone(),
            b: self.docs[p.b as usize].id.clone(),
            relation: p.relation,
            score: p.score,
            overlap: p.overlap,
        }
    }

    /// Connected components of the verified pairs `edges` (read from `place`), within the
    /// window, each with its original: the clusters and pairs a copy-level scan of the same
    /// documents reports.
    pub fn cluster(self, pipeline: &Pipeline, edges: Vec<(Edge, String)>) -> Result<ScanOutput> {
        let config = pipeline.config();
        let mut stats = Stats { docs: self.docs.len(), ..Stats::default() };
        let mut pairs = Vec::with_capacity(edges.len());
        for (e, place) in edges {
            let doc = |id: &str| {
                self.index.get(id).copied().ok_or_else(|| StageError::UnknownId { place: place.clone(), id: id.into() })
            };
            pairs.push(Scored {
                a: doc(&e.a)?,
                b: doc(&e.b)?,
                relation: e.relation,
                score: e.score,
                overlap: e.overlap,
                evidence: Vec::new(),
            });
        }
        // An edge listed twice (e.g. by overlapping shards) counts once.
        pairs.sort_by_key(|p| (p.a.min(p.b), p.a.max(p.b)));
        pairs.dedup_by_key(|p| (p.a.min(p.b), p.a.max(p.b)));
        let cands: Vec<Candidate> = pairs.iter().map(|p| Candidate { a: p.a, b: p.b }).collect();
        let kept = pipeline.within_window(&self.docs, cands, &mut stats);
        if kept.len() < pairs.len() {
            let kept: ahash::AHashSet<Candidate> = kept.into_iter().collect();
            pairs.retain(|p| kept.contains(&Candidate { a: p.a, b: p.b }));
        }
        let dates: Vec<Option<i64>> = self.docs.iter().map(|d| d.date).collect();
        let window = Window { dates: &dates, seconds: config.window };
        let groups = cluster::components(self.docs.len(), &pairs, &window);
        let wire = |d: u32| self.wire[d as usize];
        let score = |against: &[Candidate]| -> Result<Vec<(f64, Relation)>> {
            Ok(against
                .par_iter()
                .map(|c| {
                    let overlap = Overlap::of(&self.shingles[c.a as usize], &self.shingles[c.b as usize]);
                    (overlap.score(), Relation::of_overlap(&overlap))
                })
                .collect())
        };
        let clusters: Vec<Cluster> = pipeline.clusters_with_originals(&self.docs, &wire, groups, &pairs, &score)?;
        stats.pairs = pairs.len();
        stats.clusters = clusters.len();
        stats.docs_in_clusters = clusters.iter().map(|c| c.members.len()).sum();
        let pairs = crate::pipeline::orient_and_sort(&self.docs, pairs);
        Ok(ScanOutput { docs: self.docs, pairs, clusters, problems: self.problems, stats, df: Default::default() })
    }
}

/// `verify --ipc`: reads an Arrow IPC stream of candidate pairs joined to their signatures
/// (`a`, `a_shingles`, `a_params`, `b`, `b_shingles`, `b_params`) and writes the verified ones
/// as an Arrow IPC stream ([`edge_schema`]), batch by batch. Returns (pairs read, pairs kept).
pub fn verify_stream(
    pipeline: &Pipeline,
    params: &Params,
    params_name: &str,
    input: impl Read,
    output: impl Write,
) -> Result<(u64, u64)> {
    let ipc = |e: arrow_schema::ArrowError| -> Error {
        StageError::Table { place: "<stdin>".into(), why: format!("not an Arrow IPC stream: {e}") }.into()
    };
    let reader = arrow_ipc::reader::StreamReader::try_new(input, None).map_err(ipc)?;
    let schema = edge_schema();
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(output, &schema)
        .map_err(|e| Error::io("<stdout>", std::io::Error::other(e)))?;
    let verifier = pipeline.verifier();
    let (mut read, mut kept) = (0u64, 0u64);
    for batch in reader {
        let batch = batch.map_err(ipc)?;
        let c = Columns { batch: &batch, place: "<stdin>" };
        c.check_params("a_params", params, params_name, read)?;
        c.check_params("b_params", params, params_name, read)?;
        let a = c.required_strings("a", read)?;
        let b = c.required_strings("b", read)?;
        let sa = c.hash_lists("a_shingles")?;
        let sb = c.hash_lists("b_shingles")?;
        for (i, s) in sa.iter().chain(&sb).enumerate() {
            if !s.windows(2).all(|w| w[0] < w[1]) {
                let why = format!("row {}: shingles are not sorted and distinct", read + (i % a.len()) as u64 + 1);
                return Err(c.table_error(why));
            }
        }
        let edges: Vec<Edge> = (0..a.len())
            .into_par_iter()
            .filter_map(|i| {
                let p = verifier.verify(Candidate { a: 0, b: 1 }, &sa[i], &sb[i])?;
                let (a, b, overlap) = if a[i] <= b[i] {
                    (a[i], b[i], p.overlap)
                } else {
                    (b[i], a[i], Overlap { a_in_b: p.overlap.b_in_a, b_in_a: p.overlap.a_in_b, ..p.overlap })
                };
                Some(Edge { a: a.into(), b: b.into(), relation: p.relation, score: p.score, overlap })
            })
            .collect();
        read += a.len() as u64;
        kept += edges.len() as u64;
        writer.write(&edges_batch(&edges)).map_err(|e| Error::io("<stdout>", std::io::Error::other(e)))?;
    }
    writer.finish().map_err(|e| Error::io("<stdout>", std::io::Error::other(e)))?;
    Ok((read, kept))
}

/// Writes signature rows as an Arrow IPC stream, batch by batch.
pub struct IpcSink<W: Write> {
    writer: arrow_ipc::writer::StreamWriter<W>,
    params: Params,
}

impl<W: Write> IpcSink<W> {
    pub fn new(out: W, params: &Params) -> Result<Self> {
        let writer = arrow_ipc::writer::StreamWriter::try_new(out, &signature_schema())
            .map_err(|e| Error::io("<stdout>", std::io::Error::other(e)))?;
        Ok(IpcSink { writer, params: params.clone() })
    }

    pub fn write(&mut self, rows: &[SignedDoc]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_BATCH) {
            let batch = signatures_batch(chunk, &self.params);
            self.writer.write(&batch).map_err(|e| Error::io("<stdout>", std::io::Error::other(e)))?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        self.writer.finish().map_err(|e| Error::io("<stdout>", std::io::Error::other(e)))
    }
}

/// Rows of an Arrow IPC stream (`input`) as JSON lines holding the configured fields, like a
/// Parquet input's: what `sign --ipc` reads as its documents. Returns the rows written.
pub fn ipc_to_jsonl(input: impl Read, fields: &crate::config::Fields, out: &mut impl Write) -> Result<u64> {
    crate::columnar::ipc_to_jsonl(input, fields, out)
}
