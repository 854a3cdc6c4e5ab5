//! Searching citizens' comments the way Vietnamese staff type: without caring about tone
//! marks, capitals, the kind of space or invisible characters ("can bo" finds "Cán bộ",
//! "DUONG" finds "đường"), and only in what the reader may see.
//!
//! A comment's search key is its *masked* text (`privacy::mask_personal`) made plain:
//! compatibility-decomposed (NFKD: full-width letters and digits become ASCII ones), tone and
//! vowel marks dropped, đ → d, lower case, invisible characters dropped, every run of spaces,
//! line breaks or control characters one space. The key is stored beside the comment when it
//! is written, with [`KEY_VERSION`]; a reader's words are made plain the same way and looked
//! for in the keys. So a search can only find what the masked page shows: digits or an address
//! that masking hides are not in any key.
//!
//! Everything here reads characters once and advances at every step.

use std::ops::Range;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::privacy::mask_personal;
use super::text::is_invisible;

/// The version of the key's rules (masking and plain-making). Keys of an older version are
/// rebuilt at start-up and are not searched until then.
pub const KEY_VERSION: i16 = 1;

/// Longest search accepted, in characters (longer words are cut here, not refused).
pub const WORDS_MAX: usize = 100;

/// The search key of a comment: its masked text, made plain.
pub fn key(comment: &str) -> String {
    plain(&mask_personal(comment))
}

/// Text made plain for matching (see the module's header).
pub fn plain(s: &str) -> String {
    plain_mapped(s).into_iter().map(|(c, _)| c).collect()
}

/// Each character of the plain text with the byte range of the character of `s` it came
/// from (several plain characters may come from one, as "ǆ" → "dz").
fn plain_mapped(s: &str) -> Vec<(char, Range<usize>)> {
    let mut out: Vec<(char, Range<usize>)> = Vec::with_capacity(s.len());
    let mut pending_space: Option<Range<usize>> = None;
    for (at, c) in s.char_indices() {
        let from = at..at + c.len_utf8();
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            if !out.is_empty() && pending_space.is_none() {
                pending_space = Some(from);
            }
            continue;
        }
        let before = out.len();
        for d in std::iter::once(c).nfkd() {
            if is_combining_mark(d) || is_invisible(d) {
                continue;
            }
            if d.is_whitespace() {
                // A compatibility space (NFKD of U+00A0 is a space): one space, as above.
                if !out.is_empty() && pending_space.is_none() {
                    pending_space = Some(from.clone());
                }
                continue;
            }
            let d = match d {
                'đ' | 'Đ' => 'd',
                other => other,
            };
            for l in d.to_lowercase() {
                if is_combining_mark(l) {
                    continue;
                }
                if out.len() > before || pending_space.is_none() {
                    out.push((l, from.clone()));
                } else if let Some(space) = pending_space.take() {
                    out.push((' ', space));
                    out.push((l, from.clone()));
                }
            }
        }
    }
    out
}

/// The reader's words made plain, at most [`WORDS_MAX`] characters of them; `None` when
/// nothing is left to look for.
pub fn words(typed: &str) -> Option<String> {
    let cut: String = typed.chars().take(WORDS_MAX).collect();
    let p = plain(&cut);
    (!p.is_empty()).then_some(p)
}

/// A SQL `LIKE` pattern that finds `plain_words` anywhere in a key (its `%`, `_` and `\`
/// matched literally).
pub fn like_pattern(plain_words: &str) -> String {
    let mut p = String::with_capacity(plain_words.len() + 2);
    p.push('%');
    for c in plain_words.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Where `plain_words` occur in `shown` (the masked text as the page shows it), as byte
/// ranges of `shown`, in order and not overlapping: what the page marks as the match.
pub fn matches(shown: &str, plain_words: &str) -> Vec<Range<usize>> {
    let needle: Vec<char> = plain_words.chars().collect();
    if needle.is_empty() {
        return Vec::new();
    }
    let hay = plain_mapped(shown);
    let chars: Vec<char> = hay.iter().map(|(c, _)| *c).collect();
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    // Naive search is O(n·m) with m ≤ WORDS_MAX and n ≤ a comment's length: bounded.
    while i + needle.len() <= chars.len() {
        if chars[i..i + needle.len()] == needle[..] {
            let start = hay[i].1.start;
            let end = hay[i + needle.len() - 1].1.end;
            match out.last_mut() {
                // Several plain characters from one shown character: one range.
                Some(last) if last.end > start => last.end = last.end.max(end),
                _ => out.push(start..end),
            }
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

/// `shown` cut into pieces, each marked as part of a match or not (for the template).
pub fn highlight<'a>(shown: &'a str, plain_words: &str) -> Vec<(&'a str, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    for r in matches(shown, plain_words) {
        if r.start > at {
            out.push((&shown[at..r.start], false));
        }
        out.push((&shown[r.start.max(at)..r.end], true));
        at = r.end;
    }
    if at < shown.len() || out.is_empty() {
        out.push((&shown[at..], false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::vietnamese;
    use proptest::prelude::*;

    #[test]
    fn words_match_without_tones_capitals_or_odd_spaces() {
        assert_eq!(plain("Cán bộ  THÁI\u{A0}độ"), "can bo thai do");
        assert_eq!(plain("Đường Lê Lợi"), "duong le loi");
        assert_eq!(plain("Thu\u{309} tu\u{323}c"), plain("Thủ tục"));
        assert_eq!(plain("ｓố１２"), "so12");
        assert_eq!(plain("a\u{200B}b\r\n\tc"), "ab c");
        assert_eq!(words("  "), None);
        assert_eq!(words("Chờ LÂU").as_deref(), Some("cho lau"));
        assert_eq!(like_pattern("50%_x\\"), "%50\\%\\_x\\\\%");
    }

    #[test]
    fn the_key_holds_only_what_the_masked_text_shows() {
        let k = key("Gọi 0912 345 678 hoặc an@gmail.com, chờ lâu");
        assert!(
            !k.contains("0912") && !k.contains("345") && !k.contains("gmail"),
            "{k}"
        );
        assert!(
            k.contains("cho lau") && k.contains("so dien thoai da an"),
            "{k}"
        );
    }

    #[test]
    fn matches_are_found_on_the_shown_text() {
        let shown = "Cán bộ Thái độ tốt, cán  bộ nhanh";
        let words = words("can bo").unwrap();
        let hits: Vec<&str> = matches(shown, &words)
            .into_iter()
            .map(|r| &shown[r])
            .collect();
        assert_eq!(hits, ["Cán bộ", "cán  bộ"]);
        let pieces = highlight(shown, &words);
        assert_eq!(pieces[0], ("Cán bộ", true));
        assert_eq!(pieces.iter().map(|p| p.0).collect::<String>(), shown);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(2026), ..ProptestConfig::default() })]

        /// On any text: the key is plain and stable, every match lies on character
        /// boundaries of the shown text, and the pieces put back together are the text.
        #[test]
        fn search_holds_on_any_vietnamese_text(
            text in proptest::collection::vec(any::<u8>(), 0..800),
            typed in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let shown = vietnamese::text(&text);
            let k = plain(&shown);
            prop_assert_eq!(plain(&k), k.clone(), "plain is idempotent");
            prop_assert!(!k.chars().any(|c| c.is_control() || is_invisible(c) || is_combining_mark(c)));
            prop_assert!(!k.contains("  ") && !k.starts_with(' ') && !k.ends_with(' '));
            if let Some(w) = words(&vietnamese::text(&typed)) {
                let found = matches(&shown, &w);
                for r in &found {
                    prop_assert!(shown.is_char_boundary(r.start) && shown.is_char_boundary(r.end));
                    prop_assert!(plain(&shown[r.clone()]).contains(&w));
                }
                prop_assert_eq!(!found.is_empty(), k.contains(&w));
                let rebuilt: String = highlight(&shown, &w).into_iter().map(|p| p.0).collect();
                prop_assert_eq!(rebuilt, shown.clone());
            }
        }
    }
}
