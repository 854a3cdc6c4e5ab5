//! Masking the personal data citizens type into comments: e-mail addresses, telephone numbers
//! and identity numbers (CCCD, 12 digits; the old CMND, 9). A comment is stored as typed and
//! masked before it is shown, exported or sent anywhere; only administrators may read the
//! original.
//!
//! Numbers are read as a citizen writes them: digits with single spaces, dots, dashes or
//! brackets between them ("0912 345 678", "+84 (28) 3829 1234", "0790.1234.5678"). Sums of
//! money ("100.000.000 đồng": groups of three after the first) and short numbers (dates,
//! counts, procedure codes) are left alone.

use std::borrow::Cow;

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
    for (start, end, mask) in spans {
        out.push_str(&text[at..start]);
        out.push_str(mask);
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Whether masking changes the text (the administrator's page offers the original then).
pub fn has_personal(text: &str) -> bool {
    !find(text).is_empty()
}

/// Whether search words could find out what masking hides: an `@`, or more than four digits
/// (a year is fine, the start of a phone number is not). Only administrators, who may read
/// the originals, search with such words.
pub fn probes_personal(words: &str) -> bool {
    words.contains('@') || words.chars().filter(char::is_ascii_digit).count() > 4
}

/// The byte spans to mask, in order, not overlapping.
fn find(text: &str) -> Vec<(usize, usize, &'static str)> {
    let mut spans = emails(text);
    for n in numbers(text) {
        if !spans.iter().any(|&(s, e, _)| n.0 < e && s < n.1) {
            spans.push(n);
        }
    }
    spans.sort_by_key(|s| s.0);
    spans
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

fn emails(text: &str) -> Vec<(usize, usize, &'static str)> {
    let mut spans = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| local_char(c))
            .last()
            .map_or(at, |(i, _)| i);
        let domain_len: usize = text[at + 1..]
            .chars()
            .take_while(|&c| domain_char(c))
            .map(char::len_utf8)
            .sum();
        // A sentence's full stop after the address is not part of it.
        let domain = text[at + 1..at + 1 + domain_len].trim_end_matches(['.', '-']);
        let end = at + 1 + domain.len();
        let plausible = start < at
            && domain.contains('.')
            && !domain.starts_with('.')
            && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2);
        if plausible && spans.last().is_none_or(|&(_, e, _)| e <= start) {
            spans.push((start, end, EMAIL_MASK));
        }
    }
    spans
}

/// A run of digits as written: where it is, its digits, and how it is grouped.
struct Run {
    start: usize,
    end: usize,
    digits: String,
    plus: bool,
    /// Lengths of the digit groups between separators.
    groups: Vec<usize>,
    /// The separators used between groups.
    separators: String,
}

fn runs(text: &str) -> Vec<Run> {
    const SEPARATORS: &str = " .-)(";
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let letter_at = |k: usize| chars.get(k).is_some_and(|&(_, c)| c.is_alphabetic());
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let opens = c == '+' || c == '(';
        let next_is_digit = chars.get(i + 1).is_some_and(|&(_, d)| d.is_ascii_digit());
        if !(c.is_ascii_digit() || (opens && next_is_digit)) {
            i += 1;
            continue;
        }
        // Part of a longer word or code ("H12345678901", "HS.012345678"): not a number alone.
        let after_word = i > 0 && chars[i - 1].1.is_alphanumeric();
        let after_code = i > 1 && ".-/".contains(chars[i - 1].1) && letter_at(i - 2);
        if after_word || after_code {
            while i < chars.len() && chars[i].1.is_alphanumeric() {
                i += 1;
            }
            i += usize::from(i == pos);
            continue;
        }
        let first_digit = if opens { i + 1 } else { i };
        let mut run = Run {
            start: chars[first_digit].0,
            end: pos,
            digits: String::new(),
            plus: c == '+',
            groups: vec![0],
            separators: String::new(),
        };
        let mut j = first_digit;
        loop {
            match chars.get(j) {
                Some(&(p, d)) if d.is_ascii_digit() => {
                    run.digits.push(d);
                    *run.groups.last_mut().expect("one group at least") += 1;
                    run.end = p + 1;
                    j += 1;
                }
                // One separator (or a closing bracket and a space) between two digits.
                Some(&(_, sep)) if SEPARATORS.contains(sep) => {
                    let mut k = j;
                    let mut seps = String::new();
                    while k < chars.len() && SEPARATORS.contains(chars[k].1) && seps.len() < 2 {
                        seps.push(chars[k].1);
                        k += 1;
                    }
                    if !chars.get(k).is_some_and(|&(_, d)| d.is_ascii_digit()) {
                        break;
                    }
                    run.separators.push_str(&seps);
                    run.groups.push(0);
                    j = k;
                }
                _ => break,
            }
        }
        // The sign and an area code's brackets belong to the number: "+84 …", "(028) 3829 …".
        if c == '+' || (c == '(' && run.separators.contains(')')) {
            run.start = pos;
        }
        // Followed by a letter, directly or after '.', '-' or '/' ("123456789abc",
        // "012345678.H12"): a code, not a number on its own.
        let glued = letter_at(j)
            || (chars.get(j).is_some_and(|&(_, c)| ".-/".contains(c)) && letter_at(j + 1));
        if !glued {
            out.push(run);
        }
        i = j.max(i + 1);
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

fn numbers(text: &str) -> Vec<(usize, usize, &'static str)> {
    runs(text)
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
            Some((run.start, run.end, kind))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn searches_that_could_find_a_masked_number_or_address_are_recognised() {
        for probe in ["0912", "0912 345", "@gmail", "079123", "nam@"] {
            assert_eq!(
                probes_personal(probe),
                probe.contains('@') || probe.chars().filter(char::is_ascii_digit).count() > 4,
                "{probe}"
            );
        }
        assert!(probes_personal("0912 345") && probes_personal("@gmail"));
        assert!(!probes_personal("thái độ 2026") && !probes_personal("chờ lâu"));
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
