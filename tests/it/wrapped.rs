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

/// The pairs `check --format json` reports as copies (or duplicates), each pair once.
/// `archive`: `--index INDEX` or `--against` flags.
fn checked(archive: &[&str], new: &Path, flags: &[&str]) -> BTreeSet<(String, String)> {
    let mut args = vec!["check", new.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(archive);
    args.extend_from_slice(flags);
    let out = wiredup(&args, None);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let mut pairs = BTreeSet::new();
    for line in stdout(&out).lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        for m in row["matches"].as_array().unwrap().iter().filter(|m| m["relation"] != "rewrite") {
            let (a, b) = (row["id"].as_str().unwrap().to_string(), m["id"].as_str().unwrap().to_string());
            pairs.insert(if a < b { (a, b) } else { (b, a) });
        }
    }
    pairs
}

#[test]
fn an_index_built_with_wrapped_finds_them_in_check_after_add_and_compact() {
    let docs = wrapped_corpus();
    let truth = copy_pairs_by_brute_force(&docs);
    // New: the 20 stories and the 8x wrappers of stories 10-19 (so that wrapped pairs occur
    // among new documents too); the archive: the rest, indexed in two parts.
    let is_new = |id: &str| id.len() == 3 || (id.starts_with("s1") && id.ends_with("x8"));
    let (new, archive): (Vec<_>, Vec<_>) = docs.iter().cloned().partition(|(id, _)| is_new(id));
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    write_corpus(&path("new.jsonl"), &new);
    write_corpus(&path("a.jsonl"), &archive[..archive.len() / 2]);
    write_corpus(&path("b.jsonl"), &archive[archive.len() / 2..]);
    let expected: BTreeSet<_> = truth.iter().filter(|(a, b)| is_new(a) || is_new(b)).cloned().collect();
    assert_eq!(expected.len(), 60, "each story and its three wrappers: {expected:?}");

    let s = |p: &Path| p.to_str().unwrap().to_string();
    let (idx, plain) = (s(&path("idx")), s(&path("plain")));
    for (index, flags) in [(&idx, &["--wrapped"][..]), (&plain, &["--level", "copy"][..])] {
        let mut args = vec!["index", "build", index, "-q"];
        args.extend_from_slice(flags);
        let a = s(&path("a.jsonl"));
        args.push(&a);
        assert_eq!(wiredup(&args, None).status.code(), Some(0));
        let out = wiredup(&["index", "add", index, &s(&path("b.jsonl")), "-q"], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let without = checked(&["--index", &plain], &path("new.jsonl"), &["--level", "copy"]);
    assert!(without.is_subset(&expected));
    assert!(expected.difference(&without).count() >= 20, "bands alone miss the 8x wrappers at least: {without:?}");

    for round in ["two segments", "compacted"] {
        for level in ["copy", "story"] {
            let found = checked(&["--index", &idx], &path("new.jsonl"), &["--level", level]);
            assert_eq!(
                found,
                expected,
                "{round}, {level} level: missed {:?}, extra {:?}",
                expected.difference(&found),
                found.difference(&expected)
            );
        }
        let info = wiredup(&["index", "info", &idx, "--format", "json"], None);
        let info: serde_json::Value = serde_json::from_str(&stdout(&info)).unwrap();
        assert_eq!(info["wrapped"], true, "{round}: {info}");
        assert!(info["sample_entries"].as_u64().unwrap() > 1000, "{round}: {info}");
        let out = wiredup(&["index", "compact", &idx], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }

    let (a, b) = (s(&path("a.jsonl")), s(&path("b.jsonl")));
    let against = ["--against", &a, "--against", &b];
    let found = checked(&against, &path("new.jsonl"), &["--level", "copy", "--wrapped"]);
    assert_eq!(found, expected, "check --against --wrapped");

    // An index without samples cannot look for wrapped copies: asking is an error, not a silent miss.
    let out = wiredup(&["check", "--index", &plain, "--wrapped", &s(&path("new.jsonl"))], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("index build --wrapped"), "{}", stderr(&out));
}
