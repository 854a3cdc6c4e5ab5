//! Reading a sampling frame file: CSV in UTF-8 (with or without the byte-order mark Excel
//! writes), header `dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,
//! phone,email,address`. Every problem is reported with its line and column, up to a cap; a
//! file with any problem imports nothing.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use crate::db::frame::NewFrameUnit;
use crate::domain::email::Email;

/// The columns, in the order the file must have them.
pub const COLUMNS: [&str; 9] = [
    "dossier_code",
    "agency_code",
    "procedure_code",
    "completed_on",
    "respondent_kind",
    "name",
    "phone",
    "email",
    "address",
];

use super::table::clip;
pub use super::table::{LineError as FrameError, Parsed};

/// What a file is checked against.
pub struct FrameRules<'a> {
    /// Agency code → id.
    pub agencies: &'a HashMap<String, i32>,
    /// The wave's year: every dossier was completed in it.
    pub year: i32,
    /// Dossier codes the wave's frame already holds.
    pub existing: &'a HashSet<String>,
    /// Stop collecting problems after this many (the file is refused either way).
    pub max_errors: usize,
}

/// Reads a whole frame file. `progress` is called with the bytes read so far, now and then.
pub fn parse(
    bytes: &[u8],
    rules: &FrameRules,
    progress: &mut dyn FnMut(u64),
) -> Parsed<NewFrameUnit> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    super::table::read(
        bytes,
        &COLUMNS,
        &["address"],
        rules.max_errors,
        progress,
        &mut |line, fields| {
            let f: &[&str; 9] = fields
                .try_into()
                .expect("the reader checks the field count");
            check_row(line, f, rules, &mut seen)
        },
    )
}

/// Checks one row; every problem of the row is reported, not only the first.
fn check_row(
    line: u64,
    f: &[&str; 9],
    rules: &FrameRules,
    seen: &mut HashMap<String, u64>,
) -> Result<NewFrameUnit, Vec<FrameError>> {
    let mut errors = Vec::new();
    let mut bad = |column: &'static str, message: String| {
        errors.push(FrameError {
            line,
            column: Some(column),
            message,
        })
    };
    let [dossier, agency, procedure, completed, kind, name, phone, email, address] = *f;

    if dossier.is_empty() {
        bad("dossier_code", "required".into());
    } else if !is_code(dossier) {
        bad(
            "dossier_code",
            format!(
                "'{}' is not a dossier code (1–64 letters, digits and . _ / -)",
                clip(dossier)
            ),
        );
    } else if rules.existing.contains(dossier) {
        bad(
            "dossier_code",
            format!("dossier {dossier} is already in this wave's frame"),
        );
    } else if let Some(first) = seen.get(dossier) {
        bad(
            "dossier_code",
            format!("dossier {dossier} is repeated (first on line {first})"),
        );
    } else {
        // Remembered even if the row has other problems: a repeat is a problem of its own.
        seen.insert(dossier.to_owned(), line);
    }
    let agency_id = if agency.is_empty() {
        bad("agency_code", "required".into());
        None
    } else {
        let id = rules.agencies.get(agency).copied();
        if id.is_none() {
            bad(
                "agency_code",
                format!("no agency has the code '{}'", clip(agency)),
            );
        }
        id
    };
    if !procedure.is_empty() && !is_code(procedure) {
        bad(
            "procedure_code",
            format!(
                "'{}' is not a procedure code (1–64 letters, digits and . _ / -)",
                clip(procedure)
            ),
        );
    }
    let completed_on = if completed.is_empty() {
        bad("completed_on", "required".into());
        None
    } else {
        match parse_date(completed) {
            Some(d) if d.year() == rules.year => Some(d),
            Some(d) => {
                bad(
                    "completed_on",
                    format!("{d} is not in the wave's year {}", rules.year),
                );
                None
            }
            None => {
                bad(
                    "completed_on",
                    format!(
                        "'{}' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                        clip(completed)
                    ),
                );
                None
            }
        }
    };
    let respondent_kind = match kind.to_lowercase().as_str() {
        "individual" | "cá nhân" | "ca nhan" => Some("individual"),
        "organisation" | "organization" | "tổ chức" | "to chuc" => Some("organisation"),
        "" => {
            bad("respondent_kind", "required".into());
            None
        }
        _ => {
            bad(
                "respondent_kind",
                format!(
                    "'{}' is neither individual nor organisation (cá nhân / tổ chức)",
                    clip(kind)
                ),
            );
            None
        }
    };
    if name.chars().count() > 200 {
        bad("name", "longer than 200 characters".into());
    }
    let unreachable = email.is_empty() && address.is_empty() && phone.is_empty();
    let phone = if phone.is_empty() {
        None
    } else {
        let p = normalise_phone(phone);
        if p.is_none() {
            bad(
                "phone",
                format!(
                    "'{}' is not a Vietnamese phone number (10 digits starting with 0, or +84…)",
                    clip(phone)
                ),
            );
        }
        p
    };
    if !email.is_empty() {
        if let Err(why) = Email::parse(email) {
            bad(
                "email",
                format!("'{}' is not an e-mail address: it {why}", clip(email)),
            );
        }
    }
    if address.chars().count() > 500 {
        bad("address", "longer than 500 characters".into());
    }
    if unreachable {
        bad(
            "address",
            "no way to reach this person: give an address, an e-mail or a phone".into(),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Ok(NewFrameUnit {
        line: i32::try_from(line).unwrap_or(i32::MAX),
        dossier_code: dossier.to_owned(),
        agency_id: agency_id.expect("checked above"),
        procedure_code: opt(procedure),
        completed_on: completed_on.expect("checked above"),
        respondent_kind: respondent_kind.expect("checked above"),
        name: opt(name),
        phone,
        email: opt(email),
        address: opt(address),
    })
}

fn is_code(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
}

/// ISO dates, and the day-first dates Vietnamese spreadsheets write.
fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// A Vietnamese number as stored: a leading 0 and 9–10 more digits; `+84`/`84` becomes 0, and
/// spaces, dots, dashes and brackets are dropped.
fn normalise_phone(s: &str) -> Option<String> {
    let kept: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = if let Some(rest) = kept.strip_prefix("+84") {
        format!("0{rest}")
    } else if kept.starts_with("84") && kept.len() >= 11 {
        format!("0{}", &kept[2..])
    } else {
        kept
    };
    let ok = national.starts_with('0')
        && (10..=11).contains(&national.len())
        && national.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(national)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules<'a>(
        agencies: &'a HashMap<String, i32>,
        existing: &'a HashSet<String>,
    ) -> FrameRules<'a> {
        FrameRules {
            agencies,
            year: 2026,
            existing,
            max_errors: 100,
        }
    }

    fn agencies() -> HashMap<String, i32> {
        [("SO-TP".to_owned(), 7)].into_iter().collect()
    }

    const HEADER: &str =
        "dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address\n";

    fn errors_of(text: &str) -> Vec<String> {
        let a = agencies();
        let e = HashSet::new();
        match parse(text.as_bytes(), &rules(&a, &e), &mut |_| {}) {
            Parsed::Valid(rows) => panic!("expected errors, got {} rows", rows.len()),
            Parsed::Invalid { errors, .. } => errors.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn a_valid_file_with_a_byte_order_mark_and_day_first_dates_is_read() {
        let text = format!(
            "\u{feff}{HEADER}H1.1,SO-TP,1.0001,2026-03-04,individual,Nguyễn Văn A,+84 912 345 678,a@example.vn,\"12 Lê Lợi, Rạch Giá\"\n\
             H1.2,SO-TP,,05/06/2026,tổ chức,Công ty B,,,Số 3\n\n"
        );
        let a = agencies();
        let e = HashSet::new();
        let Parsed::Valid(rows) = parse(text.as_bytes(), &rules(&a, &e), &mut |_| {}) else {
            panic!("valid");
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].phone.as_deref(), Some("0912345678"));
        assert_eq!(rows[0].address.as_deref(), Some("12 Lê Lợi, Rạch Giá"));
        assert_eq!(
            rows[1].completed_on,
            NaiveDate::from_ymd_opt(2026, 6, 5).unwrap()
        );
        assert_eq!(rows[1].respondent_kind, "organisation");
        assert_eq!(rows[1].procedure_code, None);
    }

    #[test]
    fn every_problem_is_named_by_line_and_column() {
        let text = format!(
            "{HEADER}H1,SO-XX,1.0001,2026-02-30,person,A,12345,not-an-email,X\n\
             H1,SO-TP,,2025-12-31,individual,B,,,Y\n\
             ,SO-TP,,2026-01-01,individual,C,,,Z\n\
             H4,SO-TP,,2026-01-01,individual,D\n\
             H5,SO-TP,,2026-01-01,individual,E,,,\n"
        );
        assert_eq!(
            errors_of(&text),
            vec![
                "line 2, column agency_code: no agency has the code 'SO-XX'",
                "line 2, column completed_on: '2026-02-30' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                "line 2, column respondent_kind: 'person' is neither individual nor organisation (cá nhân / tổ chức)",
                "line 2, column phone: '12345' is not a Vietnamese phone number (10 digits starting with 0, or +84…)",
                "line 2, column email: 'not-an-email' is not an e-mail address: it has no single @ between a name and a domain",
                "line 3, column dossier_code: dossier H1 is repeated (first on line 2)",
                "line 3, column completed_on: 2025-12-31 is not in the wave's year 2026",
                "line 4, column dossier_code: required",
                "line 5: 6 fields where the header has 9 (a comma inside a value must be quoted)",
                "line 6, column address: no way to reach this person: give an address, an e-mail or a phone",
            ]
        );
    }

    #[test]
    fn repeated_and_already_imported_dossiers_are_refused() {
        let text = format!(
            "{HEADER}H1,SO-TP,,2026-01-01,individual,A,,,X\nH1,SO-TP,,2026-01-02,individual,B,,,Y\nOLD,SO-TP,,2026-01-02,individual,C,,,Z\n"
        );
        let a = agencies();
        let e: HashSet<String> = ["OLD".to_owned()].into_iter().collect();
        let Parsed::Invalid { errors, .. } = parse(text.as_bytes(), &rules(&a, &e), &mut |_| {})
        else {
            panic!("invalid");
        };
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            messages,
            vec![
                "line 3, column dossier_code: dossier H1 is repeated (first on line 2)",
                "line 4, column dossier_code: dossier OLD is already in this wave's frame",
            ]
        );
    }

    #[test]
    fn a_wrong_header_says_what_is_missing_or_unknown() {
        let e = errors_of("dossier,agency_code\nH1,SO-TP\n");
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("line 1: the header must be exactly dossier_code,"),
            "{}",
            e[0]
        );
        assert!(
            e[0].contains("missing column(s) dossier_code, procedure_code"),
            "{}",
            e[0]
        );
        assert!(e[0].contains("unknown column(s) dossier"), "{}", e[0]);
        assert_eq!(errors_of("")[0], "line 1: the file is empty; its first line must be the header dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address");
        assert_eq!(
            errors_of(HEADER),
            vec!["line 2: the file has a header but no rows"]
        );
    }

    #[test]
    fn control_characters_invisible_addresses_and_routing_are_refused_where_they_are() {
        let errors = errors_of(&format!(
            "{HEADER}H1,SO-TP,,2026-03-01,individual,\"Lan\r\nBcc: x@y.vn\",,lan@example.vn,\n\
             H2,SO-TP,,2026-03-01,individual,Nam\u{202E}gnơưL,,a%b@example.vn,\n\
             H3,SO-TP,,2026-03-01,individual,Hà,,ha\u{200B}@gmail.com,\"Số 1\nĐường 2\"\n\
             H4,SO-TP,,2026-03-01,individual,Mai\u{0},,mai@example.vn,\n\
             H5,SO-TP,,2026-03-01,individual,Trần Thị\u{2029}Bcc: x@y.vn,,t@example.vn,\n\
             H6,SO-TP,,2026-03-01,individual,Bì\u{200B}nh,,b@example.vn,\n"
        ));
        assert_eq!(
            errors,
            [
                "line 2, column name: holds a line break, which this column does not allow (U+000D) at character 4: remove it",
                "line 4, column name: holds a text-direction control (U+202E) at character 4: remove it",
                "line 4, column email: 'a%b@example.vn' is not an e-mail address: it uses % or ! routing, which mail relays must not follow",
                "line 5, column email: holds an invisible character (U+200B) at character 3: remove it",
                "line 5, column email: 'haU+200B@gmail.com' is not an e-mail address: it holds an invisible or control character (often copied from a web page): type it again",
                "line 7, column name: holds a control character (U+0000) at character 4: remove it",
                "line 8, column name: holds a line break, which this column does not allow (U+2029) at character 9: remove it",
                "line 9, column name: holds an invisible character (U+200B) at character 3: remove it",
            ]
        );
    }

    #[test]
    fn a_header_of_a_million_columns_is_named_in_a_few_words() {
        let header: String = (0..1_000_000).map(|i| format!("cột{i},")).collect();
        let errors = errors_of(&format!("{header}\n"));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].len() < 600, "{}", errors[0].len());
        assert!(
            errors[0].contains("cột4, and 999996 more)"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn errors_stop_at_the_cap_and_say_so() {
        let mut text = HEADER.to_owned();
        for i in 0..50 {
            text.push_str(&format!("H{i},NOPE,,2026-01-01,individual,A,,,X\n"));
        }
        let a = agencies();
        let e = HashSet::new();
        let mut r = rules(&a, &e);
        r.max_errors = 10;
        let Parsed::Invalid { errors, truncated } = parse(text.as_bytes(), &r, &mut |_| {}) else {
            panic!("invalid");
        };
        assert_eq!(errors.len(), 10);
        assert!(truncated);
    }

    #[test]
    fn invalid_utf8_is_named_not_replaced() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"H1,SO-TP,,2026-01-01,individual,Nguy\xE1n,,,X\n");
        let a = agencies();
        let e = HashSet::new();
        let Parsed::Invalid { errors, .. } = parse(&bytes, &rules(&a, &e), &mut |_| {}) else {
            panic!("invalid");
        };
        assert_eq!(
            errors[0].to_string(),
            "line 2, column name: not valid UTF-8 (save the file as \"CSV UTF-8\")"
        );
    }

    #[test]
    fn line_numbers_hold_with_crlf_and_with_line_breaks_inside_quotes() {
        let text = format!(
            "{}H1,SO-TP,,2026-01-01,individual,A,,,\"Số 1\r\nphường 2\"\r\nH2,NOPE,,2026-01-01,individual,B,,,X\r\n",
            HEADER.replace('\n', "\r\n")
        );
        // H2 starts on line 4: line 2 holds H1 and the first half of its address.
        assert_eq!(
            errors_of(&text),
            vec!["line 4, column agency_code: no agency has the code 'NOPE'"]
        );
    }
}
