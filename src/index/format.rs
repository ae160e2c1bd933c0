//! Index files on disk: a header (magic number, format version, file kind, the parameters that
//! shape a signature, a table of sections with their checksums), then the sections' bytes.
//! Reading checks the header, every section's bounds and every checksum before any value is
//! used, so a damaged file is an [`IndexError`], never a panic or a wrong answer.
//!
//! Layout, little endian; the first 20 bytes and the header checksum's place (the header's last
//! 8 bytes) are fixed in every format version, so that a newer file is recognised as newer:
//!
//! ```text
//!  0  magic  b"WIREDUPX"
//!  8  format version     u32
//! 12  kind               u32   (1 manifest, 2 segment)
//! 16  header length      u32   (bytes, checksum included)
//! 20  section count      u32
//! 24  params             64 bytes (see `Params`)
//! 88  sections           count x {id u32, reserved u32, offset u64, length u64, xxh3 u64}
//!  .  header checksum    u64   xxh3 of every header byte before it
//! ```

use std::borrow::Cow;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{Error, IndexError};

pub const MAGIC: &[u8; 8] = b"WIREDUPX";
/// Version of the on-disk layout; a file of another version is refused with both numbers.
pub const FORMAT_VERSION: u32 = 1;
/// Seed of the header and section checksums (xxh3: fast enough to check a 1 GB index on every
/// open, and equal on every machine).
const CHECKSUM_SEED: u64 = 0x7764_7863_6865_636b; // "wdxcheck"

const PARAMS_AT: usize = 24;
const PARAMS_LEN: usize = 64;
const TABLE_AT: usize = PARAMS_AT + PARAMS_LEN;
const ENTRY_LEN: usize = 32;
/// More sections than this in a header is damage, not a file this code wrote.
const MAX_SECTIONS: usize = 64;

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Manifest = 1,
    Segment = 2,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Manifest => "manifest",
            Kind::Segment => "segment",
        }
    }
}

/// Every parameter that shapes a signature or a sketch. Two index files, or an index and a run,
/// can only be used together when these are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// [`crate::config::SIGNATURE_VERSION`] of the code that signed.
    pub signature_version: u32,
    /// [`crate::normalize::NORMALIZATION_VERSION`] of the code that signed.
    pub normalization_version: u32,
    pub ngram: u32,
    pub num_perm: u32,
    pub bands: u32,
    pub rows: u32,
    pub shingle_seed: u64,
    pub minhash_seed: u64,
    pub band_seed: u64,
    pub story_seed: u64,
    /// Story features kept per document; 0 when the index holds no story data.
    pub sketch: u32,
    /// Sampled shingles are kept for finding wrapped copies ([`crate::config::Config::wrapped`]).
    /// Stored in bytes that older builds left zero, so their indexes read as `false`.
    pub wrapped: bool,
}

impl Params {
    fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        for v in [self.signature_version, self.normalization_version, self.ngram, self.num_perm, self.bands, self.rows]
        {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [self.shingle_seed, self.minhash_seed, self.band_seed, self.story_seed] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.sketch.to_le_bytes());
        out.extend_from_slice(&u32::from(self.wrapped).to_le_bytes());
        out.resize(start + PARAMS_LEN, 0);
    }

    fn decode(b: &[u8]) -> Params {
        Params {
            signature_version: u32_at(b, 0),
            normalization_version: u32_at(b, 1),
            ngram: u32_at(b, 2),
            num_perm: u32_at(b, 3),
            bands: u32_at(b, 4),
            rows: u32_at(b, 5),
            shingle_seed: u64_le(&b[24..]),
            minhash_seed: u64_le(&b[32..]),
            band_seed: u64_le(&b[40..]),
            story_seed: u64_le(&b[48..]),
            sketch: u32_le(&b[56..]),
            wrapped: u32_le(&b[60..]) != 0,
        }
    }
}

/// The `i`th little-endian u32 of `b`.
pub fn u32_at(b: &[u8], i: usize) -> u32 {
    u32_le(&b[i * 4..])
}

/// The `i`th little-endian u64 of `b`.
pub fn u64_at(b: &[u8], i: usize) -> u64 {
    u64_le(&b[i * 8..])
}

pub fn u32_le(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().expect("4 bytes"))
}

pub fn u64_le(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

/// The checksum of headers and sections.
pub fn checksum(bytes: &[u8]) -> u64 {
    xxh3_64_with_seed(bytes, CHECKSUM_SEED)
}

/// A checked file: its parameters and where each section lies.
#[derive(Debug)]
pub struct Parsed {
    pub params: Params,
    sections: Vec<(u32, Range<usize>)>,
}

impl Parsed {
    /// The bytes of section `id` (empty when the file has none).
    pub fn section<'a>(&self, bytes: &'a [u8], id: u32) -> &'a [u8] {
        self.range(id).map_or(&[][..], |r| &bytes[r])
    }

    pub fn range(&self, id: u32) -> Option<Range<usize>> {
        self.sections.iter().find(|s| s.0 == id).map(|s| s.1.clone())
    }
}

/// Checks a whole file of `kind` and returns where its sections are. `names` names section ids
/// in messages.
pub fn parse(path: &Path, bytes: &[u8], kind: Kind, names: &dyn Fn(u32) -> &'static str) -> Result<Parsed, IndexError> {
    let size = bytes.len() as u64;
    let truncated = |what: &str, needed: usize| IndexError::Truncated {
        path: path.to_path_buf(),
        what: what.to_string(),
        needed: needed as u64,
        size,
    };
    let corrupt = |what: String| IndexError::Corrupt { path: path.to_path_buf(), what };
    if bytes.len() < MAGIC.len() {
        return Err(if MAGIC.starts_with(bytes) && !bytes.is_empty() {
            truncated("the magic number", MAGIC.len())
        } else if bytes.is_empty() {
            truncated("the header", TABLE_AT)
        } else {
            IndexError::Foreign { path: path.to_path_buf() }
        });
    }
    if &bytes[..8] != MAGIC {
        return Err(IndexError::Foreign { path: path.to_path_buf() });
    }
    if bytes.len() < 24 {
        return Err(truncated("the header", TABLE_AT));
    }
    let header_len = u32_le(&bytes[16..]) as usize;
    if !(TABLE_AT + 8..=TABLE_AT + MAX_SECTIONS * ENTRY_LEN + 8).contains(&header_len) {
        return Err(corrupt(format!("header length {header_len} is impossible")));
    }
    if header_len > bytes.len() {
        return Err(truncated("the header", header_len));
    }
    let stored = u64_le(&bytes[header_len - 8..]);
    let found = checksum(&bytes[..header_len - 8]);
    if stored != found {
        return Err(IndexError::Checksum {
            path: path.to_path_buf(),
            what: "the header".into(),
            expected: stored,
            found,
        });
    }
    let version = u32_le(&bytes[8..]);
    if version > FORMAT_VERSION {
        return Err(IndexError::FutureVersion { path: path.to_path_buf(), found: version, supported: FORMAT_VERSION });
    }
    if version < FORMAT_VERSION {
        return Err(IndexError::OldVersion { path: path.to_path_buf(), found: version, supported: FORMAT_VERSION });
    }
    let found_kind = u32_le(&bytes[12..]);
    if found_kind != kind as u32 {
        let other = [Kind::Manifest, Kind::Segment].into_iter().find(|k| *k as u32 == found_kind);
        let what = other.map_or(format!("unknown kind {found_kind}"), |k| format!("an index {}", k.name()));
        return Err(corrupt(format!("{what} where an index {} belongs", kind.name())));
    }
    let count = u32_le(&bytes[20..]) as usize;
    if count > MAX_SECTIONS || TABLE_AT + count * ENTRY_LEN + 8 != header_len {
        return Err(corrupt(format!("{count} sections do not fit a header of {header_len} bytes")));
    }
    let params = Params::decode(&bytes[PARAMS_AT..TABLE_AT]);
    let mut sections = Vec::with_capacity(count);
    let mut end = header_len;
    for i in 0..count {
        let e = &bytes[TABLE_AT + i * ENTRY_LEN..];
        let (id, offset, len, sum) = (u32_le(e), u64_le(&e[8..]), u64_le(&e[16..]), u64_le(&e[24..]));
        let what = format!("section {}", names(id));
        let stop = offset.checked_add(len).filter(|&s| s <= usize::MAX as u64).ok_or_else(|| corrupt(what.clone()))?;
        if stop > size {
            return Err(truncated(&what, stop as usize));
        }
        let range = offset as usize..stop as usize;
        if range.start < header_len {
            return Err(corrupt(format!("{what} overlaps the header")));
        }
        let found = checksum(&bytes[range.clone()]);
        if found != sum {
            return Err(IndexError::Checksum { path: path.to_path_buf(), what, expected: sum, found });
        }
        end = end.max(range.end);
        sections.push((id, range));
    }
    if end != bytes.len() {
        return Err(corrupt(format!("{} unexpected bytes after the last section", bytes.len() - end)));
    }
    Ok(Parsed { params, sections })
}

/// Writes a file of `kind` atomically: into a temporary file in the same folder, synced, renamed
/// over `path`, and the folder synced. A crash at any point leaves either the old file or the new
/// one, whole. Returns the file's size.
pub fn write_atomic(path: &Path, kind: Kind, params: &Params, sections: &[(u32, &[u8])]) -> Result<u64, Error> {
    let ids: Vec<u32> = sections.iter().map(|s| s.0).collect();
    write_atomic_with(path, kind, params, &ids, |i| Ok(Cow::Borrowed(sections[i].1)))
}

/// [`write_atomic`] of the sections `ids`, section i's bytes made by `section(i)` when it is
/// written and dropped after (the header, which lists their sizes and checksums, is written
/// last, at the start of the file): only one section is ever held. The same bytes.
pub fn write_atomic_with<'s>(
    path: &Path,
    kind: Kind,
    params: &Params,
    ids: &[u32],
    mut section: impl FnMut(usize) -> Result<Cow<'s, [u8]>, Error>,
) -> Result<u64, Error> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let io = |e: std::io::Error| Error::io(path, e);
    let header_len = TABLE_AT + ids.len() * ENTRY_LEN + 8;
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, tmp);
    out.write_all(&vec![0u8; header_len]).map_err(io)?;
    let mut header = Vec::with_capacity(header_len);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&(kind as u32).to_le_bytes());
    header.extend_from_slice(&(header_len as u32).to_le_bytes());
    header.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    params.encode(&mut header);
    let mut offset = header_len as u64;
    for (i, id) in ids.iter().enumerate() {
        let bytes = section(i)?;
        header.extend_from_slice(&id.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&offset.to_le_bytes());
        header.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        header.extend_from_slice(&checksum(&bytes).to_le_bytes());
        out.write_all(&bytes).map_err(io)?;
        offset += bytes.len() as u64;
    }
    let sum = checksum(&header);
    header.extend_from_slice(&sum.to_le_bytes());
    debug_assert_eq!(header.len(), header_len);
    out.seek(SeekFrom::Start(0)).map_err(io)?;
    out.write_all(&header).map_err(io)?;
    let tmp = out.into_inner().map_err(|e| io(e.into_error()))?;
    crate::report::make_readable(tmp.as_file()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    sync_dir(dir)?;
    Ok(offset)
}

/// Makes a rename in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Reads values written one after another, refusing to run past the end.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8], path: &'a Path, what: &'static str) -> Self {
        Cursor { bytes, pos: 0, path, what }
    }

    pub fn at(mut self, pos: usize) -> Self {
        self.pos = pos;
        self
    }

    fn overrun(&self) -> IndexError {
        IndexError::Corrupt { path: self.path.to_path_buf(), what: format!("section {} runs past its end", self.what) }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], IndexError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| self.overrun())?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub fn u32(&mut self) -> Result<u32, IndexError> {
        self.take(4).map(u32_le)
    }

    pub fn u64(&mut self) -> Result<u64, IndexError> {
        self.take(8).map(u64_le)
    }

    /// An unsigned LEB128 number.
    pub fn varint(&mut self) -> Result<u64, IndexError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.overrun())
    }

    pub fn str(&mut self) -> Result<&'a str, IndexError> {
        let n = self.varint()? as usize;
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|_| IndexError::Corrupt {
            path: self.path.to_path_buf(),
            what: format!("section {}: invalid UTF-8", self.what),
        })
    }

    /// A string that may be absent (written by [`put_opt_str`]).
    pub fn opt_str(&mut self) -> Result<Option<&'a str>, IndexError> {
        let n = self.varint()? as usize;
        if n == 0 {
            return Ok(None);
        }
        let b = self.take(n - 1)?;
        std::str::from_utf8(b).map(Some).map_err(|_| IndexError::Corrupt {
            path: self.path.to_path_buf(),
            what: format!("section {}: invalid UTF-8", self.what),
        })
    }

    pub fn done(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => put_varint(out, 0),
        Some(s) => {
            put_varint(out, s.len() as u64 + 1);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// The range of positions `0..n` whose key equals `key`, for keys sorted ascending.
pub fn equal_range<K: Ord>(n: usize, key: &K, at: impl Fn(usize) -> K) -> Range<usize> {
    let lower = partition(n, |i| at(i) < *key);
    let upper = lower + partition(n - lower, |i| at(lower + i) <= *key);
    lower..upper
}

/// The first position in `0..n` where `pred` is false (`pred` true then false).
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A path for messages and for the files table: absolute when it can be made so.
pub fn absolute(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params {
            signature_version: 1,
            normalization_version: 1,
            ngram: 5,
            num_perm: 128,
            bands: 42,
            rows: 3,
            shingle_seed: 1,
            minhash_seed: 2,
            band_seed: 3,
            story_seed: 4,
            sketch: 32,
            wrapped: true,
        }
    }

    fn write(dir: &Path) -> (PathBuf, Vec<u8>) {
        let path = dir.join("f");
        write_atomic(&path, Kind::Segment, &params(), &[(1, b"hello"), (2, b"world!")]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        (path, bytes)
    }

    #[test]
    fn a_file_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = write(dir.path());
        let p = parse(&path, &bytes, Kind::Segment, &|_| "x").unwrap();
        assert_eq!(p.params, params());
        assert_eq!(p.section(&bytes, 1), b"hello");
        assert_eq!(p.section(&bytes, 2), b"world!");
        assert_eq!(p.section(&bytes, 3), b"");
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = write(dir.path());
        for len in 0..bytes.len() {
            assert!(parse(&path, &bytes[..len], Kind::Segment, &|_| "x").is_err(), "truncated to {len}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(parse(&path, &b, Kind::Segment, &|_| "x").is_err(), "flipped byte {i}");
        }
    }

    #[test]
    fn wrong_kind_and_future_version_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let (path, bytes) = write(dir.path());
        let e = parse(&path, &bytes, Kind::Manifest, &|_| "x").unwrap_err();
        assert!(e.to_string().contains("segment where an index manifest belongs"), "{e}");
        let mut b = bytes.clone();
        b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let header_len = u32_le(&b[16..]) as usize;
        let sum = checksum(&b[..header_len - 8]);
        b[header_len - 8..header_len].copy_from_slice(&sum.to_le_bytes());
        let e = parse(&path, &b, Kind::Segment, &|_| "x").unwrap_err();
        assert!(matches!(e, IndexError::FutureVersion { found: 2, supported: 1, .. }), "{e}");
    }

    #[test]
    fn varints_and_strings_round_trip() {
        let mut out = Vec::new();
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            put_varint(&mut out, v);
        }
        put_opt_str(&mut out, None);
        put_opt_str(&mut out, Some(""));
        put_str(&mut out, "héllo");
        let mut c = Cursor::new(&out, Path::new("x"), "t");
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            assert_eq!(c.varint().unwrap(), v);
        }
        assert_eq!(c.opt_str().unwrap(), None);
        assert_eq!(c.opt_str().unwrap(), Some(""));
        assert_eq!(c.str().unwrap(), "héllo");
        assert!(c.done());
        assert!(c.u32().is_err());
    }

    #[test]
    fn equal_range_finds_runs() {
        let v = [1, 3, 3, 3, 7, 9];
        assert_eq!(equal_range(v.len(), &3, |i| v[i]), 1..4);
        assert_eq!(equal_range(v.len(), &4, |i| v[i]), 4..4);
        assert_eq!(equal_range(v.len(), &10, |i| v[i]), 6..6);
        assert_eq!(equal_range(0, &1, |i| v[i]), 0..0);
    }
}
