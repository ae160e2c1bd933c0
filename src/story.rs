//! Story features: an original text in, typed features that survive paraphrase out — content
//! word stems, names, numbers and content-word bigrams — each with its term frequency and its
//! background document frequency, so that rarity can be judged even for a five-document input.
//!
//! Weighting ([`Weighting`]) blends the corpus document frequency with a built-in English
//! background table (SymSpell's frequency dictionary, MIT, aggregated by Porter2 stem; see
//! `data/`). Similarity is the cosine of (1 + ln tf) x idf^2 vectors.

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::hash::{mix, short, GOLDEN};
use crate::normalize::{hash_ascii_word, hash_word};

/// Seed of story feature hashes. Fixed: part of the stored-signature format.
pub const STORY_SEED: u64 = 0x7374_6f72_7966_6531; // "storyfe1"

const STOPWORDS: &str = include_str!("../data/stopwords_en.txt");
const BACKGROUND: &str = include_str!("../data/background_en.tsv");

/// Pseudo-documents the background table stands for in the blended document frequency.
pub const BACKGROUND_DOCS: f64 = 10.0;
/// Scale turning a word's share of all background tokens into a share of documents.
const DOC_LENGTH: f64 = 300.0;
/// Background count given to words the table does not know (a rare dictionary word's count).
const UNSEEN_COUNT: f64 = 20_000.0;
/// Background document share of a number.
const NUMBER_SHARE: f64 = 0.01;
/// idf exponent: rare features (names, numbers, rare words) dominate the vectors.
const IDF_POWER: i32 = 2;

/// Kinds of feature; the kind is hashed in, so a name and a word with the same stem differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word = b'w' as isize,
    Name = b'n' as isize,
    Number = b'd' as isize,
    Bigram = b'b' as isize,
}

/// One feature of a document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feature {
    pub hash: u64,
    pub kind: Kind,
    pub tf: u32,
    /// Estimated share of news documents that hold this feature (background table).
    pub background: f32,
}

struct Tables {
    stop: ahash::AHashSet<&'static str>,
    counts: ahash::AHashMap<&'static str, f64>,
    total: f64,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let stop = STOPWORDS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        let mut counts = ahash::AHashMap::new();
        let mut total = 1.0;
        for line in BACKGROUND.lines() {
            let Some((k, c)) = line.split_once('\t') else { continue };
            let c: f64 = c.trim().parse().unwrap_or(0.0);
            if k == "#total" {
                total = c;
            } else {
                counts.insert(k, c);
            }
        }
        Tables { stop, counts, total }
    })
}

/// Background document share of a stem.
fn stem_share(stem: &str) -> f64 {
    let t = tables();
    let c = t.counts.get(stem).copied().unwrap_or(0.0).max(UNSEEN_COUNT);
    1.0 - (-DOC_LENGTH * c / t.total).exp()
}

fn number_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "two" => "2",
        "three" => "3",
        "four" => "4",
        "five" => "5",
        "six" => "6",
        "seven" => "7",
        "eight" => "8",
        "nine" => "9",
        "ten" => "10",
        "eleven" => "11",
        "twelve" => "12",
        "thirteen" => "13",
        "fourteen" => "14",
        "fifteen" => "15",
        "sixteen" => "16",
        "seventeen" => "17",
        "eighteen" => "18",
        "nineteen" => "19",
        "twenty" => "20",
        "thirty" => "30",
        "forty" => "40",
        "fifty" => "50",
        "sixty" => "60",
        "seventy" => "70",
        "eighty" => "80",
        "ninety" => "90",
        "hundred" => "100",
        _ => return None,
    })
}

/// A token of the story tokenizer.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Word { text: &'a str, sentence_start: bool },
    Number(&'a str),
    SentenceEnd,
}

/// Splits folded text into words, numbers and sentence ends. `"` and other punctuation do not
/// end a sentence; a line break does.
fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = true;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_ascii_digit() || c.is_numeric() && c.is_alphanumeric() && !c.is_alphabetic() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                let separator = matches!(d, '.' | ',' | ':') && text[j + 1..].starts_with(|x: char| x.is_ascii_digit());
                if d.is_ascii_digit() || separator {
                    chars.next();
                    end = j + 1;
                } else {
                    break;
                }
            }
            out.push(Token::Number(&text[i..end]));
            start = false;
        } else if c.is_alphabetic() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphabetic() {
                    chars.next();
                    end = j + d.len_utf8();
                } else if d == '\'' && text[j + 1..].starts_with(char::is_alphabetic) {
                    chars.next();
                    end = j + 1;
                } else {
                    break;
                }
            }
            out.push(Token::Word { text: &text[i..end], sentence_start: start });
            start = false;
        } else if matches!(c, '.' | '!' | '?' | '\n') {
            if out.last() != Some(&Token::SentenceEnd) {
                out.push(Token::SentenceEnd);
            }
            start = true;
        }
    }
    out
}

/// The end of the number starting at `b[i]` (a digit): digits, and `.`, `,` or `:` between
/// digits ("1,200.50", "10:30").
fn ascii_number_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len()
        && (b[i].is_ascii_digit()
            || (matches!(b[i], b'.' | b',' | b':') && i + 1 < b.len() && b[i + 1].is_ascii_digit()))
    {
        i += 1;
    }
    i
}

/// A token of the ASCII story featurizer's first pass ([`ascii_tokens`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum AsciiToken {
    /// The key of a number feature.
    Number(u64),
    /// A sentence end.
    End,
    /// A word of at most 64 letters: `text[begin..end]` is the word without its possessive or
    /// contraction tail, `hash` the [`hash_word`] of its lower-case letters (apostrophes dropped).
    Word { hash: u64, begin: u32, end: u32, sentence_start: bool },
    /// A longer word, whole (`text[begin..end]`), left to the general path.
    Long { begin: u32, end: u32, sentence_start: bool },
}

/// The index of the first byte from `i` on that is not an ASCII letter, in ASCII text: eight
/// bytes at a time (for a byte below 0x80, `x | 0x20` is a letter exactly when it lies in
/// `a..=z`, which a per-byte add tells without carries between bytes).
#[inline]
fn letters_end(b: &[u8], mut i: usize) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= b.len() {
        let v = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes")) | 0x2020_2020_2020_2020;
        debug_assert_eq!(v & HIGH, 0, "ASCII text");
        let from_a = v.wrapping_add(0x1f1f_1f1f_1f1f_1f1f); // high bit: byte >= b'a'
        let past_z = v.wrapping_add(0x0505_0505_0505_0505); // high bit: byte > b'z'
        let others = !(from_a & !past_z) & HIGH;
        if others != 0 {
            return i + (others.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

/// Splits ASCII text as [`tokens`] does into [`AsciiToken`]s, calling `seen(hash)` for each
/// word's hash as soon as it is known. Texts are shorter than 4 GiB (positions are `u32`).
fn ascii_tokens(b: &[u8], out: &mut Vec<AsciiToken>, mut seen: impl FnMut(u64)) {
    let apostrophe = |c: u8| c == b'\'' || c == b'`';
    let mut start = true;
    let mut lower = [0u8; 64];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            let begin = i;
            i = ascii_number_end(b, i);
            out.push(AsciiToken::Number(number_key(&b[begin..i])));
            start = false;
        } else if c.is_ascii_alphabetic() {
            let begin = i;
            i = letters_end(b, i + 1);
            let sentence_start = start;
            start = false;
            if !(i + 1 < b.len() && apostrophe(b[i]) && b[i + 1].is_ascii_alphabetic()) {
                // The common word: letters only, hashed where they stand.
                if i - begin >= lower.len() {
                    out.push(AsciiToken::Long { begin: begin as u32, end: i as u32, sentence_start });
                } else {
                    let hash = hash_ascii_word(b, begin, i, STORY_SEED);
                    seen(hash);
                    out.push(AsciiToken::Word { hash, begin: begin as u32, end: i as u32, sentence_start });
                }
                continue;
            }
            i = begin;
            // Letters lower-cased into `lower` as they are passed (apostrophes dropped), counted
            // beyond its size; at the first apostrophe, where the word and its count were.
            let mut n = 0;
            let mut first_apostrophe: Option<(usize, usize)> = None;
            loop {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    if n < lower.len() {
                        lower[n] = b[i] | 0x20;
                    }
                    n += 1;
                    i += 1;
                }
                if i + 1 < b.len() && apostrophe(b[i]) && b[i + 1].is_ascii_alphabetic() {
                    first_apostrophe.get_or_insert((i, n));
                    i += 1;
                } else {
                    break;
                }
            }
            // The word without its possessive or contraction tail, apostrophes dropped.
            let (end, n) = match first_apostrophe {
                Some((a, letters)) if is_clitic(&b[a + 1..i]) => (a, letters),
                _ => (i, n),
            };
            if n >= lower.len() {
                out.push(AsciiToken::Long { begin: begin as u32, end: i as u32, sentence_start });
                continue;
            }
            let hash = hash_word(&lower[..n], STORY_SEED);
            seen(hash);
            out.push(AsciiToken::Word { hash, begin: begin as u32, end: end as u32, sentence_start });
        } else {
            if matches!(c, b'.' | b'!' | b'?' | b'\n') {
                out.push(AsciiToken::End);
                start = true;
            }
            i += 1;
        }
    }
}

/// Drops a possessive or contraction tail ("Putin's" -> "Putin"); other apostrophes vanish.
fn strip_apostrophe(w: &str) -> std::borrow::Cow<'_, str> {
    match w.split_once('\'') {
        None => w.into(),
        Some((head, tail)) if matches!(tail.to_lowercase().as_str(), "s" | "t" | "d" | "ll" | "re" | "ve" | "m") => {
            head.into()
        }
        Some(_) => w.replace('\'', "").into(),
    }
}

/// A possessive or contraction tail (after the apostrophe), in any case.
fn is_clitic(tail: &[u8]) -> bool {
    let mut t = [0u8; 2];
    if tail.is_empty() || tail.len() > 2 {
        return false;
    }
    for (d, s) in t.iter_mut().zip(tail) {
        *d = s.to_ascii_lowercase();
    }
    matches!(&t[..tail.len()], b"s" | b"t" | b"d" | b"m" | b"ll" | b"re" | b"ve")
}

/// The key of a number token (ASCII digits and inner separators): as
/// `key(Kind::Number, normalize_number(n))`, without allocating.
fn number_key(n: &[u8]) -> u64 {
    let mut buf = [0u8; 64];
    if n.len() > buf.len() {
        let n = std::str::from_utf8(n).unwrap_or_default();
        return key(Kind::Number, normalize_number(n).as_bytes());
    }
    let mut len = 0;
    for &c in n.iter().filter(|&&c| c != b',') {
        buf[len] = c;
        len += 1;
    }
    let digits = &buf[..len];
    let whole = match digits.iter().position(|&c| c == b'.') {
        Some(dot) if dot + 1 < len && digits[dot + 1..].iter().all(|&c| c == b'0') => &digits[..dot],
        _ => digits,
    };
    key(Kind::Number, whole)
}

fn normalize_number(n: &str) -> String {
    let n = n.replace(',', "");
    match n.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => int.to_string(),
        _ => n,
    }
}

/// `text` in ASCII when its only other characters are typographic punctuation and spaces
/// (curly quotes, dashes, ellipsis, non-breaking spaces: most news text), written as NFKC and
/// [`fold`] would leave them for the tokenizer; `None` when any other character is present.
/// The story features of the result equal those of `text` (tested).
fn typographic_to_ascii(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            '\u{2018}' | '\u{2019}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{00ab}' | '\u{00bb}' => out.push('"'),
            '\u{2010}'..='\u{2015}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{00a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => out.push(' '),
            _ => return None,
        }
    }
    Some(out)
}

/// Folds typography as the copy level does, keeping case (names need it) and line breaks.
/// ASCII text skips Unicode normalization.
fn fold(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() {
        return if text.contains('`') { text.replace('`', "'").into() } else { text.into() };
    }
    let quick = unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes;
    let chars: Box<dyn Iterator<Item = char>> = if quick { Box::new(text.chars()) } else { Box::new(text.nfkc()) };
    chars
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '`' => '\'',
            '\u{201c}' | '\u{201d}' | '\u{00ab}' | '\u{00bb}' => '"',
            c => c,
        })
        .collect::<String>()
        .into()
}

/// Everything about a lower-cased word that does not depend on its position. Kept small (24
/// bytes): the per-thread table of these ([`WordTable`]) is looked up once per token.
#[derive(Debug, Clone, Copy)]
struct WordInfo {
    /// Key of the word feature, or of the number it names ("twelve"); the name key derives
    /// from it.
    key: u64,
    /// Hash of the stem, to build bigram keys.
    stem: u64,
    /// Background document share of the stem.
    share: f32,
    flags: u8,
}

/// [`WordInfo::flags`]: a stopword (dropped unless written as an acronym).
const STOP: u8 = 1;
/// Names a number: `key` is a number feature.
const NUMBER: u8 = 2;
/// Fewer than two characters: not a feature.
const SHORT: u8 = 4;

/// The name feature of a word feature.
fn name_key(word_key: u64) -> u64 {
    mix(word_key ^ 0x6e61_6d65_6b65_7931) // "namekey1"
}

/// Slots of a new [`WordTable`] (a power of two).
const TABLE_MIN_SLOTS: usize = 1 << 12;
/// Slots past which a full [`WordTable`] is cleared rather than grown (bounds its memory:
/// 32 bytes a slot, 8 MiB per thread).
const TABLE_MAX_SLOTS: usize = 1 << 18;

/// [`WordInfo::flags`]: the slot holds a word (never set in an analysis itself).
const USED: u8 = 128;

/// A [`WordTable`] entry: the word's hash and its analysis, 32 bytes, so that a slot never
/// straddles two cache lines.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    hash: u64,
    info: WordInfo,
}

const EMPTY: Slot = Slot { hash: 0, info: WordInfo { key: 0, stem: 0, share: 0.0, flags: 0 } };

/// Asks the memory for the cache line of `value`, without waiting for it (a hint: it changes
/// nothing but timing).
#[inline]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch hint of the address of a live reference; it reads nothing.
    #[allow(unused_unsafe)]
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// One thread's word analyses by word hash: a flat open-addressing table (linear probing from
/// the hash's low bits), kept at most half full. A corpus has tens of thousands of distinct
/// words, and a few thousand of them are most tokens: the slots of those stay in the core's
/// cache, and a lookup reads one of them, with no second table behind it.
#[derive(Default)]
struct WordTable {
    slots: Vec<Slot>,
    len: usize,
    /// Slots past which the table is cleared instead of grown; [`TABLE_MAX_SLOTS`] when 0.
    max_slots: usize,
    /// The tokens of the text being featurized (a buffer kept for the next text).
    tokens: Vec<AsciiToken>,
}

impl WordTable {
    /// The analysis of the word whose hash is `hash`: stored, or made by `analyse` and stored.
    #[inline]
    fn get_or_insert(&mut self, hash: u64, analyse: impl FnOnce() -> WordInfo) -> WordInfo {
        if let Some(info) = self.get(hash) {
            return info;
        }
        let info = analyse();
        debug_assert_eq!(info.flags & USED, 0);
        self.insert(hash, info);
        info
    }

    /// Asks the memory for the slot where the word with this hash would be first looked for,
    /// without waiting for it.
    #[inline]
    fn prefetch(&self, hash: u64) {
        if !self.slots.is_empty() {
            prefetch(&self.slots[hash as usize & (self.slots.len() - 1)]);
        }
    }

    #[inline]
    fn get(&self, hash: u64) -> Option<WordInfo> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.info.flags & USED == 0 {
                return None;
            }
            if slot.hash == hash {
                let mut info = slot.info;
                info.flags &= !USED;
                return Some(info);
            }
            i = (i + 1) & mask;
        }
    }

    /// Stores a word not in the table, growing or clearing it first when it would be over half
    /// full.
    fn insert(&mut self, hash: u64, info: WordInfo) {
        if (self.len + 1) * 2 > self.slots.len() {
            let max = if self.max_slots == 0 { TABLE_MAX_SLOTS } else { self.max_slots };
            let size = (self.slots.len() * 2).max(TABLE_MIN_SLOTS);
            let old = std::mem::take(&mut self.slots);
            self.len = 0;
            if size <= max {
                self.slots = vec![EMPTY; size];
                for s in old.into_iter().filter(|s| s.info.flags & USED != 0) {
                    self.place(s);
                }
            } else {
                // Cleared: the words seen since come back as they recur.
                self.slots = old;
                self.slots.fill(EMPTY);
            }
        }
        let mut info = info;
        info.flags |= USED;
        self.place(Slot { hash, info });
    }

    fn place(&mut self, slot: Slot) {
        let mask = self.slots.len() - 1;
        let mut i = slot.hash as usize & mask;
        while self.slots[i].info.flags & USED != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
        self.len += 1;
    }
}

/// Feature occurrences of one text, and scratch space to sort them: [`StoryFeaturizer::features`]
/// keeps both per thread instead of allocating them for every text.
type OccurrenceBuffers = (Vec<(u64, Kind, f32)>, Vec<(u64, Kind, f32)>);

thread_local! {
    static FEATURE_BUFFERS: std::cell::RefCell<OccurrenceBuffers> = std::cell::RefCell::new(Default::default());
    static WORD_CACHE: std::cell::RefCell<WordTable> = std::cell::RefCell::new(WordTable::default());
}

/// Extracts story features. Cheap to share across threads; each thread caches word analyses.
pub struct StoryFeaturizer {
    stemmer: Stemmer,
}

impl std::fmt::Debug for StoryFeaturizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoryFeaturizer")
    }
}

impl Default for StoryFeaturizer {
    fn default() -> Self {
        StoryFeaturizer { stemmer: Stemmer::create(Algorithm::English) }
    }
}

fn key(kind: Kind, bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 64];
    if bytes.len() < buf.len() {
        buf[0] = kind as u8;
        buf[1..=bytes.len()].copy_from_slice(bytes);
        return xxh3_64_with_seed(&buf[..=bytes.len()], STORY_SEED);
    }
    let mut long = Vec::with_capacity(bytes.len() + 1);
    long.push(kind as u8);
    long.extend_from_slice(bytes);
    xxh3_64_with_seed(&long, STORY_SEED)
}

/// Sorts by the u64 key. A document's feature list is a few hundred to a few thousand
/// entries of random keys: two stable counting passes over the top 16 bits (8 at a time, so
/// that the counters stay few next to the entries) leave only keys that agree on all of those
/// out of order, and a final insertion pass puts those (rare) few right. Several times faster
/// than a comparison sort at these sizes. `buf` is scratch space, kept by the caller.
fn radix_sort_by_key<T: Copy>(v: &mut [(u64, T, f32)], buf: &mut Vec<(u64, T, f32)>) {
    if v.len() < 64 || v.len() > 1 << 20 {
        // Small: insertion-like sorts win. Huge: too many keys share 16 bits for the final pass.
        v.sort_by_key(|x| x.0);
        return;
    }
    const BITS: u32 = 8;
    const DIGITS: usize = 1 << BITS;
    // Digit 0 is bits 48..56, digit 1 the top 8: both counted in one pass.
    let digit = |x: &(u64, T, f32), pass: u32| ((x.0 >> (64 - BITS * (2 - pass))) as usize) & (DIGITS - 1);
    // At most 2^20 entries: u32 positions.
    let mut next = [[0u32; DIGITS]; 2];
    for x in v.iter() {
        next[0][digit(x, 0)] += 1;
        next[1][digit(x, 1)] += 1;
    }
    for counts in next.iter_mut() {
        let mut total = 0;
        for n in counts.iter_mut() {
            let c = *n;
            *n = total;
            total += c;
        }
    }
    // Stable scatters: by digit 0 into `buf`, then by digit 1 back into `v`. `buf` keeps its
    // largest size between calls.
    if buf.len() < v.len() {
        buf.resize(v.len(), v[0]);
    }
    let buf = &mut buf[..v.len()];
    for x in v.iter() {
        let d = digit(x, 0);
        buf[next[0][d] as usize] = *x;
        next[0][d] += 1;
    }
    for x in buf.iter() {
        let d = digit(x, 1);
        v[next[1][d] as usize] = *x;
        next[1][d] += 1;
    }
    // Insertion sort: keys equal in their top 16 bits may still be out of order.
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1].0 > v[j].0 {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Writes each run of equal hashes in `sorted` as one feature, with the run's length as its
/// term frequency, to the front of `out` (grown as needed, never shrunk), and returns how many
/// there are. The occurrences of one feature all carry the same kind and background share.
/// Whether an occurrence starts a new feature is as good as random, so there is no branch on
/// it: every occurrence writes its run's feature so far at the run's place.
fn count_runs(sorted: &[(u64, Kind, f32)], out: &mut Vec<Feature>) -> usize {
    let Some(&(first, _, _)) = sorted.first() else {
        return 0;
    };
    if out.len() < sorted.len() {
        out.resize(sorted.len(), Feature { hash: 0, kind: Kind::Word, tf: 0, background: 0.0 });
    }
    let (mut at, mut tf, mut previous) = (0usize, 0u32, first);
    for &(hash, kind, background) in sorted {
        let new = hash != previous;
        at += usize::from(new);
        tf = if new { 1 } else { tf + 1 };
        previous = hash;
        out[at] = Feature { hash, kind, tf, background };
    }
    at + 1
}

fn bigram_key(a: u64, b: u64) -> u64 {
    let mut buf = [0u8; 17];
    buf[0] = Kind::Bigram as u8;
    buf[1..9].copy_from_slice(&a.to_le_bytes());
    buf[9..].copy_from_slice(&b.to_le_bytes());
    xxh3_64_with_seed(&buf, STORY_SEED)
}

impl StoryFeaturizer {
    /// The features of `text`, sorted by hash, each once with its term frequency.
    pub fn features(&self, text: &str) -> Vec<Feature> {
        self.with_features(text, <[Feature]>::to_vec)
    }

    /// `f` of [`StoryFeaturizer::features`]`(text)`, lent from a per-thread buffer instead of
    /// allocated (`f` must not ask this thread for features again: that panics).
    pub fn with_features<R>(&self, text: &str, f: impl FnOnce(&[Feature]) -> R) -> R {
        thread_local! {
            static DISTINCT: std::cell::RefCell<Vec<Feature>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        DISTINCT.with(|distinct| {
            let out = &mut *distinct.borrow_mut();
            let distinct = FEATURE_BUFFERS.with(|buffers| {
                let (raw, buf) = &mut *buffers.borrow_mut();
                raw.clear();
                // About one feature per 4 bytes of text (words, names, bigrams), so rarely regrown.
                raw.reserve(text.len() / 4 + 16);
                self.visit(text, &mut |kind, hash, share| raw.push((hash, kind, share as f32)));
                radix_sort_by_key(raw, buf);
                count_runs(raw, out)
            });
            f(&out[..distinct])
        })
    }

    /// Distinct word, name and number features of one sentence (for evidence alignment).
    pub fn sentence_keys(&self, sentence: &str) -> Vec<u64> {
        let mut keys = Vec::new();
        self.visit(sentence, &mut |kind, hash, _| {
            if kind != Kind::Bigram {
                keys.push(hash);
            }
        });
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    fn analyse(&self, lower: &str) -> WordInfo {
        let t = tables();
        let stem = self.stemmer.stem(lower);
        let mut flags = 0;
        if t.stop.contains(lower) {
            flags |= STOP;
        }
        if lower.chars().nth(1).is_none() {
            flags |= SHORT;
        }
        let key = match number_word(lower) {
            Some(n) => {
                flags |= NUMBER;
                key(Kind::Number, n.as_bytes())
            }
            None => key(Kind::Word, stem.as_bytes()),
        };
        WordInfo { key, stem: xxh3_64_with_seed(stem.as_bytes(), STORY_SEED), share: stem_share(&stem) as f32, flags }
    }

    /// Calls `emit(kind, key, background share)` for every feature occurrence.
    fn visit(&self, text: &str, emit: &mut impl FnMut(Kind, u64, f64)) {
        WORD_CACHE.with(|cache| {
            let cache = &mut cache.borrow_mut();
            if text.is_ascii() {
                self.visit_ascii(text.as_bytes(), cache, emit)
            } else if let Some(ascii) = typographic_to_ascii(text) {
                self.visit_ascii(ascii.as_bytes(), cache, emit)
            } else {
                let folded = fold(text);
                if folded.is_ascii() {
                    // Folding is done, and leaves ASCII text as it is (no '`' is left).
                    self.visit_ascii(folded.as_bytes(), cache, emit)
                } else {
                    self.visit_folded(&folded, cache, emit)
                }
            }
        })
    }

    /// The word analysis of a lower-cased word: from this thread's table, else computed.
    #[inline]
    fn info(&self, lower: &[u8], cache: &mut WordTable) -> WordInfo {
        // Lower-cased ASCII or the UTF-8 of lower-cased chars: valid UTF-8 either way.
        cache.get_or_insert(hash_word(lower, STORY_SEED), || {
            self.analyse(std::str::from_utf8(lower).unwrap_or_default())
        })
    }

    /// [`StoryFeaturizer::visit`] for ASCII text: the same features as folding, tokenizing and
    /// analysing word by word ([`StoryFeaturizer::visit_folded`]), in two passes over the
    /// bytes without allocating (a test holds the two paths equal). The first pass splits the
    /// text into [`AsciiToken`]s and hashes each word, asking the memory for its table slot
    /// right away; the second looks the words up, by then mostly in the core's cache, and emits
    /// the features. Looking each word up as soon as it is read would wait for one slot at a time.
    fn visit_ascii(&self, b: &[u8], cache: &mut WordTable, emit: &mut impl FnMut(Kind, u64, f64)) {
        let mut tokens = std::mem::take(&mut cache.tokens);
        tokens.clear();
        ascii_tokens(b, &mut tokens, |hash| cache.prefetch(hash));
        let apostrophe = |c: u8| c == b'\'' || c == b'`';
        let mut prev: Option<(u64, f64)> = None;
        for &token in &tokens {
            match token {
                AsciiToken::Number(key) => {
                    emit(Kind::Number, key, NUMBER_SHARE);
                    prev = None;
                }
                AsciiToken::End => prev = None,
                AsciiToken::Word { hash, begin, end, sentence_start } => {
                    let word = &b[begin as usize..end as usize];
                    let info = cache.get_or_insert(hash, || {
                        let lower: Vec<u8> =
                            word.iter().filter(|x| !apostrophe(**x)).map(u8::to_ascii_lowercase).collect();
                        self.analyse(std::str::from_utf8(&lower).unwrap_or_default())
                    });
                    let letters = || word.iter().filter(|x| !apostrophe(**x));
                    let acronym = || letters().nth(1).is_some() && letters().all(|x| !x.is_ascii_lowercase());
                    let capitalised = word[0].is_ascii_uppercase();
                    self.emit_word(info, acronym, capitalised, sentence_start, &mut prev, emit);
                }
                AsciiToken::Long { begin, end, sentence_start } => {
                    // A 64-letter "word": rare enough for the general path.
                    let raw = &b[begin as usize..end as usize];
                    let folded = String::from_utf8_lossy(raw).replace('`', "'");
                    self.visit_word(&strip_apostrophe(&folded), sentence_start, &mut prev, cache, emit);
                }
            }
        }
        cache.tokens = tokens;
    }

    /// The general path of [`StoryFeaturizer::visit`], for a text already [`fold`]ed: tokenize
    /// char by char, analyse each word.
    fn visit_folded(&self, folded: &str, cache: &mut WordTable, emit: &mut impl FnMut(Kind, u64, f64)) {
        let mut prev: Option<(u64, f64)> = None;
        for token in tokens(folded) {
            let (word, sentence_start) = match token {
                Token::SentenceEnd => {
                    prev = None;
                    continue;
                }
                Token::Number(n) => {
                    emit(Kind::Number, key(Kind::Number, normalize_number(n).as_bytes()), NUMBER_SHARE);
                    prev = None;
                    continue;
                }
                Token::Word { text, sentence_start } => (strip_apostrophe(text), sentence_start),
            };
            self.visit_word(&word, sentence_start, &mut prev, cache, emit);
        }
    }

    /// Analyses one word token (apostrophe tail already stripped) and emits its features.
    fn visit_word(
        &self,
        word: &str,
        sentence_start: bool,
        prev: &mut Option<(u64, f64)>,
        cache: &mut WordTable,
        emit: &mut impl FnMut(Kind, u64, f64),
    ) {
        let mut lower = String::with_capacity(word.len());
        if word.is_ascii() {
            lower.push_str(word);
            lower.make_ascii_lowercase();
        } else {
            lower.extend(word.chars().flat_map(char::to_lowercase));
        }
        let info = self.info(lower.as_bytes(), cache);
        let acronym = || word.chars().nth(1).is_some() && word.chars().all(|c| !c.is_lowercase());
        let capitalised = word.starts_with(char::is_uppercase);
        self.emit_word(info, acronym, capitalised, sentence_start, prev, emit);
    }

    /// Emits a word's features (word, name, bigram with the previous word) or skips it
    /// (numbers named in words become number features; stopwords and single letters end a
    /// bigram run).
    #[inline]
    fn emit_word(
        &self,
        info: WordInfo,
        acronym: impl Fn() -> bool,
        capitalised: bool,
        sentence_start: bool,
        prev: &mut Option<(u64, f64)>,
        emit: &mut impl FnMut(Kind, u64, f64),
    ) {
        if info.flags & NUMBER != 0 {
            emit(Kind::Number, info.key, NUMBER_SHARE);
            *prev = None;
            return;
        }
        if info.flags & SHORT != 0 || (info.flags & STOP != 0 && !acronym()) {
            *prev = None;
            return;
        }
        let share = info.share as f64;
        emit(Kind::Word, info.key, share);
        if !sentence_start && capitalised {
            emit(Kind::Name, name_key(info.key), share);
        }
        if let Some((p, pshare)) = *prev {
            emit(Kind::Bigram, bigram_key(p, info.stem), pshare * share);
        }
        *prev = Some((info.stem, share));
    }
}

/// Corpus document frequencies of story features, in memory that grows with the features seen
/// at least twice: most features (bigrams above all) occur in one document only, and those are
/// only remembered in a Bloom filter. A feature the filter wrongly believes seen (about 1% of
/// them) counts one document too many.
///
/// The features are split into shards by their top bits, each with its own table and filter.
/// Between batches, each shard keeps a buffer of the features new to it (until
/// [`DocFrequencies::shrink_to_fit`]).
#[derive(Debug)]
pub struct DocFrequencies {
    shards: Vec<Shard>,
    /// Distinct texts counted (an exact copy of a counted text is not counted again), set by
    /// whoever fed the counts; 0 when unknown.
    pub texts: usize,
    /// Features staged in the shards ([`DocFrequencies::stage`]).
    staged: usize,
}

/// Shards of [`DocFrequencies`]: a power of two.
const DF_SHARD_BITS: u32 = 6;

/// The shard of [`DocFrequencies`] that counts `feature`: its top bits.
fn shard_index(feature: u64) -> usize {
    (feature >> (64 - DF_SHARD_BITS)) as usize
}

impl Default for DocFrequencies {
    fn default() -> Self {
        DocFrequencies { shards: (0..1 << DF_SHARD_BITS).map(|_| Shard::default()).collect(), texts: 0, staged: 0 }
    }
}

impl DocFrequencies {
    /// Counts one batch: the features of its documents, each document listing a feature once,
    /// in any order. Leaves the counts and Bloom filters as sorting the whole batch first and
    /// adding each run of equal features in turn would.
    pub fn add_batch(&mut self, features: &[u64]) {
        self.add_documents(&[features]);
    }

    /// [`DocFrequencies::add_batch`] of the documents' feature lists laid end to end (in any
    /// order), without laying them end to end.
    pub fn add_documents<D: AsRef<[u64]>>(&mut self, docs: &[D]) {
        self.stage(docs);
        self.flush();
    }

    /// Holds the features of `docs` (each listing a feature once) for the next
    /// [`DocFrequencies::flush`], which counts everything staged since the last one as one
    /// batch. Staging several batches and flushing them together counts each shard's features
    /// in one pass over its table (a few hundred KiB, which then stays in the core's cache)
    /// instead of one random access to the whole table per feature.
    pub fn stage<D: AsRef<[u64]>>(&mut self, docs: &[D]) {
        for doc in docs {
            let doc = doc.as_ref();
            for &h in doc {
                self.shards[shard_index(h)].staged.push(h);
            }
            self.staged += doc.len();
        }
    }

    /// Makes room to stage `features` (spread over the shards as hashes are) without regrowing.
    pub fn reserve_staged(&mut self, features: usize) {
        let per_shard = features / self.shards.len() + features / self.shards.len() / 8 + 64;
        for shard in &mut self.shards {
            shard.staged.reserve_exact(per_shard.saturating_sub(shard.staged.len()));
        }
    }

    /// Features staged and not counted yet.
    pub fn staged(&self) -> usize {
        self.staged
    }

    /// Counts everything staged, as one batch ([`DocFrequencies::add_batch`]).
    pub fn flush(&mut self) {
        for shard in &mut self.shards {
            shard.count_staged();
        }
        self.staged = 0;
    }

    /// The shard that counts `feature`.
    fn shard(&self, feature: u64) -> &Shard {
        &self.shards[shard_index(feature)]
    }

    /// Frees the scratch space [`DocFrequencies::add_batch`] keeps between batches (counting
    /// what is staged first); counting may go on after.
    pub fn shrink_to_fit(&mut self) {
        self.flush();
        for shard in &mut self.shards {
            shard.staged = Vec::new();
        }
    }

    /// Documents holding `feature`; 0 when it was never counted (a Bloom false positive, about
    /// 1%, reads as 1). Staged features are not counted until flushed.
    pub fn count(&self, feature: u64) -> u32 {
        debug_assert_eq!(self.staged, 0, "staged features flushed before counts are read");
        let shard = self.shard(feature);
        shard.counts.get(feature).unwrap_or_else(|| shard.seen_once.contains(feature) as u32)
    }

    /// Every feature held by two documents or more, with its count, in no particular order.
    pub fn counted(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.shards.iter().flat_map(|s| s.counts.iter())
    }

    /// Every feature counted, as Bloom filters: [`SeenFilter::contains`] is true for each
    /// (and for about 1% of the others), so that with [`DocFrequencies::counted`] it tells a
    /// feature held by one document from one held by none. Takes the counts' own filters.
    pub fn into_seen_filter(self) -> SeenFilter {
        let mut parts = Vec::new();
        for (shard, s) in self.shards.into_iter().enumerate() {
            for part in s.seen_once.parts.into_iter().filter(|p| p.items > 0) {
                let mut words = part.bits;
                // Folded (the upper half ORed onto the lower, which probes masked one bit
                // shorter read alike) while twice the bits a full part has per item remain,
                // and never below [`MIN_SEEN_WORDS`] (double hashing in m bits has only m^2 / 2
                // probe sets): a small corpus's filter is small, with false positives measured
                // at 0.01-0.1% against a full part's 1%.
                while words.len() > MIN_SEEN_WORDS && words.len() * 32 >= part.items * 2 * BLOOM_BITS_PER_ITEM {
                    let half = words.len() / 2;
                    let (low, high) = words.split_at_mut(half);
                    low.iter_mut().zip(high.iter()).for_each(|(l, h)| *l |= h);
                    words.truncate(half);
                }
                parts.push(SeenPart { shard: shard as u32, words });
            }
        }
        SeenFilter { parts }
    }

    /// Documents holding `feature`, for a feature of some input document (so at least 1).
    pub fn get(&self, feature: u64) -> u32 {
        debug_assert_eq!(self.staged, 0, "staged features flushed before counts are read");
        self.shard(feature).counts.get(feature).unwrap_or(1)
    }
}

#[derive(Debug, Default)]
struct Shard {
    counts: Counts,
    seen_once: Bloom,
    /// Incidences staged for the next flush.
    staged: Vec<u64>,
}

impl Shard {
    /// Counts the staged incidences as one batch and empties the stage (keeping its memory).
    /// A feature counted already is incremented at once: nearly all incidences are of features
    /// held by many documents (98% in a generated 100k-document corpus). The others, moved to
    /// the front of the stage as they are met (no second buffer to come by), are then sorted
    /// and added in hash order (the order the filter's growth depends on), so that the counts
    /// and the filter are as if the whole batch had been sorted and added run by run.
    fn count_staged(&mut self) {
        // The table may still be larger than the cache: entries are asked for a few ahead.
        const AHEAD: usize = 24;
        let mut staged = std::mem::take(&mut self.staged);
        let mut fresh = 0;
        for i in 0..staged.len() {
            if let Some(&next) = staged.get(i + AHEAD) {
                self.counts.prefetch(next);
            }
            let h = staged[i];
            match self.counts.get_mut(h) {
                Some(c) => *c += 1,
                None => {
                    // Behind `i`: only incidences counted already are overwritten.
                    staged[fresh] = h;
                    fresh += 1;
                }
            }
        }
        let fresh = &mut staged[..fresh];
        fresh.sort_unstable();
        // Each run's feature is new to the table (it was not counted in the batch, and runs
        // differ).
        for run in fresh.chunk_by(|a, b| a == b) {
            self.add_new(run[0], run.len() as u32);
        }
        staged.clear();
        self.staged = staged;
    }

    /// Adds `docs` documents holding `feature`, which the table does not count yet.
    fn add_new(&mut self, feature: u64, docs: u32) {
        if self.seen_once.contains(feature) {
            self.counts.insert(feature, docs + 1);
        } else if docs >= 2 {
            self.counts.insert(feature, docs);
        } else {
            self.seen_once.insert(feature);
        }
    }
}

/// Counts by feature hash: a flat open-addressing table of (hash, count) entries, probed
/// linearly from the hash's low bits (features are hashes already; a shard holds those that
/// share their top bits), at most three quarters full (so between 3/8 and 3/4: the tables are
/// most of a story scan's counting memory, and fresh memory costs time to come by). A lookup
/// of a counted feature mostly reads one cache line, where a general hash map would hash the
/// key again and read a control byte too.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// `(0, 0)`: an empty entry.
    entries: Vec<(u64, u32)>,
    len: usize,
    /// The count of feature 0, which cannot be told from an empty entry.
    zero: Option<u32>,
}

impl Counts {
    /// Asks the memory for the entry where `feature` would be looked for first.
    #[inline]
    fn prefetch(&self, feature: u64) {
        if !self.entries.is_empty() {
            prefetch(&self.entries[feature as usize & (self.entries.len() - 1)]);
        }
    }

    /// Where `feature` (not 0) is, or the empty entry where it would go.
    #[inline]
    fn find(&self, feature: u64) -> usize {
        let mask = self.entries.len() - 1;
        let mut i = feature as usize & mask;
        loop {
            let h = self.entries[i].0;
            if h == feature || h == 0 {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    pub(crate) fn get(&self, feature: u64) -> Option<u32> {
        if feature == 0 {
            return self.zero;
        }
        if self.entries.is_empty() {
            return None;
        }
        let e = self.entries[self.find(feature)];
        (e.0 != 0).then_some(e.1)
    }

    pub(crate) fn get_mut(&mut self, feature: u64) -> Option<&mut u32> {
        if feature == 0 {
            return self.zero.as_mut();
        }
        if self.entries.is_empty() {
            return None;
        }
        let i = self.find(feature);
        let e = &mut self.entries[i];
        (e.0 != 0).then_some(&mut e.1)
    }

    /// Stores a feature not counted yet.
    pub(crate) fn insert(&mut self, feature: u64, count: u32) {
        if feature == 0 {
            self.zero = Some(count);
            return;
        }
        if (self.len + 1) * 4 > self.entries.len() * 3 {
            let size = (self.entries.len() * 2).max(1024);
            let old = std::mem::replace(&mut self.entries, vec![(0, 0); size]);
            for e in old.into_iter().filter(|e| e.0 != 0) {
                let i = self.find(e.0);
                self.entries[i] = e;
            }
        }
        let i = self.find(feature);
        self.entries[i] = (feature, count);
        self.len += 1;
    }

    /// Every (feature, count), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.zero.map(|c| (0, c)).into_iter().chain(self.entries.iter().copied().filter(|e| e.0 != 0))
    }
}

/// A Bloom filter that grows: when its newest part is full, a part twice as large is added.
#[derive(Debug, Default)]
struct Bloom {
    parts: Vec<BloomPart>,
}

#[derive(Debug)]
struct BloomPart {
    bits: Vec<u64>,
    mask: u64,
    items: usize,
    capacity: usize,
}

/// Probes per item: about 1% false positives at [`BLOOM_BITS_PER_ITEM`] bits per item.
const BLOOM_PROBES: u64 = 7;
const BLOOM_BITS_PER_ITEM: usize = 10;
/// Smallest part of a [`SeenFilter`], in 64-bit words.
const MIN_SEEN_WORDS: usize = 8;

/// The bit positions of `h` in a Bloom filter part of `mask + 1` bits (a power of two). A part
/// folded to half its size answers with `mask >> 1`.
fn bloom_probes(h: u64, mask: u64) -> impl Iterator<Item = u64> {
    // Features are hashes already, but re-mixed so that structured inputs spread too.
    let h = mix(h.wrapping_add(GOLDEN));
    let step = h.rotate_left(32) | 1;
    (0..BLOOM_PROBES).map(move |i| h.wrapping_add(i.wrapping_mul(step)) & mask)
}

/// Whether every probe of `h` is set in a Bloom filter part of `words` 64-bit words (a power of
/// two), word `i` being `word(i)`: the one test of [`SeenFilter`] parts, in memory or in a file.
pub fn bloom_part_contains(h: u64, words: usize, word: impl Fn(usize) -> u64) -> bool {
    bloom_probes(h, words as u64 * 64 - 1).all(|b| word((b / 64) as usize) & (1 << (b % 64)) != 0)
}

/// The shard of [`DocFrequencies`] (and of a [`SeenFilter`]) that holds `feature`.
pub fn frequency_shard(feature: u64) -> u32 {
    shard_index(feature) as u32
}

/// The features a [`DocFrequencies`] saw, held by one document or more, as Bloom filter parts
/// per shard ([`DocFrequencies::into_seen_filter`]); kept in an index beside the counts of those held
/// by two or more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenFilter {
    pub parts: Vec<SeenPart>,
}

/// One part of a [`SeenFilter`]: the shard it answers for, and its bits (a power of two of
/// 64-bit words).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenPart {
    pub shard: u32,
    pub words: Vec<u64>,
}

impl SeenFilter {
    /// Whether `feature` was seen (true for every feature counted, false for about 99% of the
    /// others).
    pub fn contains(&self, feature: u64) -> bool {
        let shard = frequency_shard(feature);
        self.parts
            .iter()
            .filter(|p| p.shard == shard)
            .any(|p| bloom_part_contains(feature, p.words.len(), |i| p.words[i]))
    }
}

impl BloomPart {
    fn new(log2_bits: u32) -> Self {
        let bits = 1u64 << log2_bits;
        BloomPart {
            bits: vec![0; (bits / 64) as usize],
            mask: bits - 1,
            items: 0,
            capacity: bits as usize / BLOOM_BITS_PER_ITEM,
        }
    }
    /// The bit positions of `h` (the iterator holds no borrow of the part, so that its bits can
    /// be set while it runs).
    fn probes(&self, h: u64) -> impl Iterator<Item = u64> {
        bloom_probes(h, self.mask)
    }
    fn contains(&self, h: u64) -> bool {
        bloom_part_contains(h, self.bits.len(), |i| self.bits[i])
    }
}

impl Bloom {
    fn contains(&self, h: u64) -> bool {
        self.parts.iter().any(|p| p.contains(h))
    }
    fn insert(&mut self, h: u64) {
        let full = self.parts.last().is_none_or(|p| p.items >= p.capacity);
        if full {
            let log2 = self.parts.last().map_or(20, |p| (p.mask + 1).trailing_zeros() + 1);
            self.parts.push(BloomPart::new(log2));
        }
        let part = self.parts.last_mut().expect("a part exists");
        for b in part.probes(h) {
            part.bits[(b / 64) as usize] |= 1 << (b % 64);
        }
        part.items += 1;
    }
}

/// 1 + ln tf; the common small term frequencies from a table made once (the same values).
#[inline]
fn tf_weight(tf: u32) -> f64 {
    static SMALL: std::sync::LazyLock<[f64; 64]> =
        std::sync::LazyLock::new(|| std::array::from_fn(|tf| if tf == 0 { 0.0 } else { 1.0 + (tf as f64).ln() }));
    match SMALL.get(tf as usize) {
        Some(&w) if tf > 0 => w,
        _ => 1.0 + (tf as f64).ln(),
    }
}

/// Slots of a [`WeightMemo`] (log2): 16k features, 384 KiB.
const WEIGHT_MEMO_BITS: u32 = 14;

/// What [`Weighting::shared_vector`] remembers from one document to the next: the document
/// frequency and idf^2 of recent word, name and number features (a direct-mapped cache by
/// feature hash; the same features recur in document after document, and each lookup in the
/// frequency tables is a cache miss), and scratch space. Good for one [`DocFrequencies`] and one
/// [`Weighting`]: make a new one for another.
#[derive(Debug, Default)]
pub struct WeightMemo {
    slots: Vec<MemoSlot>,
    /// Each feature's weight and whether another document holds it too.
    weights: Vec<(f64, bool)>,
    split: KindSplit,
    entries: Vec<(u64, f32)>,
}

/// A [`WeightMemo`] entry; `df` 0 marks an empty one (a counted feature has df >= 1).
#[derive(Debug, Clone, Copy, Default)]
struct MemoSlot {
    hash: u64,
    df: u32,
    idf2: f64,
}

/// Turns features into unit-length weighted vectors, given corpus document frequencies.
#[derive(Debug, Clone, Copy)]
pub struct Weighting {
    /// Documents in the corpus.
    pub docs: usize,
}

/// A sparse unit vector: (feature hash, weight), sorted by hash.
pub type Vector = Vec<(u64, f32)>;

impl Weighting {
    /// idf of a feature held by `df` corpus documents, blended with the background table as
    /// [`BACKGROUND_DOCS`] pseudo-documents: ln((N + K + 1) / (df + K x share + 0.5)); > 0.
    pub fn idf(&self, df: u32, background: f32) -> f64 {
        let n = self.docs as f64;
        ((n + BACKGROUND_DOCS + 1.0) / (df as f64 + BACKGROUND_DOCS * background as f64 + 0.5)).ln()
    }

    /// The weight of a feature at term frequency 1: [`Weighting::idf`] squared, so that rare
    /// features (names, numbers, rare words) dominate a vector.
    #[inline]
    pub fn rarity(&self, df: u32, background: f32) -> f64 {
        self.idf(df, background).powi(IDF_POWER)
    }

    /// How much a feature no other document holds (df 1) counts in a vector's norm, against 1
    /// for a shared one: K / (N + K), the share of the evidence the [`BACKGROUND_DOCS`]
    /// pseudo-documents stand for. Such a feature can never be shared, and at idf^2 it would
    /// dominate the norm of a small corpus's vectors (where df 1 against df 10 weighs far more
    /// than in a large one), so that the same cosine floor would mean something else at every
    /// corpus size; a corpus too small to tell chance sharing apart (the background outweighs
    /// it) keeps most of their weight. 1 with no corpus (`docs` 0).
    #[inline]
    pub fn unshared_share(&self) -> f64 {
        BACKGROUND_DOCS / (self.docs as f64 + BACKGROUND_DOCS)
    }

    /// The entries of [`Weighting::vector`] whose feature other documents hold too (df >= 2 in
    /// `df`): the only ones a cosine with another document can use, with the same norm.
    /// `memo` keeps the frequencies and idf^2 of words, names and numbers from one document to
    /// the next: it must only ever be used with this `df` and this weighting.
    pub fn shared_vector(&self, features: &[Feature], df: &DocFrequencies, memo: &mut WeightMemo) -> Vector {
        const AHEAD: usize = 16;
        if memo.slots.is_empty() {
            memo.slots.resize(1 << WEIGHT_MEMO_BITS, MemoSlot::default());
        }
        let WeightMemo { slots, weights, split, entries } = memo;
        split.split(features);
        weights.clear();
        weights.resize(features.len(), (0.0, false));
        // Bigrams rarely recur: they are looked up in the tables, a few ahead so that the cache
        // misses overlap.
        for (j, &i) in split.bigrams.iter().enumerate() {
            if let Some(&next) = split.bigrams.get(j + AHEAD) {
                let next = features[next as usize].hash;
                df.shard(next).counts.prefetch(next);
            }
            let f = &features[i as usize];
            let d = df.get(f.hash);
            weights[i as usize] = (tf_weight(f.tf) * self.rarity(d, f.background), d >= 2);
        }
        let slot_of = |hash: u64| (hash.wrapping_mul(GOLDEN) >> (64 - WEIGHT_MEMO_BITS)) as usize;
        for (j, &i) in split.words.iter().enumerate() {
            // The same for words the memo does not hold (rare words, names, numbers).
            if let Some(&next) = split.words.get(j + AHEAD) {
                let next = features[next as usize].hash;
                let slot = &slots[slot_of(next)];
                if slot.df == 0 || slot.hash != next {
                    df.shard(next).counts.prefetch(next);
                }
            }
            let f = &features[i as usize];
            let slot = &mut slots[slot_of(f.hash)];
            if slot.df == 0 || slot.hash != f.hash {
                let d = df.get(f.hash);
                *slot = MemoSlot { hash: f.hash, df: d, idf2: self.rarity(d, f.background) };
            }
            weights[i as usize] = (tf_weight(f.tf) * slot.idf2, slot.df >= 2);
        }
        // Summed in feature order.
        let unshared = self.unshared_share();
        let norm = weights
            .iter()
            .fold(0.0f64, |sum, &(w, shared)| sum + if shared { w * w } else { unshared * w * w })
            .sqrt()
            .max(f64::MIN_POSITIVE);
        // The shared entries, gathered without a branch on each (every entry is written, the
        // next one overwrites it unless it is kept), then copied out at their exact size: a
        // block of these is held during verification.
        entries.resize(features.len() + 1, (0, 0.0));
        let mut kept = 0;
        for (f, &(w, keep)) in features.iter().zip(weights.iter()) {
            entries[kept] = (f.hash, ((w as f32) as f64 / norm) as f32);
            kept += usize::from(keep);
        }
        entries[..kept].to_vec()
    }

    /// The vector (1 + ln tf) x idf^2 of a document's features, divided by its norm, in which
    /// features held by no other document (df < 2) count [`Weighting::unshared_share`].
    pub fn vector(&self, features: &[Feature], df: &dyn Fn(u64) -> u32) -> Vector {
        let unshared = self.unshared_share();
        let mut norm = 0.0f64;
        let mut v: Vector = features
            .iter()
            .map(|f| {
                let d = df(f.hash);
                let w = tf_weight(f.tf) * self.rarity(d, f.background);
                let w2 = (w as f32 as f64) * (w as f32 as f64);
                norm += if d >= 2 { w2 } else { unshared * w2 };
                (f.hash, w as f32)
            })
            .collect();
        let norm = norm.sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|(_, w)| *w = (*w as f64 / norm) as f32);
        }
        v
    }
}

/// Number of features in a document's story sketch: its heaviest words, names and numbers
/// (bigrams are left to verification).
pub const SALIENT_FEATURES: usize = 100;

/// Two documents become story candidates when the features their sketches share add up to a
/// partial cosine (sum of weight products) of at least this share of the link floor.
pub const SKETCH_VOTE: f64 = 0.2;

/// Largest sketch bucket enumerated by default: a feature in more sketches than this is too
/// common to tell stories apart, and a bucket costs the square of its size.
pub const DEFAULT_MAX_BUCKET: usize = 100;

/// A story sketch: ([`short`] feature, [`quantize`]d weight in the unit vector), sorted by
/// feature (two features of one sketch may share a short form; both are kept).
pub type Sketched = Vec<(u32, u16)>;

/// A sketch weight (0..1) as kept: in 65535ths, and never 0, so that every shared feature adds
/// to a pair's sum. Sums of products of these are integers: exact, in any order.
#[inline]
pub fn quantize(w: f32) -> u16 {
    // Rounded half away from zero, as `f32::round` (a library call without SSE4.1): for y in
    // 0..=65535, `y - floor(y)` is exact.
    let y = w.clamp(0.0, 1.0) * 65535.0;
    let floor = y as u32;
    let rounded = floor + u32::from(y - floor as f32 >= 0.5);
    (rounded as u16).max(1)
}

/// The least sum of products of [`quantize`]d weights that reaches `min_dot` (a sum of
/// products of the weights they stand for).
pub fn dot_threshold(min_dot: f64) -> u64 {
    (min_dot.max(0.0) * 65535.0 * 65535.0).ceil() as u64
}

/// Entries of one [`Sketches`] chunk (6 MiB of them).
const SKETCH_CHUNK: usize = 1 << 20;

/// Many documents' sketches, document after document: the features and weights end to end in
/// chunks of at most 2^20 entries (a sketch never straddles two), 6 bytes an entry. A `Vec`
/// per document would take 8 (a `(u32, u16)` is padded), plus the vector and the allocator's
/// rounding, and a flat pair of vectors would copy everything as it grows.
#[derive(Debug, Default, Clone)]
pub struct Sketches {
    chunks: Vec<SketchChunk>,
    /// Per document: its chunk, and where its entries start and end in it.
    spans: Vec<(u32, u32, u32)>,
}

#[derive(Debug, Default, Clone)]
struct SketchChunk {
    hashes: Vec<u32>,
    weights: Vec<u16>,
}

impl Sketches {
    /// Adds the next document's sketch.
    pub fn push(&mut self, sketch: &[(u32, u16)]) {
        // Within both vectors' room: nothing is moved.
        let room = |c: &SketchChunk| c.hashes.capacity().min(c.weights.capacity());
        let fits = self.chunks.last().is_some_and(|c| c.hashes.len() + sketch.len() <= room(c));
        if !fits {
            let size = SKETCH_CHUNK.max(sketch.len());
            self.chunks.push(SketchChunk { hashes: Vec::with_capacity(size), weights: Vec::with_capacity(size) });
        }
        let at = self.chunks.len() - 1;
        let chunk = &mut self.chunks[at];
        let start = chunk.hashes.len();
        chunk.hashes.extend(sketch.iter().map(|e| e.0));
        chunk.weights.extend(sketch.iter().map(|e| e.1));
        self.spans.push((at as u32, start as u32, chunk.hashes.len() as u32));
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Document `d`'s sketch: its short features (sorted) and their quantized weights.
    pub fn get(&self, d: usize) -> (&[u32], &[u16]) {
        let (chunk, start, end) = self.spans[d];
        let chunk = &self.chunks[chunk as usize];
        (&chunk.hashes[start as usize..end as usize], &chunk.weights[start as usize..end as usize])
    }

    /// Every document's [`Sketches::get`], in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u32], &[u16])> + '_ {
        (0..self.len()).map(|d| self.get(d))
    }
}

impl<S: AsRef<[(u32, u16)]>> FromIterator<S> for Sketches {
    fn from_iter<I: IntoIterator<Item = S>>(sketches: I) -> Self {
        let mut all = Sketches::default();
        for s in sketches {
            all.push(s.as_ref());
        }
        all
    }
}

/// [`background_sketch`]'s per-thread buffers: weights, ranking keys, their copy to select
/// from, idf^2 by background share, and the positions of the features split by kind.
type SketchBuffers = (Vec<f32>, Vec<u64>, Vec<u64>, Vec<(u32, f64)>, KindSplit, Sketched);

/// Positions of a document's features, bigrams apart from the others, made without a branch on
/// each feature's kind (kinds come in no order once features are sorted by hash, so such a
/// branch would be mispredicted on a large share of features).
#[derive(Debug, Default)]
struct KindSplit {
    words: Vec<u32>,
    bigrams: Vec<u32>,
}

impl KindSplit {
    /// Splits `features` (fewer than 2^32).
    fn split(&mut self, features: &[Feature]) {
        let n = features.len();
        self.words.resize(n + 1, 0);
        self.bigrams.resize(n + 1, 0);
        let (words, bigrams) = (&mut self.words[..=n], &mut self.bigrams[..=n]);
        let (mut w, mut b) = (0, 0);
        for (i, f) in features.iter().enumerate() {
            let bigram = f.kind == Kind::Bigram;
            // Both written; only the one of the feature's kind is kept (the other is overwritten).
            words[w] = i as u32;
            bigrams[b] = i as u32;
            w += usize::from(!bigram);
            b += usize::from(bigram);
        }
        self.words.truncate(w);
        self.bigrams.truncate(b);
    }
}

/// A document's story sketch: the `max` heaviest word, name and number features of `features`
/// (sorted by hash, as [`StoryFeaturizer::features`] makes them), weighted by the background
/// table alone (their [`quantize`]d weights in `Weighting { docs: 0 }.vector(features, ..)`,
/// known as soon as the document is read), sorted by hash. Ties (of quantized weights) go to
/// the smaller hash, so the `k` heaviest entries of a sketch are the sketch made with `max` k.
/// Because the weights are those of the unit vector, the sum of products over shared sketch
/// features is (within the rounding) a lower bound of the two documents' cosine. The vector
/// itself is never built: weights stay in a per-thread buffer and are ranked as integers.
pub fn background_sketch(features: &[Feature], max: usize) -> Sketched {
    if max == 0 {
        return Vec::new();
    }
    thread_local! {
        static RANKED: std::cell::RefCell<SketchBuffers> = std::cell::RefCell::new(Default::default());
    }
    RANKED.with(|buffers| {
        let (weights, ranked, picked, memo, split, taken) = &mut *buffers.borrow_mut();
        let background = Weighting { docs: 0 };
        // idf^2 by background share: the same shares recur (a word's, a number's) in every text.
        // 2^14 slots (256 KiB) hold most of a corpus's word shares (14.5k distinct in 10k
        // generated documents: 16 misses in a document's ~290 lookups, against 52 with 2^12).
        const MEMO_BITS: u32 = 14;
        if memo.is_empty() {
            memo.resize(1 << MEMO_BITS, (u32::MAX, 0.0));
        }
        let mut idf2 = |share: f32| {
            let bits = share.to_bits();
            let slot = &mut memo[((bits as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - MEMO_BITS)) as usize];
            if slot.0 != bits {
                *slot = (bits, background.rarity(0, share));
            }
            slot.1
        };
        split.split(features);
        weights.clear();
        weights.resize(features.len(), 0.0);
        for &i in &split.words {
            let f = &features[i as usize];
            weights[i as usize] = (tf_weight(f.tf) * idf2(f.background)) as f32;
        }
        // A bigram's share (the product of its words') rarely recurs: not worth a memo slot.
        for &i in &split.bigrams {
            let f = &features[i as usize];
            weights[i as usize] = (tf_weight(f.tf) * background.rarity(0, f.background)) as f32;
        }
        // Summed in feature order.
        let norm = weights.iter().map(|&w| w as f64 * w as f64).fold(0.0f64, |sum, x| sum + x).sqrt();
        // Heavier first, then the smaller hash: as integers, the quantized weight inverted above
        // the feature's position
        // (features are sorted by hash, so positions order like hashes; a text under 4 GiB has
        // fewer than 2^32 features). Kept in that order.
        ranked.clear();
        ranked.extend(split.words.iter().map(|&i| {
            let w = weights[i as usize];
            let w = if norm > 0.0 { (w as f64 / norm) as f32 } else { w };
            ((u16::MAX - quantize(w)) as u64) << 32 | i as u64
        }));
        // The keys are distinct (the positions are): the `max` smallest are those up to the
        // max-th, and taking them in order leaves them sorted by hash.
        let last = if ranked.len() > max {
            picked.clear();
            picked.extend_from_slice(ranked);
            *picked.select_nth_unstable(max - 1).1
        } else {
            u64::MAX
        };
        // Taken without a branch on each entry (kept or not is as good as random): every entry
        // is written, and the next overwrites it unless it is kept.
        taken.resize(ranked.len() + 1, (0, 0));
        let mut kept = 0;
        for &k in ranked.iter() {
            taken[kept] = (short(features[k as u32 as usize].hash), u16::MAX - (k >> 32) as u16);
            kept += usize::from(k <= last);
        }
        taken[..kept].to_vec()
    })
}

/// Cosine of two unit vectors sorted by key.
pub fn cosine(a: &[(u64, f32)], b: &[(u64, f32)]) -> f64 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 as f64 * b[j].1 as f64;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_features(f: &StoryFeaturizer, text: &str, fast: bool) -> Vec<(Kind, u64, u64)> {
        let mut out = Vec::new();
        let mut emit = |k, h, share: f64| out.push((k, h, share.to_bits()));
        let cache = &mut WordTable::default();
        if fast {
            f.visit_ascii(text.as_bytes(), cache, &mut emit);
        } else {
            f.visit_folded(&fold(text), cache, &mut emit);
        }
        out
    }

    #[test]
    fn ascii_path_equals_the_general_path() {
        let f = StoryFeaturizer::default();
        let long: String = "x".repeat(70);
        let mut texts: Vec<String> = [
            "Putin's aides said the Kremlin's talks, on 1,200.00 tons at 10:30, were OFF. US and UN'S staff",
            "rock'n'roll o'clock dogs' I'm we'll Bill'll THEY'VE it`s Don`t. 3.14 and 1. and 2,5 and .5 twelve Twelve",
            "A b. C d! E? f\nG h I'd Ll 'quoted' ``double``",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        texts.push(format!("before {long} after {long}'s Mid"));
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
        for entry in std::fs::read_dir(seeds).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            texts.push(text.chars().filter(char::is_ascii).collect());
        }
        // Random mixtures of the characters the tokenizer treats specially.
        let alphabet = b"aZq9 0.,:'`!?\nAB -";
        let mut state = 7u64;
        for _ in 0..3000 {
            let len = 1 + (state % 40) as usize;
            let t: String = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    alphabet[((state >> 33) % alphabet.len() as u64) as usize] as char
                })
                .collect();
            texts.push(t);
        }
        for t in &texts {
            assert_eq!(all_features(&f, t, true), all_features(&f, t, false), "{t:?}");
        }
    }

    #[test]
    fn word_table_returns_the_analysis_of_every_word_through_growth_and_clearing() {
        let f = StoryFeaturizer::default();
        let same = |a: WordInfo, b: WordInfo| {
            a.key == b.key && a.stem == b.stem && a.share.to_bits() == b.share.to_bits() && a.flags == b.flags
        };
        let mut words: Vec<String> =
            ["the", "us", "twelve", "a", "running", "kremlin", "pezeshkian"].iter().map(|w| w.to_string()).collect();
        let mut state = 11u64;
        for i in 0..20_000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = 1 + (state >> 60) as usize;
            let w: String = (0..len).map(|j| (b'a' + ((state >> (j * 4 % 56)) % 26) as u8) as char).collect();
            words.push(format!("{w}{}", i % 7));
        }
        // Small bounds: the table grows twice, then is cleared again and again.
        let mut table = WordTable { max_slots: 1 << 14, ..WordTable::default() };
        for round in 0..2 {
            for w in &words {
                let got = f.info(w.as_bytes(), &mut table);
                assert!(same(got, f.analyse(w)), "{w} (round {round})");
                assert!(table.len * 2 <= table.slots.len() && table.slots.len() <= 1 << 14);
            }
        }
        // Common words repeated among new ones are found again.
        let mut table = WordTable::default();
        for (i, w) in words.iter().enumerate() {
            for common in &words[..7] {
                assert!(same(f.info(common.as_bytes(), &mut table), f.analyse(common)));
            }
            assert!(same(f.info(w.as_bytes(), &mut table), f.analyse(w)), "{i}");
        }
        assert_eq!(table.len, {
            let mut distinct = words.clone();
            distinct.sort();
            distinct.dedup();
            distinct.len()
        });
    }

    #[test]
    fn typographic_text_takes_the_ascii_path_with_the_same_features() {
        let f = StoryFeaturizer::default();
        let texts = [
            "Putin\u{2019}s aides said \u{201c}No\u{201d} \u{2014} twice\u{2026} Then 1\u{2013}2 \u{2018}Quoted\u{2019} it\u{2019}s",
            "A\u{a0}B\u{2009}C\u{2026}d e\u{2026}\u{2026}F \u{ab}Zitat\u{bb} o\u{2019}clock dogs\u{2019} Bill\u{2019}ll",
            "12\u{2026}5 and 3\u{2014}4, US\u{2019}S UN\u{2019}s \u{2015}x\u{2010}y\u{3000}z",
        ];
        for t in texts {
            let ascii = typographic_to_ascii(t).expect("only typographic characters");
            assert!(ascii.is_ascii());
            assert_eq!(all_features(&f, &ascii, true), all_features(&f, t, false), "{t:?}");
        }
        assert!(typographic_to_ascii("caf\u{e9}").is_none());
        assert!(typographic_to_ascii("\u{fb01}ne").is_none());
    }

    #[test]
    fn text_that_folds_to_ascii_takes_the_ascii_path_with_the_same_features() {
        let f = StoryFeaturizer::default();
        // Ligatures, full-width letters and digits, a superscript: NFKC makes them ASCII.
        let texts = [
            "The \u{fb01}nance minister of \u{ff34}\u{ff4f}\u{ff4b}\u{ff59}\u{ff4f} said \u{ff11}\u{ff12} banks failed.",
            "E = mc\u{b2}. O`Neill\u{2019}s \u{fb02}ight left at 10:30 - twelve Late",
        ];
        for t in texts {
            assert!(typographic_to_ascii(t).is_none() && fold(t).is_ascii(), "{t:?}");
            let via_visit: Vec<(Kind, u64, u64)> = {
                let mut out = Vec::new();
                f.visit(t, &mut |k, h, share: f64| out.push((k, h, share.to_bits())));
                out
            };
            assert_eq!(via_visit, all_features(&f, t, false), "{t:?}");
        }
    }

    #[test]
    fn tokens_track_sentence_starts_and_numbers() {
        let t = tokens("Putin met Raisi. Talks, 1,200 km \"Calm\" now\nNew line");
        assert_eq!(
            t,
            [
                Token::Word { text: "Putin", sentence_start: true },
                Token::Word { text: "met", sentence_start: false },
                Token::Word { text: "Raisi", sentence_start: false },
                Token::SentenceEnd,
                Token::Word { text: "Talks", sentence_start: true },
                Token::Number("1,200"),
                Token::Word { text: "km", sentence_start: false },
                Token::Word { text: "Calm", sentence_start: false },
                Token::Word { text: "now", sentence_start: false },
                Token::SentenceEnd,
                Token::Word { text: "New", sentence_start: true },
                Token::Word { text: "line", sentence_start: false },
            ]
        );
    }

    /// The straightforward definition of [`background_sketch`], given the vector: the `max`
    /// heaviest word, name and number features of `features` (weights from `vector`, same
    /// order), sorted by hash; ties go to the smaller hash.
    fn salient(features: &[Feature], vector: &[(u64, f32)], max: usize) -> Sketched {
        let mut ranked: Vec<(u64, u16)> = features
            .iter()
            .zip(vector)
            .filter(|(f, _)| f.kind != Kind::Bigram)
            .map(|(_, &(h, w))| (h, quantize(w)))
            .collect();
        let heavier_first = |a: &(u64, u16), b: &(u64, u16)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > max {
            ranked.select_nth_unstable_by(max, heavier_first);
        }
        let mut top: Vec<(u64, u16)> = ranked[..ranked.len().min(max)].to_vec();
        top.sort_unstable_by_key(|x| x.0);
        top.into_iter().map(|(h, q)| (short(h), q)).collect()
    }

    #[test]
    fn quantize_rounds_half_away_from_zero_as_f32_round_does() {
        let by_round = |w: f32| ((w.clamp(0.0, 1.0) * 65535.0).round() as u16).max(1);
        // Every half step of the scale (the ties), the floats next to them, and a sweep.
        let mut ws: Vec<f32> = (0..=2 * 65535u32).map(|k| k as f32 / (2.0 * 65535.0)).collect();
        let next: Vec<f32> =
            ws.iter().flat_map(|w| [f32::from_bits(w.to_bits() + 1), f32::from_bits(w.to_bits().max(1) - 1)]).collect();
        ws.extend(next);
        ws.extend([-1.0, -0.0, 0.0, 1.0, 2.0, f32::NAN, f32::INFINITY, f32::MIN_POSITIVE, 0.5 / 65535.0]);
        for w in ws {
            assert_eq!(quantize(w), by_round(w), "{w:e}");
        }
    }

    #[test]
    fn background_sketch_equals_the_salient_features_of_the_background_vector() {
        let f = StoryFeaturizer::default();
        let mut lists: Vec<Vec<Feature>> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds"))
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .map(|text| f.features(&text))
            .collect();
        // Ties: equal weights everywhere, broken by the smaller hash; and a few bigrams.
        let mut x = 3u64;
        for len in [0usize, 1, 5, 99, 100, 101, 250] {
            let mut v: Vec<Feature> = (0..len)
                .map(|i| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let kind = if i % 5 == 0 { Kind::Bigram } else { Kind::Word };
                    Feature { hash: x, kind, tf: 1 + (i % 3 == 0) as u32, background: [0.01, 0.2, 0.01][i % 3] }
                })
                .collect();
            v.sort_by_key(|f| f.hash);
            lists.push(v);
        }
        assert!(lists.iter().any(|l| l.len() > 300), "some long feature lists");
        for features in &lists {
            let vector = Weighting { docs: 0 }.vector(features, &|_| 0);
            for max in [0, 1, 7, 100, 1000] {
                assert_eq!(background_sketch(features, max), salient(features, &vector, max), "max {max}");
            }
        }
    }

    #[test]
    fn letters_end_stops_where_a_byte_by_byte_scan_does() {
        let mut x = 7u64;
        let alphabet = b"aZz`'@[{ 09.-\n\x7fA";
        for len in 0..40 {
            for _ in 0..50 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        // Mostly letters, so that runs cross the 8-byte steps.
                        if x >> 62 != 0 {
                            b'a' + (x >> 40) as u8 % 26
                        } else {
                            alphabet[(x >> 33) as usize % alphabet.len()]
                        }
                    })
                    .collect();
                for i in 0..=len {
                    let want = i + text[i..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
                    assert_eq!(letters_end(&text, i), want, "{:?} from {i}", String::from_utf8_lossy(&text));
                }
            }
        }
        // Every ASCII byte next to a letter.
        for c in 0u8..128 {
            let text = [b'q', c, b'q', b'q', b'q', b'q', b'q', b'q', b'q', b'q'];
            assert_eq!(letters_end(&text, 0), if c.is_ascii_alphabetic() { 10 } else { 1 }, "byte {c}");
        }
    }

    #[test]
    fn radix_sort_sorts_like_a_comparison_sort() {
        let mut x = 99u64;
        for len in [0usize, 5, 63, 64, 1000, 5000] {
            let mut v: Vec<(u64, u8, f32)> = (0..len)
                .map(|i| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    // Some repeated keys, some sharing high bytes.
                    let key = if i % 7 == 0 { 42 } else { x >> (i % 3 * 8) };
                    (key, (i % 4) as u8, i as f32)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|e| e.0); // stable, like the radix sort
            radix_sort_by_key(&mut v, &mut Vec::new());
            assert_eq!(v, want, "len {len}");
        }
    }

    #[test]
    fn count_runs_counts_each_run_once_after_a_longer_text() {
        let kind_of = |h: u64| if h % 2 == 0 { Kind::Word } else { Kind::Bigram };
        let occurrences = |hashes: &[u64]| -> Vec<(u64, Kind, f32)> {
            hashes.iter().map(|&h| (h, kind_of(h), h as f32 / 8.0)).collect()
        };
        // The naive way: one feature per distinct hash, counted.
        let naive = |sorted: &[(u64, Kind, f32)]| -> Vec<Feature> {
            let mut out: Vec<Feature> = Vec::new();
            for &(hash, kind, background) in sorted {
                match out.last_mut() {
                    Some(last) if last.hash == hash => last.tf += 1,
                    _ => out.push(Feature { hash, kind, tf: 1, background }),
                }
            }
            out
        };
        // The buffer is reused: a long text first, then shorter ones, then an empty one.
        let mut out = Vec::new();
        for hashes in
            [vec![1, 1, 2, 3, 3, 3, 5, 8, 8, 13, 21, 21, 21, 21], vec![7], vec![4, 4, 4], vec![0, 1, 2, 3], vec![]]
        {
            let sorted = occurrences(&hashes);
            let n = count_runs(&sorted, &mut out);
            assert_eq!(out[..n], naive(&sorted)[..], "{hashes:?}");
        }
    }

    #[test]
    fn features_survive_inflection_and_typography() {
        let f = StoryFeaturizer::default();
        let a = f.features("Officials said the Kremlin\u{2019}s talks were cancelled, 1,200 people waited.");
        let b = f.features("The official says that Kremlin's talk was cancelled; 1200 people were waiting.");
        let keys = |v: &[Feature]| v.iter().map(|x| x.hash).collect::<std::collections::BTreeSet<_>>();
        let shared = keys(&a).intersection(&keys(&b)).count();
        // offici, kremlin (word + name), talk, cancel, 1200, peopl, wait -> all shared.
        assert!(shared >= 8, "shared {shared}");
        assert!(a.windows(2).all(|w| w[0].hash < w[1].hash));
    }

    #[test]
    fn stopwords_are_dropped_but_acronyms_kept() {
        let f = StoryFeaturizer::default();
        assert!(f.features("the and of which would").is_empty());
        assert_eq!(f.features("US").len(), 1);
    }

    #[test]
    fn rare_words_weigh_more_than_common_ones() {
        let f = StoryFeaturizer::default();
        let feats = f.features("government Pezeshkian");
        let w = Weighting { docs: 5 };
        let idf: Vec<f64> = feats.iter().filter(|x| x.tf == 1).map(|x| w.idf(1, x.background)).collect();
        let common = w.idf(1, stem_share("govern") as f32);
        let rare = w.idf(1, stem_share("pezeshkian") as f32);
        assert!(rare > common * 1.2, "{rare} vs {common}");
        assert!(idf.iter().all(|&x| x > 0.0));
    }

    /// splitmix64 from `seed`: random-looking hashes.
    fn random_hashes(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x = x.wrapping_add(GOLDEN);
            mix(x)
        }
    }

    #[test]
    fn bloom_false_positives_stay_near_one_percent() {
        let mut next = random_hashes(11);
        let mut bloom = Bloom::default();
        // A full first part and a half-full second one.
        let capacity = BloomPart::new(20).capacity;
        let members: Vec<u64> = (0..capacity * 3 / 2).map(|_| next()).collect();
        members.iter().for_each(|&h| bloom.insert(h));
        assert_eq!(bloom.parts.len(), 2);
        assert!(members.iter().all(|&h| bloom.contains(h)));
        let probes = 400_000;
        let wrong = (0..probes).filter(|_| bloom.contains(next())).count();
        let rate = wrong as f64 / probes as f64;
        assert!(rate <= 0.01, "false-positive rate {rate}");

        // The same through DocFrequencies: features seen once, then unseen ones looked up.
        let mut df = DocFrequencies::default();
        for _ in 0..20 {
            let batch: Vec<u64> = (0..100_000).map(|_| next()).collect();
            df.add_batch(&batch);
        }
        let wrong = (0..probes).filter(|_| df.count(next()) != 0).count();
        let rate = wrong as f64 / probes as f64;
        assert!(rate <= 0.01, "false-positive rate {rate}");
    }

    #[test]
    fn counting_a_shard_matches_sorting_its_batch_first() {
        // The naive path: sort the batch, add each run of equal features in turn.
        fn naive(shard: &mut Shard, batch: &[u64]) {
            let mut sorted = batch.to_vec();
            sorted.sort_unstable();
            for run in sorted.chunk_by(|a, b| a == b) {
                let docs = run.len() as u32;
                match shard.counts.get_mut(run[0]) {
                    Some(c) => *c += docs,
                    None => shard.add_new(run[0], docs),
                }
            }
        }
        for (seed, vocabulary) in [(1u64, 50u64), (2, 5_000), (3, 200_000)] {
            let mut next = random_hashes(seed);
            let (mut fast, mut slow) = (Shard::default(), Shard::default());
            // Enough features that the Bloom filter grows a second part.
            for b in 0..40 {
                let mut batch: Vec<u64> = (0..10_000)
                    .map(|i| match i % 3 {
                        0 => next(),
                        1 => next() % vocabulary,
                        _ => b,
                    })
                    .collect();
                batch.push(0);
                naive(&mut slow, &batch);
                fast.staged.extend_from_slice(&batch);
                fast.count_staged();
            }
            let mut a: Vec<(u64, u32)> = fast.counts.iter().collect();
            let mut b: Vec<(u64, u32)> = slow.counts.iter().collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "vocabulary {vocabulary}");
            assert!(fast.seen_once.parts.len() >= 2);
            let bits = |s: &Shard| s.seen_once.parts.iter().map(|p| (p.items, p.bits.clone())).collect::<Vec<_>>();
            assert!(bits(&fast) == bits(&slow), "vocabulary {vocabulary}");
        }
    }

    #[test]
    fn document_frequencies_count_exactly_past_the_first_sighting() {
        let mut df = DocFrequencies::default();
        let batch: Vec<u64> = (0..200_000u64).map(|f| f.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        df.add_batch(&batch);
        let seven = 7u64.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        df.add_batch(&[seven]);
        df.add_batch(&[12345, seven, 12345, 12345, seven, 12345, seven]);
        assert_eq!(df.get(seven), 5);
        assert_eq!(df.get(12345), 4);
        // Seen once: 1, apart from the filter's rare false positives (never below 1).
        let ones = (0..200_000u64).filter(|f| df.get(f.wrapping_mul(0x9e37_79b9_7f4a_7c15)) == 1).count();
        assert!(ones >= 199_990, "{ones}");
    }

    #[test]
    fn documents_count_as_their_lists_laid_end_to_end() {
        // Three documents' lists (features repeated across them, some seen once) and a second
        // batch: the counts and the filter's state as adding the concatenation.
        let mut next = random_hashes(31);
        let pool: Vec<u64> = (0..5000).map(|_| next()).collect();
        let docs: Vec<Vec<u64>> = (0..3)
            .map(|d| {
                let mut v: Vec<u64> = pool.iter().copied().skip(d * 700).take(3000).collect();
                v.extend((0..500).map(|_| next()));
                v
            })
            .collect();
        let (mut apart, mut together) = (DocFrequencies::default(), DocFrequencies::default());
        for round in 0..2 {
            apart.add_documents(&docs[round..]);
            together.add_batch(&docs[round..].concat());
        }
        let sorted = |df: &DocFrequencies| {
            let mut v: Vec<(u64, u32)> = df.counted().collect();
            v.sort_unstable();
            v
        };
        assert!(sorted(&apart).len() > 3000);
        assert_eq!(sorted(&apart), sorted(&together));
        let probes: Vec<u64> = (0..20_000).map(|_| next()).chain(docs.concat()).collect();
        assert!(probes.iter().all(|&h| apart.count(h) == together.count(h)));
    }

    #[test]
    fn batches_staged_and_flushed_together_count_as_one_batch() {
        // Three batches staged, then flushed: the counts and filters of one batch of all three;
        // and staging again after a flush goes on from there.
        let mut next = random_hashes(47);
        let pool: Vec<u64> = (0..4000).map(|_| next()).collect();
        let batches: Vec<Vec<Vec<u64>>> = (0..4)
            .map(|b| {
                (0..3)
                    .map(|d| {
                        let mut v: Vec<u64> = pool.iter().copied().skip(b * 300 + d * 500).take(2000).collect();
                        v.extend((0..400).map(|_| next()));
                        v
                    })
                    .collect()
            })
            .collect();
        let (mut staged, mut whole) = (DocFrequencies::default(), DocFrequencies::default());
        staged.reserve_staged(1000);
        for batch in &batches[..3] {
            staged.stage(batch);
        }
        assert_eq!(staged.staged(), batches[..3].iter().flatten().map(Vec::len).sum::<usize>());
        staged.flush();
        assert_eq!(staged.staged(), 0);
        staged.stage(&batches[3]);
        staged.shrink_to_fit();
        whole.add_batch(&batches[..3].concat().concat());
        whole.add_documents(&batches[3]);
        let sorted = |df: &DocFrequencies| {
            let mut v: Vec<(u64, u32)> = df.counted().collect();
            v.sort_unstable();
            v
        };
        assert!(sorted(&whole).len() > 3000);
        assert_eq!(sorted(&staged), sorted(&whole));
        let probes: Vec<u64> = (0..20_000).map(|_| next()).chain(batches.concat().concat()).collect();
        assert!(probes.iter().all(|&h| staged.count(h) == whole.count(h)));
    }

    #[test]
    fn counts_table_agrees_with_a_hash_map() {
        let mut table = Counts::default();
        let mut map: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
        let mut x = 5u64;
        for i in 0..100_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // Repeats, feature 0, and keys that share their low bits (long probe runs).
            let f = match i % 5 {
                0 => x % 3000,
                1 => (x % 64) << 40,
                _ => x,
            };
            match table.get_mut(f) {
                Some(c) => *c += 1,
                None => table.insert(f, 1),
            }
            *map.entry(f).or_insert(0) += 1;
        }
        assert_eq!(table.get(0), map.get(&0).copied());
        assert_eq!(table.len + table.zero.is_some() as usize, map.len());
        for (&f, &c) in &map {
            assert_eq!(table.get(f), Some(c), "{f}");
        }
        let mut all: Vec<(u64, u32)> = table.iter().collect();
        let mut want: Vec<(u64, u32)> = map.into_iter().collect();
        all.sort_unstable();
        want.sort_unstable();
        assert_eq!(all, want);
        assert_eq!(table.get(u64::MAX - 1), None);
        assert_eq!(Counts::default().get(7), None);
    }

    #[test]
    fn shared_vectors_through_a_reused_memo_equal_fresh_ones_and_the_full_vector() {
        // Synthetic words (a few thousand, so that memo slots are shared and overwritten).
        let mut next = random_hashes(5);
        let word = |n: u64| format!("Zq{}x", n % 3000);
        let texts: Vec<String> = (0..60)
            .map(|_| (0..120).map(|_| word(next())).collect::<Vec<_>>().join(" ") + ". Moscow said 12 ships left.")
            .collect();
        let f = StoryFeaturizer::default();
        let features: Vec<Vec<Feature>> = texts.iter().map(|t| f.features(t)).collect();
        let mut df = DocFrequencies::default();
        for x in &features {
            df.add_batch(&x.iter().map(|f| f.hash).collect::<Vec<u64>>());
        }
        let w = Weighting { docs: texts.len() };
        let mut memo = WeightMemo::default();
        for x in &features {
            let reused = w.shared_vector(x, &df, &mut memo);
            assert_eq!(reused, w.shared_vector(x, &df, &mut WeightMemo::default()));
            let full = w.vector(x, &|h| df.get(h));
            let expected: Vec<&(u64, f32)> = full.iter().filter(|(h, _)| df.get(*h) >= 2).collect();
            assert!(!expected.is_empty());
            assert_eq!(reused.len(), expected.len());
            for (a, b) in reused.iter().zip(expected) {
                assert_eq!(a.0, b.0);
                assert!((a.1 - b.1).abs() < 1e-6, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_seen_filter_holds_every_counted_feature_and_few_others_at_any_size() {
        let mut next = random_hashes(11);
        for docs in [1usize, 3, 40, 2_000] {
            // Each document: 300 features of its own and 30 of a shared pool.
            let pool: Vec<u64> = (0..60).map(|_| next()).collect();
            let mut df = DocFrequencies::default();
            let mut held = Vec::new();
            for d in 0..docs {
                let mut features: Vec<u64> = (0..300).map(|_| next()).collect();
                features.extend(pool.iter().skip(d % 30).take(30));
                held.extend_from_slice(&features);
                df.add_batch(&features);
            }
            let filter = df.into_seen_filter();
            assert!(held.iter().all(|&h| filter.contains(h)), "{docs} documents: a held feature is missing");
            let trials = 100_000;
            let false_positives = (0..trials).filter(|_| filter.contains(next())).count();
            assert!(false_positives * 1000 < trials, "{docs} documents: {false_positives} of {trials}");
            // Folded to the corpus: a few dozen bits a distinct feature, however large the
            // counting filters started (2^20 bits a shard).
            let bits: usize = filter.parts.iter().map(|p| p.words.len() * 64).sum();
            let distinct = docs * 300 + 60;
            assert!(
                bits <= (distinct * 2 * BLOOM_BITS_PER_ITEM * 2).max(64 * MIN_SEEN_WORDS * 64),
                "{docs}: {bits} bits"
            );
            assert!(filter.parts.iter().all(|p| p.words.len().is_power_of_two() && p.words.len() >= MIN_SEEN_WORDS));
        }
    }

    #[test]
    fn unshared_features_count_in_the_norm_as_much_as_the_background_outweighs_the_corpus() {
        // Two reports of one event, each with words of its own that no other document holds.
        let f = StoryFeaturizer::default();
        let event = "Moscow said 12 warships left Sevastopol on Tuesday, Admiral Volkov told reporters.";
        let a = f.features(&format!("{event} Zqaone zqatwo zqathree zqafour zqafive zqasix."));
        let b = f.features(&format!("{event} Zqbone zqbtwo zqbthree zqbfour zqbfive zqbsix."));
        let in_b: std::collections::HashSet<u64> = b.iter().map(|x| x.hash).collect();
        let shared: std::collections::HashSet<u64> = a.iter().map(|x| x.hash).filter(|h| in_b.contains(h)).collect();
        assert!(shared.len() >= 5 && shared.len() < a.len() && shared.len() < b.len());
        let df = |h: u64| if shared.contains(&h) { 2 } else { 1 };
        let mut cosines = Vec::new();
        for docs in [0, 5, 100, 10_000, 1_000_000] {
            let w = Weighting { docs };
            let share = w.unshared_share();
            assert!((share - BACKGROUND_DOCS / (docs as f64 + BACKGROUND_DOCS)).abs() < 1e-12);
            let (va, vb) = (w.vector(&a, &df), w.vector(&b, &df));
            for v in [&va, &vb] {
                let norm2: f64 =
                    v.iter().map(|&(h, x)| (x as f64).powi(2) * if shared.contains(&h) { 1.0 } else { share }).sum();
                assert!((norm2 - 1.0).abs() < 1e-5, "{docs} documents: {norm2}");
            }
            cosines.push(cosine(&va, &vb));
        }
        // No corpus: every feature counts in full. The larger the corpus, the surer it is that
        // those words are the reports' own, and the less they hide what the two share.
        assert_eq!(Weighting { docs: 0 }.unshared_share(), 1.0);
        assert!(cosines.windows(2).all(|c| c[1] > c[0]), "{cosines:?}");
        assert!(cosines[0] < 0.8 && cosines[4] > 0.99, "{cosines:?}");
    }

    #[test]
    fn kind_split_keeps_each_position_once_in_order_after_a_longer_list() {
        let feature = |kind| Feature { hash: 1, kind, tf: 1, background: 0.5 };
        let mut split = KindSplit::default();
        let long: Vec<Feature> =
            [Kind::Bigram, Kind::Word, Kind::Bigram, Kind::Bigram, Kind::Name, Kind::Number, Kind::Bigram]
                .into_iter()
                .map(feature)
                .collect();
        split.split(&long);
        assert_eq!((split.words.as_slice(), split.bigrams.as_slice()), (&[1, 4, 5][..], &[0, 2, 3, 6][..]));
        split.split(&[feature(Kind::Word), feature(Kind::Word)]);
        assert_eq!((split.words.as_slice(), split.bigrams.as_slice()), (&[0, 1][..], &[][..]));
        split.split(&[]);
        assert!(split.words.is_empty() && split.bigrams.is_empty());
    }

    #[test]
    fn sketches_give_back_every_sketch_across_chunks() {
        // Sketches of 0 to 150 entries, past the first chunk, then one larger than a chunk, then
        // small ones again.
        let mut next = random_hashes(17);
        let mut want: Vec<Sketched> = Vec::new();
        let mut total = 0;
        while total < SKETCH_CHUNK + 5_000 {
            let s: Sketched = (0..next() % 151).map(|i| (short(next()), i as u16)).collect();
            total += s.len();
            want.push(s);
        }
        want.push((0..SKETCH_CHUNK as u32 + 3).map(|h| (h, 32768)).collect());
        want.extend((0..3u32).map(|d| vec![(d, 65535); d as usize]));
        let table: Sketches = want.iter().collect();
        assert_eq!(table.len(), want.len());
        assert!(table.chunks.len() >= 3, "{} chunks", table.chunks.len());
        for (d, (hashes, weights)) in table.iter().enumerate() {
            let got: Sketched = hashes.iter().copied().zip(weights.iter().copied()).collect();
            assert_eq!(got, want[d], "document {d}");
        }
    }

    #[test]
    fn cosine_of_unit_vectors() {
        let w = Weighting { docs: 10 };
        let f = StoryFeaturizer::default();
        let a = w.vector(&f.features("Putin Raisi drones Israel retaliation"), &|_| 2);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
        let b = w.vector(&f.features("Bakery prices flour Lisbon"), &|_| 2);
        assert_eq!(cosine(&a, &b), 0.0);
    }
}
