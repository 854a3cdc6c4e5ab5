//! The rules for text that comes from outside, in one place: which characters are control
//! characters (refused at every door), which are invisible or reorder text (removed where they
//! could deceive a reader), how a value is clipped for a message, how free text is cleaned, and
//! how a value becomes one line (e-mail headers, CSV cells).
//!
//! Everything here works on characters, never on byte offsets taken from another string, and
//! every loop advances by at least one character: a text of n characters costs O(n).

use unicode_normalization::UnicodeNormalization;

/// A bidirectional control: embeddings, overrides, isolates, and the marks. In a comment they
/// let a writer make a staff page show text in another order than it was typed ("Trojan
/// Source", CVE-2021-42574); Vietnamese never needs them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{61C}')
}

/// A character that shows nothing: Unicode's default-ignorable code points (zero-width spaces
/// and joiners, the word joiner, the byte order mark, the soft hyphen, the combining grapheme
/// joiner, Hangul fillers, variation selectors, Mongolian free variation selectors, invisible
/// operators, tag characters, the bidi controls …) and the braille blank. Inside a number or
/// an address they hide it from a pattern without changing what a reader sees.
pub fn is_invisible(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{AD}'
                | '\u{34F}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// A control character (Unicode Cc: C0, DEL, C1) other than the line breaks and tab that
/// multi-line text may hold.
pub fn is_refused_control(c: char, multiline: bool) -> bool {
    c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))
}

/// The first refused control character of `s`: its position (1-based, in characters) and
/// the character, for a message that names where it is.
pub fn first_control(s: &str, multiline: bool) -> Option<(usize, char)> {
    s.chars()
        .enumerate()
        .find(|&(_, c)| is_refused_control(c, multiline))
        .map(|(i, c)| (i + 1, c))
}

/// How a refused character is named in a message: `U+0000`.
pub fn codepoint(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// At most `max` characters of a value, for a message that quotes what was sent (never the
/// whole of an unbounded input); an ellipsis says when something was cut. Control and
/// invisible characters are shown as their code point, so a quote cannot break a line or a
/// header or reorder the message around it.
pub fn clip(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() || is_invisible(c) {
            out.push_str(&codepoint(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Free text as stored (a comment): NFC (a phone may send "ủ" as u + two combining marks),
/// line breaks unified to `\n`, the bidi controls removed, trimmed. Control characters are
/// refused before this (see [`first_control`]); any left are dropped all the same.
pub fn clean_multiline(s: &str) -> String {
    let unified = s.replace("\r\n", "\n").replace('\r', "\n");
    // Removed before composing: a mark after a removed control composes with its letter.
    let kept: String = unified
        .chars()
        .filter(|&c| !is_bidi_control(c) && !is_refused_control(c, true))
        .nfc()
        .collect();
    kept.trim().to_owned()
}

/// A value made to fit on one line (a name in an e-mail header, a title): every control
/// character, line or paragraph separator becomes a space, invisible characters go, runs of
/// white space become one space, NFC, trimmed.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    let visible: String = s.chars().filter(|&c| !is_invisible(c)).collect();
    for c in visible.nfc() {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// What is shown of a citizen's text on a page: the bidi controls removed (older rows were
/// stored before the door removed them).
pub fn without_bidi_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(is_bidi_control) {
        std::borrow::Cow::Owned(s.chars().filter(|&c| !is_bidi_control(c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::vietnamese;
    use proptest::prelude::*;

    #[test]
    fn control_characters_are_found_and_named_by_position() {
        assert_eq!(first_control("Tốt\u{0}", false), Some((4, '\0')));
        assert_eq!(first_control("a\nb", true), None);
        assert_eq!(first_control("a\nb", false), Some((2, '\n')));
        assert_eq!(first_control("Quầy 1\u{85}", true), Some((7, '\u{85}')));
        assert_eq!(
            first_control("Quầy\u{202E}số", false),
            None,
            "bidi is not Cc"
        );
        assert_eq!(codepoint('\0'), "U+0000");
    }

    #[test]
    fn clipping_counts_characters_and_shows_what_is_invisible() {
        assert_eq!(clip("Thủ tục", 3), "Thủ…");
        assert_eq!(clip("ab", 3), "ab");
        assert_eq!(clip("a\r\nb\u{202E}", 10), "aU+000DU+000AbU+202E");
    }

    #[test]
    fn free_text_is_cleaned_of_what_deceives() {
        assert_eq!(
            clean_multiline("  Thu\u{309} tu\u{323}c\r\nrất \u{202E}tốt\r "),
            "Thủ tục\nrất tốt"
        );
        assert_eq!(
            one_line("Nguyễn\r\nBcc: x@y.vn\u{2028}An"),
            "Nguyễn Bcc: x@y.vn An"
        );
        assert_eq!(one_line("\u{200B}  A\u{A0}\u{A0}B  "), "A B");
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 512,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(2026),
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn the_transformations_hold_on_any_vietnamese_text(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let s = vietnamese::text(&bytes);
            let n = s.chars().count();
            let clipped = clip(&s, 40);
            prop_assert!(clipped.chars().count() <= 40 * 6 + 1);
            prop_assert!(!clipped.chars().any(|c| c.is_control() || is_invisible(c)));
            let clean = clean_multiline(&s);
            prop_assert!(!clean.chars().any(|c| is_bidi_control(c) || is_refused_control(c, true) || c == '\r'));
            prop_assert_eq!(clean_multiline(&clean), clean.clone(), "idempotent");
            prop_assert!(clean.chars().count() <= n * 3);
            let line = one_line(&s);
            let breaks = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_invisible(c);
            prop_assert!(!line.chars().any(breaks), "one line: {:?}", line);
            prop_assert!(!line.starts_with(' ') && !line.ends_with(' ') && !line.contains("  "));
            prop_assert_eq!(one_line(&line), line.clone(), "idempotent");
        }
    }
}
