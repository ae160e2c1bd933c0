//! Out-of-core scans: with a memory limit small enough that band keys are spilled to disk as
//! sorted runs, a scan must find exactly what it finds in memory, byte for byte.

use crate::common::{comparable, scan_file, stderr, synthetic_corpus, wiredup, write_corpus};
use wiredup::config::Level;

/// A scan under `memory_limit` bytes, if any, with `--wrapped` or not.
fn scan(
    path: &std::path::Path,
    level: Level,
    memory_limit: Option<u64>,
    wrapped: bool,
) -> wiredup::pipeline::ScanOutput {
    scan_file(path, level, |c| {
        c.wrapped = wrapped;
        if let Some(bytes) = memory_limit {
            c.set_memory_limit(bytes);
        }
    })
}

#[test]
fn spilled_band_keys_find_exactly_what_memory_finds_at_both_levels_with_and_without_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.jsonl");
    write_corpus(&path, &synthetic_corpus(600, 17));
    for wrapped in [false, true] {
        for level in [Level::Copy, Level::Story] {
            let whole = scan(&path, level, None, wrapped);
            assert_eq!(whole.stats.spilled_runs, 0);
            assert!(!whole.pairs.is_empty() && !whole.clusters.is_empty(), "{level:?}: the corpus has copies");
            assert_eq!(whole.stats.candidates.wrapped_pairs > 0, wrapped, "{level:?}");
            // 600 documents' keys take ~200 KB; a quarter of 100 KB holds ~70 documents' keys.
            let spilled = scan(&path, level, Some(100_000), wrapped);
            assert!(spilled.stats.spilled_runs >= 5, "{level:?}: {} runs", spilled.stats.spilled_runs);
            assert_eq!(comparable(&whole), comparable(&spilled), "{level:?} wrapped {wrapped}");
            assert_eq!(whole.stats.candidates, spilled.stats.candidates, "{level:?} wrapped {wrapped}");
        }
    }
}

#[test]
fn a_limit_the_keys_fit_in_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.jsonl");
    write_corpus(&path, &synthetic_corpus(200, 5));
    let whole = scan(&path, Level::Copy, None, false);
    let roomy = scan(&path, Level::Copy, Some(1 << 30), false);
    assert_eq!(roomy.stats.spilled_runs, 0, "nothing spilled below the budget");
    assert_eq!(comparable(&whole), comparable(&roomy));
}

#[test]
fn cli_memory_limit_writes_byte_identical_pairs_and_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    // ~4000 documents: ~1.3 MB of band keys, several runs at the smallest limit the CLI takes.
    write_corpus(&corpus, &synthetic_corpus(4000, 23));
    let run = |name: &str, extra: &[&str]| {
        let pairs = dir.path().join(format!("{name}-pairs.jsonl"));
        let clusters = dir.path().join(format!("{name}-clusters.jsonl"));
        let mut args = vec!["scan", corpus.to_str().unwrap(), "--level", "copy", "--format", "json", "-q"];
        args.extend_from_slice(&["--pairs", pairs.to_str().unwrap(), "--clusters", clusters.to_str().unwrap()]);
        args.extend_from_slice(extra);
        let out = wiredup(&args, None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (std::fs::read(pairs).unwrap(), std::fs::read(clusters).unwrap(), summary)
    };
    let (pairs, clusters, summary) = run("memory", &[]);
    let (spilled_pairs, spilled_clusters, spilled_summary) = run("spilled", &["--memory-limit", "1M"]);
    assert!(pairs.len() > 10_000, "the corpus has copies");
    assert_eq!(summary["spilled_runs"], 0);
    assert!(spilled_summary["spilled_runs"].as_u64().unwrap() >= 3, "{}", spilled_summary["spilled_runs"]);
    assert!(pairs == spilled_pairs, "pairs files differ");
    assert!(clusters == spilled_clusters, "clusters files differ");
    assert_eq!(summary["candidate_pairs"], spilled_summary["candidate_pairs"]);
}

#[test]
fn a_bad_memory_limit_exits_2_naming_the_flag() {
    for (value, says) in [("lots", "500M"), ("12X", "500M"), ("100K", "at least 1M")] {
        let out = wiredup(&["scan", "seeds", "--memory-limit", value], None);
        assert_eq!(out.status.code(), Some(2), "{value}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("--memory-limit") && err.contains(says), "{value}: {err}");
    }
}
