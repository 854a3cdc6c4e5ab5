//! Masking the personal data citizens type into comments: e-mail addresses, telephone numbers
//! and identity numbers (CCCD, 12 digits; the old CMND, 9). A comment is stored as typed and
//! masked before it is shown, exported, searched or sent anywhere; only administrators may
//! read the original.
//!
//! Addresses are found first, as typed loosely too (a space beside the @, a full-width or
//! ideographic dot, `＠`, `﹫`, `(at)`). Numbers are read as a citizen writes them: digits of
//! any script or style (ASCII, full-width, Arabic-Indic, mathematical, circled, superscript)
//! in groups with up to three separators between them — spaces of any kind, line breaks,
//! dots, dashes, slashes, underscores, brackets — and invisible characters or combining marks
//! ignored ("0912 345 678", "+84 (28) 3829 1234", "0912\u{A0}345\u{200B}678"). A run is cut
//! where a space stands, so two numbers in one run are judged apart; digits joined by dots
//! or dashes stay one token ("1.001234.000.00.00", a procedure code). A run glued to a word
//! or code is masked only when it has the shape of a Vietnamese phone number or a CCCD
//! ("SĐT0912345678"), since codes are glued to letters too ("H12345678901"); sums of money
//! ("100.000.000 đồng") are left alone unless a document's name stands just before.
//!
//! The text is read once as a list of characters and every position is a character index
//! into that list (byte offsets only when the spans are cut out), and each scan advances by
//! at least one character: masking n characters costs O(n). What is masked reads the same to
//! the rules as its mark, so masking the masked text changes nothing more.

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

/// How many characters the at-sign at `k` takes, if there is one: `@`, its full-width and
/// small forms, or written out as `(at)` / `[at]`.
fn at_sign(t: &Chars, k: usize) -> Option<usize> {
    match t.c[k] {
        '@' | '\u{FF20}' | '\u{FE6B}' => Some(1),
        open @ ('(' | '[') => {
            let close = if open == '(' { ')' } else { ']' };
            let word = t.c.get(k + 1..k + 4)?;
            (word[0].eq_ignore_ascii_case(&'a')
                && word[1].eq_ignore_ascii_case(&'t')
                && word[2] == close)
                .then_some(4)
        }
        _ => None,
    }
}

/// A dot as typed in an address: ASCII, full-width, ideographic, half-width ideographic.
fn dot(c: char) -> bool {
    matches!(c, '.' | '\u{FF0E}' | '\u{3002}' | '\u{FF61}')
}

/// A character of an address's local part: letters and digits of any script (addresses may
/// be internationalised), dots, and RFC 5322's other atext characters.
fn local_char(c: char) -> bool {
    c.is_alphanumeric() || dot(c) || "_%+-'!#$&*=?^`{|}~".contains(c)
}

fn domain_char(c: char) -> bool {
    c.is_alphanumeric() || dot(c) || c == '-' || c == '_'
}

/// A space typed beside the at-sign ("nguyenvana @gmail.com"): one, not a line break.
fn loose_space(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// RFC 5321's limits: 64 characters before the `@`, 255 after.
const LOCAL_MAX: usize = 64;
const DOMAIN_MAX: usize = 255;

/// The addresses, as character ranges, in order, not overlapping.
fn emails(t: &Chars) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut taken = 0; // characters before this belong to an address already found
    let mut k = 0;
    while k < t.len() {
        let Some(len) = at_sign(t, k) else {
            k += 1;
            continue;
        };
        let at = k;
        // One space may stand on either side of the at-sign.
        let mut left = at;
        if left > taken && loose_space(t.c[left - 1]) {
            left -= 1;
        }
        let mut start = left;
        while start > taken
            && left - start < LOCAL_MAX
            && (local_char(t.c[start - 1]) || ignorable(t.c[start - 1]))
        {
            start -= 1;
        }
        let mut right = at + len;
        if right < t.len() && loose_space(t.c[right]) {
            right += 1;
        }
        let mut end = right;
        while end < t.len()
            && end - right < DOMAIN_MAX
            && (domain_char(t.c[end]) || ignorable(t.c[end]))
        {
            end += 1;
        }
        // A sentence's full stop after the address is not part of it.
        while end > right && (dot(t.c[end - 1]) || t.c[end - 1] == '-' || ignorable(t.c[end - 1])) {
            end -= 1;
        }
        let domain: String = t.c[right..end]
            .iter()
            .filter(|c| !ignorable(**c))
            .map(|&c| if dot(c) { '.' } else { c })
            .collect();
        let local_visible = t.c[start..left].iter().any(|c| !ignorable(*c));
        let plausible = local_visible
            && domain.contains('.')
            && !domain.starts_with('.')
            && domain.rsplit('.').next().is_some_and(|tld| {
                tld.chars().count() >= 2 && tld.chars().all(char::is_alphanumeric)
            });
        if plausible {
            spans.push((start, end));
            taken = end;
            k = end.max(k + 1);
        } else {
            k += 1;
        }
    }
    spans
}

/// A character that shows nothing inside a number or an address: the invisible ones, and
/// combining marks (an underline or a strike-through typed over digits, a keycap).
fn ignorable(c: char) -> bool {
    is_invisible(c) || unicode_normalization::char::is_combining_mark(c)
}

/// The value of a decimal digit as citizens may type it: ASCII, full-width, the digits of
/// other scripts a phone keyboard offers, and the styled ones (mathematical, circled,
/// superscript, subscript).
fn digit(c: char) -> Option<char> {
    const ZEROS: [u32; 12] = [
        0x30, 0x660, 0x6F0, 0x966, 0xE50, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
        0x2080,
    ];
    let u = u32::from(c);
    let value = ZEROS
        .iter()
        .find(|&&z| (z..z + 10).contains(&u))
        .map(|&z| u - z)
        .or(match c {
            '⓪' | '⁰' => Some(0),
            '①'..='⑨' => Some(u - 0x2460 + 1),
            '¹' => Some(1),
            '²' => Some(2),
            '³' => Some(3),
            '⁴'..='⁹' => Some(u - 0x2070),
            _ => None,
        })?;
    char::from_digit(value, 10)
}

/// What may stand between two digit groups of one number: a space of any kind or a line break,
/// a dot, a dash (ASCII or typographic), a slash, an underscore, a middle dot, a bracket.
fn separator(c: char) -> bool {
    c.is_whitespace()
        || dot(c)
        || matches!(
            c,
            '-' | '(' | ')' | '/' | '_' | '·' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FB}'
        )
}

/// At most this many separators between two digit groups ("0912 - 345", "(028) 3829").
const SEPARATORS_MAX: usize = 3;

/// A run of digits as written: where it is (character indices), and its groups.
struct Run {
    /// Where the number starts: its first digit, or its `+` or opening bracket.
    start: usize,
    plus: bool,
    /// Each group: (first digit, one past its last digit, its digits).
    groups: Vec<(usize, usize, String)>,
    /// The separators before each group (empty for the first).
    separators: Vec<String>,
    /// Touches a letter or a code before it…
    glued_before: bool,
    /// …through this character (index), when it does.
    glued_to: Option<usize>,
    /// …or a letter after it.
    glued_after: bool,
}

/// Reads the run whose first digit is at `first`. Ignorable characters are skipped.
fn read_run(t: &Chars, first: usize, plus: bool) -> Run {
    let mut run = Run {
        start: first,
        plus,
        groups: vec![(first, first, String::new())],
        separators: vec![String::new()],
        glued_before: false,
        glued_to: None,
        glued_after: false,
    };
    let mut j = first;
    while j < t.len() {
        let c = t.ch(j);
        if let Some(d) = digit(c) {
            if let Some(g) = run.groups.last_mut() {
                if g.2.is_empty() {
                    g.0 = j;
                }
                g.2.push(d);
                g.1 = j + 1;
            }
            j += 1;
        } else if ignorable(c) {
            j += 1;
        } else if separator(c) {
            let mut k = j;
            let mut seps = String::new();
            while k < t.len() && seps.chars().count() < SEPARATORS_MAX {
                let s = t.ch(k);
                if separator(s) {
                    seps.push(s);
                } else if !ignorable(s) {
                    break;
                }
                k += 1;
            }
            while k < t.len() && ignorable(t.ch(k)) {
                k += 1;
            }
            if t.get(k).is_none_or(|d| digit(d).is_none()) {
                break;
            }
            run.separators.push(seps);
            run.groups.push((k, k, String::new()));
            j = k;
        } else {
            break;
        }
    }
    run
}

/// The runs of digits, in order, not overlapping, each marked if it touches a word.
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
        // Part of a longer word or code ("H12345678901", "HS.012345678")?
        let before = t.visible_before(i);
        let after_word = before.is_some_and(|(_, b)| b.is_alphanumeric());
        let after_code =
            before.is_some_and(|(k, b)| ".-/".contains(b) && letter(t.visible_before(k)));
        let first = if opens {
            next.map_or(i + 1, |(k, _)| k)
        } else {
            i
        };
        let mut run = read_run(t, first, c == '+');
        let end = run.groups.last().map_or(first + 1, |g| g.1).max(first + 1);
        // The sign and an area code's brackets belong to the number: "+84 …", "(028) 3829 …".
        if c == '+' || (c == '(' && run.separators.iter().any(|s| s.contains(')'))) {
            run.start = i;
        }
        // Followed by a letter, directly or after '.', '-' or '/' ("123456789abc",
        // "012345678.H12").
        let after = t.visible_from(end);
        let glued_after = letter(after)
            || after.is_some_and(|(k, a)| ".-/".contains(a) && letter(t.visible_from(k + 1)));
        run.glued_before = after_word || after_code;
        run.glued_to = before.filter(|_| run.glued_before).map(|(k, _)| k);
        run.glued_after = glued_after;
        out.push(run);
        // Progress: the run ends after its first digit, which is at or after `i`.
        i = end.max(i + 1);
    }
    out
}

/// Digits, groups and separators of groups `a..=b` of a run.
struct Part<'r> {
    run: &'r Run,
    a: usize,
    b: usize,
}

impl Part<'_> {
    fn digits(&self) -> String {
        self.run.groups[self.a..=self.b]
            .iter()
            .map(|g| g.2.as_str())
            .collect()
    }

    /// A sum of money written with thousands separators: 1–3 digits, then groups of exactly
    /// three, all separated by '.' or ','.
    fn is_money(&self) -> bool {
        let groups = &self.run.groups[self.a..=self.b];
        groups.len() > 1
            && (1..=3).contains(&groups[0].2.len())
            && groups[1..].iter().all(|g| g.2.len() == 3)
            && self.run.separators[self.a + 1..=self.b]
                .iter()
                .all(|s| s.chars().all(|c| dot(c) || c == ','))
            && !groups[0].2.starts_with('0')
    }
}

/// Words that say an identity number follows ("CMND 271.234.567" is not a sum of money).
const ID_WORDS: [&str; 7] = [
    "cmnd",
    "cccd",
    "cmt",
    "can cuoc",
    "chung minh",
    "dinh danh",
    "ho chieu",
];

/// How many characters before a number may name its document.
const ID_WORDS_WINDOW: usize = 24;

/// Whether the few characters before `k` name an identity document. They are read as the
/// masked text will show them (an address or a number masked before `k` counts as its mark),
/// so that masking the masked text again decides the same.
fn names_an_id(t: &Chars, k: usize, masked: &[(usize, usize, &'static str)]) -> bool {
    let mut back: Vec<char> = Vec::with_capacity(ID_WORDS_WINDOW);
    let mut i = k;
    while i > 0 && back.len() < ID_WORDS_WINDOW {
        // Marks are at least 13 characters long: no more than the last few reach the window.
        if let Some(&(from, _, mask)) = masked.iter().rev().take(4).find(|m| m.0 < i && i <= m.1) {
            back.extend(mask.chars().rev());
            i = from;
        } else if t.blocked[i - 1] {
            back.extend(EMAIL_MASK.chars().rev());
            while i > 0 && t.blocked[i - 1] {
                i -= 1;
            }
        } else {
            back.push(t.c[i - 1]);
            i -= 1;
        }
    }
    back.truncate(ID_WORDS_WINDOW);
    let before: String = back.into_iter().rev().collect::<String>().to_lowercase();
    let plain: String = unicode_normalization::UnicodeNormalization::nfd(before.as_str())
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect();
    ID_WORDS.iter().any(|w| plain.contains(w))
}

/// What a part of a run is, if it is personal data. A part touching a word is judged
/// strictly (a mobile or landline number, a 12-digit CCCD), since codes are glued to letters
/// too; a part on its own also as a 9-digit CMND and as any 12-digit number.
fn kind(
    t: &Chars,
    part: &Part<'_>,
    glued: bool,
    masked: &[(usize, usize, &'static str)],
) -> Option<&'static str> {
    let digits = part.digits();
    let n = digits.len();
    let plus = part.a == 0 && part.run.plus;
    let national = digits.starts_with('0') && (10..=11).contains(&n);
    let international = (plus || digits.starts_with("84")) && (11..=12).contains(&n);
    if glued {
        // As dialled at home: 0, then an area or mobile prefix 2–9.
        let home = match digits.strip_prefix("84") {
            Some(rest) if international => format!("0{rest}"),
            _ => digits.clone(),
        };
        let prefixed = home
            .chars()
            .nth(1)
            .is_some_and(|c| ('2'..='9').contains(&c));
        let phone = (national || international) && prefixed;
        let cccd = n == 12 && digits.starts_with('0');
        return if phone {
            Some(PHONE_MASK)
        } else if cccd {
            Some(ID_MASK)
        } else {
            None
        };
    }
    if national || international {
        Some(PHONE_MASK)
    } else if (n == 12 || n == 9)
        && (!part.is_money() || names_an_id(t, part.run.groups[part.a].0, masked))
    {
        Some(ID_MASK)
    } else {
        None
    }
}

/// The numbers to mask. A run that is not personal data as a whole may hold several numbers
/// ("0912345678 0987654321", "SĐT 0912345678 100 lần"): it is cut only where a space stands
/// between groups (digits joined by dots or dashes are one token, like a procedure code
/// "1.001234.000.00.00"), and its tokens are tried from the left, the longest part first, at
/// most 12 digits.
fn numbers(t: &Chars) -> Vec<Span> {
    let mut out = Vec::new();
    // What is masked so far, as character ranges.
    let mut masked: Vec<(usize, usize, &'static str)> = Vec::new();
    for run in runs(t) {
        let last = run.groups.len() - 1;
        // Group k starts a token if a space stands before it.
        let starts = |k: usize| k == 0 || run.separators[k].chars().any(char::is_whitespace);
        let ends = |k: usize| k == last || starts(k + 1);
        let mut a = 0;
        while a <= last {
            if !starts(a) {
                a += 1;
                continue;
            }
            let mut digits = 0;
            let mut b_max = a;
            while b_max <= last && digits + run.groups[b_max].2.len() <= 12 {
                digits += run.groups[b_max].2.len();
                b_max += 1;
            }
            let found = (a..b_max).rev().filter(|&b| ends(b)).find_map(|b| {
                let part = Part { run: &run, a, b };
                // Only the ends of the run touch its neighbours. A neighbour masked just
                // before is read as its mark shows it ("…]"), which touches nothing: so
                // masking the masked text again decides the same.
                let glued_before = run.glued_before
                    && !run
                        .glued_to
                        .is_some_and(|k| masked.iter().any(|&(from, to, _)| from <= k && k < to));
                let glued = (a == 0 && glued_before) || (b == last && run.glued_after);
                kind(t, &part, glued, &masked).map(|k| (b, k))
            });
            match found {
                Some((b, mask)) => {
                    let from = if a == 0 { run.start } else { run.groups[a].0 };
                    out.push(t.span(from, run.groups[b].1, mask));
                    masked.push((from, run.groups[b].1, mask));
                    a = b + 1;
                }
                None => a += 1,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
