//! End-to-end tests of `wiredup scan`: the output contract, bad input, flags, determinism.

use std::collections::BTreeSet;

use crate::common::*;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");

#[test]
fn seeds_copy_level_writes_both_files_in_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let (p, c) = (dir.path().join("p.jsonl"), dir.path().join("c.jsonl"));
    let out = wiredup(
        &["scan", SEEDS, "--level", "copy", "--pairs", p.to_str().unwrap(), "--clusters", c.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("5 documents"), "{}", stdout(&out));
    // The seeds are rewrites, not copies: no pair passes copy-level verification.
    assert!(read_jsonl(&p).is_empty());
    assert!(read_jsonl(&c).is_empty());
}

#[test]
fn pairs_and_clusters_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_corpus(&corpus, &synthetic_corpus(300, 1));
    let (p, c) = (dir.path().join("p.jsonl"), dir.path().join("c.jsonl"));
    let out = wiredup(
        &[
            "scan",
            corpus.to_str().unwrap(),
            "--level",
            "copy",
            "--pairs",
            p.to_str().unwrap(),
            "--clusters",
            c.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pairs = read_jsonl(&p);
    assert!(pairs.len() > 20, "{}", pairs.len());
    let mut keys = Vec::new();
    for pair in &pairs {
        for f in ["a", "b", "relation", "score", "jaccard", "a_in_b", "b_in_a"] {
            assert!(pair.get(f).is_some(), "{f} missing in {pair}");
        }
        let (a, b) = (pair["a"].as_str().unwrap(), pair["b"].as_str().unwrap());
        assert!(a < b);
        let rel = pair["relation"].as_str().unwrap();
        let j = pair["jaccard"].as_f64().unwrap();
        assert_eq!(rel == "duplicate", j >= 0.8, "{pair}");
        assert!(rel == "duplicate" || rel == "copy");
        keys.push((a.to_string(), b.to_string()));
    }
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "pairs are sorted and distinct");

    let clusters = read_jsonl(&c);
    let mut prev: Option<(usize, String)> = None;
    let mut seen = BTreeSet::new();
    for (i, cl) in clusters.iter().enumerate() {
        assert_eq!(cl["cluster"].as_u64().unwrap() as usize, i + 1);
        let size = cl["size"].as_u64().unwrap() as usize;
        let members = cl["members"].as_array().unwrap();
        assert_eq!(members.len(), size);
        assert!(size >= 2);
        let original = cl["original"].as_str().unwrap().to_string();
        assert_eq!(members[0]["id"], original.as_str());
        assert_eq!(members[0]["score"].as_f64(), Some(1.0));
        for m in members {
            assert!(seen.insert(m["id"].as_str().unwrap().to_string()), "a document is in one cluster");
        }
        if let Some((psize, porig)) = &prev {
            assert!(*psize > size || (*psize == size && *porig < original), "sorted by size then original id");
        }
        prev = Some((size, original));
    }
}

/// Brute force over all pairs: every pair with exact Jaccard >= 0.5 or containment >= 0.8 is
/// reported (recall 1.0) and nothing else is (precision 1.0).
#[test]
fn finds_exactly_the_pairs_above_threshold() {
    let docs = synthetic_corpus(400, 7);
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_corpus(&corpus, &docs);
    let p = dir.path().join("p.jsonl");
    let out = wiredup(&["scan", corpus.to_str().unwrap(), "--level", "copy", "--pairs", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let found: BTreeSet<(String, String)> = read_jsonl(&p)
        .iter()
        .map(|v| (v["a"].as_str().unwrap().to_string(), v["b"].as_str().unwrap().to_string()))
        .collect();

    let truth = copy_pairs_by_brute_force(&docs);
    assert!(truth.len() > 30, "the corpus has copies: {}", truth.len());
    let missed: Vec<_> = truth.difference(&found).collect();
    let extra: Vec<_> = found.difference(&truth).collect();
    // LSH is probabilistic: allow at most 1% misses among containment-only pairs; none extra.
    assert!(extra.is_empty(), "reported pairs below both thresholds: {extra:?}");
    assert!(missed.len() * 100 <= truth.len(), "missed {} of {}: {missed:?}", missed.len(), truth.len());
}

#[test]
fn one_thread_and_two_threads_write_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_corpus(&corpus, &synthetic_corpus(600, 3));
    let mut outputs = Vec::new();
    for threads in ["1", "2", "4"] {
        let (p, c) = (dir.path().join(format!("p{threads}")), dir.path().join(format!("c{threads}")));
        let out = wiredup(
            &[
                "scan",
                corpus.to_str().unwrap(),
                "--level",
                "copy",
                "--threads",
                threads,
                "--pairs",
                p.to_str().unwrap(),
                "--clusters",
                c.to_str().unwrap(),
                "--quiet",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0));
        outputs.push((std::fs::read(p).unwrap(), std::fs::read(c).unwrap()));
    }
    assert!(!outputs[0].0.is_empty());
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn a_malformed_line_is_named_and_the_good_documents_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("mixed.jsonl");
    let text = "the same wire story about the harbour fire was copied word for word by many papers today";
    let lines = [
        serde_json::json!({"id": "a", "text": text}).to_string(),
        serde_json::json!({"id": "b", "text": text}).to_string(),
        "{\"id\": \"broken\", \"text\": \"unterminated".to_string(),
        serde_json::json!({"id": "c", "text": format!("{text} again")}).to_string(),
    ];
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    let c = dir.path().join("c.jsonl");
    let out = wiredup(&["scan", corpus.to_str().unwrap(), "--level", "copy", "--clusters", c.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(3), "exit code 3: finished with skipped input");
    let err = stderr(&out);
    assert!(err.contains("mixed.jsonl:3:") && err.contains("malformed JSON"), "{err}");
    assert!(stdout(&out).contains("3 documents"));
    let clusters = read_jsonl(&c);
    assert_eq!(clusters.len(), 1);
    let ids: BTreeSet<&str> =
        clusters[0]["members"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, BTreeSet::from(["a", "b", "c"]));

    // --strict makes the same problem fatal.
    let out = wiredup(&["scan", corpus.to_str().unwrap(), "--strict"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("mixed.jsonl:3:"));
}

#[test]
fn duplicate_ids_and_missing_text_are_warned_and_skipped() {
    let input = "{\"id\":\"x\",\"text\":\"one\"}\n{\"id\":\"x\",\"text\":\"two\"}\n{\"id\":\"y\",\"body\":\"three\"}\n";
    let out = wiredup(&["scan", "-", "--level", "copy"], Some(input.as_bytes()));
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("<stdin>:2: duplicate id \"x\" (first seen at <stdin>:1)"), "{err}");
    assert!(err.contains("<stdin>:3: no \"text\" field"), "{err}");
    let out = wiredup(&["scan", "--text-field", "body", "--level", "copy"], Some(input.as_bytes()));
    assert!(stderr(&out).contains("<stdin>:1: no \"body\" field"));
}

#[test]
fn bad_flags_name_the_flag_and_the_valid_range() {
    let out = wiredup(&["scan", SEEDS, "--threshold", "1.5"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--threshold must be between 0 and 1, got 1.5"), "{}", stderr(&out));
    let out = wiredup(&["scan", SEEDS, "--bands", "20", "--rows", "7"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--bands (20) x --rows (7) = 140 exceeds --num-perm (128)"), "{}", stderr(&out));
    let out = wiredup(&["scan", SEEDS, "--bands", "20"], None);
    assert_eq!(out.status.code(), Some(2), "--bands needs --rows");
}

#[test]
fn explain_shows_the_banding_and_its_s_curve() {
    let out = wiredup(&["scan", SEEDS, "--level", "copy", "--explain", "--bands", "16", "--rows", "8"], None);
    let err = stderr(&out);
    assert!(err.contains("16 bands x 8 rows"), "{err}");
    assert!(err.contains("as set by --bands and --rows"), "{err}");
    assert!(err.contains("J = 0.5: 0.0607"), "{err}"); // 1 - (1 - 0.5^8)^16
}

#[test]
fn an_unwritable_output_is_refused_before_the_scan() {
    let out = wiredup(&["scan", SEEDS, "--pairs", "/nonexistent-wiredup-dir/p.jsonl"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out)
        .contains("--pairs /nonexistent-wiredup-dir/p.jsonl: folder /nonexistent-wiredup-dir does not exist"));
    assert!(stdout(&out).is_empty(), "no scan ran");
}

#[test]
fn an_output_never_overwrites_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("in.jsonl");
    write_corpus(&corpus, &synthetic_corpus(20, 2));
    let before = std::fs::read(&corpus).unwrap();
    let out = wiredup(&["scan", corpus.to_str().unwrap(), "--pairs", corpus.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("it is one of the inputs"));
    assert_eq!(std::fs::read(&corpus).unwrap(), before);
}

#[test]
fn the_original_is_the_earliest_date_and_json_summary_parses() {
    let text = "officials said the bridge would reopen on monday after repairs to the damaged span were finished";
    let input = [
        serde_json::json!({"id": "late", "text": text, "date": "2024-05-02T10:00:00Z", "title": "Bridge reopens"}),
        serde_json::json!({"id": "early", "text": text, "date": "2024-05-01", "title": "Bridge to reopen"}),
        serde_json::json!({"id": "undated", "text": text}),
    ]
    .map(|v| v.to_string())
    .join("\n");
    let out = wiredup(&["scan", "--level", "copy", "--format", "json"], Some(input.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["documents"], 3);
    assert_eq!(summary["top_clusters"][0]["original"], "early");
    assert_eq!(summary["top_clusters"][0]["title"], "Bridge to reopen");
}

#[test]
fn a_scan_that_reads_no_document_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("page.html"), "<p>Not an input.</p>").unwrap();
    let out = wiredup(&["scan", dir.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("note: no document was read from the paths given, so nothing was compared"), "{text}");
    assert!(text.contains("not inputs by extension (e.g. ") && text.contains("page.html"), "{text}");
    std::fs::write(dir.path().join("a.txt"), "One short article about bakers in Lisbon.").unwrap();
    let text = stdout(&wiredup(&["scan", dir.path().to_str().unwrap()], None));
    assert!(!text.contains("no document was read"), "{text}");
}

#[test]
fn outputs_that_would_clobber_each_other_or_a_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("out.jsonl");
    let out = wiredup(&["scan", SEEDS, "--pairs", same.to_str().unwrap(), "--clusters", same.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--pairs and --clusters name the same file"), "{}", stderr(&out));
    assert!(!same.exists(), "nothing written");
    let out = wiredup(&["scan", SEEDS, "--pairs", dir.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a folder; name a file to write"), "{}", stderr(&out));
    // Evidence goes into the pairs file: without one it would be computed for nothing.
    let out = wiredup(&["scan", SEEDS, "--evidence"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--pairs"), "{}", stderr(&out));
}

#[test]
fn text_files_of_one_name_in_two_folders_are_both_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = "the harbour authority said the new ferry terminal would open in march after a two year delay";
    for folder in ["2024-01", "2024-02"] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
        std::fs::write(dir.path().join(folder).join("index.md"), text).unwrap();
    }
    let (a, b) = (dir.path().join("2024-01"), dir.path().join("2024-02"));
    let pairs = dir.path().join("pairs.jsonl");
    let out = wiredup(
        &["scan", a.to_str().unwrap(), b.to_str().unwrap(), "--level", "copy", "--pairs", pairs.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids: BTreeSet<String> = read_jsonl(&pairs)
        .iter()
        .flat_map(|p| [p["a"].as_str().unwrap().to_string(), p["b"].as_str().unwrap().to_string()])
        .collect();
    let named = |p: &std::path::Path| format!("{}/index.md", p.display());
    assert_eq!(ids, BTreeSet::from([named(&a), named(&b)]));
}

#[test]
fn ids_that_cannot_name_a_document_are_replaced_by_line_numbers_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ids.jsonl");
    let text = "Firefighters in Porto contained a warehouse blaze on Tuesday after six hours of work.";
    let ids = [r#"{"k":1}"#, "null", "[1,2]", r#""""#, r#""  ""#, r#""given""#, "7"];
    let mut lines: Vec<String> = ids.iter().map(|id| format!("{{\"id\":{id},\"text\":{text:?}}}")).collect();
    // No id field at all: the line number, as always, and no note about it.
    lines.push(format!("{{\"text\":{text:?}}}"));
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    let args = ["scan", input.to_str().unwrap(), "--level", "copy", "--pairs", pairs.to_str().unwrap()];
    let out = wiredup(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = stdout(&out);
    let note = "note: 5 document(s) have an \"id\" field that is null, empty, an object or an array, and are \
                named by their line number instead (first: ";
    assert!(report.contains(note) && report.contains("ids.jsonl:1)"), "{report}");
    // Every document is kept: the eight copies make 28 pairs, under the ids the note promises.
    let named: BTreeSet<String> =
        read_jsonl(&pairs).iter().flat_map(|p| [p["a"].clone(), p["b"].clone()]).map(|v| v.to_string()).collect();
    let expected: BTreeSet<String> = ["\"1\"", "\"2\"", "\"3\"", "\"4\"", "\"5\"", "\"given\"", "\"7\"", "\"8\""]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(named, expected);
    assert_eq!(read_jsonl(&pairs).len(), 28);
    let json = wiredup(&["scan", input.to_str().unwrap(), "--level", "copy", "--format", "json", "-q"], None);
    let summary: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(summary["unusable_ids"], 5);
    // index build and check say the same on stderr.
    let idx = dir.path().join("idx");
    let out = wiredup(&["index", "build", idx.to_str().unwrap(), input.to_str().unwrap(), "--level", "copy"], None);
    assert!(stderr(&out).contains(note) && stderr(&out).contains("ids.jsonl:1)"), "{}", stderr(&out));
    let out = wiredup(&["check", "--index", idx.to_str().unwrap(), input.to_str().unwrap(), "--level", "copy"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(note) && stderr(&out).contains("ids.jsonl:1)"), "{}", stderr(&out));
    assert_eq!(summary["dropped_fields"], 0);
    // Well-formed ids say nothing.
    std::fs::write(&input, format!("{{\"id\":\"a\",\"text\":{text:?}}}\n{{\"id\":2,\"text\":{text:?}}}\n")).unwrap();
    let out = wiredup(&args, None);
    assert!(!stdout(&out).contains("named by their line number"), "{}", stdout(&out));
}

#[test]
fn dates_written_as_unix_times_count_and_an_object_date_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dated.jsonl");
    let text = "Firefighters in Porto contained a warehouse blaze on Tuesday after six hours of work.";
    // The same instant three ways, a day later, and a date an export wrote as an object.
    let dates = ["1712534400", "1712534400000", r#""2024-04-08T00:00:00Z""#, r#""2024-04-10""#, r#"{"$date":"x"}"#];
    let lines: Vec<String> =
        dates.iter().enumerate().map(|(i, d)| format!("{{\"id\":\"d{i}\",\"date\":{d},\"text\":{text:?}}}")).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    let args =
        ["scan", input.to_str().unwrap(), "--level", "copy", "--window", "1d", "--pairs", pairs.to_str().unwrap()];
    let out = wiredup(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let found: BTreeSet<(String, String)> = read_jsonl(&pairs)
        .iter()
        .map(|p| (p["a"].as_str().unwrap().to_string(), p["b"].as_str().unwrap().to_string()))
        .collect();
    // d0-d2 are one instant; d3 is two days off them; d4 is undated, so the window lets it pair.
    let expected: BTreeSet<(String, String)> =
        [("d0", "d1"), ("d0", "d2"), ("d1", "d2"), ("d0", "d4"), ("d1", "d4"), ("d2", "d4"), ("d3", "d4")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
    assert_eq!(found, expected);
    let report = stdout(&out);
    assert!(report.contains(r#"note: 1 date(s) could not be read (e.g. "{\"$date\":\"x\"}")"#), "{report}");
}
