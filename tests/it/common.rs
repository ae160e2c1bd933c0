//! Shared helpers for the end-to-end tests: running the binary and making corpora.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `wiredup` with `args`, optionally feeding `stdin`.
pub fn wiredup(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wiredup"));
    cmd.args(args).stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(bytes) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Parses a JSONL file into values.
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

/// A small deterministic random generator (xorshift), so corpora are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1e6 < p
    }
}

/// A corpus of `n` JSONL articles with random words; about a quarter are edited copies of an
/// earlier article (words replaced, a stretch deleted, truncated, or boilerplate added).
pub fn synthetic_corpus(n: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let vocab: Vec<String> = (0..4000).map(|i| format!("w{}x{}", i, (i * 7919) % 97)).collect();
    let mut docs: Vec<(String, Vec<String>)> = Vec::new();
    for i in 0..n {
        let words: Vec<String> = if i > 5 && rng.chance(0.25) {
            let src = docs[rng.below(docs.len())].1.clone();
            let mut w = src;
            match rng.below(4) {
                0 => {
                    for _ in 0..w.len() * rng.below(12) / 100 {
                        let k = rng.below(w.len());
                        w[k] = vocab[rng.below(vocab.len())].clone();
                    }
                }
                1 => {
                    let start = rng.below(w.len() / 2);
                    let len = w.len() * (5 + rng.below(40)) / 100;
                    w.drain(start..(start + len).min(w.len()));
                }
                2 => {
                    let keep = w.len() * (40 + rng.below(55)) / 100;
                    w.truncate(keep.max(5));
                }
                _ => w.extend(
                    "Copyright Example Wire Service All rights reserved Share this article"
                        .split(' ')
                        .map(String::from),
                ),
            }
            w
        } else {
            let len = 150 + rng.below(400);
            (0..len).map(|_| vocab[rng.below(vocab.len())].clone()).collect()
        };
        docs.push((format!("doc{i:05}"), words));
    }
    docs.into_iter().map(|(id, w)| (id, w.join(" "))).collect()
}

/// Writes documents as JSONL.
pub fn write_corpus(path: &Path, docs: &[(String, String)]) {
    let mut out = String::new();
    for (id, text) in docs {
        out.push_str(&serde_json::json!({"id": id, "text": text}).to_string());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

/// Scans one file through the library at `level`, with `adjust` applied to the default
/// configuration.
pub fn scan_file(
    path: &Path,
    level: wiredup::config::Level,
    adjust: impl FnOnce(&mut wiredup::config::Config),
) -> wiredup::pipeline::ScanOutput {
    let mut config = wiredup::config::Config::new(level, 5, 128, 0.5, 0.8, None).unwrap();
    adjust(&mut config);
    let mut inputs = wiredup::input::Inputs::open(&[path.to_path_buf()], config.fields.clone()).unwrap();
    wiredup::pipeline::Pipeline::new(config).scan(&mut inputs, &wiredup::pipeline::Silent).unwrap()
}

/// A scan's pairs and clusters as comparable text: ids, relations, scores, members.
pub fn comparable(s: &wiredup::pipeline::ScanOutput) -> (Vec<String>, Vec<String>) {
    let id = |d: u32| s.docs[d as usize].id.clone();
    let pairs = s.pairs.iter().map(|p| format!("{} {} {:?} {:.6}", id(p.a), id(p.b), p.relation, p.score)).collect();
    let clusters = s
        .clusters
        .iter()
        .map(|c| {
            let members: Vec<String> =
                c.members.iter().map(|m| format!("{}:{:?}:{:.6}", id(m.doc), m.relation, m.score)).collect();
            format!("{} [{}]", id(c.original), members.join(" "))
        })
        .collect();
    (pairs, clusters)
}

/// Every pair of `docs` (ids, the smaller first) that verification calls a copy, by brute force:
/// exact word-5-gram Jaccard >= 0.5 or containment >= 0.8 (the default thresholds).
pub fn copy_pairs_by_brute_force(docs: &[(String, String)]) -> std::collections::BTreeSet<(String, String)> {
    let sh = wiredup::shingle::Shingler::new(5, wiredup::config::SHINGLE_SEED);
    let sets: Vec<Vec<u64>> = docs.iter().map(|(_, t)| sh.shingles(&wiredup::normalize::normalize(t))).collect();
    let mut truth = std::collections::BTreeSet::new();
    for i in 0..docs.len() {
        for j in i + 1..docs.len() {
            let o = wiredup::verify::Overlap::of(&sets[i], &sets[j]);
            if o.jaccard >= 0.5 || o.score() >= 0.8 {
                let (a, b) = (docs[i].0.clone(), docs[j].0.clone());
                truth.insert(if a < b { (a, b) } else { (b, a) });
            }
        }
    }
    truth
}

/// Random-word articles, and 20 wire stories each wrapped in filler 3, 5 and 8 times its length.
pub fn wrapped_corpus() -> Vec<(String, String)> {
    let mut rng = Rng::new(11);
    let vocab: Vec<String> = (0..5000).map(|i| format!("v{i}q{}", (i * 31) % 89)).collect();
    let mut words = |n: usize| (0..n).map(|_| vocab[rng.below(vocab.len())].clone()).collect::<Vec<_>>().join(" ");
    let mut docs: Vec<(String, String)> = (0..200).map(|i| (format!("other{i:03}"), words(200 + i % 300))).collect();
    for s in 0..20 {
        let story = words(150 + 5 * s);
        for ratio in [3usize, 5, 8] {
            let filler = 150 * (ratio - 1);
            let text = format!("{} {story} {}", words(filler / 3), words(filler - filler / 3));
            docs.push((format!("s{s:02}x{ratio}"), text));
        }
        docs.push((format!("s{s:02}"), story));
    }
    docs
}

/// The bundled seed articles as (number, text): `("000", ...)` to `("004", ...)`, in order.
pub fn seed_articles() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| (p.file_name().unwrap().to_str().unwrap()[..3].to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    seeds.sort();
    seeds
}
