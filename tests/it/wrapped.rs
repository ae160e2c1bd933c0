//! `scan --wrapped`: a text inside one many times its length is found, exactly as verification
//! defines a copy, at any thread count.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;

/// The pairs a scan with `flags` lists.
fn scanned(corpus: &Path, dir: &Path, flags: &[&str]) -> (BTreeSet<(String, String)>, Vec<u8>) {
    let p = dir.join("p.jsonl");
    let mut args = vec!["scan", corpus.to_str().unwrap(), "--level", "copy", "--quiet", "--pairs", p.to_str().unwrap()];
    args.extend_from_slice(flags);
    let out = wiredup(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pairs =
        read_jsonl(&p).iter().map(|v| (v["a"].as_str().unwrap().into(), v["b"].as_str().unwrap().into())).collect();
    (pairs, std::fs::read(&p).unwrap())
}

#[test]
fn wrapped_finds_every_contained_copy_that_bands_miss_and_nothing_else() {
    let docs = wrapped_corpus();
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_corpus(&corpus, &docs);
    let truth = copy_pairs_by_brute_force(&docs);
    // Each story and its three wrappers (the wrappers share only the story: below both thresholds).
    assert_eq!(truth.len(), 60, "{truth:?}");

    let (banded, _) = scanned(&corpus, dir.path(), &[]);
    assert!(banded.is_subset(&truth));
    let missed: Vec<_> = truth.difference(&banded).collect();
    assert!(missed.len() >= 20, "bands alone miss the 8x wrappers at least: {missed:?}");

    let (found, _) = scanned(&corpus, dir.path(), &["--wrapped"]);
    assert_eq!(found, truth, "missed {:?}, extra {:?}", truth.difference(&found), found.difference(&truth));
}

#[test]
fn wrapped_writes_the_same_bytes_at_any_thread_count_and_says_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    let mut docs = wrapped_corpus();
    docs.extend(synthetic_corpus(300, 5).into_iter().map(|(id, t)| (format!("syn-{id}"), t)));
    write_corpus(&corpus, &docs);
    let outputs: Vec<Vec<u8>> =
        ["1", "2", "3"].iter().map(|t| scanned(&corpus, dir.path(), &["--wrapped", "--threads", t]).1).collect();
    assert!(!outputs[0].is_empty());
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));

    let out = wiredup(&["scan", corpus.to_str().unwrap(), "--level", "copy", "--wrapped", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summary["params"]["wrapped"], true);
    assert!(summary["wrapped_candidate_pairs"].as_u64().unwrap() >= 60, "{summary}");
    let text = wiredup(&["scan", corpus.to_str().unwrap(), "--level", "copy", "--wrapped"], None);
    assert!(stdout(&text).contains("wrapped copies: 1 in 16 shingles sampled"), "{}", stdout(&text));
}

#[test]
fn wrapped_at_story_level_reports_the_wrapped_copies_as_copies() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_corpus(&corpus, &wrapped_corpus());
    let p = dir.path().join("p.jsonl");
    let out =
        wiredup(&["scan", corpus.to_str().unwrap(), "--wrapped", "--quiet", "--pairs", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pairs = read_jsonl(&p);
    for s in 0..20 {
        let story = format!("s{s:02}");
        let wrapper = format!("s{s:02}x8");
        let pair = pairs.iter().find(|v| v["a"] == story.as_str() && v["b"] == wrapper.as_str());
        let pair = pair.unwrap_or_else(|| panic!("{story} in {wrapper} not listed"));
        assert_eq!(pair["relation"], "copy", "{pair}");
    }
}
