//! The staged commands (`params`, `sign`, `verify`, `cluster`): the same results as a scan,
//! through files and through Arrow IPC streams, and parameters that never mix.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::{stderr, synthetic_corpus, wiredup, wrapped_corpus, write_corpus};
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use wiredup::params::Params;
use wiredup::stage::{self, Edge, SignedDoc};

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A corpus of copies written as three shards; returns the shard paths.
fn shards(dir: &Path, n: usize, seed: u64) -> Vec<PathBuf> {
    let docs = synthetic_corpus(n, seed);
    let cut = [0, n / 4, n / 2, n];
    (0..3)
        .map(|i| {
            let path = dir.join(format!("shard{i}.jsonl"));
            write_corpus(&path, &docs[cut[i]..cut[i + 1]]);
            path
        })
        .collect()
}

fn ok(args: &[&str]) {
    let o = wiredup(args, None);
    assert_eq!(o.status.code(), Some(0), "wiredup {args:?}: {}", stderr(&o));
}

/// Signs every shard, verifies them together, clusters: returns the signature tables.
fn staged(dir: &Path, shards: &[PathBuf], extra_sign: &[&str], pairs: &Path, clusters: &Path) -> Vec<PathBuf> {
    let sigs: Vec<PathBuf> = (0..shards.len()).map(|i| dir.join(format!("sig{i}.parquet"))).collect();
    for (shard, sig) in shards.iter().zip(&sigs) {
        let mut args = vec!["sign", p(shard), "-o", p(sig), "-q"];
        args.extend_from_slice(extra_sign);
        ok(&args);
    }
    let edges = dir.join("edges.parquet");
    let mut args = vec!["verify", "-o", p(&edges), "-q"];
    args.extend(sigs.iter().map(|s| p(s)));
    ok(&args);
    let mut args = vec!["cluster", p(&edges), "--pairs", p(pairs), "--clusters", p(clusters), "-q", "--signatures"];
    args.extend(sigs.iter().map(|s| p(s)));
    ok(&args);
    sigs
}

#[test]
fn shards_signed_verified_and_clustered_give_the_scan_s_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let shards = shards(dir.path(), 1500, 11);
    for ext in ["jsonl", "parquet"] {
        let (scan_pairs, scan_clusters) = (dir.path().join(format!("sp.{ext}")), dir.path().join(format!("sc.{ext}")));
        let mut args =
            vec!["scan", "--level", "copy", "-q", "--pairs", p(&scan_pairs), "--clusters", p(&scan_clusters)];
        args.extend(shards.iter().map(|s| p(s)));
        let o = wiredup(&args, None);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let (pairs, clusters) = (dir.path().join(format!("p.{ext}")), dir.path().join(format!("c.{ext}")));
        staged(dir.path(), &shards, &[], &pairs, &clusters);
        let lines = std::fs::read_to_string(dir.path().join("sc.jsonl")).unwrap().lines().count();
        assert!(lines > 50, "the corpus has clusters to compare ({lines})");
        assert_eq!(std::fs::read(&scan_pairs).unwrap(), std::fs::read(&pairs).unwrap(), "pairs ({ext})");
        assert_eq!(std::fs::read(&scan_clusters).unwrap(), std::fs::read(&clusters).unwrap(), "clusters ({ext})");
    }
}

#[test]
fn wrapped_travels_in_the_parameters_and_gives_the_scan_s_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let docs = wrapped_corpus();
    let shards: Vec<PathBuf> = docs
        .chunks(docs.len() / 3 + 1)
        .enumerate()
        .map(|(i, chunk)| {
            let path = dir.path().join(format!("w{i}.jsonl"));
            write_corpus(&path, chunk);
            path
        })
        .collect();
    let scan = |flags: &[&str]| {
        let (pairs, clusters) = (dir.path().join("sp.jsonl"), dir.path().join("sc.jsonl"));
        let mut args = vec!["scan", "--level", "copy", "-q", "--pairs", p(&pairs), "--clusters", p(&clusters)];
        args.extend_from_slice(flags);
        args.extend(shards.iter().map(|s| p(s)));
        ok(&args);
        (std::fs::read(pairs).unwrap(), std::fs::read(clusters).unwrap())
    };
    let wrapped = scan(&["--wrapped"]);
    assert_ne!(wrapped.0, scan(&[]).0, "--wrapped finds more here");
    let (pairs, clusters) = (dir.path().join("p.jsonl"), dir.path().join("c.jsonl"));
    let sigs = staged(dir.path(), &shards, &["--wrapped"], &pairs, &clusters);
    assert_eq!(wrapped, (std::fs::read(&pairs).unwrap(), std::fs::read(&clusters).unwrap()));
    assert!(Params::load_beside(&sigs[0]).unwrap().wrapped);
    // Without it, a parameters file is what it was before the flag existed (same fingerprint).
    let plain = dir.path().join("plain.json");
    ok(&["params", "-o", p(&plain)]);
    assert!(!std::fs::read_to_string(&plain).unwrap().contains("wrapped"));
}

#[test]
fn a_window_and_other_thresholds_travel_in_the_parameters() {
    // Dated documents: the window must cut the same links in both runs.
    let dir = tempfile::tempdir().unwrap();
    let docs = synthetic_corpus(600, 5);
    let mut lines = String::new();
    for (i, (id, text)) in docs.iter().enumerate() {
        let date = format!("2024-01-{:02}T00:00:00Z", 1 + (i * 7) % 28);
        lines.push_str(&serde_json::json!({"id": id, "text": text, "date": date}).to_string());
        lines.push('\n');
    }
    let input = dir.path().join("dated.jsonl");
    std::fs::write(&input, lines).unwrap();
    let knobs = ["--window", "5d", "--threshold", "0.6", "--ngram", "4"];
    let (sp, sc) = (dir.path().join("sp.jsonl"), dir.path().join("sc.jsonl"));
    let mut args = vec!["scan", "--level", "copy", "-q", p(&input), "--pairs", p(&sp), "--clusters", p(&sc)];
    args.extend_from_slice(&knobs);
    assert!(wiredup(&args, None).status.success());
    let params = dir.path().join("params.json");
    let mut args = vec!["params", "-o", p(&params)];
    args.extend_from_slice(&knobs);
    ok(&args);
    let (pairs, clusters) = (dir.path().join("p.jsonl"), dir.path().join("c.jsonl"));
    staged(dir.path(), std::slice::from_ref(&input), &["--params", p(&params)], &pairs, &clusters);
    assert_eq!(std::fs::read(&sp).unwrap(), std::fs::read(&pairs).unwrap());
    assert_eq!(std::fs::read(&sc).unwrap(), std::fs::read(&clusters).unwrap());
    // Without the window the clusters differ: the test above compared something.
    let mut args = vec!["scan", "--level", "copy", "-q", p(&input), "--clusters", p(&sc)];
    args.extend_from_slice(&knobs[2..]);
    assert!(wiredup(&args, None).status.success());
    assert_ne!(std::fs::read(&sc).unwrap(), std::fs::read(&clusters).unwrap());
}

#[test]
fn signatures_made_under_other_parameters_are_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let shards = shards(dir.path(), 200, 3);
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    ok(&["sign", p(&shards[0]), "-o", p(&a), "-q"]);
    ok(&["sign", p(&shards[1]), "-o", p(&b), "-q", "--ngram", "4"]);
    let edges = dir.path().join("e.parquet");
    let o = wiredup(&["verify", p(&a), p(&b), "-o", p(&edges)], None);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("ngram is 5 in") && e.contains("a.parquet.params.json") && e.contains("b.parquet.params.json"),
        "{e}"
    );
    assert!(!edges.exists(), "nothing written");
    // A table whose parameters file is gone is refused too.
    std::fs::remove_file(Params::beside(&b)).unwrap();
    let e = stderr(&wiredup(&["verify", p(&a), p(&b), "-o", p(&edges)], None));
    assert!(e.contains("no parameters file beside it"), "{e}");
    // And a parameters file passed by hand must match the rows' fingerprints.
    let other = dir.path().join("other.json");
    ok(&["params", "-o", p(&other), "--threshold", "0.7"]);
    let o = wiredup(&["verify", p(&a), "-o", p(&edges), "--params", p(&other)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("threshold is 0.7"), "{}", stderr(&o));
}

#[test]
fn an_edge_naming_an_unknown_document_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let shards = shards(dir.path(), 400, 4);
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    ok(&["sign", p(&shards[0]), "-o", p(&a), "-q"]);
    ok(&["sign", p(&shards[1]), "-o", p(&b), "-q"]);
    let edges = dir.path().join("e.parquet");
    ok(&["verify", p(&a), p(&b), "-o", p(&edges), "-q"]);
    // Clustered against one shard only: the other shard's ids are unknown.
    let out = dir.path().join("c.jsonl");
    let o = wiredup(&["cluster", p(&edges), "--signatures", p(&a), "--clusters", p(&out)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not in any signature file"), "{}", stderr(&o));
}

fn ipc_bytes(batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batches[0].schema()).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    drop(w);
    out
}

fn ipc_batches(bytes: &[u8]) -> Vec<RecordBatch> {
    arrow_ipc::reader::StreamReader::try_new(bytes, None).unwrap().map(|b| b.unwrap()).collect()
}

fn read_signatures(path: &Path, params: &Params) -> Vec<SignedDoc> {
    let mut rows = Vec::new();
    stage::read_parquet(path, |b, first| {
        rows.extend(stage::signatures_of(b, "t", first, params, "p")?);
        Ok(())
    })
    .unwrap();
    rows
}

#[test]
fn ipc_streams_sign_and_verify_as_the_files_do() {
    let dir = tempfile::tempdir().unwrap();
    let docs = synthetic_corpus(500, 9);
    let input = dir.path().join("docs.jsonl");
    write_corpus(&input, &docs);
    let (sig, edges, params) =
        (dir.path().join("s.parquet"), dir.path().join("e.parquet"), dir.path().join("params.json"));
    ok(&["params", "-o", p(&params)]);
    ok(&["sign", p(&input), "-o", p(&sig), "--params", p(&params), "-q"]);
    ok(&["verify", p(&sig), "-o", p(&edges), "-q"]);
    let params_v = Params::load(&params).unwrap();
    let file_rows = read_signatures(&sig, &params_v);

    // sign --ipc: documents in (large_utf8 text, as Spark may send), signature rows out.
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("text", DataType::LargeUtf8, false),
    ]));
    let batches: Vec<RecordBatch> = docs
        .chunks(128)
        .map(|chunk| {
            let ids: ArrayRef = Arc::new(chunk.iter().map(|d| Some(d.0.as_str())).collect::<StringArray>());
            let texts: ArrayRef =
                Arc::new(chunk.iter().map(|d| Some(d.1.as_str())).collect::<arrow_array::LargeStringArray>());
            RecordBatch::try_new(schema.clone(), vec![ids, texts]).unwrap()
        })
        .collect();
    let o = wiredup(&["sign", "--ipc", "--params", p(&params)], Some(&ipc_bytes(&batches)));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut ipc_rows = Vec::new();
    for b in ipc_batches(&o.stdout) {
        ipc_rows.extend(stage::signatures_of(&b, "ipc", 0, &params_v, "p").unwrap());
    }
    assert_eq!(ipc_rows, file_rows);

    // verify --ipc: every pair among the first 60 documents, joined to their signatures;
    // what comes back is exactly the file mode's verified pairs among them.
    let mut file_edges: Vec<Edge> = Vec::new();
    stage::read_parquet(&edges, |b, first| {
        file_edges.extend(stage::edges_of(b, "e", first)?);
        Ok(())
    })
    .unwrap();
    let head: Vec<&SignedDoc> = file_rows.iter().take(60).collect();
    let in_head = |id: &str| head.iter().any(|r| r.id == id);
    let mut expected: Vec<Edge> = file_edges.into_iter().filter(|e| in_head(&e.a) && in_head(&e.b)).collect();
    assert!(expected.len() >= 5, "some pairs to find ({})", expected.len());
    let mut pairs = Vec::new();
    for (i, x) in head.iter().enumerate() {
        for y in &head[i + 1..] {
            // Both orders: the output is oriented by id whatever the input says.
            pairs.push(if i % 2 == 0 { (*x, *y) } else { (*y, *x) });
        }
    }
    let fp = params_v.fingerprint() as i64;
    let list = |rows: Vec<&[u64]>| -> ArrayRef {
        let mut b = arrow_array::builder::ListBuilder::new(arrow_array::builder::Int64Builder::new());
        for r in rows {
            b.values().append_slice(&r.iter().map(|&v| v as i64).collect::<Vec<_>>());
            b.append(true);
        }
        Arc::new(b.finish())
    };
    let batch = RecordBatch::try_from_iter(vec![
        ("a", Arc::new(pairs.iter().map(|x| Some(x.0.id.as_str())).collect::<StringArray>()) as ArrayRef),
        ("a_shingles", list(pairs.iter().map(|x| x.0.shingles.as_slice()).collect())),
        ("a_params", Arc::new(arrow_array::Int64Array::from(vec![fp; pairs.len()])) as ArrayRef),
        ("b", Arc::new(pairs.iter().map(|x| Some(x.1.id.as_str())).collect::<StringArray>()) as ArrayRef),
        ("b_shingles", list(pairs.iter().map(|x| x.1.shingles.as_slice()).collect())),
        ("b_params", Arc::new(arrow_array::Int64Array::from(vec![fp; pairs.len()])) as ArrayRef),
    ])
    .unwrap();
    let input = ipc_bytes(&[batch]);
    let o = wiredup(&["verify", "--ipc", "--params", p(&params)], Some(&input));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut got: Vec<Edge> =
        ipc_batches(&o.stdout).iter().flat_map(|b| stage::edges_of(b, "ipc", 0).unwrap()).collect();
    let key = |e: &Edge| (e.a.clone(), e.b.clone());
    got.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(got, expected);

    // The same rows under other parameters are refused, naming the row.
    let other = dir.path().join("other.json");
    ok(&["params", "-o", p(&other), "--ngram", "4"]);
    let o = wiredup(&["verify", "--ipc", "--params", p(&other)], Some(&input));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("<stdin> row 1: row made with parameters"), "{}", stderr(&o));
}

#[test]
fn sign_ipc_names_a_skipped_row_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("params.json");
    ok(&["params", "-o", p(&params)]);
    let ids: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("b"), Some("c"), Some("a")]));
    let texts: ArrayRef =
        Arc::new(StringArray::from(vec![Some("one two three four five six"), None, Some("seven"), Some("eight")]));
    let batch = RecordBatch::try_from_iter(vec![("id", ids), ("text", texts)]).unwrap();
    let o = wiredup(&["sign", "--ipc", "--params", p(&params)], Some(&ipc_bytes(&[batch])));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("<stdin>:2: "), "{}", stderr(&o));
    let repeated = stderr(&o).lines().find(|l| l.contains("<stdin>:4: ")).unwrap_or_default().to_string();
    assert!(repeated.contains("<stdin>:1") && !repeated.contains("stdin.jsonl"), "{}", stderr(&o));
    let rows: Vec<String> = ipc_batches(&o.stdout)
        .iter()
        .flat_map(|b| stage::signatures_of(b, "ipc", 0, &Params::load(&params).unwrap(), "p").unwrap())
        .map(|r| r.id)
        .collect();
    assert_eq!(rows, ["a", "c"]);
}

#[test]
fn a_step_never_writes_over_a_parameters_file_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let shards = [dir.path().join("docs.jsonl")];
    write_corpus(&shards[0], &synthetic_corpus(40, 12));
    let run = dir.path().join("run.json");
    ok(&["params", "-o", p(&run)]);
    let before = std::fs::read(&run).unwrap();
    let sig = dir.path().join("s0.parquet");
    ok(&["sign", p(&shards[0]), "-o", p(&sig), "--params", p(&run), "-q"]);
    let sig_params = Params::beside(&sig);
    let attempts: [Vec<&str>; 3] = [
        vec!["sign", p(&shards[0]), "-o", p(&run), "--params", p(&run), "-q"],
        vec!["verify", p(&sig), "-o", p(&sig_params), "-q"],
        vec!["cluster", p(&sig), "--signatures", p(&sig), "--clusters", p(&sig_params), "-q"],
    ];
    let sig_params_before = std::fs::read(&sig_params).unwrap();
    for args in attempts {
        let out = wiredup(&args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("it is one of the inputs"), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(std::fs::read(&run).unwrap(), before);
    assert_eq!(std::fs::read(&sig_params).unwrap(), sig_params_before);
}
