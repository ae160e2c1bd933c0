//! Shingling: text in, hashes of its word n-grams out (words as [`crate::normalize`] folds them).

use crate::hash::{mix, GOLDEN};
use crate::normalize::each_word_hash;

/// Hashes word n-grams. Seeded and fixed: shingles must be equal on every machine and version,
/// since signatures built from them are stored and compared.
#[derive(Debug, Clone, Copy)]
pub struct Shingler {
    n: usize,
    seed: u64,
}

/// The longest shingle, in words.
pub const MAX_NGRAM: usize = 64;

/// [`sampled`] keeps one shingle in 2^`SAMPLE_BITS` (16).
pub const SAMPLE_BITS: u32 = 4;

/// Seed of [`sampled`]'s choice ("samples1").
const SAMPLE_SEED: u64 = 0x7361_6d70_6c65_7331;

/// Whether a shingle (its hash) is sampled for finding wrapped copies
/// ([`crate::lsh::contained_candidates`]): decided by the hash alone, so a shingle is sampled in
/// every text that has it, and the samples of a text contained in another are among the
/// other's. About one shingle in 2^[`SAMPLE_BITS`].
#[inline]
pub fn sampled(shingle: u64) -> bool {
    mix(shingle ^ SAMPLE_SEED) >> (64 - SAMPLE_BITS) == 0
}

/// The [`sampled`] ones of `shingles`, in their order.
pub fn samples_of(shingles: &[u64]) -> impl Iterator<Item = u64> + '_ {
    shingles.iter().copied().filter(|&h| sampled(h))
}

/// Reusable buffers for shingling.
#[derive(Debug, Default)]
pub struct ShingleScratch {
    word: Vec<u8>,
}

impl Shingler {
    /// `n` words per shingle (1..=[`MAX_NGRAM`]; clamped).
    pub fn new(n: usize, seed: u64) -> Self {
        Shingler { n: n.clamp(1, MAX_NGRAM), seed }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// The hash of every word n-gram of `text`, in text order, repeats included (a multiset:
    /// enough for signing, which ignores repeats). A text of fewer than n words (but at least
    /// one) has one shingle made of all its words; a text without words has none.
    pub fn hashes_into(&self, text: &str, scratch: &mut ShingleScratch, out: &mut Vec<u64>) {
        out.clear();
        let n = self.n;
        let mut ring = [0u64; MAX_NGRAM];
        let mut count = 0usize;
        // Where the next word goes; after n words, also where the oldest word is.
        let mut next = 0usize;
        // The polynomial of the last n words: sum of w[j] * P^(n-1-j), oldest first.
        let mut poly = 0u64;
        let oldest_power = POLY.wrapping_pow(n as u32 - 1);
        each_word_hash(text, self.seed, &mut scratch.word, |h| {
            if count >= n {
                poly = poly.wrapping_sub(ring[next].wrapping_mul(oldest_power));
            }
            poly = poly.wrapping_mul(POLY).wrapping_add(h);
            ring[next] = h;
            next = if next + 1 == n { 0 } else { next + 1 };
            count += 1;
            if count >= n {
                out.push(self.finish(poly, n));
            }
        });
        if count > 0 && count < n {
            out.push(self.finish(poly, count));
        }
    }

    /// The shingle set of `text`: [`Shingler::hashes_into`] sorted and without repeats.
    pub fn shingles_into(&self, text: &str, scratch: &mut ShingleScratch, out: &mut Vec<u64>) {
        self.hashes_into(text, scratch, out);
        out.sort_unstable();
        out.dedup();
    }

    /// The shingle set of `text`; see [`Shingler::shingles_into`].
    pub fn shingles(&self, text: &str) -> Vec<u64> {
        let mut out = Vec::new();
        self.shingles_into(text, &mut ShingleScratch::default(), &mut out);
        out
    }

    /// A shingle's hash from the polynomial of its `words` word hashes (updated in O(1) as the
    /// window slides; P odd, so a change in any one word always changes it): seeded, mixed.
    #[inline]
    fn finish(&self, poly: u64, words: usize) -> u64 {
        mix(poly ^ self.seed ^ (words as u64).wrapping_mul(GOLDEN))
    }
}

/// The odd multiplier of the rolling n-gram polynomial.
const POLY: u64 = 0x9fb2_1c65_1e98_df25;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_ngrams() {
        let s = Shingler::new(2, 1);
        // "a b", "b a", "a b" again -> 2 distinct.
        assert_eq!(s.shingles("a b a b").len(), 2);
        assert_eq!(Shingler::new(5, 1).shingles("one two three four five six").len(), 2);
    }

    #[test]
    fn short_texts_still_get_a_shingle() {
        let s = Shingler::new(5, 1);
        assert_eq!(s.shingles("only three words").len(), 1);
        assert_ne!(s.shingles("only three words"), s.shingles("only three others"));
        assert!(s.shingles(" ,;. ").is_empty());
    }

    #[test]
    fn order_and_every_word_matter() {
        let s = Shingler::new(3, 1);
        assert_ne!(s.shingles("a b c"), s.shingles("b a c"));
        assert_ne!(s.shingles("a b c"), s.shingles("a b d"));
        // Long shingles: 30 words, 12 per shingle -> 19 distinct, and a changed word in the
        // middle changes exactly the 12 shingles that hold it.
        let words: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
        let long = Shingler::new(12, 3);
        let a = long.shingles(&words.join(" "));
        assert_eq!(a.len(), 19);
        let mut changed = words.clone();
        changed[15] = "other".into();
        let b = long.shingles(&changed.join(" "));
        assert_eq!(a.iter().filter(|x| b.binary_search(x).is_err()).count(), 12);
    }

    #[test]
    fn hashes_are_the_shingles_in_text_order_with_repeats() {
        let s = Shingler::new(2, 5);
        let mut out = Vec::new();
        s.hashes_into("a b a b", &mut ShingleScratch::default(), &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], out[2]);
        let mut set = out.clone();
        set.sort_unstable();
        set.dedup();
        assert_eq!(set, s.shingles("A, b; a b"));
    }

    #[test]
    fn output_is_sorted_unique_and_seeded() {
        let text = "the cat sat on the mat and the cat sat on the mat again";
        let a = Shingler::new(3, 7).shingles(text);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_ne!(a, Shingler::new(3, 8).shingles(text));
    }
}
