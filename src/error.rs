//! Typed errors of the library. Every variant carries the values a user needs to fix the cause.

use std::path::PathBuf;

/// A flag or parameter outside its valid range. Built where the value is checked, once.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("{flag} must be between {min} and {max}, got {value}")]
    OutOfRange { flag: &'static str, value: f64, min: f64, max: f64 },
    #[error("--bands ({bands}) x --rows ({rows}) = {product} exceeds --num-perm ({num_perm}); choose bands x rows <= num-perm")]
    BandsRows { bands: usize, rows: usize, product: usize, num_perm: usize },
    #[error("--bands and --rows go together: give both, or neither to derive them from --threshold")]
    BandsWithoutRows,
    #[error("--window: cannot read {value:?} as a duration; write a number and a unit, e.g. 72h, 3d, 90m, 3600s")]
    Window { value: String },
    #[error(
        "{flag}: cannot read {value:?} as a size; write a number and a unit, e.g. 500M, 2G, 64K (bytes without a unit)"
    )]
    Size { flag: &'static str, value: String },
    #[error("{flag} {value}: too small; give at least {min} (a few megabytes)")]
    SizeTooSmall { flag: &'static str, value: String, min: String },
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The reason is part of the message (not a `source`, which `{:#}` would print again).
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("refusing to write {path}: it is one of the inputs (wiredup never overwrites an input)")]
    OutputIsInput { path: PathBuf },
    #[error("{0} (--strict makes the first input problem fatal)")]
    Strict(crate::input::Problem),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Column(#[from] ColumnError),
    #[error(transparent)]
    Stage(#[from] StageError),
}

/// A Parquet input whose columns cannot give the configured fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnError {
    #[error("{file}: no column {column:?} for the text (set {flag}); its columns are {columns}")]
    Missing { file: String, column: String, flag: &'static str, columns: String },
    #[error("{file}: column {column:?} ({flag}) is {found}; wiredup reads it from {expected}")]
    Type { file: String, column: String, flag: &'static str, found: String, expected: &'static str },
}

/// Why an index cannot be read, written or used. A damaged file is always one of these, never a
/// panic or a wrong answer.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{path}: not a wiredup index file (expected the magic number WIREDUPX at its start)")]
    Foreign { path: PathBuf },
    #[error("{path}: no index here (no manifest); create one with `wiredup index build {path} PATHS...`")]
    Missing { path: PathBuf },
    #[error("{path}: truncated: {what} needs bytes up to {needed}, the file has {size}")]
    Truncated { path: PathBuf, what: String, needed: u64, size: u64 },
    #[error("{path}: corrupt: checksum of {what} is {found:016x}, expected {expected:016x}; rebuild the index")]
    Checksum { path: PathBuf, what: String, expected: u64, found: u64 },
    #[error("{path}: corrupt: {what}; rebuild the index")]
    Corrupt { path: PathBuf, what: String },
    #[error("{path}: index format version {found} is newer than this wiredup reads ({supported}); upgrade wiredup")]
    FutureVersion { path: PathBuf, found: u32, supported: u32 },
    #[error(
        "{path}: index format version {found} is no longer read (this wiredup reads {supported}); rebuild the index"
    )]
    OldVersion { path: PathBuf, found: u32, supported: u32 },
    #[error("the index was built with {what} {index}, but {given_by} {given}; {advice}")]
    Mismatch { what: &'static str, index: String, given_by: &'static str, given: String, advice: &'static str },
    #[error("{path}: locked by process {holder} (another `wiredup index` command is writing it); wait for it, or delete the lock file if no such process runs")]
    Locked { path: PathBuf, holder: String },
    #[error("{path}: refusing to create an index in a folder that holds other files; name a new or empty folder")]
    NotEmpty { path: PathBuf },
    #[error("{name}: an index re-reads archive texts from their files, and this input is {why}; {advice}")]
    NotAFile { name: String, why: &'static str, advice: &'static str },
    #[error("{count} document id(s) already in the index, e.g. {example:?}; an index holds one document per id (`wiredup index add --replace` replaces them)")]
    DuplicateIds { count: usize, example: String },
    #[error("{place}: this document has no id field, so its id {id:?} was made from its line number, and an indexed document has that id; --replace matches documents by id, so it was not replaced (nothing was written): give every document an id (--id-field names the field)")]
    ReplaceWithoutId { place: String, id: String },
    #[error("{path}: archive document {id:?} changed since it was indexed ({what}); rebuild the index with `wiredup index build`")]
    ArchiveChanged { path: PathBuf, id: String, what: String },
    #[error("the index holds no story data (built with --level copy); check with --level copy, or rebuild it with --level story")]
    NoStory,
    #[error("{what} has {count} entries, more than the index format holds ({max})")]
    TooLarge { what: &'static str, count: u64, max: u64 },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), error: source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Staged runs (`sign`, `verify`, `cluster`): parameters files and signature/edge tables.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StageError {
    #[error("{path}: not a wiredup parameters file: {why}")]
    Params { path: String, why: String },
    #[error("{path}: parameters file version {found} is newer than this wiredup reads ({supported}); upgrade wiredup")]
    ParamsVersion { path: String, found: u32, supported: u32 },
    #[error("{path}: made with signature version {found}, this wiredup signs with version {supported}; sign the inputs again")]
    SignatureVersion { path: String, found: u32, supported: u32 },
    #[error("{path}: no parameters file beside it (expected {params}); every staged output has one, written with it")]
    MissingParams { path: String, params: String },
    #[error("parameters differ: {what} is {a_value} in {a} but {b_value} in {b}; run every stage with the same parameters file")]
    Mismatch { what: &'static str, a: String, a_value: String, b: String, b_value: String },
    #[error("{place}: row made with parameters {found:016x}, expected {expected:016x} ({params}); run every stage with the same parameters file")]
    RowParams { place: String, found: u64, expected: u64, params: String },
    #[error("the staged commands run the copy level only (the story level needs corpus-wide feature counts); use `wiredup scan` for stories")]
    StoryLevel,
    #[error("{place}: {why}")]
    Table { place: String, why: String },
    #[error("{place}: document {id:?} is not in any signature file given with --signatures")]
    UnknownId { place: String, id: String },
}
