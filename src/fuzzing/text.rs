//! Fuzz targets for the text transformations that run over what citizens and files type
//! (issue #16): the masker, the search key, the spreadsheet cell writer and the e-mail
//! message. Each turns the bytes into Vietnamese text (`vietnamese::text`) or takes them as
//! UTF-8, and checks what must hold whatever the text — beyond finishing, which libFuzzer's
//! `-timeout` checks.

use crate::db::outbox::Recipient;
use crate::domain::email::Email;
use crate::domain::{cell, privacy, search};
use crate::mail::compose;
use crate::views::sheet::{Sheet, Value};
use crate::views::Views;

use super::vietnamese;

/// The text the bytes give: Vietnamese text from the pieces they pick (first byte even), or
/// the bytes themselves read as UTF-8.
fn text_of(data: &[u8]) -> String {
    match data.split_first() {
        Some((first, rest)) if first % 2 == 0 => vietnamese::text(rest),
        Some((_, rest)) => String::from_utf8_lossy(rest).into_owned(),
        None => String::new(),
    }
}

/// The masker: spans in order on character boundaries, everything outside them kept, masking
/// twice changes nothing more, and a phone number planted in the text is masked whole.
pub fn masker(data: &[u8]) {
    let text = text_of(data);
    let spans = privacy::find(&text);
    let mut at = 0;
    let mut rebuilt = String::new();
    for s in &spans {
        assert!(
            at <= s.start && s.start < s.end && s.end <= text.len(),
            "{spans:?}"
        );
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        rebuilt.push_str(&text[at..s.start]);
        rebuilt.push_str(s.mask);
        at = s.end;
    }
    rebuilt.push_str(&text[at..]);
    let masked = privacy::mask_personal(&text);
    assert_eq!(rebuilt, masked);
    assert_eq!(privacy::mask_personal(&masked), masked, "idempotent");
    if data.len() >= 12 {
        let number = vietnamese::phone(&data[..12]);
        let planted = format!("{text} SĐT: {number}, {text}");
        let start = text.len() + " SĐT: ".len();
        let end = start + number.len();
        assert!(
            privacy::find(&planted)
                .iter()
                .any(|s| s.start <= start && end <= s.end),
            "{number:?} not masked in {planted:?}"
        );
    }
}

/// The search key: plain and stable, built only from what the masked text shows (its digits
/// are those outside the masked spans), and every match of words taken from the same bytes
/// lies on the shown text's character boundaries, the pieces making the text again.
pub fn search(data: &[u8]) {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (words, text) = data.split_at(split);
    let text = text_of(text);
    let key = search::key(&text);
    assert_eq!(search::plain(&key), key, "plain is idempotent");
    let outside: String = {
        let mut out = String::new();
        let mut at = 0;
        for s in privacy::find(&text) {
            out.push_str(&text[at..s.start]);
            out.push(' ');
            at = s.end;
        }
        out.push_str(&text[at..]);
        out
    };
    let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    assert_eq!(
        digits(&key),
        digits(&search::plain(&outside)),
        "the key holds a digit that masking hides"
    );
    if let Some(w) = search::words(&text_of(words)) {
        let shown = privacy::mask_personal(&text);
        let found = search::matches(&shown, &w);
        for r in &found {
            assert!(shown.is_char_boundary(r.start) && shown.is_char_boundary(r.end));
        }
        assert_eq!(!found.is_empty(), key.contains(&w));
        let rebuilt: String = search::highlight(&shown, &w)
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(rebuilt, shown);
    }
}

/// The cell writer: no piece a spreadsheet could split off starts a formula, only apostrophes
/// are added, the CSV reads back one field per cell, and (now and then) the XLSX builds.
pub fn csv_cell(data: &[u8]) {
    let text = text_of(data);
    let n = cell::neutralise(&text);
    for piece in n.split([',', ';', '\t', '\r', '\n']) {
        let piece = piece.trim_start_matches(|c: char| {
            (c.is_whitespace() && !matches!(c, '\t' | '\r' | '\n'))
                || crate::domain::text::is_invisible(c)
                || c == '"'
        });
        assert!(
            !piece.starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠']),
            "{piece:?} of {n:?}"
        );
    }
    assert_eq!(n.replace('\'', ""), text.replace('\'', ""));
    let sheet = Sheet {
        about: Vec::new(),
        name: text.chars().take(40).collect(),
        header: vec!["a".into(), "b".into()],
        rows: vec![vec![Value::text(&text), Value::Number(1.5, 1)]],
    };
    let csv = sheet.csv().expect("a CSV is always written");
    let mut reader = csv::ReaderBuilder::new().from_reader(&csv[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("readable")).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].len(), 2, "one field per cell");
    assert_eq!(&rows[0][1], "1.5");
    if data.first().is_some_and(|b| b % 16 == 0) {
        sheet.xlsx().expect("an XLSX is always written");
    }
}

/// The e-mail: whatever the name, wave, agency and address, building either fails with a
/// reason or gives a message of ASCII lines of at most 998 bytes whose header holds only the
/// fields the service writes (no name or value can add one).
pub fn mail(data: &[u8]) {
    let parts: Vec<&[u8]> = data.splitn(4, |&b| b == 0x1f).collect();
    let part = |k: usize| parts.get(k).copied().unwrap_or_default();
    let email = String::from_utf8_lossy(part(3)).into_owned();
    let who = Recipient {
        name: Some(vietnamese::text(part(0))),
        email: email.clone(),
        agency_name: vietnamese::text(part(1)),
        wave_name: vietnamese::text(part(2)),
        year: 2026,
    };
    let Ok(address) = Email::parse(&email) else {
        return;
    };
    let to_address: lettre::Address = address
        .as_str()
        .parse()
        .expect("an address Email accepts, lettre accepts");
    let views = Views::shared().expect("the templates");
    let from: lettre::message::Mailbox =
        "Sở Nội vụ <khaosat@snv.example.vn>".parse().expect("from");
    let text = compose::text(
        if data.len().is_multiple_of(2) {
            "invitation"
        } else {
            "reminder"
        },
        if data.len().is_multiple_of(3) {
            "en"
        } else {
            "vi"
        },
        &who,
        "0000009QGR8JRFX4",
        "https://sipas.example.vn",
        "Sở Nội vụ",
    );
    let name = who
        .name
        .as_deref()
        .map(crate::domain::text::one_line)
        .filter(|n| !n.is_empty());
    let to = lettre::message::Mailbox::new(name, to_address);
    let Ok(message) = compose::message(views, &from, &to, "fuzz-1", &text) else {
        return;
    };
    let raw = message.formatted();
    let raw = String::from_utf8(raw).expect("a message is ASCII");
    let (head, _) = raw.split_once("\r\n\r\n").expect("a header and a body");
    for line in raw.split("\r\n") {
        assert!(line.is_ascii() && line.len() <= 998, "{line:?}");
    }
    const FIELDS: [&str; 8] = [
        "From:",
        "To:",
        "Subject:",
        "Message-ID:",
        "Date:",
        "MIME-Version:",
        "Content-Type:",
        "Content-Transfer-Encoding:",
    ];
    for line in head.split("\r\n") {
        assert!(
            line.starts_with([' ', '\t']) || FIELDS.iter().any(|f| line.starts_with(f)),
            "a header field the service does not write: {line:?}"
        );
    }
}
