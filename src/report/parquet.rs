//! Parquet files: the pairs and clusters of the JSONL contract as flat tables, in the same order.
//!
//! Pairs: one row per pair (`a`, `b`, `relation`, `score`, `jaccard`, `a_in_b`, `b_in_a`).
//! Clusters: one row per member (`cluster`, `original`, `size`, `member`, `score`, `relation`),
//! the original first with a null relation, so a data frame groups them back by `cluster`.
//! Integers are signed 64-bit (Spark reads unsigned 64-bit columns as decimals); strings are
//! `utf8`; Snappy compression, which every Parquet reader has. The writer adds no timestamp, so
//! the same scan gives the same bytes.

use std::io::{self, Write};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::round4;
use crate::pipeline::ScanOutput;

/// Rows per written batch (and at most per row group), to bound memory on large outputs.
const ROWS_PER_BATCH: usize = 65_536;

/// Columns of a pairs table: `--pairs` in Parquet, and the staged commands' verified pairs.
pub fn pairs_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("a", DataType::Utf8, false),
        Field::new("b", DataType::Utf8, false),
        Field::new("relation", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("jaccard", DataType::Float64, false),
        Field::new("a_in_b", DataType::Float64, false),
        Field::new("b_in_a", DataType::Float64, false),
    ]))
}

/// Every pair, as in [`super::write_pairs`] without evidence.
pub fn write_pairs_parquet(out: &mut (dyn Write + Send), scan: &ScanOutput) -> io::Result<()> {
    let schema = pairs_schema();
    let mut writer = writer(out, &schema)?;
    for chunk in scan.pairs.chunks(ROWS_PER_BATCH) {
        let id = |d: u32| scan.docs[d as usize].id.as_str();
        let number = |f: &dyn Fn(&crate::verify::Scored) -> f64| -> ArrayRef {
            Arc::new(chunk.iter().map(|p| round4(f(p))).collect::<Float64Array>())
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(chunk.iter().map(|p| Some(id(p.a))).collect::<StringArray>()),
            Arc::new(chunk.iter().map(|p| Some(id(p.b))).collect::<StringArray>()),
            Arc::new(chunk.iter().map(|p| Some(p.relation.as_str())).collect::<StringArray>()),
            number(&|p| p.score),
            number(&|p| p.overlap.jaccard),
            number(&|p| p.overlap.a_in_b),
            number(&|p| p.overlap.b_in_a),
        ];
        write_batch(&mut writer, &schema, columns)?;
    }
    writer.close().map_err(io::Error::other)?;
    Ok(())
}

/// Every cluster, one row per member; clusters numbered from 1 in output order.
pub fn write_clusters_parquet(out: &mut (dyn Write + Send), scan: &ScanOutput) -> io::Result<()> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("cluster", DataType::Int64, false),
        Field::new("original", DataType::Utf8, false),
        Field::new("size", DataType::Int64, false),
        Field::new("member", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("relation", DataType::Utf8, true),
    ]));
    let mut writer = writer(out, &schema)?;
    let rows = scan.clusters.iter().enumerate().flat_map(|(i, c)| c.members.iter().map(move |m| (i + 1, c, m)));
    let rows: Vec<_> = rows.collect();
    for chunk in rows.chunks(ROWS_PER_BATCH) {
        let id = |d: u32| scan.docs[d as usize].id.as_str();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(chunk.iter().map(|(i, _, _)| *i as i64).collect::<Int64Array>()),
            Arc::new(chunk.iter().map(|(_, c, _)| Some(id(c.original))).collect::<StringArray>()),
            Arc::new(chunk.iter().map(|(_, c, _)| c.members.len() as i64).collect::<Int64Array>()),
            Arc::new(chunk.iter().map(|(_, _, m)| Some(id(m.doc))).collect::<StringArray>()),
            Arc::new(chunk.iter().map(|(_, _, m)| round4(m.score)).collect::<Float64Array>()),
            Arc::new(chunk.iter().map(|(_, _, m)| m.relation.map(|r| r.as_str())).collect::<StringArray>()),
        ];
        write_batch(&mut writer, &schema, columns)?;
    }
    writer.close().map_err(io::Error::other)?;
    Ok(())
}

pub(crate) type Writer<'w> = ArrowWriter<&'w mut (dyn Write + Send)>;

/// A Parquet writer with the settings every wiredup table uses (Snappy, bounded row groups).
pub(crate) fn writer<'w>(out: &'w mut (dyn Write + Send), schema: &Arc<Schema>) -> io::Result<Writer<'w>> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROWS_PER_BATCH * 16))
        .build();
    ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(io::Error::other)
}

fn write_batch(writer: &mut Writer<'_>, schema: &Arc<Schema>, columns: Vec<ArrayRef>) -> io::Result<()> {
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(io::Error::other)?;
    writer.write(&batch).map_err(io::Error::other)
}
