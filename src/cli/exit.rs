//! Exit codes, as documented in `--help` and the README.

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every input was read; the outputs are complete (`check`: no match at or above --fail-on).
    Success = 0,
    /// `check`: a new document matches at or above --fail-on.
    Matched = 1,
    /// The run could not finish: bad flags, unwritable output, `--strict` and a bad input.
    Error = 2,
    /// The run finished, but some input was skipped (each named in a warning).
    InputSkipped = 3,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c as u8)
    }
}
