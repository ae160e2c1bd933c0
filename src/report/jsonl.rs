//! JSONL files: one pair or one cluster per line, in the sorted order of [`ScanOutput`].

use std::io::{self, Write};

use serde::Serialize;

use super::round4;
use crate::pipeline::ScanOutput;

#[derive(Serialize)]
struct PairLine<'a> {
    a: &'a str,
    b: &'a str,
    relation: &'static str,
    score: f64,
    jaccard: f64,
    a_in_b: f64,
    b_in_a: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Vec<EvidenceOut<'a>>>,
}

#[derive(Serialize)]
struct EvidenceOut<'a> {
    a: &'a str,
    b: &'a str,
    score: f64,
}

#[derive(Serialize)]
struct MemberOut<'a> {
    id: &'a str,
    score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    relation: Option<&'static str>,
}

#[derive(Serialize)]
struct ClusterLine<'a> {
    cluster: usize,
    original: &'a str,
    size: usize,
    members: Vec<MemberOut<'a>>,
}

/// `{"a", "b", "relation", "score", "jaccard", "a_in_b", "b_in_a"}` per line.
/// With `evidence`, each line also carries `"evidence": [{"a", "b", "score"}]`.
pub fn write_pairs(out: &mut dyn Write, scan: &ScanOutput, evidence: bool) -> io::Result<()> {
    for p in &scan.pairs {
        let line = PairLine {
            a: &scan.docs[p.a as usize].id,
            b: &scan.docs[p.b as usize].id,
            relation: p.relation.as_str(),
            score: round4(p.score),
            jaccard: round4(p.overlap.jaccard),
            a_in_b: round4(p.overlap.a_in_b),
            b_in_a: round4(p.overlap.b_in_a),
            evidence: evidence
                .then(|| p.evidence.iter().map(|e| EvidenceOut { a: &e.a, b: &e.b, score: round4(e.score) }).collect()),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// `{"cluster", "original", "size", "members": [{"id", "score", "relation"}]}` per line;
/// clusters numbered from 1 in output order.
pub fn write_clusters(out: &mut dyn Write, scan: &ScanOutput) -> io::Result<()> {
    for (i, c) in scan.clusters.iter().enumerate() {
        let line = ClusterLine {
            cluster: i + 1,
            original: &scan.docs[c.original as usize].id,
            size: c.members.len(),
            members: c
                .members
                .iter()
                .map(|m| MemberOut {
                    id: &scan.docs[m.doc as usize].id,
                    score: round4(m.score),
                    relation: m.relation.map(|r| r.as_str()),
                })
                .collect(),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
