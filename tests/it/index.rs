//! End-to-end tests of `wiredup index` and `wiredup check`: the acceptance checks of the issue,
//! adding and compacting, damaged and foreign index files, conflicting flags, the lock, and
//! checking against a folder without an index.

use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;
use wiredup::normalize::normalize;
use wiredup::shingle::Shingler;
use wiredup::verify::Overlap;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
const ECB: &str = "/work/shared/data/ecbplus-dev/docs.jsonl";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json_lines(out: &std::process::Output) -> Vec<Value> {
    stdout(out).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

/// An article of the archive rewritten the way a copy editor would: a paragraph cut and a new
/// lede. Picks the first article whose edited form is a copy but not a near-duplicate (exact
/// word 5-gram Jaccard between 0.5 and 0.75), so that the expected relation is `copy`.
fn edited_copy() -> (String, String) {
    let sh = Shingler::new(5, wiredup::config::SHINGLE_SEED);
    for line in std::fs::read_to_string(ECB).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let (id, text) = (v["id"].as_str().unwrap(), v["text"].as_str().unwrap());
        let paras: Vec<&str> = text.split('\n').filter(|p| !p.trim().is_empty()).collect();
        if paras.len() < 5 {
            continue;
        }
        let mut kept: Vec<&str> = paras.clone();
        kept.remove(2);
        let lede = "Residents woke on Monday to news that has since dominated conversation across the region.";
        let edited = format!("{lede}\n{}", kept.join("\n"));
        let j = Overlap::of(&sh.shingles(&normalize(text)), &sh.shingles(&normalize(&edited))).jaccard;
        if (0.5..0.75).contains(&j) {
            return (id.to_string(), edited);
        }
    }
    panic!("no article of ecbplus-dev fits");
}

fn write_jsonl(path: &Path, docs: &[(&str, &str)]) {
    let owned: Vec<(String, String)> = docs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    write_corpus(path, &owned);
}

#[test]
fn acceptance_edited_article_is_a_copy_and_the_seeds_pass() {
    if !Path::new(ECB).exists() {
        eprintln!("skipped: {ECB} is not on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("ecb.idx");
    let out = wiredup(&["index", "build", s(&idx), ECB, "--quiet"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("indexed 772 documents"), "{}", stdout(&out));

    let (id, edited) = edited_copy();
    let new = dir.path().join("new.jsonl");
    write_jsonl(&new, &[("draft-1", &edited)]);
    let out = wiredup(&["check", "--index", s(&idx), s(&new), "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["fail"], true);
    let first = &rows[0]["matches"][0];
    assert_eq!(first["id"], id.as_str(), "{}", rows[0]);
    assert_eq!(first["relation"], "copy", "{}", rows[0]);
    assert_eq!(first["in"], "index");
    assert!(!first["evidence"].as_array().unwrap().is_empty());
    // The readable report names it too.
    let out = wiredup(&["check", "--index", s(&idx), s(&new)], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(&id) && stdout(&out).contains("copy"), "{}", stdout(&out));

    // The seeds are rewrites of each other and of nothing in ecbplus: no copy.
    let out = wiredup(&["check", "--index", s(&idx), SEEDS, "--fail-on", "copy"], None);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    // ... but they are rewrites of one another.
    let out = wiredup(&["check", "--index", s(&idx), SEEDS, "--fail-on", "rewrite", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let rows = json_lines(&out);
    let m: Vec<&Value> = rows.iter().flat_map(|r| r["matches"].as_array().unwrap()).collect();
    assert!(m.iter().all(|m| m["relation"] == "rewrite"));
    assert!(m.iter().any(|m| m["in"] == "new"));
}

#[test]
fn github_format_annotates_the_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("archive.jsonl");
    let docs = synthetic_corpus(200, 11);
    write_corpus(&corpus, &docs);
    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&corpus), "-q"], None).status.code(), Some(0));
    let new = dir.path().join("draft.txt");
    std::fs::write(&new, &docs[42].1).unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(&new), "--format", "github"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let first = stdout(&out).lines().next().unwrap().to_string();
    assert!(
        first.starts_with(&format!("::warning file={},title=wiredup%3A duplicate of doc00042::", s(&new))),
        "{first}"
    );
    assert!(first.contains("fails --fail-on copy"), "{first}");
}

#[test]
fn a_check_that_reads_no_document_says_so() {
    let (_dir, idx, _) = small_index();
    let drafts = tempfile::tempdir().unwrap();
    std::fs::write(drafts.path().join("draft.html"), "<p>An article in a format check does not read.</p>").unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(drafts.path())], None);
    // Nothing matched, so the check passes; but stderr says that nothing was checked, and why.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("1 file(s) in the folders given are not inputs by extension"), "{err}");
    assert!(err.contains("draft.html"), "{err}");
    assert!(err.contains("no new document was read from the paths given, so nothing was checked"), "{err}");
    let out = wiredup(&["check", "--index", s(&idx), s(drafts.path()), "-q"], None);
    assert_eq!((out.status.code(), stderr(&out).as_str()), (Some(0), ""));
    // A check of a document says nothing of the kind.
    std::fs::write(drafts.path().join("draft.txt"), "Bakers in Lisbon raised bread prices again this week.").unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(drafts.path())], None);
    assert!(!stderr(&out).contains("nothing was checked"), "{}", stderr(&out));
}

#[test]
fn a_jsonl_file_not_read_as_articles_is_named_and_one_with_a_headless_first_record_is_read() {
    let (_dir, idx, copy) = small_index();
    let text = read_jsonl(&copy)[0]["text"].as_str().unwrap().to_string();
    let new = tempfile::tempdir().unwrap();
    // A labels file: no line has a text. Named on stderr by check and by index build.
    std::fs::write(new.path().join("labels.jsonl"), "{\"id\":\"a\",\"cluster\":1}\n").unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(new.path())], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("1 JSONL file(s) in the folders given hold no \"text\" field") && err.contains("labels.jsonl"),
        "{err}"
    );
    assert!(err.contains("nothing was checked"), "{err}");
    let built = new.path().join("idx");
    let out = wiredup(&["index", "build", s(&built), s(new.path())], None);
    let err = stderr(&out);
    assert!(err.contains("labels.jsonl") && err.contains("no document was read"), "{err}");
    // An index of no document has a size, and no size per document; the build and info agree on it.
    let size = std::fs::read_dir(&built).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum::<u64>();
    assert!(
        stdout(&out).contains(&format!("indexed 0 documents into {} ({size} bytes) in", s(&built))),
        "{}",
        stdout(&out)
    );
    let info = wiredup(&["index", "info", s(&built)], None);
    assert!(stdout(&info).contains(&format!("size: {size} bytes\n")), "{}", stdout(&info));
    let info = wiredup(&["index", "info", s(&built), "--format", "json"], None);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!((info["bytes"].as_u64(), info["bytes_per_document"].is_null()), (Some(size), true));
    // Articles whose first record has no text: read (the copy is caught), that record warned.
    let head = serde_json::json!({"id": "header", "title": "export of 2024-05-01"});
    let article = serde_json::json!({"id": "copied", "text": text});
    std::fs::write(new.path().join("articles.jsonl"), format!("{head}\n{article}\n")).unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(new.path()), "--level", "copy"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("articles.jsonl:1: no \"text\" field"), "{}", stderr(&out));
}

#[test]
fn a_failed_build_leaves_no_folder_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"id\":\"a\",\"text\":\"Bakers in Lisbon raised bread prices.\"}\nnot json\n").unwrap();
    let idx = dir.path().join("idx");
    let out = wiredup(&["index", "build", s(&idx), s(&bad), "--strict"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!idx.exists(), "the folder the build made is gone");
    // Into a folder that was there (empty), the folder stays.
    std::fs::create_dir(&idx).unwrap();
    let out = wiredup(&["index", "build", s(&idx), s(&bad), "--strict"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(idx.is_dir());
}

#[test]
fn an_input_inside_the_index_folder_is_refused() {
    let (_dir, idx, _) = small_index();
    let inside = idx.join("extra.jsonl");
    write_jsonl(&inside, &[("x", "Bakers in Lisbon raised bread prices again this week.")]);
    for args in [vec!["index", "build", s(&idx), s(&inside)], vec!["index", "add", s(&idx), s(&inside)]] {
        let out = wiredup(&args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("is inside the index"), "{}", stderr(&out));
    }
    let out = wiredup(&["index", "info", s(&idx)], None);
    assert_eq!(out.status.code(), Some(0), "the index is untouched: {}", stderr(&out));
}

#[test]
fn signing_with_the_index_s_sketch_size_writes_the_same_segment() {
    // `index build` reads with sketches cut to what a segment keeps; a segment built from the
    // full sketches a scan makes must be byte for byte the same.
    use wiredup::config::{Config, Level};
    use wiredup::index;
    use wiredup::input::Inputs;
    use wiredup::pipeline::{Pipeline, Silent};
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("archive.jsonl");
    write_corpus(&corpus, &synthetic_corpus(400, 21));
    let config = Config::new(Level::Story, 5, 128, 0.5, 0.8, None).unwrap();
    let segment = |config: Config, name: &str| {
        assert!(config.story.sketch > 0);
        let idx = dir.path().join(name);
        let mut inputs = Inputs::open(std::slice::from_ref(&corpus), config.fields.clone()).unwrap();
        index::build(&idx, &Pipeline::new(config), &mut inputs, &Silent).unwrap();
        std::fs::read(idx.join("seg-000001.wdx")).unwrap()
    };
    let cut = index::for_indexing(config.clone());
    assert!(cut.story.sketch < config.story.sketch);
    assert_eq!(segment(config, "full"), segment(cut, "cut"));
}

#[test]
fn a_story_copied_many_times_lists_the_strongest_matches_and_counts_the_rest() {
    // 25 archive copies of one article, each with one word changed at a different place.
    let dir = tempfile::tempdir().unwrap();
    let base = &synthetic_corpus(1, 5)[0].1;
    let words: Vec<&str> = base.split(' ').collect();
    let copies: Vec<(String, String)> = (0..25)
        .map(|i| {
            let mut w: Vec<String> = words.iter().map(|x| x.to_string()).collect();
            let at = (i * 7 + 3) % w.len();
            w[at] = format!("changed{i}");
            (format!("copy{i:02}"), w.join(" "))
        })
        .collect();
    let corpus = dir.path().join("archive.jsonl");
    write_corpus(&corpus, &copies);
    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&corpus), "-q"], None).status.code(), Some(0));
    let new = dir.path().join("new.jsonl");
    write_jsonl(&new, &[("draft", base)]);
    let args = |extra: &[&str]| {
        let mut a = vec!["check", "--index", s(&idx), s(&new)];
        a.extend_from_slice(extra);
        let out = wiredup(&a, None);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        stdout(&out)
    };
    // JSON lists every match, strongest first; the readable report the first 10 of them, in the
    // same order, and counts the other 15 (all of them failing).
    let all: Vec<String> = json_lines(&wiredup(&["check", "--index", s(&idx), s(&new), "--format", "json"], None))[0]
        ["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(all.len(), 25);
    let listed = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("  ! "))
            .map(|l| l.split_whitespace().nth(4).unwrap().to_string())
            .collect()
    };
    let text = args(&[]);
    assert_eq!(listed(&text), all[..10], "{text}");
    assert!(
        text.contains(
            "  ... and 15 more matches (15 at or above --fail-on copy): --max-matches 0 or --format json lists all"
        ),
        "{text}"
    );
    let text = args(&["--max-matches", "0"]);
    assert_eq!(listed(&text), all, "{text}");
    assert!(!text.contains("more match"), "{text}");
    let text = args(&["--max-matches", "24"]);
    assert_eq!(listed(&text), all[..24]);
    assert!(text.contains("... and 1 more match (1 at or above"), "{text}");
    // GitHub: one warning per listed match, one notice for the rest.
    let github = args(&["--format", "github", "--max-matches", "3"]);
    assert_eq!(github.lines().filter(|l| l.starts_with("::warning ")).count(), 3, "{github}");
    let notices: Vec<&str> = github.lines().filter(|l| l.starts_with("::notice ")).collect();
    assert_eq!(notices.len(), 1, "{github}");
    assert!(notices[0].contains(&format!("file={}", s(&new))) && notices[0].contains("22 more matches"), "{github}");
}

#[test]
fn added_documents_are_found_and_counted_and_compact_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let docs = synthetic_corpus(300, 5);
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    write_corpus(&a, &docs[..200]);
    // Part b: fresh texts (not copies of part a), so that only `add` can make them match.
    let fresh: Vec<(String, String)> =
        synthetic_corpus(100, 99).into_iter().map(|(id, t)| (format!("b-{id}"), t)).collect();
    write_corpus(&b, &fresh);
    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&a), "-q"], None).status.code(), Some(0));

    let draft = dir.path().join("draft.jsonl");
    let words: Vec<&str> = fresh[7].1.split(' ').collect();
    let edited = format!("A new opening line for the draft. {}", words[..words.len() * 9 / 10].join(" "));
    write_jsonl(&draft, &[("draft", &edited)]);
    let out = wiredup(&["check", "--index", s(&idx), s(&draft), "--level", "copy"], None);
    assert_eq!(out.status.code(), Some(0), "not indexed yet: {}", stdout(&out));

    let out = wiredup(&["index", "add", s(&idx), s(&b), "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info = wiredup(&["index", "info", s(&idx), "--format", "json"], None);
    let info: Value = serde_json::from_str(&stdout(&info)).unwrap();
    assert_eq!(info["documents"], 300);
    assert_eq!(info["segments"].as_array().unwrap().len(), 2);
    let text_info = stdout(&wiredup(&["index", "info", s(&idx)], None));
    assert!(text_info.contains("documents: 300"), "{text_info}");

    for round in ["after add", "after compact"] {
        let out = wiredup(&["check", "--index", s(&idx), s(&draft), "--format", "json"], None);
        assert_eq!(out.status.code(), Some(1), "{round}: {}", stderr(&out));
        let rows = json_lines(&out);
        assert_eq!(rows[0]["matches"][0]["id"], "b-doc00007", "{round}: {}", rows[0]);
        assert_eq!(rows[0]["matches"][0]["relation"], "duplicate", "{round}");
        if round == "after add" {
            let out = wiredup(&["index", "compact", s(&idx)], None);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let info = wiredup(&["index", "info", s(&idx), "--format", "json"], None);
            let info: Value = serde_json::from_str(&stdout(&info)).unwrap();
            assert_eq!(info["documents"], 300);
            assert_eq!(info["segments"].as_array().unwrap().len(), 1);
        }
    }
    // Only the compacted segment and the manifest remain.
    let mut names: Vec<String> =
        std::fs::read_dir(&idx).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["manifest", "seg-000003.wdx"]);
}

#[test]
fn adding_an_id_the_index_holds_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    write_corpus(&a, &synthetic_corpus(50, 2));
    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&a), "-q"], None).status.code(), Some(0));
    let again = dir.path().join("again.jsonl");
    write_jsonl(&again, &[("new-one", "some entirely new words in a text"), ("doc00003", "a changed text")]);
    let out = wiredup(&["index", "add", s(&idx), s(&again), "-q"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("1 document id(s) already in the index, e.g. \"doc00003\""), "{}", stderr(&out));
    assert!(stdout(&wiredup(&["index", "info", s(&idx)], None)).contains("documents: 50"));
}

#[test]
fn add_replace_hides_the_old_version_and_compact_drops_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let docs = synthetic_corpus(60, 4);
    write_corpus(&path("a.jsonl"), &docs);
    let idx = path("idx");
    // With --wrapped, so that dropping documents renumbers the samples too.
    assert_eq!(
        wiredup(&["index", "build", s(&idx), s(&path("a.jsonl")), "--wrapped", "-q"], None).status.code(),
        Some(0)
    );
    let fresh = synthetic_corpus(3, 77);
    let versions = [docs[5].1.clone(), fresh[0].1.clone(), fresh[1].1.clone()];
    for (k, text) in versions.iter().enumerate() {
        write_jsonl(&path(&format!("draft{k}.jsonl")), &[(&format!("draft{k}"), text)]);
    }
    // Which drafts match the indexed doc00005, as what.
    let matches = |when: &str| -> Vec<Option<String>> {
        (0..3)
            .map(|k| {
                let out = wiredup(
                    &["check", "--index", s(&idx), s(&path(&format!("draft{k}.jsonl"))), "--format", "json"],
                    None,
                );
                assert!(matches!(out.status.code(), Some(0 | 1)), "{when}: {}", stderr(&out));
                let rows = json_lines(&out);
                let hit = rows[0]["matches"].as_array().unwrap().iter().find(|m| m["id"] == "doc00005");
                hit.map(|m| m["relation"].as_str().unwrap().to_string())
            })
            .collect()
    };
    let dup = || Some("duplicate".to_string());
    assert_eq!(matches("built"), [dup(), None, None]);

    for (k, version) in versions.iter().enumerate().skip(1) {
        let update = path(&format!("update{k}.jsonl"));
        write_jsonl(&update, &[("doc00005", version), (&format!("extra{k}"), &fresh[2].1[k * 10..])]);
        let out = wiredup(&["index", "add", s(&idx), s(&update), "--replace", "-q"], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).contains("(1 replacing indexed ones)"), "{}", stdout(&out));
        let mut expected = [None, None, None];
        expected[k] = dup();
        assert_eq!(matches(&format!("version {k}")), expected, "only the latest version is matched");
        let info: Value =
            serde_json::from_str(&stdout(&wiredup(&["index", "info", s(&idx), "--format", "json"], None))).unwrap();
        assert_eq!(
            (info["documents"].as_u64(), info["replaced_documents"].as_u64()),
            (Some(60 + k as u64), Some(k as u64))
        );
    }
    assert!(stdout(&wiredup(&["index", "info", s(&idx)], None)).contains("documents: 62 (2 replaced ones still stored"));

    let out = wiredup(&["index", "compact", s(&idx)], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info: Value =
        serde_json::from_str(&stdout(&wiredup(&["index", "info", s(&idx), "--format", "json"], None))).unwrap();
    assert_eq!((info["documents"].as_u64(), info["replaced_documents"].as_u64()), (Some(62), Some(0)));
    assert_eq!(info["segments"].as_array().unwrap().len(), 1);
    assert_eq!(matches("compacted"), [None, None, dup()]);
    // Every other indexed document is still found, under its own id.
    let copy = path("copy.jsonl");
    write_jsonl(&copy, &[("copy", &docs[40].1)]);
    let out = wiredup(&["check", "--index", s(&idx), s(&copy), "--format", "json", "--level", "copy"], None);
    assert!(
        json_lines(&out)[0]["matches"].as_array().unwrap().iter().any(|m| m["id"] == "doc00040"),
        "{}",
        stdout(&out)
    );

    // An id made from a line number replaces nothing: it only matches an indexed id by chance.
    let by_line = path("by-line.jsonl");
    std::fs::write(&by_line, "{\"text\": \"a note with no id at all\"}\n").unwrap();
    let lined = path("lined");
    assert_eq!(wiredup(&["index", "build", s(&lined), s(&by_line), "-q"], None).status.code(), Some(0));
    let out = wiredup(&["index", "add", s(&lined), s(&by_line), "--replace", "-q"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("by-line.jsonl:1: this document has no id field"), "{}", stderr(&out));
    let info: Value =
        serde_json::from_str(&stdout(&wiredup(&["index", "info", s(&lined), "--format", "json"], None))).unwrap();
    assert_eq!((info["documents"].as_u64(), info["replaced_documents"].as_u64()), (Some(1), Some(0)));
}

#[test]
fn a_text_file_changed_in_place_and_added_with_replace_is_checked_against_its_new_text() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.md"), dir.path().join("b.md"));
    let docs = synthetic_corpus(3, 8);
    std::fs::write(&a, &docs[0].1).unwrap();
    std::fs::write(&b, &docs[1].1).unwrap();
    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&a), s(&b), "-q"], None).status.code(), Some(0));
    // The article is corrected in place (another length), then added again under the same id.
    std::fs::write(&a, format!("{} A correction was appended.", docs[2].1)).unwrap();
    let out = wiredup(&["index", "add", s(&idx), s(&a), "--replace", "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let draft = dir.path().join("draft.jsonl");
    write_jsonl(&draft, &[("draft", &docs[2].1)]);
    for round in ["added", "compacted"] {
        let out = wiredup(&["check", "--index", s(&idx), s(&draft), "--format", "json", "--level", "copy"], None);
        assert_eq!(out.status.code(), Some(1), "{round}: {}", stderr(&out));
        let rows = json_lines(&out);
        assert_eq!(rows[0]["matches"][0]["id"], s(&a), "{round}: {}", rows[0]);
        let out = wiredup(&["index", "compact", s(&idx)], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

/// Builds a small index and returns (tempdir, index folder, a new document that copies one).
fn small_index() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("archive.jsonl");
    let docs = synthetic_corpus(120, 3);
    write_corpus(&corpus, &docs);
    let idx = dir.path().join("idx");
    let out = wiredup(&["index", "build", s(&idx), s(&corpus), "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let new = dir.path().join("new.jsonl");
    write_corpus(&new, &[("n1".into(), docs[10].1.clone())]);
    (dir, idx, new)
}

fn segment_of(idx: &Path) -> PathBuf {
    std::fs::read_dir(idx)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "wdx"))
        .unwrap()
}

/// `index info` and `check` on a damaged index: exit 2, a message with `expect`, no panic.
fn assert_refused(idx: &Path, new: &Path, expect: &[&str], case: &str) {
    for args in [vec!["index", "info", s(idx)], vec!["check", "--index", s(idx), s(new)]] {
        let out = wiredup(&args, None);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{case}: {args:?}: {err}{}", stdout(&out));
        assert!(!err.contains("panicked"), "{case}: {err}");
        assert!(expect.iter().any(|e| err.contains(e)), "{case}: {args:?}: {err}");
    }
}

#[test]
fn truncated_segments_and_manifests_are_refused() {
    let (_dir, idx, new) = small_index();
    let seg = segment_of(&idx);
    let whole = std::fs::read(&seg).unwrap();
    let n = whole.len();
    for len in [0, 5, 20, 100, n / 3, n / 2, n - 1] {
        std::fs::write(&seg, &whole[..len]).unwrap();
        assert_refused(&idx, &new, &["truncated", "corrupt"], &format!("segment cut to {len} of {n}"));
    }
    std::fs::write(&seg, &whole).unwrap();
    assert_eq!(wiredup(&["check", "--index", s(&idx), s(&new)], None).status.code(), Some(1));

    let manifest = idx.join("manifest");
    let m = std::fs::read(&manifest).unwrap();
    for len in [0, 7, 30, m.len() - 1] {
        std::fs::write(&manifest, &m[..len]).unwrap();
        assert_refused(&idx, &new, &["truncated", "corrupt"], &format!("manifest cut to {len}"));
    }
}

#[test]
fn flipped_bytes_anywhere_are_refused() {
    let (_dir, idx, new) = small_index();
    let seg = segment_of(&idx);
    let whole = std::fs::read(&seg).unwrap();
    // Positions spread over the header, the section table and every section.
    let n = whole.len();
    let mut positions: Vec<usize> = vec![8, 12, 16, 20, 30, 90, 100, 130];
    positions.extend((1..40).map(|k| k * (n - 1) / 40));
    positions.push(n - 1);
    for &i in &positions {
        let mut b = whole.clone();
        b[i] ^= 0x04;
        std::fs::write(&seg, &b).unwrap();
        assert_refused(&idx, &new, &["checksum", "corrupt"], &format!("byte {i} of {n} flipped"));
    }
    std::fs::write(&seg, &whole).unwrap();
    let manifest = idx.join("manifest");
    let m = std::fs::read(&manifest).unwrap();
    for i in [9, 40, m.len() / 2, m.len() - 3] {
        let mut b = m.clone();
        b[i] ^= 0x01;
        std::fs::write(&manifest, &b).unwrap();
        assert_refused(&idx, &new, &["checksum", "corrupt"], &format!("manifest byte {i} flipped"));
    }
}

#[test]
fn foreign_missing_and_future_version_files_are_named() {
    let (dir, idx, new) = small_index();
    let manifest = idx.join("manifest");
    let good = std::fs::read(&manifest).unwrap();
    std::fs::write(&manifest, b"{\"this is\": \"not an index\"}").unwrap();
    assert_refused(&idx, &new, &["not a wiredup index file"], "foreign manifest");

    // A newer format: the version field raised and the header checksum made right again.
    let mut b = good.clone();
    b[8..12].copy_from_slice(&7u32.to_le_bytes());
    let header_len = u32::from_le_bytes(b[16..20].try_into().unwrap()) as usize;
    let sum = wiredup::index::format::checksum(&b[..header_len - 8]);
    b[header_len - 8..header_len].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(&manifest, &b).unwrap();
    assert_refused(&idx, &new, &["format version 7 is newer than this wiredup reads (1)"], "future version");
    std::fs::write(&manifest, &good).unwrap();

    // A segment of another kind of file in its place.
    let seg = segment_of(&idx);
    std::fs::copy(&manifest, &seg).unwrap();
    assert_refused(&idx, &new, &["an index manifest where an index segment belongs"], "manifest as segment");

    let nowhere = dir.path().join("nowhere");
    let out = wiredup(&["check", "--index", s(&nowhere), s(&new)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no index here"), "{}", stderr(&out));
}

#[test]
fn a_signature_version_mismatch_names_both_versions() {
    let (_dir, idx, new) = small_index();
    let manifest = idx.join("manifest");
    let mut b = std::fs::read(&manifest).unwrap();
    // params start at byte 24; the signature version is their first u32.
    let ours = wiredup::config::SIGNATURE_VERSION;
    b[24..28].copy_from_slice(&(ours + 1).to_le_bytes());
    let header_len = u32::from_le_bytes(b[16..20].try_into().unwrap()) as usize;
    let sum = wiredup::index::format::checksum(&b[..header_len - 8]);
    b[header_len - 8..header_len].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(&manifest, &b).unwrap();
    let want = format!("built with signature version {}, but this wiredup uses {ours}", ours + 1);
    assert_refused(&idx, &new, &[&want], "signature version");
}

#[test]
fn flags_that_conflict_with_the_index_are_refused_naming_both_values() {
    let (_dir, idx, new) = small_index();
    let out = wiredup(&["check", "--index", s(&idx), s(&new), "--ngram", "3"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("built with --ngram 5") && err.contains("--ngram 3"), "{err}");
    let out = wiredup(&["index", "add", s(&idx), s(&new), "--num-perm", "64"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("built with --num-perm 128") && stderr(&out).contains("--num-perm 64"));
    // The same value as the index's is fine.
    let out = wiredup(&["check", "--index", s(&idx), s(&new), "--ngram", "5"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn a_copy_level_index_has_no_story_level() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    let out = wiredup(&["index", "build", s(&idx), SEEDS, "--level", "copy", "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = wiredup(&["check", "--index", s(&idx), SEEDS], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("holds no story data"), "{}", stderr(&out));
    let out = wiredup(&["check", "--index", s(&idx), SEEDS, "--level", "copy"], None);
    assert_eq!(out.status.code(), Some(1), "the seeds are in the index: {}", stdout(&out));
}

#[test]
fn a_second_writer_is_told_who_holds_the_lock() {
    let (dir, idx, _new) = small_index();
    let more = dir.path().join("more.jsonl");
    write_corpus(&more, &[("m1".into(), "words of another text entirely".into())]);
    // A live process holds the lock: this test.
    std::fs::write(idx.join("lock"), format!("{}\n", std::process::id())).unwrap();
    let out = wiredup(&["index", "add", s(&idx), s(&more), "-q"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("locked by process {}", std::process::id())), "{}", stderr(&out));
    // A lock left by a process that is gone (killed mid-write) is taken over.
    std::fs::write(idx.join("lock"), "4000000000\n").unwrap();
    let out = wiredup(&["index", "add", s(&idx), s(&more), "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!idx.join("lock").exists());
}

#[test]
fn concurrent_adds_never_corrupt_the_index() {
    let (dir, idx, new) = small_index();
    let mut children = Vec::new();
    for k in 0..4 {
        let part = dir.path().join(format!("part{k}.jsonl"));
        let docs: Vec<(String, String)> =
            synthetic_corpus(60, 100 + k).into_iter().map(|(id, t)| (format!("p{k}-{id}"), t)).collect();
        write_corpus(&part, &docs);
        children.push(
            std::process::Command::new(env!("CARGO_BIN_EXE_wiredup"))
                .args(["index", "add", s(&idx), s(&part), "-q"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    let mut added = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        match out.status.code() {
            Some(0) => added += 60,
            Some(2) => assert!(stderr(&out).contains("locked by process"), "{}", stderr(&out)),
            other => panic!("{other:?}: {}", stderr(&out)),
        }
    }
    assert!(added >= 60, "at least the first writer succeeds");
    let info: Value =
        serde_json::from_str(&stdout(&wiredup(&["index", "info", s(&idx), "--format", "json"], None))).unwrap();
    assert_eq!(info["documents"], 120 + added);
    assert_eq!(wiredup(&["check", "--index", s(&idx), s(&new)], None).status.code(), Some(1));
}

#[test]
fn leftovers_of_a_crash_leave_the_index_usable_and_are_cleaned_up() {
    let (dir, idx, new) = small_index();
    // What a write killed half-way leaves: a temporary file and a segment no manifest names.
    std::fs::write(idx.join(".tmp-abc123"), b"WIREDUPX half a file").unwrap();
    std::fs::write(idx.join("seg-000042.wdx"), b"WIREDUPX half a segment").unwrap();
    assert_eq!(wiredup(&["check", "--index", s(&idx), s(&new)], None).status.code(), Some(1));
    assert!(stdout(&wiredup(&["index", "info", s(&idx)], None)).contains("documents: 120"));
    let more = dir.path().join("more.jsonl");
    write_corpus(&more, &[("m1".into(), "words of another text entirely".into())]);
    assert_eq!(wiredup(&["index", "add", s(&idx), s(&more), "-q"], None).status.code(), Some(0));
    assert!(!idx.join(".tmp-abc123").exists() && !idx.join("seg-000042.wdx").exists());
}

#[test]
fn a_changed_archive_file_is_an_error_not_a_wrong_answer() {
    let (dir, idx, new) = small_index();
    let corpus = dir.path().join("archive.jsonl");
    let text = std::fs::read_to_string(&corpus).unwrap();
    // Same size, one letter of the matched document's text changed: its hash notices.
    let at = text.find("\"doc00010\",\"text\":\"").unwrap() + "\"doc00010\",\"text\":\"".len();
    let mut bytes = text.clone().into_bytes();
    bytes[at] = if bytes[at] == b'v' { b'u' } else { b'v' };
    std::fs::write(&corpus, &bytes).unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(&new)], None);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("changed since it was indexed (its text differs)"), "{}", stderr(&out));
    // Lines appended to the archive (a dump that grows): its indexed documents still read back.
    let appended = format!("{text}{{\"id\":\"later\",\"text\":\"a line written after the index was built\"}}\n");
    std::fs::write(&corpus, &appended).unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(&new)], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // Cut before the matched document: noticed.
    let line = text.find("{\"id\":\"doc00010\"").unwrap();
    std::fs::write(&corpus, &text[..line]).unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(&new)], None);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("changed since it was indexed (cannot read its bytes"), "{}", stderr(&out));
    std::fs::remove_file(&corpus).unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(&new)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot open its file"), "{}", stderr(&out));
}

#[test]
fn index_build_keeps_a_copy_of_stdin_and_refuses_a_folder_of_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    let text = "one two three four five six seven eight nine ten eleven twelve";
    let line = format!("{{\"id\":\"a\",\"text\":\"{text}\"}}\n");
    let out = wiredup(&["index", "build", s(&idx), "-"], Some(line.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let copies = std::fs::read_dir(idx.join("texts")).unwrap().count();
    assert_eq!(copies, 1, "the index holds its own copy of the spooled input");
    let new = dir.path().join("new.txt");
    std::fs::write(&new, text).unwrap();
    let out = wiredup(&["check", "--index", s(&idx), s(&new), "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"id\":\"a\""), "{}", stdout(&out));
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep.txt"), "not an index").unwrap();
    let out = wiredup(&["index", "build", s(&full), SEEDS, "-q"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("holds other files"), "{}", stderr(&out));
}

#[test]
fn against_a_folder_finds_what_an_index_finds() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    let docs = synthetic_corpus(150, 21);
    write_corpus(&archive.join("a.jsonl"), &docs);
    let new = dir.path().join("new.jsonl");
    let words: Vec<&str> = docs[30].1.split(' ').collect();
    let cut = format!("{} {}", words[..words.len() / 4].join(" "), words[words.len() * 2 / 3..].join(" "));
    write_corpus(&new, &[("n1".into(), cut), ("n2".into(), synthetic_corpus(1, 999)[0].1.clone())]);
    let via_folder = wiredup(&["check", "--against", s(&archive), s(&new), "--format", "json"], None);
    assert_eq!(via_folder.status.code(), Some(1), "{}", stderr(&via_folder));
    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&archive), "-q"], None).status.code(), Some(0));
    let via_index = wiredup(&["check", "--index", s(&idx), s(&new), "--format", "json"], None);
    let (a, b) = (json_lines(&via_folder), json_lines(&via_index));
    assert_eq!(a.len(), 2);
    assert_eq!(a[0]["matches"][0]["id"], "doc00030");
    assert_eq!(a[0]["matches"][0]["relation"], "copy");
    // The same matches and scores (file paths aside: the same file here).
    assert_eq!(a, b);
}

#[test]
fn check_output_is_the_same_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("archive.jsonl");
    let docs = synthetic_corpus(400, 8);
    write_corpus(&corpus, &docs[..300]);
    let new = dir.path().join("new.jsonl");
    write_corpus(&new, &docs[300..]);
    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&corpus), "-q"], None).status.code(), Some(0));
    let run = |t: &str| wiredup(&["check", "--index", s(&idx), s(&new), "--format", "json", "--threads", t], None);
    let (one, two) = (run("1"), run("2"));
    assert_eq!(one.status.code(), Some(1));
    assert!(json_lines(&one).iter().filter(|r| r["fail"] == true).count() > 10);
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn building_over_an_index_replaces_it() {
    let (dir, idx, new) = small_index();
    let other = dir.path().join("other.jsonl");
    write_corpus(&other, &synthetic_corpus(30, 77));
    let out = wiredup(&["index", "build", s(&idx), s(&other), "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&wiredup(&["index", "info", s(&idx)], None)).contains("documents: 30"));
    assert_eq!(wiredup(&["check", "--index", s(&idx), s(&new)], None).status.code(), Some(0));
    let segments =
        std::fs::read_dir(&idx).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "wdx"));
    assert_eq!(segments.count(), 1, "the old segment is gone");
}

#[test]
fn a_text_file_that_grew_since_it_was_indexed_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    let text = "Firefighters in Porto contained a warehouse blaze on Tuesday after six hours of work, \
                the city's civil protection office said, and no one was hurt.";
    std::fs::write(archive.join("blaze.txt"), text).unwrap();
    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&archive), "-q"], None).status.code(), Some(0));
    let new = dir.path().join("new.txt");
    std::fs::write(&new, text).unwrap();
    let check = || wiredup(&["check", "--index", s(&idx), s(&new), "--level", "copy"], None);
    assert_eq!(check().status.code(), Some(1));
    // The file is the document: text added to its end changes it, though its first bytes still hold
    // the indexed text.
    std::fs::write(archive.join("blaze.txt"), format!("{text} Two streets stay closed.")).unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("changed since it was indexed (its file was"), "{}", stderr(&out));
}

#[test]
fn check_scores_rewrites_as_a_scan_of_the_same_articles_does_with_several_segments_and_compacted() {
    // The seeds' two rewrite pairs split across an archive of two segments and the new articles:
    // every story feature the archive holds once (in either segment) must count as in a scan of
    // all five, or the pair's cosine drifts.
    let dir = tempfile::tempdir().unwrap();
    let seeds = seed_articles();
    let pick =
        |ids: &[&str]| -> Vec<(String, String)> { seeds.iter().filter(|d| ids.contains(&&d.0[..])).cloned().collect() };
    let (first, second, new, all) = (
        dir.path().join("a1.jsonl"),
        dir.path().join("a2.jsonl"),
        dir.path().join("new.jsonl"),
        dir.path().join("all.jsonl"),
    );
    write_corpus(&first, &pick(&["000", "004"]));
    write_corpus(&second, &pick(&["001"]));
    write_corpus(&new, &pick(&["002", "003"]));
    write_corpus(&all, &seeds);

    let pairs = dir.path().join("pairs.jsonl");
    assert_eq!(wiredup(&["scan", s(&all), "-q", "--pairs", s(&pairs)], None).status.code(), Some(0));
    let scanned: Vec<(String, String, f64)> = read_jsonl(&pairs)
        .iter()
        .map(|p| (p["a"].as_str().unwrap().into(), p["b"].as_str().unwrap().into(), p["score"].as_f64().unwrap()))
        .collect();
    let scan_score = |a: &str, b: &str| {
        scanned
            .iter()
            .find(|p| (p.0 == a && p.1 == b) || (p.0 == b && p.1 == a))
            .unwrap_or_else(|| panic!("{a}-{b}: {scanned:?}"))
            .2
    };

    let idx = dir.path().join("idx");
    assert_eq!(wiredup(&["index", "build", s(&idx), s(&first), "-q"], None).status.code(), Some(0));
    assert_eq!(wiredup(&["index", "add", s(&idx), s(&second), "-q"], None).status.code(), Some(0));
    for stage in ["two segments", "compacted"] {
        if stage == "compacted" {
            assert_eq!(wiredup(&["index", "compact", s(&idx)], None).status.code(), Some(0));
        }
        let out = wiredup(&["check", "--index", s(&idx), s(&new), "--format", "json", "--fail-on", "duplicate"], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let lines = json_lines(&out);
        for (new_id, old_id) in [("002", "000"), ("003", "001")] {
            let doc = lines.iter().find(|l| l["id"] == new_id).unwrap();
            let m = doc["matches"].as_array().unwrap().iter().find(|m| m["id"] == old_id);
            let m = m.unwrap_or_else(|| panic!("{stage}: {new_id} does not match {old_id}: {doc}"));
            assert_eq!(m["relation"], "rewrite", "{stage}: {m}");
            let (checked, scanned) = (m["score"].as_f64().unwrap(), scan_score(new_id, old_id));
            assert!(
                (checked - scanned).abs() < 2e-4,
                "{stage}: {new_id}-{old_id} checked {checked}, scanned {scanned}"
            );
        }
    }
}
