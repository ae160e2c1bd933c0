//! Normalization: original text in, folded text out (NFKC, lower case, one kind of quote and
//! dash, single spaces). Digits are kept. The original is never modified; reports quote it.

use crate::hash::{mix, GOLDEN};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Version of the folding rules. Part of every stored signature's parameters: a change here
/// changes shingles, so it must bump this.
pub const NORMALIZATION_VERSION: u32 = 1;

/// Folds `text` into `out` (cleared first). ASCII text skips Unicode normalization.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            return;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    };
    if text.is_ascii() {
        for b in text.bytes() {
            let c = match b {
                b'`' => '\'',
                _ => b.to_ascii_lowercase() as char,
            };
            push(c, out);
        }
        return;
    }
    for c in text.nfkc() {
        match fold_punct(c) {
            Some(f) => push(f, out),
            None if c.is_uppercase() => c.to_lowercase().for_each(|l| push(l, out)),
            None => push(c, out),
        }
    }
}

/// Folds `text` into a new string; see [`normalize_into`].
pub fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

/// One form for the quotes, apostrophes and dashes that typography varies.
fn fold_punct(c: char) -> Option<char> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '`' | '\u{00b4}' => '\'',
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' | '\u{00ab}' | '\u{00bb}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{ff0d}' => '-',
        _ => return None,
    })
}

/// The words of a normalized text: maximal runs of letters and digits.
pub fn words(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Bytes that may be part of a word: ASCII letters and digits, and every byte of a non-ASCII
/// character. The other ASCII bytes always separate words, even after NFKC.
static WORD_BYTE: [bool; 256] = {
    let mut t = [true; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    t
};

/// Calls `f` with the UTF-8 bytes of each word of `text`, in order: exactly the words of
/// [`words`]`(&`[`normalize`]`(text))`, without building the normalized text. `word` is a
/// reusable buffer.
pub fn each_word(text: &str, word: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
    let ascii = text.is_ascii();
    let bytes = text.as_bytes();
    each_run(bytes, |start, end| {
        if ascii || bytes[start..end].is_ascii() {
            word.clear();
            word.extend(bytes[start..end].iter().map(u8::to_ascii_lowercase));
            f(word);
        } else {
            each_unicode_word(&text[start..end], word, &mut f);
        }
    });
}

/// Calls `f` with [`hash_word`]`(w, seed)` of each word `w` of `text`, in order: the same as
/// hashing the words of [`each_word`], with a fast path for ASCII text that neither copies nor
/// lower-cases bytes one at a time.
pub fn each_word_hash(text: &str, seed: u64, word: &mut Vec<u8>, mut f: impl FnMut(u64)) {
    let ascii = text.is_ascii();
    let bytes = text.as_bytes();
    each_run(bytes, |start, end| {
        if ascii || bytes[start..end].is_ascii() {
            f(hash_ascii_word(bytes, start, end, seed));
        } else {
            each_unicode_word(&text[start..end], word, |w| f(hash_word(w, seed)));
        }
    });
}

/// The seeded 64-bit hash of a folded word (its lower-case UTF-8 bytes). Distinct words of
/// up to 8 bytes and equal length never collide (a bijection of their bytes).
#[inline]
pub fn hash_word(word: &[u8], seed: u64) -> u64 {
    let mut h = seed ^ (word.len() as u64).wrapping_mul(GOLDEN);
    for chunk in word.chunks(8) {
        let mut v = [0u8; 8];
        v[..chunk.len()].copy_from_slice(chunk);
        h = mix(h ^ u64::from_le_bytes(v));
    }
    h
}

/// [`hash_word`] of `bytes[start..end]` lower-cased, for ASCII letters and digits, whose
/// lower-case forms are the bytes with 0x20 set.
#[inline(always)]
pub(crate) fn hash_ascii_word(bytes: &[u8], start: usize, end: usize, seed: u64) -> u64 {
    const LOWER: u64 = 0x2020_2020_2020_2020;
    let len = end - start;
    let mut h = seed ^ (len as u64).wrapping_mul(GOLDEN);
    if (1..=8).contains(&len) && start + 8 <= bytes.len() {
        // Most words: one load, one mix.
        let raw = u64::from_le_bytes(bytes[start..start + 8].try_into().expect("8 bytes"));
        return mix(h ^ ((raw | LOWER) & (u64::MAX >> (64 - 8 * len))));
    }
    let mut at = start;
    while at < end {
        let n = (end - at).min(8);
        let v = if at + 8 <= bytes.len() {
            let raw = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
            let keep = if n == 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
            (raw | LOWER) & keep
        } else {
            let mut v = [0u8; 8];
            v[..n].copy_from_slice(&bytes[at..end]);
            u64::from_le_bytes(v) | (LOWER >> (8 * (8 - n)))
        };
        h = mix(h ^ v);
        at += n;
    }
    h
}

/// Calls `f(start, end)` for each maximal run of [`WORD_BYTE`]s in `bytes`: a word when it
/// is ASCII, otherwise a stretch of text without ASCII separators, whose words NFKC decides
/// (runs start and end at ASCII bytes or the ends of the text, so they are whole characters).
///
/// Works 64 bytes at a time: a bit mask of word bytes, whose changes from one byte to the next
/// are the word boundaries, visited lowest first. This avoids a mispredicted branch at every
/// word end.
#[inline]
fn each_run(bytes: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut in_word = false;
    let mut start = 0usize;
    // Whether the byte before the current block is a word byte.
    let mut carry = 0u64;
    for (block, chunk) in bytes.chunks(64).enumerate() {
        let base = block * 64;
        let mask = word_mask(chunk);
        let mut changes = mask ^ ((mask << 1) | carry);
        carry = mask >> 63;
        while changes != 0 {
            let at = base + changes.trailing_zeros() as usize;
            changes &= changes - 1;
            if in_word {
                f(start, at);
            } else {
                start = at;
            }
            in_word = !in_word;
        }
    }
    if in_word {
        f(start, bytes.len());
    }
}

/// Bit i set when `chunk[i]` (at most 64 bytes) is a [`WORD_BYTE`].
#[inline]
fn word_mask(chunk: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if chunk.len() == 64 {
        // SAFETY: SSE2 is part of the x86_64 baseline; the 64 bytes read are in `chunk`.
        return unsafe { word_mask_sse2(chunk.as_ptr()) };
    }
    word_mask_scalar(chunk)
}

#[inline]
fn word_mask_scalar(chunk: &[u8]) -> u64 {
    let mut mask = 0u64;
    for (i, &b) in chunk.iter().enumerate() {
        mask |= (WORD_BYTE[b as usize] as u64) << i;
    }
    mask
}

/// [`word_mask_scalar`] of the 64 bytes at `p`, 16 at a time.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn word_mask_sse2(p: *const u8) -> u64 {
    use std::arch::x86_64::*;
    let mut mask = 0u64;
    for k in 0..4 {
        let v = _mm_loadu_si128(p.add(16 * k) as *const __m128i);
        // Signed compares: bytes >= 0x80 are negative, so in neither range, but word bytes.
        let high = _mm_cmplt_epi8(v, _mm_setzero_si128());
        let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let alpha = _mm_and_si128(
            _mm_cmpgt_epi8(lower, _mm_set1_epi8(b'a' as i8 - 1)),
            _mm_cmplt_epi8(lower, _mm_set1_epi8(b'z' as i8 + 1)),
        );
        let digit = _mm_and_si128(
            _mm_cmpgt_epi8(v, _mm_set1_epi8(b'0' as i8 - 1)),
            _mm_cmplt_epi8(v, _mm_set1_epi8(b'9' as i8 + 1)),
        );
        let bits = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), high)) as u32 as u64;
        mask |= bits << (16 * k);
    }
    mask
}

/// [`each_word`] for text that is not all ASCII: skips NFKC when the text is already in NFKC
/// form (the usual case).
fn each_unicode_word(text: &str, word: &mut Vec<u8>, mut f: impl FnMut(&[u8])) {
    word.clear();
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        each_word_of_chars(text.chars(), word, &mut f);
    } else {
        each_word_of_chars(text.nfkc(), word, &mut f);
    }
    if !word.is_empty() {
        f(word);
        word.clear();
    }
}

/// The non-ASCII path of [`each_word`] over NFKC-normalized characters; lower-cases as
/// [`normalize_into`] does. Leaves the last word in `word`.
fn each_word_of_chars(chars: impl Iterator<Item = char>, word: &mut Vec<u8>, f: &mut impl FnMut(&[u8])) {
    let mut take = |c: char, word: &mut Vec<u8>| {
        if c.is_alphanumeric() {
            let mut utf8 = [0u8; 4];
            word.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        } else if !word.is_empty() {
            f(word);
            word.clear();
        }
    };
    for c in chars {
        if c.is_ascii() {
            take(c.to_ascii_lowercase(), word);
        } else if c.is_uppercase() {
            c.to_lowercase().for_each(|l| take(l, word));
        } else {
            take(c, word);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_quotes_dashes_and_space() {
        assert_eq!(normalize("  The \u{201c}Quick\u{201d}\u{2014}Fox\u{2019}s\n\n\tDEN  "), "the \"quick\"-fox's den");
        assert_eq!(normalize("It`s  A\r\nTest"), "it's a test");
    }

    #[test]
    fn nfkc_unifies_compatibility_forms_and_keeps_digits() {
        // Full-width letters and digits, a ligature, and a composed vs decomposed e-acute.
        assert_eq!(normalize("\u{ff21}\u{ff22} \u{ff11}\u{ff12} \u{fb01}ne"), "ab 12 fine");
        assert_eq!(normalize("cafe\u{301}"), normalize("caf\u{e9}"));
    }

    #[test]
    fn ascii_and_unicode_paths_agree_on_ascii_text() {
        let ascii = "Mixed CASE, digits 2024 and `quotes`.";
        let mut via_unicode = String::new();
        // Force the Unicode path by appending a non-ASCII char, then compare the common prefix.
        normalize_into(&format!("{ascii}\u{e9}"), &mut via_unicode);
        assert_eq!(via_unicode.trim_end_matches('\u{e9}'), normalize(ascii));
    }

    #[test]
    fn each_word_equals_the_words_of_the_normalized_text() {
        let texts = [
            "  The \u{201c}Quick\u{201d}\u{2014}Fox\u{2019}s\n\n\tDEN  2024!",
            "\u{ff21}\u{ff22} \u{ff11}\u{ff12} \u{fb01}ne cafe\u{301} Caf\u{e9}",
            "\u{130}stanbul \u{1c5}ungla \u{3a3}\u{39f}\u{3a6}\u{399}\u{391} M\u{fc}nchen-Stra\u{df}e \u{2460}\u{b2}",
            "plain ascii, only: words and 12,500 numbers",
            "\u{5317}\u{4eac} \u{65e5}\u{672c}\u{8a9e} \u{645}\u{631}\u{62d}\u{628}\u{627} e\u{301}\u{300}",
            "a<\u{338}b x=\u{338}y caf\u{e9}-Bar \u{301}lone \u{2014}dash\u{2014} \u{a0}nbsp\u{a0}x \u{2003}em",
            "ASCII words, then \u{201c}quoted\u{201d} \u{c9}COLE and \u{2160}\u{2161} roman x\u{b2} \u{bd}",
            "",
            " ,;. ",
        ];
        let mut buf = Vec::new();
        for text in texts {
            let mut got: Vec<String> = Vec::new();
            each_word(text, &mut buf, |w| got.push(String::from_utf8(w.to_vec()).unwrap()));
            let normalized = normalize(text);
            let want: Vec<&str> = words(&normalized).collect();
            assert_eq!(got, want, "{text:?}");
            let mut hashes = Vec::new();
            each_word_hash(text, 9, &mut buf, |h| hashes.push(h));
            let want: Vec<u64> = want.iter().map(|w| hash_word(w.as_bytes(), 9)).collect();
            assert_eq!(hashes, want, "{text:?}");
        }
    }

    #[test]
    fn each_word_equals_the_reference_on_random_mixtures() {
        // Letters, digits, separators, combining marks, compatibility forms, case pairs.
        let alphabet: Vec<char> = "aZ9 .,-'\n\u{301}\u{338}<=\u{e9}\u{c9}\u{df}\u{130}\u{3a3}\u{fb01}\u{ff21}\u{2460}\u{a0}\u{2019}\u{5317}\u{1c5}\u{b2}\u{2163}x"
            .chars()
            .collect();
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut buf = Vec::new();
        for _ in 0..2000 {
            state = mix(state.wrapping_add(GOLDEN));
            let len = (state % 80) as usize;
            let text: String = (0..len)
                .map(|_| {
                    state = mix(state.wrapping_add(GOLDEN));
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let mut got = Vec::new();
            each_word_hash(&text, 1, &mut buf, |h| got.push(h));
            let want: Vec<u64> = words(&normalize(&text)).map(|w| hash_word(w.as_bytes(), 1)).collect();
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn ascii_word_hashes_match_at_every_length_and_position() {
        // Words of 1..=20 bytes, mixed case, ending at the text's end or not (the fast path
        // loads 8 bytes at a time and must mask exactly).
        let mut buf = Vec::new();
        for len in 1..=20 {
            let word: String = (0..len).map(|i| if i % 3 == 0 { 'Q' } else { (b'a' + i as u8) as char }).collect();
            for text in [word.clone(), format!("{word} tail of text"), format!("x-{word}")] {
                let mut got = Vec::new();
                each_word_hash(&text, 4, &mut buf, |h| got.push(h));
                let want: Vec<u64> = words(&normalize(&text)).map(|w| hash_word(w.as_bytes(), 4)).collect();
                assert_eq!(got, want, "{text:?}");
            }
        }
        assert_ne!(hash_word(b"ab", 1), hash_word(b"ab\0", 1));
        assert_ne!(hash_word(b"ab", 1), hash_word(b"ab", 2));
    }

    #[test]
    fn word_masks_agree_on_every_byte() {
        let all: Vec<u8> = (0..=255u8).collect();
        for chunk in all.chunks(64) {
            assert_eq!(word_mask(chunk), word_mask_scalar(chunk));
            let want: u64 =
                chunk.iter().enumerate().map(|(i, b)| ((b.is_ascii_alphanumeric() || *b >= 0x80) as u64) << i).sum();
            assert_eq!(word_mask(chunk), want);
        }
        // Words across block boundaries and at both ends.
        let text: String = (0..300).map(|i| if i % 7 == 3 || i % 64 == 0 { ' ' } else { 'x' }).collect();
        let mut got = Vec::new();
        each_run(text.as_bytes(), |s, e| got.push(&text[s..e]));
        assert_eq!(got, words(&text).collect::<Vec<_>>());
    }

    #[test]
    fn words_split_on_punctuation() {
        let w: Vec<_> = words("the \"quick\"-fox's den, 2024").collect();
        assert_eq!(w, ["the", "quick", "fox", "s", "den", "2024"]);
    }
}
