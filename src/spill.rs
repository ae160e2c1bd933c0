//! Out-of-core band tables: band keys in, sorted runs on disk, candidate pairs out (the same
//! pairs [`lsh::candidates`] finds in memory).
//!
//! When the band keys of a corpus would not fit the memory limit, the read stage hands each
//! stretch of documents' keys to [`SpilledKeys::spill`], which writes one *run*: per band, that
//! stretch's (key, document) entries sorted, 12 bytes each, and frees the keys. Candidate
//! generation then merges each band's runs (a k-way merge, reading every run sequentially through
//! a small buffer) into one stream sorted by (key, document) — the order the in-memory path sorts
//! into, since runs hold increasing document ranges — and cuts it into buckets with the same rule
//! (`lsh::bucket_pairs`), so the pairs are identical.
//!
//! Memory while merging: per band in flight, one buffer of up to 64 KiB per run, the largest
//! bucket, and the band's pairs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::lsh::{self, Candidate, CandidateStats};

/// Bytes of one entry on disk: the key (u64) then the document (u32), little endian.
const ENTRY: usize = 12;

/// Read buffer of one run while merging.
const READ_BUFFER: usize = 64 << 10;

/// One run: a file holding, for each band in turn, `entries` sorted entries.
#[derive(Debug)]
struct Run {
    path: PathBuf,
    entries: usize,
}

/// Band keys written to a temporary folder as sorted runs (deleted when this is dropped).
#[derive(Debug)]
pub struct SpilledKeys {
    dir: tempfile::TempDir,
    bands: usize,
    runs: Vec<Run>,
    /// Documents whose keys were spilled so far (the next run starts at this document).
    docs: usize,
}

impl SpilledKeys {
    /// An empty table in a new temporary folder (under `TMPDIR`).
    pub fn new(bands: usize) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("wiredup-bands-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        Ok(SpilledKeys { dir, bands, runs: Vec::new(), docs: 0 })
    }

    /// Documents spilled so far.
    pub fn docs(&self) -> usize {
        self.docs
    }

    /// Runs written so far.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Writes the keys of the next documents as one run: `keys[d * bands + i]` is band `i`'s key
    /// of document `self.docs() + d`, and `eligible[d]` says whether it takes part.
    pub fn spill(&mut self, keys: &[u64], eligible: &[bool]) -> Result<()> {
        let bands = self.bands;
        debug_assert_eq!(keys.len(), eligible.len() * bands);
        let first = self.docs as u32;
        let docs: Vec<u32> = (0..eligible.len() as u32).filter(|&d| eligible[d as usize]).collect();
        let path = self.dir.path().join(format!("run-{:05}", self.runs.len()));
        let io = |e| Error::io(&path, e);
        let mut out = File::create(&path).map_err(io)?;
        let mut entries: Vec<(u64, u32)> = Vec::with_capacity(docs.len());
        let mut bytes: Vec<u8> = Vec::with_capacity(docs.len() * ENTRY);
        for band in 0..bands {
            entries.clear();
            entries.extend(docs.iter().map(|&d| (keys[d as usize * bands + band], first + d)));
            entries.par_sort_unstable();
            bytes.clear();
            for &(key, doc) in &entries {
                bytes.extend_from_slice(&key.to_le_bytes());
                bytes.extend_from_slice(&doc.to_le_bytes());
            }
            out.write_all(&bytes).map_err(io)?;
        }
        // No fsync: the runs live only as long as this scan.
        self.runs.push(Run { path, entries: docs.len() });
        self.docs += eligible.len();
        Ok(())
    }

    /// Candidate pairs of every run merged: exactly what [`lsh::candidates`] returns for the
    /// same keys held in memory. Bands are merged in parallel.
    pub fn candidates(&self, max_bucket: usize) -> Result<(Vec<Candidate>, CandidateStats)> {
        let per_band: Vec<(Vec<Candidate>, usize)> = (0..self.bands)
            .into_par_iter()
            .map(|band| self.band_candidates(band, max_bucket))
            .collect::<Result<_>>()?;
        Ok(lsh::merge_bands(per_band))
    }

    /// One band's pairs, sorted and distinct, and its count of oversized buckets.
    fn band_candidates(&self, band: usize, max_bucket: usize) -> Result<(Vec<Candidate>, usize)> {
        let mut readers: Vec<RunReader> = self.runs.iter().map(|run| RunReader::new(run, band)).collect();
        let mut heap = BinaryHeap::with_capacity(readers.len());
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some((key, doc)) = r.next()? {
                heap.push(Reverse((key, doc, i)));
            }
        }
        let mut pairs = Vec::new();
        let mut oversized = 0;
        let mut bucket: Vec<u32> = Vec::new();
        let mut current = 0u64;
        while let Some(Reverse((key, doc, i))) = heap.pop() {
            if key != current || bucket.is_empty() {
                oversized += lsh::bucket_pairs(&bucket, max_bucket, &mut pairs) as usize;
                bucket.clear();
                current = key;
            }
            bucket.push(doc);
            if let Some((key, doc)) = readers[i].next()? {
                heap.push(Reverse((key, doc, i)));
            }
        }
        oversized += lsh::bucket_pairs(&bucket, max_bucket, &mut pairs) as usize;
        pairs.sort_unstable();
        pairs.dedup();
        Ok((pairs, oversized))
    }
}

/// Sequential reader of one band of one run. It keeps no file open between refills (each opens,
/// reads up to [`READ_BUFFER`] bytes and closes), so merging any number of runs never runs out of
/// file descriptors.
struct RunReader<'a> {
    run: &'a Run,
    /// Offset in the file of the next bytes to read.
    offset: u64,
    /// Entries of this band not yet read into `buffer`.
    left: usize,
    buffer: Vec<u8>,
    /// Position of the next entry in `buffer`.
    at: usize,
}

impl<'a> RunReader<'a> {
    fn new(run: &'a Run, band: usize) -> Self {
        let offset = (band * run.entries * ENTRY) as u64;
        RunReader { run, offset, left: run.entries, buffer: Vec::new(), at: 0 }
    }

    fn next(&mut self) -> Result<Option<(u64, u32)>> {
        if self.at == self.buffer.len() {
            if self.left == 0 {
                return Ok(None);
            }
            self.refill().map_err(|e| Error::io(&self.run.path, e))?;
        }
        let bytes = &self.buffer[self.at..self.at + ENTRY];
        self.at += ENTRY;
        let key = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        let doc = u32::from_le_bytes(bytes[8..].try_into().expect("4 bytes"));
        Ok(Some((key, doc)))
    }

    fn refill(&mut self) -> std::io::Result<()> {
        let n = self.left.min(READ_BUFFER / ENTRY);
        let mut file = File::open(&self.run.path)?;
        file.seek(SeekFrom::Start(self.offset))?;
        self.buffer.resize(n * ENTRY, 0);
        file.read_exact(&mut self.buffer)?;
        self.offset += (n * ENTRY) as u64;
        self.left -= n;
        self.at = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random keys drawn from a small range, so buckets of every size occur.
    fn keys(docs: usize, bands: usize, distinct: u64, seed: u64) -> Vec<u64> {
        let mut x = seed | 1;
        (0..docs * bands)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % distinct
            })
            .collect()
    }

    #[test]
    fn merged_runs_give_the_in_memory_pairs() {
        let (docs, bands) = (500, 4);
        for (distinct, max_bucket) in [(5000, 100), (300, 3), (20, 10)] {
            let keys = keys(docs, bands, distinct, distinct);
            let eligible: Vec<bool> = (0..docs).map(|d| d % 7 != 3).collect();
            let memory = lsh::candidates(&keys, bands, &eligible, max_bucket);
            assert!(!memory.0.is_empty());
            for run_docs in [1, 37, 200, docs] {
                let mut spilled = SpilledKeys::new(bands).unwrap();
                for (k, e) in keys.chunks(run_docs * bands).zip(eligible.chunks(run_docs)) {
                    spilled.spill(k, e).unwrap();
                }
                assert_eq!(spilled.docs(), docs);
                assert_eq!(spilled.runs(), docs.div_ceil(run_docs));
                assert_eq!(spilled.candidates(max_bucket).unwrap(), memory, "{distinct} {max_bucket} {run_docs}");
            }
        }
    }

    #[test]
    fn runs_longer_than_a_read_buffer_are_read_in_several_refills() {
        let (docs, bands) = (3 * READ_BUFFER / ENTRY, 2);
        let keys = keys(docs, bands, 20_000, 7);
        let eligible = vec![true; docs];
        let memory = lsh::candidates(&keys, bands, &eligible, 50);
        let mut spilled = SpilledKeys::new(bands).unwrap();
        let half = docs / 2;
        spilled.spill(&keys[..half * bands], &eligible[..half]).unwrap();
        spilled.spill(&keys[half * bands..], &eligible[half..]).unwrap();
        assert!(spilled.runs[0].entries * ENTRY > READ_BUFFER);
        assert_eq!(spilled.candidates(50).unwrap(), memory);
    }

    #[test]
    fn no_runs_no_pairs() {
        let spilled = SpilledKeys::new(3).unwrap();
        assert_eq!(spilled.candidates(10).unwrap(), (Vec::new(), CandidateStats::default()));
    }
}
