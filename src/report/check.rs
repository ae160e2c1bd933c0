//! Check reports: a check's result in; readable text, JSON lines (one object per new document)
//! or GitHub workflow annotations out. Matches are listed in the order of [`CheckOutput`].

use std::io::{self, Write};

use serde::Serialize;

use super::round4;
use super::shorten;
use crate::check::{CheckOutput, Match, Target};
use crate::input::Inputs;
use crate::pipeline::Doc;
use crate::verify::Relation;

/// What a check report needs besides the result.
pub struct CheckContext<'a> {
    pub inputs: &'a Inputs,
    /// Matches at or above this relation fail the check.
    pub fail_on: Relation,
    /// How the archive is named in the summary ("index /x" or "--against dir").
    pub archive: String,
    pub level: &'static str,
    /// Matches listed per new document by the text and GitHub reports (0: all).
    pub max_matches: usize,
}

impl CheckContext<'_> {
    /// The matches a text or GitHub report lists for one document, and those it only counts.
    fn shown<'m>(&self, matches: &'m [Match]) -> (&'m [Match], &'m [Match]) {
        let n = if self.max_matches == 0 { matches.len() } else { self.max_matches.min(matches.len()) };
        matches.split_at(n)
    }

    /// What is said of the matches a report leaves out (`rest`, not empty).
    fn more(&self, rest: &[Match]) -> String {
        let failing = rest.iter().filter(|m| fails(m, self.fail_on)).count();
        format!(
            "... and {} more match{} ({failing} at or above --fail-on {}): --max-matches 0 or --format json lists all",
            rest.len(),
            if rest.len() == 1 { "" } else { "es" },
            self.fail_on.as_str()
        )
    }
}

/// True when `m` is at or above `fail_on` (duplicate > copy > rewrite).
pub fn fails(m: &Match, fail_on: Relation) -> bool {
    m.relation <= fail_on
}

/// Where a document can be found: file (as given) and line (`None` for a whole file).
struct Place {
    file: String,
    line: Option<u64>,
}

fn new_place(doc: &Doc, inputs: &Inputs) -> Place {
    let file = match inputs.source_path(doc.location) {
        Some(p) => p.display().to_string(),
        None => inputs.source_name(doc.location).to_string(),
    };
    Place { file, line: (doc.line > 0).then_some(doc.line) }
}

fn target_place(out: &CheckOutput, t: Target, inputs: &Inputs) -> Place {
    match t {
        Target::Indexed(d) => {
            let (entry, path) = &out.indexed[&d];
            Place { file: path.display().to_string(), line: (entry.line > 0).then_some(entry.line as u64) }
        }
        Target::New(d) => new_place(&out.docs[d as usize], inputs),
    }
}

fn target_title(out: &CheckOutput, t: Target) -> Option<&str> {
    match t {
        Target::Indexed(d) => out.indexed[&d].0.meta.title.as_deref(),
        Target::New(d) => out.docs[d as usize].meta().title.as_deref(),
    }
}

impl Place {
    fn show(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        }
    }
}

fn failing_docs(out: &CheckOutput, fail_on: Relation) -> usize {
    out.matches.iter().filter(|ms| ms.iter().any(|m| fails(m, fail_on))).count()
}

fn summary(out: &CheckOutput, ctx: &CheckContext) -> String {
    let failing = failing_docs(out, ctx.fail_on);
    let matched = out.matches.iter().filter(|m| !m.is_empty()).count();
    let n = out.docs.len();
    format!(
        "wiredup check: {n} new document{} against {} ({} document{}), level {}: {matched} with a match, {failing} at \
         or above {} (--fail-on)",
        if n == 1 { "" } else { "s" },
        ctx.archive,
        out.stats.indexed_docs,
        if out.stats.indexed_docs == 1 { "" } else { "s" },
        ctx.level,
        ctx.fail_on.as_str(),
    )
}

/// The readable report: each new document that matched, its matches with scores and where they
/// live, and one evidence pair per match; then a summary line.
pub fn check_text(w: &mut dyn Write, out: &CheckOutput, ctx: &CheckContext) -> io::Result<()> {
    for (d, matches) in out.matches.iter().enumerate() {
        if matches.is_empty() {
            continue;
        }
        let doc = &out.docs[d];
        let title = doc.meta().title.as_deref().map(|t| format!("  \"{}\"", shorten(t, 70))).unwrap_or_default();
        writeln!(w, "{}  {}{title}", new_place(doc, ctx.inputs).show(), doc.id)?;
        let (shown, rest) = ctx.shown(matches);
        for m in shown {
            let mark = if fails(m, ctx.fail_on) { "!" } else { " " };
            let origin = match m.target {
                Target::Indexed(_) => "index",
                Target::New(_) => "new",
            };
            writeln!(
                w,
                "  {mark} {:<9} score {:.4}  {}  ({origin}: {})  jaccard {:.4}, {:.0}% of this document is in it, {:.0}% \
                 of it is in this one",
                m.relation.as_str(),
                m.score,
                out.target_id(m.target),
                target_place(out, m.target, ctx.inputs).show(),
                m.overlap.jaccard,
                m.overlap.a_in_b * 100.0,
                m.overlap.b_in_a * 100.0,
            )?;
            if let Some(t) = target_title(out, m.target) {
                writeln!(w, "      title: \"{}\"", shorten(t, 90))?;
            }
            if let Some(e) = m.evidence.first() {
                writeln!(w, "      \"{}\"\n    ~ \"{}\"", shorten(&e.a, 100), shorten(&e.b, 100))?;
            }
        }
        if !rest.is_empty() {
            writeln!(w, "  {}", ctx.more(rest))?;
        }
    }
    writeln!(w, "{}", summary(out, ctx))
}

#[derive(Serialize)]
struct DocLine<'a> {
    id: &'a str,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    /// A match at or above --fail-on.
    fail: bool,
    matches: Vec<MatchOut<'a>>,
}

#[derive(Serialize)]
struct MatchOut<'a> {
    id: &'a str,
    /// "index" or "new".
    #[serde(rename = "in")]
    origin: &'static str,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    relation: &'static str,
    score: f64,
    jaccard: f64,
    /// Share of the new document found in the match.
    new_in_match: f64,
    /// Share of the match found in the new document.
    match_in_new: f64,
    evidence: Vec<EvidenceOut<'a>>,
}

#[derive(Serialize)]
struct EvidenceOut<'a> {
    new: &'a str,
    #[serde(rename = "match")]
    matched: &'a str,
    score: f64,
}

/// One JSON object per new document, in input order, every document and every match listed
/// (whatever [`CheckContext::max_matches`] says):
/// `{"id","file","line","fail","matches":[{"id","in","file","line","title","relation","score",
/// "jaccard","new_in_match","match_in_new","evidence":[{"new","match","score"}]}]}`.
pub fn check_json(w: &mut dyn Write, out: &CheckOutput, ctx: &CheckContext) -> io::Result<()> {
    for (d, matches) in out.matches.iter().enumerate() {
        let doc = &out.docs[d];
        let place = new_place(doc, ctx.inputs);
        let line = DocLine {
            id: &doc.id,
            file: place.file,
            line: place.line,
            fail: matches.iter().any(|m| fails(m, ctx.fail_on)),
            matches: matches
                .iter()
                .map(|m| {
                    let p = target_place(out, m.target, ctx.inputs);
                    MatchOut {
                        id: out.target_id(m.target),
                        origin: match m.target {
                            Target::Indexed(_) => "index",
                            Target::New(_) => "new",
                        },
                        file: p.file,
                        line: p.line,
                        title: target_title(out, m.target),
                        relation: m.relation.as_str(),
                        score: round4(m.score),
                        jaccard: round4(m.overlap.jaccard),
                        new_in_match: round4(m.overlap.a_in_b),
                        match_in_new: round4(m.overlap.b_in_a),
                        evidence: m
                            .evidence
                            .iter()
                            .map(|e| EvidenceOut { new: &e.a, matched: &e.b, score: round4(e.score) })
                            .collect(),
                    }
                })
                .collect(),
        };
        serde_json::to_writer(&mut *w, &line)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// A workflow command's message: `%`, CR and LF escaped.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,` escaped.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow annotations, one `::warning file=PATH,line=N,title=...::message` per
/// listed match (shown on the file in a pull request) and one `::notice` counting a document's
/// other matches, then the summary line.
pub fn check_github(w: &mut dyn Write, out: &CheckOutput, ctx: &CheckContext) -> io::Result<()> {
    for (d, matches) in out.matches.iter().enumerate() {
        let doc = &out.docs[d];
        let place = new_place(doc, ctx.inputs);
        let mut props = format!("file={}", escape_property(&place.file));
        if let Some(l) = place.line {
            props.push_str(&format!(",line={l}"));
        }
        let (shown, rest) = ctx.shown(matches);
        for m in shown {
            let mut props = props.clone();
            let title = format!("wiredup: {} of {}", m.relation.as_str(), out.target_id(m.target));
            props.push_str(&format!(",title={}", escape_property(&title)));
            let mut msg = format!(
                "{} is a {} of {} ({}): score {:.4}, jaccard {:.4}, {:.0}% of it is found there",
                doc.id,
                m.relation.as_str(),
                out.target_id(m.target),
                target_place(out, m.target, ctx.inputs).show(),
                m.score,
                m.overlap.jaccard,
                m.overlap.a_in_b * 100.0,
            );
            if fails(m, ctx.fail_on) {
                msg.push_str(&format!(" (fails --fail-on {})", ctx.fail_on.as_str()));
            }
            if let Some(e) = m.evidence.first() {
                msg.push_str(&format!("\n\"{}\"\n~ \"{}\"", shorten(&e.a, 160), shorten(&e.b, 160)));
            }
            writeln!(w, "::warning {props}::{}", escape_data(&msg))?;
        }
        if !rest.is_empty() {
            let title = format!("wiredup: {} more matches of {}", rest.len(), doc.id);
            let msg = format!("{}: {}", doc.id, ctx.more(rest));
            writeln!(w, "::notice {props},title={}::{}", escape_property(&title), escape_data(&msg))?;
        }
    }
    writeln!(w, "{}", summary(out, ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
