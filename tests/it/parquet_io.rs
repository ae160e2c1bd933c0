//! End-to-end tests of Parquet in (`scan`, `index build`) and out (`--pairs`, `--clusters`).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use crate::common::*;
use arrow_array::{
    Array, ArrayRef, Float64Array, Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde_json::{json, Value};

/// Writes a Parquet file with the given columns (all nullable).
fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let schema =
        Schema::new(columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>());
    let schema = Arc::new(schema);
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    let mut w = ArrowWriter::try_new(File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// A text column of the given string type.
fn texts(t: &DataType, values: Vec<Option<&str>>) -> ArrayRef {
    match t {
        DataType::Utf8 => Arc::new(StringArray::from(values)),
        DataType::LargeUtf8 => Arc::new(LargeStringArray::from(values)),
        DataType::Utf8View => Arc::new(StringViewArray::from(values)),
        _ => unreachable!(),
    }
}

/// Every row of a Parquet file as a JSON object (strings, floats, integers, nulls).
fn read_parquet(path: &Path) -> Vec<Value> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap().build().unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for r in 0..batch.num_rows() {
            let mut row = serde_json::Map::new();
            for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
                let v = if col.is_null(r) {
                    Value::Null
                } else if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
                    json!(s.value(r))
                } else if let Some(x) = col.as_any().downcast_ref::<Float64Array>() {
                    json!(x.value(r))
                } else if let Some(i) = col.as_any().downcast_ref::<Int64Array>() {
                    json!(i.value(r))
                } else {
                    panic!("unexpected column type {:?}", col.data_type())
                };
                row.insert(f.name().clone(), v);
            }
            rows.push(Value::Object(row));
        }
    }
    rows
}

fn scan(args: &[&str]) -> std::process::Output {
    let out = wiredup(&[&["scan", "--level", "copy"], args].concat(), None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out
}

/// The bytes of the pairs and clusters files of a copy-level scan of `input`, written in `dir`
/// under names tagged `tag`.
fn pairs_and_clusters(dir: &Path, input: &Path, tag: &str) -> (Vec<u8>, Vec<u8>) {
    let (p, c) = (dir.join(format!("p-{tag}.jsonl")), dir.join(format!("c-{tag}.jsonl")));
    scan(&[input.to_str().unwrap(), "--pairs", p.to_str().unwrap(), "--clusters", c.to_str().unwrap()]);
    (std::fs::read(p).unwrap(), std::fs::read(c).unwrap())
}

#[test]
fn utf8_large_utf8_and_utf8_view_texts_scan_like_the_same_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let docs = synthetic_corpus(300, 1);
    let jsonl = dir.path().join("news.jsonl");
    write_corpus(&jsonl, &docs);
    let run = |input: &Path, tag: &str| pairs_and_clusters(dir.path(), input, tag);
    let expected = run(&jsonl, "jsonl");
    assert!(expected.0.len() > 1000, "the corpus has copies");
    for t in [DataType::Utf8, DataType::LargeUtf8, DataType::Utf8View] {
        let path = dir.path().join(format!("news-{t}.parquet"));
        let ids = texts(&t, docs.iter().map(|d| Some(d.0.as_str())).collect());
        write_parquet(&path, vec![("id", ids), ("text", texts(&t, docs.iter().map(|d| Some(d.1.as_str())).collect()))]);
        assert_eq!(run(&path, &t.to_string()), expected, "{t}");
    }
}

#[test]
fn dictionary_encoded_columns_scan_like_the_same_jsonl() {
    // pandas writes a `category` column so: each row an index into the column's distinct values.
    use arrow_array::types::{Int16Type, Int32Type};
    use arrow_array::DictionaryArray;
    let dir = tempfile::tempdir().unwrap();
    let mut docs = synthetic_corpus(300, 1);
    // One text twice more, so that the dictionary holds repeats.
    docs.push(("again".to_string(), docs[0].1.clone()));
    let jsonl = dir.path().join("news.jsonl");
    write_corpus(&jsonl, &docs);
    let run = |input: &Path, tag: &str| pairs_and_clusters(dir.path(), input, tag);
    let expected = run(&jsonl, "jsonl");
    let path = dir.path().join("news-dictionary.parquet");
    let ids: DictionaryArray<Int16Type> = docs.iter().map(|d| d.0.as_str()).collect();
    let texts: DictionaryArray<Int32Type> = docs.iter().map(|d| d.1.as_str()).collect();
    assert!(texts.values().len() < docs.len());
    write_parquet(&path, vec![("id", Arc::new(ids)), ("text", Arc::new(texts))]);
    let schema = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap().schema().clone();
    assert!(matches!(schema.field_with_name("text").unwrap().data_type(), DataType::Dictionary(..)));
    assert_eq!(run(&path, "dictionary"), expected);

    // A null row of a dictionary column is a null cell.
    let nulls = dir.path().join("nulls.parquet");
    let texts: DictionaryArray<Int32Type> =
        vec![Some(docs[0].1.as_str()), None, Some(docs[0].1.as_str())].into_iter().collect();
    write_parquet(&nulls, vec![("text", Arc::new(texts))]);
    let out = wiredup(&["scan", nulls.to_str().unwrap(), "--level", "copy"], None);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("nulls.parquet:2: field \"text\" is null"), "{}", stderr(&out));
}

#[test]
fn a_null_text_is_warned_with_its_row_and_integer_ids_are_decimal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.parquet");
    let text = synthetic_corpus(1, 5).remove(0).1;
    write_parquet(
        &path,
        vec![
            ("id", Arc::new(Int64Array::from(vec![11, 12, 13]))),
            ("text", texts(&DataType::Utf8, vec![Some(&text), None, Some(&text)])),
        ],
    );
    let p = dir.path().join("p.jsonl");
    let out = wiredup(&["scan", path.to_str().unwrap(), "--level", "copy", "--pairs", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("rows.parquet:2: field \"text\" is null"), "{}", stderr(&out));
    let pairs = read_jsonl(&p);
    assert_eq!((pairs.len(), &pairs[0]["a"], &pairs[0]["b"]), (1, &json!("11"), &json!("13")));
}

#[test]
fn a_missing_text_column_stops_the_run_naming_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body.parquet");
    let t = DataType::Utf8;
    write_parquet(
        &path,
        vec![("id", texts(&t, vec![Some("a"), Some("b")])), ("body", texts(&t, vec![Some("one text"), Some("two")]))],
    );
    let out = wiredup(&["scan", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no column \"text\"") && err.contains("--text-field") && err.contains("\"body\""), "{err}");
    let out = wiredup(&["scan", path.to_str().unwrap(), "--text-field", "body", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn an_index_built_from_parquet_and_added_to_from_gzip_keeps_its_own_copies_of_their_texts() {
    let dir = tempfile::tempdir().unwrap();
    let docs = synthetic_corpus(200, 12);
    let archive = dir.path().join("archive.parquet");
    let t = DataType::Utf8;
    let (ids, bodies): (Vec<&str>, Vec<&str>) = docs[..150].iter().map(|(i, x)| (i.as_str(), x.as_str())).unzip();
    write_parquet(
        &archive,
        vec![
            ("id", texts(&t, ids.into_iter().map(Some).collect())),
            ("text", texts(&t, bodies.into_iter().map(Some).collect())),
        ],
    );
    let idx = dir.path().join("idx");
    let idx_s = idx.to_str().unwrap();
    let out = wiredup(&["index", "build", idx_s, archive.to_str().unwrap(), "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // More documents from a gzip file (spooled as well).
    let more = dir.path().join("more.jsonl");
    write_corpus(&more, &docs[150..]);
    let gz = dir.path().join("more.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&more).unwrap()).unwrap();
    enc.finish().unwrap();
    std::fs::remove_file(&more).unwrap();
    let out = wiredup(&["index", "add", idx_s, gz.to_str().unwrap(), "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The inputs are gone: the index re-reads its own copies of their texts.
    std::fs::remove_file(&archive).unwrap();
    std::fs::remove_file(&gz).unwrap();
    for (k, id) in [(42, "doc00042"), (180, "doc00180")] {
        let new = dir.path().join(format!("draft{k}.txt"));
        std::fs::write(&new, &docs[k].1).unwrap();
        let out = wiredup(&["check", "--index", idx_s, new.to_str().unwrap(), "--format", "json"], None);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let row: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
        assert_eq!(row["matches"][0]["id"], id, "{row}");
    }
    // A rebuild replaces the copies; only the new segment's remain.
    let small = dir.path().join("small.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&small).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, b"{\"id\": \"x\", \"text\": \"a few words for a rebuilt index\"}\n").unwrap();
    enc.finish().unwrap();
    let out = wiredup(&["index", "build", idx_s, small.to_str().unwrap(), "-q"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let copies: Vec<String> = std::fs::read_dir(idx.join("texts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
}

#[test]
fn parquet_pairs_and_clusters_hold_the_jsonl_contract() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_corpus(&corpus, &synthetic_corpus(300, 2));
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    scan(&[&d("news.jsonl"), "--pairs", &d("p.jsonl"), "--clusters", &d("c.jsonl")]);
    scan(&[&d("news.jsonl"), "--pairs", &d("p.parquet"), "--clusters", &d("c.parquet")]);

    let pairs = read_jsonl(&dir.path().join("p.jsonl"));
    assert!(pairs.len() > 20);
    assert_eq!(read_parquet(&dir.path().join("p.parquet")), pairs);

    let mut members = Vec::new();
    for c in read_jsonl(&dir.path().join("c.jsonl")) {
        for m in c["members"].as_array().unwrap() {
            members.push(json!({
                "cluster": c["cluster"], "original": c["original"], "size": c["size"],
                "member": m["id"], "score": m["score"], "relation": m.get("relation").unwrap_or(&Value::Null),
            }));
        }
    }
    assert!(members.len() > 20);
    assert_eq!(read_parquet(&dir.path().join("c.parquet")), members);
}

#[test]
fn parquet_output_bytes_are_identical_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("news.jsonl");
    write_corpus(&corpus, &synthetic_corpus(400, 3));
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        // No .parquet extension: --output-format decides.
        let (p, c) = (dir.path().join(format!("p{threads}.out")), dir.path().join(format!("c{threads}.out")));
        let (ps, cs) = (p.to_str().unwrap(), c.to_str().unwrap());
        let corpus = corpus.to_str().unwrap();
        scan(&[corpus, "--output-format", "parquet", "--threads", threads, "--pairs", ps, "--clusters", cs]);
        outputs.push((std::fs::read(&p).unwrap(), std::fs::read(&c).unwrap()));
    }
    assert!(outputs[0].0.starts_with(b"PAR1") && outputs[0].1.starts_with(b"PAR1"));
    assert!(outputs[0] == outputs[1], "bytes differ between --threads 1 and 2");
}

#[test]
fn evidence_is_refused_for_parquet_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.parquet");
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    let out = wiredup(&["scan", seeds, "--evidence", "--pairs", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--evidence"), "{}", stderr(&out));
    assert!(!p.exists());
}

#[test]
fn check_reads_new_documents_from_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("archive.jsonl");
    let docs = synthetic_corpus(200, 11);
    write_corpus(&corpus, &docs);
    let idx = dir.path().join("idx");
    let (idx_s, corpus_s) = (idx.to_str().unwrap(), corpus.to_str().unwrap());
    assert_eq!(wiredup(&["index", "build", idx_s, corpus_s, "-q"], None).status.code(), Some(0));
    let new = dir.path().join("drafts.parquet");
    let t = DataType::LargeUtf8;
    write_parquet(&new, vec![("id", texts(&t, vec![Some("draft-1")])), ("text", texts(&t, vec![Some(&docs[42].1)]))]);
    let out = wiredup(&["check", "--index", idx_s, new.to_str().unwrap(), "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let row: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(row["matches"][0]["id"], "doc00042", "{row}");
}
