//! Reading the post office's returns: CSV (UTF-8, with or without BOM), header
//! `invitation_code,outcome,date`, one row per letter that came back: `undeliverable` (the
//! letter could not be delivered), `refused` (the person declined), or `returned` (a paper
//! questionnaire came back, to be keyed). The date is the post office's, `YYYY-MM-DD` or
//! `DD/MM/YYYY`, empty for today. Same rules as the frame: every problem by line and column,
//! and a file with any problem changes nothing.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::table::{self, clip, LineError, Parsed};
use crate::domain::invitation::Invitation;

pub const COLUMNS: [&str; 3] = ["invitation_code", "outcome", "date"];

/// A return to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Return {
    pub unit_id: i64,
    pub outcome: &'static str,
    pub on: NaiveDate,
}

/// What a returns file is checked against.
pub struct ReturnRules<'a> {
    pub key: &'a [u8],
    /// The wave's sampled units: id → status.
    pub units: &'a HashMap<i64, String>,
    pub today: NaiveDate,
    pub max_errors: usize,
}

pub fn parse(bytes: &[u8], rules: &ReturnRules<'_>) -> Parsed<Return> {
    let mut seen: HashMap<i64, u64> = HashMap::new();
    table::read(
        bytes,
        &COLUMNS,
        &[],
        rules.max_errors,
        &mut |_| {},
        &mut |line, f| check_row(line, f, rules, &mut seen),
    )
}

fn check_row(
    line: u64,
    f: &[&str],
    rules: &ReturnRules<'_>,
    seen: &mut HashMap<i64, u64>,
) -> Result<Return, Vec<LineError>> {
    let mut errors = Vec::new();
    let mut bad = |column: &'static str, message: String| {
        errors.push(LineError {
            line,
            column: Some(column),
            message,
        })
    };
    let (code, outcome, date) = (f[0], f[1], f[2]);
    let unit = if code.is_empty() {
        bad("invitation_code", "required".into());
        None
    } else {
        match Invitation::verify(code, rules.key) {
            None => {
                bad(
                    "invitation_code",
                    format!(
                        "'{}' is not an invitation code (16 characters, as printed on the letter)",
                        clip(code)
                    ),
                );
                None
            }
            Some(inv) => match rules.units.get(&inv.unit_id) {
                None => {
                    bad(
                        "invitation_code",
                        format!("{} is not an invitation of this wave", clip(code)),
                    );
                    None
                }
                Some(status) if status == "selected" => {
                    bad(
                        "invitation_code",
                        format!("{} was never invited (a reserve unit not used)", clip(code)),
                    );
                    None
                }
                Some(status) if status == "responded" => {
                    bad(
                        "invitation_code",
                        format!(
                            "{} has answered already; a return cannot undo an answer",
                            clip(code)
                        ),
                    );
                    None
                }
                Some(_) => match seen.get(&inv.unit_id) {
                    Some(first) => {
                        bad(
                            "invitation_code",
                            format!("{} is repeated (first on line {first})", clip(code)),
                        );
                        None
                    }
                    None => {
                        seen.insert(inv.unit_id, line);
                        Some(inv.unit_id)
                    }
                },
            },
        }
    };
    let outcome = match outcome.to_lowercase().as_str() {
        "undeliverable" => Some("undeliverable"),
        "refused" => Some("refused"),
        "returned" => Some("returned"),
        "" => {
            bad(
                "outcome",
                "required: undeliverable, refused or returned".into(),
            );
            None
        }
        _ => {
            bad(
                "outcome",
                format!(
                    "'{}' is not one of undeliverable, refused, returned",
                    clip(outcome)
                ),
            );
            None
        }
    };
    let on = if date.is_empty() {
        Some(rules.today)
    } else {
        match NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(date, "%d/%m/%Y"))
        {
            Ok(d) if d <= rules.today => Some(d),
            Ok(d) => {
                bad("date", format!("{d} is in the future"));
                None
            }
            Err(_) => {
                bad(
                    "date",
                    format!("'{}' is not a date (YYYY-MM-DD or DD/MM/YYYY)", clip(date)),
                );
                None
            }
        }
    };
    match (unit, outcome, on) {
        (Some(unit_id), Some(outcome), Some(on)) if errors.is_empty() => Ok(Return {
            unit_id,
            outcome,
            on,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key-test-key-test-key-test-key";

    fn rules(units: &HashMap<i64, String>) -> ReturnRules<'_> {
        ReturnRules {
            key: KEY,
            units,
            today: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
            max_errors: 100,
        }
    }

    fn code(unit: i64) -> String {
        Invitation { unit_id: unit }.sign(KEY)
    }

    #[test]
    fn a_valid_file_reads_whole_with_grouped_codes_and_both_date_forms() {
        let units: HashMap<i64, String> = [
            (1, "invited".into()),
            (2, "reminded".into()),
            (3, "invited".into()),
        ]
        .into();
        let text = format!(
            "\u{feff}invitation_code,outcome,date\r\n{},undeliverable,2026-11-20\r\n{},Refused,21/11/2026\r\n{},returned,\r\n",
            Invitation::grouped(&code(1)),
            code(2),
            code(3).to_lowercase()
        );
        let Parsed::Valid(rows) = parse(text.as_bytes(), &rules(&units)) else {
            panic!("valid")
        };
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].outcome, "undeliverable");
        assert_eq!(rows[1].on, NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
        assert_eq!(rows[2].on, NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
    }

    #[test]
    fn every_problem_is_named_by_line_and_column() {
        let units: HashMap<i64, String> = [
            (1, "invited".into()),
            (2, "responded".into()),
            (3, "selected".into()),
        ]
        .into();
        let text = format!(
            "invitation_code,outcome,date\n{c1},lost,2026-11-20\n{c2},refused,\n{c3},refused,\nABCD,refused,\n{c1},refused,2099-01-01\n{c9},refused,\n",
            c1 = code(1),
            c2 = code(2),
            c3 = code(3),
            c9 = code(9),
        );
        let Parsed::Invalid { errors, truncated } = parse(text.as_bytes(), &rules(&units)) else {
            panic!("invalid")
        };
        assert!(!truncated);
        let at: Vec<(u64, Option<&str>)> = errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(
            at,
            vec![
                (2, Some("outcome")),
                (3, Some("invitation_code")),
                (4, Some("invitation_code")),
                (5, Some("invitation_code")),
                (6, Some("invitation_code")),
                (6, Some("date")),
                (7, Some("invitation_code")),
            ]
        );
        assert!(errors[1].message.contains("answered already"));
        assert!(errors[2].message.contains("never invited"));
        assert!(errors[4].message.contains("repeated (first on line 2)"));
        assert!(errors[6].message.contains("not an invitation of this wave"));
    }
}
