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

/// Up to `max` sentence pairs, best first, each sentence used once, with score >= `min_score`.
/// `features` turns a sentence into sorted distinct feature hashes; `weight` gives each
/// feature's importance. The score is the weighted Dice coefficient of the two sentences.
pub fn align(
    a: &str,
    b: &str,
    features: &dyn Fn(&str) -> Vec<u64>,
    weight: &dyn Fn(u64) -> f64,
    max: usize,
    min_score: f64,
) -> Vec<Aligned> {
    let sa = sentences(a);
    let sb = sentences(b);
    let fa: Vec<(Vec<u64>, f64)> = sa.iter().map(|s| weighted(features(s), weight)).collect();
    let fb: Vec<(Vec<u64>, f64)> = sb.iter().map(|s| weighted(features(s), weight)).collect();
    let mut scored = Vec::new();
    for (i, (x, wx)) in fa.iter().enumerate() {
        for (j, (y, wy)) in fb.iter().enumerate() {
            if *wx <= 0.0 || *wy <= 0.0 {
                continue;
            }
            let shared: f64 = crate::verify::shared_items(x, y).map(weight).sum();
            let score = 2.0 * shared / (wx + wy);
            if score >= min_score {
                scored.push((score, i, j));
            }
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
