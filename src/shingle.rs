//! Shingling: normalized text in, sorted unique u64 hashes of its word n-grams out.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::normalize::words;

/// Hashes word n-grams. xxh3 with a fixed seed: shingles must be equal on every machine and
/// version, since signatures built from them are stored and compared.
#[derive(Debug, Clone, Copy)]
pub struct Shingler {
    n: usize,
    seed: u64,
}

impl Shingler {
    /// `n` words per shingle (at least 1).
    pub fn new(n: usize, seed: u64) -> Self {
        Shingler { n: n.max(1), seed }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// The shingle set of a normalized text, sorted and without repeats, written into `out`.
    /// A text of fewer than n words (but at least one) has one shingle made of all its words;
    /// a text without words has none.
    pub fn shingles_into(&self, normalized: &str, out: &mut Vec<u64>) {
        out.clear();
        let mut window = [0u64; 64];
        let n = self.n.min(window.len());
        let mut count = 0usize;
        for word in words(normalized) {
            let h = xxh3_64_with_seed(word.as_bytes(), self.seed);
            if count < n {
                window[count] = h;
            } else {
                window.copy_within(1..n, 0);
                window[n - 1] = h;
            }
            count += 1;
            if count >= n {
                out.push(self.combine(&window[..n]));
            }
        }
        if count > 0 && count < n {
            out.push(self.combine(&window[..count]));
        }
        out.sort_unstable();
        out.dedup();
    }

    /// The shingle set of a normalized text; see [`Shingler::shingles_into`].
    pub fn shingles(&self, normalized: &str) -> Vec<u64> {
        let mut out = Vec::new();
        self.shingles_into(normalized, &mut out);
        out
    }

    /// The hash of a shingle: seeded xxh3 over its word hashes, little-endian.
    fn combine(&self, words: &[u64]) -> u64 {
        const SMALL: usize = 8;
        if words.len() <= SMALL {
            let mut bytes = [0u8; SMALL * 8];
            for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
                chunk.copy_from_slice(&w.to_le_bytes());
            }
            return xxh3_64_with_seed(&bytes[..words.len() * 8], self.seed);
        }
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        xxh3_64_with_seed(&bytes, self.seed)
    }
}

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
    fn long_shingles_hash_like_short_ones() {
        // Shingles of more than 8 words take the heap path; both paths hash the same bytes.
        let text: String = (0..30).map(|i| format!("w{i} ")).collect();
        let long = Shingler::new(12, 3).shingles(&text);
        assert_eq!(long.len(), 19);
        let words: Vec<u64> = (0..12).map(|i| xxh3_64_with_seed(format!("w{i}").as_bytes(), 3)).collect();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert!(long.contains(&xxh3_64_with_seed(&bytes, 3)));
    }

    #[test]
    fn output_is_sorted_unique_and_seeded() {
        let text = "the cat sat on the mat and the cat sat on the mat again";
        let a = Shingler::new(3, 7).shingles(text);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_ne!(a, Shingler::new(3, 8).shingles(text));
    }
}
