//! Summaries on stdout: readable text (counts, timings, the top clusters), or the same as JSON.

use std::io::{self, Write};
use std::time::Duration;

use serde_json::json;

use super::round4;
use super::shorten;
use crate::cluster::Cluster;
use crate::config::{Config, Fields, Level};
use crate::input::Inputs;
use crate::pipeline::{Doc, InputNotes, Pipeline, ScanOutput};
use crate::verify::Relation;

/// What a summary needs besides the result itself.
pub struct Context<'a> {
    pub config: &'a Config,
    pub inputs: &'a Inputs,
    /// Finds evidence sentences for the members shown.
    pub pipeline: &'a Pipeline,
    /// How many clusters to show.
    pub top: usize,
    pub total: Duration,
}

/// A document's title, else the first line of its text (read again), shortened to `max` chars.
fn headline(doc: &Doc, inputs: &Inputs, max: usize) -> String {
    let text = match &doc.meta().title {
        Some(t) if !t.trim().is_empty() => t.clone(),
        _ => inputs.reread(doc.location).unwrap_or_default(),
    };
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut short: String = line.chars().take(max).collect();
    if line.chars().count() > max {
        short.push('…');
    }
    short
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Copy => "copy",
        Level::Story => "story",
    }
}

fn count_relations(scan: &ScanOutput) -> [(Relation, usize); 3] {
    let mut counts = [(Relation::Duplicate, 0), (Relation::Copy, 0), (Relation::Rewrite, 0)];
    for p in &scan.pairs {
        counts.iter_mut().find(|(r, _)| *r == p.relation).expect("every relation is counted").1 += 1;
    }
    counts
}

fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

/// The note on files a folder held that are not inputs by their extension (`(count, an
/// example)`, as [`crate::input::Inputs::ignored_files`] counts them), when there are any.
pub fn ignored_files_note(ignored: &(usize, Option<String>)) -> Option<String> {
    match ignored {
        (n @ 1.., Some(example)) => {
            Some(format!("note: {n} file(s) in the folders given are not inputs by extension (e.g. {example})"))
        }
        _ => None,
    }
}

/// The note on JSONL files found in folders and not read as documents (their lines have no
/// `text_field`: labels, metadata), naming one.
fn sidecar_files_note(sidecars: &(usize, Option<String>), text_field: &str) -> Option<String> {
    match sidecars {
        (n @ 1.., Some(example)) => Some(format!(
            "note: {n} JSONL file(s) in the folders given hold no {text_field:?} field and were not read as documents (e.g. {example})"
        )),
        _ => None,
    }
}

/// The note on JSON documents whose id field could not name them (null, empty, an object or an
/// array) and were named by their line instead, pointing at the first.
fn unusable_ids_note(unusable: &(usize, Option<String>), id_field: &str) -> Option<String> {
    match unusable {
        (n @ 1.., Some(first)) => Some(format!(
            "note: {n} document(s) have an {id_field:?} field that is null, empty, an object or an array, and are \
             named by their line number instead (first: {first})"
        )),
        _ => None,
    }
}

/// The note on documents whose title, source or URL field held an object or an array, which
/// was dropped, pointing at the first.
fn dropped_fields_note(dropped: &(usize, Option<String>)) -> Option<String> {
    match dropped {
        (n @ 1.., Some(first)) => Some(format!(
            "note: {n} document(s) have a title, source or url field that is an object or an array (not text); \
             it is left out (first: {first})"
        )),
        _ => None,
    }
}

/// The notes on what reading found in the inputs ([`InputNotes`]), as every command that reads
/// inputs prints them.
pub fn input_notes(notes: &InputNotes, fields: &Fields) -> Vec<String> {
    let sidecars = sidecar_files_note(&notes.sidecar_files, &fields.text);
    let ids = unusable_ids_note(&notes.unusable_ids, &fields.id);
    sidecars.into_iter().chain(ids).chain(dropped_fields_note(&notes.dropped_fields)).collect()
}

/// The readable report.
pub fn text_summary(out: &mut dyn Write, scan: &ScanOutput, ctx: &Context) -> io::Result<()> {
    let s = &scan.stats;
    let c = ctx.config;
    writeln!(
        out,
        "wiredup scan: {} document{} ({}) from {} input file{}, level {}",
        s.docs,
        if s.docs == 1 { "" } else { "s" },
        human_bytes(s.bytes),
        s.sources,
        if s.sources == 1 { "" } else { "s" },
        level_name(c.level)
    )?;
    writeln!(
        out,
        "  copies: shingles of {} words, {} MinHash values, LSH {} bands x {} rows; Jaccard >= {} or containment >= {}",
        c.ngram, c.num_perm, c.lsh.bands, c.lsh.rows, c.threshold, c.containment
    )?;
    if c.wrapped {
        writeln!(
            out,
            "  wrapped copies: 1 in {} shingles sampled; a pair sharing >= {} of the smaller text's samples is checked too ({} such pairs)",
            1u32 << crate::shingle::SAMPLE_BITS,
            crate::config::WRAPPED_MIN_SHARE,
            s.candidates.wrapped_pairs
        )?;
    }
    if c.level == Level::Story {
        writeln!(
            out,
            "  stories: sketches of {} features; link at cosine >= {}; shared-neighbour average link >= {} ({} neighbours)",
            crate::story::SALIENT_FEATURES,
            c.story.floor,
            c.story.link,
            c.story.neighbors
        )?;
    }
    let rel = count_relations(scan);
    let rel: Vec<String> = rel.iter().filter(|(_, n)| *n > 0).map(|(r, n)| format!("{n} {}", r.as_str())).collect();
    writeln!(
        out,
        "found: {} pair{}{} in {} cluster{} covering {} documents ({} candidate pairs checked)",
        s.pairs,
        if s.pairs == 1 { "" } else { "s" },
        if rel.is_empty() { String::new() } else { format!(" ({})", rel.join(", ")) },
        s.clusters,
        if s.clusters == 1 { "" } else { "s" },
        s.docs_in_clusters,
        s.candidates.pairs
    )?;
    if !scan.problems.is_empty() {
        // Warnings on stderr stop after the first hundred and are hidden by --quiet; the JSON
        // summary lists every problem.
        writeln!(
            out,
            "skipped: {} input problem(s), named in warnings on stderr (all of them: --format json)",
            scan.problems.len()
        )?;
    }
    if s.docs == 0 {
        writeln!(out, "note: no document was read from the paths given, so nothing was compared")?;
    }
    if s.docs_without_words > 0 {
        writeln!(out, "note: {} document(s) have no words and cannot match anything", s.docs_without_words)?;
    }
    if let (n @ 1.., Some(example)) = &s.unreadable_dates {
        writeln!(out, "note: {n} date(s) could not be read (e.g. {example:?}); those documents count as undated")?;
    }
    if let Some(note) = ignored_files_note(&s.ignored_files) {
        writeln!(out, "{note}")?;
    }
    for note in input_notes(&s.notes, &c.fields) {
        writeln!(out, "{note}")?;
    }
    if s.story_oversized > 0 {
        writeln!(
            out,
            "note: {} story feature(s) were in more than {} sketches and made no candidates (--story-max-bucket)",
            s.story_oversized, c.story.max_bucket
        )?;
    }
    if s.candidates.wrapped_oversized > 0 {
        writeln!(
            out,
            "note: {} sampled shingle(s) were in more than {} documents (boilerplate) and made no --wrapped candidates",
            s.candidates.wrapped_oversized,
            crate::config::WRAPPED_MAX_BUCKET
        )?;
    }
    if s.candidates.oversized_buckets > 0 {
        writeln!(
            out,
            "note: {} LSH bucket(s) exceeded {} documents and were checked as stars around one member",
            s.candidates.oversized_buckets, c.max_bucket
        )?;
    }
    if s.spilled_runs > 0 {
        writeln!(
            out,
            "note: band keys exceeded a quarter of --memory-limit and were spilled to disk as {} sorted run(s)",
            s.spilled_runs
        )?;
    }
    let times: Vec<String> = s.timings.iter().map(|(n, d)| format!("{n} {:.2}s", d.as_secs_f64())).collect();
    writeln!(out, "time: {} (total {:.2}s)", times.join(", "), ctx.total.as_secs_f64())?;
    if scan.clusters.is_empty() {
        return Ok(());
    }
    let shown = scan.clusters.len().min(ctx.top);
    let score = match c.level {
        Level::Copy => "share of the shorter text copied",
        Level::Story => "story similarity",
    };
    writeln!(out, "\ntop {shown} of {} clusters (score: {score} against the original):", scan.clusters.len())?;
    for (i, cl) in scan.clusters.iter().take(shown).enumerate() {
        write_cluster(out, i + 1, cl, scan, ctx)?;
    }
    Ok(())
}

fn write_cluster(out: &mut dyn Write, n: usize, cl: &Cluster, scan: &ScanOutput, ctx: &Context) -> io::Result<()> {
    let orig = &scan.docs[cl.original as usize];
    writeln!(
        out,
        "\n#{n}  {} documents; original {}  \"{}\"",
        cl.members.len(),
        orig.id,
        headline(orig, ctx.inputs, 70)
    )?;
    const SHOWN: usize = 8;
    for m in cl.members.iter().skip(1).take(SHOWN) {
        let doc = &scan.docs[m.doc as usize];
        let rel = m.relation.map_or("", |r| r.as_str());
        writeln!(out, "    {:.3}  {:<9}  {}", m.score, rel, doc.id)?;
        let evidence = ctx.pipeline.evidence(ctx.inputs, scan, cl.original, m.doc, 1).unwrap_or_default();
        if let Some(e) = evidence.first() {
            writeln!(out, "           original> {}", shorten(&e.a, 110))?;
            writeln!(out, "           member>   {}", shorten(&e.b, 110))?;
        }
    }
    if cl.members.len() > SHOWN + 1 {
        writeln!(out, "    ... and {} more (see --clusters)", cl.members.len() - SHOWN - 1)?;
    }
    Ok(())
}

/// The machine-readable summary: one JSON object.
pub fn json_summary(out: &mut dyn Write, scan: &ScanOutput, ctx: &Context) -> io::Result<()> {
    let s = &scan.stats;
    let c = ctx.config;
    let relations: serde_json::Map<String, serde_json::Value> =
        count_relations(scan).iter().map(|(r, n)| (r.as_str().to_string(), json!(n))).collect();
    let top: Vec<_> = scan
        .clusters
        .iter()
        .take(ctx.top)
        .enumerate()
        .map(|(i, cl)| {
            let orig = &scan.docs[cl.original as usize];
            json!({
                "cluster": i + 1,
                "original": orig.id,
                "title": headline(orig, ctx.inputs, 120),
                "size": cl.members.len(),
                "members": cl.members.iter().map(|m| json!({
                    "id": scan.docs[m.doc as usize].id,
                    "score": round4(m.score),
                    "relation": m.relation.map(|r| r.as_str()),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let summary = json!({
        "level": level_name(c.level),
        "params": {
            "ngram": c.ngram, "num_perm": c.num_perm, "bands": c.lsh.bands, "rows": c.lsh.rows,
            "threshold": c.threshold, "containment": c.containment,
            "story_floor": c.story.floor, "story_link": c.story.link, "neighbors": c.story.neighbors,
            "story_max_bucket": c.story.max_bucket, "window_seconds": c.window, "wrapped": c.wrapped,
        },
        "documents": s.docs,
        "bytes": s.bytes,
        "input_files": s.sources,
        "problems": scan.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "docs_without_words": s.docs_without_words,
        "unreadable_dates": s.unreadable_dates.0,
        "ignored_files": s.ignored_files.0,
        "sidecar_files": s.notes.sidecar_files.0,
        "unusable_ids": s.notes.unusable_ids.0,
        "dropped_fields": s.notes.dropped_fields.0,
        "candidate_pairs": s.candidates.pairs,
        "outside_window": s.outside_window,
        "oversized_buckets": s.candidates.oversized_buckets,
        "story_oversized_features": s.story_oversized,
        "wrapped_candidate_pairs": s.candidates.wrapped_pairs,
        "wrapped_oversized_samples": s.candidates.wrapped_oversized,
        "spilled_runs": s.spilled_runs,
        "reread_documents": s.reread_docs,
        "pairs": s.pairs,
        "relations": relations,
        "clusters": s.clusters,
        "documents_in_clusters": s.docs_in_clusters,
        "seconds": s.timings.iter().map(|(n, d)| (n.to_string(), json!(round4(d.as_secs_f64())))).collect::<serde_json::Map<_, _>>(),
        "total_seconds": round4(ctx.total.as_secs_f64()),
        "top_clusters": top,
    });
    serde_json::to_writer_pretty(&mut *out, &summary)?;
    writeln!(out)
}
