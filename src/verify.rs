//! Verification: a candidate pair and both shingle sets in, a scored pair out when the pair is
//! really similar. This is the exact check behind LSH's guesses.

use crate::lsh::Candidate;

/// How two documents relate at copy level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    /// Near-identical: Jaccard >= [`DUPLICATE_JACCARD`].
    Duplicate,
    /// Verbatim reuse of a large part: Jaccard or containment above the thresholds.
    Copy,
    /// The same story rewritten (story level).
    Rewrite,
}

impl Relation {
    /// The copy-level relation of two texts with this overlap.
    pub fn of_overlap(overlap: &Overlap) -> Relation {
        if overlap.jaccard >= DUPLICATE_JACCARD {
            Relation::Duplicate
        } else {
            Relation::Copy
        }
    }

    /// The relation named `name` ([`Relation::as_str`]'s inverse).
    pub fn parse(name: &str) -> Option<Relation> {
        [Relation::Duplicate, Relation::Copy, Relation::Rewrite].into_iter().find(|r| r.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Duplicate => "duplicate",
            Relation::Copy => "copy",
            Relation::Rewrite => "rewrite",
        }
    }
}

/// Jaccard at and above which a pair is called a duplicate rather than a copy.
pub const DUPLICATE_JACCARD: f64 = 0.8;

/// Exact overlap of two shingle sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    pub jaccard: f64,
    /// |A ∩ B| / |A|: how much of A is found in B.
    pub a_in_b: f64,
    /// |A ∩ B| / |B|.
    pub b_in_a: f64,
}

impl Overlap {
    /// Overlap of two sorted, duplicate-free sets. Empty sets overlap nothing.
    pub fn of(a: &[u64], b: &[u64]) -> Overlap {
        let inter = intersection_size(a, b) as f64;
        let union = (a.len() + b.len()) as f64 - inter;
        let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { 0.0 };
        Overlap {
            jaccard: ratio(inter, union),
            a_in_b: ratio(inter, a.len() as f64),
            b_in_a: ratio(inter, b.len() as f64),
        }
    }

    /// The copy-level score: the share of the smaller text found in the other (never below
    /// the Jaccard similarity).
    pub fn score(&self) -> f64 {
        self.a_in_b.max(self.b_in_a)
    }
}

/// A verified pair of documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub a: u32,
    pub b: u32,
    pub relation: Relation,
    /// The level's similarity: containment at copy level, story cosine at story level.
    pub score: f64,
    pub overlap: Overlap,
    /// Aligned sentence pairs (with `--evidence`), `a`'s sentence first.
    pub evidence: Vec<crate::evidence::Aligned>,
}

/// Decides which candidates are real copies.
#[derive(Debug, Clone, Copy)]
pub struct Verifier {
    pub threshold: f64,
    pub containment: f64,
}

impl Verifier {
    /// True when the overlap is a copy by the thresholds.
    pub fn is_copy(&self, overlap: &Overlap) -> bool {
        overlap.jaccard >= self.threshold || overlap.score() >= self.containment
    }

    /// The scored pair when Jaccard >= threshold or either containment >= the containment
    /// threshold; `None` otherwise. `sa`, `sb`: the sorted shingle sets of `c.a` and `c.b`.
    pub fn verify(&self, c: Candidate, sa: &[u64], sb: &[u64]) -> Option<Scored> {
        let overlap = Overlap::of(sa, sb);
        self.is_copy(&overlap).then(|| Scored {
            a: c.a,
            b: c.b,
            relation: Relation::of_overlap(&overlap),
            score: overlap.score(),
            overlap,
            evidence: Vec::new(),
        })
    }
}

/// Size of the intersection of two sorted, duplicate-free slices.
pub fn intersection_size(a: &[u64], b: &[u64]) -> usize {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.len() * 16 < large.len() {
        return small.iter().filter(|x| large.binary_search(x).is_ok()).count();
    }
    // Branch-free merge: the comparisons are coin flips a branch predictor cannot learn.
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < small.len() && j < large.len() {
        let (x, y) = (small[i], large[j]);
        common += (x == y) as usize;
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    common
}

/// Items present in both sorted, distinct slices, in order.
pub(crate) fn shared_items<'a>(a: &'a [u64], b: &'a [u64]) -> impl Iterator<Item = u64> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    return Some(a[i - 1]);
                }
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Candidate = Candidate { a: 0, b: 1 };

    #[test]
    fn exact_jaccard_and_containment() {
        let a: Vec<u64> = (0..10).collect();
        let b: Vec<u64> = (5..20).collect();
        let o = Overlap::of(&a, &b);
        assert!((o.jaccard - 5.0 / 20.0).abs() < 1e-12);
        assert!((o.a_in_b - 0.5).abs() < 1e-12);
        assert!((o.b_in_a - 5.0 / 15.0).abs() < 1e-12);
    }

    #[test]
    fn intersection_paths_agree() {
        let a: Vec<u64> = (0..1000).map(|x| x * 3).collect();
        let b: Vec<u64> = (0..20).map(|x| x * 7).collect();
        let naive = b.iter().filter(|x| a.contains(x)).count();
        assert_eq!(intersection_size(&a, &b), naive);
        assert_eq!(intersection_size(&b, &a), naive);
        assert_eq!(intersection_size(&a[..30], &b), b.iter().filter(|x| a[..30].contains(x)).count());
    }

    #[test]
    fn a_trimmed_copy_inside_a_longer_text_is_kept_by_containment() {
        let long: Vec<u64> = (0..100).collect();
        let trimmed: Vec<u64> = (0..30).collect(); // Jaccard 0.3, fully contained
        let v = Verifier { threshold: 0.5, containment: 0.8 };
        let s = v.verify(C, &trimmed, &long).expect("kept");
        assert_eq!(s.relation, Relation::Copy);
        assert_eq!(s.overlap.a_in_b, 1.0);
        let unrelated: Vec<u64> = (50..150).collect(); // Jaccard 1/3, containment 0.5
        assert!(v.verify(C, &long, &unrelated).is_none());
    }

    #[test]
    fn near_identical_is_a_duplicate() {
        let a: Vec<u64> = (0..100).collect();
        let b: Vec<u64> = (0..95).collect();
        let v = Verifier { threshold: 0.5, containment: 0.8 };
        assert_eq!(v.verify(C, &a, &b).unwrap().relation, Relation::Duplicate);
    }
}
