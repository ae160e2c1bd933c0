//! Verification re-reads documents in memory-bounded blocks; the block size must never change
//! what is found.

use crate::common::{comparable, scan_file, synthetic_corpus, write_corpus};
use wiredup::config::Level;

/// A scan whose verification re-reads documents in blocks of `block` feature values.
fn scan(path: &std::path::Path, level: Level, block: usize) -> wiredup::pipeline::ScanOutput {
    scan_file(path, level, |c| c.verify_block = block)
}

#[test]
fn tiny_verification_blocks_find_exactly_what_one_block_finds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.jsonl");
    write_corpus(&path, &synthetic_corpus(600, 11));
    for level in [Level::Copy, Level::Story] {
        let whole = scan(&path, level, usize::MAX);
        // About three documents per block: hundreds of blocks, documents read many times.
        let blocked = scan(&path, level, 1000);
        assert!(!whole.pairs.is_empty() && !whole.clusters.is_empty(), "{level:?}: the corpus has copies");
        assert_eq!(comparable(&whole), comparable(&blocked), "{level:?}");
        assert!(blocked.stats.reread_docs > whole.stats.reread_docs, "{level:?}: blocks re-read documents");
    }
}
