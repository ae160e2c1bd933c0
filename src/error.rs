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
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("refusing to write {path}: it is one of the inputs (wiredup never overwrites an input)")]
    OutputIsInput { path: PathBuf },
    #[error("{0} (--strict makes the first input problem fatal)")]
    Strict(crate::input::Problem),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
