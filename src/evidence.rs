//! Evidence: two original texts in, their best-aligned sentence pairs out, quoted from the
//! originals (never from normalized text), so a reader can see what two articles share.

/// One aligned pair of sentences and how alike they are (0..1).
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    pub a: String,
    pub b: String,
    pub score: f64,
}

/// Sentences of `text` as byte ranges: split after `.`, `!` or `?` (and any closing quote or
/// bracket) followed by white space, and at line breaks. Very short fragments are dropped.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let end = if b == b'\n' {
            Some(i)
        } else if matches!(b, b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b')' | b']') {
                j += 1;
            }
            // Closing curly quotes are multi-byte: accept them too.
            while text[j..].starts_with(['\u{201d}', '\u{2019}']) {
                j += 3;
            }
            (j >= bytes.len() || bytes[j].is_ascii_whitespace()).then_some(j)
        } else {
            None
        };
        if let Some(end) = end {
            push_sentence(&text[start..end], &mut out);
            start = end;
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    push_sentence(&text[start..], &mut out);
    out
}

fn push_sentence<'a>(s: &'a str, out: &mut Vec<&'a str>) {
    let s = s.trim();
    if s.split_whitespace().count() >= 4 {
        out.push(s);
    }
}

/// Sentence pairs [`align`] scores one by one: every pair of two articles (a few thousand at
/// most). Texts with more (books, whole newspaper issues as one document) only have the pairs
/// scored that share a feature found in few sentences of each: a count that grows with the
/// texts' length, not with its square.
const ALL_PAIRS_MAX: usize = 1 << 20;

/// A feature in at most this many sentences of each text links the sentences that hold it, for
/// texts past [`ALL_PAIRS_MAX`].
const RARE_IN_SENTENCES: usize = 8;

/// Up to `max` sentence pairs, best first, each sentence used once, with score >= `min_score`.
/// `features` turns a sentence into sorted distinct feature hashes; `weight` gives each
/// feature's importance. The score is the weighted Dice coefficient of the two sentences.
/// Work is bounded for very long texts (more than 2^20 sentence pairs): there, two sentences
/// that share only features common in their texts (in more than 8 sentences) are not paired.
pub fn align(
    a: &str,
    b: &str,
    features: &dyn Fn(&str) -> Vec<u64>,
    weight: &dyn Fn(u64) -> f64,
    max: usize,
    min_score: f64,
) -> Vec<Aligned> {
    align_within(a, b, features, weight, max, min_score, ALL_PAIRS_MAX)
}

fn align_within(
    a: &str,
    b: &str,
    features: &dyn Fn(&str) -> Vec<u64>,
    weight: &dyn Fn(u64) -> f64,
    max: usize,
    min_score: f64,
    all_pairs_max: usize,
) -> Vec<Aligned> {
    let sa = sentences(a);
    let sb = sentences(b);
    let fa: Vec<(Vec<u64>, f64)> = sa.iter().map(|s| weighted(features(s), weight)).collect();
    let fb: Vec<(Vec<u64>, f64)> = sb.iter().map(|s| weighted(features(s), weight)).collect();
    let mut scored = Vec::new();
    let mut score = |i: usize, j: usize| {
        let ((x, wx), (y, wy)) = (&fa[i], &fb[j]);
        if *wx <= 0.0 || *wy <= 0.0 {
            return;
        }
        let shared: f64 = crate::verify::shared_items(x, y).map(weight).sum();
        let score = 2.0 * shared / (wx + wy);
        if score >= min_score {
            scored.push((score, i, j));
        }
    };
    if sa.len().saturating_mul(sb.len()) <= all_pairs_max {
        for i in 0..sa.len() {
            for j in 0..sb.len() {
                score(i, j);
            }
        }
    } else {
        for (i, j) in rare_feature_pairs(&fa, &fb) {
            score(i, j);
        }
    }
    // Best first; ties by position so the choice is deterministic.
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let (mut used_a, mut used_b) = (vec![false; sa.len()], vec![false; sb.len()]);
    let mut out = Vec::new();
    for (score, i, j) in scored {
        if out.len() == max {
            break;
        }
        if used_a[i] || used_b[j] {
            continue;
        }
        used_a[i] = true;
        used_b[j] = true;
        out.push(Aligned { a: sa[i].to_string(), b: sb[j].to_string(), score });
    }
    out
}

/// The sentence pairs (i of `fa`, j of `fb`), each once, in order, that share a feature held by
/// at most [`RARE_IN_SENTENCES`] sentences of each side.
fn rare_feature_pairs(fa: &[(Vec<u64>, f64)], fb: &[(Vec<u64>, f64)]) -> Vec<(usize, usize)> {
    let mut in_a: ahash::AHashMap<u64, usize> = ahash::AHashMap::new();
    for (f, _) in fa {
        f.iter().for_each(|&h| *in_a.entry(h).or_default() += 1);
    }
    let mut in_b: ahash::AHashMap<u64, Vec<usize>> = ahash::AHashMap::new();
    for (j, (f, _)) in fb.iter().enumerate() {
        for &h in f {
            if in_a.get(&h).is_some_and(|&n| n <= RARE_IN_SENTENCES) {
                in_b.entry(h).or_default().push(j);
            }
        }
    }
    let mut pairs = Vec::new();
    let mut partners = Vec::new();
    for (i, (f, _)) in fa.iter().enumerate() {
        partners.clear();
        for h in f {
            match in_b.get(h) {
                Some(js) if js.len() <= RARE_IN_SENTENCES => partners.extend(js),
                _ => {}
            }
        }
        partners.sort_unstable();
        partners.dedup();
        pairs.extend(partners.iter().map(|&j| (i, j)));
    }
    pairs
}

fn weighted(f: Vec<u64>, weight: &dyn Fn(u64) -> f64) -> (Vec<u64>, f64) {
    let total = f.iter().map(|&x| weight(x)).sum();
    (f, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<u64> {
        let mut v: Vec<u64> = s
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 3)
            .map(|w| xxhash_rust::xxh3::xxh3_64(w.to_lowercase().as_bytes()))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn splits_sentences_and_keeps_the_original_text() {
        let s = sentences("Putin spoke to Raisi on Tuesday. \u{201c}Calm is needed,\u{201d} he said! Short. Next line is here\nand here is more text");
        assert_eq!(
            s,
            [
                "Putin spoke to Raisi on Tuesday.",
                "\u{201c}Calm is needed,\u{201d} he said!",
                "Next line is here",
                "and here is more text"
            ]
        );
    }

    /// `n` sentences of eight words from a vocabulary of `vocabulary` words, the first ones
    /// frequent (Zipf-like), seeded.
    fn random_sentences(n: usize, vocabulary: u64, seed: u64) -> Vec<String> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 33
        };
        (0..n)
            .map(|_| {
                let words: Vec<String> = (0..8).map(|_| format!("w{}", next() % (1 + next() % vocabulary))).collect();
                words.join(" ") + "."
            })
            .collect()
    }

    #[test]
    fn long_texts_align_the_sentences_they_share_like_all_pairs_would() {
        // Two texts of 400 sentences (160,000 pairs) sharing 30 sentences, aligned both ways.
        let a = random_sentences(400, 3000, 1);
        let mut b = random_sentences(400, 3000, 2);
        for k in 0..30 {
            b[k * 13] = a[k * 11].clone();
        }
        let (a, b) = (a.join(" "), b.join(" "));
        let all = align_within(&a, &b, &words, &|_| 1.0, 40, 0.2, usize::MAX);
        let rare = align_within(&a, &b, &words, &|_| 1.0, 40, 0.2, 1000);
        assert!(all.iter().filter(|x| x.score == 1.0).count() >= 30);
        assert_eq!(rare[..30], all[..30]);
        // A text of 30,000 sentences against itself (9e8 pairs, minutes to score them all):
        // through the bounded path, each sentence finds itself.
        let long = random_sentences(30_000, 1_000_000, 3).join(" ");
        let out = align(&long, &long, &words, &|_| 1.0, 5, 0.2);
        assert_eq!(out.len(), 5);
        assert!(out.iter().all(|x| x.a == x.b && x.score == 1.0));
    }

    #[test]
    fn aligns_paraphrased_sentences_one_to_one() {
        let a = "The Kremlin said Putin urged restraint in the Middle East. Iran launched drones at Israel on Saturday night.";
        let b = "Iranian drones were launched against Israel late Saturday. Putin urged all sides toward restraint, the Kremlin said. Weather was fine today in Moscow city.";
        let out = align(a, b, &words, &|_| 1.0, 5, 0.2);
        assert_eq!(out.len(), 2);
        assert!(out.iter().any(|x| x.a.starts_with("The Kremlin") && x.b.starts_with("Putin urged")));
        assert!(out.iter().any(|x| x.a.starts_with("Iran launched") && x.b.starts_with("Iranian drones")));
        assert!(out[0].score >= out[1].score);
    }
}
