//! Verification re-reads documents in memory-bounded blocks; the block size must never change
//! what is found.

mod common;

use common::{synthetic_corpus, write_corpus};
use wiredup::config::{Config, Level};
use wiredup::input::Inputs;
use wiredup::pipeline::{Pipeline, ScanOutput, Silent};

fn scan(path: &std::path::Path, level: Level, block: usize) -> ScanOutput {
    let mut config = Config::new(level, 5, 128, 0.5, 0.8, None).unwrap();
    config.verify_block = block;
    let mut inputs = Inputs::open(&[path.to_path_buf()], config.fields.clone()).unwrap();
    Pipeline::new(config).scan(&mut inputs, &Silent).unwrap()
}

/// Pairs and clusters as comparable text: ids, relation, scores, members.
fn summary(s: &ScanOutput) -> (Vec<String>, Vec<String>) {
    let id = |d: u32| s.docs[d as usize].id.clone();
    let pairs = s.pairs.iter().map(|p| format!("{} {} {:?} {:.6}", id(p.a), id(p.b), p.relation, p.score)).collect();
    let clusters = s
        .clusters
        .iter()
        .map(|c| {
            let members: Vec<String> =
                c.members.iter().map(|m| format!("{}:{:?}:{:.6}", id(m.doc), m.relation, m.score)).collect();
            format!("{} [{}]", id(c.original), members.join(" "))
        })
        .collect();
    (pairs, clusters)
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
        assert_eq!(summary(&whole), summary(&blocked), "{level:?}");
        assert!(blocked.stats.reread_docs > whole.stats.reread_docs, "{level:?}: blocks re-read documents");
    }
}
