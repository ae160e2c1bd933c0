//! Input: paths (files, folders, `-` for stdin) in, batches of raw documents out; never edits text.
//!
//! A folder is walked recursively in sorted order for `.txt`, `.md`, `.jsonl`, `.json` and their
//! `.gz` / `.zst` forms, and for `.parquet`. A text file is one document whose id is its path
//! relative to the folder given (after the folder as given, when several paths are: two folders
//! may hold the same names). A JSONL line, or an element of a `.json` array, is one document whose
//! fields are named by [`Fields`]. Documents are not kept: each has a [`Location`] from which its text can be read
//! again ([`Inputs::reread`]). Compressed inputs and stdin are spooled, decompressed, to a
//! temporary file so that every location is a byte range of a plain file; so are Parquet files,
//! as one JSON line per row (see `columnar`), which makes a row one JSONL document.
//!
//! Bad input never stops a run: each problem becomes a [`Problem`] naming the file and line.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use crate::config::Fields;
use crate::error::{Error, Result};

/// Bytes of input gathered before a batch is handed to the parallel stages.
const BATCH_BYTES: usize = 8 << 20;
/// Most sources whose sizes [`Inputs::plain_bytes`] adds up.
pub const PLAIN_BYTES_SOURCES: usize = 1024;
/// Documents gathered before a batch is handed on, whatever their size.
const BATCH_UNITS: usize = 16_384;
/// Inputs up to this many keep a file handle open for re-reading; beyond, every re-read opens
/// its file (a folder of 100,000 text files must not exhaust the process's file handles).
const MAX_CACHED_HANDLES: usize = 64;
/// How much of a file is looked at to call it binary.
const SNIFF_BYTES: usize = 8192;

/// Where a document's text lives, so that it can be read again without keeping it in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The whole of a text file.
    Text { source: u32 },
    /// A JSON object at a byte range of a JSONL or JSON file.
    Json { source: u32, offset: u64, len: u32 },
}

/// Optional fields carried from the input to the reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub title: Option<String>,
    pub date: Option<String>,
    pub source: Option<String>,
    pub url: Option<String>,
}

/// One parsed document. The text borrows from the batch it came from.
#[derive(Debug)]
pub struct Record<'a> {
    pub id: String,
    /// The id was read from the input (a JSON id field, a text file's name), not made from a
    /// line number.
    pub id_given: bool,
    /// The id field was there but null, empty, an object or an array, so the id was made from
    /// the line number instead.
    pub id_unusable: bool,
    /// The first of the title, source and URL fields that held an object or an array (dropped:
    /// those fields carry text), by its name.
    pub dropped_field: Option<String>,
    pub text: Cow<'a, str>,
    pub meta: Meta,
    pub location: Location,
    /// Where to point a user: file name and line (line 0 for a whole text file).
    pub line: u64,
}

/// What went wrong with a piece of input. Each is reported, counted and skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    Unreadable(String),
    Empty,
    Binary,
    /// Text in UTF-16 (a byte order mark says so).
    Utf16,
    InvalidUtf8,
    MalformedJson(String),
    NotAnObject,
    MissingText {
        field: String,
    },
    NullText {
        field: String,
    },
    TextNotString {
        field: String,
    },
    EmptyText,
    Truncated(String),
    DuplicateId {
        id: String,
        first: String,
    },
    Unsupported,
    /// Named as compressed (`.gz`, `.zst`) but not starting as such a file does.
    NotCompressed {
        format: &'static str,
        extension: &'static str,
    },
}

/// A problem with the input, located by file and (for JSON) line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<u64>,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: ", self.file, line)?,
            None => write!(f, "{}: ", self.file)?,
        }
        match &self.kind {
            ProblemKind::Unreadable(e) => write!(f, "cannot read: {e}; skipped"),
            ProblemKind::Empty => write!(f, "empty file; skipped"),
            ProblemKind::Binary => write!(f, "binary file (NUL bytes); skipped"),
            ProblemKind::Utf16 => write!(f, "UTF-16 text (convert it to UTF-8, e.g. with iconv); skipped"),
            ProblemKind::InvalidUtf8 => write!(f, "invalid UTF-8; skipped"),
            ProblemKind::MalformedJson(e) => write!(f, "malformed JSON ({e}); skipped"),
            ProblemKind::NotAnObject => write!(f, "not a JSON object; skipped"),
            ProblemKind::MissingText { field } => {
                write!(f, "no {field:?} field (set --text-field); skipped")
            }
            ProblemKind::NullText { field } => write!(f, "field {field:?} is null; skipped"),
            ProblemKind::TextNotString { field } => {
                write!(f, "field {field:?} is not a string; skipped")
            }
            ProblemKind::EmptyText => write!(f, "empty text; skipped"),
            ProblemKind::Truncated(e) => {
                write!(f, "truncated or corrupt ({e}); the documents before it are kept")
            }
            ProblemKind::DuplicateId { id, first } => {
                write!(f, "duplicate id {id:?} (first seen at {first}); skipped")
            }
            ProblemKind::NotCompressed { format, extension } => write!(
                f,
                "not {format} data, though its name ends in {extension} (if it is plain text, rename it without \
                 {extension}); skipped"
            ),
            ProblemKind::Unsupported => {
                write!(
                    f,
                    "not a supported file type (.txt .md .jsonl .json, optionally .gz or .zst, or .parquet); skipped"
                )
            }
        }
    }
}

impl Problem {
    fn new(file: &str, line: Option<u64>, kind: ProblemKind) -> Self {
        Problem { file: file.to_string(), line, kind }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Jsonl,
    Json,
    /// Rows of a Parquet file, spooled as JSONL.
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

/// An input file (or stdin) as the user named it, and the plain file its text can be re-read from.
#[derive(Debug)]
struct Source {
    /// The name shown to users; for a file in a folder, also the document id.
    name: String,
    /// Found by walking a folder (not named by the user).
    walked: bool,
    /// `None` for stdin.
    path: Option<PathBuf>,
    format: Format,
    compression: Compression,
    /// The plain (decompressed) file locations point into; set once the source has been read.
    reread_path: Option<PathBuf>,
}

impl Source {
    /// Why the source is read through the spool, if it is.
    fn spooled(&self) -> Option<Spooled> {
        spooled(self.path.as_deref(), self.format, self.compression)
    }
}

/// Why an input is read through a temporary plain copy: its locations then point into a file
/// that lives only as long as the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spooled {
    Stdin,
    Compressed,
    Parquet,
}

fn spooled(path: Option<&Path>, format: Format, compression: Compression) -> Option<Spooled> {
    if path.is_none() {
        Some(Spooled::Stdin)
    } else if format == Format::Parquet {
        Some(Spooled::Parquet)
    } else if compression != Compression::None {
        Some(Spooled::Compressed)
    } else {
        None
    }
}

/// A slice of one batch's buffer holding one document's raw bytes.
#[derive(Debug)]
pub struct RawUnit {
    source: u32,
    line: u64,
    offset: u64,
    start: usize,
    end: usize,
}

/// Raw documents read in order, ready to be parsed in parallel.
#[derive(Debug, Default)]
pub struct RawBatch {
    buf: Vec<u8>,
    pub units: Vec<RawUnit>,
    /// Problems met while reading this batch's files, in input order.
    pub problems: Vec<Problem>,
    /// Files found in a folder that hold JSON lines but no documents (no line has the text
    /// field; e.g. a labels file beside the articles): not read, listed in the summary.
    pub sidecars: Vec<String>,
}

/// The set of inputs of one run.
#[derive(Debug)]
pub struct Inputs {
    sources: Vec<Source>,
    fields: Fields,
    /// Problems found while listing the paths.
    pub listing_problems: Vec<Problem>,
    /// Files in walked folders that were not inputs (other extensions): count and an example.
    pub ignored_files: (usize, Option<String>),
    spool: Option<tempfile::TempDir>,
    /// Open handles for re-reading, one per source, when there are few sources (with many,
    /// say a folder of text files, each read opens its file: handles are a limited resource).
    handles: Vec<std::sync::OnceLock<io::Result<File>>>,
}

fn classify(path: &Path) -> Option<(Format, Compression)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
        (s.to_string(), Compression::Gzip)
    } else if let Some(s) = name.strip_suffix(".zst") {
        (s.to_string(), Compression::Zstd)
    } else {
        (name, Compression::None)
    };
    let format = match Path::new(&stem).extension()?.to_str()? {
        "txt" | "md" => Format::Text,
        "jsonl" | "ndjson" => Format::Jsonl,
        "json" => Format::Json,
        "parquet" if compression == Compression::None => Format::Parquet,
        _ => return None,
    };
    Some((format, compression))
}

impl Inputs {
    /// Lists the documents' files. No path, or `-`, means JSONL on stdin. Paths that cannot be
    /// read become problems, not errors. A file found in a folder is named by its path relative
    /// to the folder, after the folder as given when there are several paths.
    pub fn open(paths: &[PathBuf], fields: Fields) -> Result<Self> {
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        let mut ignored = (0usize, None);
        let stdin_only = [PathBuf::from("-")];
        let paths = if paths.is_empty() { &stdin_only[..] } else { paths };
        for path in paths {
            if path.as_os_str() == "-" {
                sources.push(Source {
                    name: "<stdin>".into(),
                    walked: false,
                    path: None,
                    format: Format::Jsonl,
                    compression: Compression::None,
                    reread_path: None,
                });
                continue;
            }
            let shown = path.display().to_string();
            match std::fs::metadata(path) {
                Err(e) => problems.push(Problem::new(&shown, None, ProblemKind::Unreadable(e.to_string()))),
                Ok(m) if m.is_dir() => {
                    let walker = walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name();
                    for entry in walker {
                        let entry = match entry {
                            Ok(e) => e,
                            Err(e) => {
                                let at = e.path().map(|p| p.display().to_string()).unwrap_or(shown.clone());
                                problems.push(Problem::new(&at, None, ProblemKind::Unreadable(e.to_string())));
                                continue;
                            }
                        };
                        if !entry.file_type().is_file() {
                            continue;
                        }
                        let rel = entry.path().strip_prefix(path).unwrap_or(entry.path());
                        let mut name =
                            rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                        if paths.len() > 1 {
                            name = format!("{}/{name}", shown.trim_end_matches('/'));
                        }
                        match classify(entry.path()) {
                            Some((format, compression)) => sources.push(Source {
                                name,
                                walked: true,
                                path: Some(entry.path().to_path_buf()),
                                format,
                                compression,
                                reread_path: None,
                            }),
                            None => {
                                ignored.0 += 1;
                                ignored.1.get_or_insert(entry.path().display().to_string());
                            }
                        }
                    }
                }
                Ok(_) => match classify(path) {
                    Some((format, compression)) => sources.push(Source {
                        name: shown,
                        walked: false,
                        path: Some(path.clone()),
                        format,
                        compression,
                        reread_path: None,
                    }),
                    None => problems.push(Problem::new(&shown, None, ProblemKind::Unsupported)),
                },
            }
        }
        let needs_spool = sources.iter().any(|s| s.spooled().is_some());
        let spool = if needs_spool {
            Some(
                tempfile::Builder::new()
                    .prefix("wiredup-spool")
                    .tempdir()
                    .map_err(|e| Error::io(std::env::temp_dir(), e))?,
            )
        } else {
            None
        };
        let cached = if sources.len() <= MAX_CACHED_HANDLES { sources.len() } else { 0 };
        let handles = (0..cached).map(|_| std::sync::OnceLock::new()).collect();
        Ok(Inputs { sources, fields, listing_problems: problems, ignored_files: ignored, spool, handles })
    }

    /// Number of input files (stdin counts as one).
    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    /// Paths of the input files, to refuse writing over one of them.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.sources.iter().filter_map(|s| s.path.as_deref())
    }

    /// The user-facing name of a document's file.
    pub fn source_name(&self, location: Location) -> &str {
        let (Location::Text { source } | Location::Json { source, .. }) = location;
        &self.sources[source as usize].name
    }

    /// The bytes the inputs hold, when every input is a plain file whose size says so (not
    /// compressed, not stdin, not Parquet): for sizing what grows with the documents. `None`
    /// too for more than [`PLAIN_BYTES_SOURCES`] sources (asking each file's size would cost
    /// more than it saves).
    pub fn plain_bytes(&self) -> Option<u64> {
        if self.sources.len() > PLAIN_BYTES_SOURCES {
            return None;
        }
        self.sources.iter().try_fold(0u64, |sum, s| {
            let plain = s.compression == Compression::None && s.format != Format::Parquet;
            let path = s.path.as_ref().filter(|_| plain)?;
            Some(sum + std::fs::metadata(path).ok()?.len())
        })
    }

    /// Reads every source in order and hands each batch to `sink`. Reading runs on its own
    /// thread, one batch ahead of `sink`, so reading and the parallel stages overlap.
    pub fn read_batches(&mut self, mut sink: impl FnMut(&Inputs, &RawBatch)) -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<RawBatch>(1);
        // Batches go back to the reader once read, to be filled again: a fresh 8 MiB buffer for
        // every batch costs page faults and zeroing (a tenth of a copy-level scan's CPU time).
        let (spare_tx, spare_rx) = std::sync::mpsc::sync_channel::<RawBatch>(2);
        let spool_dir = self.spool.as_ref().map(|d| d.path().to_path_buf());
        let fields = self.fields.clone();
        let plan: Vec<Planned> = self
            .sources
            .iter()
            .map(|s| Planned {
                name: s.name.clone(),
                path: s.path.clone(),
                format: s.format,
                compression: s.compression,
                sidecar_text_field: s.walked.then(|| self.fields.text.clone()),
            })
            .collect();
        let reread: Vec<Option<PathBuf>> = std::thread::scope(|scope| {
            let reader = scope.spawn(move || read_all(&plan, spool_dir.as_deref(), &fields, tx, spare_rx));
            for mut batch in rx {
                sink(self, &batch);
                batch.clear();
                // The reader keeps at most two spare batches; it may also have finished.
                let _ = spare_tx.try_send(batch);
            }
            reader.join().expect("reader thread panicked")
        })?;
        for (source, path) in self.sources.iter_mut().zip(reread) {
            source.reread_path = path;
        }
        Ok(())
    }

    /// Parses one raw document into a record, or says what is wrong with it.
    pub fn parse<'b>(&self, batch: &'b RawBatch, unit: &RawUnit) -> Result<Record<'b>, Problem> {
        let source = &self.sources[unit.source as usize];
        let bytes = &batch.buf[unit.start..unit.end];
        match source.format {
            Format::Text => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| Problem::new(&source.name, None, ProblemKind::InvalidUtf8))?;
                let text = text.strip_prefix('\u{feff}').unwrap_or(text);
                if text.trim().is_empty() {
                    return Err(Problem::new(&source.name, None, ProblemKind::EmptyText));
                }
                Ok(Record {
                    id: source.name.clone(),
                    id_given: true,
                    id_unusable: false,
                    dropped_field: None,
                    text: Cow::Borrowed(text),
                    meta: Meta::default(),
                    location: Location::Text { source: unit.source },
                    line: 0,
                })
            }
            Format::Jsonl | Format::Json | Format::Parquet => {
                let at = |kind| Problem::new(&source.name, Some(unit.line), kind);
                let text = std::str::from_utf8(bytes).map_err(|_| at(ProblemKind::InvalidUtf8))?;
                let picked = parse_fields(text, &self.fields).map_err(at)?;
                let id_unusable = picked.id == IdField::Unusable;
                let (id, id_given) = match picked.id {
                    IdField::Given(id) => (id, true),
                    _ if self.sources.len() == 1 => (unit.line.to_string(), false),
                    _ => (format!("{}:{}", source.name, unit.line), false),
                };
                Ok(Record {
                    id,
                    id_given,
                    id_unusable,
                    dropped_field: picked.dropped_field,
                    text: picked.text,
                    meta: picked.meta,
                    location: Location::Json {
                        source: unit.source,
                        offset: unit.offset,
                        len: (unit.end - unit.start) as u32,
                    },
                    line: unit.line,
                })
            }
        }
    }

    /// Reads a document's original text again from where it was found.
    pub fn reread(&self, location: Location) -> Result<String> {
        let (Location::Text { source } | Location::Json { source, .. }) = location;
        let src = &self.sources[source as usize];
        let path = src.reread_path.as_deref().or(src.path.as_deref()).unwrap_or(Path::new("<stdin>"));
        let opened;
        let file = match self.handles.get(source as usize) {
            Some(handle) => handle.get_or_init(|| File::open(path)),
            None => {
                opened = File::open(path);
                &opened
            }
        };
        let file = file.as_ref().map_err(|e| Error::io(path, io::Error::new(e.kind(), e.to_string())))?;
        let read_range = |offset: u64, len: usize| -> Result<Vec<u8>> {
            let mut buf = vec![0u8; len];
            read_exact_at(file, &mut buf, offset).map_err(|e| Error::io(path, e))?;
            Ok(buf)
        };
        let changed = |what: &str| {
            Error::io(
                path,
                io::Error::new(io::ErrorKind::InvalidData, format!("{what}: the file changed during the run")),
            )
        };
        match location {
            Location::Text { .. } => {
                let len = file.metadata().map_err(|e| Error::io(path, e))?.len() as usize;
                let bytes = read_range(0, len)?;
                let text = String::from_utf8(bytes).map_err(|_| changed("invalid UTF-8"))?;
                Ok(match text.strip_prefix('\u{feff}') {
                    Some(t) => t.to_string(),
                    None => text,
                })
            }
            Location::Json { offset, len, .. } => {
                let bytes = read_range(offset, len as usize)?;
                let text = std::str::from_utf8(&bytes).map_err(|_| changed("invalid UTF-8"))?;
                let picked = parse_fields(text, &self.fields).map_err(|_| changed("malformed JSON"))?;
                Ok(picked.text.into_owned())
            }
        }
    }
}

/// Where documents can be found again, for callers (an index) that keep locations beyond a run.
impl Inputs {
    /// The user's file a document was read from; `None` for stdin.
    pub fn source_path(&self, location: Location) -> Option<&Path> {
        let (Location::Text { source } | Location::Json { source, .. }) = location;
        self.sources[source as usize].path.as_deref()
    }

    /// The plain file a document's location points into: the user's file, or the spooled copy of
    /// stdin or of a compressed input (which lives only as long as this `Inputs`).
    pub fn reread_path(&self, location: Location) -> Option<&Path> {
        let (Location::Text { source } | Location::Json { source, .. }) = location;
        let src = &self.sources[source as usize];
        src.reread_path.as_deref().or(src.path.as_deref())
    }

    /// The spooled copy a document's text lives in, when its input was read through a spool
    /// (stdin, a compressed file, Parquet); `None` for the user's own plain files.
    pub fn spool_path(&self, location: Location) -> Option<&Path> {
        let (Location::Text { source } | Location::Json { source, .. }) = location;
        let src = &self.sources[source as usize];
        src.spooled().and(src.reread_path.as_deref())
    }

    /// Names of the inputs read through a spool (stdin, compressed files, Parquet), and why:
    /// their locations do not point into a file of the user's.
    pub fn spooled_names(&self) -> impl Iterator<Item = (&str, Spooled)> {
        self.sources.iter().filter_map(|s| Some((s.name.as_str(), s.spooled()?)))
    }
}

/// The text of one JSON document (the field `fields.text`), exactly as a scan reads it.
pub fn json_text(json: &str, fields: &Fields) -> std::result::Result<String, ProblemKind> {
    parse_fields(json, fields).map(|p| p.text.into_owned())
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

/// Copies everything read through it to a spool file, so that stdin and compressed inputs can
/// be read again by byte offset.
struct Tee<R> {
    inner: R,
    copy: Option<BufWriter<File>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(copy) = &mut self.copy {
            copy.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}

struct BatchBuilder {
    batch: RawBatch,
    tx: std::sync::mpsc::SyncSender<RawBatch>,
    /// Batches the consumer is done with, emptied, to be filled again.
    spare: std::sync::mpsc::Receiver<RawBatch>,
}

impl RawBatch {
    /// An empty batch with room for [`BATCH_BYTES`] (and the document that crosses it).
    fn with_room() -> Self {
        RawBatch { buf: Vec::with_capacity(BATCH_BYTES + BATCH_BYTES / 8), ..RawBatch::default() }
    }

    /// Empties the batch, keeping its buffers' capacity.
    fn clear(&mut self) {
        self.buf.clear();
        self.units.clear();
        self.problems.clear();
        self.sidecars.clear();
    }

    /// Bytes of input this batch holds (its documents' raw bytes, as read).
    pub fn raw_bytes(&self) -> usize {
        self.buf.len()
    }
}

impl BatchBuilder {
    fn push(&mut self, source: u32, line: u64, offset: u64, bytes: &[u8]) {
        let start = self.batch.buf.len();
        self.batch.buf.extend_from_slice(bytes);
        let end = self.batch.buf.len();
        self.batch.units.push(RawUnit { source, line, offset, start, end });
        if self.batch.buf.len() >= BATCH_BYTES || self.batch.units.len() >= BATCH_UNITS {
            self.flush();
        }
    }

    fn problem(&mut self, p: Problem) {
        self.batch.problems.push(p);
    }

    fn flush(&mut self) {
        let next = self.spare.try_recv().unwrap_or_else(|_| RawBatch::with_room());
        let batch = std::mem::replace(&mut self.batch, next);
        // The receiver only goes away when the run is already failing; nothing to add then.
        let _ = self.tx.send(batch);
    }
}

/// What the reader thread needs to know of a source.
struct Planned {
    name: String,
    path: Option<PathBuf>,
    format: Format,
    compression: Compression,
    /// For a file found in a folder: the text field whose absence from the first document line
    /// marks the file as a sidecar rather than documents.
    sidecar_text_field: Option<String>,
}

/// Reads every source in order; returns, per source, the plain file to re-read it from.
fn read_all(
    plan: &[Planned],
    spool: Option<&Path>,
    fields: &Fields,
    tx: std::sync::mpsc::SyncSender<RawBatch>,
    spare: std::sync::mpsc::Receiver<RawBatch>,
) -> Result<Vec<Option<PathBuf>>> {
    let mut out = BatchBuilder { batch: RawBatch::with_room(), tx, spare };
    let mut reread = Vec::with_capacity(plan.len());
    for (i, Planned { name, path, format, compression, sidecar_text_field }) in plan.iter().enumerate() {
        let spooled =
            spool.filter(|_| spooled(path.as_deref(), *format, *compression).is_some()).map(|d| d.join(format!("{i}")));
        if let (Format::Parquet, Some(path), Some(spooled)) = (format, path, &spooled) {
            let ok = read_parquet(path, spooled, name, i as u32, fields, &mut out)?;
            reread.push(ok.then(|| spooled.clone()));
            continue;
        }
        let copy = match &spooled {
            Some(p) => Some(BufWriter::new(File::create(p).map_err(|e| Error::io(p, e))?)),
            None => None,
        };
        let raw: Box<dyn Read> = match path {
            None => Box::new(io::stdin().lock()),
            Some(p) => match File::open(p) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    out.problem(Problem::new(name, None, ProblemKind::Unreadable(e.to_string())));
                    reread.push(None);
                    continue;
                }
            },
        };
        let raw = match compressed_start(raw, *compression) {
            Ok(raw) => raw,
            Err(kind) => {
                out.problem(Problem::new(name, None, kind));
                reread.push(None);
                continue;
            }
        };
        let decoded: Box<dyn Read> = match compression {
            Compression::None => raw,
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
            Compression::Zstd => match zstd::stream::read::Decoder::new(raw) {
                Ok(d) => Box::new(d),
                Err(e) => {
                    out.problem(Problem::new(name, None, ProblemKind::Truncated(e.to_string())));
                    reread.push(None);
                    continue;
                }
            },
        };
        let mut reader = Tee { inner: decoded, copy };
        let source = i as u32;
        match format {
            Format::Text => read_text(&mut reader, name, source, &mut out),
            Format::Json => read_json(&mut reader, name, source, &mut out),
            Format::Jsonl | Format::Parquet => {
                read_lines(&mut reader, name, source, sidecar_text_field.as_deref(), &mut out)
            }
        }
        if let Some(mut copy) = reader.copy.take() {
            let p = spooled.as_deref().unwrap_or(Path::new(""));
            copy.flush().map_err(|e| Error::io(p, e))?;
        }
        reread.push(spooled);
    }
    out.flush();
    Ok(reread)
}

/// `raw`, to be decoded as `compression` says, once its first bytes are those of such data
/// (for plain text, `raw` as it is); else the problem to report: an empty or unreadable file,
/// or one that is not compressed as its name says (a `.gz` file that is plain text would
/// otherwise read as a corrupt one).
fn compressed_start(raw: Box<dyn Read>, compression: Compression) -> std::result::Result<Box<dyn Read>, ProblemKind> {
    use std::io::BufRead;
    let (magic, format, extension): (&[u8], _, _) = match compression {
        Compression::None => return Ok(raw),
        Compression::Gzip => (&[0x1f, 0x8b], "gzip", ".gz"),
        Compression::Zstd => (&[0x28, 0xb5, 0x2f, 0xfd], "zstd", ".zst"),
    };
    let mut buffered = io::BufReader::new(raw);
    let head = buffered.fill_buf().map_err(|e| ProblemKind::Unreadable(e.to_string()))?;
    if head.is_empty() {
        return Err(ProblemKind::Empty);
    }
    if !head.starts_with(magic) && !magic.starts_with(head) {
        return Err(ProblemKind::NotCompressed { format, extension });
    }
    Ok(Box::new(buffered))
}

/// Spools a Parquet file's rows as JSON lines, then reads them as a JSONL file. Returns whether
/// the spool holds anything to re-read; a missing or mistyped text column stops the run.
fn read_parquet(
    path: &Path,
    spooled: &Path,
    name: &str,
    source: u32,
    fields: &Fields,
    out: &mut BatchBuilder,
) -> Result<bool> {
    use crate::columnar::{parquet_to_jsonl, RowsError};
    let mut copy = BufWriter::new(File::create(spooled).map_err(|e| Error::io(spooled, e))?);
    let cut = match parquet_to_jsonl(path, name, fields, &mut copy) {
        Ok(_) => None,
        Err(RowsError::Unreadable(e)) => {
            out.problem(Problem::new(name, None, ProblemKind::Unreadable(e)));
            return Ok(false);
        }
        Err(RowsError::Truncated { rows, message }) => {
            Some(Problem::new(name, Some(rows + 1), ProblemKind::Truncated(message)))
        }
        Err(RowsError::Column(e)) => return Err(e.into()),
        Err(RowsError::Write(e)) => return Err(Error::io(spooled, e)),
    };
    copy.flush().map_err(|e| Error::io(spooled, e))?;
    drop(copy);
    let mut lines = File::open(spooled).map_err(|e| Error::io(spooled, e))?;
    read_lines(&mut lines, name, source, None, out);
    if let Some(p) = cut {
        out.problem(p);
    }
    Ok(true)
}

/// Starts with a UTF-16 byte order mark (its text has NUL bytes, so it reads as binary).
fn is_utf16(head: &[u8]) -> bool {
    head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff])
}

fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(SNIFF_BYTES)]).is_some()
}

/// A text file: one document, read whole.
fn read_text(reader: &mut impl Read, name: &str, source: u32, out: &mut BatchBuilder) {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        let kind = if bytes.is_empty() {
            ProblemKind::Unreadable(e.to_string())
        } else {
            ProblemKind::Truncated(e.to_string())
        };
        out.problem(Problem::new(name, None, kind));
        return;
    }
    if bytes.is_empty() {
        return out.problem(Problem::new(name, None, ProblemKind::Empty));
    }
    if is_binary(&bytes) {
        let kind = if is_utf16(&bytes) { ProblemKind::Utf16 } else { ProblemKind::Binary };
        return out.problem(Problem::new(name, None, kind));
    }
    out.push(source, 0, 0, &bytes)
}

/// A .json file: an array of documents, or documents one after another (one object, or
/// several). Read a piece at a time, like a JSONL file: memory holds a piece and the value
/// being read, never the whole file. Each value is handed on with its byte range and the line
/// it starts on, to be parsed like a JSONL line; a break in the file's structure (a missing
/// comma, an unclosed array, a cut-off value) is a problem naming its line, and ends the
/// file's reading there (the values before it are kept).
fn read_json(reader: &mut impl Read, name: &str, source: u32, out: &mut BatchBuilder) {
    let split = split_json(reader, BATCH_BYTES / 2, &mut |offset, line, bytes| out.push(source, line, offset, bytes));
    match split {
        Ok(0) => out.problem(Problem::new(name, None, ProblemKind::Empty)),
        Ok(_) => {}
        Err(JsonStop::Binary) => out.problem(Problem::new(name, None, ProblemKind::Binary)),
        Err(JsonStop::Utf16) => out.problem(Problem::new(name, None, ProblemKind::Utf16)),
        Err(JsonStop::Malformed(line, why)) => {
            out.problem(Problem::new(name, Some(line), ProblemKind::MalformedJson(why.into())))
        }
        Err(JsonStop::Read(line, e)) => {
            out.problem(Problem::new(name, Some(line), ProblemKind::Truncated(e.to_string())))
        }
    }
}

/// Why [`split_json`] stopped before the end of its input.
#[derive(Debug)]
enum JsonStop {
    /// The input is binary ([`is_binary`]).
    Binary,
    /// Text in UTF-16 (a byte order mark says so).
    Utf16,
    /// The structure breaks on this line.
    Malformed(u64, &'static str),
    /// Reading failed on this line.
    Read(u64, io::Error),
}

/// Reads `reader` `piece` bytes at a time and splits it with a [`JsonSplitter`], calling
/// `visit(file offset, line, bytes)` for each value. Returns the bytes read.
fn split_json(
    reader: &mut impl Read,
    piece: usize,
    visit: &mut impl FnMut(u64, u64, &[u8]),
) -> std::result::Result<u64, JsonStop> {
    let mut split = JsonSplitter::default();
    let read = read_in_pieces(reader, piece, |buf, offset, end| {
        let scanned = split.scan(buf, end, &mut |start, stop, line| {
            visit(offset + start as u64, line, &buf[start..stop]);
        });
        if let Err((line, why)) = scanned {
            return ControlFlow::Break(JsonStop::Malformed(line, why));
        }
        let done = split.keep_from();
        split.shift(done);
        ControlFlow::Continue(done)
    });
    match read {
        Pieces::Ended(total) => Ok(total),
        Pieces::Cut(e) => Err(JsonStop::Read(split.line, e)),
        Pieces::Binary => Err(JsonStop::Binary),
        Pieces::Utf16 => Err(JsonStop::Utf16),
        Pieces::Stopped(stop) => Err(stop),
    }
}

/// Where [`JsonSplitter`] stands outside a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum JsonAt {
    /// Before anything but whitespace (and a byte order mark).
    #[default]
    Start,
    /// Just inside the top-level array: an element or its end comes next.
    ArrayOpen,
    /// After a comma in the array: an element comes next.
    ArrayComma,
    /// After an element of the array: a comma or the end comes next.
    ArrayElement,
    /// Between top-level values (the file is not an array).
    Stream,
    /// After the array's end: only whitespace may follow.
    Done,
}

/// The value [`JsonSplitter`] is in: where and on which line it started, how deep in brackets
/// it is, and whether in a string (just after a backslash in it).
#[derive(Debug, Clone, Copy)]
struct OpenValue {
    start: usize,
    line: u64,
    depth: u32,
    scalar: bool,
    string: bool,
    escaped: bool,
}

/// Splits a .json text, given as a growing buffer, into its documents: the elements of a
/// top-level array, or else its top-level values. It finds where each value ends (brackets
/// and strings) without checking the value's own syntax, which parsing it does.
#[derive(Debug, Default)]
struct JsonSplitter {
    at: JsonAt,
    /// Line of `buf[pos]` (from 1; 0 before the first scan).
    line: u64,
    /// The next byte of the buffer to look at.
    pos: usize,
    value: Option<OpenValue>,
}

impl JsonSplitter {
    /// Looks at `buf[pos..]`, calling `emit(start, end, line)` for each value that ends in it.
    /// At `eof`, a value or array still open is an error. Errors are (line, what is wrong).
    fn scan(
        &mut self,
        buf: &[u8],
        eof: bool,
        emit: &mut impl FnMut(usize, usize, u64),
    ) -> std::result::Result<(), (u64, &'static str)> {
        self.line = self.line.max(1);
        while self.pos < buf.len() {
            if let Some(mut v) = self.value.take() {
                match self.value_end(buf, &mut v) {
                    Some(end) => self.finish(v, end, emit),
                    None => self.value = Some(v),
                }
                continue;
            }
            let b = buf[self.pos];
            if b.is_ascii_whitespace() {
                self.line += u64::from(b == b'\n');
                self.pos += 1;
                continue;
            }
            if self.at == JsonAt::Start && b == 0xef {
                let rest = &buf[self.pos..];
                if rest.len() < 3 && !eof && b"\xef\xbb\xbf".starts_with(rest) {
                    break; // perhaps a byte order mark: wait for the rest of it
                }
                if rest.starts_with(b"\xef\xbb\xbf") {
                    self.pos += 3;
                    continue;
                }
            }
            let error = |what| Err((self.line, what));
            match (self.at, b) {
                (JsonAt::Start, b'[') => {
                    self.at = JsonAt::ArrayOpen;
                    self.pos += 1;
                }
                (JsonAt::Start, _) => self.at = JsonAt::Stream,
                (JsonAt::ArrayOpen | JsonAt::ArrayElement, b']') => {
                    self.at = JsonAt::Done;
                    self.pos += 1;
                }
                (JsonAt::ArrayElement, b',') => {
                    self.at = JsonAt::ArrayComma;
                    self.pos += 1;
                }
                (JsonAt::ArrayElement, _) => return error("expected `,` or `]` after an array element"),
                (JsonAt::ArrayComma, b']') => return error("trailing comma before `]`"),
                (JsonAt::Done, _) => return error("trailing characters after the array"),
                (_, b',' | b']' | b'}' | b':') => return error("expected a value"),
                _ => {
                    let scalar = !matches!(b, b'{' | b'[' | b'"');
                    self.value = Some(OpenValue {
                        start: self.pos,
                        line: self.line,
                        depth: 0,
                        scalar,
                        string: false,
                        escaped: false,
                    });
                }
            }
        }
        if eof {
            if let Some(v) = self.value.take() {
                if !v.scalar {
                    return Err((v.line, "a value that starts here is cut off at the end of the file"));
                }
                self.finish(v, buf.len(), emit);
            }
            if matches!(self.at, JsonAt::ArrayOpen | JsonAt::ArrayComma | JsonAt::ArrayElement) {
                return Err((self.line, "the array is not closed at the end of the file"));
            }
        }
        Ok(())
    }

    /// Hands on the value `v`, which ends at `end`; an array element is then followed by a comma
    /// or the array's end.
    fn finish(&mut self, v: OpenValue, end: usize, emit: &mut impl FnMut(usize, usize, u64)) {
        emit(v.start, end, v.line);
        if self.at != JsonAt::Stream {
            self.at = JsonAt::ArrayElement;
        }
    }

    /// Moves through the open value `v` from `pos`: its end (exclusive) when it is in `buf`.
    fn value_end(&mut self, buf: &[u8], v: &mut OpenValue) -> Option<usize> {
        while self.pos < buf.len() {
            if v.string {
                if v.escaped {
                    v.escaped = false;
                    self.pos += 1;
                    continue;
                }
                let rest = &buf[self.pos..];
                let Some(k) = memchr::memchr2(b'"', b'\\', rest) else {
                    self.line += memchr::memchr_iter(b'\n', rest).count() as u64;
                    self.pos = buf.len();
                    return None;
                };
                self.line += memchr::memchr_iter(b'\n', &rest[..k]).count() as u64;
                self.pos += k + 1;
                if rest[k] == b'\\' {
                    v.escaped = true;
                } else {
                    v.string = false;
                    if v.depth == 0 {
                        return Some(self.pos);
                    }
                }
                continue;
            }
            let b = buf[self.pos];
            if v.scalar {
                if b.is_ascii_whitespace() || matches!(b, b',' | b']' | b'}' | b'[' | b'{' | b'"') {
                    return Some(self.pos);
                }
                self.pos += 1;
                continue;
            }
            self.pos += 1;
            match b {
                b'"' => v.string = true,
                b'{' | b'[' => v.depth += 1,
                b'}' | b']' => {
                    v.depth -= 1;
                    if v.depth == 0 {
                        return Some(self.pos);
                    }
                }
                b'\n' => self.line += 1,
                _ => {}
            }
        }
        None
    }

    /// The first byte of the buffer still needed: the open value's start, else the next byte.
    fn keep_from(&self) -> usize {
        self.value.map_or(self.pos, |v| v.start)
    }

    /// Forgets the buffer's first `n` bytes (`n` <= [`JsonSplitter::keep_from`]).
    fn shift(&mut self, n: usize) {
        self.pos -= n;
        if let Some(v) = &mut self.value {
            v.start -= n;
        }
    }
}

/// True when `line` is a JSON object without `text_field`: when no other line of the file's
/// first piece has it either, the file holds something else than documents (labels, metadata).
fn is_sidecar_line(line: &[u8], text_field: &str) -> bool {
    json_object(line).is_some_and(|object| !object.contains_key(text_field))
}

/// `line` read as a JSON object, if it is one.
fn json_object(line: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_slice(line).ok()
}

fn read_lines(reader: &mut impl Read, name: &str, source: u32, sidecar_field: Option<&str>, out: &mut BatchBuilder) {
    let mut line = 0u64; // lines handed on so far
    let mut documents = false; // a line other than white space was handed on
    let mut sidecar_field = sidecar_field;
    // Breaks when the file turns out to be a sidecar.
    let read = read_in_pieces(reader, BATCH_BYTES / 2, |buf, offset, end| {
        // Hand on every complete line (and at the end, the last one without a newline).
        let mut start = 0usize;
        // A cut-off last line is dropped: it would be a malformed document.
        let last_line = end.then_some(buf.len());
        for nl in memchr::memchr_iter(b'\n', buf).chain(last_line) {
            if nl < start {
                continue;
            }
            line += 1;
            let mut l = &buf[start..nl];
            if let Some(stripped) = l.strip_suffix(b"\r") {
                l = stripped;
            }
            if line == 1 {
                // A byte order mark (editors on Windows write one) is not part of the first line.
                if let Some(stripped) = l.strip_prefix(b"\xef\xbb\xbf") {
                    l = stripped;
                    start += 3;
                }
            }
            if !l.iter().all(u8::is_ascii_whitespace) {
                if let Some(field) = sidecar_field.take() {
                    // A file of articles whose first record lacks its text is still read (that
                    // record is a warning): any other line of this piece with a text decides.
                    let later = buf[(nl + 1).min(buf.len())..].split(|&b| b == b'\n');
                    let later_text = || later.map(json_object).any(|o| o.is_some_and(|o| o.contains_key(field)));
                    if is_sidecar_line(l, field) && !later_text() {
                        return ControlFlow::Break(());
                    }
                }
                out.push(source, line, offset + start as u64, l);
                documents = true;
            }
            start = nl + 1;
        }
        ControlFlow::Continue(start)
    });
    match read {
        // White space only is as empty as no bytes.
        Pieces::Ended(_) if !documents => out.problem(Problem::new(name, None, ProblemKind::Empty)),
        Pieces::Ended(_) => {}
        Pieces::Cut(e) => out.problem(Problem::new(name, Some(line + 1), ProblemKind::Truncated(e.to_string()))),
        Pieces::Binary => out.problem(Problem::new(name, None, ProblemKind::Binary)),
        Pieces::Utf16 => out.problem(Problem::new(name, None, ProblemKind::Utf16)),
        Pieces::Stopped(()) => out.batch.sidecars.push(name.to_string()),
    }
}

/// How [`read_in_pieces`] ended.
enum Pieces<B> {
    /// At the end of the input, after this many bytes.
    Ended(u64),
    /// Reading failed (after the pieces before were handed on).
    Cut(io::Error),
    /// The first piece is binary ([`is_binary`]); nothing was handed on.
    Binary,
    /// Text in UTF-16 (a byte order mark says so).
    Utf16,
    /// The reader of the pieces stopped.
    Stopped(B),
}

/// Reads `reader` a piece of `piece` bytes at a time into a buffer, and hands the buffer to
/// `take(buffer, file offset of its first byte, end)`, `end` when the input has ended cleanly.
/// `take` says how many leading bytes it is done with (dropped before the next piece comes
/// after the rest) or stops the reading. A binary input is refused before `take` sees it.
fn read_in_pieces<B>(
    reader: &mut impl Read,
    piece: usize,
    mut take: impl FnMut(&[u8], u64, bool) -> ControlFlow<B, usize>,
) -> Pieces<B> {
    let mut buf: Vec<u8> = Vec::with_capacity(piece + 4096);
    let mut offset = 0u64; // file offset of buf[0]
    let mut total = 0u64;
    loop {
        let filled = buf.len();
        buf.resize(filled + piece, 0);
        let (n, error) = match read_full(reader, &mut buf[filled..]) {
            Ok(n) => (n, None),
            Err((n, e)) => (n, Some(e)),
        };
        buf.truncate(filled + n);
        if total == 0 && is_binary(&buf) {
            return if is_utf16(&buf) { Pieces::Utf16 } else { Pieces::Binary };
        }
        total += n as u64;
        let end = n == 0 && error.is_none();
        let done = match take(&buf, offset, end) {
            ControlFlow::Continue(done) => done.min(buf.len()),
            ControlFlow::Break(stop) => return Pieces::Stopped(stop),
        };
        match error {
            Some(e) => return Pieces::Cut(e),
            None if end => return Pieces::Ended(total),
            None => {}
        }
        buf.drain(..done);
        offset += done as u64;
    }
}

/// Fills `buf` as far as the reader allows; returns 0 only at the end of the input. On an
/// error, says how many bytes were read before it.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, (usize, io::Error)> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((n, e)),
        }
    }
    Ok(n)
}

/// The configured fields of one JSON object; the text borrowed where it has no escapes.
struct Picked<'a> {
    id: IdField,
    text: Cow<'a, str>,
    meta: Meta,
    /// See [`Record::dropped_field`].
    dropped_field: Option<String>,
}

/// What a JSON line's id field held.
#[derive(Debug, PartialEq)]
enum IdField {
    Absent,
    /// A string or number (numbers as written).
    Given(String),
    /// Null, an empty string, an object or an array: present, but nothing to name a document by.
    Unusable,
}

/// A JSON value reduced to what a field can hold.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Other(String),
    Null,
    Nested,
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(Scalar::Other(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(Scalar::Other(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
                Ok(Scalar::Other(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Self::Value, E> {
                Ok(Scalar::Other(v.to_string()))
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Nested)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> Scalar<'a> {
    fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s.into_owned()),
            Scalar::Other(s) => Some(s),
            Scalar::Null | Scalar::Nested => None,
        }
    }
}

/// A field's value as a [`Scalar`], except that a value `verbatim` picks (given its JSON text) is
/// kept as the text it was written as.
fn scalar_or_literal<'de, E: de::Error>(
    raw: &'de serde_json::value::RawValue,
    verbatim: impl Fn(&str) -> bool,
) -> std::result::Result<Scalar<'de>, E> {
    let literal = raw.get().trim();
    if verbatim(literal) {
        Ok(Scalar::Other(literal.to_string()))
    } else {
        serde_json::from_str(literal).map_err(E::custom)
    }
}

/// Pulls the configured fields out of one JSON object, skipping every other field unparsed.
struct FieldPicker<'f>(&'f Fields);

#[derive(Default)]
struct PickedRaw<'a> {
    object: bool,
    id: Option<Scalar<'a>>,
    text: Option<Scalar<'a>>,
    title: Option<Scalar<'a>>,
    date: Option<Scalar<'a>>,
    source: Option<Scalar<'a>>,
    url: Option<Scalar<'a>>,
}

impl<'de> DeserializeSeed<'de> for FieldPicker<'_> {
    type Value = PickedRaw<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldPicker<'_> {
    type Value = PickedRaw<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let f = self.0;
        let mut out = PickedRaw { object: true, ..Default::default() };
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let slot = if key == f.text {
                &mut out.text
            } else if key == f.id {
                // A number keeps its digits as written: read as a float, ids past 2^64 would
                // round, and two of them could become one.
                let number = |literal: &str| literal.starts_with(|c: char| c == '-' || c.is_ascii_digit());
                out.id = Some(scalar_or_literal(map.next_value()?, number)?);
                continue;
            } else if key == f.title {
                &mut out.title
            } else if key == f.date {
                // An object or array (a database export's {"$date": ...}) is kept as its JSON
                // text: it reads as no date, and the summary counts it among the unreadable ones
                // instead of it vanishing.
                out.date = Some(scalar_or_literal(map.next_value()?, |literal| literal.starts_with(['{', '[']))?);
                continue;
            } else if key == f.source {
                &mut out.source
            } else if key == f.url {
                &mut out.url
            } else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            *slot = Some(map.next_value::<Scalar<'de>>()?);
        }
        Ok(out)
    }
    // Any other top-level JSON value is not a document.
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Self::Value, A::Error> {
        while a.next_element::<IgnoredAny>()?.is_some() {}
        Ok(PickedRaw::default())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(PickedRaw::default())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(PickedRaw::default())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(PickedRaw::default())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(PickedRaw::default())
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(PickedRaw::default())
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(PickedRaw::default())
    }
}

fn parse_fields<'a>(json: &'a str, fields: &Fields) -> std::result::Result<Picked<'a>, ProblemKind> {
    let mut de = serde_json::Deserializer::from_str(json);
    let raw = FieldPicker(fields)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|_| v))
        .map_err(|e| ProblemKind::MalformedJson(e.to_string()))?;
    if !raw.object {
        return Err(ProblemKind::NotAnObject);
    }
    let text = match raw.text {
        Some(Scalar::Str(s)) => s,
        None => return Err(ProblemKind::MissingText { field: fields.text.clone() }),
        Some(Scalar::Null) => return Err(ProblemKind::NullText { field: fields.text.clone() }),
        Some(_) => return Err(ProblemKind::TextNotString { field: fields.text.clone() }),
    };
    if text.trim().is_empty() {
        return Err(ProblemKind::EmptyText);
    }
    let nested = |value: &Option<Scalar>| matches!(value, Some(Scalar::Nested));
    let dropped_field = [(&raw.title, &fields.title), (&raw.source, &fields.source), (&raw.url, &fields.url)]
        .into_iter()
        .find(|(value, _)| nested(value))
        .map(|(_, name)| name.clone());
    Ok(Picked {
        id: match raw.id {
            None => IdField::Absent,
            Some(Scalar::Str(s)) if s.trim().is_empty() => IdField::Unusable,
            Some(id) => id.into_string().map_or(IdField::Unusable, IdField::Given),
        },
        text,
        dropped_field,
        meta: Meta {
            title: raw.title.and_then(Scalar::into_string),
            date: raw.date.and_then(Scalar::into_string),
            source: raw.source.and_then(Scalar::into_string),
            url: raw.url.and_then(Scalar::into_string),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(paths: &[PathBuf]) -> (Vec<(String, String)>, Vec<Problem>, Inputs) {
        let mut inputs = Inputs::open(paths, Fields::default()).unwrap();
        let mut docs = Vec::new();
        let mut problems = inputs.listing_problems.clone();
        inputs
            .read_batches(|inp, batch| {
                problems.extend(batch.problems.iter().cloned());
                for u in &batch.units {
                    match inp.parse(batch, u) {
                        Ok(r) => docs.push((r.id, r.text.into_owned())),
                        Err(p) => problems.push(p),
                    }
                }
            })
            .unwrap();
        (docs, problems, inputs)
    }

    #[test]
    fn plain_bytes_are_the_files_sizes_only_when_every_input_is_plain() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, z) = (dir.path().join("a.jsonl"), dir.path().join("b.txt"), dir.path().join("c.jsonl.gz"));
        let (text_a, text_b) = ("{\"text\":\"one two\"}\n", "three four five");
        std::fs::write(&a, text_a).unwrap();
        std::fs::write(&b, text_b).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"{\"text\":\"six\"}\n").unwrap();
        std::fs::write(&z, gz.finish().unwrap()).unwrap();
        let plain = |paths: &[PathBuf]| Inputs::open(paths, Fields::default()).unwrap().plain_bytes();
        assert_eq!(plain(&[a.clone(), b.clone()]), Some((text_a.len() + text_b.len()) as u64));
        // A compressed file's size says little of what it holds.
        assert_eq!(plain(&[a, z]), None);
    }

    #[test]
    fn jsonl_lines_become_documents_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        std::fs::write(
            &p,
            "{\"id\":\"x\",\"text\":\"hello world\"}\n{oops\n\n{\"id\":7,\"text\":\"caf\\u00e9 ok\"}\n{\"id\":\"y\"}\n[1]\n",
        )
        .unwrap();
        let (docs, problems, _) = read(&[p]);
        assert_eq!(docs, vec![("x".into(), "hello world".into()), ("7".into(), "café ok".into())]);
        let lines: Vec<_> = problems.iter().map(|p| (p.line, p.kind.clone())).collect();
        assert!(matches!(lines[0], (Some(2), ProblemKind::MalformedJson(_))));
        assert_eq!(lines[1], (Some(5), ProblemKind::MissingText { field: "text".into() }));
        assert_eq!(lines[2], (Some(6), ProblemKind::NotAnObject));
    }

    #[test]
    fn a_byte_order_mark_does_not_spoil_the_first_jsonl_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bom.jsonl");
        std::fs::write(&p, "\u{feff}{\"id\":\"a\",\"text\":\"first\"}\r\n{\"id\":\"b\",\"text\":\"second\"}\n")
            .unwrap();
        let mut inputs = Inputs::open(&[p], Fields::default()).unwrap();
        let mut locs = Vec::new();
        inputs
            .read_batches(|inp, b| {
                for u in &b.units {
                    let r = inp.parse(b, u).unwrap();
                    locs.push((r.id, r.line, r.location));
                }
            })
            .unwrap();
        let ids: Vec<_> = locs.iter().map(|l| (l.0.as_str(), l.1)).collect();
        assert_eq!(ids, [("a", 1), ("b", 2)]);
        // Re-read from where it was found, without the mark.
        assert_eq!(inputs.reread(locs[0].2).unwrap(), "first");
    }

    #[test]
    fn json_values_are_named_by_the_line_they_start_on() {
        let dir = tempfile::tempdir().unwrap();
        let array = dir.path().join("a.json");
        std::fs::write(&array, "[\n {\"id\": \"a\", \"text\": \"one\"},\n\n {\"id\": \"b\"},\n {\"id\": \"c\",\n  \"text\": \"two\"}, 5\n]\n")
            .unwrap();
        let stream = dir.path().join("s.json");
        std::fs::write(&stream, "{\"id\": \"d\", \"text\": \"three\"}\n{\"id\": \"e\"}\n\n\n{\"id\": \"f\"}").unwrap();
        let (docs, problems, _) = read(&[array, stream]);
        let ids: Vec<_> = docs.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(ids, ["a", "c", "d"]);
        let named: Vec<_> =
            problems.iter().map(|p| (p.file.rsplit('/').next().unwrap(), p.line, p.kind.clone())).collect();
        let missing = || ProblemKind::MissingText { field: "text".into() };
        assert_eq!(
            named,
            [
                ("a.json", Some(4), missing()),
                ("a.json", Some(6), ProblemKind::NotAnObject),
                ("s.json", Some(2), missing()),
                ("s.json", Some(5), missing())
            ]
        );
    }

    /// The values of a .json text as [`split_json`] finds them, read `piece` bytes at a time:
    /// (offset, line, text) each.
    fn split_pieces(text: &str, piece: usize) -> std::result::Result<Vec<(u64, u64, String)>, String> {
        let mut got = Vec::new();
        let split = split_json(&mut text.as_bytes(), piece, &mut |offset, line, bytes| {
            got.push((offset, line, String::from_utf8(bytes.to_vec()).unwrap()))
        });
        match split {
            Ok(_) => Ok(got),
            Err(JsonStop::Malformed(line, why)) => Err(format!("line {line}: {why}; after {}", got.len())),
            Err(e) => Err(format!("{e:?}")),
        }
    }

    #[test]
    fn json_splitting_finds_the_values_serde_finds_in_any_pieces() {
        use serde_json::{json, Value};
        let mut state = 11u64;
        let mut next = move |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        fn value(next: &mut impl FnMut(u64) -> u64, depth: u32) -> Value {
            let strings =
                ["", "a\"b", "[{", "}]", "back\\slash", "line\nbreak", "caf\u{e9} \u{201c}q\u{201d}", "\\\"", ","];
            match if depth > 2 { next(4) } else { next(6) } {
                0 => json!(strings[next(strings.len() as u64) as usize]),
                1 => json!(next(1000) as f64 / 8.0 - 50.0),
                2 => [json!(true), json!(false), Value::Null][next(3) as usize].clone(),
                3 => json!(next(100_000)),
                4 => Value::Array((0..next(4)).map(|_| value(next, depth + 1)).collect()),
                _ => Value::Object(
                    (0..next(5))
                        .map(|i| (format!("{}{i}", strings[next(9) as usize]), value(next, depth + 1)))
                        .collect(),
                ),
            }
        }
        for round in 0..300 {
            // A stream's values are not arrays: a file that starts with `[` is one array.
            let stream = round % 3 == 0;
            let values: Vec<Value> = (0..next(6))
                .map(|_| match value(&mut next, 0) {
                    Value::Array(a) if stream => json!({ "a": a }),
                    v => v,
                })
                .collect();
            let pretty = round % 2 == 0;
            let text = if stream {
                let joined: Vec<String> = values
                    .iter()
                    .map(|v| if pretty { serde_json::to_string_pretty(v).unwrap() } else { v.to_string() })
                    .collect();
                if values.is_empty() {
                    String::new()
                } else {
                    joined.join(["\n", " ", "\n\n", "\r\n"][round % 4]) + "\n"
                }
            } else if pretty {
                serde_json::to_string_pretty(&values).unwrap()
            } else {
                serde_json::to_string(&values).unwrap()
            };
            // What serde finds: each value's offset, the line it starts on, its text.
            let raw: Vec<&serde_json::value::RawValue> = if stream {
                serde_json::Deserializer::from_str(&text).into_iter().collect::<std::result::Result<_, _>>().unwrap()
            } else {
                serde_json::from_str(&text).unwrap()
            };
            let expected: Vec<(u64, u64, String)> = raw
                .iter()
                .map(|r| {
                    let offset = r.get().as_ptr() as usize - text.as_ptr() as usize;
                    (offset as u64, 1 + text[..offset].matches('\n').count() as u64, r.get().to_string())
                })
                .collect();
            for piece in [1, 2, 3, 7, 64, 1 << 20] {
                assert_eq!(split_pieces(&text, piece).unwrap(), expected, "{text:?} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn json_structure_errors_name_their_line_and_keep_the_values_before() {
        let cases = [
            ("[{\"a\":1},\n{\"b\":2}\n{\"c\":3}]", "line 3: expected `,` or `]` after an array element; after 2"),
            ("[{\"a\":1},\n]", "line 2: trailing comma before `]`; after 1"),
            ("[{\"a\":1},\n{\"b\":2}\n", "line 3: the array is not closed at the end of the file; after 2"),
            (
                "[{\"a\":1},\n{\"b\":\"cut",
                "line 2: a value that starts here is cut off at the end of the file; after 1",
            ),
            ("[{\"a\":1}]\n{\"b\":2}", "line 2: trailing characters after the array; after 1"),
            ("{\"a\":1},\n{\"b\":2}", "line 1: expected a value; after 1"),
            ("[,{\"a\":1}]", "line 1: expected a value; after 0"),
        ];
        for (text, error) in cases {
            for piece in [1, 5, 1 << 20] {
                assert_eq!(split_pieces(text, piece), Err(error.to_string()), "{text:?} in pieces of {piece}");
            }
        }
        // A byte order mark is skipped; whitespace alone holds no values.
        let bom = "\u{feff}[{\"a\":1}]";
        assert_eq!(split_pieces(bom, 2).unwrap(), [(4, 1, "{\"a\":1}".to_string())]);
        assert_eq!(split_pieces(" \n\t", 1).unwrap(), []);
    }

    #[test]
    fn folders_give_relative_ids_and_skip_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b.txt"), "second text").unwrap();
        std::fs::write(dir.path().join("sub/a.md"), "first text").unwrap();
        std::fs::write(dir.path().join("empty.txt"), "").unwrap();
        std::fs::write(dir.path().join("bin.txt"), b"ab\0cd").unwrap();
        std::fs::write(dir.path().join("bad.txt"), b"ab\xffcd").unwrap();
        std::fs::write(dir.path().join("notes.csv"), "x").unwrap();
        let utf16: Vec<u8> =
            [0xff, 0xfe].into_iter().chain("Windows text".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        std::fs::write(dir.path().join("utf16.txt"), utf16).unwrap();
        std::fs::write(dir.path().join("blank.jsonl"), "\n  \n\r\n").unwrap();
        let (docs, problems, inputs) = read(&[dir.path().to_path_buf()]);
        let ids: Vec<_> = docs.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(ids, ["b.txt", "sub/a.md"]);
        let mut kinds: Vec<_> = problems.iter().map(|p| (p.file.as_str(), p.kind.clone())).collect();
        kinds.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(
            kinds,
            [
                ("bad.txt", ProblemKind::InvalidUtf8),
                ("bin.txt", ProblemKind::Binary),
                ("blank.jsonl", ProblemKind::Empty),
                ("empty.txt", ProblemKind::Empty),
                ("utf16.txt", ProblemKind::Utf16)
            ]
        );
        assert_eq!(inputs.ignored_files.0, 1);
    }

    #[test]
    fn ids_keep_what_the_json_wrote() {
        let fields = Fields::default();
        let id = |json: &str| parse_fields(json, &fields).unwrap().id;
        // Past 2^64 a float would round both of these to one id.
        assert_eq!(
            id(r#"{"id": 18446744073709551616, "text": "a"}"#),
            IdField::Given("18446744073709551616".to_string())
        );
        assert_eq!(
            id(r#"{"id": 18446744073709551617, "text": "a"}"#),
            IdField::Given("18446744073709551617".to_string())
        );
        assert_eq!(id(r#"{"id":-9223372036854775809,"text":"a"}"#), IdField::Given("-9223372036854775809".to_string()));
        assert_eq!(id(r#"{"text": "a", "id": 42}"#), IdField::Given("42".to_string()));
        assert_eq!(id(r#"{"id": "a\"b\u00e9", "text": "a"}"#), IdField::Given("a\"bé".to_string()));
        assert_eq!(id(r#"{"id": true, "text": "a"}"#), IdField::Given("true".to_string()));
        assert_eq!(id(r#"{"id": " x ", "text": "a"}"#), IdField::Given(" x ".to_string()));
        // Present, but nothing to name a document by.
        for unusable in ["null", r#"{"x": 1}"#, "[1]", r#""""#, r#"" \t""#] {
            assert_eq!(id(&format!(r#"{{"id": {unusable}, "text": "a"}}"#)), IdField::Unusable, "{unusable}");
        }
        assert_eq!(id(r#"{"text": "a"}"#), IdField::Absent);
    }

    #[test]
    fn a_title_source_or_url_that_is_not_text_is_dropped_and_named() {
        let fields = Fields { title: "headline".into(), ..Fields::default() };
        fn picked<'a>(json: &'a str, fields: &Fields) -> Picked<'a> {
            parse_fields(json, fields).unwrap()
        }
        let picked = |json: &'static str| picked(json, &fields);
        let p = picked(r#"{"text": "a", "headline": {"main": "x"}, "url": ["u"], "source": "AP"}"#);
        assert_eq!((p.dropped_field.as_deref(), p.meta.title, p.meta.url), (Some("headline"), None, None));
        assert_eq!(p.meta.source.as_deref(), Some("AP"));
        assert_eq!(picked(r#"{"text": "a", "url": {"href": "u"}}"#).dropped_field.as_deref(), Some("url"));
        // Null is no value, as an absent field; text and numbers are kept.
        for kept in [r#"{"text": "a", "headline": null}"#, r#"{"text": "a", "headline": "T", "source": 7}"#] {
            assert_eq!(picked(kept).dropped_field, None, "{kept}");
        }
    }

    #[test]
    fn files_of_the_same_name_in_two_folders_are_two_documents() {
        let dir = tempfile::tempdir().unwrap();
        for (folder, text) in [("a", "first text"), ("b", "second text")] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
            std::fs::write(dir.path().join(folder).join("index.md"), text).unwrap();
        }
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let (docs, problems, _) = read(&[a.clone(), b.clone()]);
        assert!(problems.is_empty(), "{problems:?}");
        let named = |p: &Path| format!("{}/index.md", p.display());
        assert_eq!(docs, [(named(&a), "first text".to_string()), (named(&b), "second text".to_string())]);
        // One folder: ids stay relative to it.
        let (docs, _, _) = read(&[a]);
        assert_eq!(docs, [("index.md".to_string(), "first text".to_string())]);
    }

    #[test]
    fn a_jsonl_file_in_a_folder_is_a_labels_file_only_when_no_line_has_a_text() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("labels.jsonl"), "{\"id\":\"x\",\"cluster\":1}\n{\"id\":\"y\",\"cluster\":1}\n")
            .unwrap();
        // Its first record lacks a text, the others have one: articles, and a warning for line 1.
        std::fs::write(
            dir.path().join("articles.jsonl"),
            "{\"id\":\"head\",\"title\":\"no text\"}\n\n{\"id\":\"a1\",\"text\":\"one\"}\n{\"id\":\"a2\",\"text\":\"two\"}\n",
        )
        .unwrap();
        let (docs, problems, _) = read(&[dir.path().to_path_buf()]);
        let ids: Vec<_> = docs.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(ids, ["a1", "a2"]);
        let named: Vec<_> = problems.iter().map(|p| (p.file.as_str(), p.line)).collect();
        assert_eq!(named, [("articles.jsonl", Some(1))]);
    }

    #[test]
    fn compressed_inputs_are_read_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(File::create(&p).unwrap(), flate2::Compression::default());
        for i in 0..3 {
            writeln!(gz, "{{\"id\":\"d{i}\",\"text\":\"text number {i}\"}}").unwrap();
        }
        gz.finish().unwrap();
        let z = dir.path().join("d.json.zst");
        let json = br#"[{"id":"z1","text":"zed one"},{"id":"z2","text":"zed two"}]"#;
        std::fs::write(&z, zstd::encode_all(&json[..], 0).unwrap()).unwrap();

        let mut inputs = Inputs::open(&[p, z], Fields::default()).unwrap();
        let mut locs = Vec::new();
        inputs
            .read_batches(|inp, b| {
                for u in &b.units {
                    let r = inp.parse(b, u).unwrap();
                    locs.push((r.id, r.text.into_owned(), r.location));
                }
            })
            .unwrap();
        assert_eq!(locs.len(), 5);
        for (_, text, loc) in &locs {
            assert_eq!(&inputs.reread(*loc).unwrap(), text);
        }
    }

    #[test]
    fn truncated_gzip_keeps_the_documents_before_the_cut() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 0..2000 {
            writeln!(gz, "{{\"id\":\"d{i}\",\"text\":\"text {i} with some words that vary {}\"}}", i * 7919).unwrap();
        }
        let bytes = gz.finish().unwrap();
        std::fs::write(&p, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let (docs, problems, _) = read(&[p]);
        assert!(!docs.is_empty() && docs.len() < 2000, "{}", docs.len());
        assert!(matches!(problems.as_slice(), [Problem { kind: ProblemKind::Truncated(_), .. }]), "{problems:?}");
    }

    #[test]
    fn a_file_named_as_compressed_that_is_not_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let line = "{\"id\":\"a\",\"text\":\"plain words here\"}\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(line.as_bytes()).unwrap();
        let files: [(&str, Vec<u8>); 5] = [
            ("plain.jsonl.gz", line.into()),
            ("plain.jsonl.zst", line.into()),
            ("empty.jsonl.gz", Vec::new()),
            // One byte of a gzip header: a cut-off file, not a plain one.
            ("cut.jsonl.gz", vec![0x1f]),
            ("real.jsonl.gz", gz.finish().unwrap()),
        ];
        for (name, bytes) in &files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let (docs, problems, _) = read(&[dir.path().to_path_buf()]);
        assert_eq!(docs, [("a".to_string(), "plain words here".to_string())]);
        assert!(
            matches!(&problems[0], Problem { file, kind: ProblemKind::Truncated(_), .. } if file == "cut.jsonl.gz")
        );
        let kinds: Vec<(&str, &ProblemKind)> = problems[1..].iter().map(|p| (p.file.as_str(), &p.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("empty.jsonl.gz", &ProblemKind::Empty),
                ("plain.jsonl.gz", &ProblemKind::NotCompressed { format: "gzip", extension: ".gz" }),
                ("plain.jsonl.zst", &ProblemKind::NotCompressed { format: "zstd", extension: ".zst" }),
            ]
        );
        assert!(problems[2].to_string().contains("not gzip data, though its name ends in .gz"), "{}", problems[2]);
    }

    #[test]
    fn many_files_are_reread_without_keeping_them_open() {
        let dir = tempfile::tempdir().unwrap();
        let n = MAX_CACHED_HANDLES + 10;
        for i in 0..n {
            std::fs::write(dir.path().join(format!("{i:03}.txt")), format!("text of file {i}")).unwrap();
        }
        let (docs, problems, inputs) = read(&[dir.path().to_path_buf()]);
        assert!(problems.is_empty());
        assert_eq!(docs.len(), n);
        assert!(inputs.handles.is_empty());
        for (i, (id, text)) in docs.iter().enumerate() {
            assert_eq!(id, &format!("{i:03}.txt"));
            assert_eq!(&inputs.reread(Location::Text { source: i as u32 }).unwrap(), text);
        }
    }

    #[test]
    fn missing_path_is_a_problem_not_an_error() {
        let (docs, problems, _) = read(&[PathBuf::from("/nonexistent/wiredup-x.jsonl")]);
        assert!(docs.is_empty());
        assert!(matches!(problems[0].kind, ProblemKind::Unreadable(_)));
    }
}
