//! Normalization: original text in, folded text out (NFKC, lower case, one kind of quote and
//! dash, single spaces). Digits are kept. The original is never modified; reports quote it.

use unicode_normalization::UnicodeNormalization;

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
    fn words_split_on_punctuation() {
        let w: Vec<_> = words("the \"quick\"-fox's den, 2024").collect();
        assert_eq!(w, ["the", "quick", "fox", "s", "den", "2024"]);
    }
}
