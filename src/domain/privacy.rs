//! Masking the personal data citizens type into comments: e-mail addresses, telephone numbers
//! and identity numbers (CCCD, 12 digits; the old CMND, 9). A comment is stored as typed and
//! masked before it is shown, exported, searched or sent anywhere; only administrators may
//! read the original.
//!
//! Numbers are read as a citizen writes them: digits (ASCII or full-width) with single
//! separators between groups — a space of any kind, a dot, a dash, brackets — and invisible
//! characters ignored ("0912 345 678", "+84 (28) 3829 1234", "0790.1234.5678",
//! "0912\u{A0}345\u{200B}678"). Sums of money ("100.000.000 đồng": groups of three after the
//! first) and short numbers (dates, counts, procedure codes) are left alone.
//!
//! The text is read once as a list of characters and every position is a character index
//! into that list (byte offsets only when the spans are cut out), and each scan advances by
//! at least one character: masking n characters costs O(n), whatever they are.

use std::borrow::Cow;

use super::text::is_invisible;

/// What stands in for each kind of personal data.
pub const EMAIL_MASK: &str = "[email đã ẩn]";
pub const PHONE_MASK: &str = "[số điện thoại đã ẩn]";
pub const ID_MASK: &str = "[số giấy tờ đã ẩn]";

/// The comment with every e-mail address, telephone number and identity number replaced by a
/// mark of its kind; unchanged (borrowed) when it holds none.
pub fn mask_personal(text: &str) -> Cow<'_, str> {
    let spans = find(text);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in spans {
        out.push_str(&text[at..s.start]);
        out.push_str(s.mask);
        at = s.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Whether masking changes the text (the administrator's page offers the original then).
pub fn has_personal(text: &str) -> bool {
    !find(text).is_empty()
}

/// A part of the text to mask: byte offsets, and the mark that replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub mask: &'static str,
}

/// What a character inside an address reads as to a number: neither a digit, a separator, a
/// letter nor invisible, so a run of digits stops there and is not glued to it.
const BOUNDARY: char = '\u{FFFC}';

/// How many invisible characters a look at the next or previous visible one passes over.
const LOOK: usize = 8;

/// The text as characters, each with its byte offset (plus one past the end).
struct Chars {
    c: Vec<char>,
    at: Vec<usize>,
    /// Characters inside an address already found: a number reads them as a boundary.
    blocked: Vec<bool>,
}

impl Chars {
    fn of(text: &str) -> Chars {
        let (at, c): (Vec<usize>, Vec<char>) = text.char_indices().unzip();
        let mut at = at;
        at.push(text.len());
        let blocked = vec![false; c.len()];
        Chars { c, at, blocked }
    }

    fn len(&self) -> usize {
        self.c.len()
    }

    /// The character at `i` as a number reads it: one inside an address is a boundary.
    fn ch(&self, i: usize) -> char {
        if self.blocked[i] {
            BOUNDARY
        } else {
            self.c[i]
        }
    }

    fn get(&self, i: usize) -> Option<char> {
        (i < self.c.len()).then(|| self.ch(i))
    }

    /// The first visible character at or after `i`, and where it is (looking past a few
    /// invisible characters only, so that a scan stays linear).
    fn visible_from(&self, i: usize) -> Option<(usize, char)> {
        (i..self.len().min(i + LOOK))
            .map(|k| (k, self.ch(k)))
            .find(|&(_, c)| !is_invisible(c))
    }

    /// The last visible character before `i`, and where it is (as far back).
    fn visible_before(&self, i: usize) -> Option<(usize, char)> {
        let i = i.min(self.len());
        (i.saturating_sub(LOOK)..i)
            .rev()
            .map(|k| (k, self.ch(k)))
            .find(|&(_, c)| !is_invisible(c))
    }

    fn span(&self, from: usize, to: usize, mask: &'static str) -> Span {
        Span {
            start: self.at[from],
            end: self.at[to],
            mask,
        }
    }
}

/// The spans to mask, in order, not overlapping; an address wins over a number inside it.
pub fn find(text: &str) -> Vec<Span> {
    let mut chars = Chars::of(text);
    // Addresses first; a number then reads an address as a boundary, so the digits beside one
    // ("0912 345 678a@b.vn", "an@b.vn/0912345678") are judged on their own, as they are once
    // the address is masked: masking twice changes nothing more.
    let emails = emails(&chars);
    for &(from, to) in &emails {
        chars.blocked[from..to].fill(true);
    }
    let numbers = numbers(&chars);
    // Both lists are sorted and do not overlap each other: one merge, in linear time.
    let mut out: Vec<Span> = Vec::with_capacity(emails.len() + numbers.len());
    let mut e = emails
        .into_iter()
        .map(|(from, to)| chars.span(from, to, EMAIL_MASK))
        .peekable();
    for n in numbers {
        while let Some(m) = e.next_if(|m| m.start < n.start) {
            out.push(m);
        }
        out.push(n);
    }
    out.extend(e);
    out
}

fn is_at(c: char) -> bool {
    c == '@' || c == '\u{FF20}'
}

/// A character of an address's local part: letters and digits of any script (addresses may
/// be internationalised), and `. _ % + -`.
fn local_char(c: char) -> bool {
    c.is_alphanumeric() || "._%+-".contains(c)
}

fn domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '-'
}

/// RFC 5321's limits: 64 characters before the `@`, 255 after.
const LOCAL_MAX: usize = 64;
const DOMAIN_MAX: usize = 255;

/// The addresses, as character ranges, in order, not overlapping.
fn emails(t: &Chars) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut taken = 0; // characters before this belong to an address already found
    for at in 0..t.len() {
        if !is_at(t.c[at]) {
            continue;
        }
        let mut start = at;
        while start > taken
            && at - start < LOCAL_MAX
            && (local_char(t.c[start - 1]) || is_invisible(t.c[start - 1]))
        {
            start -= 1;
        }
        let mut end = at + 1;
        while end < t.len()
            && end - at <= DOMAIN_MAX
            && (domain_char(t.c[end]) || is_invisible(t.c[end]))
        {
            end += 1;
        }
        // A sentence's full stop after the address is not part of it.
        while end > at + 1 && (matches!(t.c[end - 1], '.' | '-') || is_invisible(t.c[end - 1])) {
            end -= 1;
        }
        let domain: String = t.c[at + 1..end]
            .iter()
            .filter(|c| !is_invisible(**c))
            .collect();
        let local_visible = t.c[start..at].iter().any(|c| !is_invisible(*c));
        let plausible = local_visible
            && domain.contains('.')
            && !domain.starts_with('.')
            && domain
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.chars().count() >= 2);
        if plausible {
            spans.push((start, end));
            taken = end;
        }
    }
    spans
}

/// The value of a decimal digit as citizens type it: ASCII or full-width.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{FF10}'..='\u{FF19}' => char::from_digit(u32::from(c) - 0xFF10, 10),
        _ => None,
    }
}

/// What may stand between two digit groups of one number: a space of any kind, a dot, a dash
/// (ASCII or typographic), a bracket.
fn separator(c: char) -> bool {
    (c.is_whitespace() && !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}'))
        || matches!(
            c,
            '.' | '-' | '(' | ')' | '\u{2010}'..='\u{2013}' | '\u{2212}'
        )
}

/// A run of digits as written: where it is (character indices), its digits, and how they
/// are grouped.
struct Run {
    start: usize,
    /// One past the last digit.
    end: usize,
    digits: String,
    plus: bool,
    /// Lengths of the digit groups between separators.
    groups: Vec<usize>,
    /// The separators used between groups.
    separators: String,
}

/// Reads the run whose first digit is at `first` (a digit); returns it and the index after
/// its last digit. Invisible characters are skipped; at most two separators between digits
/// ("(028) 3829", "1 - 2" is two groups only with one separator each side counted).
fn read_run(t: &Chars, first: usize, plus: bool) -> Run {
    let mut run = Run {
        start: first,
        end: first,
        digits: String::new(),
        plus,
        groups: vec![0],
        separators: String::new(),
    };
    let mut j = first;
    while j < t.len() {
        let c = t.ch(j);
        if let Some(d) = digit(c) {
            run.digits.push(d);
            if let Some(g) = run.groups.last_mut() {
                *g += 1;
            }
            j += 1;
            run.end = j;
        } else if is_invisible(c) {
            j += 1;
        } else if separator(c) {
            let mut k = j;
            let mut seps = String::new();
            while k < t.len() && seps.chars().count() < 2 {
                let s = t.ch(k);
                if separator(s) {
                    seps.push(s);
                } else if !is_invisible(s) {
                    break;
                }
                k += 1;
            }
            while k < t.len() && is_invisible(t.ch(k)) {
                k += 1;
            }
            if t.get(k).is_none_or(|d| digit(d).is_none()) {
                break;
            }
            run.separators.push_str(&seps);
            run.groups.push(0);
            j = k;
        } else {
            break;
        }
    }
    run
}

/// The runs of digits that stand alone as numbers, in order, not overlapping.
fn runs(t: &Chars) -> Vec<Run> {
    let letter = |v: Option<(usize, char)>| v.is_some_and(|(_, c)| c.is_alphabetic());
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let c = t.ch(i);
        let next = t.visible_from(i + 1);
        let opens = (c == '+' || c == '(') && next.is_some_and(|(_, d)| digit(d).is_some());
        if digit(c).is_none() && !opens {
            i += 1;
            continue;
        }
        // Part of a longer word or code ("H12345678901", "HS.012345678", "1+2"): not a number
        // on its own. Skip the rest of that word.
        let before = t.visible_before(i);
        let after_word = before.is_some_and(|(_, b)| b.is_alphanumeric());
        let after_code =
            before.is_some_and(|(k, b)| ".-/".contains(b) && letter(t.visible_before(k)));
        if after_word || after_code {
            let mut j = i + 1;
            while j < t.len() && (t.ch(j).is_alphanumeric() || is_invisible(t.ch(j))) {
                j += 1;
            }
            i = j;
            continue;
        }
        let first = if opens {
            next.map_or(i + 1, |(k, _)| k)
        } else {
            i
        };
        let mut run = read_run(t, first, c == '+');
        // The sign and an area code's brackets belong to the number: "+84 …", "(028) 3829 …".
        if c == '+' || (c == '(' && run.separators.contains(')')) {
            run.start = i;
        }
        // Followed by a letter, directly or after '.', '-' or '/' ("123456789abc",
        // "012345678.H12"): a code, not a number on its own.
        let after = t.visible_from(run.end);
        let glued = letter(after)
            || after.is_some_and(|(k, a)| ".-/".contains(a) && letter(t.visible_from(k + 1)));
        let end = run.end;
        if !glued {
            out.push(run);
        }
        // Progress: the run ends after its first digit, which is after `i`.
        i = end.max(i + 1);
    }
    out
}

/// A sum of money written with thousands separators: 1–3 digits, then groups of exactly
/// three, all separated by '.' or ','.
fn is_money(run: &Run) -> bool {
    run.groups.len() > 1
        && (1..=3).contains(&run.groups[0])
        && run.groups[1..].iter().all(|&g| g == 3)
        && run.separators.chars().all(|c| c == '.' || c == ',')
        && !run.digits.starts_with('0')
}

fn numbers(t: &Chars) -> Vec<Span> {
    runs(t)
        .into_iter()
        .filter_map(|run| {
            let n = run.digits.len();
            let international =
                (run.plus || run.digits.starts_with("84")) && (11..=12).contains(&n);
            let national = run.digits.starts_with('0') && (10..=11).contains(&n);
            let kind = if international || national {
                PHONE_MASK
            } else if (n == 12 || n == 9) && !is_money(&run) {
                ID_MASK
            } else {
                return None;
            };
            Some(t.span(run.start, run.end, kind))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::vietnamese;
    use proptest::prelude::*;
    use std::time::Duration;

    #[test]
    fn vietnamese_phone_numbers_are_masked_however_they_are_written() {
        for (typed, masked) in [
            (
                "Cán bộ hẹn gọi lại số 0912345678 nhưng không gọi.",
                "Cán bộ hẹn gọi lại số [số điện thoại đã ẩn] nhưng không gọi.",
            ),
            ("SĐT: 0912 345 678", "SĐT: [số điện thoại đã ẩn]"),
            ("sdt 0912.345.678.", "sdt [số điện thoại đã ẩn]."),
            ("gọi 091-234-5678 giúp", "gọi [số điện thoại đã ẩn] giúp"),
            ("+84 912 345 678", "[số điện thoại đã ẩn]"),
            ("84912345678", "[số điện thoại đã ẩn]"),
            (
                "(028) 3829 1234 phòng một cửa",
                "[số điện thoại đã ẩn] phòng một cửa",
            ),
            ("Liên hệ 02838291234", "Liên hệ [số điện thoại đã ẩn]"),
        ] {
            assert_eq!(mask_personal(typed), masked, "{typed:?}");
        }
    }

    #[test]
    fn identity_numbers_and_emails_are_masked() {
        for (typed, masked) in [
            (
                "CCCD của tôi là 079123456789, làm mất hồ sơ",
                "CCCD của tôi là [số giấy tờ đã ẩn], làm mất hồ sơ",
            ),
            ("căn cước 0791 2345 6789", "căn cước [số giấy tờ đã ẩn]"),
            ("CMND 271234567 cũ", "CMND [số giấy tờ đã ẩn] cũ"),
            (
                "Gửi kết quả qua nguyen.van.a+hs@gmail.com nhé.",
                "Gửi kết quả qua [email đã ẩn] nhé.",
            ),
            (
                "email: tran_thi-b@sonoivu.hanoi.gov.vn",
                "email: [email đã ẩn]",
            ),
            (
                "Anh Nam (0987654321, nam@yahoo.com.vn) chờ 2 tiếng",
                "Anh Nam ([số điện thoại đã ẩn], [email đã ẩn]) chờ 2 tiếng",
            ),
        ] {
            assert_eq!(mask_personal(typed), masked, "{typed:?}");
        }
    }

    #[test]
    fn ordinary_numbers_and_words_stay() {
        for text in [
            "Rất hài lòng, cán bộ nhiệt tình!",
            "Chờ 45 phút, hẹn ngày 15/12/2026.",
            "Lệ phí 100.000.000 đồng là quá cao",
            "Phí 1,250,000 đ",
            "Hồ sơ số 2026-000123 bị trả lại",
            "Mã thủ tục 1.001234.000.00.00.H12",
            "Giờ làm việc 7:30 - 11:30",
            "địa chỉ @ phường 5",
            "gửi email cho phòng",
            "mã hồ sơ H12345678901A",
            "",
        ] {
            assert_eq!(mask_personal(text), text, "{text:?}");
            assert!(matches!(mask_personal(text), Cow::Borrowed(_)));
            assert!(!has_personal(text));
        }
    }

    #[test]
    fn a_sign_or_bracket_after_a_vietnamese_letter_does_not_stop_the_masker() {
        // The comment that froze a node: a non-ASCII letter, then a digit, '+' and a digit.
        for text in [
            "Quầy số 1+2 làm nhanh",
            "ấ1+2",
            "Phòng 3(4) chờ lâu",
            "Đ1(0912345678",
            "ư9+84912345678 ư",
        ] {
            let masked = within(Duration::from_secs(2), move || {
                mask_personal(text).into_owned()
            });
            assert!(masked.contains("làm nhanh") || !text.contains("làm nhanh"));
        }
        assert_eq!(
            mask_personal("Quầy số 1+2 làm nhanh"),
            "Quầy số 1+2 làm nhanh"
        );
    }

    #[test]
    fn numbers_hidden_by_other_spaces_invisible_characters_or_wide_digits_are_masked() {
        for typed in [
            "SĐT 0912\u{A0}345\u{A0}678 nhé",
            "SĐT 0912\u{202F}345\u{2009}678 nhé",
            "SĐT 0912\u{3000}345\u{3000}678 nhé",
            "SĐT 0912\u{200B}345\u{200B}678 nhé",
            "SĐT ０９１２３４５６７８ nhé",
            "SĐT 0912\u{2013}345\u{2013}678 nhé",
            "SĐT \u{202E}0912345678\u{202C} nhé",
        ] {
            assert_eq!(
                crate::domain::text::without_bidi_controls(&mask_personal(typed)),
                format!("SĐT {PHONE_MASK} nhé"),
                "{typed:?}"
            );
        }
        assert_eq!(
            mask_personal("gửi an\u{200B}@gmail.com nhé"),
            format!("gửi {EMAIL_MASK} nhé")
        );
        assert_eq!(
            mask_personal("gửi an＠gmail.com nhé"),
            format!("gửi {EMAIL_MASK} nhé")
        );
    }

    #[test]
    fn digits_beside_an_address_are_judged_on_their_own_and_masking_twice_changes_nothing() {
        // Found by the masker's fuzz target: the number ran into the address, was dropped
        // for overlapping it, and nine digits stayed visible.
        for (typed, masked) in [
            (
                "CMND 678 678 678 678@x.vn",
                "CMND [số giấy tờ đã ẩn] [email đã ẩn]",
            ),
            (
                "an@gmail.com/0912345678 nhé",
                "[email đã ẩn]/[số điện thoại đã ẩn] nhé",
            ),
        ] {
            let once = mask_personal(typed);
            assert_eq!(once, masked, "{typed:?}");
            assert_eq!(mask_personal(&once), once);
        }
    }

    /// Runs `f` on a thread of its own and fails if it has not finished within `limit`: a
    /// masker that loops forever fails the test instead of hanging it.
    fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(limit)
            .expect("the masker did not finish: it must always make progress")
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 1024,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// On any text: it finishes, the spans are in order and on character boundaries,
        /// everything outside them is kept as typed, and masking twice changes nothing more.
        #[test]
        fn masking_finishes_and_keeps_all_but_the_spans(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let text = vietnamese::text(&bytes);
            let (masked, spans) = within(Duration::from_secs(5), {
                let text = text.clone();
                move || (mask_personal(&text).into_owned(), find(&text))
            });
            let mut at = 0;
            let mut rebuilt = String::new();
            for s in &spans {
                prop_assert!(at <= s.start && s.start < s.end && s.end <= text.len());
                prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
                rebuilt.push_str(&text[at..s.start]);
                rebuilt.push_str(s.mask);
                at = s.end;
            }
            rebuilt.push_str(&text[at..]);
            prop_assert_eq!(&rebuilt, &masked);
            prop_assert_eq!(mask_personal(&masked).into_owned(), masked.clone(), "idempotent");
        }

        /// A phone number or an address planted in any Vietnamese text is masked whole.
        #[test]
        fn planted_personal_data_is_always_masked(
            before in proptest::collection::vec(any::<u8>(), 0..200),
            after in proptest::collection::vec(any::<u8>(), 0..200),
            number in proptest::collection::vec(any::<u8>(), 12),
            user in "[a-z][a-z0-9._]{0,10}[a-z0-9]",
            host in "[a-z]{2,10}",
            email in any::<bool>(),
        ) {
            let planted = if email { format!("{user}@{host}.vn") } else { vietnamese::phone(&number) };
            let text = format!("{} SĐT: {planted}, {}", vietnamese::typed(&before), vietnamese::typed(&after));
            let start = text.find(&planted).expect("planted");
            let end = start + planted.len();
            let spans = within(Duration::from_secs(5), {
                let text = text.clone();
                move || find(&text)
            });
            prop_assert!(
                spans.iter().any(|s| s.start <= start && end <= s.end),
                "{planted:?} not masked in {text:?}: {spans:?}"
            );
        }
    }

    #[test]
    fn masking_is_total_on_any_text() {
        // Odd inputs: lone signs, digits at the very end, multi-byte letters around them.
        for text in [
            "+",
            "(",
            "+(",
            "@",
            "a@",
            "@b.c",
            "0",
            "(0",
            "09123456789(",
            "ả0912345678ả",
            "0912345678)",
            "..@..",
            "x@y.",
            "0 1 2 3 4 5 6 7 8 9 0 1",
        ] {
            let _ = mask_personal(text);
        }
        assert_eq!(
            mask_personal("0 1 2 3 4 5 6 7 8 9 0 1"),
            "[số giấy tờ đã ẩn]",
            "spaced out digit by digit is still twelve digits"
        );
    }
}
