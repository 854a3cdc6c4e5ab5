//! Text in a spreadsheet cell that a spreadsheet cannot run: the one rule for every CSV and
//! XLSX the service writes (dashboard, ranking, PAR, microdata, wave files, `sipas qr`'s
//! index, `sipas analyze`).
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some a tab or CR
//! before them) as a formula (OWASP "CSV injection"). The CSV is quoted, but a spreadsheet
//! opened with another separator (`;` is Excel's list separator where the decimal mark is a
//! comma, as in Vietnam) or one that ignores quotes starts a new cell after any `,`, `;`, tab
//! or line break *inside* a value: `Tốt;=cmd|' /C calc'!A0`. So an apostrophe goes before a
//! formula start at the beginning of the text and after every such separator (spaces of any
//! kind, invisible characters and quotes between are skipped), and every text cell is quoted. Nothing else changes: removing the
//! added apostrophes gives the text back.

/// Where a spreadsheet may start a new cell inside a value.
fn splits(c: char) -> bool {
    matches!(c, ',' | ';' | '\t' | '\r' | '\n')
}

/// What a spreadsheet may skip before a cell's first character: spaces of any kind,
/// invisible characters, a stray quote.
fn blank(c: char) -> bool {
    (c.is_whitespace() && !splits(c)) || super::text::is_invisible(c) || c == '"'
}

/// What starts a formula.
fn starts_formula(c: char) -> bool {
    matches!(
        c,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠'
    )
}

/// The text with an apostrophe before each formula start a spreadsheet could see.
pub fn neutralise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    // At a place where a cell could begin (the start, or after a separator and spaces).
    let mut at_start = true;
    for c in text.chars() {
        if at_start && starts_formula(c) {
            out.push('\'');
        }
        out.push(c);
        at_start = splits(c) || (at_start && blank(c));
        // A tab or CR is both a separator and a formula start: the next character may
        // begin a cell too.
    }
    out
}

/// A text cell of a CSV record: neutralised, in double quotes, its quotes doubled.
pub fn csv_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    out.push('"');
    for c in neutralise(text).chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// One cell of a CSV record.
#[derive(Clone, Copy, Debug)]
pub enum Csv<'a> {
    /// Text: always quoted and neutralised.
    Text(&'a str),
    /// A number as written (digits, sign, point): never quoted, so spreadsheets read a number.
    Number(&'a str),
}

/// A CSV record (without its line end) from its cells.
pub fn csv_record(cells: &[Csv<'_>]) -> String {
    cells
        .iter()
        .map(|c| match c {
            Csv::Text(t) => csv_text(t),
            Csv::Number(n) => (*n).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::vietnamese;
    use proptest::prelude::*;

    /// OWASP's CSV-injection payloads (owasp.org/www-community/attacks/CSV_Injection) and
    /// the red team's, as a citizen might type them into a comment or a name.
    const PAYLOADS: &[&str] = &[
        "=cmd|' /C calc'!A0",
        "=HYPERLINK(\"http://evil.example\",\"Xem\")",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "=DDE(\"cmd\";\"/C calc\";\"!A0\")A0",
        "=1+2\";=1+2",
        "\t=1+1",
        "\r=1+1",
        "Tốt;=cmd|' /C calc'!A0",
        "Tốt, =cmd|' /C calc'!A0",
        "Tốt,\t=1",
        "Tốt\n-3+3+cmd|' /C calc'!D2",
        "＝1+1",
        "Tốt;\u{a0}=1+1",
        "Tốt;\u{3000}=1+1",
        "Tốt;\u{200b}=1+1",
        "Tốt;\u{feff}=1+1",
        "Tốt;\"=1+1\"",
    ];

    /// Every piece a spreadsheet could make of a cell, splitting wherever it might.
    fn pieces(cell: &str) -> Vec<&str> {
        cell.split(splits)
            .map(|p| p.trim_start_matches(blank))
            .collect()
    }

    #[test]
    fn no_piece_of_a_payload_starts_a_formula() {
        for p in PAYLOADS {
            let n = neutralise(p);
            for piece in pieces(&n) {
                assert!(
                    !piece.starts_with(starts_formula),
                    "{p:?} → {n:?}: piece {piece:?}"
                );
            }
            assert_eq!(
                n.replace('\'', ""),
                p.replace('\'', ""),
                "only apostrophes added"
            );
        }
        assert_eq!(neutralise("Tốt;=cmd"), "Tốt;'=cmd");
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("Sở Tư pháp, quầy 1-2"), "Sở Tư pháp, quầy 1-2");
        assert_eq!(csv_text("a \"b\", =c"), "\"a \"\"b\"\", '=c\"");
        assert_eq!(
            csv_record(&[Csv::Text("=1"), Csv::Number("-0.5"), Csv::Text("")]),
            "\"'=1\",-0.5,\"\""
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(2026), ..ProptestConfig::default() })]

        /// Any Vietnamese text: no piece a spreadsheet could split off starts a formula, only
        /// apostrophes are added, and the quoted cell reads back as one field.
        #[test]
        fn any_text_is_inert(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let t = vietnamese::text(&bytes);
            let n = neutralise(&t);
            for piece in pieces(&n) {
                prop_assert!(!piece.starts_with(starts_formula), "{:?}", piece);
            }
            prop_assert_eq!(n.replace('\'', ""), t.replace('\'', ""), "only apostrophes added");
            let quoted = csv_text(&t);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(quoted.as_bytes());
            let record = reader.records().next();
            if !t.is_empty() {
                let record = record.unwrap().unwrap();
                prop_assert_eq!(&record[0], n.as_str(), "one field, read back whole");
            }
        }
    }
}
