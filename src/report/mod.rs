//! Reports: a scan's result in, files and summaries out. JSONL and Parquet files follow the
//! output contract in the README; the summary is text for people or JSON for programs.

mod check;
mod jsonl;
mod parquet;
mod summary;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub use check::{check_github, check_json, check_text, fails, CheckContext};
pub use jsonl::{write_clusters, write_pairs};
pub(crate) use parquet::writer as parquet_writer;
pub use parquet::{pairs_schema, write_clusters_parquet, write_pairs_parquet};
pub use summary::{ignored_files_note, input_notes, json_summary, text_summary, Context};

use crate::error::{Error, Result};

/// `text` on one line, cut to `max` characters (an ellipsis marks the cut).
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = flat.chars().take(max).collect();
    if flat.chars().count() > max {
        short.push('…');
    }
    short
}

/// Rounds a score for output: four decimals are what a reader can use, and fixed rounding
/// keeps the bytes identical across runs.
pub(crate) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Writes `path` atomically: into a temporary file beside it, flushed and synced, then renamed
/// over the target. A failed or interrupted run leaves any earlier file untouched. A `path`
/// that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a named pipe) is written
/// to in place: renaming over it would replace the device or pipe with a file. A symbolic link
/// is followed: the file it points to is written (created if missing), the link stays.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>) -> Result<()> {
    let target = link_target(path);
    let path = target.as_path();
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let file = std::fs::OpenOptions::new().write(true).open(path).map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::new(file);
        write(&mut out).map_err(|e| Error::io(path, e))?;
        out.flush().map_err(|e| Error::io(path, e))?;
        return Ok(());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new().prefix(".wiredup-").tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    make_readable(tmp.as_file()).map_err(|e| Error::io(path, e))?;
    let mut out = BufWriter::new(tmp);
    write(&mut out).map_err(|e| Error::io(path, e))?;
    let tmp = out.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Where a write to `path` lands: `path`, or the file its symbolic link (chain) points to.
fn link_target(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    // A chain longer than the kernel's own limit (40) is a loop: left for the write to fail on.
    for _ in 0..40 {
        if !std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            break;
        }
        let Ok(to) = std::fs::read_link(&p) else { break };
        p = match p.parent() {
            Some(dir) if to.is_relative() => dir.join(to),
            _ => to,
        };
    }
    p
}

/// Gives a temporary file (created private, 0600) the mode of an ordinary output (0644), before
/// it is renamed into place.
pub(crate) fn make_readable(file: &std::fs::File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// The two paths name one file: the same existing file, or (where one does not exist yet) the
/// same name in the same folder.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let resolved = |p: &Path| {
        p.canonicalize().ok().or_else(|| {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            Some(dir.canonicalize().ok()?.join(p.file_name()?))
        })
    };
    match (resolved(a), resolved(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Refuses an output path that is one of the inputs ([`same_file`]).
pub fn check_not_input<'a>(output: &Path, mut inputs: impl Iterator<Item = &'a Path>) -> Result<()> {
    if inputs.any(|p| same_file(output, p)) {
        return Err(Error::OutputIsInput { path: output.to_path_buf() });
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn a_symbolic_link_is_followed_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (link, target) = (dir.path().join("latest.jsonl"), dir.path().join("run-2.jsonl"));
        std::fs::write(&target, "old\n").unwrap();
        std::os::unix::fs::symlink("run-2.jsonl", &link).unwrap();
        write_atomic(&link, |w| w.write_all(b"new\n")).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
        // A link to a file not there yet: the file is made where it points.
        let (dangling, missing) = (dir.path().join("next.jsonl"), dir.path().join("run-3.jsonl"));
        std::os::unix::fs::symlink(&missing, &dangling).unwrap();
        write_atomic(&dangling, |w| w.write_all(b"three\n")).unwrap();
        assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&missing).unwrap(), "three\n");
    }

    #[test]
    fn a_named_pipe_is_written_through_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_atomic(&fifo, |w| w.write_all(b"pairs\n")).unwrap();
        // Checked before joining: had the pipe been renamed over, the reader would wait forever.
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe was replaced");
        assert_eq!(reader.join().unwrap(), "pairs\n");
    }

    #[test]
    fn a_regular_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "an older and longer output\n").unwrap();
        write_atomic(&path, |w| w.write_all(b"new\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["out.jsonl"], "no temporary file is left");
    }
}
