//! Text as Vietnamese citizens and spreadsheets really produce it, made from arbitrary bytes:
//! the same bytes always give the same text, so a fuzzer's mutations and a property test's
//! shrinking work on it. Every text path's tests and fuzz targets draw from here, so none of
//! them is tried on ASCII alone.
//!
//! The alphabet holds precomposed letters with every tone and the decomposed spelling of the
//! same letters (base + combining marks, as some phone keyboards send them), đ/Đ, digits
//! (ASCII and full-width), the punctuation numbers and formulas are made of (`+ ( ) - . , ;
//! = @ | ' "`), every kind of space and line break, invisible characters (zero-width, BOM, soft
//! hyphen), the bidi controls of "Trojan Source", emoji (with skin tones, ZWJ sequences, flags),
//! C0/C1 control characters, and whole words and number fragments, so that realistic comments
//! ("Quầy số 1+2 làm nhanh", "SĐT 0912 345 678") come out of short inputs.

/// Vowels with each of the six tones (none, huyền, sắc, hỏi, ngã, nặng), precomposed.
const VOWELS: &[&str] = &[
    "aàáảãạ",
    "ăằắẳẵặ",
    "âầấẩẫậ",
    "eèéẻẽẹ",
    "êềếểễệ",
    "iìíỉĩị",
    "oòóỏõọ",
    "ôồốổỗộ",
    "ơờớởỡợ",
    "uùúủũụ",
    "ưừứửữự",
    "yỳýỷỹỵ",
    "AÀÁẢÃẠ",
    "ĂẰẮẲẴẶ",
    "ÂẦẤẨẪẬ",
    "EÈÉẺẼẸ",
    "ÊỀẾỂỄỆ",
    "OÒÓỎÕỌ",
    "ƠỜỚỞỠỢ",
    "UÙÚỦŨỤ",
    "ƯỪỨỬỮỰ",
];

/// Tone marks as combining characters: grave, acute, hook above, tilde, dot below.
const TONES: &[char] = &['\u{300}', '\u{301}', '\u{309}', '\u{303}', '\u{323}'];
/// Vowel marks as combining characters: breve (ă), circumflex (â ê ô), horn (ơ ư).
const SHAPES: &[char] = &['\u{306}', '\u{302}', '\u{31B}'];

const CONSONANTS: &str = "bcdđghklmnpqrstvxĐBCDGHKLMNPQRSTVX";

const DIGITS: &str = "0123456789０１２３４５６７８９";

const PUNCTUATION: &str = "+()-.,;:=@|'\"/[]{}%_!?#*&<>~`\\^$";

/// Spaces and line breaks: ASCII, no-break, the typographic spaces, ideographic, line and
/// paragraph separators, next line (a C1 control), CR, LF, tab.
const SPACES: &[&str] = &[
    " ", " ", " ", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2001}", "\u{2002}", "\u{2003}",
    "\u{2004}", "\u{2005}", "\u{2006}", "\u{2007}", "\u{2008}", "\u{2009}", "\u{200A}", "\u{202F}",
    "\u{205F}", "\u{3000}", "\u{2028}", "\u{2029}", "\u{85}", "\r\n", "\n", "\r", "\t",
];

/// Zero-width and invisible characters.
const INVISIBLE: &[char] = &[
    '\u{200B}',
    '\u{200C}',
    '\u{200D}',
    '\u{2060}',
    '\u{FEFF}',
    '\u{AD}',
    '\u{180E}',
    '\u{FE0F}',
    '\u{E0041}',
];

/// Bidirectional controls: embeddings, overrides, isolates, marks.
const BIDI: &[char] = &[
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200E}', '\u{200F}', '\u{61C}',
];

const EMOJI: &[&str] = &["😀", "👍", "👍🏽", "🙏🏻", "❤️", "👨‍👩‍👧", "🇻🇳", "😡", "🏛️", "⭐"];

/// Control characters: NUL, bell, escape, delete, C1.
const CONTROLS: &[char] = &[
    '\0', '\u{7}', '\u{8}', '\u{B}', '\u{C}', '\u{1B}', '\u{7F}', '\u{9B}',
];

/// Words and fragments that make the text look like a comment, a name or a number.
const WORDS: &[&str] = &[
    "Quầy",
    "số",
    "làm",
    "nhanh",
    "cán bộ",
    "hồ sơ",
    "thủ tục",
    "Rất hài lòng",
    "chờ lâu",
    "Sở Tư pháp",
    "UBND phường",
    "Nguyễn Thị Hồng",
    "SĐT",
    "CCCD",
    "email",
    "0912",
    "345",
    "678",
    "+84",
    "(028)",
    "84",
    "079",
    "100.000.000 đồng",
    "1+2",
    "@gmail.com",
    "nguyen.van.a",
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://x\")",
    "@SUM(A1)",
    "-2+3",
    "Tốt;",
    ",",
    ";",
    "\u{1}",
];

/// The text the bytes spell: each byte pair picks a kind of piece and a piece of it.
pub fn text(bytes: &[u8]) -> String {
    let mut out = String::new();
    for pair in bytes.chunks(2) {
        let kind = pair[0];
        let pick = usize::from(pair.get(1).copied().unwrap_or(0));
        let nth = |s: &str| s.chars().nth(pick % s.chars().count()).unwrap_or(' ');
        match kind % 16 {
            // Letters are the most common piece, as in real text.
            0..=3 => {
                let row = VOWELS[pick % VOWELS.len()];
                let tone = (pick / VOWELS.len()) % 6;
                out.push(row.chars().nth(tone).unwrap_or('a'));
            }
            4 => {
                // The same letter spelled with combining marks.
                let row = VOWELS[pick % VOWELS.len()];
                let extra = usize::from(kind / 16);
                out.push(row.chars().next().unwrap_or('a'));
                if extra % 4 != 0 {
                    out.push(SHAPES[extra % SHAPES.len()]);
                }
                out.push(TONES[(pick / VOWELS.len()) % TONES.len()]);
            }
            5 | 6 => out.push(nth(CONSONANTS)),
            7 => out.push(nth(DIGITS)),
            8 => out.push(nth(PUNCTUATION)),
            9 => out.push_str(SPACES[pick % SPACES.len()]),
            10 => out.push(INVISIBLE[pick % INVISIBLE.len()]),
            11 => out.push(BIDI[pick % BIDI.len()]),
            12 => out.push_str(EMOJI[pick % EMOJI.len()]),
            13 => out.push(CONTROLS[pick % CONTROLS.len()]),
            _ => {
                out.push_str(WORDS[pick % WORDS.len()]);
                out.push(' ');
            }
        }
    }
    out
}

/// Like [`text`], without control characters (what a browser's text field can send).
pub fn typed(bytes: &[u8]) -> String {
    text(bytes)
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

/// A space of any kind but a line break (what may stand between the digit groups of a
/// number).
pub fn space(pick: u8) -> &'static str {
    const INLINE: &[&str] = &[
        " ", "\u{A0}", "\u{2002}", "\u{2003}", "\u{2009}", "\u{200A}", "\u{202F}", "\u{205F}",
        "\u{3000}",
    ];
    INLINE[usize::from(pick) % INLINE.len()]
}

/// A Vietnamese phone number as citizens write it, from 12 bytes: a mobile number in groups
/// with a separator of any kind between them (none, dot, dash, a space of any kind), or with
/// +84, or a landline with its area code in brackets, or 84 and nine digits.
pub fn phone(bytes: &[u8]) -> String {
    let b = |k: usize| bytes.get(k).copied().unwrap_or(0);
    let digits: String = (0..9).map(|k| char::from(b'0' + b(k) % 10)).collect();
    let sep = match b(9) % 6 {
        0 => String::new(),
        1 => ".".to_owned(),
        2 => "-".to_owned(),
        _ => space(b(10)).to_owned(),
    };
    let (a, rest) = digits.split_at(3);
    let (m, z) = rest.split_at(3);
    match b(11) % 4 {
        0 => format!("0{a}{sep}{m}{sep}{z}"),
        1 => format!("+84{sep}{a}{sep}{m}{sep}{z}"),
        2 => format!(
            "(0{}){sep}{}{sep}{}",
            &digits[..2],
            &digits[2..6],
            &digits[6..]
        ),
        _ => format!("84{a}{m}{z}"),
    }
}

/// A deterministic stream of bytes from a seed (for tests that want many texts without a
/// fuzzer): splitmix64.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_reaches_every_kind_of_piece() {
        let all: String = (0..=255u8)
            .flat_map(|k| (0..=255u8).map(move |p| (k, p)))
            .map(|(k, p)| text(&[k, p]))
            .collect();
        for needle in [
            "ệ",
            "e\u{302}\u{323}",
            "đ",
            "５",
            "+",
            "\u{A0}",
            "\u{2028}",
            "\u{200B}",
            "\u{202E}",
            "👍🏽",
            "\0",
            "Quầy",
        ] {
            assert!(all.contains(needle), "{needle:?} never comes out");
        }
        assert_eq!(text(&[1, 2, 3]), text(&[1, 2, 3]), "deterministic");
        assert!(!typed(&bytes(7, 4000))
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'));
    }
}
